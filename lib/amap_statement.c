/* amap_statement.c — the members' monthly statement of AMAP pickups (see ssa/amap_statement.h).
 *
 * A file is taken whole or not at all: a bad row anywhere in it (of whatever month) leaves the
 * statement as it was, so that a damaged file is noticed rather than half counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/amap_statement.h"
#include "ssa/card.h"
#include "ssa/csv.h"
#include "ssa/money.h"
#include "ssa/strbuf.h"

#define QTY_MAX INT64_C(1000000000) /* a million pieces, in thousandths, as ssa/amap.h */

static bool
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "YYYY-MM" with a month 01..12. */
static bool
month_ok(const char *m)
{
	return strlen(m) == 7 && digits(m, 4) && m[4] == '-' && digits(m + 5, 2) &&
	       atoi(m + 5) >= 1 && atoi(m + 5) <= 12;
}

/* "YYYY-MM-DD" with a month 01..12 and a day 01..31. */
static bool
date_ok(const char *d)
{
	char m[8];

	if (strlen(d) != 10 || d[7] != '-' || !digits(d + 8, 2))
		return false;
	memcpy(m, d, 7);
	m[7] = '\0';
	return month_ok(m) && atoi(d + 8) >= 1 && atoi(d + 8) <= 31;
}

enum ssa_err
amap_stmt_init(struct amap_stmt *s, const char *month)
{
	memset(s, 0, sizeof(*s));
	if (month == NULL || !month_ok(month))
		return SSA_ERR_INVAL;
	memcpy(s->month, month, 8);
	return SSA_ERR_OK;
}

static void
row_free(struct amap_stmt_row *r)
{
	free(r->household);
	free(r->contract);
	free(r->product);
}

void
amap_stmt_fini(struct amap_stmt *s)
{
	for (size_t i = 0; i < s->n_row; i++)
		row_free(&s->row[i]);
	free(s->row);
	memset(s, 0, sizeof(*s));
}

static const char *const header[] = {"member",  "household", "date",   "contract",
                                     "product", "quantity",  "amount", "paid"};
#define N_COLS (sizeof(header) / sizeof(header[0]))

/* Check row @p f (N_COLS fields) into @p out (strings not yet copied).  Returns false with
 * @p why filled when it is not a statement row. */
static bool
row_parse(char *const *f, struct amap_stmt_row *out, enum ssa_err *err, char *why, size_t why_size)
{
	enum ssa_err e;

	memset(out, 0, sizeof(*out));
	*err = SSA_ERR_LIST_FORMAT;
	if (card_id_parse(f[0], &out->member) != SSA_ERR_OK || out->member == 0) {
		snprintf(why, why_size, "bad SSA member id '%s'", f[0]);
		return false;
	}
	if (f[1][0] == '\0') {
		snprintf(why, why_size, "no household name");
		return false;
	}
	if (!date_ok(f[2])) {
		snprintf(why, why_size, "bad date '%s' (expected YYYY-MM-DD)", f[2]);
		return false;
	}
	memcpy(out->date, f[2], sizeof(out->date));
	if (decimal_parse(f[5], 3, QTY_MAX, &out->qty_milli) != SSA_ERR_OK) {
		snprintf(why, why_size, "bad quantity '%s'", f[5]);
		return false;
	}
	if ((e = money_parse(f[6], &out->amount)) != SSA_ERR_OK || out->amount < 0) {
		*err = e == SSA_ERR_OVERFLOW ? e : SSA_ERR_LIST_FORMAT;
		snprintf(why, why_size, "bad amount '%s'", f[6]);
		return false;
	}
	if (strcmp(f[7], "card") == 0) {
		out->by_card = true;
	} else if (strcmp(f[7], "reimburse") != 0) {
		snprintf(why, why_size, "bad paid '%s' (expected card or reimburse)", f[7]);
		return false;
	}
	*err = SSA_ERR_OK;
	return true;
}

static enum ssa_err
row_push(struct amap_stmt *s, const struct amap_stmt_row *r, char *const *f)
{
	struct amap_stmt_row *n;

	if (s->n_row == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		if ((n = realloc(s->row, cap * sizeof(*n))) == NULL)
			return SSA_ERR_NOMEM;
		s->row = n;
		s->cap = cap;
	}
	n = &s->row[s->n_row];
	*n = *r;
	n->household = strdup(f[1]);
	n->contract = strdup(f[3]);
	n->product = strdup(f[4]);
	if (!n->household || !n->contract || !n->product) {
		row_free(n);
		return SSA_ERR_NOMEM;
	}
	s->n_row++;
	return SSA_ERR_OK;
}

enum ssa_err
amap_stmt_add(struct amap_stmt *s, const char *data, size_t len, unsigned source, unsigned *line,
              char *why, size_t why_size)
{
	struct csv_reader r;
	size_t before = s->n_row;
	enum ssa_err err;

	*line = 0;
	why[0] = '\0';
	csv_init(&r, data, len);
	err = csv_next(&r);
	*line = r.line ? r.line : 1;
	if (err == SSA_ERR_NOT_FOUND) {
		snprintf(why, why_size, "empty file (expected the header %s)", AMAP_STMT_HEADER);
		err = SSA_ERR_LIST_FORMAT;
	} else if (err == SSA_ERR_OK) {
		bool ok = r.nfields == N_COLS && r.sep == ';';

		for (size_t i = 0; ok && i < N_COLS; i++)
			ok = strcmp(r.field[i], header[i]) == 0;
		if (!ok) {
			snprintf(why, why_size, "not a statement file (expected the header %s)",
			         AMAP_STMT_HEADER);
			err = SSA_ERR_LIST_FORMAT;
		}
	} else if (err != SSA_ERR_NOMEM) {
		snprintf(why, why_size, "%s", ssa_strerror(err));
	}
	while (err == SSA_ERR_OK) {
		struct amap_stmt_row row;

		err = csv_next(&r);
		*line = r.line;
		if (err == SSA_ERR_NOT_FOUND) {
			err = SSA_ERR_OK;
			break;
		}
		if (err != SSA_ERR_OK) {
			if (err != SSA_ERR_NOMEM)
				snprintf(why, why_size, "%s", ssa_strerror(err));
			break;
		}
		if (r.nfields != N_COLS) {
			snprintf(why, why_size, "%zu fields, expected %zu", r.nfields, N_COLS);
			err = SSA_ERR_LIST_FORMAT;
			break;
		}
		if (!row_parse(r.field, &row, &err, why, why_size))
			break;
		if (strncmp(row.date, s->month, 7) != 0)
			continue; /* another month's pickup: checked, not counted */
		row.source = source;
		row.line = r.line;
		err = row_push(s, &row, r.field);
	}
	csv_fini(&r);
	if (err != SSA_ERR_OK) {
		/* Nothing of this file stays. */
		while (s->n_row > before)
			row_free(&s->row[--s->n_row]);
		return err;
	}
	*line = 0;
	return SSA_ERR_OK;
}

static int
cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

/* The pickup itself, whatever file it came from. */
static int
cmp_pickup(const struct amap_stmt_row *x, const struct amap_stmt_row *y)
{
	int c;

	if (x->member != y->member)
		return x->member < y->member ? -1 : 1;
	if ((c = strcmp(x->date, y->date)) || (c = strcmp(x->contract, y->contract)) ||
	    (c = strcmp(x->product, y->product)))
		return c;
	if ((c = cmp_i64(x->qty_milli, y->qty_milli)) || (c = cmp_i64(x->amount, y->amount)))
		return c;
	return 0;
}

static int
cmp_row(const void *a, const void *b)
{
	const struct amap_stmt_row *x = a, *y = b;
	int c = cmp_pickup(x, y);

	if (c)
		return c;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

enum ssa_err
amap_stmt_members(struct amap_stmt *s, struct amap_stmt_member **members, size_t *n, size_t *dup_a,
                  size_t *dup_b)
{
	struct amap_stmt_member *m = NULL;
	size_t count = 0;
	enum ssa_err err = SSA_ERR_OK;

	*members = NULL;
	*n = 0;
	if (s->n_row == 0)
		return SSA_ERR_OK;
	qsort(s->row, s->n_row, sizeof(*s->row), cmp_row);
	for (size_t i = 0; i + 1 < s->n_row; i++)
		if (s->row[i].source != s->row[i + 1].source &&
		    cmp_pickup(&s->row[i], &s->row[i + 1]) == 0) {
			*dup_a = i;
			*dup_b = i + 1;
			return SSA_ERR_CONFLICT;
		}
	if ((m = calloc(s->n_row, sizeof(*m))) == NULL)
		return SSA_ERR_NOMEM;
	for (size_t i = 0; i < s->n_row && err == SSA_ERR_OK; i++) {
		const struct amap_stmt_row *r = &s->row[i];
		struct amap_stmt_member *cur;

		if (count == 0 || m[count - 1].member != r->member) {
			cur = &m[count++];
			cur->member = r->member;
			cur->household = r->household;
			cur->first = i;
		}
		cur = &m[count - 1];
		if (cur->count == 0 || strcmp(s->row[i - 1].date, r->date) != 0)
			cur->pickups++;
		cur->count++;
		err = money_add(cur->total, r->amount, &cur->total);
		if (err == SSA_ERR_OK)
			err = r->by_card ? money_add(cur->by_card, r->amount, &cur->by_card)
			                 : money_add(cur->reimburse, r->amount, &cur->reimburse);
	}
	if (err != SSA_ERR_OK) {
		free(m);
		return err;
	}
	*members = m;
	*n = count;
	return SSA_ERR_OK;
}

/* "12,50": the other AMAP exports' amounts, cents exact, decimal comma. */
static void
amount_csv(int64_t cents, char *buf, size_t size)
{
	char *dot;

	money_format_plain(cents, buf, size);
	if ((dot = strchr(buf, '.')) != NULL)
		*dot = ',';
}

/* "1,000": thousandths, as the distribution's statement writes them. */
static void
qty_csv(int64_t milli, char *buf, size_t size)
{
	snprintf(buf, size, "%lld,%03lld", (long long)(milli / 1000), (long long)(milli % 1000));
}

static void
add_field(struct strbuf *b, const char *s)
{
	strbuf_add_csv(b, s, ';');
	strbuf_add(b, ";", 1);
}

enum ssa_err
amap_stmt_format_csv(const struct amap_stmt *s, const struct amap_stmt_member *m, size_t n,
                     char **out, size_t *len)
{
	struct strbuf b = {0};
	int64_t total = 0, by_card = 0, reimburse = 0;
	char a[32], c[32], r[32], q[32], id[24];
	enum ssa_err err = SSA_ERR_OK;

	strbuf_printf(&b, "member;household;date;contract;product;quantity;amount;paid_by_card;"
	                  "to_reimburse\n");
	for (size_t k = 0; k < n && err == SSA_ERR_OK; k++) {
		card_id_format(m[k].member, id, sizeof(id));
		for (size_t i = m[k].first; i < m[k].first + m[k].count; i++) {
			const struct amap_stmt_row *row = &s->row[i];

			amount_csv(row->amount, a, sizeof(a));
			amount_csv(row->by_card ? row->amount : 0, c, sizeof(c));
			amount_csv(row->by_card ? 0 : row->amount, r, sizeof(r));
			qty_csv(row->qty_milli, q, sizeof(q));
			strbuf_printf(&b, "%s;", id);
			add_field(&b, m[k].household);
			strbuf_printf(&b, "%s;", row->date);
			add_field(&b, row->contract);
			add_field(&b, row->product);
			strbuf_printf(&b, "%s;%s;%s;%s\n", q, a, c, r);
		}
		amount_csv(m[k].total, a, sizeof(a));
		amount_csv(m[k].by_card, c, sizeof(c));
		amount_csv(m[k].reimburse, r, sizeof(r));
		strbuf_printf(&b, "%s;", id);
		add_field(&b, m[k].household);
		strbuf_printf(&b, "total;;;;%s;%s;%s\n", a, c, r);
		if ((err = money_add(total, m[k].total, &total)) == SSA_ERR_OK &&
		    (err = money_add(by_card, m[k].by_card, &by_card)) == SSA_ERR_OK)
			err = money_add(reimburse, m[k].reimburse, &reimburse);
	}
	amount_csv(total, a, sizeof(a));
	amount_csv(by_card, c, sizeof(c));
	amount_csv(reimburse, r, sizeof(r));
	strbuf_printf(&b, "total;;;;;;%s;%s;%s\n", a, c, r);
	if (err != SSA_ERR_OK) {
		strbuf_fini(&b);
		return err;
	}
	return strbuf_finish(&b, out, len);
}

/* Append @p s padded with spaces to @p width characters (UTF-8 code points), and a space. */
static void
add_padded(struct strbuf *b, const char *s, size_t width)
{
	size_t chars = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		chars += (*p & 0xC0) != 0x80;
	strbuf_add(b, s, strlen(s));
	for (; chars < width; chars++)
		strbuf_add(b, " ", 1);
	strbuf_add(b, " ", 1);
}

/* @p s right-aligned in @p width characters. */
static void
add_right(struct strbuf *b, const char *s, size_t width)
{
	size_t chars = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		chars += (*p & 0xC0) != 0x80;
	for (; chars < width; chars++)
		strbuf_add(b, " ", 1);
	strbuf_add(b, s, strlen(s));
}

/* "2", "0,5": a quantity as a person writes it. */
static void
qty_text(int64_t milli, char *buf, size_t size)
{
	size_t n;

	qty_csv(milli, buf, size);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == ',')
		buf[--n] = '\0';
}

enum ssa_err
amap_stmt_format_member(const struct amap_stmt *s, const struct amap_stmt_member *m, char **out,
                        size_t *len)
{
	static const char *const months[] = {"janvier",   "février", "mars",     "avril",
	                                     "mai",       "juin",    "juillet",  "août",
	                                     "septembre", "octobre", "novembre", "décembre"};
	struct strbuf b = {0};
	char id[24], money[48], q[32];

	card_id_format(m->member, id, sizeof(id));
	strbuf_printf(&b, "Relevé AMAP — %s %.4s\n", months[atoi(s->month + 5) - 1], s->month);
	strbuf_printf(&b, "Membre SSA : %s\nFoyer : %s\n\n", id, m->household);
	add_padded(&b, "Date", 10);
	add_padded(&b, "Contrat", 18);
	add_padded(&b, "Produit", 18);
	add_right(&b, "Qté", 5);
	add_right(&b, "Montant", 12);
	strbuf_printf(&b, "  Réglé\n");
	for (size_t i = m->first; i < m->first + m->count; i++) {
		const struct amap_stmt_row *r = &s->row[i];

		add_padded(&b, r->date, 10);
		add_padded(&b, r->contract, 18);
		add_padded(&b, r->product, 18);
		qty_text(r->qty_milli, q, sizeof(q));
		add_right(&b, q, 5);
		money_format(r->amount, MONEY_FR, money, sizeof(money));
		add_right(&b, money, 12);
		strbuf_printf(&b, "  %s\n", r->by_card ? "carte" : "à rembourser");
	}
	strbuf_printf(&b, "\n%zu distribution(s), %zu panier(s)\n\n", m->pickups, m->count);
	money_format(m->total, MONEY_FR, money, sizeof(money));
	add_padded(&b, "Total des paniers :", 26);
	add_right(&b, money, 12);
	money_format(m->by_card, MONEY_FR, money, sizeof(money));
	strbuf_add(&b, "\n", 1);
	add_padded(&b, "Déjà payé par la carte :", 26);
	add_right(&b, money, 12);
	money_format(m->reimburse, MONEY_FR, money, sizeof(money));
	strbuf_add(&b, "\n", 1);
	add_padded(&b, "À rembourser :", 26);
	add_right(&b, money, 12);
	strbuf_add(&b, "\n", 1);
	return strbuf_finish(&b, out, len);
}
