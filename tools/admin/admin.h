/* admin.h — ssa-admin's subcommands.
 *
 * ssa-admin is a dispatcher: `ssa-admin [-c FILE] <group> <verb> [args]`.  Each group lives in its
 * own file tools/admin/cmd_<group>.c and exports one function with this signature; @p argv[0] is
 * the group name.  It returns a process exit status (0 ok, 1 failure, 2 usage) and prints its own
 * messages (stderr for errors).
 */
#ifndef SSA_ADMIN_H
#define SSA_ADMIN_H

#include <stdint.h>
#include <stdio.h>

#include "ssa/config.h"
#include "ssa/vat.h"

/* /etc/ssa-pos/ssa-admin.ini (or -c FILE): default paths for the commands.  NULL = not set. */
struct admin_config {
	char *journal, *key_file, *pubkey_file, *catalog; /* [till] */
	char *caisse_db, *caisse_dir;                     /* [caisse] */
	char *caisse_id, *caisse_doc_key, *caisse_list_key, *caisse_rules;
	int64_t caisse_list_max_age; /* days written into each list signed; 0 = none */
	struct vat_rates vat_rates; /* [vat] rates: the till's, for products imported here */
};

struct admin_ctx {
	const char *config_path; /* -c FILE, or NULL for the default */
	struct admin_config cfg;
};

extern const struct config_key admin_config_schema[];

/* Load ctx->config_path, or the default file when it exists.  An unreadable file, an unknown
 * key or a bad value is printed with file and line: returns -1 and the command must not run. */
int admin_config_load(struct admin_ctx *ctx);
void admin_config_free(struct admin_ctx *ctx);

/* @p given when not NULL, else @p configured; NULL (and a message naming @p option and
 * @p key on stderr) when neither is set. */
const char *admin_path(const char *given, const char *configured, const char *option,
                       const char *key);

/* keys.c: files and keys. */

/* A whole stream or file (at most @p max bytes) into a malloc'd NUL-terminated buffer; NULL with
 * errno set on failure (EFBIG past @p max).  The caller frees. */
char *admin_read_stream(FILE *f, size_t max, size_t *len);
char *admin_read_file(const char *path, size_t max, size_t *len);

/* A raw 32-byte Ed25519 key from @p path: 64 hex digits, or PEM (private when @p private).
 * 0, or -1 after a message naming the file. */
int admin_read_key(const char *path, int private, uint8_t key[32]);

/* The caisse's private document key from @p path, refusing a file that group or others may
 * read (a public key file, which has the same hex form).  0, or -1 after a message. */
int admin_read_signing_key(const char *path, uint8_t priv[32]);

/* Write @p len bytes to stdout and flush; -1 after a message. */
int admin_write_stdout(const char *data, size_t len);

/* One long option taking a value ("--name VALUE" or "--name=VALUE"), stored in *value. */
struct admin_opt {
	const char *name;
	const char **value;
};

#define ADMIN_OPTS_MAX 16

/* Parse the long options of a command's @p argv with getopt_long (argv[0] is the verb) into
 * the table @p opts, ended by a NULL name, of at most ADMIN_OPTS_MAX entries.  The values point
 * into @p argv.  Returns the index of the first operand, or -1 on an unknown or incomplete
 * option (getopt has printed why). */
int admin_getopt(int argc, char **argv, const struct admin_opt *opts);

typedef int admin_cmd_fn(struct admin_ctx *ctx, int argc, char **argv);

/* One line per group: name, function, one-line help.  Add yours here, keep it sorted. */
#define ADMIN_COMMANDS(_) \
	_(ca, admin_cmd_ca, "the caisse CA: init, server certificate") \
	_(caisse, admin_cmd_caisse, "what the terminals sent: settlement CSV, closings, anomalies") \
	_(card, admin_cmd_card, "food cards: keygen, issue, info") \
	_(grant, admin_cmd_grant, "monthly grants: make, list, show; sign from CSV, verify") \
	_(hotlist, admin_cmd_hotlist, "the hot list: add, remove, list; sign from CSV, verify") \
	_(household, admin_cmd_household, "the caisse's households: add, set, list (amounts)") \
	_(journal, admin_cmd_journal, "terminal keys, verify and show the journal, closings") \
	_(list, admin_cmd_list, "convention lists: keygen, sign, verify, import, show, publish; "\
				"products") \
	_(member, admin_cmd_member, "the caisse's members and their cards: add, card, list") \
	_(outlet, admin_cmd_outlet, "outlets and their terminals: add, attach, list") \
	_(terminal, admin_cmd_terminal, "terminal certificates: enroll, sign; demo sales") \
	_(version, admin_cmd_version, "print the version")

#define ADMIN_DECLARE_(name, fn, help) admin_cmd_fn fn;
ADMIN_COMMANDS(ADMIN_DECLARE_)
#undef ADMIN_DECLARE_

#endif
