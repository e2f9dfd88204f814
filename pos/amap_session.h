/* amap_session.h — an AMAP distribution at the till, kept across crashes and restarts.
 *
 * The distribution is imported from its CSV (ssa/amap.h); every check-in is appended to a log
 * file next to the till's data (one line per change, fsynced before it shows on screen), and
 * replayed when the same distribution is opened again, so that a laptop that dies mid-
 * distribution loses nothing.  Exports (results CSV, printable sheet) are written durably.
 */
#ifndef POS_AMAP_SESSION_H
#define POS_AMAP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/amap.h"
#include "ssa/err.h"

struct amap_session {
	struct amap_distribution d;
	struct amap_report rep;
	unsigned replayed;  /* changes replayed from the log */
	char *log_path;     /* <dir>/<name>.log */
	char *results_path; /* <dir>/<name>-results.csv */
	char *sheet_path;   /* <dir>/<name>-sheet.txt */
	char *left_path;    /* <dir>/<name>-uncollected.txt: the baskets left */
	char *statement_path; /* <dir>/<name>-statement.csv (amap_pay_statement) */
};

/* Import @p csv_path and replay its log from directory @p dir (created if missing).
 * @param[out] s  zeroed here; release with amap_session_close.
 * @param[out] msg  on error, a sentence for a person.
 * SSA_ERR_IO (file), SSA_ERR_LIST_FORMAT (not a known layout), SSA_ERR_NOMEM. */
enum ssa_err amap_session_open(struct amap_session *s, const char *csv_path, const char *dir,
			       char *msg, size_t msg_size);

/* Record @p status for household @p h at @p now (UTC seconds), collected by @p by (NULL: the
 * household itself).  Order matters: the change is written and fsynced to the log, then
 * applied, so that what the screen shows is on disk. */
enum ssa_err amap_session_set(struct amap_session *s, size_t h, enum amap_status status,
			      int64_t now, const char *by);

/* Write the results CSV and the printable sheet (durably). */
enum ssa_err amap_session_export(struct amap_session *s);

/* The whole of file @p path (at most 64 MiB), NUL-terminated, malloc'd (the caller frees);
 * @p *len its length.  NULL with errno set when it cannot be read. */
char *amap_file_read(const char *path, size_t *len);

/* Release everything; @p s is zeroed.  The log stays on disk. */
void amap_session_close(struct amap_session *s);

#endif
