/* i18n.h — gettext for ssa-pos.  Source strings are English; po/fr.po holds the French, which is
 * the default language (see main.c: the language is chosen before any string is shown).  When the
 * .mo file is not installed, gettext returns the English source strings unchanged. */
#ifndef POS_I18N_H
#define POS_I18N_H

#include <libintl.h>

#define POS_TEXTDOMAIN "ssa-pos"
#define _(s) dgettext(POS_TEXTDOMAIN, s)
#ifndef N_
#define N_(s) s
#endif

#endif
