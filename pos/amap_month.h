/* amap_month.h — the members' monthly AMAP statement of this till (ssa-pos --amap-statement).
 *
 * Reads every distribution's statement file in the till's AMAP directory (data_dir/amap/
 * <name>-statement.csv, written by F12), keeps the pickups of one month and writes, for the
 * caisse's reimbursement: statement-YYYY-MM.csv (every member's baskets sorted by member then
 * date, a total row per member, a total row for the month) and statement-YYYY-MM/<member>.txt
 * (one printable statement per member).  The grouping and the formats are ssa/amap_statement.h;
 * this is the file I/O.  docs/amap.md.
 */
#ifndef POS_AMAP_MONTH_H
#define POS_AMAP_MONTH_H

#include <stddef.h>

#include "ssa/err.h"

/* Write month @p month's ("YYYY-MM") statement from the files of directory @p dir.
 * Nothing is written unless every input is sound: a statement file with a bad row (its file
 * and line), a distribution whose sign-in log has check-ins of that month not in its statement
 * (F12 not pressed since), the same pickup in two files, or no pickup at all that month is an
 * error, and @p msg says which and what to do.  On success @p msg gets the summary and the
 * paths written.  SSA_ERR_INVAL (month), SSA_ERR_IO, SSA_ERR_LIST_FORMAT, SSA_ERR_CONFLICT,
 * SSA_ERR_OVERFLOW, SSA_ERR_NOT_FOUND, SSA_ERR_NOMEM. */
enum ssa_err amap_month_export(const char *dir, const char *month, char *msg, size_t msg_size);

#endif
