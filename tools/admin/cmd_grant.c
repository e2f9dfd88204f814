/* cmd_grant.c — `ssa-admin grant`: the caisse's signed batches of monthly grants (ssa/grant.h).
 *
 *   ssa-admin grant sign --key KEY --caisse C --period YYYYMM [--outlet O]
 *                        [--policy expire|rollover:CAP] < grants.csv > batch
 *   ssa-admin grant verify --key PUBLIC [--caisse C] [--period YYYYMM] < batch
 *   ssa-admin grant make --period YYYYMM [--outlet O] [--policy P] [--key KEY] [--rules FILE]
 *   ssa-admin grant show --period YYYYMM [--outlet O]
 *   ssa-admin grant list
 *
 * KEY is the caisse's document key (`ssa-admin list keygen`), the one that signs its convention
 * lists.  Each CSV line is `card,<16 hex serial>,<amount euros>` or `member,<16 hex id>,<amount>`
 * with an optional 4th column, the grant id (a decimal number, or 16 hex digits as in a batch);
 * without it the grant lines get the ids 1, 2, 3 ... in line order.  Blank lines and lines
 * starting with '#' are skipped.  Nothing is written unless every line is right; a bad line is
 * reported with its number.  docs/caisse.md has the batch format.
 *
 * `grant make` works on the caisse's database (cmd_caisse.c): each household with members gets
 * one grant, to its holder (a member grant, so that it reaches a replacement card), of the
 * amount its members' births give by the household rules; the batch is signed and stored for
 * GET /v1/grants, once per month and outlet.
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
#include "ssa/grant.h"
#include "ssa/money.h"
#include "caisse_admin.h"

struct grant_opts {
	const char *key, *caisse, *period, *outlet, *policy, *db;
};

static int
grant_usage(FILE *out)
{
	fprintf(out,
		"usage: ssa-admin grant sign --key KEY --caisse C --period YYYYMM [--outlet O]\n"
		"                 [--policy expire|rollover:CAP] < grants.csv > batch.txt\n"
		"       ssa-admin grant verify --key PUBLIC [--caisse C] [--period YYYYMM] "
		"< batch.txt\n"
		"       ssa-admin grant make --period YYYYMM [--outlet O] [--policy P] [--key KEY]\n"
		"                 [--rules FILE] [--caisse C] [--db DB]\n"
		"       ssa-admin grant show --period YYYYMM [--outlet O] [--db DB]\n"
		"       ssa-admin grant list [--db DB]\n"
		"  grants.csv: card|member,<16 hex id>,<amount euros>[,<grant id>]\n");
	return 2;
}

static int
parse_opts(int argc, char **argv, struct grant_opts *o)
{
	const struct admin_opt opts[] = {
		{ "key", &o->key }, { "caisse", &o->caisse }, { "period", &o->period },
		{ "outlet", &o->outlet }, { "policy", &o->policy }, { "db", &o->db },
		{ NULL, NULL },
	};

	memset(o, 0, sizeof(*o));
	return admin_getopt(argc, argv, opts);
}

int
caisse_parse_period(const char *text, int32_t *period)
{
	int32_t p = 0;

	if (text == NULL || strlen(text) != 6)
		goto bad;
	for (int i = 0; i < 6; i++) {
		if (text[i] < '0' || text[i] > '9')
			goto bad;
		p = p * 10 + (text[i] - '0');
	}
	if (p < 100001 || p % 100 < 1 || p % 100 > 12)
		goto bad;
	*period = p;
	return 0;
bad:
	log_err("period '%s' is not a month YYYYMM", text ? text : "");
	return -1;
}

int
caisse_parse_serial(const char *text, uint64_t *out)
{
	if (strlen(text) != 16 || card_id_parse(text, out) != SSA_ERR_OK || *out == 0)
		return -1;
	return 0;
}

/* One grant line of the CSV, with where it was. */
struct grant_row {
	struct grant g;
	unsigned line;
};

static int
cmp_id(const void *a, const void *b)
{
	const struct grant_row *x = a, *y = b;

	if (x->g.id != y->g.id)
		return x->g.id < y->g.id ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int
cmp_holder(const void *a, const void *b)
{
	const struct grant_row *x = *(const struct grant_row *const *)a;
	const struct grant_row *y = *(const struct grant_row *const *)b;

	if (x->g.target != y->g.target)
		return x->g.target < y->g.target ? -1 : 1;
	if (x->g.holder != y->g.holder)
		return x->g.holder < y->g.holder ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* The 4th column: 16 hex digits as in a batch, else a positive decimal. */
static int
parse_grant_id(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = strlen(s);

	if (n == 16)
		return caisse_parse_serial(s, out);
	if (n == 0 || n > 18 || s[0] == '0')
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Read the CSV of @p text into @p *rows (malloc'd, caller frees), sorted by grant id, checked:
 * every line well formed, no id or holder twice.  -1 after a message naming the line. */
static int
read_grant_csv(const char *text, size_t len, struct grant_row **rows, size_t *n)
{
	struct csv_reader r;
	struct grant_row *v = NULL, **ix = NULL;
	size_t cap = 0, count = 0;
	uint64_t next_id = 1;
	enum ssa_err e;
	int rc = -1;

	csv_init(&r, text, len);
	while ((e = csv_next(&r)) != SSA_ERR_NOT_FOUND) {
		struct grant_row row = { .line = r.line };
		char **f = r.field;

		if (e != SSA_ERR_OK) {
			log_err("line %u: %s", r.line,
				e == SSA_ERR_TOO_LONG ? "too many fields" : "bad quoting");
			goto out;
		}
		if (f[0][0] == '#')
			continue;
		if (r.nfields != 3 && r.nfields != 4) {
			log_err("line %u: expected 'card|member,<16 hex id>,<amount "
				"euros>[,<grant id>]', found %zu fields",
				r.line, r.nfields);
			goto out;
		}
		if (strcmp(f[0], "card") == 0)
			row.g.target = GRANT_CARD;
		else if (strcmp(f[0], "member") == 0)
			row.g.target = GRANT_MEMBER;
		else {
			log_err("line %u: '%s' is neither 'card' nor 'member'",
				r.line, f[0]);
			goto out;
		}
		if (caisse_parse_serial(f[1], &row.g.holder) != 0) {
			log_err("line %u: %s id '%s' is not 16 hex digits (not all zero)",
				r.line, f[0], f[1]);
			goto out;
		}
		if (money_parse(f[2], &row.g.amount) != SSA_ERR_OK || row.g.amount < 1 ||
		    row.g.amount > CARD_BALANCE_MAX) {
			log_err("line %u: amount '%s' is not 0.01 to %d.00 euros",
				r.line, f[2], CARD_BALANCE_MAX / 100);
			goto out;
		}
		if (r.nfields == 4) {
			if (parse_grant_id(f[3], &row.g.id) != 0) {
				log_err("line %u: grant id '%s' is neither a positive "
					"number nor 16 hex digits",
					r.line, f[3]);
				goto out;
			}
		} else {
			row.g.id = next_id;
		}
		next_id++;
		if (count == GRANT_MAX_GRANTS) {
			log_err("line %u: more than %d grants", r.line,
				GRANT_MAX_GRANTS);
			goto out;
		}
		if (count == cap) {
			size_t nc = cap ? cap * 2 : 256;
			void *p = realloc(v, nc * sizeof(*v));
			if (p == NULL)
				goto nomem;
			v = p;
			cap = nc;
		}
		v[count++] = row;
	}
	if (count == 0) {
		log_err("no grant lines in the input");
		goto out;
	}
	qsort(v, count, sizeof(*v), cmp_id);
	for (size_t i = 1; i < count; i++)
		if (v[i].g.id == v[i - 1].g.id) {
			log_err("line %u: grant id %llu already given on line %u",
				v[i].line, (unsigned long long)v[i].g.id, v[i - 1].line);
			goto out;
		}
	if ((ix = malloc(count * sizeof(*ix))) == NULL)
		goto nomem;
	for (size_t i = 0; i < count; i++)
		ix[i] = &v[i];
	qsort(ix, count, sizeof(*ix), cmp_holder);
	for (size_t i = 1; i < count; i++)
		if (ix[i]->g.target == ix[i - 1]->g.target &&
		    ix[i]->g.holder == ix[i - 1]->g.holder) {
			log_err("line %u: this %s has a grant already on line %u",
				ix[i]->line, ix[i]->g.target == GRANT_CARD ? "card" : "member",
				ix[i - 1]->line);
			goto out;
		}
	*rows = v;
	*n = count;
	v = NULL;
	rc = 0;
	goto out;
nomem:
	log_err("out of memory");
out:
	free(ix);
	free(v);
	csv_fini(&r);
	return rc;
}

int
caisse_set_policy(struct grant_batch *b, const char *text)
{
	int64_t cap = 0;

	if (strcmp(text, "expire") == 0) {
		if (grant_batch_set_policy(b, CARD_RELOAD_EXPIRE, 0) == SSA_ERR_OK)
			return 0;
	} else if (strncmp(text, "rollover:", 9) == 0 && money_parse(text + 9, &cap) == SSA_ERR_OK &&
		   grant_batch_set_policy(b, CARD_RELOAD_ROLLOVER, cap) == SSA_ERR_OK) {
		return 0;
	}
	log_err("policy '%s' is neither 'expire' nor 'rollover:<cap euros, 0 to %d>'",
		text, CARD_BALANCE_MAX / 100);
	return -1;
}

int
caisse_batch_sign(struct grant_batch *b, const uint8_t priv[32], char **text, size_t *len)
{
	struct grant_batch *check = NULL;
	struct convention_error err = { 0 };
	enum ssa_err e;

	if ((e = grant_batch_sign(b, priv, text, len)) != SSA_ERR_OK) {
		log_err("cannot sign the batch: %s", ssa_strerror(e));
		return -1;
	}
	/* Never sign what a till would refuse: the signed text must parse. */
	if ((e = grant_batch_parse(*text, *len, &check, &err)) != SSA_ERR_OK) {
		log_err("the signed batch does not parse (line %u: %s)",
			err.line, err.msg);
		free(*text);
		*text = NULL;
		return -1;
	}
	grant_batch_free(check);
	return 0;
}

int
caisse_batch_total(const struct grant_batch *b, int64_t *total)
{
	int64_t t = 0;

	for (size_t i = 0; i < b->n; i++)
		if (money_add(t, b->grants[i].amount, &t) != SSA_ERR_OK)
			return -1;
	*total = t;
	return 0;
}

static int
cmd_sign(int argc, char **argv)
{
	struct grant_opts o;
	struct grant_row *rows = NULL;
	struct grant_batch *b = NULL;
	uint8_t priv[32];
	char *in = NULL, *out = NULL, total_s[32];
	size_t n = 0, len = 0, olen = 0;
	int32_t period;
	int64_t total = 0;
	enum ssa_err e;
	int i, rc = 1;

	i = parse_opts(argc, argv, &o);
	if (i < 0 || i != argc || o.key == NULL || o.caisse == NULL || o.period == NULL ||
	    o.db != NULL)
		return grant_usage(stderr);
	if (caisse_parse_period(o.period, &period) != 0)
		return 2;
	e = grant_batch_new(o.caisse, period, o.outlet ? o.outlet : "*", &b);
	if (e != SSA_ERR_OK) {
		log_err("grant sign: bad caisse id '%s' or outlet '%s' ([A-Za-z0-9._-], "
			"at most %d and %d)",
			o.caisse, o.outlet ? o.outlet : "*", GRANT_CAISSE_MAX, GRANT_OUTLET_MAX);
		return 2;
	}
	if (o.policy != NULL && caisse_set_policy(b, o.policy) != 0) {
		grant_batch_free(b);
		return 2;
	}
	if (admin_read_signing_key(o.key, priv) != 0)
		goto out;
	if ((in = admin_read_stream(stdin, GRANT_MAX_BYTES, &len)) == NULL) {
		log_err("standard input: %s", strerror(errno));
		goto out;
	}
	if (read_grant_csv(in, len, &rows, &n) != 0)
		goto out;
	for (size_t k = 0; k < n; k++)
		if ((e = grant_batch_add(b, &rows[k].g)) != SSA_ERR_OK) {
			log_err("line %u: %s", rows[k].line, ssa_strerror(e));
			goto out;
		}
	if (caisse_batch_total(b, &total) != 0) {
		log_err("the total of the batch is out of range");
		goto out;
	}
	if (caisse_batch_sign(b, priv, &out, &olen) != 0 || admin_write_stdout(out, olen) != 0)
		goto out;
	money_format_plain(total, total_s, sizeof(total_s));
	log_info("signed grants of %s for %06d, outlet %s: %zu grants, %s euros",
		b->caisse, (int)b->period, b->outlet, b->n, total_s);
	rc = 0;
out:
	OPENSSL_cleanse(priv, sizeof(priv));
	grant_batch_free(b);
	free(rows);
	free(out);
	free(in);
	return rc;
}

static int
cmd_verify(int argc, char **argv)
{
	struct grant_opts o;
	struct grant_batch *b = NULL;
	struct convention_error err = { 0 };
	uint8_t pub[32];
	char *in = NULL, total_s[32];
	size_t len = 0;
	int32_t period = 0;
	int64_t total = 0;
	enum ssa_err e;
	int i, rc = 1;

	i = parse_opts(argc, argv, &o);
	if (i < 0 || i != argc || o.key == NULL || o.outlet || o.policy || o.db)
		return grant_usage(stderr);
	if (o.period != NULL && caisse_parse_period(o.period, &period) != 0)
		return 2;
	if (admin_read_key(o.key, 0, pub) != 0)
		return 1;
	if ((in = admin_read_stream(stdin, GRANT_MAX_BYTES, &len)) == NULL) {
		log_err("standard input: %s", strerror(errno));
		return 1;
	}
	e = grant_batch_load(in, len, pub, o.caisse, &b, &err);
	if (e != SSA_ERR_OK) {
		if (err.line != 0)
			log_err("line %u: %s", err.line, err.msg);
		else
			log_err("%s", err.msg[0] ? err.msg : ssa_strerror(e));
		goto out;
	}
	if (period != 0 && b->period != period) {
		log_err("the batch is for %06d, not %06d", (int)b->period,
			(int)period);
		goto out;
	}
	if (caisse_batch_total(b, &total) != 0) {
		log_err("the total of the batch is out of range");
		goto out;
	}
	money_format_plain(total, total_s, sizeof(total_s));
	printf("signature ok: grants of %s for %06d, outlet %s, %zu grants, %s euros, ", b->caisse,
	       (int)b->period, b->outlet, b->n, total_s);
	if (b->policy == CARD_RELOAD_ROLLOVER) {
		money_format_plain(b->cap, total_s, sizeof(total_s));
		printf("rollover up to %s euros\n", total_s);
	} else {
		printf("old balance expires\n");
	}
	rc = 0;
out:
	grant_batch_free(b);
	free(in);
	return rc;
}

/* --- the caisse's database: making, listing and showing a month's batch ----------------------- */

struct hh_vec {
	struct caisse_household *v;
	size_t n, cap;
};

static enum ssa_err
collect_household(void *ctx, const struct caisse_household *h)
{
	struct hh_vec *hv = ctx;

	if (hv->n == hv->cap) {
		size_t nc = hv->cap ? hv->cap * 2 : 64;
		void *p = realloc(hv->v, nc * sizeof(*hv->v));
		if (p == NULL)
			return SSA_ERR_NOMEM;
		hv->v = p;
		hv->cap = nc;
	}
	hv->v[hv->n++] = *h;
	return SSA_ERR_OK;
}

static int
cmd_make(struct admin_ctx *ctx, int argc, char **argv)
{
	struct caisse_opts o;
	struct caisse_store st = { 0 };
	struct household_rules rules;
	struct hh_vec hv = { 0 };
	struct grant_batch *b = NULL;
	const char *caisse, *keyfile;
	uint8_t priv[32];
	char *text = NULL, total_s[32];
	size_t len = 0, skipped = 0;
	uint64_t first = 0, next = 0;
	int32_t period;
	int64_t total = 0;
	enum ssa_err e;
	int rc = 1;

	if (caisse_opts_parse(argc, argv, &o) != 0 || o.nargs != 0 || o.period == NULL)
		return grant_usage(stderr);
	if (caisse_parse_period(o.period, &period) != 0 ||
	    caisse_load_rules(ctx, o.rules, &rules) != 0 || (caisse = caisse_id(ctx, &o)) == NULL ||
	    (keyfile = admin_path(o.key, ctx->cfg.caisse_doc_key, "--key",
				  "[caisse] document_key")) == NULL)
		return 2;
	if (grant_batch_new(caisse, period, o.outlet ? o.outlet : "*", &b) != SSA_ERR_OK) {
		log_err("bad caisse id '%s' or outlet '%s'", caisse,
			o.outlet ? o.outlet : "*");
		return 2;
	}
	if (o.policy != NULL && caisse_set_policy(b, o.policy) != 0) {
		grant_batch_free(b);
		return 2;
	}
	if (admin_read_signing_key(keyfile, priv) != 0 || caisse_open(ctx, &o, &st) != 0)
		goto out;
	e = st.grant_batch_get(st.cls, period, b->outlet, &text, &len);
	free(text);
	text = NULL;
	if (e == SSA_ERR_OK) {
		log_err("the grants of %06d for outlet %s were made already",
			(int)period, b->outlet);
		goto out;
	}
	if (e != SSA_ERR_NOT_FOUND || (e = st.grant_next_id(st.cls, &next)) != SSA_ERR_OK ||
	    (e = st.household_scan(st.cls, collect_household, &hv)) != SSA_ERR_OK) {
		caisse_db_failed(e);
		goto out;
	}
	first = next;
	for (size_t i = 0; i < hv.n; i++) {
		struct grant g = { .id = next, .target = GRANT_MEMBER };
		unsigned adults, children;

		if (hv.v[i].members == 0) {
			skipped++;
			continue;
		}
		if (caisse_household_amount(&st, &rules, hv.v[i].id, period, &g.amount, &adults,
					    &children) != 0)
			goto out;
		if (caisse_parse_serial(hv.v[i].holder, &g.holder) != 0) {
			log_err("household %s has no holder", hv.v[i].id);
			goto out;
		}
		if ((e = grant_batch_add(b, &g)) != SSA_ERR_OK) {
			log_err("household %s: amount out of range (%s)",
				hv.v[i].id, ssa_strerror(e));
			goto out;
		}
		next++;
	}
	if (b->n == 0) {
		log_err("no household has members: no grants to make");
		goto out;
	}
	if (caisse_batch_total(b, &total) != 0) {
		log_err("the total of the batch is out of range");
		goto out;
	}
	if (caisse_batch_sign(b, priv, &text, &len) != 0)
		goto out;
	if ((e = st.grant_batch_put(st.cls, b, text, len, (int64_t)time(NULL) * 1000)) !=
	    SSA_ERR_OK) {
		caisse_db_failed(e);
		goto out;
	}
	rc = 0;
out:
	rc = caisse_close(&st, rc);
	if (rc == 0) {
		money_format_plain(total, total_s, sizeof(total_s));
		printf("grants of %s for %06d, outlet %s: %zu households, %s euros, grant ids %llu "
		       "to %llu",
		       b->caisse, (int)b->period, b->outlet, b->n, total_s,
		       (unsigned long long)first, (unsigned long long)(next - 1));
		if (skipped)
			printf(" (%zu without members: no grant)", skipped);
		printf("\n");
	}
	OPENSSL_cleanse(priv, sizeof(priv));
	grant_batch_free(b);
	free(hv.v);
	free(text);
	return rc;
}

static int
cmd_show(struct admin_ctx *ctx, int argc, char **argv)
{
	struct caisse_opts o;
	struct caisse_store st;
	char *text = NULL;
	size_t len = 0;
	int32_t period;
	enum ssa_err e;
	int rc = 1;

	if (caisse_opts_parse(argc, argv, &o) != 0 || o.nargs != 0 || o.period == NULL)
		return grant_usage(stderr);
	if (caisse_parse_period(o.period, &period) != 0)
		return 2;
	if (caisse_open(ctx, &o, &st) != 0)
		return 1;
	e = st.grant_batch_get(st.cls, period, o.outlet ? o.outlet : "*", &text, &len);
	if (e == SSA_ERR_NOT_FOUND)
		log_err("no grants of %06d for outlet %s", (int)period,
			o.outlet ? o.outlet : "*");
	else if (e != SSA_ERR_OK)
		caisse_db_failed(e);
	else
		rc = admin_write_stdout(text, len) != 0;
	free(text);
	return caisse_close(&st, rc);
}

static enum ssa_err
print_batch(void *ctx, int32_t period, const char *outlet, size_t grants, int64_t total,
	    int64_t made_ms)
{
	char t[32];

	(void)ctx;
	(void)made_ms;
	money_format_plain(total, t, sizeof(t));
	printf("%06d outlet %s grants %zu total %s\n", (int)period, outlet, grants, t);
	return SSA_ERR_OK;
}

static int
cmd_list(struct admin_ctx *ctx, int argc, char **argv)
{
	struct caisse_opts o;
	struct caisse_store st;
	enum ssa_err e;

	if (caisse_opts_parse(argc, argv, &o) != 0 || o.nargs != 0)
		return grant_usage(stderr);
	if (caisse_open(ctx, &o, &st) != 0)
		return 1;
	e = st.grant_batch_scan(st.cls, print_batch, NULL);
	return caisse_close(&st, e != SSA_ERR_OK ? caisse_db_failed(e) : 0);
}

int
admin_cmd_grant(struct admin_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return grant_usage(stderr);
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "make") == 0)
		return cmd_make(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return cmd_list(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		grant_usage(stdout);
		return 0;
	}
	return grant_usage(stderr);
}
