/* csv.c — see ssa/csv.h.  Fields are copied unquoted into one row buffer, NUL-separated. */
#include <stdlib.h>
#include <string.h>

#include "ssa/csv.h"

void
csv_init(struct csv_reader *r, const char *data, size_t len)
{
	const char *p, *end = data + len;
	size_t semi = 0, comma = 0;
	int quoted = 0;

	memset(r, 0, sizeof(*r));
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		data += 3;
	for (p = data; p < end && (quoted || (*p != '\n' && *p != '\r')); p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == ';')
			semi++;
		else if (!quoted && *p == ',')
			comma++;
	}
	r->sep = comma > semi ? ',' : ';';
	r->p = data;
	r->end = end;
	r->next_line = 1;
}

void
csv_fini(struct csv_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}

static int
put(struct csv_reader *r, size_t *len, char c)
{
	if (*len + 1 >= r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		char *b = realloc(r->buf, cap);
		if (b == NULL)
			return -1;
		r->buf = b;
		r->cap = cap;
	}
	r->buf[(*len)++] = c;
	return 0;
}

/* After an error: drop the rest of the physical line. */
static void
skip_line(struct csv_reader *r)
{
	while (r->p < r->end && *r->p != '\n')
		r->p++;
	if (r->p < r->end) {
		r->p++;
		r->next_line++;
	}
}

enum ssa_err
csv_next(struct csv_reader *r)
{
	size_t len, starts[CSV_MAX_FIELDS];

	/* skip blank lines */
	while (r->p < r->end && (*r->p == '\n' || *r->p == '\r')) {
		if (*r->p == '\n')
			r->next_line++;
		r->p++;
	}
	if (r->p >= r->end)
		return SSA_ERR_NOT_FOUND;
	r->line = r->next_line;
	len = 0;
	r->nfields = 0;
	for (;;) {
		if (r->nfields == CSV_MAX_FIELDS) {
			skip_line(r);
			return SSA_ERR_TOO_LONG;
		}
		starts[r->nfields++] = len;
		if (r->p < r->end && *r->p == '"') {
			r->p++;
			for (;;) {
				if (r->p >= r->end) {
					return SSA_ERR_LIST_FORMAT;
				} else if (*r->p == '"' && r->p + 1 < r->end && r->p[1] == '"') {
					if (put(r, &len, '"'))
						return SSA_ERR_NOMEM;
					r->p += 2;
				} else if (*r->p == '"') {
					r->p++;
					break;
				} else {
					if (*r->p == '\n')
						r->next_line++;
					if (put(r, &len, *r->p++))
						return SSA_ERR_NOMEM;
				}
			}
			if (r->p < r->end && *r->p != r->sep && *r->p != '\n' && *r->p != '\r') {
				skip_line(r);
				return SSA_ERR_LIST_FORMAT;
			}
		} else {
			while (r->p < r->end && *r->p != r->sep && *r->p != '\n' && *r->p != '\r')
				if (put(r, &len, *r->p++))
					return SSA_ERR_NOMEM;
		}
		if (put(r, &len, '\0'))
			return SSA_ERR_NOMEM;
		if (r->p < r->end && *r->p == r->sep) {
			r->p++;
			continue;
		}
		break;
	}
	if (r->p < r->end && *r->p == '\r')
		r->p++;
	if (r->p < r->end && *r->p == '\n') {
		r->p++;
		r->next_line++;
	}
	for (size_t i = 0; i < r->nfields; i++)
		r->field[i] = r->buf + starts[i];
	return SSA_ERR_OK;
}
