/* server.h — ssa-caissed's parts: the storage port, the request context, the handlers.
 *
 * The HTTP layer (sync/server/http.c) authenticates the client certificate, bounds and collects
 * the body, and calls one handler per endpoint (sync/server/h_<endpoint>.c) with a
 * struct caisse_request.  Handlers talk to storage only through struct caisse_store, so that a
 * PostgreSQL backend can follow the SQLite one (sync/server/store_sqlite.c).
 */
#ifndef SSA_CAISSED_SERVER_H
#define SSA_CAISSED_SERVER_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"
#include "ssa/protocol.h"

#define CAISSE_HASH_LEN 32
#define CAISSE_KEY_ID_LEN 8
#define CAISSE_PUB_LEN 32
/* The subjectAltName URI carrying the terminal's journal key: this prefix and 64 lowercase hex
 * digits (docs/protocol.md). */
#define CAISSE_JOURNAL_KEY_URI "urn:x-ssa:journal-key:ed25519:"

/* The storage port.  Every function returns SSA_ERR_OK, SSA_ERR_NOT_FOUND where said, or
 * SSA_ERR_DB (the backend logs its own error).  Calls between begin and commit/rollback form one
 * transaction; the server handles one request at a time per store. */
struct caisse_store {
	void *cls;
	enum ssa_err (*begin)(void *cls);
	enum ssa_err (*commit)(void *cls);
	void (*rollback)(void *cls);
	/* Register (terminal, key id, public key); the same again is a no-op. */
	enum ssa_err (*key_put)(void *cls, const char *terminal,
				const uint8_t key_id[CAISSE_KEY_ID_LEN],
				const uint8_t pub[CAISSE_PUB_LEN]);
	/* The registered key @p key_id of @p terminal; SSA_ERR_NOT_FOUND if none. */
	enum ssa_err (*key_get)(void *cls, const char *terminal,
				const uint8_t key_id[CAISSE_KEY_ID_LEN], uint8_t pub[CAISSE_PUB_LEN]);
	/* The terminal's last stored record: seq (0 when none), its hash (zeros when none) and
	 * how many records are stored. */
	enum ssa_err (*journal_last)(void *cls, const char *terminal, uint64_t *seq,
				     uint8_t hash[CAISSE_HASH_LEN], uint64_t *count);
	/* The stored bytes under (terminal, seq) into @p *data (malloc'd, caller frees);
	 * SSA_ERR_NOT_FOUND if none. */
	enum ssa_err (*journal_get)(void *cls, const char *terminal, uint64_t seq, char **data,
				    size_t *len);
	/* Store a verified record. */
	enum ssa_err (*journal_put)(void *cls, const char *terminal, uint64_t seq, const char *data,
				    size_t len, const uint8_t hash[CAISSE_HASH_LEN], const char *kind,
				    int64_t time_ms, int64_t received_ms);
	/* A card's balance in the caisse's ledger (after the last record seen for it);
	 * SSA_ERR_NOT_FOUND for a card never seen. */
	enum ssa_err (*card_get)(void *cls, const char *card, int64_t *balance);
	/* Set a card's ledger balance after record (@p terminal, @p seq). */
	enum ssa_err (*card_put)(void *cls, const char *card, int64_t balance, const char *terminal,
				 uint64_t seq, int64_t time_ms);
	/* Record an anomaly: record (@p terminal, @p seq) says the card held @p found, the ledger
	 * says @p expected (a card spent elsewhere offline, cloned or tampered). */
	enum ssa_err (*anomaly_put)(void *cls, const char *card, const char *terminal, uint64_t seq,
				    int64_t expected, int64_t found, int64_t time_ms);
	/* Call @p fn for every anomaly, oldest first. */
	enum ssa_err (*anomaly_scan)(void *cls,
				     enum ssa_err (*fn)(void *ctx, const char *card,
							const char *terminal, uint64_t seq,
							int64_t expected, int64_t found,
							int64_t time_ms),
				     void *ctx);
	/* Hot-list @p card; @p *version receives the hot list's version that added it.
	 * SSA_ERR_EXISTS (with its version) when it is listed already. */
	enum ssa_err (*hotlist_add)(void *cls, const char *card, const char *reason,
				    int64_t time_ms, uint64_t *version);
	/* The hot-listed cards added after @p since, by version, into @p out (fini it). */
	enum ssa_err (*hotlist_since)(void *cls, uint64_t since, struct protocol_hotlist *out);
	/* Call @p fn for every stored record with @p from_ms <= time_ms < @p to_ms, any terminal,
	 * in (terminal, seq) order; a non-OK return of @p fn stops and is returned. */
	enum ssa_err (*journal_scan_time)(void *cls, int64_t from_ms, int64_t to_ms,
					  enum ssa_err (*fn)(void *ctx, const char *terminal,
							     const char *data, size_t len),
					  void *ctx);
	void (*close)(void *cls);
};

/* Open (create, migrate) the SQLite store at @p path: WAL, synchronous=FULL.  @p out is filled;
 * release with out->close(out->cls). */
enum ssa_err caisse_store_sqlite_open(const char *path, struct caisse_store *out);

/* What the server knows, shared by all requests. */
struct caisse_server {
	char caisse[PROTOCOL_ID_MAX + 1];
	struct caisse_store store;
	struct MHD_Daemon *daemon;
};

/* Taler's three outcomes of a step that parses or checks a request. */
enum caisse_step {
	CAISSE_PARSED,  /* go on */
	CAISSE_REPLIED, /* an error reply is queued: return MHD_YES */
	CAISSE_CLOSE    /* could not even reply: return MHD_NO to close the connection */
};

/* One request, as handlers see it. */
struct caisse_request {
	struct caisse_server *srv;
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

/* Handlers: GET /v1/status, POST /v1/journal, GET /v1/settlement, GET /v1/hotlist. */
enum MHD_Result caisse_h_status(struct caisse_request *rq);
enum MHD_Result caisse_h_hotlist(struct caisse_request *rq);
enum MHD_Result caisse_h_settlement(struct caisse_request *rq);

/* The settlement of outlet @p outlet for month @p period (YYYYMM, UTC) from @p st into @p out
 * (fini it).  SSA_ERR_INVAL for a bad period; storage errors as the store's. */
enum ssa_err caisse_settlement(struct caisse_store *st, const char *outlet, int32_t period,
			       struct protocol_settlement *out);
enum MHD_Result caisse_h_journal(struct caisse_request *rq);

/* Why a batch was refused: HTTP status, error name (static), the record, a sentence. */
struct caisse_refusal {
	unsigned status;
	const char *name;
	uint64_t seq;
	char msg[PROTOCOL_MESSAGE_MAX + 1];
};

/* Store @p push for @p terminal, all or nothing, by the rules of docs/protocol.md, in one
 * transaction of @p st.  @p pub (may be NULL) is the journal key of the terminal's certificate,
 * registered first.  SSA_ERR_OK: @p reply (fini it) has one result per record.
 * SSA_ERR_REJECTED: nothing kept, @p ref says why (409 or 422).  Other codes: the server failed
 * (nothing kept either). */
enum ssa_err caisse_push(struct caisse_store *st, const char *terminal, const uint8_t *pub,
			 const struct protocol_push *push, int64_t now_ms,
			 struct protocol_push_reply *reply, struct caisse_refusal *ref);

#endif
