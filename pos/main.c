/* ssa-pos — the till.  This file: options, language, start-up and exit. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crt.h"
#include "i18n.h"
#include "till.h"
#include "ui.h"

#ifndef SSA_PREFIX
#define SSA_PREFIX "/usr/local"
#endif

static void
usage(FILE *out)
{
	fprintf(out, "usage: ssa-pos [-c FILE] [-V] [-h]\n"
		     "  -c FILE   configuration file (default /etc/ssa-pos/ssa-pos.ini)\n"
		     "  -V        print the version and exit\n"
		     "  -h        this help\n");
}

/* The first non-empty of LC_ALL, LC_MESSAGES, LANG: the person's language setting. */
static const char *
lang_setting(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return v;
	}
	return "";
}

/* French unless the environment asks for English.  gettext picks the catalog from LANGUAGE,
 * which glibc honours in any locale but plain "C"; so a UTF-8 locale is set up (C.UTF-8 when the
 * person's own is not installed) and LANGUAGE is set to the language chosen here. */
static enum money_locale
set_language(void)
{
	const char *lang = lang_setting();
	bool english = strncmp(lang, "en", 2) == 0;
	const char *dir = getenv("SSA_LOCALEDIR");
	const char *loc = setlocale(LC_ALL, "");

	if (!loc || strcmp(loc, "C") == 0 || strcmp(loc, "POSIX") == 0)
		setlocale(LC_ALL, "C.UTF-8");
	setenv("LANGUAGE", english ? "en" : "fr", 1);
	bindtextdomain(POS_TEXTDOMAIN, dir && *dir ? dir : SSA_PREFIX "/share/locale");
	bind_textdomain_codeset(POS_TEXTDOMAIN, "UTF-8");
	textdomain(POS_TEXTDOMAIN);
	/* Without the French catalog the screen shows the English source strings: show English
	 * amounts with them rather than a mix. */
	if (!english && strcmp(_("Sale"), "Sale") == 0)
		english = true;
	return english ? MONEY_EN : MONEY_FR;
}

/* Today as YYYYMMDD in local time: eligibility dates are the outlet's days. */
static int32_t
local_today(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!localtime_r(&now, &tm))
		return 19700101;
	return (int32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

int
main(int argc, char **argv)
{
	struct till till;
	struct ui ui = { 0 };
	const char *config_path = "/etc/ssa-pos/ssa-pos.ini";
	enum ssa_err err;
	int opt, sig;

	while ((opt = getopt(argc, argv, "c:Vh")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'V':
			printf("ssa-pos %s\n", SSA_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	(void)config_path;
	ui.money_locale = set_language();
	till_init(&till, local_today());
	till.money_locale = ui.money_locale;
	ui.till = &till;
	err = crt_init(getenv("NO_COLOR") == NULL);
	if (err != SSA_ERR_OK) {
		fprintf(stderr, "ssa-pos: %s\n", ssa_strerror(err));
		till_fini(&till);
		return 1;
	}
	sig = ui_run(&ui);
	crt_done();
	till_fini(&till);
	return sig ? 128 + sig : 0;
}
