/* textlines.c — see ssa/textlines.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ssa/textlines.h"

enum ssa_err
text_fail(struct text_lines *l, const char *fmt, ...)
{
	va_list ap;

	if (l->err != NULL) {
		l->err->line = l->lineno;
		va_start(ap, fmt);
		vsnprintf(l->err->msg, sizeof(l->err->msg), fmt, ap);
		va_end(ap);
	}
	return l->code;
}

int
text_next_line(struct text_lines *l)
{
	size_t n = 0, max = l->max < sizeof(l->line) ? l->max : sizeof(l->line) - 1;

	if (l->pos >= l->len)
		return 0;
	l->lineno++;
	for (;;) {
		unsigned char c;
		if (l->pos >= l->len) {
			text_fail(l, "last line does not end with a newline");
			return -1;
		}
		c = (unsigned char)l->text[l->pos++];
		if (c == '\n')
			break;
		if (c < 0x20 || c >= 0x7f) {
			text_fail(l, "byte 0x%02x in the line (printable ASCII only)", c);
			return -1;
		}
		if (n >= max) {
			text_fail(l, "line longer than %zu bytes", max);
			return -1;
		}
		l->line[n++] = (char)c;
	}
	l->line[n] = '\0';
	return 1;
}

size_t
text_split(char *line, char **f, size_t max)
{
	size_t n = 0;

	for (;;) {
		if (n == max)
			return max + 1;
		f[n++] = line;
		line = strchr(line, ',');
		if (line == NULL)
			return n;
		*line++ = '\0';
	}
}
