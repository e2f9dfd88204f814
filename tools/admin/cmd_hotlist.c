/* cmd_hotlist.c — `ssa-admin hotlist`: the caisse's signed hot list of blocked cards
 * (ssa/hotlist.h).
 *
 *   ssa-admin hotlist sign --key KEY --caisse C --version N [--date YYYY-MM-DD]
 *                          < cards.csv > hotlist.txt
 *   ssa-admin hotlist verify --key PUBLIC [--caisse C] < hotlist.txt
 *   ssa-admin hotlist add SERIAL REASON [--date YYYY-MM-DD] [--key KEY]
 *   ssa-admin hotlist remove SERIAL [--key KEY]
 *   ssa-admin hotlist list
 *
 * KEY is the caisse's document key (`ssa-admin list keygen`).  Each CSV line is
 * `<16 hex serial>,<reason>` with an optional 3rd column, the day the card was blocked
 * (YYYY-MM-DD; default --date, else today in UTC); reasons are the words of lib/hotlist.c
 * (lost, stolen, cloned, tampered, replaced, revoked).  Blank lines and '#' lines are skipped.
 * The result is a full list (no base).  Nothing is written unless every line is right.
 *
 * add/remove work on the caisse's database (cmd_caisse.c): each change signs and stores a new
 * full list, version + 1, for GET /v1/hotlist, and sets the card's state when the caisse issued
 * it.  The version only grows: a terminal never goes back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "admin.h"
#include "ssa/card.h"
#include "ssa/log.h"
#include "ssa/csv.h"
#include "ssa/hotlist.h"
#include "caisse_admin.h"

struct hot_opts {
	const char *key, *caisse, *version, *date;
};

static int
hot_usage(FILE *out)
{
	fprintf(out,
		"usage: ssa-admin hotlist sign --key KEY --caisse C --version N [--date YYYY-MM-DD]\n"
		"                 < cards.csv > hotlist.txt\n"
		"       ssa-admin hotlist verify --key PUBLIC [--caisse C] < hotlist.txt\n"
		"       ssa-admin hotlist add SERIAL REASON [--date YYYY-MM-DD] [--key KEY] "
		"[--caisse C] [--db DB]\n"
		"       ssa-admin hotlist remove SERIAL [--key KEY] [--caisse C] [--db DB]\n"
		"       ssa-admin hotlist list [--db DB]\n"
		"  cards.csv: <16 hex serial>,lost|stolen|cloned|tampered|replaced|revoked"
		"[,YYYY-MM-DD]\n");
	return 2;
}

static int
parse_opts(int argc, char **argv, struct hot_opts *o)
{
	const struct admin_opt opts[] = {
		{ "key", &o->key }, { "caisse", &o->caisse }, { "version", &o->version },
		{ "date", &o->date }, { NULL, NULL },
	};

	memset(o, 0, sizeof(*o));
	return admin_getopt(argc, argv, opts);
}

int
caisse_hotlist_sign(const struct hotlist *l, const uint8_t priv[32], char **text, size_t *len)
{
	struct hotlist *check = NULL;
	struct convention_error err = { 0 };
	enum ssa_err e;

	if ((e = hotlist_sign(l, priv, text, len)) != SSA_ERR_OK) {
		log_err("cannot sign the hot list: %s", ssa_strerror(e));
		return -1;
	}
	if ((e = hotlist_parse(*text, *len, &check, &err)) != SSA_ERR_OK) {
		log_err("the signed hot list does not parse (line %u: %s)",
			err.line, err.msg);
		free(*text);
		*text = NULL;
		return -1;
	}
	hotlist_free(check);
	return 0;
}

static int
parse_reason(const char *word, enum hotlist_reason *out)
{
	for (int r = 0; r < HOTLIST__REASON_COUNT; r++)
		if (strcmp(word, hotlist_reason_word((enum hotlist_reason)r)) == 0) {
			*out = (enum hotlist_reason)r;
			return 0;
		}
	return -1;
}

static int32_t
today_utc(void)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static int
parse_day(const char *text, int32_t *day)
{
	return strlen(text) == 10 && convention_date_parse(text, day) == SSA_ERR_OK ? 0 : -1;
}

/* Read the CSV lines of @p text into @p l.  -1 after a message naming the line. */
static int
read_hot_csv(const char *text, size_t len, int32_t day, struct hotlist *l)
{
	struct csv_reader r;
	unsigned *lines = NULL; /* the line of each serial, to name both lines of a duplicate */
	uint64_t *serials = NULL;
	size_t count = 0, cap = 0;
	enum ssa_err e;
	int rc = -1;

	csv_init(&r, text, len);
	while ((e = csv_next(&r)) != SSA_ERR_NOT_FOUND) {
		struct hotlist_entry en = { .since = day };
		char **f = r.field;

		if (e != SSA_ERR_OK) {
			log_err("line %u: %s", r.line,
				e == SSA_ERR_TOO_LONG ? "too many fields" : "bad quoting");
			goto out;
		}
		if (f[0][0] == '#')
			continue;
		if (r.nfields != 2 && r.nfields != 3) {
			log_err("line %u: expected '<16 hex serial>,<reason>[,YYYY-MM-DD]', "
				"found %zu fields",
				r.line, r.nfields);
			goto out;
		}
		if (caisse_parse_serial(f[0], &en.serial) != 0) {
			log_err("line %u: card serial '%s' is not 16 hex digits (not all "
				"zero)",
				r.line, f[0]);
			goto out;
		}
		if (parse_reason(f[1], &en.reason) != 0) {
			log_err("line %u: unknown reason '%s' (lost, stolen, cloned, "
				"tampered, replaced, revoked)",
				r.line, f[1]);
			goto out;
		}
		if (r.nfields == 3 && parse_day(f[2], &en.since) != 0) {
			log_err("line %u: '%s' is not a day YYYY-MM-DD", r.line,
				f[2]);
			goto out;
		}
		e = hotlist_add(l, &en);
		if (e == SSA_ERR_EXISTS) {
			for (size_t i = 0; i < count; i++)
				if (serials[i] == en.serial)
					log_err("line %u: card %s already on line %u",
						r.line, f[0], lines[i]);
			goto out;
		}
		if (e != SSA_ERR_OK) {
			log_err("line %u: %s", r.line,
				e == SSA_ERR_INVAL ? "not a calendar day" : ssa_strerror(e));
			goto out;
		}
		if (count == cap) {
			size_t nc = cap ? cap * 2 : 256;
			void *p = realloc(lines, nc * sizeof(*lines)), *q;
			if (p == NULL)
				goto nomem;
			lines = p;
			if ((q = realloc(serials, nc * sizeof(*serials))) == NULL)
				goto nomem;
			serials = q;
			cap = nc;
		}
		lines[count] = r.line;
		serials[count++] = en.serial;
	}
	rc = 0;
	goto out;
nomem:
	log_err("out of memory");
out:
	free(lines);
	free(serials);
	csv_fini(&r);
	return rc;
}

int
caisse_parse_version(const char *text, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (text == NULL || text[0] < '1' || text[0] > '9')
		goto bad;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		goto bad;
	*out = (uint32_t)v;
	return 0;
bad:
	log_err("version '%s' is not a number 1 to %u", text ? text : "",
		UINT32_MAX);
	return -1;
}

static int
cmd_sign(int argc, char **argv)
{
	struct hot_opts o;
	struct hotlist *l = NULL;
	uint8_t priv[32];
	char *in = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	uint32_t version;
	int32_t day = today_utc();
	int i, rc = 1;

	i = parse_opts(argc, argv, &o);
	if (i < 0 || i != argc || o.key == NULL || o.caisse == NULL || o.version == NULL)
		return hot_usage(stderr);
	if (caisse_parse_version(o.version, &version) != 0)
		return 2;
	if (o.date != NULL && parse_day(o.date, &day) != 0) {
		log_err("--date '%s' is not a day YYYY-MM-DD", o.date);
		return 2;
	}
	if (hotlist_new(o.caisse, version, 0, &l) != SSA_ERR_OK) {
		log_err("bad caisse id '%s' ([A-Za-z0-9._-], at most %d)",
			o.caisse, HOTLIST_CAISSE_MAX);
		return 2;
	}
	if (admin_read_signing_key(o.key, priv) != 0)
		goto out;
	if ((in = admin_read_stream(stdin, HOTLIST_MAX_BYTES, &len)) == NULL) {
		log_err("standard input: %s", strerror(errno));
		goto out;
	}
	if (read_hot_csv(in, len, day, l) != 0)
		goto out;
	if (caisse_hotlist_sign(l, priv, &out, &olen) != 0 || admin_write_stdout(out, olen) != 0)
		goto out;
	log_info("signed hot list of %s, version %u: %zu cards", l->caisse, l->version,
		l->n);
	rc = 0;
out:
	OPENSSL_cleanse(priv, sizeof(priv));
	hotlist_free(l);
	free(out);
	free(in);
	return rc;
}

static int
cmd_verify(int argc, char **argv)
{
	struct hot_opts o;
	struct hotlist *l = NULL;
	struct convention_error err = { 0 };
	uint8_t pub[32];
	char *in = NULL;
	size_t len = 0;
	enum ssa_err e;
	int i;

	i = parse_opts(argc, argv, &o);
	if (i < 0 || i != argc || o.key == NULL || o.version || o.date)
		return hot_usage(stderr);
	if (admin_read_key(o.key, 0, pub) != 0)
		return 1;
	if ((in = admin_read_stream(stdin, HOTLIST_MAX_BYTES, &len)) == NULL) {
		log_err("standard input: %s", strerror(errno));
		return 1;
	}
	e = hotlist_load(in, len, pub, o.caisse, &l, &err);
	free(in);
	if (e != SSA_ERR_OK) {
		if (err.line != 0)
			log_err("line %u: %s", err.line, err.msg);
		else
			log_err("%s", err.msg[0] ? err.msg : ssa_strerror(e));
		return 1;
	}
	printf("signature ok: hot list of %s, version %u", l->caisse, l->version);
	if (l->base != 0)
		printf(", delta against version %u", l->base);
	printf(", %zu cards\n", l->n);
	hotlist_free(l);
	return 0;
}

/* --- the caisse's database: the hot list in force, each change a new signed full list ---------- */

/* Sign the entries as version @p version and store the text.  -1 after a message. */
static int
publish(struct caisse_store *st, const char *caisse, uint32_t version, const uint8_t priv[32],
	size_t *cards)
{
	struct hotlist *l = NULL;
	char *text = NULL;
	size_t len = 0;
	enum ssa_err e;
	int rc = -1;

	if ((e = st->hot_cards(st->cls, caisse, version, &l)) != SSA_ERR_OK) {
		if (e == SSA_ERR_INVAL)
			log_err("caisse id '%s' is not usable in a hot list (at "
					"most %d of [A-Za-z0-9._-])",
				caisse, HOTLIST_CAISSE_MAX);
		else
			caisse_db_failed(e);
		goto out;
	}
	if (caisse_hotlist_sign(l, priv, &text, &len) != 0)
		goto out;
	if ((e = st->hotlist_doc_put(st->cls, version, text, len, (int64_t)time(NULL) * 1000)) !=
	    SSA_ERR_OK) {
		caisse_db_failed(e);
		goto out;
	}
	*cards = l->n;
	rc = 0;
out:
	hotlist_free(l);
	free(text);
	return rc;
}

/* hotlist add SERIAL REASON / hotlist remove SERIAL */
static int
cmd_change(struct admin_ctx *ctx, int argc, char **argv, int add)
{
	struct caisse_opts o;
	struct caisse_store st = { 0 };
	struct hotlist_entry en = { .since = today_utc() };
	const char *caisse, *keyfile;
	char serial[17];
	uint8_t priv[32];
	uint32_t version = 0;
	size_t cards = 0;
	enum ssa_err e;
	int rc = 1;

	if (caisse_opts_parse(argc, argv, &o) != 0 || o.nargs != (add ? 2 : 1) ||
	    (!add && o.date))
		return hot_usage(stderr);
	if (caisse_parse_serial(o.args[0], &en.serial) != 0) {
		log_err("card serial '%s' is not 16 hex digits (not all zero)",
			o.args[0]);
		return 2;
	}
	if (add && parse_reason(o.args[1], &en.reason) != 0) {
		log_err("unknown reason '%s' (lost, stolen, cloned, tampered, "
				"replaced, revoked)",
			o.args[1]);
		return 2;
	}
	if (o.date != NULL && parse_day(o.date, &en.since) != 0) {
		log_err("--date '%s' is not a day YYYY-MM-DD", o.date);
		return 2;
	}
	if ((caisse = caisse_id(ctx, &o)) == NULL ||
	    (keyfile = admin_path(o.key, ctx->cfg.caisse_doc_key, "--key",
				  "[caisse] document_key")) == NULL)
		return 2;
	card_id_format(en.serial, serial, sizeof(serial));
	if (admin_read_signing_key(keyfile, priv) != 0 || caisse_open(ctx, &o, &st) != 0)
		goto out;
	e = st.hotlist_doc_latest(st.cls, &version, NULL, NULL);
	if (e != SSA_ERR_OK && e != SSA_ERR_NOT_FOUND) {
		caisse_db_failed(e);
		goto out;
	}
	if (version == UINT32_MAX) {
		log_err("the hot list's version cannot go higher");
		goto out;
	}
	en.version = ++version;
	e = add ? st.hot_card_put(st.cls, &en) : st.hot_card_del(st.cls, en.serial);
	if (e == SSA_ERR_EXISTS || e == SSA_ERR_NOT_FOUND) {
		log_err("card %s is %s the hot list", serial,
			add ? "on already" : "not on");
		goto out;
	}
	if (e != SSA_ERR_OK) {
		caisse_db_failed(e);
		goto out;
	}
	/* the card's state follows, when the caisse issued it */
	e = st.issued_card_state(st.cls, serial, add ? "blocked" : "active");
	if (e != SSA_ERR_OK && e != SSA_ERR_NOT_FOUND) {
		caisse_db_failed(e);
		goto out;
	}
	if (publish(&st, caisse, version, priv, &cards) != 0)
		goto out;
	rc = 0;
out:
	rc = caisse_close(&st, rc);
	if (rc == 0)
		printf("card %s %s the hot list: version %u, %zu cards\n", serial,
		       add ? "added to" : "removed from", version, cards);
	OPENSSL_cleanse(priv, sizeof(priv));
	return rc;
}

static int
cmd_list(struct admin_ctx *ctx, int argc, char **argv)
{
	struct caisse_opts o;
	struct caisse_store st;
	struct hotlist *l = NULL;
	struct convention_error err = { 0 };
	uint32_t version = 0;
	char *text = NULL, serial[17], day[16];
	size_t len = 0;
	enum ssa_err e;
	int rc = 1;

	if (caisse_opts_parse(argc, argv, &o) != 0 || o.nargs != 0)
		return hot_usage(stderr);
	if (caisse_open(ctx, &o, &st) != 0)
		return 1;
	e = st.hotlist_doc_latest(st.cls, &version, &text, &len);
	if (e == SSA_ERR_NOT_FOUND) {
		printf("no hot list yet\n");
		rc = 0;
	} else if (e != SSA_ERR_OK) {
		caisse_db_failed(e);
	} else if ((e = hotlist_parse(text, len, &l, &err)) != SSA_ERR_OK) {
		log_err("the stored hot list does not parse (line %u: %s)",
			err.line, err.msg);
	} else {
		printf("hot list of %s, version %u, %zu cards\n", l->caisse, l->version, l->n);
		for (size_t i = 0; i < l->n; i++) {
			card_id_format(l->entries[i].serial, serial, sizeof(serial));
			convention_date_format(l->entries[i].since, day, sizeof(day));
			printf("%s %s %s\n", serial, day, hotlist_reason_word(l->entries[i].reason));
		}
		rc = 0;
	}
	hotlist_free(l);
	free(text);
	return caisse_close(&st, rc);
}

int
admin_cmd_hotlist(struct admin_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return hot_usage(stderr);
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "add") == 0)
		return cmd_change(ctx, argc - 1, argv + 1, 1);
	if (strcmp(argv[1], "remove") == 0)
		return cmd_change(ctx, argc - 1, argv + 1, 0);
	if (strcmp(argv[1], "list") == 0)
		return cmd_list(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		hot_usage(stdout);
		return 0;
	}
	return hot_usage(stderr);
}
