/* h_hotlist.c — GET /v1/hotlist?since=V: the cards the caisse blocked after version V. */
#include <stdlib.h>
#include <string.h>

#include "server.h"

enum MHD_Result
caisse_h_hotlist(struct caisse_request *rq)
{
	struct caisse_store *st = &rq->srv->store;
	struct protocol_hotlist h;
	const char *p = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "since");
	unsigned long long since = 0;
	char *body = NULL, *end;
	size_t len;
	enum ssa_err err;
	enum MHD_Result ret;

	if (p) {
		since = strtoull(p, &end, 10);
		if (!*p || *end || strlen(p) > 18)
			return caisse_reply_error(rq, 400, "PROTOCOL", 0,
						  "hot list: ?since= takes a version number");
	}
	err = st->hotlist_since(st->cls, since, &h);
	if (!err)
		err = protocol_hotlist_encode(&h, &body, &len);
	if (err)
		ret = caisse_reply_error(rq, 500, "DB", 0, "the hot list could not be read (%s)",
					 ssa_strerror(err));
	else
		ret = caisse_reply_json(rq, 200, body, len);
	free(body);
	protocol_hotlist_fini(&h);
	return ret;
}
