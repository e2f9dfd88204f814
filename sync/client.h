/* client.h — ssa-syncd's parts: the HTTPS client, the push of the journal, backoff, rejections.
 *
 * sync/main.c reads the configuration and runs syncd_push_all once (--once) or periodically.
 */
#ifndef SSA_SYNCD_CLIENT_H
#define SSA_SYNCD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"
#include "ssa/journal_store.h"
#include "ssa/protocol.h"

/* Where and how to reach the caisse. */
struct syncd_http_config {
	const char *url;   /* "https://caisse.example:8443", no trailing slash */
	const char *ca;    /* the caisse CA (PEM): the only trust anchor */
	const char *cert;  /* the terminal's certificate (PEM) */
	const char *key;   /* its private key (PEM) */
	const char *proxy; /* "http://proxy:3128" or NULL/"" for none */
	long connect_timeout; /* seconds */
	long timeout;         /* seconds for a whole request */
};

struct syncd_http;

/* A client for @p cfg (strings copied).  SSA_ERR_NOMEM, SSA_ERR_NET when libcurl cannot start. */
enum ssa_err syncd_http_new(const struct syncd_http_config *cfg, struct syncd_http **out);
void syncd_http_free(struct syncd_http *h);

/* One request: @p method "GET" or "POST" to @p path ("/v1/journal") with @p body/@p len (POST).
 * On SSA_ERR_OK, @p *status is the HTTP status and @p *resp (caller frees, NUL-terminated) the
 * body, at most PROTOCOL_REPLY_MAX_BYTES.  SSA_ERR_NET / SSA_ERR_TLS when no reply came (the
 * cause is logged). */
enum ssa_err syncd_http_request(struct syncd_http *h, const char *method, const char *path,
				const char *body, size_t len, long *status, char **resp,
				size_t *resp_len);

/* Rejections the caisse gave, kept for the till (sync/client_state.c: an SQLite file). */
struct syncd_state;

/* Open (create) the state database @p path.  SSA_ERR_DB. */
enum ssa_err syncd_state_open(const char *path, struct syncd_state **out);
void syncd_state_close(struct syncd_state *s);
/* Store a rejection of record @p seq (the same seq and error again only updates its time and
 * count). */
enum ssa_err syncd_state_reject(struct syncd_state *s, uint64_t seq, const char *error,
				const char *message, int64_t time_ms);
/* Number of stored rejections (for tests and the status line). */
enum ssa_err syncd_state_rejections(struct syncd_state *s, uint64_t *n);

/* The hot list as last pulled (tables hotlist and meta of the state database): its version,
 * 0 before the first pull. */
enum ssa_err syncd_state_hotlist_version(struct syncd_state *s, uint64_t *version);
/* Store the cards of @p hl and its version, in one transaction. */
enum ssa_err syncd_state_hotlist_apply(struct syncd_state *s, const struct protocol_hotlist *hl);

/* GET /v1/hotlist since the stored version and store what is new; @p added receives how many
 * cards were new.  SSA_ERR_NET / TLS / PROTOCOL as syncd_http_request and the decoder say. */
enum ssa_err syncd_pull_hotlist(struct syncd_http *h, struct syncd_state *state, uint64_t *added);

/* What a push run did. */
struct syncd_stats {
	uint64_t batches;
	uint64_t sent;       /* records sent (duplicates included) */
	uint64_t stored;     /* new at the caisse */
	uint64_t duplicates; /* the caisse had them already */
	uint64_t acked;      /* highest acknowledged seq after the run */
};

/* Push every record not yet acknowledged, in batches of at most @p batch records, and mark each
 * batch acknowledged after the caisse's 2xx.  SSA_ERR_OK when everything is acknowledged;
 * SSA_ERR_REJECTED when the caisse refused a record (stored in @p state; the records before it
 * were pushed); SSA_ERR_NET / SSA_ERR_TLS / SSA_ERR_PROTOCOL (5xx, unreadable reply): try again
 * later; SSA_ERR_DB for the local journal. */
enum ssa_err syncd_push_all(struct syncd_http *h, struct ssa_journal_store *journal,
			    struct syncd_state *state, size_t batch, int64_t now_ms,
			    struct syncd_stats *stats);

/* A source of random 32-bit numbers, injected (tests give a fixed one). */
struct syncd_rng {
	uint32_t (*next)(void *cls);
	void *cls;
};

/* Seconds to wait before attempt @p failures (1 for the first retry): @p min doubled per
 * failure up to @p max, times a random factor in [0.75, 1.25], at least 1. */
uint64_t syncd_backoff(uint64_t min, uint64_t max, unsigned failures, const struct syncd_rng *rng);

#endif
