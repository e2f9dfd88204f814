/* ssa/protocol.h — the messages between ssa-syncd (a terminal) and ssa-caissed (its caisse).
 *
 * Pure JSON encoding and decoding (jansson), with the size limits of docs/protocol.md; no
 * network.  Every decoder refuses what it does not understand with a sentence in @p why (a
 * buffer of PROTOCOL_WHY_MAX bytes given by the caller), so that a server can answer it in an
 * error body and a client can log it.  Unknown keys are refused too: a newer peer must bump the
 * path version (/v1/ -> /v2/) rather than be half understood.
 *
 * Journal records travel as their canonical encoding (ssa/journal.h), carried as a JSON string,
 * so that the bytes the terminal signed are the bytes the caisse stores and compares.
 */
#ifndef SSA_PROTOCOL_H
#define SSA_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"

#define PROTOCOL_VERSION 1
#define PROTOCOL_PREFIX "/v1"
#define PROTOCOL_WHY_MAX 200
#define PROTOCOL_NAME_MAX 32     /* error names, statuses */
#define PROTOCOL_MESSAGE_MAX 300 /* the message of an error body */
#define PROTOCOL_ID_MAX 32       /* terminal, caisse ids */

/* Size limits (bytes of request body).  The server refuses more with 413 before reading it. */
#define PROTOCOL_PUSH_MAX_RECORDS 1000
#define PROTOCOL_RECORD_MAX_BYTES (1024 * 1024)
#define PROTOCOL_PUSH_MAX_BYTES (8 * 1024 * 1024)
#define PROTOCOL_GET_MAX_BYTES 0 /* GET requests carry no body */
#define PROTOCOL_REPLY_MAX_BYTES (64 * 1024 * 1024) /* the client refuses larger replies */

/* An error body: {"error": NAME, "message": TEXT} with, for a refused journal record, "seq". */
struct protocol_error {
	char name[PROTOCOL_NAME_MAX + 1];       /* ssa_errname() of the cause, or an HTTP one */
	char message[PROTOCOL_MESSAGE_MAX + 1]; /* for people */
	uint64_t seq;                           /* the refused record, 0 when none */
};

/* Encode an error body into @p *out (caller frees, NUL-terminated), length in @p *len.
 * @p seq 0 leaves "seq" out.  Too long a message is truncated (on a UTF-8 boundary). */
enum ssa_err protocol_error_encode(const char *name, const char *message, uint64_t seq,
				   char **out, size_t *len);

/* Decode an error body.  SSA_ERR_PROTOCOL with @p why when it is not one. */
enum ssa_err protocol_error_decode(const void *buf, size_t len, struct protocol_error *e,
				   char *why);

/* POST /v1/journal — a batch of a terminal's journal records, in sequence order. */
struct protocol_record {
	uint64_t seq; /* must equal the record's own "seq" (the server checks) */
	char *data;   /* canonical encoding, NUL-terminated, owned */
	size_t len;
};

struct protocol_push {
	size_t n;
	struct protocol_record *rec; /* owned */
};

/* Zero @p p. */
void protocol_push_init(struct protocol_push *p);
/* Free what @p p owns and zero it.  NULL is a no-op. */
void protocol_push_fini(struct protocol_push *p);

/* Append a copy of record @p seq, @p len bytes at @p data.  SSA_ERR_TOO_LONG past
 * PROTOCOL_PUSH_MAX_RECORDS or PROTOCOL_RECORD_MAX_BYTES, SSA_ERR_INVAL when @p seq is 0 or not
 * above the previous one, or @p data holds a NUL byte. */
enum ssa_err protocol_push_add(struct protocol_push *p, uint64_t seq, const char *data, size_t len);

/* Encode @p p into @p *out (caller frees), length @p *len. */
enum ssa_err protocol_push_encode(const struct protocol_push *p, char **out, size_t *len);

/* Decode a push body into @p p (initialised here; fini it, also on error).  Refuses
 * (SSA_ERR_PROTOCOL, @p why) more than the limits, an empty batch, seqs not strictly increasing,
 * a record that is not a non-empty string. */
enum ssa_err protocol_push_decode(const void *buf, size_t len, struct protocol_push *p, char *why);

/* What the caisse did with one pushed record. */
enum protocol_outcome {
	PROTOCOL_STORED,   /* new, verified and stored */
	PROTOCOL_DUPLICATE /* the same bytes were stored before: accepted again */
};

struct protocol_push_result {
	uint64_t seq;
	enum protocol_outcome outcome;
};

#define PROTOCOL_CARD_MAX 64
#define PROTOCOL_ANOMALIES_MAX 1000 /* card anomalies in one push reply */

/* A card anomaly the caisse found when it rebuilt a card's ledger after a push: record
 * (terminal, seq) says the card held @p record_balance before it, the card's story in ledger
 * order says @p ledger_balance (a cloned or tampered card, a card spent at two outlets). */
struct protocol_anomaly {
	char card[PROTOCOL_CARD_MAX + 1];
	char terminal[PROTOCOL_ID_MAX + 1];
	uint64_t seq;
	char kind[PROTOCOL_NAME_MAX + 1]; /* ledger_anomaly_name(): "DOUBLE_SPEND", "EXCESS" */
	int64_t ledger_balance;           /* cents */
	int64_t record_balance;           /* cents */
	int64_t time_ms;                  /* the record's time */
};

/* 200 reply to a push: every record of the batch is stored (all or nothing). */
struct protocol_push_reply {
	char terminal[PROTOCOL_ID_MAX + 1]; /* the identity the server took from the certificate */
	uint64_t last_seq;                  /* the terminal's highest stored seq */
	size_t n;
	struct protocol_push_result *res; /* owned, in the order of the request */
	/* The card checks, in the reply only when the request asked (POST /v1/journal?anomalies=1):
	 * the cards whose ledgers this push rebuilt, and their anomalies now (a card listed without
	 * anomalies has none: the caisse cleared what it had). */
	int checked;
	size_t n_cards;
	char (*cards)[PROTOCOL_CARD_MAX + 1]; /* owned */
	size_t n_anomalies;
	struct protocol_anomaly *anomalies; /* owned; each of a card listed in cards */
};

/* Free and zero.  NULL is a no-op. */
void protocol_push_reply_fini(struct protocol_push_reply *r);
/* Add card @p card to @p r's checked cards (sets r->checked).  SSA_ERR_INVAL for a card id that
 * is not one, SSA_ERR_TOO_LONG past PROTOCOL_PUSH_MAX_RECORDS cards, SSA_ERR_NOMEM. */
enum ssa_err protocol_push_reply_add_card(struct protocol_push_reply *r, const char *card);
/* Add a copy of anomaly @p a (its card added before).  SSA_ERR_INVAL for a bad field,
 * SSA_ERR_TOO_LONG past PROTOCOL_ANOMALIES_MAX, SSA_ERR_NOMEM. */
enum ssa_err protocol_push_reply_add_anomaly(struct protocol_push_reply *r,
					     const struct protocol_anomaly *a);
/* Encode @p r into @p *out (caller frees), length @p *len. */
enum ssa_err protocol_push_reply_encode(const struct protocol_push_reply *r, char **out,
					size_t *len);
/* Decode into @p r (initialised here; fini it, also on error).  SSA_ERR_PROTOCOL with @p why. */
enum ssa_err protocol_push_reply_decode(const void *buf, size_t len, struct protocol_push_reply *r,
					char *why);

/* "stored", "duplicate"; static storage. */
const char *protocol_outcome_name(enum protocol_outcome o);

/* GET /v1/status — who the caisse thinks we are, and how far our journal is stored. */
struct protocol_status {
	char terminal[PROTOCOL_ID_MAX + 1];
	char caisse[PROTOCOL_ID_MAX + 1];
	uint64_t last_seq; /* 0 when nothing is stored yet */
	uint64_t records;  /* records stored for this terminal */
};

/* Encode / decode a status reply; as for the push reply. */
enum ssa_err protocol_status_encode(const struct protocol_status *s, char **out, size_t *len);
enum ssa_err protocol_status_decode(const void *buf, size_t len, struct protocol_status *s,
				    char *why);

/* GET /v1/settlement?period=YYYYMM — what the caisse owes the outlet for a month: the SSA
 * tender of its terminals' sales, less that of their voids and refunds (docs/protocol.md). */
#define PROTOCOL_SETTLEMENT_MAX_TERMINALS 1000

struct protocol_settlement_line {
	char terminal[PROTOCOL_ID_MAX + 1];
	uint64_t sales, voids, refunds;         /* counts */
	int64_t sales_ssa, voids_ssa, refunds_ssa; /* cents, positive */
	int64_t owed;                           /* sales_ssa - voids_ssa - refunds_ssa */
};

struct protocol_settlement {
	char outlet[PROTOCOL_ID_MAX + 1]; /* the records' establishment id */
	int32_t period;                   /* YYYYMM, UTC */
	size_t n;
	struct protocol_settlement_line *line; /* owned, sorted by terminal */
	int64_t owed;                          /* sum of the lines */
};

/* Free and zero.  NULL is a no-op. */
void protocol_settlement_fini(struct protocol_settlement *s);

/* Add the SSA amount @p ssa (cents, >= 0) of one record of @p terminal: @p kind 0 sale, 1 void,
 * 2 refund.  Keeps the lines sorted and the totals; SSA_ERR_OVERFLOW, SSA_ERR_TOO_LONG past
 * PROTOCOL_SETTLEMENT_MAX_TERMINALS, SSA_ERR_INVAL for a bad kind or id, SSA_ERR_NOMEM. */
enum ssa_err protocol_settlement_add(struct protocol_settlement *s, const char *terminal, int kind,
				     int64_t ssa);

/* Encode as JSON, or as CSV (header line, one line per terminal, a "total" line; amounts as
 * "12.50").  @p *out is malloc'd (caller frees). */
enum ssa_err protocol_settlement_encode(const struct protocol_settlement *s, char **out,
					size_t *len);
enum ssa_err protocol_settlement_csv(const struct protocol_settlement *s, char **out, size_t *len);

/* Decode a JSON statement into @p s (fini it, also on error).  Checks that every line's owed
 * and the total add up.  SSA_ERR_PROTOCOL with @p why. */
enum ssa_err protocol_settlement_decode(const void *buf, size_t len, struct protocol_settlement *s,
					char *why);

/* GET /v1/hotlist?since=V — cards the caisse has blocked, added after version V. */
#define PROTOCOL_REASON_MAX 200
#define PROTOCOL_HOTLIST_MAX 200000

struct protocol_hotlist_entry {
	char card[PROTOCOL_CARD_MAX + 1];     /* pseudonymous card id, printable ASCII */
	uint64_t version;                     /* the hot list's version that added it */
	char reason[PROTOCOL_REASON_MAX + 1]; /* for people */
};

struct protocol_hotlist {
	uint64_t version; /* the caisse's current version (>= every entry's) */
	size_t n;
	struct protocol_hotlist_entry *e; /* owned, by increasing version */
};

/* Free and zero.  NULL is a no-op. */
void protocol_hotlist_fini(struct protocol_hotlist *h);
/* Append an entry (version above the previous one, card 1..64 printable ASCII without comma or
 * quote, reason UTF-8 <= 200 bytes).  SSA_ERR_INVAL, SSA_ERR_TOO_LONG, SSA_ERR_NOMEM. */
enum ssa_err protocol_hotlist_add(struct protocol_hotlist *h, const char *card, uint64_t version,
				  const char *reason);
/* Encode / decode (fini it, also on error; SSA_ERR_PROTOCOL with @p why). */
enum ssa_err protocol_hotlist_encode(const struct protocol_hotlist *h, char **out, size_t *len);
enum ssa_err protocol_hotlist_decode(const void *buf, size_t len, struct protocol_hotlist *h,
				     char *why);

/* True when @p id is a usable terminal or caisse id: 1..PROTOCOL_ID_MAX bytes of
 * [A-Za-z0-9._-].  The server applies it to a certificate's CN. */
int protocol_id_valid(const char *id);

#endif
