/* fuzz_protocol.c — every decoder of the sync protocol on arbitrary bytes (what a caisse server
 * receives from the network, what a terminal receives back).  A decoded push must encode and
 * decode back to the same records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[PROTOCOL_WHY_MAX];
	struct protocol_push p, q;
	struct protocol_push_reply r;
	struct protocol_error e;
	struct protocol_status s;
	struct protocol_settlement st;
	struct protocol_hotlist hl;
	char *out;
	size_t len;

	if (protocol_push_decode(data, size, &p, why) == SSA_ERR_OK) {
		if (p.n == 0 || p.n > PROTOCOL_PUSH_MAX_RECORDS)
			abort();
		if (protocol_push_encode(&p, &out, &len) != SSA_ERR_OK)
			abort();
		if (protocol_push_decode(out, len, &q, why) != SSA_ERR_OK || q.n != p.n)
			abort();
		for (size_t i = 0; i < p.n; i++)
			if (q.rec[i].seq != p.rec[i].seq || q.rec[i].len != p.rec[i].len ||
			    memcmp(q.rec[i].data, p.rec[i].data, p.rec[i].len) != 0)
				abort();
		free(out);
		protocol_push_fini(&q);
	}
	protocol_push_fini(&p);
	if (protocol_push_reply_decode(data, size, &r, why) == SSA_ERR_OK) {
		if (protocol_push_reply_encode(&r, &out, &len) != SSA_ERR_OK)
			abort();
		free(out);
	}
	protocol_push_reply_fini(&r);
	if (protocol_error_decode(data, size, &e, why) == SSA_ERR_OK && e.name[0] == '\0')
		abort();
	if (protocol_status_decode(data, size, &s, why) == SSA_ERR_OK) {
		if (protocol_status_encode(&s, &out, &len) != SSA_ERR_OK)
			abort();
		free(out);
	}
	if (protocol_settlement_decode(data, size, &st, why) == SSA_ERR_OK) {
		int64_t sum = 0;

		for (size_t i = 0; i < st.n; i++)
			sum += st.line[i].owed;
		if (sum != st.owed || protocol_settlement_encode(&st, &out, &len) != SSA_ERR_OK)
			abort();
		free(out);
		if (protocol_settlement_csv(&st, &out, &len) != SSA_ERR_OK)
			abort();
		free(out);
	}
	protocol_settlement_fini(&st);
	if (protocol_hotlist_decode(data, size, &hl, why) == SSA_ERR_OK) {
		for (size_t i = 0; i < hl.n; i++)
			if (hl.e[i].version > hl.version || (i && hl.e[i].version <= hl.e[i - 1].version))
				abort();
		if (protocol_hotlist_encode(&hl, &out, &len) != SSA_ERR_OK)
			abort();
		free(out);
	}
	protocol_hotlist_fini(&hl);
	return 0;
}
