/* ssa/textlines.h — reading the signed canonical texts of the caisse (grant batches, hot lists)
 * line by line: printable ASCII only, every line ending with '\n', errors with a line number. */
#ifndef SSA_TEXTLINES_H
#define SSA_TEXTLINES_H

#include <stddef.h>

#include "ssa/convention.h"
#include "ssa/err.h"

#define TEXT_LINE_MAX 256

struct text_lines {
	const char *text; /* the whole text, not copied */
	size_t len, pos;
	unsigned lineno;               /* of the line in @c line, 1-based */
	struct convention_error *err;  /* where text_fail writes; may be NULL */
	enum ssa_err code;             /* what text_fail returns (the format error of the module) */
	size_t max;                    /* longest line accepted, < TEXT_LINE_MAX */
	char line[TEXT_LINE_MAX];
};

/* Record "line N: <fmt ...>" in l->err (when not NULL); returns l->code. */
enum ssa_err text_fail(struct text_lines *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Next line, without its '\n', into l->line.  1, 0 at the end, -1 on a bad line (a missing final
 * newline, a byte that is not printable ASCII, a line longer than l->max), recorded by text_fail. */
int text_next_line(struct text_lines *l);

/* Split @p line in place at every ',' into @p f (at most @p max fields).  Returns the number of
 * fields, or max + 1 when there are more. */
size_t text_split(char *line, char **f, size_t max);

#endif
