/* h_settlement.c — GET /v1/settlement?period=YYYYMM: what the caisse owes the caller's outlet.
 *
 * The outlet is the establishment named in the caller's own records (the certificate says which
 * terminal; its journal says which outlet).  For the month (UTC), every stored record of that
 * outlet's terminals counts: the SSA tender of sales, less that of voids and refunds.  RELOAD
 * (grants credited to cards) and closings do not.  With "Accept: text/csv" the same as CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/journal.h"
#include "ssa/log.h"
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

struct collect {
	const char *outlet;
	struct protocol_settlement *s;
};

static enum ssa_err
count_record(void *ctx, const char *terminal, const char *data, size_t len)
{
	struct collect *c = ctx;
	struct journal_record r;
	enum ssa_err err;
	int kind;

	/* every stored record was verified on arrival: one that does not decode is a broken
	 * database, not a record to skip */
	if ((err = journal_record_decode(data, len, &r, NULL)))
		goto out;
	if (strcmp(r.establishment, c->outlet) != 0)
		goto out;
	switch (r.kind) {
	case JOURNAL_SALE:
		kind = 0;
		break;
	case JOURNAL_VOID:
		kind = 1;
		break;
	case JOURNAL_REFUND:
		kind = 2;
		break;
	default:
		goto out;
	}
	err = protocol_settlement_add(c->s, terminal, kind, r.ssa_covered);
out:
	journal_record_fini(&r);
	return err;
}

enum ssa_err
caisse_settlement(struct caisse_store *st, const char *outlet, int32_t period,
		  struct protocol_settlement *out)
{
	struct collect c = { outlet, out };
	int64_t y = period / 100, m = period % 100, from, to;
	enum ssa_err err;

	memset(out, 0, sizeof(*out));
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || !protocol_id_valid(outlet))
		return SSA_ERR_INVAL;
	snprintf(out->outlet, sizeof(out->outlet), "%s", outlet);
	out->period = period;
	from = days_from_civil(y, m) * 86400000;
	to = days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1) * 86400000;
	err = st->journal_scan_time(st->cls, from, to, count_record, &c);
	if (err)
		protocol_settlement_fini(out);
	return err;
}

/* The caller's outlet: the establishment of its last stored record. */
static enum ssa_err
outlet_of(struct caisse_store *st, const char *terminal, char *outlet, size_t size)
{
	struct journal_record r;
	uint8_t hash[CAISSE_HASH_LEN];
	uint64_t last, count;
	char *data = NULL;
	size_t len;
	enum ssa_err err;

	if ((err = st->journal_last(st->cls, terminal, &last, hash, &count)))
		return err;
	if (last == 0)
		return SSA_ERR_NOT_FOUND;
	if ((err = st->journal_get(st->cls, terminal, last, &data, &len)))
		return err;
	err = journal_record_decode(data, len, &r, NULL);
	free(data);
	if (!err)
		snprintf(outlet, size, "%s", r.establishment);
	journal_record_fini(&r);
	return err;
}

enum MHD_Result
caisse_h_settlement(struct caisse_request *rq)
{
	struct caisse_store *st = rq->store;
	struct protocol_settlement s = { 0 };
	const char *p = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "period");
	const char *accept = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Accept");
	char outlet[JOURNAL_ID_MAX + 1];
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
	err = outlet_of(st, rq->terminal, outlet, sizeof(outlet));
	if (err == SSA_ERR_NOT_FOUND)
		return caisse_reply_error(rq, 404, "NOT_FOUND", 0,
					  "the caisse holds no record of terminal %s yet, so it "
					  "does not know its outlet",
					  rq->terminal);
	if (!err && !protocol_id_valid(outlet))
		return caisse_reply_error(rq, 404, "NOT_FOUND", 0,
					  "outlet id '%s' cannot be settled", outlet);
	if (!err)
		err = caisse_settlement(st, outlet, (int32_t)period, &s);
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
