/* strbuf.c — see ssa/strbuf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/strbuf.h"

static int
reserve(struct strbuf *b, size_t more)
{
	size_t cap;
	char *d;

	if (b->err)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	d = realloc(b->data, cap);
	if (d == NULL) {
		b->err = SSA_ERR_NOMEM;
		return -1;
	}
	b->data = d;
	b->cap = cap;
	return 0;
}

void
strbuf_add(struct strbuf *b, const char *s, size_t len)
{
	if (reserve(b, len))
		return;
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = SSA_ERR_INVAL;
		return;
	}
	if (reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
strbuf_add_csv(struct strbuf *b, const char *s, char sep)
{
	if (s == NULL)
		s = "";
	if (strchr(s, sep) == NULL && strpbrk(s, "\"\r\n") == NULL) {
		strbuf_add(b, s, strlen(s));
		return;
	}
	strbuf_add(b, "\"", 1);
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		strbuf_add(b, s, (size_t)(q - s));
		strbuf_add(b, "\"\"", 2);
	}
	strbuf_add(b, s, strlen(s));
	strbuf_add(b, "\"", 1);
}

enum ssa_err
strbuf_finish(struct strbuf *b, char **out, size_t *len)
{
	enum ssa_err err = b->err;

	if (!err && reserve(b, 0) == 0) {
		b->data[b->len] = '\0';
		*out = b->data;
		*len = b->len;
		memset(b, 0, sizeof(*b));
		return SSA_ERR_OK;
	}
	err = b->err;
	strbuf_fini(b);
	return err;
}

void
strbuf_fini(struct strbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
