/* server.h — ssa-caissed's parts: the storage port, the request context, the handlers.
 *
 * The HTTP layer (sync/server/http.c) authenticates the client certificate, bounds and collects
 * the body, and calls one handler per endpoint (sync/server/h_<endpoint>.c) with a
 * struct caisse_request.  Handlers talk to storage only through struct caisse_store, so that a
 * PostgreSQL backend can follow the SQLite one (io/caisse_sqlite.c, ssa/caisse_store.h).
 */
#ifndef SSA_CAISSED_SERVER_H
#define SSA_CAISSED_SERVER_H

#include <microhttpd.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/caisse_store.h"
#include "ssa/err.h"
#include "ssa/protocol.h"

/* The subjectAltName URI carrying the terminal's journal key: this prefix and 64 lowercase hex
 * digits (docs/protocol.md). */
#define CAISSE_JOURNAL_KEY_URI "urn:x-ssa:journal-key:ed25519:"

struct caisse_store_slot;

/* What the server knows, shared by all requests. */
struct caisse_server {
	char caisse[PROTOCOL_ID_MAX + 1];
	const char *db_path;          /* every thread opens its own store on it (pool.c) */
	struct caisse_store store;    /* the main thread's (start-up, -a, -b) */
	struct MHD_Daemon *daemon;
	pthread_mutex_t slots_lock;   /* guards slots */
	struct caisse_store_slot *slots;
	unsigned n_slots;
};

/* The calling thread's own store on srv->db_path, opened the first time (pool.c); NULL when it
 * cannot be opened (logged). */
struct caisse_store *caisse_thread_store(struct caisse_server *srv);

/* Close every thread's store; only once the daemon (and its threads) stopped. */
void caisse_thread_stores_close(struct caisse_server *srv);

/* Taler's three outcomes of a step that parses or checks a request. */
enum caisse_step {
	CAISSE_PARSED,  /* go on */
	CAISSE_REPLIED, /* an error reply is queued: return MHD_YES */
	CAISSE_CLOSE    /* could not even reply: return MHD_NO to close the connection */
};

/* One request, as handlers see it. */
struct caisse_request {
	struct caisse_server *srv;
	struct caisse_store *store; /* this thread's connection to the caisse's database */
	struct MHD_Connection *conn;
	char terminal[PROTOCOL_ID_MAX + 1]; /* the client certificate's CN */
	uint8_t key_id[CAISSE_KEY_ID_LEN];  /* journal key from the certificate, if any */
	uint8_t pub[CAISSE_PUB_LEN];
	int has_key;
	const char *body; /* NUL-terminated; "" for none */
	size_t body_len;
};

/* Who is on the other end (peer_gnutls.c): fill rq->terminal from the verified client
 * certificate's CN, and rq->pub / rq->has_key from its journal key extension.  Queues
 * 403 CLIENT_CERT (CAISSE_REPLIED) when the peer is not a terminal of this caisse. */
enum caisse_step caisse_peer_identify(struct caisse_request *rq);

/* Queue a JSON reply @p body (copied) with @p status.  MHD_NO when it could not be queued. */
enum MHD_Result caisse_reply_json(struct caisse_request *rq, unsigned status, const char *body,
				  size_t len);
/* The same with content type @p ctype. */
enum MHD_Result caisse_reply(struct caisse_request *rq, unsigned status, const char *ctype,
			     const char *body, size_t len);

/* Queue an error body {"error": @p name, "message": ..., "seq": @p seq (0: none)}. */
enum MHD_Result caisse_reply_error(struct caisse_request *rq, unsigned status, const char *name,
				   uint64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Current UTC time in milliseconds (the server's clock, for "received"). */
int64_t caisse_now_ms(void);

/* The MHD access handler and completion callback (http.c); cls is the struct caisse_server. */
enum MHD_Result caisse_http_handler(void *cls, struct MHD_Connection *conn, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_data_size,
				    void **con_cls);
void caisse_http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			   enum MHD_RequestTerminationCode toe);

/* Query argument @p name as a decimal number 0..@p max into @p out (0 when absent); a bad one
 * queues 400 PROTOCOL (CAISSE_REPLIED). */
enum caisse_step caisse_query_uint(struct caisse_request *rq, const char *name, uint64_t max,
				   uint64_t *out);

/* Handlers: GET /v1/status, POST /v1/journal, GET /v1/settlement, GET /v1/hotlist,
 * GET /v1/list, GET /v1/grants. */
enum MHD_Result caisse_h_status(struct caisse_request *rq);
enum MHD_Result caisse_h_hotlist(struct caisse_request *rq);
enum MHD_Result caisse_h_list(struct caisse_request *rq);
enum MHD_Result caisse_h_grants(struct caisse_request *rq);
enum MHD_Result caisse_h_settlement(struct caisse_request *rq);

/* The settlement of outlet @p outlet for month @p period (YYYYMM, UTC) from @p st into @p out
 * (fini it): the records of caisse @p caisse (caisse_settle).  SSA_ERR_INVAL for a bad period;
 * storage errors as the store's. */
enum ssa_err caisse_settlement(struct caisse_store *st, const char *caisse, const char *outlet,
			       int32_t period, struct protocol_settlement *out);
enum MHD_Result caisse_h_journal(struct caisse_request *rq);

/* Why a batch was refused: HTTP status, error name (static), the record, a sentence. */
struct caisse_refusal {
	unsigned status;
	const char *name;
	uint64_t seq;
	char msg[PROTOCOL_MESSAGE_MAX + 1];
};

/* Store @p push for @p terminal, all or nothing, by the rules of docs/protocol.md, in one
 * transaction of @p st, and recompute the ledgers of the cards it brought records of with the
 * records of caisse @p caisse (caisse_books_mine: another caisse's cards are left out).  @p pub
 * (may be NULL) is the journal key of the terminal's certificate, registered first.
 * SSA_ERR_OK: @p reply (fini it) has one result per record.  SSA_ERR_REJECTED: nothing kept,
 * @p ref says why (409 or 422).  Other codes: the server failed (nothing kept either). */
enum ssa_err caisse_push(struct caisse_store *st, const char *caisse, const char *terminal,
			 const uint8_t *pub, const struct protocol_push *push, int64_t now_ms,
			 struct protocol_push_reply *reply, struct caisse_refusal *ref);

#endif
