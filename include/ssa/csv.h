/* ssa/csv.h — a strict, small reader of CSV as spreadsheets and AMAP software export it.
 *
 * RFC 4180 quoting ("a ""b""", fields spanning lines), ';' or ',' as separator (detected from the
 * header line), a UTF-8 byte order mark skipped, CRLF or LF.  The reader never allocates per
 * field beyond one growing row buffer; fields are NUL-terminated strings inside it.
 */
#ifndef SSA_CSV_H
#define SSA_CSV_H

#include <stddef.h>

#include "ssa/err.h"

#define CSV_MAX_FIELDS 64

struct csv_reader {
	const char *p, *end;
	char sep;
	unsigned line;      /* line number where the current row started (1-based) */
	unsigned next_line; /* line number of the next row */
	char *buf;          /* row storage, owned */
	size_t cap;
	char *field[CSV_MAX_FIELDS];
	size_t nfields;
};

/* Start reading @p len bytes at @p data (not copied: keep it alive).  Skips a UTF-8 BOM and
 * detects the separator from the first line: the more frequent of ';' and ',' outside quotes
 * (';' on a tie).  @p r is then ready for csv_next(). */
void csv_init(struct csv_reader *r, const char *data, size_t len);

/* Free the row buffer.  Safe on a zeroed reader. */
void csv_fini(struct csv_reader *r);

/* Read the next row into r->field[0..nfields).  Returns SSA_ERR_OK, SSA_ERR_NOT_FOUND at the end
 * of input, SSA_ERR_LIST_FORMAT for an unterminated quote or a character after a closing quote
 * (the reader then skips to the next line, so the caller can report r->line and go on), or
 * SSA_ERR_TOO_LONG for a row of more than CSV_MAX_FIELDS fields.  Blank lines are skipped. */
enum ssa_err csv_next(struct csv_reader *r);

#endif
