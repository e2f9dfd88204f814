/* h_hotlist.c — GET /v1/hotlist?since=V: the caisse's signed full hot list (lib/hotlist.c) when
 * its version is above V, else 204.
 *
 * Transition: the first client asked for JSON (Accept: application/json) and got the cards
 * hot-listed with `ssa-caissed -b` after version V.  As long as the caisse has made no signed hot
 * list, a request whose Accept names application/json and not text/plain still gets that; once
 * it has, every request gets the signed list (a terminal of a caisse that signs must check). */
#include <stdlib.h>
#include <string.h>

#include "server.h"

static enum MHD_Result
legacy_json(struct caisse_request *rq, uint64_t since)
{
	struct caisse_store *st = rq->store;
	struct protocol_hotlist h;
	char *body = NULL;
	size_t len;
	enum ssa_err err;
	enum MHD_Result ret;

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

enum MHD_Result
caisse_h_hotlist(struct caisse_request *rq)
{
	struct caisse_store *st = rq->store;
	const char *accept = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	uint64_t since = 0;
	uint32_t version = 0;
	char *text = NULL;
	size_t len = 0;
	enum ssa_err err;
	enum MHD_Result ret;

	switch (caisse_query_uint(rq, "since", UINT32_MAX, &since)) {
	case CAISSE_PARSED:
		break;
	case CAISSE_REPLIED:
		return MHD_YES;
	case CAISSE_CLOSE:
		return MHD_NO;
	}
	err = st->hotlist_doc_latest(st->cls, &version, NULL, NULL);
	if (err == SSA_ERR_NOT_FOUND && accept && strstr(accept, "application/json") &&
	    !strstr(accept, "text/plain"))
		return legacy_json(rq, since);
	if (err == SSA_ERR_NOT_FOUND || (err == SSA_ERR_OK && version <= since))
		return caisse_reply(rq, 204, "text/plain", "", 0);
	if (!err)
		err = st->hotlist_doc_latest(st->cls, &version, &text, &len);
	if (err)
		ret = caisse_reply_error(rq, 500, "DB", 0, "the hot list could not be read (%s)",
					 ssa_strerror(err));
	else
		ret = caisse_reply(rq, 200, "text/plain", text, len);
	free(text);
	return ret;
}
