/* ssa/journal.h — the tamper-evident journal: records, canonical encoding, hash chain, signatures.
 *
 * Pure: no file, clock or randomness.  Time, ids and keys are passed in.  docs/journal.md
 * describes the format and what makes it tamper-evident; in short:
 *
 * - A record (struct journal_record) is encoded as one line of canonical JSON: every key present,
 *   keys sorted, compact, integers only, hashes and signatures in lowercase hex
 *   (journal_record_encode).  The decoder (journal_record_decode) refuses any byte string that is
 *   not exactly what the encoder would produce for what it decoded.
 * - The terminal's Ed25519 signature covers the "signed body": the canonical encoding with "sig"
 *   set to the empty string, prefixed by JOURNAL_SIG_DOMAIN.
 * - The record's hash is SHA-256 of its complete encoding (signature included); the next record
 *   carries it as "prev".  The first record (seq 1) carries 32 zero bytes.
 * - Sequence numbers start at 1 and have no gaps; the store assigns them (journal_seal), never
 *   the caller.
 *
 * Money is int64_t cents.  Amounts of VOID and REFUND records are positive: the kind gives the
 * sign (a closing subtracts them).
 */
#ifndef SSA_JOURNAL_H
#define SSA_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/allocation.h"
#include "ssa/catalog.h"
#include "ssa/convention.h"
#include "ssa/err.h"
#include "ssa/vat.h"

#define JOURNAL_FORMAT_VERSION 1
#define JOURNAL_ID_MAX 32      /* establishment, terminal, operator ids: printable ASCII */
#define JOURNAL_SOFTWARE_MAX 32
#define JOURNAL_CARD_MAX 64    /* pseudonymous card id; "" when no card */
#define JOURNAL_GRANT_MAX 64
#define JOURNAL_MAX_LINES 1000
#define JOURNAL_MAX_TENDERS 8
#define JOURNAL_MAX_BYTES (1024 * 1024) /* the decoder refuses longer input */
#define JOURNAL_HASH_LEN 32
#define JOURNAL_SIG_LEN 64
#define JOURNAL_KEY_ID_LEN 8 /* first bytes of SHA-256 of the raw public key */
#define JOURNAL_NONE INT64_MIN /* a card balance that does not apply (no card): JSON null */
#define JOURNAL_SIG_DOMAIN "ssa-journal-v1" /* and its NUL byte, before the signed body */

/* Record kinds: name in the encoding and meaning.  Append new kinds at the end only. */
#define JOURNAL_KINDS(_) \
	_(SALE, "sale") \
	_(VOID, "void of an earlier sale") \
	_(REFUND, "refund of lines of an earlier sale") \
	_(RELOAD, "monthly grant applied to a card") \
	_(CLOSING_Z, "daily closing") \
	_(CLOSING_MONTH, "monthly closing") \
	_(CLOSING_YEAR, "annual closing") \
	_(REPRINT, "reprint of an earlier sale's receipt")

#define JOURNAL_KIND_ENUM_(name, text) JOURNAL_##name,
enum journal_kind { JOURNAL_KINDS(JOURNAL_KIND_ENUM_) JOURNAL__KIND_COUNT };
#undef JOURNAL_KIND_ENUM_

/* "CLOSING_Z"; static storage. */
const char *journal_kind_name(enum journal_kind k);
/* "daily closing"; static storage. */
const char *journal_kind_text(enum journal_kind k);
/* SSA_ERR_JOURNAL_FORMAT when @p name is not a kind. */
enum ssa_err journal_kind_parse(const char *name, enum journal_kind *out);

/* True for CLOSING_Z, CLOSING_MONTH and CLOSING_YEAR. */
bool journal_kind_is_closing(enum journal_kind k);

/* One line of a sale, void or refund, with the eligibility decision that applied. */
struct journal_line {
	char code[CATALOG_CODE_MAX + 1];
	char name[CATALOG_NAME_MAX + 1];
	char category[CATALOG_CATEGORY_MAX + 1];
	int64_t qty;        /* pieces (1 for weighed and embedded-price lines) */
	int64_t grams;      /* weighed lines; 0 otherwise */
	int64_t unit_price; /* cents per piece or per kg, VAT included */
	int64_t amount;     /* VAT-inclusive amount of the line */
	int64_t vat_bp;     /* VAT rate, basis points */
	int64_t covered;    /* SSA-covered part of the amount (the decision) */
	int64_t paid_ssa;   /* part actually debited from the card (allocation) */
	enum convention_reason reason;
	char list_caisse[CONVENTION_CAISSE_MAX + 1]; /* deciding list; "" with NO_CARD */
	uint32_t list_version;
};

/* One payment line.  For cash, given = amount + change. */
struct journal_tender {
	enum tender_kind kind;
	int64_t amount;
	int64_t given;
	int64_t change;
};

/* RELOAD records: the grant applied to the card (balances are in the record's header). */
struct journal_reload {
	char grant_id[JOURNAL_GRANT_MAX + 1];
	int32_t period;  /* YYYYMM of the grant */
	int64_t amount;  /* credited */
	int64_t expired; /* old balance that expired by the caisse's policy (0 when rolled over) */
};

/* Closing records: what lib/closing.c computes.  A Z covers the SALE/VOID/REFUND/RELOAD records
 * after the previous Z; a monthly or annual closing covers the Z records after the previous
 * closing of its kind.  All amounts are net of voids and refunds unless named otherwise. */
struct journal_closing {
	int32_t period;     /* Z: YYYYMMDD, month: YYYYMM, year: YYYY (given by the caller) */
	uint64_t number;    /* 1 for the first closing of this kind, then +1 */
	uint64_t first_seq; /* first record covered, 0 when none */
	uint64_t last_seq;  /* last record covered, 0 when none */
	uint64_t records;   /* records covered (Z: sales, voids, refunds, reloads; others: Zs) */
	uint64_t sales, voids, refunds, reloads; /* counts */
	int64_t sales_total;   /* gross of the sales */
	int64_t voids_total;   /* gross of the voids */
	int64_t refunds_total; /* gross of the refunds */
	int64_t reloads_total; /* credited to cards (not takings) */
	int64_t total;         /* sales - voids - refunds */
	int64_t ssa_total;     /* SSA tender, net */
	int64_t tenders[TENDER__COUNT]; /* net per tender kind (amount applied, not given) */
	struct vat_summary vat;         /* per rate, net; summed, never recomputed */
	int64_t perpetual_prev;         /* perpetual total of the previous closing of this kind */
	int64_t perpetual;              /* perpetual_prev + total */
};

struct journal_record {
	enum journal_kind kind;
	char establishment[JOURNAL_ID_MAX + 1];
	char terminal[JOURNAL_ID_MAX + 1];
	char software[JOURNAL_SOFTWARE_MAX + 1];
	uint64_t seq;    /* set by journal_seal */
	int64_t time_ms; /* UTC, milliseconds since the epoch, passed in */
	char operator_id[JOURNAL_ID_MAX + 1];
	char card[JOURNAL_CARD_MAX + 1]; /* pseudonymous card id, "" for none */
	int64_t balance_before;          /* cents, or JOURNAL_NONE */
	int64_t balance_after;           /* cents, or JOURNAL_NONE */
	size_t n_lines;
	struct journal_line *lines; /* owned; journal_record_add_line */
	size_t n_tenders;
	struct journal_tender tenders[JOURNAL_MAX_TENDERS];
	struct vat_summary vat; /* per rate: gross, vat, net */
	int64_t total;          /* VAT-inclusive total of the lines */
	int64_t ssa_covered;    /* SSA tender (debited from / credited to the card) */
	uint64_t link_seq;      /* VOID, REFUND, REPRINT: the sale's seq; 0 otherwise */
	struct journal_reload reload;   /* RELOAD only; zero otherwise */
	struct journal_closing closing; /* closings only; zero otherwise */
	uint8_t key_id[JOURNAL_KEY_ID_LEN]; /* set by journal_seal */
	uint8_t prev[JOURNAL_HASH_LEN];     /* set by journal_seal */
	uint8_t sig[JOURNAL_SIG_LEN];       /* set by journal_seal */
};

/* A zeroed record of kind @p kind with no card (balances JOURNAL_NONE), no lines. */
void journal_record_init(struct journal_record *r, enum journal_kind kind);
/* Release the lines of @p r; @p r is zeroed.  NULL is a no-op. */
void journal_record_fini(struct journal_record *r);

/* Append a copy of @p line.  SSA_ERR_TOO_LONG past JOURNAL_MAX_LINES, SSA_ERR_NOMEM. */
enum ssa_err journal_record_add_line(struct journal_record *r, const struct journal_line *line);

/* Append a tender.  SSA_ERR_TOO_LONG past JOURNAL_MAX_TENDERS. */
enum ssa_err journal_record_add_tender(struct journal_record *r, const struct journal_tender *t);

/* Check the record's content (ids printable, amounts in range, kinds of tenders, link present
 * for VOID/REFUND, ...).  SSA_ERR_JOURNAL_FORMAT with a sentence in @p why (may be NULL,
 * static storage). */
enum ssa_err journal_record_check(const struct journal_record *r, const char **why);

/* The canonical encoding of @p r (a NUL-terminated JSON line without newline) in @p *out
 * (caller frees), its length in @p *len.  SSA_ERR_JOURNAL_FORMAT when journal_record_check
 * fails. */
enum ssa_err journal_record_encode(const struct journal_record *r, char **out, size_t *len);

/* Decode @p len bytes at @p buf into @p r (journal_record_fini it, also on error; it is
 * initialised here).  Refuses input that is not canonical: SSA_ERR_JOURNAL_FORMAT, with a
 * sentence in @p why (may be NULL; static storage). */
enum ssa_err journal_record_decode(const void *buf, size_t len, struct journal_record *r,
				   const char **why);

/* SHA-256 of @p len bytes: the hash that chains encoded records. */
enum ssa_err journal_hash(const void *buf, size_t len, uint8_t out[JOURNAL_HASH_LEN]);

/* Lowercase hex of @p n bytes into @p out (2n+1 bytes). */
void journal_hex(const uint8_t *in, size_t n, char *out);

/* A terminal's signing key (Ed25519), opaque. */
struct journal_signer;

/* A signer from the raw 32-byte Ed25519 private key @p priv (copied).  Free with
 * journal_signer_free. */
enum ssa_err journal_signer_new(const uint8_t priv[32], struct journal_signer **out);
void journal_signer_free(struct journal_signer *s);
/* The signer's raw public key and its key id. */
void journal_signer_public(const struct journal_signer *s, uint8_t pub[32],
			   uint8_t key_id[JOURNAL_KEY_ID_LEN]);

/* The key id of raw public key @p pub. */
enum ssa_err journal_key_id(const uint8_t pub[32], uint8_t key_id[JOURNAL_KEY_ID_LEN]);

/* Seal @p r as the record after (@p prev_seq, @p prev_hash) — (0, NULL) for the first record:
 * set seq, prev, key_id, sign, encode.  @p *out (caller frees) and @p *len receive the encoding,
 * @p hash (may be NULL) its SHA-256.  The stores call this inside their transaction. */
enum ssa_err journal_seal(struct journal_record *r, uint64_t prev_seq, const uint8_t *prev_hash,
			  const struct journal_signer *signer, char **out, size_t *len,
			  uint8_t hash[JOURNAL_HASH_LEN]);

/* Verify the signature of decoded record @p r with raw public key @p pub.
 * SSA_ERR_JOURNAL_KEY when the record names another key id, SSA_ERR_JOURNAL_SIGNATURE when the
 * signature does not verify. */
enum ssa_err journal_record_verify(const struct journal_record *r, const uint8_t pub[32]);

/* Streaming verification of a chain, record after record, in the store's order. */
struct journal_chain {
	uint8_t pub[32];
	uint8_t key_id[JOURNAL_KEY_ID_LEN];
	uint64_t count;                     /* records verified */
	uint64_t last_seq;                  /* 0 before the first */
	uint8_t last_hash[JOURNAL_HASH_LEN]; /* zero before the first */
	uint64_t bad_seq;                   /* position of the first bad record */
	char why[200];                      /* what is wrong with it */
};

/* Start verifying from the genesis with public key @p pub. */
enum ssa_err journal_chain_init(struct journal_chain *c, const uint8_t pub[32]);

/* Start after a record already verified (the caisse verifying a terminal's next batch). */
enum ssa_err journal_chain_init_at(struct journal_chain *c, const uint8_t pub[32],
				   uint64_t last_seq, const uint8_t last_hash[JOURNAL_HASH_LEN]);

/* Check the record stored at position @p pos (the store's sequence key) with encoding
 * @p buf/@p len.  When @p r is not NULL it receives the decoded record (fini it).  On failure
 * c->bad_seq and c->why say which record and why, and the code is one of
 * SSA_ERR_JOURNAL_FORMAT (not canonical / undecodable), SSA_ERR_JOURNAL_SEQ (a gap: deleted
 * record), SSA_ERR_JOURNAL_ORDER (stored at another position: reordered or renumbered),
 * SSA_ERR_JOURNAL_KEY (signed by another key), SSA_ERR_JOURNAL_SIGNATURE (content edited),
 * SSA_ERR_JOURNAL_CHAIN (prev does not match the previous record). */
enum ssa_err journal_chain_next(struct journal_chain *c, uint64_t pos, const void *buf,
				size_t len, struct journal_record *r);

#endif
