/* h_settlement.c — GET /v1/settlement?period=YYYYMM: what the caisse owes the caller's outlet.
 *
 * The outlet is the one the caller's terminal is attached to at the caisse (ssa-admin outlet
 * attach), never what its records name.  The month (UTC) is settled by caisse_settle
 * (io/caisse_books.c), as ssa-admin caisse settlement does: every record counts for the outlet
 * its terminal was attached to when it pushed it; the SSA tender of sales, less that of voids
 * and refunds.  RELOAD (grants credited to cards) and closings do not.  With "Accept: text/csv"
 * the same as CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/caisse_books.h"
#include "ssa/journal.h"
#include "ssa/log.h"
#include "ssa/money.h"
#include "ssa/settlement.h"
#include "server.h"

/* Days from 1970-01-01 to @p y-@p m-01 (proleptic Gregorian; Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int64_t m)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* What the settlement met that the caisse should know of, for the log. */
struct notes {
	const char *outlet;
	size_t elsewhere; /* records of the outlet naming another establishment */
	size_t unsettled; /* records of terminals attached to no outlet */
};

static void
note(void *cls, const char *terminal, uint64_t seq, const char *named, const char *outlet)
{
	struct notes *n = cls;

	(void)terminal;
	(void)seq;
	(void)named;
	if (!outlet)
		n->unsettled++;
	else if (strcmp(outlet, n->outlet) == 0)
		n->elsewhere++;
}

enum ssa_err
caisse_settlement(struct caisse_store *st, const char *caisse, const char *outlet,
		  int32_t period, struct protocol_settlement *out)
{
	struct settlement s;
	struct notes notes = { .outlet = outlet };
	int64_t y = period / 100, m = period % 100, from, to;
	enum ssa_err err;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || !protocol_id_valid(outlet))
		return SSA_ERR_INVAL;
	snprintf(out->outlet, sizeof(out->outlet), "%s", outlet);
	out->period = period;
	from = days_from_civil(y, m) * 86400000;
	to = days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1) * 86400000;
	settlement_init(&s, NULL, NULL);
	if ((err = caisse_settle(st, caisse, from, to, &s, note, &notes)))
		goto out;
	if (notes.elsewhere)
		log_warn("settlement %06d of %s: %zu records name another establishment (counted for "
			 "%s, where their terminals were attached)",
			 (int)period, outlet, notes.elsewhere, outlet);
	if (notes.unsettled)
		log_warn("settlement %06d: %zu records are not counted: their terminals are attached "
			 "to no outlet (ssa-admin outlet attach)",
			 (int)period, notes.unsettled);
	/* the outlet's rows, by terminal, as the statement's lines */
	for (size_t i = 0; i < s.n; i++)
		n += strcmp(s.rows[i].establishment, outlet) == 0 && s.rows[i].period == period;
	if (n > PROTOCOL_SETTLEMENT_MAX_TERMINALS) {
		err = SSA_ERR_TOO_LONG;
		goto out;
	}
	if (n && !(out->line = calloc(n, sizeof(*out->line)))) {
		err = SSA_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		const struct settlement_row *r = &s.rows[i];
		struct protocol_settlement_line *l;

		if (strcmp(r->establishment, outlet) != 0 || r->period != period)
			continue;
		l = &out->line[out->n++];
		snprintf(l->terminal, sizeof(l->terminal), "%s", r->terminal);
		l->sales = r->sales;
		l->voids = r->voids;
		l->refunds = r->refunds;
		l->sales_ssa = r->sales_ssa;
		l->voids_ssa = r->voids_ssa;
		l->refunds_ssa = r->refunds_ssa;
		l->owed = r->owed;
		if ((err = money_add(out->owed, r->owed, &out->owed)))
			goto out;
	}
out:
	settlement_fini(&s);
	if (err)
		protocol_settlement_fini(out);
	return err;
}

enum MHD_Result
caisse_h_settlement(struct caisse_request *rq)
{
	struct caisse_store *st = rq->store;
	struct protocol_settlement s = { 0 };
	const char *p = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "period");
	const char *accept = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Accept");
	char outlet[PROTOCOL_ID_MAX + 1];
	char *body = NULL, *end;
	size_t len;
	long period;
	int csv = accept && strstr(accept, "text/csv");
	enum ssa_err err;
	enum MHD_Result ret;

	period = p ? strtol(p, &end, 10) : 0;
	if (!p || strlen(p) != 6 || *end || period % 100 < 1 || period % 100 > 12 ||
	    period / 100 < 1970)
		return caisse_reply_error(rq, 400, "PROTOCOL", 0,
					  "settlement: give ?period=YYYYMM (a month)");
	err = st->terminal_outlet(st->cls, rq->terminal, outlet);
	if (err == SSA_ERR_NOT_FOUND)
		return caisse_reply_error(rq, 404, "NOT_FOUND", 0,
					  "terminal %s is attached to no outlet of the caisse "
					  "(ssa-admin outlet attach), so it has no settlement",
					  rq->terminal);
	if (!err)
		err = caisse_settlement(st, rq->srv->caisse, outlet, (int32_t)period, &s);
	if (!err)
		err = csv ? protocol_settlement_csv(&s, &body, &len)
			  : protocol_settlement_encode(&s, &body, &len);
	if (err)
		ret = caisse_reply_error(rq, 500, "DB", 0, "the settlement could not be computed (%s)",
					 ssa_strerror(err));
	else
		ret = caisse_reply(rq, 200, csv ? "text/csv; charset=utf-8" : "application/json",
				   body, len);
	free(body);
	protocol_settlement_fini(&s);
	return ret;
}
