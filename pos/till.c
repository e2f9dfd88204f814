/* till.c — the till's logic: the entry line, the sale, the payment steps.  No curses here. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ssa/money.h"

#include "i18n.h"
#include "till.h"

void
till_init(struct till *t)
{
	memset(t, 0, sizeof(*t));
}

void
till_fini(struct till *t)
{
	memset(t, 0, sizeof(*t));
}

void
till_message(struct till *t, enum till_msg_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_level = level;
}

static bool
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

enum ssa_err
till_parse_entry(const char *text, struct till_entry *out)
{
	struct till_entry e = { .qty = 1 };
	const char *star = strchr(text, '*');
	const char *code = star ? star + 1 : text;
	size_t len = strlen(code);

	if (star) {
		size_t plen = (size_t)(star - text);
		char prefix[16];

		if (plen == 0 || plen >= sizeof(prefix))
			return SSA_ERR_INVAL;
		memcpy(prefix, text, plen);
		prefix[plen] = '\0';
		if (strpbrk(prefix, ".,")) {
			int64_t grams;

			if (decimal_parse(prefix, 3, TILL_GRAMS_MAX, &grams) != SSA_ERR_OK ||
			    grams <= 0)
				return SSA_ERR_INVAL;
			e.grams = grams;
		} else {
			int64_t q;

			if (!all_digits(prefix, plen) ||
			    decimal_parse(prefix, 0, TILL_QTY_MAX, &q) != SSA_ERR_OK || q < 1)
				return SSA_ERR_INVAL;
			e.qty = q;
		}
	}
	if (len == 0)
		return SSA_ERR_BARCODE_EMPTY;
	if (!all_digits(code, len))
		return SSA_ERR_BARCODE_CHARS;
	if (len > TILL_CODE_MAX)
		return SSA_ERR_TOO_LONG;
	memcpy(e.code, code, len + 1);
	*out = e;
	return SSA_ERR_OK;
}

bool
till_entry_type(struct till *t, int ch)
{
	size_t n = strlen(t->entry);

	if (!((ch >= '0' && ch <= '9') || ch == '*' || ch == ',' || ch == '.'))
		return false;
	if (n >= TILL_ENTRY_MAX)
		return false;
	t->entry[n] = (char)ch;
	t->entry[n + 1] = '\0';
	return true;
}

bool
till_entry_backspace(struct till *t)
{
	size_t n = strlen(t->entry);

	if (n == 0)
		return false;
	t->entry[n - 1] = '\0';
	return true;
}

void
till_entry_clear(struct till *t)
{
	t->entry[0] = '\0';
	t->weight_prompt = false;
}

bool
till_entry_is_scan(const char *text)
{
	const char *star = strchr(text, '*');
	const char *code = star ? star + 1 : text;
	size_t len = strlen(code);

	return len >= 8 && len <= TILL_CODE_MAX && all_digits(code, len);
}

void
till_weight_prompt(struct till *t)
{
	t->entry[0] = '\0';
	t->weight_prompt = true;
	till_message(t, TILL_MSG_INFO, "%s", _("Type the weight in kg, then Enter."));
}

static enum ssa_err
enter_weight(struct till *t, const char *text)
{
	int64_t grams;
	char shown[32];

	if (decimal_parse(text, 3, TILL_GRAMS_MAX, &grams) != SSA_ERR_OK || grams <= 0) {
		till_message(t, TILL_MSG_ERROR, _("Not a weight in kg: \"%s\" (e.g. 0,350)."), text);
		return SSA_ERR_INVAL;
	}
	t->pending_grams = grams;
	snprintf(shown, sizeof(shown), "%d,%03d", (int)(grams / 1000), (int)(grams % 1000));
	till_message(t, TILL_MSG_INFO, _("Weight %s kg: now scan or type the item."), shown);
	return SSA_ERR_OK;
}

static enum ssa_err
add_entry(struct till *t, const struct till_entry *e)
{
	/* The catalog port is wired in once the catalog lands; until then nothing is known. */
	till_message(t, TILL_MSG_ERROR, _("Unknown product: %s."), e->code);
	return SSA_ERR_NOT_FOUND;
}

enum ssa_err
till_enter(struct till *t)
{
	char text[TILL_ENTRY_MAX + 1];
	struct till_entry e;
	enum ssa_err err;
	bool weight = t->weight_prompt;

	memcpy(text, t->entry, sizeof(text));
	till_entry_clear(t);
	if (text[0] == '\0')
		return SSA_ERR_OK;
	if (weight && !till_entry_is_scan(text))
		return enter_weight(t, text);
	err = till_parse_entry(text, &e);
	if (err != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("Cannot read \"%s\": %s."), text,
			     _(ssa_strerror(err)));
		return err;
	}
	if (e.grams == 0 && t->pending_grams > 0) {
		e.grams = t->pending_grams;
		e.qty = 1;
	}
	t->pending_grams = 0;
	return add_entry(t, &e);
}
