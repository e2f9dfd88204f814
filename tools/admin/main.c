/* ssa-admin — administration of a caisse and of a till: journals, cards, lists, terminals.
 * This file only dispatches; each command group is in cmd_<group>.c (see admin.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "ssa/log.h"

struct admin_command {
	const char *name;
	admin_cmd_fn *fn;
	const char *help;
};

#define ADMIN_ENTRY_(n, f, h) { #n, f, h },
static const struct admin_command commands[] = { ADMIN_COMMANDS(ADMIN_ENTRY_) };
#undef ADMIN_ENTRY_

static void
usage(FILE *out)
{
	fprintf(out, "usage: ssa-admin [-c FILE] <command> [args...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
}

int
admin_cmd_version(struct admin_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	printf("ssa-admin %s\n", SSA_VERSION);
	return 0;
}

const char *
admin_path(const char *given, const char *configured, const char *option, const char *key)
{
	if (given)
		return given;
	if (configured)
		return configured;
	log_err("give %s or set %s in the configuration", option, key);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct admin_ctx ctx = { 0 };
	int opt;

	/* Messages answer whoever ran the command: stderr, and syslog too when unattended. */
	log_init("ssa-admin", LOG_F_TOOL, LOG_LEVEL_INFO);

	while ((opt = getopt(argc, argv, "+c:h")) != -1) {
		switch (opt) {
		case 'c':
			ctx.config_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		int rc;

		if (strcmp(commands[i].name, argv[optind]) != 0)
			continue;
		if (admin_config_load(&ctx) != 0)
			return 1;
		rc = commands[i].fn(&ctx, argc - optind, argv + optind);
		admin_config_free(&ctx);
		return rc;
	}
	log_err("unknown command '%s'", argv[optind]);
	usage(stderr);
	return 2;
}
