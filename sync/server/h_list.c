/* h_list.c — GET /v1/list?caisse=<id>&since=<version>: the caisse's latest signed convention
 * list, as a delta from `since` when the caisse published that delta, else in full; 204 when
 * `since` is the latest already; 404 when the caisse published none (docs/protocol.md). */
#include <stdlib.h>
#include <string.h>

#include "server.h"

enum MHD_Result
caisse_h_list(struct caisse_request *rq)
{
	struct caisse_store *st = rq->store;
	const char *caisse = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "caisse");
	uint64_t since = 0;
	uint32_t latest = 0;
	char *text = NULL;
	size_t len = 0;
	enum ssa_err err;
	enum MHD_Result ret;

	if (caisse == NULL)
		caisse = rq->srv->caisse;
	if (!protocol_id_valid(caisse))
		return caisse_reply_error(rq, 400, "PROTOCOL", 0,
					  "list: ?caisse= takes a caisse id ([A-Za-z0-9._-], at "
					  "most %d)",
					  PROTOCOL_ID_MAX);
	switch (caisse_query_uint(rq, "since", UINT32_MAX, &since)) {
	case CAISSE_PARSED:
		break;
	case CAISSE_REPLIED:
		return MHD_YES;
	case CAISSE_CLOSE:
		return MHD_NO;
	}
	err = st->list_latest(st->cls, caisse, &latest);
	if (err == SSA_ERR_NOT_FOUND)
		return caisse_reply_error(rq, 404, "NOT_FOUND", 0,
					  "caisse %s has published no convention list", caisse);
	if (err)
		return caisse_reply_error(rq, 500, "DB", 0, "the lists could not be read");
	if (since >= latest)
		return caisse_reply(rq, 204, "text/plain", "", 0);
	err = SSA_ERR_NOT_FOUND;
	if (since > 0)
		err = st->list_get(st->cls, caisse, latest, (uint32_t)since, &text, &len);
	if (err == SSA_ERR_NOT_FOUND)
		err = st->list_get(st->cls, caisse, latest, 0, &text, &len);
	if (err)
		ret = caisse_reply_error(rq, 500, "DB", 0, "list %u could not be read", latest);
	else
		ret = caisse_reply(rq, 200, "text/plain", text, len);
	free(text);
	return ret;
}
