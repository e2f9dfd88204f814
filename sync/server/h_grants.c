/* h_grants.c — GET /v1/grants?period=YYYYMM: the signed grant batch of that month made for the
 * caller's outlet (the outlet its terminal belongs to, `ssa-admin outlet attach`), else the one
 * made for every outlet ("*"); 404 when there is none (docs/protocol.md). */
#include <stdlib.h>
#include <string.h>

#include "server.h"

enum MHD_Result
caisse_h_grants(struct caisse_request *rq)
{
	struct caisse_store *st = rq->store;
	const char *p = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "period");
	char outlet[PROTOCOL_ID_MAX + 1];
	int32_t period = 0;
	char *text = NULL;
	size_t len = 0;
	enum ssa_err err;
	enum MHD_Result ret;

	for (int i = 0; p && i < 6 && p[i] >= '0' && p[i] <= '9'; i++)
		period = period * 10 + (p[i] - '0');
	if (!p || strlen(p) != 6 || period < 100001 || period % 100 < 1 || period % 100 > 12)
		return caisse_reply_error(rq, 400, "PROTOCOL", 0,
					  "grants: ?period= takes a month YYYYMM");
	err = st->terminal_outlet(st->cls, rq->terminal, outlet);
	if (err == SSA_ERR_OK)
		err = st->grant_batch_get(st->cls, period, outlet, &text, &len);
	if (err == SSA_ERR_NOT_FOUND)
		err = st->grant_batch_get(st->cls, period, "*", &text, &len);
	if (err == SSA_ERR_NOT_FOUND)
		return caisse_reply_error(rq, 404, "NOT_FOUND", 0, "no grants of %06d for %s",
					  (int)period, rq->terminal);
	if (err)
		ret = caisse_reply_error(rq, 500, "DB", 0, "the grants could not be read");
	else
		ret = caisse_reply(rq, 200, "text/plain", text, len);
	free(text);
	return ret;
}
