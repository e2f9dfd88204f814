/* ssa/strbuf.h — a growing byte buffer for building text (CSV exports, receipts, sheets). */
#ifndef SSA_STRBUF_H
#define SSA_STRBUF_H

#include <stddef.h>

#include "ssa/err.h"

struct strbuf {
	char *data; /* NUL-terminated once anything was added; owned */
	size_t len;
	size_t cap;
	enum ssa_err err; /* sticky: the first failure; later appends do nothing */
};

/* Append printf-style.  On failure err is set and the buffer keeps what it had. */
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append @p len bytes. */
void strbuf_add(struct strbuf *b, const char *s, size_t len);

/* Append @p s as a CSV field: quoted when it holds @p sep, a quote or a line break. */
void strbuf_add_csv(struct strbuf *b, const char *s, char sep);

/* Hand the text over: @p *out gets the data (caller frees), @p *len its length; returns the
 * sticky error, freeing the buffer on error.  @p b is zeroed. */
enum ssa_err strbuf_finish(struct strbuf *b, char **out, size_t *len);

/* Free and zero. */
void strbuf_fini(struct strbuf *b);

#endif
