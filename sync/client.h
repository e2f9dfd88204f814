/* client.h — ssa-syncd's parts: the HTTPS client, the push of the journal, the pulls of the
 * caisse's signed documents, the spool for the till, backoff, rejections.
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

/* GET @p path asking for text (Accept: text/plain: the signed documents); as
 * syncd_http_request. */
enum ssa_err syncd_http_get_text(struct syncd_http *h, const char *path, long *status, char **resp,
				 size_t *resp_len);

/* How many HTTP replies @p h has received so far (any status): the caisse was reached. */
unsigned long syncd_http_replies(const struct syncd_http *h);

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

/* Store the card checks of push reply @p r (nothing when it has none): for every card the
 * caisse checked, its anomalies replace what was stored of it, in one transaction (a card
 * checked without anomalies has none left).  SSA_ERR_DB (logged). */
enum ssa_err syncd_state_card_checks(struct syncd_state *s, const struct protocol_push_reply *r,
				     int64_t now_ms);
/* Number of stored card anomalies. */
enum ssa_err syncd_state_anomalies(struct syncd_state *s, uint64_t *n);

/* What the state database keeps (docs/protocol.md, "Which rejections the till sees"). */
#define SYNCD_STATE_KEEP_DAYS 30
#define SYNCD_STATE_KEEP 100
#define SYNCD_STATE_KEEP_TEXT "100"

/* Forget what is over, at the end of a run that started at @p started_ms, in one transaction:
 * the rejections of records up to @p acked (the caisse holds them now); when the run was
 * @p complete (it reached the caisse, pushed up to a refusal or the end, and pulled every
 * document), every rejection it did not renew (each run pushes a refused record and pulls
 * every document again, so a refusal that still holds is renewed); rejections and anomalies
 * not renewed for SYNCD_STATE_KEEP_DAYS days before @p now_ms; beyond the SYNCD_STATE_KEEP
 * newest of each.  SSA_ERR_DB (logged). */
enum ssa_err syncd_state_expire(struct syncd_state *s, int64_t started_ms, int complete,
				uint64_t acked, int64_t now_ms);

/* A small integer of the state database's meta table (@p *value 0 when absent). */
enum ssa_err syncd_state_meta_get(struct syncd_state *s, const char *key, int64_t *value);
/* Set it (replacing). */
enum ssa_err syncd_state_meta_set(struct syncd_state *s, const char *key, int64_t value);

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

/* --- the spool: the files ssa-syncd leaves for the till (client_spool.c) --------------------- */

#define SYNCD_STATUS_REJECTIONS_MAX 20
#define SYNCD_STATUS_ANOMALIES_MAX 20

struct syncd_rejection {
	uint64_t seq; /* the refused record, 0 when none (a refused list, hot list, grant batch) */
	char error[PROTOCOL_NAME_MAX + 1];
	char message[PROTOCOL_MESSAGE_MAX + 1];
	int64_t last_ms;
};

/* What <spool>/status says (docs/protocol.md, "The spool"). */
struct syncd_status {
	int64_t last_attempt; /* UTC seconds */
	int64_t last_success; /* UTC seconds of the last run that ended with nothing left, 0 never */
	int online;           /* the last attempt reached the caisse (any HTTP reply) */
	uint64_t acked, list_version, hotlist_version;
	uint64_t rejections; /* stored rejections in all */
	size_t n;            /* the newest ones, newest first */
	struct syncd_rejection rej[SYNCD_STATUS_REJECTIONS_MAX];
	uint64_t anomalies;  /* stored card anomalies in all */
	size_t n_anomalies;  /* the newest by the record's time, newest first */
	struct protocol_anomaly anom[SYNCD_STATUS_ANOMALIES_MAX];
};

/* The number of stored rejections and the newest SYNCD_STATUS_REJECTIONS_MAX of them into
 * @p out->rejections, ->n, ->rej, and the same for card anomalies (->anomalies,
 * ->n_anomalies, ->anom); the other fields are left alone. */
enum ssa_err syncd_state_recent(struct syncd_state *s, struct syncd_status *out);

/* The text of <spool>/status: the key=value lines in their order, then one line per
 * rejection; messages are put on one line (control bytes become blanks).  @p *out malloc'd,
 * NUL-terminated, the caller frees. */
enum ssa_err syncd_status_format(const struct syncd_status *s, char **out, size_t *len);

/* Create the spool directory @p dir if it is missing (its parent must exist).  SSA_ERR_IO,
 * logged. */
enum ssa_err syncd_spool_prepare(const char *dir);

/* Write @p len bytes of @p data as @p dir/@p name atomically: a temporary file of the spool,
 * fsync, rename over @p name, fsync of the directory.  The old file stays whole on any
 * failure.  SSA_ERR_INVAL for a name with a slash or a leading dot, SSA_ERR_IO (logged). */
enum ssa_err syncd_spool_write(const char *dir, const char *name, const char *data, size_t len);

/* --- pulls: the convention list, the signed hot list, grants (client_pull.c) --------------- */

/* What the pulls need. */
struct syncd_pull_config {
	const char *spool;   /* the spool directory */
	const char *catalog; /* the till's catalog database, NULL or "": the list is not pulled */
	const uint8_t *pub;  /* the caisse's raw Ed25519 document key, NULL: nothing is pulled */
	const char *caisse;  /* the caisse's id (syncd_caisse_id) */
	int64_t now_ms;      /* when refusals are stored */
};

/* The caisse's id, as GET /v1/status says.  SSA_ERR_NET / TLS / PROTOCOL. */
enum ssa_err syncd_caisse_id(struct syncd_http *h, char caisse[PROTOCOL_ID_MAX + 1]);

/* GET /v1/list?caisse=&since=<version in force> and put what comes into the catalog
 * (catalog_store_put_list, verified with @p pc->pub); meta list_version is the version in force
 * afterwards.  A refused list (signature, format, another caisse, older, delta on another base)
 * leaves the list in force, is logged and stored as a rejection of seq 0; its SSA_ERR_LIST_*
 * code is returned.  SSA_ERR_NET / TLS / PROTOCOL for the transport, SSA_ERR_DB. */
enum ssa_err syncd_pull_list(struct syncd_http *h, struct syncd_state *state,
			     const struct syncd_pull_config *pc);

/* GET /v1/hotlist?since=<version of <spool>/hotlist.txt> and, when a newer full signed hot list
 * of this caisse comes (hotlist_load), write it as <spool>/hotlist.txt; meta hotlist_version.
 * Refusals as syncd_pull_list (SSA_ERR_HOTLIST_*). */
enum ssa_err syncd_pull_hotlist(struct syncd_http *h, struct syncd_state *state,
				       const struct syncd_pull_config *pc);

/* GET /v1/grants?period=@p period and, when a verified batch of this caisse and period comes
 * that differs from the spool's, write it as <spool>/grants-YYYYMM.txt.  404: nothing changes.
 * Refusals as syncd_pull_list (SSA_ERR_GRANT_*). */
enum ssa_err syncd_pull_grants(struct syncd_http *h, struct syncd_state *state,
			       const struct syncd_pull_config *pc, int32_t period);

/* The period YYYYMM (UTC) of @p time_ms, @p months_ahead later (0 this month, 1 the next). */
int32_t syncd_period_of(int64_t time_ms, int months_ahead);

/* A source of random 32-bit numbers, injected (tests give a fixed one). */
struct syncd_rng {
	uint32_t (*next)(void *cls);
	void *cls;
};

/* Seconds to wait before attempt @p failures (1 for the first retry): @p min doubled per
 * failure up to @p max, times a random factor in [0.75, 1.25], at least 1. */
uint64_t syncd_backoff(uint64_t min, uint64_t max, unsigned failures, const struct syncd_rng *rng);

#endif
