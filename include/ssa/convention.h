/* ssa/convention.h — a caisse's signed list of conventioned products, and eligibility.
 *
 * One list per caisse, versioned, signed by the caisse with Ed25519.  The text format is in
 * docs/lists.md; in short:
 *
 *     ssa-list,2                              (1 for a list without max_age)
 *     caisse,caisse-34
 *     version,7
 *     base,6                                  (deltas only: applies to version 6)
 *     max_age,7                               (optional, format 2: the caisse's age limit)
 *     valid,2026-01-01,2026-12-31             (to may be empty: open-ended)
 *     code,3560070123456,100,,,,
 *     category,fruits-legumes,100,4.00,,2026-02-01,
 *     category,epicerie,50,,30.00,,
 *     exclude,alcool,,,,,
 *     -code,3560070999999,,,,,                (deltas only: remove an entry)
 *     signature,ed25519,<128 hex digits>
 *
 * max_age is how many days the caisse lets a till work with this list (and its hot list) before
 * the till warns that they are too old; a list without it leaves the till's own default.
 * Entry lines are kind,key,rate %,ceiling €,cap €,from,to.  The signature line covers the exact
 * bytes before it.  Dates are days written YYYY-MM-DD and held as integers YYYYMMDD; the caller
 * passes "today" (the core has no clock).
 *
 * Eligibility of one line (convention_decide): a product of the outlet category
 * CONVENTION_CATEGORY_ALCOHOL is never covered, whatever the list says, and a list cannot name
 * that category in a category entry (refused by the parser); an exclusion of the product's
 * category beats everything else; otherwise the code entry, else the category entry, decides; the covered unit price
 * is min(price, ceiling); covered = covered base x rate, half up to the cent; a category cap per
 * period is applied afterwards by convention_apply_cap with what was already used.
 */
#ifndef SSA_CONVENTION_H
#define SSA_CONVENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/catalog.h"
#include "ssa/err.h"

#define CONVENTION_KEY_MAX 32    /* a code (CATALOG_CODE_MAX) or a category */
#define CONVENTION_CAISSE_MAX 32 /* [A-Za-z0-9._-] */
#define CONVENTION_NONE (-1)     /* no ceiling / no cap */
#define CONVENTION_MAX_ENTRIES 2000000
#define CONVENTION_FORMAT_VERSION 2 /* the newest format read (1 and 2) */
#define CONVENTION_FORMAT_MAX_AGE 2 /* the first format with a max_age line */
#define CONVENTION_MAX_AGE_MAX 365  /* days */
/* The outlet category of alcoholic drinks (docs/lists.md): never eligible, whatever the list. */
#define CONVENTION_CATEGORY_ALCOHOL "alcool"

enum convention_kind { CONVENTION_CODE, CONVENTION_CATEGORY, CONVENTION_EXCLUDE };

struct convention_entry {
	enum convention_kind kind;
	bool remove; /* deltas: remove this entry of the base */
	char key[CONVENTION_KEY_MAX + 1];
	int32_t rate_bp; /* 0..10000, 10000 when the field is empty */
	int64_t ceiling; /* cents per piece or per kg, or CONVENTION_NONE */
	int64_t cap;     /* cents per period (category entries only), or CONVENTION_NONE */
	int32_t from;    /* YYYYMMDD, 0 = open */
	int32_t to;      /* YYYYMMDD inclusive, 0 = open */
	unsigned line;   /* source line in the parsed text, 0 after a merge (diagnostics) */
};

struct convention_list {
	char caisse[CONVENTION_CAISSE_MAX + 1];
	uint32_t version;
	uint32_t base;      /* 0: a full list; N: a delta against version N */
	int32_t valid_from; /* YYYYMMDD */
	int32_t valid_to;   /* YYYYMMDD inclusive, 0 = open */
	uint32_t max_age;   /* days, 1..CONVENTION_MAX_AGE_MAX: the caisse's age limit; 0 = none */
	size_t n;
	struct convention_entry *entries; /* sorted by (kind, key), unique */
	size_t signed_len;                /* bytes covered by the signature */
	bool has_signature;
	uint8_t signature[64];
};

/* Where a list failed to parse: 1-based line, and a sentence. */
struct convention_error {
	unsigned line;
	char msg[120];
};

/* Parse @p len bytes of list text (format above) into a new list @p *out (free with
 * convention_list_free).  Does not verify the signature (see convention_list_load).  Refuses, with
 * SSA_ERR_LIST_FORMAT and @p err filled (may be NULL): unknown or missing header lines, bad
 * dates/rates/amounts, a max_age out of 1..CONVENTION_MAX_AGE_MAX, twice, or in a format 1
 * list, duplicate entries, a cap on something else than a category, a removal in
 * a full list, a category entry for CONVENTION_CATEGORY_ALCOHOL, a NUL byte, a missing or
 * misplaced signature line, data after it. */
enum ssa_err convention_list_parse(const char *text, size_t len, struct convention_list **out,
				   struct convention_error *err);

/* Verify and parse: the signature line of @p text must verify with the caisse's raw Ed25519
 * public key @p pub (32 bytes), else SSA_ERR_LIST_SIGNATURE and nothing is returned. */
enum ssa_err convention_list_load(const char *text, size_t len, const uint8_t pub[32],
				  struct convention_list **out, struct convention_error *err);

/* Sign: @p body (a list without signature line; a final newline is added when missing) gets its
 * signature line made with the raw Ed25519 private key @p priv (32 bytes).  @p *out is a new
 * malloc'd NUL-terminated text of @p *out_len bytes, owned by the caller.  Does not check that
 * @p body parses (the caller does). */
enum ssa_err convention_sign(const char *body, size_t len, const uint8_t priv[32], char **out,
			     size_t *out_len);

/* The caisse's age limit written into a list body before it is signed: @p body (@p len bytes,
 * without signature line) with its max_age line replaced by "max_age,<days>" (placed right
 * before the valid line) and its first line "ssa-list,2", or, with @p days 0, without any
 * max_age line and "ssa-list,1"; every other line (comments included) is kept as it is.
 * SSA_ERR_INVAL for days over CONVENTION_MAX_AGE_MAX, SSA_ERR_LIST_FORMAT when the body has no
 * "ssa-list," first line or no valid line (the caller parses the signed result anyway).
 * @p *out is malloc'd, NUL-terminated, @p *out_len bytes, owned by the caller. */
enum ssa_err convention_body_set_max_age(const char *body, size_t len, uint32_t days, char **out,
					 size_t *out_len);

/* Derive the raw public key of a raw private key. */
enum ssa_err convention_public_key(const uint8_t priv[32], uint8_t pub[32]);

/* Check the raw Ed25519 signature @p sig (64 bytes) of @p len bytes at @p msg with the raw public
 * key @p pub: the one verifier of the caisse's signed documents (lists, grants, hot lists).
 * SSA_ERR_OK, SSA_ERR_LIST_SIGNATURE when it does not verify, SSA_ERR_KEY for an unusable key,
 * SSA_ERR_NOMEM or SSA_ERR_CRYPTO. */
enum ssa_err convention_verify(const uint8_t pub[32], const uint8_t sig[64], const void *msg,
			       size_t len);

/* Write @p list as text without signature line (the body convention_sign signs), in the lowest
 * format that carries it (2 with a max_age, else 1).  @p *out is malloc'd, NUL-terminated,
 * owned by the caller. */
enum ssa_err convention_list_format(const struct convention_list *list, char **out,
				    size_t *out_len);

/* Apply delta @p delta to full list @p base: same caisse (SSA_ERR_LIST_CAISSE), delta->base ==
 * base->version (SSA_ERR_LIST_BASE), delta->version > base->version (SSA_ERR_LIST_OLDER).  Entries
 * of the delta are added or replace the base's; removals must name an existing entry
 * (SSA_ERR_LIST_FORMAT).  The result (a full list: base 0, version, validity and max_age of the
 * delta — a delta without max_age lifts the base's — no signature of its own) is new in @p *out. */
enum ssa_err convention_list_apply_delta(const struct convention_list *base,
					 const struct convention_list *delta,
					 struct convention_list **out);

/* Deep copy. */
enum ssa_err convention_list_dup(const struct convention_list *list, struct convention_list **out);

/* Free; NULL is a no-op. */
void convention_list_free(struct convention_list *list);

/* Entry of @p kind with @p key, or NULL.  Binary search. */
const struct convention_entry *convention_list_find(const struct convention_list *list,
						    enum convention_kind kind, const char *key);

/* "2026-01-31" -> 20260131 (calendar-checked); SSA_ERR_INVAL otherwise. */
enum ssa_err convention_date_parse(const char *text, int32_t *out);

/* 20260131 -> "2026-01-31" (buf of at least 11 bytes). */
void convention_date_format(int32_t date, char *buf, size_t size);

/* Eligibility reasons: name (journal, protocol) and the sentence shown to a person. */
#define CONVENTION_REASONS(_) \
	_(NO_CARD, "no card yet: eligibility is decided by the member's caisse") \
	_(NOT_IN_LIST, "not in the caisse's list") \
	_(EXCLUDED_CATEGORY, "category excluded by the caisse") \
	_(NOT_YET_IN_FORCE, "not yet in force") \
	_(NO_LONGER_IN_FORCE, "no longer in force") \
	_(OVER_CEILING, "covered up to the price ceiling") \
	_(PARTIAL_RATE, "partially covered") \
	_(CAP_REACHED, "period cap of the category reached") \
	_(COVERED, "covered")

#define CONVENTION_REASON_ENUM_(name, msg) CONVENTION_##name,
enum convention_reason { CONVENTION_REASONS(CONVENTION_REASON_ENUM_) CONVENTION__REASON_COUNT };
#undef CONVENTION_REASON_ENUM_

/* "CAP_REACHED"; static storage. */
const char *convention_reason_name(enum convention_reason r);
/* The sentence above; static storage. */
const char *convention_reason_text(enum convention_reason r);

/* One basket line as eligibility sees it. */
struct convention_line {
	const char *code;
	const char *category;
	enum catalog_unit unit;
	int64_t unit_price; /* cents per piece or per kg (catalog price) */
	int64_t qty;        /* pieces; 0 for a weighed line or an embedded-price line */
	int64_t grams;      /* weighed line (price per kg); 0 otherwise */
	int64_t amount;     /* the line's VAT-inclusive amount, cents */
};

struct convention_decision {
	enum convention_reason reason;
	int64_t covered;   /* cents of the line covered by SSA, 0..amount */
	int32_t rate_bp;   /* rate of the deciding entry, 0 when none */
	int64_t cap;       /* cap per period of the product's category, or CONVENTION_NONE */
	char caisse[CONVENTION_CAISSE_MAX + 1]; /* list that decided ("" with NO_CARD) */
	uint32_t version;
};

/* Decide line @p line with @p list (NULL: no card, CONVENTION_NO_CARD) on day @p today
 * (YYYYMMDD).  Order of the rules: list not in force -> NOT_YET/NO_LONGER_IN_FORCE; category
 * CONVENTION_CATEGORY_ALCOHOL or excluded by the list -> EXCLUDED_CATEGORY; the code entry in force, else the category entry in force,
 * decides (a matching entry out of its dates gives NOT_YET/NO_LONGER_IN_FORCE when no entry is in
 * force); none -> NOT_IN_LIST.  Covered lines: OVER_CEILING when the ceiling cut the price, else
 * PARTIAL_RATE when rate < 100 %, else COVERED.  The cap is only reported here.
 * SSA_ERR_OVERFLOW when an amount is out of range. */
enum ssa_err convention_decide(const struct convention_list *list, int32_t today,
			       const struct convention_line *line, struct convention_decision *out);

/* Apply the category cap of @p d given @p used cents already covered in this period for that
 * category (by earlier sales and earlier lines): covered = min(covered, cap - used), at least 0;
 * when that cut anything the reason becomes CAP_REACHED.  No-op without cap. */
void convention_apply_cap(struct convention_decision *d, int64_t used);

#endif
