/* receipt.c — receipt layout, ESC/POS wrapping, durable write.  See receipt.h. */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssa/strbuf.h"
#include "ssa/vat.h"

#include "i18n.h"
#include "receipt.h"

/* Columns of UTF-8 @p s: one per character (receipt text has no wide characters; counting
 * characters keeps this independent of the locale). */
static int
cols(const char *s)
{
	int n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Append at most @p max columns of @p s. */
static void
add_cut(struct strbuf *b, const char *s, int max)
{
	const char *p = s;
	int n = 0;

	while (*p) {
		if (((unsigned char)*p & 0xc0) != 0x80) {
			if (n == max)
				break;
			n++;
		}
		p++;
	}
	strbuf_add(b, s, (size_t)(p - s));
}

static void
add_spaces(struct strbuf *b, int n)
{
	for (; n > 0; n--)
		strbuf_add(b, " ", 1);
}

/* "left ...... right\n" in @p w columns; the left part is cut to fit. */
static void
add_lr(struct strbuf *b, int w, const char *left, const char *right)
{
	int rw = cols(right);
	int lw = cols(left);
	int room = w - rw - 1;

	if (room < 0)
		room = 0;
	add_cut(b, left, room);
	add_spaces(b, w - (lw < room ? lw : room) - rw);
	strbuf_add(b, right, strlen(right));
	strbuf_add(b, "\n", 1);
}

static void
add_center(struct strbuf *b, int w, const char *s)
{
	int n = cols(s);

	if (n < w)
		add_spaces(b, (w - n) / 2);
	add_cut(b, s, w);
	strbuf_add(b, "\n", 1);
}

static void
add_rule(struct strbuf *b, int w, char c)
{
	for (int i = 0; i < w; i++)
		strbuf_add(b, &c, 1);
	strbuf_add(b, "\n", 1);
}

/* Money for a receipt: the no-break spaces of money_format become plain spaces, which every
 * printer code page has. */
static void
fmt_money(int64_t cents, enum money_locale loc, char *buf, size_t size)
{
	char tmp[64];
	size_t j = 0;

	money_format(cents, loc, tmp, sizeof(tmp));
	for (size_t i = 0; tmp[i] && j + 1 < size; i++) {
		if ((unsigned char)tmp[i] == 0xe2 && (unsigned char)tmp[i + 1] == 0x80 &&
		    (unsigned char)tmp[i + 2] == 0xaf) {
			buf[j++] = ' ';
			i += 2;
		} else if ((unsigned char)tmp[i] == 0xc2 && (unsigned char)tmp[i + 1] == 0xa0) {
			buf[j++] = ' ';
			i += 1;
		} else {
			buf[j++] = tmp[i];
		}
	}
	buf[j] = '\0';
}

/* A plain decimal with the locale's separator: "20,00" / "20.00". */
static void
fmt_plain(int64_t cents, enum money_locale loc, char *buf, size_t size)
{
	money_format_plain(cents, buf, size);
	if (loc == MONEY_FR)
		for (char *p = buf; *p; p++)
			if (*p == '.')
				*p = ',';
}

static void
fmt_rate(int64_t bp, enum money_locale loc, char *buf, size_t size)
{
	char sep = loc == MONEY_FR ? ',' : '.';

	if (bp % 100 == 0)
		snprintf(buf, size, "%lld %%", (long long)(bp / 100));
	else if (bp % 10 == 0)
		snprintf(buf, size, "%lld%c%lld %%", (long long)(bp / 100), sep,
			 (long long)(bp % 100 / 10));
	else
		snprintf(buf, size, "%lld%c%02lld %%", (long long)(bp / 100), sep,
			 (long long)(bp % 100));
}

static void
add_line(struct strbuf *b, const struct receipt *r, const struct basket_line *l)
{
	char detail[96], amount[48], unit[48], right[64];

	add_cut(b, l->product.name, r->width);
	strbuf_add(b, "\n", 1);
	fmt_money(l->product.price, r->loc, unit, sizeof(unit));
	switch (l->measure) {
	case BASKET_WEIGHT:
		snprintf(detail, sizeof(detail), "  %d%c%03d kg x %s/kg", (int)(l->grams / 1000),
			 r->loc == MONEY_FR ? ',' : '.', (int)(l->grams % 1000), unit);
		break;
	case BASKET_PRICED:
		snprintf(detail, sizeof(detail), "  %s", _("price on the label"));
		break;
	default:
		snprintf(detail, sizeof(detail), "  %lld x %s", (long long)l->qty, unit);
		break;
	}
	fmt_money(l->amount, r->loc, amount, sizeof(amount));
	/* The mark is a column of its own, so that amounts stay aligned on every line. */
	snprintf(right, sizeof(right), "%s %s", amount, l->decision.covered > 0 ? "S" : " ");
	add_lr(b, r->width, detail, right);
}

static void
add_tenders(struct strbuf *b, const struct receipt *r)
{
	const struct allocation *a = r->alloc;
	char m[48];

	for (size_t i = 0; i < a->n; i++) {
		const struct allocation_tender *t = &a->tenders[i];

		if (t->kind == TENDER_CASH && t->given != t->amount) {
			fmt_money(t->given, r->loc, m, sizeof(m));
			add_lr(b, r->width, _(tender_label(t->kind)), m);
		} else {
			fmt_money(t->amount, r->loc, m, sizeof(m));
			add_lr(b, r->width, _(tender_label(t->kind)), m);
		}
	}
	if (a->change > 0) {
		fmt_money(a->change, r->loc, m, sizeof(m));
		add_lr(b, r->width, _("Change given"), m);
	}
}

static enum ssa_err
add_vat(struct strbuf *b, const struct receipt *r)
{
	struct vat_summary s;
	enum ssa_err err = basket_vat(r->basket, &s);
	char rate[64], net[32], vat[32], gross[32], row[160];

	if (err != SSA_ERR_OK)
		return err;
	snprintf(row, sizeof(row), "%-8s%10s%10s", _("VAT"), _("excl."), _("VAT"));
	add_lr(b, r->width, row, _("incl."));
	for (size_t i = 0; i < s.n; i++) {
		fmt_rate(s.rates[i].rate_bp, r->loc, rate, sizeof(rate));
		fmt_plain(s.rates[i].net, r->loc, net, sizeof(net));
		fmt_plain(s.rates[i].vat, r->loc, vat, sizeof(vat));
		fmt_plain(s.rates[i].gross, r->loc, gross, sizeof(gross));
		snprintf(row, sizeof(row), "%-8s%10s%10s", rate, net, vat);
		add_lr(b, r->width, row, gross);
	}
	return SSA_ERR_OK;
}

enum ssa_err
receipt_format(const struct receipt *r, char **out, size_t *len)
{
	struct strbuf b = { 0 };
	struct basket_totals tot;
	char left[128], right[64];
	const int w = r->width;
	bool any_covered = false;
	enum ssa_err err;

	if (!r->basket || !r->alloc || w < RECEIPT_MIN_WIDTH || w > RECEIPT_MAX_WIDTH)
		return SSA_ERR_INVAL;
	if (r->shop_name && *r->shop_name)
		add_center(&b, w, r->shop_name);
	if (r->shop_address && *r->shop_address)
		add_center(&b, w, r->shop_address);
	if (r->copy > 0) {
		snprintf(left, sizeof(left), _("DUPLICATE %u"), r->copy);
		add_center(&b, w, left);
	}
	add_rule(&b, w, '-');
	snprintf(left, sizeof(left), _("Sale %llu"), (unsigned long long)r->sale_no);
	add_lr(&b, w, left, r->time_text ? r->time_text : "");
	snprintf(left, sizeof(left), _("Till %s"), r->terminal_id ? r->terminal_id : "-");
	snprintf(right, sizeof(right), _("Operator %s"), r->operator_id ? r->operator_id : "-");
	add_lr(&b, w, left, right);
	add_rule(&b, w, '-');
	for (size_t i = 0; i < r->basket->n; i++) {
		add_line(&b, r, &r->basket->lines[i]);
		any_covered = any_covered || r->basket->lines[i].decision.covered > 0;
	}
	add_rule(&b, w, '-');
	basket_totals(r->basket, &tot);
	fmt_money(tot.total, r->loc, right, sizeof(right));
	add_lr(&b, w, _("TOTAL"), right);
	fmt_money(r->alloc->ssa_debit, r->loc, right, sizeof(right));
	add_lr(&b, w, _("of which covered by SSA"), right);
	add_rule(&b, w, '-');
	add_tenders(&b, r);
	if (r->card) {
		fmt_money(r->alloc->balance_after, r->loc, right, sizeof(right));
		add_lr(&b, w, _("Card balance after"), right);
	}
	add_rule(&b, w, '-');
	if ((err = add_vat(&b, r)) != SSA_ERR_OK) {
		strbuf_fini(&b);
		return err;
	}
	if (any_covered) {
		add_rule(&b, w, '-');
		add_cut(&b, _("S: product covered by the SSA caisse"), w);
		strbuf_add(&b, "\n", 1);
	}
	return strbuf_finish(&b, out, len);
}

enum ssa_err
receipt_escpos(const char *text, size_t len, char **out, size_t *out_len)
{
	static const char init[] = "\x1b@\x1bt\x13"; /* ESC @ reset; ESC t 19: code page 858 */
	static const char cut[] = "\n\n\n\x1dV\x42\x00"; /* feed; GS V 66 0: partial cut */
	iconv_t cd = iconv_open("CP858//TRANSLIT", "UTF-8");
	size_t cap = len * 2 + sizeof(init) + sizeof(cut);
	char *buf = NULL, *in = (char *)(uintptr_t)text, *o;
	size_t in_left = len, o_left;
	enum ssa_err err = SSA_ERR_OK;

	if (cd == (iconv_t)-1)
		return SSA_ERR_UNSUPPORTED;
	if ((buf = malloc(cap)) == NULL) {
		err = SSA_ERR_NOMEM;
		goto out;
	}
	memcpy(buf, init, sizeof(init) - 1);
	o = buf + sizeof(init) - 1;
	o_left = cap - (sizeof(init) - 1) - (sizeof(cut) - 1);
	while (in_left > 0) {
		if (iconv(cd, &in, &in_left, &o, &o_left) != (size_t)-1)
			continue;
		if (errno == E2BIG || o_left == 0) {
			err = SSA_ERR_TOO_LONG;
			goto out;
		}
		/* A byte that is not UTF-8: print '?' for it rather than nothing. */
		*o++ = '?';
		o_left--;
		in++;
		in_left--;
	}
	memcpy(o, cut, sizeof(cut) - 1);
	o += sizeof(cut) - 1;
	*out_len = (size_t)(o - buf);
	*out = buf;
	buf = NULL;
out:
	free(buf);
	iconv_close(cd);
	return err;
}

static enum ssa_err
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return SSA_ERR_IO;
		data += n;
		len -= (size_t)n;
	}
	return SSA_ERR_OK;
}

/* fsync the directory holding @p path, so that the rename itself is durable. */
static enum ssa_err
fsync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	enum ssa_err err = SSA_ERR_OK;
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return SSA_ERR_IO;
	if (fsync(fd) != 0)
		err = SSA_ERR_IO;
	close(fd);
	return err;
}

enum ssa_err
receipt_write(const char *path, const char *data, size_t len)
{
	struct stat st;
	char tmp[4096];
	enum ssa_err err;
	int fd;

	if (stat(path, &st) == 0 && S_ISFIFO(st.st_mode)) {
		/* A pipe to a print spooler: never replaced by a file, and with nobody reading it
		 * the open fails at once (ENXIO) instead of blocking the till. */
		if ((fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
			return SSA_ERR_IO;
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
			close(fd);
			return SSA_ERR_IO;
		}
		err = write_all(fd, data, len);
		if (close(fd) != 0 && err == SSA_ERR_OK)
			err = SSA_ERR_IO;
		return err;
	}
	if (stat(path, &st) == 0 && S_ISCHR(st.st_mode)) {
		if ((fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC)) < 0)
			return SSA_ERR_IO;
		err = write_all(fd, data, len);
		if (close(fd) != 0 && err == SSA_ERR_OK)
			err = SSA_ERR_IO;
		return err;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return SSA_ERR_TOO_LONG;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return SSA_ERR_IO;
	/* Order matters: data, fsync, rename — a crash leaves the old file or the new, whole. */
	err = write_all(fd, data, len);
	if (err == SSA_ERR_OK && fsync(fd) != 0)
		err = SSA_ERR_IO;
	if (close(fd) != 0 && err == SSA_ERR_OK)
		err = SSA_ERR_IO;
	if (err == SSA_ERR_OK && rename(tmp, path) != 0)
		err = SSA_ERR_IO;
	if (err != SSA_ERR_OK) {
		unlink(tmp);
		return err;
	}
	return fsync_dir(path);
}
