/* catalog.c — products, their CSV line, and the in-memory catalog behind the port. */
#include <stdlib.h>
#include <string.h>

#include "ssa/catalog.h"
#include "ssa/convention.h"
#include "ssa/gtin.h"
#include "ssa/money.h"

void
catalog_close(struct ssa_catalog *cat)
{
	if (cat != NULL)
		cat->close(cat);
}

enum ssa_err
catalog_unit_parse(const char *text, enum catalog_unit *out)
{
	if (text != NULL && strcmp(text, "piece") == 0)
		*out = CATALOG_PIECE;
	else if (text != NULL && strcmp(text, "kg") == 0)
		*out = CATALOG_KG;
	else
		return SSA_ERR_INVAL;
	return SSA_ERR_OK;
}

const char *
catalog_unit_name(enum catalog_unit unit)
{
	return unit == CATALOG_KG ? "kg" : "piece";
}

int
catalog_code_valid(const char *code)
{
	size_t n;

	if (code == NULL)
		return 0;
	n = strlen(code);
	if (n == 0 || n > CATALOG_CODE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)code[i];
		if (c <= 0x20 || c >= 0x7f || c == ',' || c == '"' || c == '#')
			return 0;
	}
	return 1;
}

enum ssa_err
catalog_code_canonical(const char *code, char *out, const char **why)
{
	char buf[GTIN_TEXT_MAX + 1];
	const char *dummy;
	size_t n;
	enum ssa_err e;

	if (why == NULL)
		why = &dummy;
	if (!catalog_code_valid(code)) {
		*why = "bad code (1 to 24 printable characters, no comma, quote or space)";
		return SSA_ERR_CATALOG_FORMAT;
	}
	n = strlen(code);
	for (size_t i = 0; i < n; i++)
		if (code[i] < '0' || code[i] > '9')
			goto as_is;
	e = gtin_canonical(code, buf, sizeof(buf), NULL, 0);
	if (e == SSA_ERR_BARCODE_CHECK) {
		*why = "wrong check digit";
		return e;
	}
	if (e == SSA_ERR_OK && strlen(buf) <= CATALOG_CODE_MAX) {
		strcpy(out, buf);
		return SSA_ERR_OK;
	}
as_is:
	memmove(out, code, n + 1);
	return SSA_ERR_OK;
}

int
catalog_category_valid(const char *cat)
{
	size_t n;

	if (cat == NULL)
		return 0;
	n = strlen(cat);
	if (n == 0 || n > CATALOG_CATEGORY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = cat[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

enum ssa_err
catalog_product_check(const struct catalog_product *p, const struct vat_rates *rates)
{
	size_t n;

	if (!catalog_code_valid(p->code) || !catalog_category_valid(p->category))
		return SSA_ERR_CATALOG_FORMAT;
	n = strnlen(p->name, sizeof(p->name));
	if (n == 0 || n > CATALOG_NAME_MAX)
		return SSA_ERR_CATALOG_FORMAT;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p->name[i] < 0x20 || p->name[i] == 0x7f)
			return SSA_ERR_CATALOG_FORMAT;
	if (p->price < 0 || p->price > MONEY_MAX)
		return SSA_ERR_CATALOG_FORMAT;
	if (p->unit != CATALOG_PIECE && p->unit != CATALOG_KG)
		return SSA_ERR_CATALOG_FORMAT;
	if (p->quick_key < 0 || p->quick_key > CATALOG_QUICK_KEY_MAX)
		return SSA_ERR_CATALOG_FORMAT;
	if (!vat_rates_contains(rates, p->vat_bp))
		return SSA_ERR_CATALOG_VAT;
	return SSA_ERR_OK;
}

/* Split a CSV line into exactly @p nf fields (double quotes allowed, "" for a quote) copied into
 * @p buf (fields NUL-separated, @p field[i] points into it).  Returns 0 on a malformed line, a
 * wrong field count or a line that does not fit. */
static int
csv_split(const char *line, size_t len, char *buf, size_t size, char **field, size_t nf)
{
	size_t p = 0, n = 0, k = 0;

	for (;;) {
		if (k == nf)
			return 0;
		field[k++] = buf + n;
		if (p < len && line[p] == '"') {
			p++;
			for (;;) {
				if (p >= len)
					return 0;
				if (line[p] == '"') {
					if (p + 1 < len && line[p + 1] == '"')
						p++;
					else
						break;
				}
				if (n + 1 >= size)
					return 0;
				buf[n++] = line[p++];
			}
			p++; /* closing quote */
			if (p < len && line[p] != ',')
				return 0;
		} else {
			while (p < len && line[p] != ',') {
				if (line[p] == '"' || n + 1 >= size)
					return 0;
				buf[n++] = line[p++];
			}
		}
		if (n + 1 >= size)
			return 0;
		buf[n++] = '\0';
		if (p >= len)
			break;
		p++; /* comma */
		if (p == len) { /* trailing comma: one more, empty field */
			if (k == nf)
				return 0;
			field[k++] = buf + n;
			buf[n++] = '\0';
			break;
		}
	}
	return k == nf;
}

enum ssa_err
catalog_csv_parse_line(const char *line, size_t len, const struct vat_rates *rates,
		       struct catalog_product *out, const char **why)
{
	struct catalog_product p;
	char buf[256], *f[7];
	const char *dummy;
	enum ssa_err e;
	int64_t v;

	if (why == NULL)
		why = &dummy;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len) != NULL || !csv_split(line, len, buf, sizeof(buf), f, 7)) {
		*why = "expected 7 fields: code,name,price,unit,vat,category,quick_key";
		return SSA_ERR_CATALOG_FORMAT;
	}
	memset(&p, 0, sizeof(p));
	if ((e = catalog_code_canonical(f[0], p.code, why)) != SSA_ERR_OK)
		return e;
	if (strlen(f[1]) > CATALOG_NAME_MAX || f[1][0] == '\0') {
		*why = "name empty or too long";
		return SSA_ERR_CATALOG_FORMAT;
	}
	strcpy(p.name, f[1]);
	if (money_parse(f[2], &p.price) != SSA_ERR_OK || p.price < 0) {
		*why = "bad price";
		return SSA_ERR_CATALOG_FORMAT;
	}
	if (catalog_unit_parse(f[3], &p.unit) != SSA_ERR_OK) {
		*why = "unit must be piece or kg";
		return SSA_ERR_CATALOG_FORMAT;
	}
	if (money_parse_rate(f[4], &p.vat_bp) != SSA_ERR_OK) {
		*why = "bad VAT rate";
		return SSA_ERR_CATALOG_FORMAT;
	}
	if (!catalog_category_valid(f[5])) {
		*why = "bad category ([a-z0-9_-], at most 32)";
		return SSA_ERR_CATALOG_FORMAT;
	}
	strcpy(p.category, f[5]);
	if (f[6][0] != '\0') {
		if (strlen(f[6]) > 2 || f[6][0] < '1' || f[6][0] > '9' ||
		    (f[6][1] != '\0' && (f[6][1] < '0' || f[6][1] > '9'))) {
			*why = "quick key must be empty or 1..99";
			return SSA_ERR_CATALOG_FORMAT;
		}
		v = f[6][0] - '0';
		if (f[6][1] != '\0')
			v = v * 10 + (f[6][1] - '0');
		p.quick_key = (int)v;
	}
	if ((e = catalog_product_check(&p, rates)) != SSA_ERR_OK) {
		*why = e == SSA_ERR_CATALOG_VAT ? "VAT rate is not a configured rate"
						: "bad name (control character)";
		return e;
	}
	*out = p;
	return SSA_ERR_OK;
}

/* --- the in-memory catalog -------------------------------------------------------------- */

struct mem_catalog {
	struct ssa_catalog port; /* first: the port pointer is the object */
	struct catalog_product *products; /* sorted by code */
	size_t n, cap;
	struct convention_list **lists;
	size_t n_lists;
};

static int
product_cmp(const void *a, const void *b)
{
	return strcmp(((const struct catalog_product *)a)->code,
		      ((const struct catalog_product *)b)->code);
}

static enum ssa_err
mem_find(void *cls, const char *code, struct catalog_product *out)
{
	struct mem_catalog *m = cls;
	struct catalog_product probe;
	const struct catalog_product *p;

	if (!catalog_code_valid(code))
		return SSA_ERR_NOT_FOUND;
	strcpy(probe.code, code);
	p = m->n ? bsearch(&probe, m->products, m->n, sizeof(probe), product_cmp) : NULL;
	if (p == NULL)
		return SSA_ERR_NOT_FOUND;
	*out = *p;
	return SSA_ERR_OK;
}

static enum ssa_err
mem_find_quick_key(void *cls, int slot, struct catalog_product *out)
{
	struct mem_catalog *m = cls;

	if (slot < 1 || slot > CATALOG_QUICK_KEY_MAX)
		return SSA_ERR_NOT_FOUND;
	for (size_t i = 0; i < m->n; i++)
		if (m->products[i].quick_key == slot) {
			*out = m->products[i];
			return SSA_ERR_OK;
		}
	return SSA_ERR_NOT_FOUND;
}

static enum ssa_err
mem_list_in_force(void *cls, const char *caisse, const struct convention_list **out)
{
	struct mem_catalog *m = cls;

	for (size_t i = 0; i < m->n_lists; i++)
		if (caisse != NULL && strcmp(m->lists[i]->caisse, caisse) == 0) {
			*out = m->lists[i];
			return SSA_ERR_OK;
		}
	return SSA_ERR_NOT_FOUND;
}

static void
mem_close(struct ssa_catalog *self)
{
	struct mem_catalog *m = (struct mem_catalog *)self;

	for (size_t i = 0; i < m->n_lists; i++)
		convention_list_free(m->lists[i]);
	free(m->lists);
	free(m->products);
	free(m);
}

enum ssa_err
catalog_mem_new(struct ssa_catalog **out)
{
	struct mem_catalog *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return SSA_ERR_NOMEM;
	m->port.cls = m;
	m->port.find = mem_find;
	m->port.find_quick_key = mem_find_quick_key;
	m->port.list_in_force = mem_list_in_force;
	m->port.close = mem_close;
	*out = &m->port;
	return SSA_ERR_OK;
}

enum ssa_err
catalog_mem_put(struct ssa_catalog *cat, const struct catalog_product *p)
{
	struct mem_catalog *m = (struct mem_catalog *)cat;
	struct catalog_product canon;
	enum ssa_err e;
	size_t lo = 0, hi;

	if (cat == NULL || cat->close != mem_close || p == NULL)
		return SSA_ERR_INVAL;
	if ((e = catalog_product_check(p, NULL)) != SSA_ERR_OK)
		return e;
	canon = *p;
	if ((e = catalog_code_canonical(p->code, canon.code, NULL)) != SSA_ERR_OK)
		return e;
	p = &canon;
	hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->products[mid].code, p->code);
		if (c == 0) {
			m->products[mid] = *p;
			return SSA_ERR_OK;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 32;
		void *np = realloc(m->products, nc * sizeof(*m->products));
		if (np == NULL)
			return SSA_ERR_NOMEM;
		m->products = np;
		m->cap = nc;
	}
	memmove(&m->products[lo + 1], &m->products[lo], (m->n - lo) * sizeof(*m->products));
	m->products[lo] = *p;
	m->n++;
	return SSA_ERR_OK;
}

enum ssa_err
catalog_mem_set_list(struct ssa_catalog *cat, struct convention_list *list)
{
	struct mem_catalog *m = (struct mem_catalog *)cat;
	void *nl;

	if (cat == NULL || cat->close != mem_close || list == NULL)
		return SSA_ERR_INVAL;
	for (size_t i = 0; i < m->n_lists; i++)
		if (strcmp(m->lists[i]->caisse, list->caisse) == 0) {
			if (list->version <= m->lists[i]->version)
				return SSA_ERR_INVAL; /* the port's contract: only a newer list */
			convention_list_free(m->lists[i]);
			m->lists[i] = list;
			return SSA_ERR_OK;
		}
	nl = realloc(m->lists, (m->n_lists + 1) * sizeof(*m->lists));
	if (nl == NULL)
		return SSA_ERR_NOMEM;
	m->lists = nl;
	m->lists[m->n_lists++] = list;
	return SSA_ERR_OK;
}
