/* cmd_caisse.c — ssa-admin's commands on the caisse's database (ssa/caisse_store.h): households,
 * members and their cards, outlets and their terminals; publishing convention lists.
 *
 *   ssa-admin household add [ID]
 *   ssa-admin household set ID --holder MEMBER
 *   ssa-admin household list [--period YYYYMM [--rules FILE]]
 *   ssa-admin member add [ID] --household H --birth YYYY-MM-DD [--card SERIAL]
 *   ssa-admin member card MEMBER SERIAL
 *   ssa-admin member list [--household H]
 *   ssa-admin outlet add ID NAME
 *   ssa-admin outlet attach OUTLET TERMINAL...
 *   ssa-admin outlet list
 *   ssa-admin list publish FILE [--key PUBLIC]
 *   ssa-admin caisse settlement --period YYYYMM [--outlet O] [--separator ';'] [--caisse C]
 *   ssa-admin caisse closings [--terminal T]
 *   ssa-admin caisse anomalies
 *   ssa-admin caisse ledger [--card CARD] [--opening AMOUNT] [--policy expire|rollover:CAP]
 *                           [--caisse C]
 * (settlement and ledger count only caisse C's records: docs/caisse.md, "Whose records")
 *
 * Every command takes --db DB (else [caisse] database) and --caisse ID (else [caisse] id) where
 * it needs them.  Households and members have pseudonymous ids of 16 hex digits (the member id is
 * the one on the member's card); without one a random id is made and printed.  A member's birth
 * day is what the household rule needs (docs/caisse.md): nothing else about a person is kept.
 * Each command is one transaction: it changes everything it says or nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "admin.h"
#include "caisse_admin.h"
#include "ssa/caisse_books.h"
#include "ssa/caisse_store.h"
#include "ssa/card.h"
#include "ssa/convention.h"
#include "ssa/household.h"
#include "ssa/journal.h"
#include "ssa/ledger.h"
#include "ssa/money.h"
#include "ssa/settlement.h"

#define LIST_MAX_BYTES (256u << 20)

int
caisse_opts_parse(int argc, char **argv, struct caisse_opts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "caisse", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "rules", required_argument, NULL, 'r' },
		{ "period", required_argument, NULL, 'p' },
		{ "outlet", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'P' },
		{ "household", required_argument, NULL, 'H' },
		{ "holder", required_argument, NULL, 'h' },
		{ "birth", required_argument, NULL, 'b' },
		{ "card", required_argument, NULL, 'C' },
		{ "date", required_argument, NULL, 'D' },
		{ "terminal", required_argument, NULL, 't' },
		{ "separator", required_argument, NULL, 's' },
		{ "opening", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'c': o->caisse = optarg; break;
		case 'k': o->key = optarg; break;
		case 'r': o->rules = optarg; break;
		case 'p': o->period = optarg; break;
		case 'o': o->outlet = optarg; break;
		case 'P': o->policy = optarg; break;
		case 'H': o->household = optarg; break;
		case 'h': o->holder = optarg; break;
		case 'b': o->birth = optarg; break;
		case 'C': o->card = optarg; break;
		case 'D': o->date = optarg; break;
		case 't': o->terminal = optarg; break;
		case 's': o->separator = optarg; break;
		case 'O': o->opening = optarg; break;
		default: return -1;
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return 0;
}

int
caisse_open(struct admin_ctx *ctx, const struct caisse_opts *o, struct caisse_store *st)
{
	const char *path = admin_path(o->db, ctx->cfg.caisse_db, "--db", "[caisse] database");
	enum ssa_err e;

	memset(st, 0, sizeof(*st));
	if (path == NULL)
		return -1;
	if ((e = caisse_store_sqlite_open(path, st)) != SSA_ERR_OK) {
		fprintf(stderr, "ssa-admin: %s: %s\n", path, ssa_strerror(e));
		return -1;
	}
	if ((e = st->begin(st->cls)) != SSA_ERR_OK) {
		fprintf(stderr, "ssa-admin: %s: %s\n", path, ssa_strerror(e));
		st->close(st->cls);
		memset(st, 0, sizeof(*st));
		return -1;
	}
	return 0;
}

int
caisse_close(struct caisse_store *st, int rc)
{
	if (st->cls == NULL)
		return rc;
	if (rc == 0 && st->commit(st->cls) != SSA_ERR_OK) {
		fprintf(stderr, "ssa-admin: the database could not commit: nothing changed\n");
		rc = 1;
	}
	if (rc != 0)
		st->rollback(st->cls);
	st->close(st->cls);
	memset(st, 0, sizeof(*st));
	return rc;
}

const char *
caisse_id(struct admin_ctx *ctx, const struct caisse_opts *o)
{
	return admin_path(o->caisse, ctx->cfg.caisse_id, "--caisse", "[caisse] id");
}

int
caisse_db_failed(enum ssa_err e)
{
	fprintf(stderr, "ssa-admin: the caisse's database failed (%s): nothing changed\n",
		ssa_strerror(e));
	return 1;
}

/* @p text as an id of 16 hex digits in canonical form into @p out (17 bytes); NULL @p text: a
 * random one.  -1 after a message naming @p what. */
static int
hex_id(const char *text, const char *what, char out[CAISSE_HEX_ID_LEN + 1])
{
	uint64_t v = 0;

	if (text == NULL) {
		while (v == 0)
			if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
				fprintf(stderr, "ssa-admin: no random numbers: %s\n",
					strerror(errno));
				return -1;
			}
	} else if (caisse_parse_serial(text, &v) != 0) {
		fprintf(stderr, "ssa-admin: %s '%s' is not 16 hex digits (not all zero)\n", what,
			text);
		return -1;
	}
	card_id_format(v, out, CAISSE_HEX_ID_LEN + 1);
	return 0;
}

int
caisse_parse_day(const char *text, int32_t *day)
{
	if (text != NULL && strlen(text) == 10 && convention_date_parse(text, day) == SSA_ERR_OK)
		return 0;
	fprintf(stderr, "ssa-admin: '%s' is not a day YYYY-MM-DD\n", text ? text : "");
	return -1;
}

/* A birth day "YYYY-MM-DD" (any year: convention dates start in 2000), checked to be a calendar
 * day by the household module itself. */
static int
parse_birth(const char *text, int32_t *day)
{
	int32_t v = 0, age;

	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (text[i] != '-')
				goto bad;
			continue;
		}
		if (text[i] < '0' || text[i] > '9')
			goto bad;
		v = v * 10 + (text[i] - '0');
	}
	if (text[10] != '\0' || household_age(v, v, &age) != SSA_ERR_OK)
		goto bad;
	*day = v;
	return 0;
bad:
	fprintf(stderr, "ssa-admin: birth '%s' is not a day YYYY-MM-DD\n", text);
	return -1;
}

int
caisse_load_rules(struct admin_ctx *ctx, const char *given, struct household_rules *r)
{
	const char *path = admin_path(given, ctx->cfg.caisse_rules, "--rules",
				      "[caisse] household_rules");
	struct convention_error err = { 0 };
	char *text;
	size_t len = 0;
	enum ssa_err e;

	if (path == NULL)
		return -1;
	if ((text = admin_read_file(path, HOUSEHOLD_MAX_TEXT, &len)) == NULL) {
		fprintf(stderr, "ssa-admin: %s: %s\n", path, strerror(errno));
		return -1;
	}
	e = household_rules_parse(text, len, r, &err);
	free(text);
	if (e != SSA_ERR_OK) {
		fprintf(stderr, "ssa-admin: %s:%u: %s\n", path, err.line,
			err.msg[0] ? err.msg : ssa_strerror(e));
		return -1;
	}
	return 0;
}

/* --- households ------------------------------------------------------------------------------ */

/* The births of one household's members, gathered by member_scan. */
struct births {
	int32_t v[HOUSEHOLD_MAX_MEMBERS];
	size_t n;
	int too_many;
};

static enum ssa_err
add_birth(void *ctx, const struct caisse_member *m)
{
	struct births *b = ctx;

	if (b->n == HOUSEHOLD_MAX_MEMBERS) {
		b->too_many = 1;
		return SSA_ERR_OK;
	}
	b->v[b->n++] = m->birth;
	return SSA_ERR_OK;
}

int
caisse_household_amount(struct caisse_store *st, const struct household_rules *rules,
			const char *household, int32_t period, int64_t *amount, unsigned *adults,
			unsigned *children)
{
	struct births b = { .n = 0 };
	enum ssa_err e;

	if ((e = st->member_scan(st->cls, household, add_birth, &b)) != SSA_ERR_OK) {
		caisse_db_failed(e);
		return -1;
	}
	if (b.too_many) {
		fprintf(stderr, "ssa-admin: household %s has more than %d members\n", household,
			HOUSEHOLD_MAX_MEMBERS);
		return -1;
	}
	if (b.n == 0) {
		*amount = 0;
		*adults = *children = 0;
		return 0;
	}
	e = household_amount(rules, b.v, b.n, period, amount, adults, children);
	if (e != SSA_ERR_OK) {
		fprintf(stderr, "ssa-admin: household %s: %s (a member born after the first day of "
				"%06d?)\n",
			household, ssa_strerror(e), (int)period);
		return -1;
	}
	return 0;
}

static int
household_add(struct admin_ctx *ctx, struct caisse_opts *o)
{
	struct caisse_store st;
	char id[CAISSE_HEX_ID_LEN + 1];
	enum ssa_err e;
	int rc = 1;

	if (o->nargs > 1)
		return caisse_usage();
	if (hex_id(o->nargs ? o->args[0] : NULL, "household id", id) != 0)
		return 2;
	if (caisse_open(ctx, o, &st) != 0)
		return 1;
	e = st.household_put(st.cls, id);
	if (e == SSA_ERR_EXISTS)
		fprintf(stderr, "ssa-admin: household %s exists already\n", id);
	else if (e != SSA_ERR_OK)
		caisse_db_failed(e);
	else {
		printf("household %s\n", id);
		rc = 0;
	}
	return caisse_close(&st, rc);
}

static int
household_set(struct admin_ctx *ctx, struct caisse_opts *o)
{
	struct caisse_store st;
	char id[CAISSE_HEX_ID_LEN + 1], holder[CAISSE_HEX_ID_LEN + 1];
	enum ssa_err e;
	int rc = 1;

	if (o->nargs != 1 || o->holder == NULL)
		return caisse_usage();
	if (hex_id(o->args[0], "household id", id) != 0 ||
	    hex_id(o->holder, "member id", holder) != 0)
		return 2;
	if (caisse_open(ctx, o, &st) != 0)
		return 1;
	e = st.household_set_holder(st.cls, id, holder);
	if (e == SSA_ERR_NOT_FOUND)
		fprintf(stderr, "ssa-admin: no household %s with a member %s\n", id, holder);
	else if (e != SSA_ERR_OK)
		caisse_db_failed(e);
	else {
		printf("household %s: grants go to member %s\n", id, holder);
		rc = 0;
	}
	return caisse_close(&st, rc);
}

struct household_print {
	struct caisse_store *st;
	const struct household_rules *rules; /* NULL: no amounts */
	int32_t period;
	int failed;
};

static enum ssa_err
print_household(void *ctx, const struct caisse_household *h)
{
	struct household_print *p = ctx;
	int64_t amount;
	unsigned adults, children;
	char a[32];

	printf("%s holder %s members %u", h->id, h->holder[0] ? h->holder : "-", h->members);
	if (p->rules != NULL) {
		if (caisse_household_amount(p->st, p->rules, h->id, p->period, &amount, &adults,
					    &children) != 0) {
			p->failed = 1;
			printf("\n");
			return SSA_ERR_OK;
		}
		money_format_plain(amount, a, sizeof(a));
		printf(" adults %u children %u amount %s", adults, children, a);
	}
	printf("\n");
	return SSA_ERR_OK;
}

static int
household_list(struct admin_ctx *ctx, struct caisse_opts *o)
{
	struct caisse_store st;
	struct household_rules rules;
	struct household_print p = { .st = &st };
	enum ssa_err e;

	if (o->nargs != 0 || (o->rules && !o->period))
		return caisse_usage();
	if (o->period != NULL) {
		if (caisse_parse_period(o->period, &p.period) != 0 ||
		    caisse_load_rules(ctx, o->rules, &rules) != 0)
			return 2;
		p.rules = &rules;
	}
	if (caisse_open(ctx, o, &st) != 0)
		return 1;
	if ((e = st.household_scan(st.cls, print_household, &p)) != SSA_ERR_OK)
		return caisse_close(&st, caisse_db_failed(e));
	return caisse_close(&st, p.failed);
}

/* --- members and their cards ----------------------------------------------------------------- */

static int
put_card(struct caisse_store *st, const char *caisse, const char *member, const char *serial)
{
	struct caisse_card c = { .state = "active" };
	enum ssa_err e;

	if (hex_id(serial, "card serial", c.serial) != 0)
		return -1;
	if (strlen(caisse) > GRANT_CAISSE_MAX) {
		fprintf(stderr, "ssa-admin: caisse id '%s' longer than %d\n", caisse,
			GRANT_CAISSE_MAX);
		return -1;
	}
	snprintf(c.member, sizeof(c.member), "%s", member);
	snprintf(c.caisse, sizeof(c.caisse), "%s", caisse);
	e = st->issued_card_put(st->cls, &c);
	if (e == SSA_ERR_EXISTS)
		fprintf(stderr, "ssa-admin: card %s is registered already\n", c.serial);
	else if (e == SSA_ERR_NOT_FOUND)
		fprintf(stderr, "ssa-admin: no member %s\n", member);
	else if (e != SSA_ERR_OK)
		caisse_db_failed(e);
	else
		printf("card %s of member %s\n", c.serial, member);
	return e == SSA_ERR_OK ? 0 : -1;
}

static int
member_add(struct admin_ctx *ctx, struct caisse_opts *o)
{
	struct caisse_store st;
	struct caisse_member m = { .birth = 0 };
	const char *caisse = NULL;
	char today[16];
	int32_t now;
	time_t t = time(NULL);
	struct tm tm;
	enum ssa_err e;
	int rc = 1;

	if (o->nargs > 1 || o->household == NULL || o->birth == NULL)
		return caisse_usage();
	if (hex_id(o->nargs ? o->args[0] : NULL, "member id", m.id) != 0 ||
	    hex_id(o->household, "household id", m.household) != 0 ||
	    parse_birth(o->birth, &m.birth) != 0)
		return 2;
	gmtime_r(&t, &tm);
	now = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
	if (m.birth > now || m.birth < 18500101) {
		convention_date_format(now, today, sizeof(today));
		fprintf(stderr, "ssa-admin: birth day %s is not between 1850-01-01 and today (%s)\n",
			o->birth, today);
		return 2;
	}
	if (o->card != NULL && (caisse = caisse_id(ctx, o)) == NULL)
		return 2;
	if (caisse_open(ctx, o, &st) != 0)
		return 1;
	e = st.member_put(st.cls, &m);
	if (e == SSA_ERR_EXISTS)
		fprintf(stderr, "ssa-admin: member %s exists already\n", m.id);
	else if (e == SSA_ERR_NOT_FOUND)
		fprintf(stderr, "ssa-admin: no household %s (ssa-admin household add)\n",
			m.household);
	else if (e != SSA_ERR_OK)
		caisse_db_failed(e);
	else {
		printf("member %s in household %s\n", m.id, m.household);
		rc = o->card != NULL && put_card(&st, caisse, m.id, o->card) != 0;
	}
	return caisse_close(&st, rc);
}

static int
member_card(struct admin_ctx *ctx, struct caisse_opts *o)
{
	struct caisse_store st;
	char member[CAISSE_HEX_ID_LEN + 1];
	const char *caisse;

	if (o->nargs != 2)
		return caisse_usage();
	if (hex_id(o->args[0], "member id", member) != 0)
		return 2;
	if ((caisse = caisse_id(ctx, o)) == NULL)
		return 2;
	if (caisse_open(ctx, o, &st) != 0)
		return 1;
	return caisse_close(&st, put_card(&st, caisse, member, o->args[1]) != 0);
}

struct member_print {
	struct caisse_store *st;
	char cards[512];
	int failed;
};

static enum ssa_err
collect_card(void *ctx, const struct caisse_card *c)
{
	struct member_print *p = ctx;
	size_t n = strlen(p->cards);

	snprintf(p->cards + n, sizeof(p->cards) - n, "%s%s(%s)", n ? "," : "", c->serial,
		 c->state);
	return SSA_ERR_OK;
}

static enum ssa_err
print_member(void *ctx, const struct caisse_member *m)
{
	struct member_print *p = ctx;
	char born[16];
	enum ssa_err e;

	p->cards[0] = '\0';
	if ((e = p->st->issued_card_scan(p->st->cls, m->id, collect_card, p)) != SSA_ERR_OK)
		return e;
	convention_date_format(m->birth, born, sizeof(born));
	printf("%s household %s born %s cards %s\n", m->id, m->household, born,
	       p->cards[0] ? p->cards : "-");
	return SSA_ERR_OK;
}

static int
member_list(struct admin_ctx *ctx, struct caisse_opts *o)
{
	struct caisse_store st;
	struct member_print p = { .st = &st };
	char hh[CAISSE_HEX_ID_LEN + 1];
	enum ssa_err e;

	if (o->nargs != 0)
		return caisse_usage();
	if (o->household && hex_id(o->household, "household id", hh) != 0)
		return 2;
	if (caisse_open(ctx, o, &st) != 0)
		return 1;
	e = st.member_scan(st.cls, o->household ? hh : NULL, print_member, &p);
	return caisse_close(&st, e != SSA_ERR_OK ? caisse_db_failed(e) : 0);
}

/* --- outlets and terminals ------------------------------------------------------------------- */

static int
outlet_add(struct admin_ctx *ctx, struct caisse_opts *o)
{
	struct caisse_store st;
	enum ssa_err e;
	int rc = 1;

	if (o->nargs != 2)
		return caisse_usage();
	if (!protocol_id_valid(o->args[0]) || strlen(o->args[0]) > GRANT_OUTLET_MAX) {
		fprintf(stderr, "ssa-admin: outlet id '%s' is not 1 to %d of [A-Za-z0-9._-]\n",
			o->args[0], GRANT_OUTLET_MAX);
		return 2;
	}
	if (o->args[1][0] == '\0' || strlen(o->args[1]) > CAISSE_NAME_MAX ||
	    strpbrk(o->args[1], "\n\r\t") != NULL) {
		fprintf(stderr, "ssa-admin: an outlet's name is 1 to %d characters on one line\n",
			CAISSE_NAME_MAX);
		return 2;
	}
	if (caisse_open(ctx, o, &st) != 0)
		return 1;
	e = st.outlet_put(st.cls, o->args[0], o->args[1]);
	if (e == SSA_ERR_EXISTS)
		fprintf(stderr, "ssa-admin: outlet %s exists already\n", o->args[0]);
	else if (e != SSA_ERR_OK)
		caisse_db_failed(e);
	else {
		printf("outlet %s: %s\n", o->args[0], o->args[1]);
		rc = 0;
	}
	return caisse_close(&st, rc);
}

static int
outlet_attach(struct admin_ctx *ctx, struct caisse_opts *o)
{
	struct caisse_store st;
	enum ssa_err e;

	if (o->nargs < 2)
		return caisse_usage();
	for (int i = 1; i < o->nargs; i++)
		if (!protocol_id_valid(o->args[i])) {
			fprintf(stderr,
				"ssa-admin: terminal id '%s' is not 1 to %d of [A-Za-z0-9._-] (the CN "
				"of its certificate)\n",
				o->args[i], PROTOCOL_ID_MAX);
			return 2;
		}
	if (caisse_open(ctx, o, &st) != 0)
		return 1;
	for (int i = 1; i < o->nargs; i++) {
		e = st.terminal_attach(st.cls, o->args[i], o->args[0]);
		if (e == SSA_ERR_NOT_FOUND) {
			fprintf(stderr, "ssa-admin: no outlet %s (ssa-admin outlet add)\n",
				o->args[0]);
			return caisse_close(&st, 1);
		}
		if (e != SSA_ERR_OK)
			return caisse_close(&st, caisse_db_failed(e));
	}
	for (int i = 1; i < o->nargs; i++)
		printf("terminal %s belongs to outlet %s\n", o->args[i], o->args[0]);
	return caisse_close(&st, 0);
}

struct outlet_print {
	struct caisse_store *st;
	const char *outlet;
	char terminals[1024];
};

static enum ssa_err
collect_terminal(void *ctx, const char *terminal, const char *outlet)
{
	struct outlet_print *p = ctx;
	size_t n = strlen(p->terminals);

	if (strcmp(outlet, p->outlet) == 0)
		snprintf(p->terminals + n, sizeof(p->terminals) - n, "%s%s", n ? "," : "",
			 terminal);
	return SSA_ERR_OK;
}

static enum ssa_err
print_outlet(void *ctx, const char *id, const char *name)
{
	struct outlet_print *p = ctx;
	enum ssa_err e;

	p->outlet = id;
	p->terminals[0] = '\0';
	if ((e = p->st->terminal_scan(p->st->cls, collect_terminal, p)) != SSA_ERR_OK)
		return e;
	printf("%s terminals %s name %s\n", id, p->terminals[0] ? p->terminals : "-", name);
	return SSA_ERR_OK;
}

static int
outlet_list(struct admin_ctx *ctx, struct caisse_opts *o)
{
	struct caisse_store st;
	struct outlet_print p = { .st = &st };
	enum ssa_err e;

	if (o->nargs != 0)
		return caisse_usage();
	if (caisse_open(ctx, o, &st) != 0)
		return 1;
	e = st.outlet_scan(st.cls, print_outlet, &p);
	return caisse_close(&st, e != SSA_ERR_OK ? caisse_db_failed(e) : 0);
}

/* --- publishing convention lists ------------------------------------------------------------- */

int
admin_list_publish(struct admin_ctx *ctx, int argc, char **argv)
{
	struct caisse_opts o;
	struct caisse_store st;
	struct convention_list *l = NULL;
	struct convention_error err = { 0 };
	const char *keyfile, *caisse;
	uint8_t pub[32];
	uint32_t latest = 0;
	char *text = NULL, *dummy = NULL;
	size_t len = 0;
	enum ssa_err e;
	int rc = 1;

	if (caisse_opts_parse(argc - 1, argv + 1, &o) != 0 || o.nargs != 1)
		return caisse_usage();
	if ((keyfile = admin_path(o.key, ctx->cfg.caisse_list_key, "--key",
				  "[caisse] list_key")) == NULL ||
	    (caisse = caisse_id(ctx, &o)) == NULL)
		return 2;
	if (admin_read_key(keyfile, 0, pub) != 0)
		return 1;
	if ((text = admin_read_file(o.args[0], LIST_MAX_BYTES, &len)) == NULL) {
		fprintf(stderr, "ssa-admin: %s: %s\n", o.args[0], strerror(errno));
		return 1;
	}
	/* What the caisse hands out must be what a till accepts: signed with this key, parsed. */
	if ((e = convention_list_load(text, len, pub, &l, &err)) != SSA_ERR_OK) {
		if (err.line != 0)
			fprintf(stderr, "ssa-admin: %s:%u: %s\n", o.args[0], err.line, err.msg);
		else
			fprintf(stderr, "ssa-admin: %s: %s\n", o.args[0],
				err.msg[0] ? err.msg : ssa_strerror(e));
		goto out;
	}
	if (strcmp(l->caisse, caisse) != 0) {
		fprintf(stderr, "ssa-admin: %s is a list of caisse %s, not of %s\n", o.args[0],
			l->caisse, caisse);
		goto out;
	}
	/* Published all the same (the text is signed already), but the caisse should know. */
	if (ctx->cfg.caisse_list_max_age > 0 && l->max_age != ctx->cfg.caisse_list_max_age) {
		if (l->max_age == 0)
			fprintf(stderr,
				"ssa-admin: warning: %s has no max_age: tills use their own "
				"[till] list_max_age, not the %lld days of [caisse] list_max_age\n",
				o.args[0], (long long)ctx->cfg.caisse_list_max_age);
		else
			fprintf(stderr,
				"ssa-admin: warning: %s says max_age %u days, [caisse] "
				"list_max_age %lld\n",
				o.args[0], l->max_age, (long long)ctx->cfg.caisse_list_max_age);
	}
	if (caisse_open(ctx, &o, &st) != 0)
		goto out;
	e = st.list_latest(st.cls, caisse, &latest);
	if (e != SSA_ERR_OK && e != SSA_ERR_NOT_FOUND) {
		rc = caisse_close(&st, caisse_db_failed(e));
		goto out;
	}
	if (l->base == 0 && l->version <= latest) {
		fprintf(stderr, "ssa-admin: version %u is not above the latest published, %u\n",
			l->version, latest);
		rc = caisse_close(&st, 1);
		goto out;
	}
	if (l->base != 0) {
		/* A delta is served only with the full list of its version beside it (a terminal
		 * on another version gets that), and only makes sense on a published base. */
		uint32_t need[2] = { l->version, l->base };
		for (int i = 0; i < 2; i++) {
			e = st.list_get(st.cls, caisse, need[i], 0, &dummy, NULL);
			free(dummy);
			dummy = NULL;
			if (e == SSA_ERR_NOT_FOUND) {
				fprintf(stderr,
					"ssa-admin: publish the full list of version %u before this "
					"delta\n",
					need[i]);
				rc = caisse_close(&st, 1);
				goto out;
			}
			if (e != SSA_ERR_OK) {
				rc = caisse_close(&st, caisse_db_failed(e));
				goto out;
			}
		}
	}
	e = st.list_put(st.cls, caisse, l->version, l->base, text, len,
			(int64_t)time(NULL) * 1000);
	if (e == SSA_ERR_EXISTS) {
		fprintf(stderr, "ssa-admin: this version is published already\n");
		rc = caisse_close(&st, 1);
		goto out;
	}
	if (e != SSA_ERR_OK) {
		rc = caisse_close(&st, caisse_db_failed(e));
		goto out;
	}
	rc = caisse_close(&st, 0);
	if (rc == 0) {
		char age[40] = "";

		if (l->max_age != 0)
			snprintf(age, sizeof(age), ", max age %u days", l->max_age);
		if (l->base != 0)
			printf("published list of %s: delta %u to %u, %zu entries%s\n", caisse,
			       l->base, l->version, l->n, age);
		else
			printf("published list of %s: version %u, %zu entries%s\n", caisse,
			       l->version, l->n, age);
	}
out:
	convention_list_free(l);
	free(text);
	return rc;
}

static enum ssa_err
print_list(void *ctx, const char *caisse, uint32_t version, uint32_t base, size_t len,
	   int64_t ms)
{
	(void)ctx;
	(void)ms;
	if (base != 0)
		printf("%s version %u delta from %u, %zu bytes\n", caisse, version, base, len);
	else
		printf("%s version %u full, %zu bytes\n", caisse, version, len);
	return SSA_ERR_OK;
}

int
admin_list_published(struct admin_ctx *ctx, int argc, char **argv)
{
	struct caisse_opts o;
	struct caisse_store st;
	enum ssa_err e;

	if (caisse_opts_parse(argc - 1, argv + 1, &o) != 0 || o.nargs != 0)
		return caisse_usage();
	if (caisse_open(ctx, &o, &st) != 0)
		return 1;
	e = st.list_scan(st.cls, print_list, NULL);
	return caisse_close(&st, e != SSA_ERR_OK ? caisse_db_failed(e) : 0);
}

/* --- what the terminals sent: settlement, closings, anomalies --------------------------------- */

/* What the settlement met: records not counted (attached to no outlet), and those counted for
 * another outlet than they name (of --outlet only, when given), told once per terminal (the
 * records come terminal by terminal). */
struct settle_notes {
	const char *only;
	size_t unsettled;
	char terminal[PROTOCOL_ID_MAX + 1], named[JOURNAL_ID_MAX + 1], outlet[PROTOCOL_ID_MAX + 1];
	uint64_t first, last;
	size_t n;
};

static void
settle_flush(struct settle_notes *n)
{
	if (n->n)
		fprintf(stderr, "ssa-admin: terminal %s: %zu records (%llu to %llu) name establishment "
				"'%s' but were pushed while it was attached to outlet %s: counted "
				"for %s\n",
			n->terminal, n->n, (unsigned long long)n->first, (unsigned long long)n->last,
			n->named, n->outlet, n->outlet);
	n->n = 0;
}

static void
settle_note(void *cls, const char *terminal, uint64_t seq, const char *named, const char *outlet)
{
	struct settle_notes *n = cls;

	if (!outlet) {
		n->unsettled++;
		return;
	}
	if (n->only && strcmp(n->only, outlet) != 0)
		return;
	if (n->n && (strcmp(n->terminal, terminal) != 0 || strcmp(n->named, named) != 0 ||
		     strcmp(n->outlet, outlet) != 0))
		settle_flush(n);
	if (!n->n) {
		snprintf(n->terminal, sizeof(n->terminal), "%s", terminal);
		snprintf(n->named, sizeof(n->named), "%s", named);
		snprintf(n->outlet, sizeof(n->outlet), "%s", outlet);
		n->first = seq;
	}
	n->last = seq;
	n->n++;
}

/* The first millisecond of month @p period (YYYYMM), UTC. */
static int64_t
month_start_ms(int32_t period)
{
	struct tm tm = { .tm_year = period / 100 - 1900, .tm_mon = period % 100 - 1, .tm_mday = 1 };

	return (int64_t)timegm(&tm) * 1000;
}

static int
caisse_settlement_csv(struct admin_ctx *ctx, struct caisse_opts *o)
{
	struct caisse_store st;
	struct settlement s;
	struct settle_notes notes = { .only = o->outlet };
	const char *caisse;
	int32_t period, next;
	char sep = ',', *csv = NULL;
	size_t len = 0;
	enum ssa_err e;
	int rc = 1;

	if (o->nargs != 0 || o->period == NULL)
		return caisse_usage();
	if (caisse_parse_period(o->period, &period) != 0)
		return 2;
	if (o->separator != NULL) {
		if (strcmp(o->separator, ",") != 0 && strcmp(o->separator, ";") != 0) {
			fprintf(stderr, "ssa-admin: --separator is ',' or ';'\n");
			return 2;
		}
		sep = o->separator[0];
	}
	next = period % 100 == 12 ? (period / 100 + 1) * 100 + 1 : period + 1;
	if ((caisse = caisse_id(ctx, o)) == NULL || caisse_open(ctx, o, &st) != 0)
		return 1;
	settlement_init(&s, NULL, NULL);
	e = caisse_settle(&st, caisse, month_start_ms(period), month_start_ms(next), &s,
			  settle_note, &notes);
	if (e == SSA_ERR_DB || e == SSA_ERR_NOMEM) {
		caisse_db_failed(e);
	} else if (e != SSA_ERR_OK) {
		fprintf(stderr, "ssa-admin: the settlement could not be computed: %s\n",
			ssa_strerror(e));
	} else if ((e = settlement_csv(&s, o->outlet, period, sep, &csv, &len)) != SSA_ERR_OK) {
		fprintf(stderr, "ssa-admin: the settlement could not be written: %s\n",
			ssa_strerror(e));
	} else {
		rc = admin_write_stdout(csv, len) != 0;
		settle_flush(&notes);
		if (notes.unsettled)
			fprintf(stderr, "ssa-admin: %zu records with an SSA tender are not settled: "
					"their terminals are attached to no outlet (ssa-admin outlet "
					"attach OUTLET TERMINAL)\n",
				notes.unsettled);
	}
	free(csv);
	settlement_fini(&s);
	return caisse_close(&st, rc);
}

static enum ssa_err
print_closing(void *ctx, const char *terminal, const char *data, size_t len)
{
	struct journal_record r;
	const struct journal_closing *k = &r.closing;
	char total[32], ssa[32], perpetual[32];
	enum ssa_err e = journal_record_decode(data, len, &r, NULL);

	(void)ctx;
	if (e != SSA_ERR_OK) {
		fprintf(stderr, "ssa-admin: a stored closing of %s does not decode\n", terminal);
		journal_record_fini(&r);
		return e;
	}
	money_format_plain(k->total, total, sizeof(total));
	money_format_plain(k->ssa_total, ssa, sizeof(ssa));
	money_format_plain(k->perpetual, perpetual, sizeof(perpetual));
	printf("%s,%s,%llu,%s,%ld,%llu,%llu,%llu,%s,%s,%s\n", terminal, r.establishment,
	       (unsigned long long)r.seq, journal_kind_name(r.kind), (long)k->period,
	       (unsigned long long)k->number, (unsigned long long)k->first_seq,
	       (unsigned long long)k->last_seq, total, ssa, perpetual);
	journal_record_fini(&r);
	return SSA_ERR_OK;
}

static int
caisse_closings(struct admin_ctx *ctx, struct caisse_opts *o)
{
	struct caisse_store st;
	enum ssa_err e;

	if (o->nargs != 0)
		return caisse_usage();
	if (o->terminal && !protocol_id_valid(o->terminal)) {
		fprintf(stderr, "ssa-admin: terminal id '%s' is not one\n", o->terminal);
		return 2;
	}
	if (caisse_open(ctx, o, &st) != 0)
		return 1;
	printf("terminal,establishment,seq,kind,period,number,first_seq,last_seq,total,ssa_total,"
	       "perpetual\n");
	e = st.journal_scan_closings(st.cls, o->terminal, print_closing, NULL);
	if (e != SSA_ERR_OK && e != SSA_ERR_DB)
		return caisse_close(&st, 1);
	return caisse_close(&st, e != SSA_ERR_OK ? caisse_db_failed(e) : 0);
}

static enum ssa_err
print_anomaly(void *ctx, const char *card, const char *terminal, uint64_t seq, int64_t expected,
	      int64_t found, int64_t time_ms)
{
	char e[32], f[32];

	(void)ctx;
	money_format_plain(expected, e, sizeof(e));
	money_format_plain(found, f, sizeof(f));
	printf("%s,%s,%llu,%s,%s,%lld\n", card, terminal, (unsigned long long)seq, e, f,
	       (long long)time_ms);
	return SSA_ERR_OK;
}

static int
caisse_anomalies(struct admin_ctx *ctx, struct caisse_opts *o)
{
	struct caisse_store st;
	enum ssa_err e;

	if (o->nargs != 0)
		return caisse_usage();
	if (caisse_open(ctx, o, &st) != 0)
		return 1;
	printf("card,terminal,seq,ledger_balance,record_balance_before,time_ms\n");
	e = st.anomaly_scan(st.cls, print_anomaly, NULL);
	return caisse_close(&st, e != SSA_ERR_OK ? caisse_db_failed(e) : 0);
}

/* Every card's ledger rebuilt from all the stored records (lib/ledger.c): the records are read
 * once, sorted by card, and each card's are checked together. */
struct ledger_ctx {
	struct journal_record **v;
	size_t n, cap;
	const char *only; /* --card */
	char why[160];
};

static enum ssa_err
ledger_collect(void *ctx, const char *terminal, const char *outlet, const char *data, size_t len)
{
	struct ledger_ctx *c = ctx;
	struct journal_record *r = calloc(1, sizeof(*r));
	enum ssa_err e;

	(void)outlet;
	if (r == NULL)
		return SSA_ERR_NOMEM;
	if ((e = journal_record_decode(data, len, r, NULL)) != SSA_ERR_OK) {
		snprintf(c->why, sizeof(c->why), "a stored record of %s does not decode", terminal);
		goto drop;
	}
	if (r->card[0] == '\0' || journal_kind_is_closing(r->kind) ||
	    (c->only && strcmp(r->card, c->only) != 0))
		goto drop;
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 1024;
		void *p = realloc(c->v, nc * sizeof(*c->v));
		if (p == NULL) {
			e = SSA_ERR_NOMEM;
			goto drop;
		}
		c->v = p;
		c->cap = nc;
	}
	c->v[c->n++] = r;
	return SSA_ERR_OK;
drop:
	journal_record_fini(r);
	free(r);
	return e;
}

static int
cmp_card(const void *a, const void *b)
{
	const struct journal_record *x = *(const struct journal_record *const *)a;
	const struct journal_record *y = *(const struct journal_record *const *)b;

	return strcmp(x->card, y->card);
}

/* Card @p card's ledger with the caisse's books @p b: the server's opening unless --opening
 * (@p opening >= 0), @p base's policy for reloads of no stored batch. */
static int
print_ledger(const char *card, const struct journal_record *const *recs, size_t n,
	     const struct caisse_books *b, const struct ledger_params *base, int64_t opening)
{
	struct ledger_params params = *base;
	struct ledger_report rep;
	char books[32], held[32];
	enum ssa_err e;

	caisse_books_params(b, card, recs, n, &params);
	if (opening >= 0)
		params.opening = opening;
	e = ledger_check(card, recs, n, &params, &rep);

	if (e != SSA_ERR_OK) {
		fprintf(stderr, "ssa-admin: card %s: %s\n", card, ssa_strerror(e));
		ledger_report_fini(&rep);
		return -1;
	}
	money_format_plain(rep.balance, books, sizeof(books));
	money_format_plain(rep.card_balance, held, sizeof(held));
	printf("%s,%zu,%s,%s,%s,", card, n, books, held,
	       rep.flagged ? "flagged" : rep.pending ? "pending" : "ok");
	for (size_t i = 0; i < rep.n_anomalies; i++) {
		const struct ledger_anomaly *a = &rep.anomalies[i];
		printf("%s%s %s/%llu", i ? " " : "", ledger_anomaly_name(a->kind),
		       recs[a->record]->terminal, (unsigned long long)recs[a->record]->seq);
	}
	printf("\n");
	ledger_report_fini(&rep);
	return 0;
}

static int
caisse_ledger(struct admin_ctx *ctx, struct caisse_opts *o)
{
	struct caisse_store st;
	struct ledger_ctx c = { .only = o->card };
	struct ledger_params params = { .policy = CARD_RELOAD_EXPIRE };
	struct caisse_books books = { 0 };
	const struct journal_record **own = NULL;
	const char *caisse;
	int64_t opening = -1;
	bool *mine = NULL;
	enum ssa_err e;
	int rc = 1;

	if (o->nargs != 0)
		return caisse_usage();
	if ((caisse = caisse_id(ctx, o)) == NULL)
		return 2;
	if (o->opening && (money_parse(o->opening, &opening) != SSA_ERR_OK || opening < 0 ||
			   opening > CARD_BALANCE_MAX)) {
		fprintf(stderr, "ssa-admin: --opening '%s' is not 0 to %d.00 euros\n", o->opening,
			CARD_BALANCE_MAX / 100);
		return 2;
	}
	if (o->policy) {
		int64_t cap = 0;
		if (strcmp(o->policy, "expire") == 0) {
			params.policy = CARD_RELOAD_EXPIRE;
		} else if (strncmp(o->policy, "rollover:", 9) == 0 &&
			   money_parse(o->policy + 9, &cap) == SSA_ERR_OK && cap >= 0 &&
			   cap <= CARD_BALANCE_MAX) {
			params.policy = CARD_RELOAD_ROLLOVER;
			params.rollover_cap = cap;
		} else {
			fprintf(stderr, "ssa-admin: policy '%s' is neither 'expire' nor "
					"'rollover:<cap euros>'\n",
				o->policy);
			return 2;
		}
	}
	if (caisse_open(ctx, o, &st) != 0)
		return 1;
	if ((e = caisse_books_load(&st, &books)) != SSA_ERR_OK) {
		if (e == SSA_ERR_DB || e == SSA_ERR_NOMEM)
			caisse_db_failed(e);
		else
			fprintf(stderr, "ssa-admin: a stored grant batch does not parse: %s\n",
				ssa_strerror(e));
		goto out;
	}
	e = st.journal_scan_time(st.cls, INT64_MIN, INT64_MAX, ledger_collect, &c);
	if (e != SSA_ERR_OK) {
		if (c.why[0])
			fprintf(stderr, "ssa-admin: %s\n", c.why);
		else
			caisse_db_failed(e);
		goto out;
	}
	qsort(c.v, c.n, sizeof(*c.v), cmp_card);
	if (c.n && (!(mine = calloc(c.n, sizeof(*mine))) || !(own = calloc(c.n, sizeof(*own))))) {
		caisse_db_failed(SSA_ERR_NOMEM);
		goto out;
	}
	printf("card,records,books,card_balance,status,anomalies\n");
	for (size_t i = 0, j, n; i < c.n; i = j) {
		for (j = i + 1; j < c.n && strcmp(c.v[j]->card, c.v[i]->card) == 0; j++)
			;
		/* this caisse's records of the card: another caisse's card is that caisse's */
		e = caisse_books_mine(&st, caisse, &books,
				      (const struct journal_record *const *)(c.v + i), j - i, mine);
		if (e != SSA_ERR_OK) {
			caisse_db_failed(e);
			goto out;
		}
		for (size_t k = n = 0; k < j - i; k++)
			if (mine[k])
				own[n++] = c.v[i + k];
		if (n && print_ledger(c.v[i]->card, own, n, &books, &params, opening) != 0)
			goto out;
	}
	rc = 0;
out:
	free(mine);
	free(own);
	caisse_books_fini(&books);
	for (size_t i = 0; i < c.n; i++) {
		journal_record_fini(c.v[i]);
		free(c.v[i]);
	}
	free(c.v);
	return caisse_close(&st, rc);
}

/* --- dispatch -------------------------------------------------------------------------------- */

int
caisse_usage(void)
{
	fprintf(stderr,
		"usage: ssa-admin household add [ID] [--db DB]\n"
		"       ssa-admin household set ID --holder MEMBER\n"
		"       ssa-admin household list [--period YYYYMM [--rules FILE]]\n"
		"       ssa-admin member add [ID] --household H --birth YYYY-MM-DD [--card SERIAL]\n"
		"       ssa-admin member card MEMBER SERIAL [--caisse C]\n"
		"       ssa-admin member list [--household H]\n"
		"       ssa-admin outlet add ID NAME\n"
		"       ssa-admin outlet attach OUTLET TERMINAL...\n"
		"       ssa-admin outlet list\n"
		"       ssa-admin list publish FILE [--key PUBLIC] [--caisse C]\n"
		"       ssa-admin list published\n"
		"       ssa-admin caisse settlement --period YYYYMM [--outlet O] [--separator ';'] "
		"[--caisse C]\n"
		"       ssa-admin caisse closings [--terminal T]\n"
		"       ssa-admin caisse anomalies\n"
		"       ssa-admin caisse ledger [--card CARD] [--opening AMOUNT] "
		"[--policy expire|rollover:CAP] [--caisse C]\n"
		"  every command: [--db DB] (else [caisse] database)\n");
	return 2;
}

struct verb {
	const char *group, *name;
	int (*fn)(struct admin_ctx *ctx, struct caisse_opts *o);
};

static const struct verb verbs[] = {
	{ "household", "add", household_add }, { "household", "set", household_set },
	{ "household", "list", household_list }, { "member", "add", member_add },
	{ "member", "card", member_card },     { "member", "list", member_list },
	{ "outlet", "add", outlet_add },       { "outlet", "attach", outlet_attach },
	{ "outlet", "list", outlet_list },
	{ "caisse", "settlement", caisse_settlement_csv },
	{ "caisse", "closings", caisse_closings },
	{ "caisse", "anomalies", caisse_anomalies },
	{ "caisse", "ledger", caisse_ledger },
};

static int
dispatch(struct admin_ctx *ctx, int argc, char **argv)
{
	struct caisse_opts o;

	if (argc < 2)
		return caisse_usage();
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].group, argv[0]) != 0 || strcmp(verbs[i].name, argv[1]) != 0)
			continue;
		if (caisse_opts_parse(argc - 1, argv + 1, &o) != 0)
			return caisse_usage();
		return verbs[i].fn(ctx, &o);
	}
	return caisse_usage();
}

int
admin_cmd_caisse(struct admin_ctx *ctx, int argc, char **argv)
{
	return dispatch(ctx, argc, argv);
}

int
admin_cmd_household(struct admin_ctx *ctx, int argc, char **argv)
{
	return dispatch(ctx, argc, argv);
}

int
admin_cmd_member(struct admin_ctx *ctx, int argc, char **argv)
{
	return dispatch(ctx, argc, argv);
}

int
admin_cmd_outlet(struct admin_ctx *ctx, int argc, char **argv)
{
	return dispatch(ctx, argc, argv);
}
