/* config.c — ssa-cardsim's configuration schema and loading (see config.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "ssa/log.h"

#define S struct cardsim_config
const struct config_key cardsim_config_schema[] = {
    CONFIG_PATH(S, control, "cardsim", "control", NULL,
                "Unix socket of the control commands (insert, remove, tear, status, quit)"),
    CONFIG_PATH(S, link, "cardsim", "link", NULL,
                "symbolic link made to the pseudo-terminal, removed on exit"),
    CONFIG_PATH(S, card, "cardsim", "card", NULL, "card file in the field at start"),
    CONFIG_ENUM(S, log_level, "log", "level", log_level_names, "warning",
                "info: cards and control commands; debug: every frame in hex too"),
    CONFIG_END,
};
#undef S

int
cardsim_config_load(const char *path, struct cardsim_config *cfg)
{
	char def[256], msg[600];
	struct config_error err;
	struct stat st;

	memset(cfg, 0, sizeof(*cfg));
	if (path == NULL) {
		config_default_path("ssa-cardsim", def, sizeof(def));
		/* The default file is optional: tests and the demo give everything as options. */
		if (stat(def, &st) != 0 && errno == ENOENT) {
			if (config_parse(cardsim_config_schema, def, "", 0, cfg, &err) ==
			    SSA_ERR_OK)
				return 0;
			config_error_format(&err, msg, sizeof(msg));
			log_err("%s", msg);
			return -1;
		}
		path = def;
	}
	if (config_load_file(cardsim_config_schema, path, cfg, &err) != SSA_ERR_OK) {
		config_error_format(&err, msg, sizeof(msg));
		log_err("%s", msg);
		return -1;
	}
	return 0;
}

void
cardsim_config_free(struct cardsim_config *cfg)
{
	config_free(cardsim_config_schema, cfg);
}
