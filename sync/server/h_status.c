/* h_status.c — GET /v1/status: the caller's identity and how far its journal is stored. */
#include <stdlib.h>
#include <string.h>

#include "server.h"

enum MHD_Result
caisse_h_status(struct caisse_request *rq)
{
	struct caisse_store *st = rq->store;
	struct protocol_status s = { 0 };
	uint8_t hash[CAISSE_HASH_LEN];
	char *body;
	size_t len;
	enum MHD_Result ret;

	if (st->journal_last(st->cls, rq->terminal, &s.last_seq, hash, &s.records))
		return caisse_reply_error(rq, 500, "DB", 0, "the caisse's database failed");
	memcpy(s.terminal, rq->terminal, sizeof(s.terminal));
	memcpy(s.caisse, rq->srv->caisse, sizeof(s.caisse));
	if (protocol_status_encode(&s, &body, &len))
		return MHD_NO;
	ret = caisse_reply_json(rq, 200, body, len);
	free(body);
	return ret;
}
