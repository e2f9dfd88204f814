/* config.h — ssa-cardsim's configuration: the schema of /etc/ssa-pos/ssa-cardsim.ini
 * (ssa/config.h).  config/ssa-cardsim.ini is the commented example.  Options on the command line
 * override the file's keys. */
#ifndef SSA_CARDSIM_CONFIG_H
#define SSA_CARDSIM_CONFIG_H

#include "ssa/config.h"

struct cardsim_config {
	/* [cardsim] */
	char *control; /* the control socket (--control) */
	char *link;    /* a symbolic link made to the pty (--link); NULL: none */
	char *card;    /* the card file in the field at start (--card); NULL: none */
	/* [log] */
	int log_level; /* index in log_level_names: info is -v, debug is -vv */
};

/* The schema (for config_describe and the tests). */
extern const struct config_key cardsim_config_schema[];

/* Load @p path into @p cfg (zeroed here); NULL: the default file, which may be absent (the
 * options then say everything).  An unreadable file given with -c, an unknown key or a bad
 * value is logged with file and line, and -1 returned: the simulator must not start. */
int cardsim_config_load(const char *path, struct cardsim_config *cfg);

/* Release what @p cfg holds. */
void cardsim_config_free(struct cardsim_config *cfg);

#endif
