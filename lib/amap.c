/* amap.c — an AMAP distribution (see ssa/amap.h).
 *
 * Import reads the header to choose the layout, then each row independently: a row that does not
 * parse is reported with its line number and leaves nothing behind, so what imports is exactly
 * the good rows.  Names are compared after folding case and the accents of French names. */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssa/amap.h"
#include "ssa/card.h"
#include "ssa/csv.h"
#include "ssa/money.h"
#include "ssa/strbuf.h"

#define QTY_MAX INT64_C(1000000000) /* a million pieces, in thousandths */

/* Fold @p s to lower-case ASCII into @p out (size @p size): Latin-1 letters with accents lose
 * them, other bytes stay.  Enough for French, Belgian and most European names. */
static void
fold(const char *s, char *out, size_t size)
{
	static const char latin1[] = /* U+00C0..U+00FF folded */
		"aaaaaaaceeeeiiiidnooooo*ouuuuyts"
		"aaaaaaaceeeeiiiidnooooo/ouuuuyty";
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p && n + 1 < size; p++) {
		if ((*p == 0xC3) && p[1] >= 0x80 && p[1] <= 0xBF) {
			out[n++] = latin1[p[1] - 0x80]; /* U+00C0 + (p[1] - 0x80) */
			p++;
		} else if (*p == 0xC5 && (p[1] == 0x93 || p[1] == 0x92)) { /* œ Œ */
			out[n++] = 'o';
			if (n + 1 < size)
				out[n++] = 'e';
			p++;
		} else if (*p >= 'A' && *p <= 'Z') {
			out[n++] = (char)(*p + ('a' - 'A'));
		} else {
			out[n++] = (char)*p;
		}
	}
	out[n] = '\0';
}

/* Header name to a comparable key: folded, without spaces, '_', '-' or '.'. */
static void
header_key(const char *s, char *out, size_t size)
{
	char tmp[128];
	size_t n = 0;

	fold(s, tmp, sizeof(tmp));
	for (const char *p = tmp; *p && n + 1 < size; p++)
		if (*p != ' ' && *p != '_' && *p != '-' && *p != '.')
			out[n++] = *p;
	out[n] = '\0';
}

enum col { C_USERID, C_USERNAME, C_PRODUCT, C_CATALOG, C_PRICE, C_QTY, C_TOTAL,
	   C_NOM, C_PRENOM, C_COMMENT, C_CARD, C__COUNT };

static const char *const aliases[C__COUNT] = {
	[C_USERID] = "|userid|idutilisateur|idadherent|",
	[C_USERNAME] = "|username|nomutilisateur|adherent|membre|member|",
	[C_PRODUCT] = "|productname|produit|nomproduit|product|",
	[C_CATALOG] = "|catalogname|contrat|catalogue|contract|catalog|",
	[C_PRICE] = "|price|prix|prixunitaire|",
	[C_QTY] = "|quantity|quantite|qte|qty|",
	[C_TOTAL] = "|total|montant|amount|",
	[C_NOM] = "|nom|name|lastname|surname|nomdefamille|",
	[C_PRENOM] = "|prenom|firstname|givenname|",
	[C_COMMENT] = "|commentaire|commentaires|comment|comments|remarque|remarques|",
	[C_CARD] = "|cartessa|carte|card|ssacard|membressa|ssamember|idssa|ssaid|",
};
/* CAMAP columns we read past without using them. */
static const char camap_other[] = "|ref|catalogid|vendorid|fees|frais|paid|paye|reference|";

static int
match_alias(const char *list, const char *key)
{
	char pat[136];

	if (key[0] == '\0' || strlen(key) > 128)
		return 0;
	snprintf(pat, sizeof(pat), "|%s|", key);
	return strstr(list, pat) != NULL;
}

struct importer {
	struct amap_distribution *d;
	struct amap_report *rep;
	int col[C__COUNT];
	int contract_col[CSV_MAX_FIELDS]; /* sheet: 1 where the column is a contract */
	char *contract_name[CSV_MAX_FIELDS];
	size_t rollback_h, rollback_i;
};

void
amap_reason_fill(const char *reason, const char *value, char *buf, size_t size)
{
	const char *at = strstr(reason, "%s");

	if (size == 0)
		return;
	if (at == NULL)
		snprintf(buf, size, "%s", reason);
	else
		snprintf(buf, size, "%.*s%s%s", (int)(at - reason), reason, value, at + 2);
}

/* Row @p line is left out for @p reason (a static sentence, at most one "%s": @p value, or
 * NULL). */
static void
report(struct amap_report *rep, unsigned line, const char *reason, const char *value)
{
	struct amap_bad_row *row;

	rep->rows_bad++;
	if (rep->n_bad >= AMAP_REPORT_MAX)
		return;
	/* Grow by doubling; out of memory the row is still counted, only not listed. */
	if (rep->n_bad == 0 || (rep->n_bad >= 8 && (rep->n_bad & (rep->n_bad - 1)) == 0)) {
		size_t cap = rep->n_bad ? rep->n_bad * 2 : 8;
		struct amap_bad_row *b = realloc(rep->bad, cap * sizeof(*b));

		if (b == NULL)
			return;
		rep->bad = b;
	}
	row = &rep->bad[rep->n_bad++];
	row->line = line;
	row->reason = reason;
	snprintf(row->value, sizeof(row->value), "%s", value ? value : "");
	amap_reason_fill(reason, value ? value : "", row->msg, sizeof(row->msg));
}

void
amap_report_fini(struct amap_report *rep)
{
	if (rep == NULL)
		return;
	free(rep->bad);
	memset(rep, 0, sizeof(*rep));
}

static const char *
field(const struct csv_reader *r, int col)
{
	return col >= 0 && (size_t)col < r->nfields ? r->field[col] : "";
}

static char *
trimmed_dup(const char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return strndup(s, len);
}

static void
free_household(struct amap_household *h)
{
	free(h->id);
	free(h->name);
	free(h->comment);
	free(h->collected_by);
}

static void
free_item(struct amap_item *it)
{
	free(it->contract);
	free(it->product);
}

/* Undo what the current row added. */
static void
rollback(struct importer *im)
{
	struct amap_distribution *d = im->d;

	while (d->n_item > im->rollback_i)
		free_item(&d->item[--d->n_item]);
	while (d->n_household > im->rollback_h)
		free_household(&d->household[--d->n_household]);
}

/* The SSA member id of the card column of row @p r (0 when the column is absent or empty).
 * SSA_ERR_INVAL (reported) when it is not 1..16 hex digits, or 0. */
static enum ssa_err
row_member(struct importer *im, const struct csv_reader *r, uint64_t *member)
{
	char *v = trimmed_dup(field(r, im->col[C_CARD]));
	enum ssa_err err = SSA_ERR_OK;

	*member = 0;
	if (v == NULL)
		return SSA_ERR_NOMEM;
	if (*v && (card_id_parse(v, member) != SSA_ERR_OK || *member == 0)) {
		report(im->rep, r->line, "bad SSA member id '%s' (expected 1 to 16 hex digits)", v);
		err = SSA_ERR_INVAL;
	}
	free(v);
	return err;
}

static enum ssa_err
household_get(struct amap_distribution *d, const char *id, const char *name, const char *comment,
              uint64_t member, size_t *out)
{
	struct amap_household *h;

	for (size_t i = 0; i < d->n_household; i++)
		if (strcmp(d->household[i].id, id) == 0) {
			/* A household's rows name one member id, or none. */
			if (member && d->household[i].member_id && d->household[i].member_id != member)
				return SSA_ERR_INVAL;
			if (member)
				d->household[i].member_id = member;
			*out = i;
			return SSA_ERR_OK;
		}
	h = realloc(d->household, (d->n_household + 1) * sizeof(*h));
	if (h == NULL)
		return SSA_ERR_NOMEM;
	d->household = h;
	h = &d->household[d->n_household];
	memset(h, 0, sizeof(*h));
	h->id = trimmed_dup(id);
	h->name = trimmed_dup(name);
	h->comment = trimmed_dup(comment ? comment : "");
	h->member_id = member;
	if (!h->id || !h->name || !h->comment) {
		free_household(h);
		return SSA_ERR_NOMEM;
	}
	*out = d->n_household++;
	return SSA_ERR_OK;
}

static enum ssa_err
item_add(struct amap_distribution *d, size_t h, const char *contract, const char *product,
         int64_t qty_milli, int64_t total)
{
	struct amap_item *it = realloc(d->item, (d->n_item + 1) * sizeof(*it));

	if (it == NULL)
		return SSA_ERR_NOMEM;
	d->item = it;
	it = &d->item[d->n_item];
	it->household = h;
	it->contract = trimmed_dup(contract);
	it->product = trimmed_dup(product);
	it->qty_milli = qty_milli;
	it->total = total;
	if (!it->contract || !it->product) {
		free_item(it);
		return SSA_ERR_NOMEM;
	}
	d->n_item++;
	return SSA_ERR_OK;
}

static enum ssa_err
import_camap_row(struct importer *im, const struct csv_reader *r)
{
	const char *id = field(r, im->col[C_USERID]), *name = field(r, im->col[C_USERNAME]);
	const char *product = field(r, im->col[C_PRODUCT]);
	int64_t qty, price = 0, total = 0;
	uint64_t member = 0;
	size_t h;
	enum ssa_err err;

	if (*name == '\0')
		name = id;
	if (*id == '\0')
		id = name;
	if (*id == '\0') {
		report(im->rep, r->line, "no member name or id", NULL);
		return SSA_ERR_INVAL;
	}
	if (*product == '\0') {
		report(im->rep, r->line, "no product name", NULL);
		return SSA_ERR_INVAL;
	}
	if (decimal_parse(field(r, im->col[C_QTY]), 3, QTY_MAX, &qty)) {
		report(im->rep, r->line, "bad quantity '%s'", field(r, im->col[C_QTY]));
		return SSA_ERR_INVAL;
	}
	if (im->col[C_PRICE] >= 0 && *field(r, im->col[C_PRICE]) &&
	    money_parse(field(r, im->col[C_PRICE]), &price)) {
		report(im->rep, r->line, "bad price '%s'", field(r, im->col[C_PRICE]));
		return SSA_ERR_INVAL;
	}
	if (im->col[C_TOTAL] >= 0 && *field(r, im->col[C_TOTAL])) {
		if (money_parse(field(r, im->col[C_TOTAL]), &total)) {
			report(im->rep, r->line, "bad total '%s'", field(r, im->col[C_TOTAL]));
			return SSA_ERR_INVAL;
		}
	} else if (money_mul_weight(price, qty, &total)) { /* price x qty in thousandths */
		report(im->rep, r->line, "price x quantity out of range", NULL);
		return SSA_ERR_INVAL;
	}
	if ((err = row_member(im, r, &member)) != SSA_ERR_OK)
		return err;
	err = household_get(im->d, id, name, NULL, member, &h);
	if (err == SSA_ERR_INVAL)
		report(im->rep, r->line, "another SSA member id than on an earlier row of %s", id);
	if (!err)
		err = item_add(im->d, h, field(r, im->col[C_CATALOG]), product, qty, total);
	return err;
}

/* One sheet cell: "2 x G", "G", "1xM + 1 x P", "3" (shares).  Adds one item per part; a number
 * followed by anything but 'x' and a code ("3 z G", "2 x") is refused rather than guessed. */
static enum ssa_err
import_sheet_cell(struct importer *im, size_t h, const char *contract, const char *cell,
                  unsigned line)
{
	char *copy = strdup(cell), *save = NULL;
	enum ssa_err err = SSA_ERR_OK;

	if (copy == NULL)
		return SSA_ERR_NOMEM;
	for (char *part = strtok_r(copy, "+", &save); part && !err; part = strtok_r(NULL, "+", &save)) {
		const char *code = part;
		int64_t qty = 1000;

		while (*code == ' ')
			code++;
		if (*code == '\0')
			continue;
		if (isdigit((unsigned char)*code)) {
			/* "2 x G", "2xG", "2 G" or just "2" (shares): a quantity first */
			char num[32];
			size_t len = strspn(code, "0123456789.,");

			if (len >= sizeof(num)) {
				err = SSA_ERR_INVAL;
				break;
			}
			memcpy(num, code, len);
			num[len] = '\0';
			if (decimal_parse(num, 3, QTY_MAX, &qty)) {
				err = SSA_ERR_INVAL;
				break;
			}
			code += len;
			while (*code == ' ')
				code++;
			/* a number alone counts shares; before a size code it needs its 'x' */
			if (*code != '\0') {
				if (*code != 'x' && *code != 'X' && *code != '*') {
					err = SSA_ERR_INVAL;
					break;
				}
				code++;
				while (*code == ' ')
					code++;
				if (*code == '\0') {
					err = SSA_ERR_INVAL;
					break;
				}
			}
		}
		if (qty == 0)
			continue;
		err = item_add(im->d, h, contract, code, qty, 0);
	}
	if (err == SSA_ERR_INVAL)
		report(im->rep, line, "bad basket code '%s' (expected e.g. '2 x G')", cell);
	free(copy);
	return err;
}

static enum ssa_err
import_sheet_row(struct importer *im, const struct csv_reader *r)
{
	const char *nom = field(r, im->col[C_NOM]), *prenom = field(r, im->col[C_PRENOM]);
	char name[256];
	uint64_t member = 0;
	size_t h;
	enum ssa_err err;

	if (*nom == '\0' && *prenom == '\0') {
		report(im->rep, r->line, "no name", NULL);
		return SSA_ERR_INVAL;
	}
	if ((err = row_member(im, r, &member)) != SSA_ERR_OK)
		return err;
	snprintf(name, sizeof(name), "%s%s%s", nom, *nom && *prenom ? " " : "", prenom);
	err = household_get(im->d, name, name, field(r, im->col[C_COMMENT]), member, &h);
	if (err == SSA_ERR_INVAL)
		report(im->rep, r->line, "another SSA member id than on an earlier row of %s", name);
	for (size_t c = 0; c < r->nfields && !err; c++)
		if (im->contract_col[c] && r->field[c][0] != '\0')
			err = import_sheet_cell(im, h, im->contract_name[c], r->field[c], r->line);
	return err;
}

static enum ssa_err
read_header(struct importer *im, const struct csv_reader *r)
{
	char key[128];
	int unknown = 0;

	for (int c = 0; c < C__COUNT; c++)
		im->col[c] = -1;
	for (size_t i = 0; i < r->nfields; i++) {
		int found = 0;

		header_key(r->field[i], key, sizeof(key));
		for (int c = 0; c < C__COUNT && !found; c++)
			if (im->col[c] < 0 && match_alias(aliases[c], key)) {
				im->col[c] = (int)i;
				found = 1;
			}
		if (!found && !match_alias(camap_other, key))
			unknown = 1;
	}
	if (im->col[C_PRODUCT] >= 0 && im->col[C_QTY] >= 0 &&
	    (im->col[C_USERID] >= 0 || im->col[C_USERNAME] >= 0)) {
		im->d->layout = AMAP_LAYOUT_CAMAP;
		return SSA_ERR_OK;
	}
	if (im->col[C_NOM] >= 0 || (im->col[C_USERNAME] >= 0 && im->col[C_PRODUCT] < 0)) {
		if (im->col[C_NOM] < 0)
			im->col[C_NOM] = im->col[C_USERNAME];
		im->d->layout = AMAP_LAYOUT_SHEET;
		for (size_t i = 0; i < r->nfields; i++) {
			int known = 0;

			for (int c = 0; c < C__COUNT; c++)
				known |= im->col[c] == (int)i;
			if (!known && r->field[i][0] != '\0') {
				im->contract_col[i] = 1;
				im->contract_name[i] = trimmed_dup(r->field[i]);
				if (im->contract_name[i] == NULL)
					return SSA_ERR_NOMEM;
			}
		}
		return SSA_ERR_OK;
	}
	(void)unknown;
	return SSA_ERR_LIST_FORMAT;
}

enum ssa_err
amap_import(const char *data, size_t len, struct amap_distribution *d, struct amap_report *rep)
{
	struct csv_reader r;
	struct importer im;
	enum ssa_err err;

	memset(d, 0, sizeof(*d));
	memset(rep, 0, sizeof(*rep));
	memset(&im, 0, sizeof(im));
	im.d = d;
	im.rep = rep;
	csv_init(&r, data, len);
	err = csv_next(&r);
	if (err == SSA_ERR_OK)
		err = read_header(&im, &r);
	else if (err == SSA_ERR_NOT_FOUND)
		err = SSA_ERR_LIST_FORMAT;
	while (err == SSA_ERR_OK) {
		enum ssa_err row = csv_next(&r);

		if (row == SSA_ERR_NOT_FOUND)
			break;
		if (row == SSA_ERR_NOMEM) {
			err = row;
			break;
		}
		if (row != SSA_ERR_OK) {
			report(rep, r.line, ssa_strerror(row), NULL);
			continue;
		}
		im.rollback_h = d->n_household;
		im.rollback_i = d->n_item;
		row = d->layout == AMAP_LAYOUT_CAMAP ? import_camap_row(&im, &r)
		                                     : import_sheet_row(&im, &r);
		if (row == SSA_ERR_NOMEM) {
			err = row;
		} else if (row != SSA_ERR_OK) {
			rollback(&im);
		} else {
			rep->rows_imported++;
		}
	}
	for (size_t i = 0; i < CSV_MAX_FIELDS; i++)
		free(im.contract_name[i]);
	csv_fini(&r);
	if (err)
		amap_fini(d);
	return err;
}

void
amap_fini(struct amap_distribution *d)
{
	for (size_t i = 0; i < d->n_household; i++)
		free_household(&d->household[i]);
	for (size_t i = 0; i < d->n_item; i++)
		free_item(&d->item[i]);
	free(d->household);
	free(d->item);
	memset(d, 0, sizeof(*d));
}

static int
cmp_household(const void *a, const void *b, void *arg)
{
	const struct amap_distribution *d = arg;
	char fa[256], fb[256];

	fold(d->household[*(const size_t *)a].name, fa, sizeof(fa));
	fold(d->household[*(const size_t *)b].name, fb, sizeof(fb));
	return strcmp(fa, fb);
}

void
amap_contract_category(const char *contract, char *out, size_t size)
{
	char folded[256];
	size_t n = 0;
	bool dash = false;

	fold(contract, folded, sizeof(folded));
	n = (size_t)snprintf(out, size, "amap-");
	if (n >= size)
		return;
	for (const char *p = folded; *p && n + 1 < size && n < AMAP_CATEGORY_MAX; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) {
			if (dash && out[n - 1] != '-' && n + 2 < size && n + 1 < AMAP_CATEGORY_MAX)
				out[n++] = '-';
			dash = false;
			out[n++] = *p;
		} else {
			dash = true;
		}
	}
	out[n] = '\0';
}

size_t
amap_find_member(const struct amap_distribution *d, uint64_t member)
{
	for (size_t i = 0; member != 0 && i < d->n_household; i++)
		if (d->household[i].member_id == member)
			return i;
	return (size_t)-1;
}

size_t
amap_find(const struct amap_distribution *d, const char *query, size_t *out, size_t max)
{
	char q[256], name[256], *save = NULL;
	size_t *all, n = 0;

	if (d->n_household == 0)
		return 0;
	all = malloc(d->n_household * sizeof(*all));
	if (all == NULL)
		return 0;
	fold(query ? query : "", q, sizeof(q));
	for (size_t h = 0; h < d->n_household; h++) {
		char words[256];
		int ok = 1;

		fold(d->household[h].name, name, sizeof(name));
		memcpy(words, q, sizeof(words));
		for (char *w = strtok_r(words, " ", &save); w && ok; w = strtok_r(NULL, " ", &save))
			ok = strstr(name, w) != NULL;
		if (ok)
			all[n++] = h;
	}
	qsort_r(all, n, sizeof(*all), cmp_household, (void *)(uintptr_t)d);
	memcpy(out, all, (n < max ? n : max) * sizeof(*out));
	free(all);
	return n;
}

enum ssa_err
amap_set_status(struct amap_distribution *d, size_t h, enum amap_status status, int64_t now,
                const char *by)
{
	struct amap_household *hh;
	char *copy = NULL;

	if (h >= d->n_household || (unsigned)status >= AMAP__STATUS_COUNT ||
	    (by && status != AMAP_COLLECTED))
		return SSA_ERR_INVAL;
	if (by && *by && (copy = trimmed_dup(by)) == NULL)
		return SSA_ERR_NOMEM;
	hh = &d->household[h];
	free(hh->collected_by);
	hh->collected_by = copy;
	hh->status = status;
	hh->changed_at = status == AMAP_EXPECTED ? 0 : now;
	return SSA_ERR_OK;
}

static int
handed_out(enum amap_status s)
{
	return s == AMAP_COLLECTED || s == AMAP_GIVEN_AWAY;
}

static int
cmp_total(const void *a, const void *b)
{
	const struct amap_total *x = a, *y = b;
	int c = strcmp(x->contract, y->contract);

	return c ? c : strcmp(x->product, y->product);
}

size_t
amap_totals(const struct amap_distribution *d, struct amap_total *out, size_t max)
{
	struct amap_total *t = NULL;
	size_t n = 0;

	if (d->n_item)
		t = calloc(d->n_item, sizeof(*t));
	if (d->n_item && t == NULL)
		return 0;
	for (size_t i = 0; i < d->n_item; i++) {
		const struct amap_item *it = &d->item[i];
		enum amap_status s = d->household[it->household].status;
		size_t k;

		/* Moved and cancelled baskets are not handed out today. */
		if (s == AMAP_MOVED || s == AMAP_CANCELLED)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(t[k].contract, it->contract) == 0 &&
			    strcmp(t[k].product, it->product) == 0)
				break;
		if (k == n) {
			t[n].contract = it->contract;
			t[n].product = it->product;
			n++;
		}
		t[k].expected_milli += it->qty_milli;
		if (handed_out(s))
			t[k].collected_milli += it->qty_milli;
	}
	if (n == 0) {
		free(t);
		return 0;
	}
	qsort(t, n, sizeof(*t), cmp_total);
	if (out)
		memcpy(out, t, (n < max ? n : max) * sizeof(*t));
	free(t);
	return n;
}

/* "2", "1,5", "0,25": thousandths as a person writes them with a decimal comma. */
static void
format_qty(int64_t milli, char *buf, size_t size)
{
	int64_t whole = milli / 1000, frac = milli % 1000;

	if (frac == 0) {
		snprintf(buf, size, "%lld", (long long)whole);
		return;
	}
	snprintf(buf, size, "%lld,%03lld", (long long)whole, (long long)frac);
	for (size_t len = strlen(buf); buf[len - 1] == '0'; len--)
		buf[len - 1] = '\0';
}

static void
format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL) {
		buf[0] = '\0';
		return;
	}
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

enum ssa_err
amap_export_csv(const struct amap_distribution *d, char **out, size_t *len)
{
	struct strbuf b = { 0 };

	strbuf_printf(&b, "household;name;contract;product;quantity;total;status;time;collected_by;"
	                  "comment\r\n");
	for (size_t i = 0; i < d->n_item; i++) {
		const struct amap_item *it = &d->item[i];
		const struct amap_household *h = &d->household[it->household];
		char qty[32], total[32], when[32];

		format_qty(it->qty_milli, qty, sizeof(qty));
		money_format_plain(it->total, total, sizeof(total));
		*strchr(total, '.') = ',';
		format_time(h->changed_at, when, sizeof(when));
		strbuf_add_csv(&b, h->id, ';');
		strbuf_add(&b, ";", 1);
		strbuf_add_csv(&b, h->name, ';');
		strbuf_add(&b, ";", 1);
		strbuf_add_csv(&b, it->contract, ';');
		strbuf_add(&b, ";", 1);
		strbuf_add_csv(&b, it->product, ';');
		strbuf_printf(&b, ";%s;%s;%s;%s;", qty, total, amap_status_name(h->status, 0), when);
		strbuf_add_csv(&b, h->collected_by, ';');
		strbuf_add(&b, ";", 1);
		strbuf_add_csv(&b, h->comment, ';');
		strbuf_add(&b, "\r\n", 2);
	}
	return strbuf_finish(&b, out, len);
}

enum ssa_err
amap_format_sheet(const struct amap_distribution *d, char **out, size_t *len)
{
	struct strbuf b = { 0 };
	size_t *order = NULL, n;

	if (d->n_household && (order = malloc(d->n_household * sizeof(*order))) == NULL)
		return SSA_ERR_NOMEM;
	n = amap_find(d, "", order, d->n_household);
	strbuf_printf(&b, "Feuille d'émargement — %zu foyers\n\n", n);
	for (size_t k = 0; k < n; k++) {
		const struct amap_household *h = &d->household[order[k]];
		const char *sep = "";

		strbuf_printf(&b, "[ ] %-32s ", h->name);
		for (size_t i = 0; i < d->n_item; i++) {
			char qty[32];

			if (d->item[i].household != order[k])
				continue;
			format_qty(d->item[i].qty_milli, qty, sizeof(qty));
			strbuf_printf(&b, "%s%s: %s x %s", sep, d->item[i].contract, qty,
			              d->item[i].product[0] ? d->item[i].product : "part");
			sep = "; ";
		}
		if (h->comment[0])
			strbuf_printf(&b, "  (%s)", h->comment);
		strbuf_add(&b, "\n", 1);
	}
	free(order);
	return strbuf_finish(&b, out, len);
}

/* A basket still on the table at the end: nobody came for it, or it waits for another day. */
static bool
left_over(enum amap_status s)
{
	return s == AMAP_EXPECTED || s == AMAP_ABSENT || s == AMAP_MOVED;
}

enum ssa_err
amap_format_uncollected(const struct amap_distribution *d, char **out, size_t *len)
{
	struct strbuf b = { 0 };
	size_t *order = NULL, n, left = 0;
	bool *counted = NULL;

	if (d->n_household && (order = malloc(d->n_household * sizeof(*order))) == NULL)
		return SSA_ERR_NOMEM;
	if (d->n_item && (counted = calloc(d->n_item, sizeof(*counted))) == NULL) {
		free(order);
		return SSA_ERR_NOMEM;
	}
	n = amap_find(d, "", order, d->n_household);
	for (size_t k = 0; k < n; k++)
		left += left_over(d->household[order[k]].status);
	strbuf_printf(&b, "Paniers non récupérés — %zu foyers sur %zu\n\n", left, n);
	for (size_t k = 0; k < n; k++) {
		const struct amap_household *h = &d->household[order[k]];
		const char *sep = "";

		if (!left_over(h->status))
			continue;
		strbuf_printf(&b, "%-32s %-8s ", h->name, amap_status_name(h->status, 1));
		for (size_t i = 0; i < d->n_item; i++) {
			char qty[32];

			if (d->item[i].household != order[k])
				continue;
			format_qty(d->item[i].qty_milli, qty, sizeof(qty));
			strbuf_printf(&b, "%s%s: %s x %s", sep, d->item[i].contract, qty,
			              d->item[i].product[0] ? d->item[i].product : "part");
			sep = "; ";
		}
		strbuf_add(&b, "\n", 1);
	}
	/* how many of each contract's item are left, in the order they first appear */
	strbuf_printf(&b, "\nReste :\n");
	for (size_t i = 0; i < d->n_item; i++) {
		int64_t qty = 0;
		char text[32];

		if (counted[i])
			continue;
		for (size_t j = i; j < d->n_item; j++) {
			if (counted[j] || strcmp(d->item[j].contract, d->item[i].contract) != 0 ||
			    strcmp(d->item[j].product, d->item[i].product) != 0)
				continue;
			counted[j] = true;
			if (left_over(d->household[d->item[j].household].status))
				qty += d->item[j].qty_milli;
		}
		if (qty == 0)
			continue;
		format_qty(qty, text, sizeof(text));
		strbuf_printf(&b, "  %s: %s x %s\n", d->item[i].contract, text,
		              d->item[i].product[0] ? d->item[i].product : "part");
	}
	free(counted);
	free(order);
	return strbuf_finish(&b, out, len);
}

const char *
amap_status_name(enum amap_status s, int french)
{
#define AMAP_NAME_(n, en, fr) [AMAP_##n] = { en, fr },
	static const char *const names[][2] = { AMAP_STATUS_LIST(AMAP_NAME_) };
#undef AMAP_NAME_
	if ((unsigned)s >= AMAP__STATUS_COUNT)
		return "?";
	return names[s][french ? 1 : 0];
}
