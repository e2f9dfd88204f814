/* cmd_journal.c — `ssa-admin journal ...`: terminal keys, verify, show, closings. */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "admin.h"
#include "ssa/closing.h"
#include "ssa/journal.h"
#include "ssa/journal_store.h"
#include "ssa/keyfile.h"
#include "ssa/money.h"
#include "ssa/log.h"

static void
journal_usage(FILE *out)
{
	fprintf(out,
		"usage: ssa-admin journal init-key --key FILE [--pub FILE]\n"
		"       ssa-admin journal verify --db FILE --pubkey FILE\n"
		"       ssa-admin journal show --db FILE [--from SEQ] [--count N] [--json]\n"
		"       ssa-admin journal close --db FILE --key FILE --kind z|month|year\n"
		"                 --period YYYYMMDD|YYYYMM|YYYY --establishment ID --terminal ID\n"
		"                 [--operator ID] [--time-ms MS]\n");
}

/* --name value options; flags (no value) listed in @p flags. */
struct opts {
	const char *db, *key, *pub, *pubkey, *kind, *period, *est, *term, *op, *time_ms, *from,
		*count;
	int json;
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct {
		const char *name;
		size_t off;
	} names[] = {
		{ "--db", offsetof(struct opts, db) },
		{ "--key", offsetof(struct opts, key) },
		{ "--pub", offsetof(struct opts, pub) },
		{ "--pubkey", offsetof(struct opts, pubkey) },
		{ "--kind", offsetof(struct opts, kind) },
		{ "--period", offsetof(struct opts, period) },
		{ "--establishment", offsetof(struct opts, est) },
		{ "--terminal", offsetof(struct opts, term) },
		{ "--operator", offsetof(struct opts, op) },
		{ "--time-ms", offsetof(struct opts, time_ms) },
		{ "--from", offsetof(struct opts, from) },
		{ "--count", offsetof(struct opts, count) },
	};

	memset(o, 0, sizeof(*o));
	for (int i = 0; i < argc; i++) {
		size_t k;
		if (strcmp(argv[i], "--json") == 0) {
			o->json = 1;
			continue;
		}
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strcmp(argv[i], names[k].name) == 0)
				break;
		if (k == sizeof(names) / sizeof(names[0])) {
			log_err("journal: unknown option '%s'", argv[i]);
			return -1;
		}
		if (i + 1 >= argc) {
			log_err("journal: %s needs a value", argv[i]);
			return -1;
		}
		*(const char **)(void *)((char *)o + names[k].off) = argv[++i];
	}
	return 0;
}

static int
need(const char *v, const char *name)
{
	if (v == NULL) {
		log_err("journal: %s is required", name);
		return -1;
	}
	return 0;
}

/* A whole decimal number in [lo, hi]. */
static int
parse_num(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end = NULL;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static struct ssa_journal_store *
open_db(const char *path, bool must_exist)
{
	struct ssa_journal_store *s = NULL;
	char why[512];
	enum ssa_err e;

	/* Opening creates a missing database: a mistyped path would "verify" as an empty
	 * journal.  Only a closing may start a journal (a till's first, empty day). */
	if (must_exist && access(path, F_OK) != 0) {
		log_err("%s: no journal there (%s)", path, strerror(errno));
		return NULL;
	}
	e = journal_sqlite_open(path, &s, why, sizeof(why));
	if (e != SSA_ERR_OK) {
		log_err("%s", why);
		return NULL;
	}
	return s;
}

static int
cmd_init_key(const struct opts *o)
{
	char why[512];
	enum ssa_err e;

	if (need(o->key, "--key") != 0)
		return 2;
	e = keyfile_generate(o->key, o->pub, why, sizeof(why));
	if (e != SSA_ERR_OK) {
		log_err("%s", why);
		return 1;
	}
	printf("key written to %s (mode 0600)%s%s\n", o->key, o->pub ? ", public key to " : "",
	       o->pub ? o->pub : "");
	return 0;
}

static int
cmd_verify(const struct opts *o)
{
	struct ssa_journal_store *s;
	struct journal_chain c;
	uint8_t pub[32];
	char why[512], hex[2 * JOURNAL_HASH_LEN + 1];
	enum ssa_err e;

	if (need(o->db, "--db") != 0 || need(o->pubkey, "--pubkey") != 0)
		return 2;
	if ((e = keyfile_load_public(o->pubkey, pub, why, sizeof(why))) != SSA_ERR_OK) {
		log_err("%s", why);
		return 1;
	}
	if ((s = open_db(o->db, true)) == NULL)
		return 1;
	e = journal_store_verify(s, pub, &c);
	journal_store_free(s);
	if (e != SSA_ERR_OK) {
		if (c.why[0] != '\0')
			printf("BAD record %" PRIu64 ": %s [%s]\n", c.bad_seq, c.why,
			       ssa_errname(e));
		else
			printf("BAD: %s\n", ssa_strerror(e));
		return 1;
	}
	journal_hex(c.last_hash, JOURNAL_HASH_LEN, hex);
	printf("OK %" PRIu64 " records, last seq %" PRIu64 ", last hash %s\n", c.count, c.last_seq,
	       hex);
	return 0;
}

struct show_ctx {
	int json;
	uint64_t left;
};

static void
show_record(const struct journal_record *r)
{
	char amount[32], ssa[32];

	money_format(r->total, MONEY_EN, amount, sizeof(amount));
	money_format(r->ssa_covered, MONEY_EN, ssa, sizeof(ssa));
	printf("%6" PRIu64 "  %-13s  %13" PRId64 "  term=%s op=%s", r->seq,
	       journal_kind_name(r->kind), r->time_ms, r->terminal, r->operator_id);
	switch (r->kind) {
	case JOURNAL_SALE:
	case JOURNAL_VOID:
	case JOURNAL_REFUND:
		printf("  lines=%zu total=%s ssa=%s", r->n_lines, amount, ssa);
		if (r->link_seq)
			printf(" of=%" PRIu64, r->link_seq);
		if (r->card[0])
			printf(" card=%s", r->card);
		break;
	case JOURNAL_RELOAD:
		money_format(r->reload.amount, MONEY_EN, amount, sizeof(amount));
		printf("  card=%s grant=%s amount=%s", r->card, r->reload.grant_id, amount);
		break;
	case JOURNAL_REPRINT:
		printf("  of=%" PRIu64, r->link_seq);
		break;
	default:
		money_format(r->closing.total, MONEY_EN, amount, sizeof(amount));
		money_format(r->closing.perpetual, MONEY_EN, ssa, sizeof(ssa));
		printf("  #%" PRIu64 " period=%" PRId32 " sales=%" PRIu64 " total=%s perpetual=%s",
		       r->closing.number, r->closing.period, r->closing.sales, amount, ssa);
	}
	putchar('\n');
}

static enum ssa_err
show_one(void *ctx, uint64_t seq, const void *buf, size_t len)
{
	struct show_ctx *sc = ctx;
	struct journal_record r;
	const char *why = NULL;

	if (sc->left == 0)
		return SSA_ERR_OK;
	sc->left--;
	if (sc->json) {
		fwrite(buf, 1, len, stdout);
		putchar('\n');
		return SSA_ERR_OK;
	}
	if (journal_record_decode(buf, len, &r, &why) != SSA_ERR_OK) {
		printf("%6" PRIu64 "  (malformed: %s)\n", seq, why);
		return SSA_ERR_OK;
	}
	show_record(&r);
	journal_record_fini(&r);
	return SSA_ERR_OK;
}

static int
cmd_show(const struct opts *o)
{
	struct ssa_journal_store *s;
	struct show_ctx sc = { o->json, UINT64_MAX };
	int64_t from = 1, count;
	enum ssa_err e;

	if (need(o->db, "--db") != 0)
		return 2;
	if (o->from != NULL && parse_num(o->from, 1, INT64_MAX, &from) != 0) {
		log_err("journal: bad --from '%s'", o->from);
		return 2;
	}
	if (o->count != NULL) {
		if (parse_num(o->count, 0, INT64_MAX, &count) != 0) {
			log_err("journal: bad --count '%s'", o->count);
			return 2;
		}
		sc.left = (uint64_t)count;
	}
	if ((s = open_db(o->db, true)) == NULL)
		return 1;
	e = journal_store_scan(s, (uint64_t)from, show_one, &sc);
	journal_store_free(s);
	if (e != SSA_ERR_OK) {
		log_err("%s: %s", o->db, ssa_strerror(e));
		return 1;
	}
	return 0;
}

static int
cmd_close(const struct opts *o)
{
	struct ssa_journal_store *s = NULL;
	struct journal_signer *signer = NULL;
	struct journal_record r;
	enum journal_kind kind;
	int64_t period, time_ms;
	uint8_t priv[32];
	uint64_t seq = 0;
	char why[512];
	enum ssa_err e;
	int rc = 1;

	if (need(o->db, "--db") || need(o->key, "--key") || need(o->kind, "--kind") ||
	    need(o->period, "--period") || need(o->est, "--establishment") ||
	    need(o->term, "--terminal"))
		return 2;
	if (strcmp(o->kind, "z") == 0)
		kind = JOURNAL_CLOSING_Z;
	else if (strcmp(o->kind, "month") == 0)
		kind = JOURNAL_CLOSING_MONTH;
	else if (strcmp(o->kind, "year") == 0)
		kind = JOURNAL_CLOSING_YEAR;
	else {
		log_err("journal: --kind is z, month or year");
		return 2;
	}
	if (parse_num(o->period, 0, 99991231, &period) != 0) {
		log_err("journal: bad --period '%s'", o->period);
		return 2;
	}
	if (o->time_ms != NULL) {
		if (parse_num(o->time_ms, 0, INT64_MAX, &time_ms) != 0) {
			log_err("journal: bad --time-ms '%s'", o->time_ms);
			return 2;
		}
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	journal_record_init(&r, kind);
	if (strlen(o->est) > JOURNAL_ID_MAX || strlen(o->term) > JOURNAL_ID_MAX ||
	    (o->op != NULL && strlen(o->op) > JOURNAL_ID_MAX)) {
		log_err("journal: ids are at most %d characters", JOURNAL_ID_MAX);
		return 2;
	}
	strcpy(r.establishment, o->est);
	strcpy(r.terminal, o->term);
	snprintf(r.software, sizeof(r.software), "%s", SSA_VERSION);
	snprintf(r.operator_id, sizeof(r.operator_id), "%s", o->op ? o->op : "admin");
	r.time_ms = time_ms;
	if ((e = keyfile_load_private(o->key, priv, why, sizeof(why))) != SSA_ERR_OK) {
		log_err("%s", why);
		goto out;
	}
	e = journal_signer_new(priv, &signer);
	memset(priv, 0, sizeof(priv));
	if (e != SSA_ERR_OK) {
		log_err("%s: %s", o->key, ssa_strerror(e));
		goto out;
	}
	if ((s = open_db(o->db, false)) == NULL)
		goto out;
	/* The till may be selling meanwhile: computed and appended as one step. */
	e = closing_append(s, kind, (int32_t)period, &r, signer, &seq, NULL);
	if (e != SSA_ERR_OK) {
		log_err("%s: cannot append the closing: %s", o->db, ssa_strerror(e));
		goto out;
	}
	show_record(&r);
	rc = 0;
out:
	journal_record_fini(&r);
	journal_signer_free(signer);
	journal_store_free(s);
	return rc;
}

int
admin_cmd_journal(struct admin_ctx *ctx, int argc, char **argv)
{
	struct opts o;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		journal_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (parse_opts(argc - 2, argv + 2, &o) != 0) {
		journal_usage(stderr);
		return 2;
	}
	/* What the command line does not give, ssa-admin.ini's [till] section may. */
	if (o.db == NULL)
		o.db = ctx->cfg.journal;
	if (o.key == NULL)
		o.key = ctx->cfg.key_file;
	if (o.pubkey == NULL)
		o.pubkey = ctx->cfg.pubkey_file;
	if (strcmp(argv[1], "init-key") == 0)
		return cmd_init_key(&o);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(&o);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(&o);
	if (strcmp(argv[1], "close") == 0)
		return cmd_close(&o);
	log_err("journal: unknown verb '%s'", argv[1]);
	journal_usage(stderr);
	return 2;
}
