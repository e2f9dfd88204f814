/* ssa/amap_statement.h — the members' monthly statement of AMAP pickups, for reimbursement.
 *
 * When the caisse takes the pickup as proof (the contract is not paid from the card at the
 * table), it reimburses the AMAP or the member from each member's monthly statement: the dates,
 * the baskets and their amounts.  Each distribution's F12 writes a statement file
 * (<name>-statement.csv, see amap_pay_statement), one row per item collected by a household
 * with an SSA member id:
 *   member;household;date;contract;product;quantity;amount;paid
 * This module gathers the rows of one month from any number of those files, sorts them by
 * member then date, sums each member's baskets (overflow-checked cents), and formats the
 * month's CSV and one printable text statement per member.  No file I/O: the caller reads the
 * files and writes the results (pos/amap_month.c).
 */
#ifndef SSA_AMAP_STATEMENT_H
#define SSA_AMAP_STATEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"

/* The header line of a distribution's statement file (without its line break). */
#define AMAP_STMT_HEADER "member;household;date;contract;product;quantity;amount;paid"

/* One item a member collected. */
struct amap_stmt_row {
	uint64_t member; /* SSA member id of the household's card */
	char *household; /* name as on the distribution's list */
	char date[11];   /* YYYY-MM-DD, the local day of the pickup */
	char *contract;
	char *product;
	int64_t qty_milli; /* quantity in thousandths */
	int64_t amount;    /* cents */
	bool by_card;      /* paid from the card at pickup; false: to reimburse */
	unsigned source;   /* which file it came from (the caller's number) */
	unsigned line;     /* ... and its line there */
};

/* A month's rows. */
struct amap_stmt {
	char month[8]; /* YYYY-MM */
	struct amap_stmt_row *row;
	size_t n_row, cap;
};

/* One member's sums, over rows [first, first + count) once sorted. */
struct amap_stmt_member {
	uint64_t member;
	const char *household; /* borrowed from the first row */
	size_t first, count;
	size_t pickups;                    /* distinct days */
	int64_t total, by_card, reimburse; /* cents */
};

/* Start an empty statement of month @p month ("YYYY-MM", month 01..12).
 * SSA_ERR_INVAL when @p month is not of that form (@p s is then zeroed all the same). */
enum ssa_err amap_stmt_init(struct amap_stmt *s, const char *month);

/* Release what @p s holds; @p s is zeroed. */
void amap_stmt_fini(struct amap_stmt *s);

/* Add the rows of month s->month of one distribution's statement file (@p len bytes of
 * @p data), numbering them with @p source.  Every row is checked, of whatever month: a file
 * whose header is not AMAP_STMT_HEADER or with a bad row adds nothing and returns
 * SSA_ERR_LIST_FORMAT (or SSA_ERR_OVERFLOW for an amount too large) with
 * @p *line (1-based; 1 is the header) and @p why (a sentence, @p why_size bytes) saying which
 * and why.  SSA_ERR_NOMEM. */
enum ssa_err amap_stmt_add(struct amap_stmt *s, const char *data, size_t len, unsigned source,
                           unsigned *line, char *why, size_t why_size);

/* Sort the rows by member, date, contract, product, and sum them per member.
 * @param[out] members  malloc'd array of @p *n members in member order, owned by the caller
 *                      (free()); borrows from @p s, valid until @p s changes.
 * SSA_ERR_OVERFLOW when a sum overflows; SSA_ERR_CONFLICT when the same pickup (member, day,
 * contract, product, quantity, amount) comes from two different files — a statement file
 * copied under another name would be reimbursed twice — with @p *dup_a and @p *dup_b the two
 * rows (indexes into s->row).  SSA_ERR_NOMEM. */
enum ssa_err amap_stmt_members(struct amap_stmt *s, struct amap_stmt_member **members, size_t *n,
                               size_t *dup_a, size_t *dup_b);

/* The month's CSV: ';'-separated, UTF-8, decimal commas, sorted by member then date, a header
 *   member;household;date;contract;product;quantity;amount;paid_by_card;to_reimburse
 * then each member's rows followed by the member's total row (date "total"), and last a row
 * "total" for the whole month.  @p *out malloc'd, owned by the caller. */
enum ssa_err amap_stmt_format_csv(const struct amap_stmt *s, const struct amap_stmt_member *m,
                                  size_t n, char **out, size_t *len);

/* One member's printable statement (plain UTF-8 text, in French like the sign-in sheet): the
 * month, the member id and household, one line per basket (date, contract, product, quantity,
 * amount, paid by card or to reimburse), then the total, what the card already paid, and what
 * is to be reimbursed.  @p *out malloc'd, owned by the caller. */
enum ssa_err amap_stmt_format_member(const struct amap_stmt *s, const struct amap_stmt_member *m,
                                     char **out, size_t *len);

#endif
