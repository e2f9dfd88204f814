/* ssa/grant.h — monthly grants: a caisse's signed batch of the amounts it credits to cards.
 *
 * Pure.  A grant is (grant id, card serial or member id, period YYYYMM, amount in cents, caisse
 * id).  Grants travel in a batch, a text document signed by the caisse with Ed25519 in the
 * spirit of the convention lists (ssa/convention.h); docs/caisse.md has the details:
 *
 *     ssa-grants,1
 *     caisse,caisse-34
 *     period,202603
 *     outlet,*                                   the outlet it was made for, "*" for all
 *     policy,rollover,50.00                      or "policy,expire" (the old balance expires)
 *     grant,00000000000003e9,card,1122334455667788,265.00
 *     grant,00000000000003ea,member,a1b2c3d4e5f60718,150.00
 *     signature,ed25519,<128 lowercase hex digits>
 *
 * Ids are exactly 16 lowercase hex digits (card_id_format), never 0; amounts are euros with
 * exactly two decimals, 0.01..CARD_BALANCE_MAX cents.  Grant lines are sorted by grant id,
 * strictly increasing (the encoding is canonical: one batch, one text).  A card serial or a
 * member id appears at most once per batch.  The signature line covers the exact bytes before
 * it (the first line keeps a batch from passing for another kind of signed document).
 * The policy line says what a reload does with the card's old balance (ssa/card.h,
 * card_reload_balance): `policy,expire` or `policy,rollover,<cap euros, two decimals>` (the old
 * balance is kept up to the cap, 0.00..CARD_BALANCE_MAX); it is always there.
 *
 * How the till applies a grant exactly once is the card's period state (ssa/card.h): it looks
 * the card up with grant_find at the first tap of a period, credits it in the same DESFire
 * transaction that writes {period, grant id}, and records a RELOAD whose grant_id is
 * grant_id_format(grant->id).
 */
#ifndef SSA_GRANT_H
#define SSA_GRANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/card.h"
#include "ssa/convention.h"
#include "ssa/err.h"

#define GRANT_FORMAT_VERSION 1
#define GRANT_CAISSE_MAX 16   /* as CARD_CAISSE_MAX: [A-Za-z0-9._-] */
#define GRANT_OUTLET_MAX 32   /* a terminal/outlet id, or "*" */
#define GRANT_MAX_GRANTS 1000000
#define GRANT_MAX_BYTES (64 * 1024 * 1024)
#define GRANT_SIG_PREFIX "signature,ed25519,"

enum grant_target { GRANT_CARD, GRANT_MEMBER };

struct grant {
	uint64_t id;     /* never 0 */
	enum grant_target target;
	uint64_t holder; /* the card serial (GRANT_CARD) or the member id (GRANT_MEMBER) */
	int64_t amount;  /* cents, 1..CARD_BALANCE_MAX */
};

struct grant_batch {
	char caisse[GRANT_CAISSE_MAX + 1];
	int32_t period;                    /* YYYYMM */
	char outlet[GRANT_OUTLET_MAX + 1]; /* "*" for every outlet */
	enum card_reload_policy policy;    /* what a reload does with the old balance */
	int64_t cap;                       /* CARD_RELOAD_ROLLOVER: most cents kept; else 0 */
	size_t n;
	struct grant *grants; /* sorted by id, unique */
	size_t alloc;         /* allocated grants */
	uint32_t *by_holder;  /* indexes into grants sorted by (target, holder): lookups */
	size_t signed_len;    /* bytes covered by the signature (after parsing) */
	uint8_t signature[64];
};

/* A new empty batch for @p caisse, @p period, @p outlet (caisse side, ssa-admin), with the
 * policy CARD_RELOAD_EXPIRE (grant_batch_set_policy changes it).  Free with grant_batch_free.
 * SSA_ERR_INVAL for a bad id or period. */
enum ssa_err grant_batch_new(const char *caisse, int32_t period, const char *outlet,
			     struct grant_batch **out);

/* Set the batch's reload policy: CARD_RELOAD_EXPIRE (@p cap must be 0) or CARD_RELOAD_ROLLOVER
 * keeping at most @p cap cents (0..CARD_BALANCE_MAX) of the old balance.  SSA_ERR_INVAL
 * otherwise (the batch is unchanged). */
enum ssa_err grant_batch_set_policy(struct grant_batch *b, enum card_reload_policy p, int64_t cap);

/* Add a grant (copied).  Grants are added in increasing id order (the caisse allocates ids from
 * a counter): SSA_ERR_EXISTS for an id not above the last one; SSA_ERR_INVAL for id 0, holder 0
 * or an amount out of range; SSA_ERR_TOO_LONG past GRANT_MAX_GRANTS.  A holder given twice is
 * refused by grant_batch_format/grant_batch_sign (SSA_ERR_EXISTS). */
enum ssa_err grant_batch_add(struct grant_batch *b, const struct grant *g);

/* Free; NULL is a no-op. */
void grant_batch_free(struct grant_batch *b);

/* The batch as canonical text without its signature line (what grant_batch_sign signs).
 * @p *out malloc'd, NUL-terminated, owned by the caller. */
enum ssa_err grant_batch_format(const struct grant_batch *b, char **out, size_t *len);

/* Format and sign with the caisse's raw Ed25519 private key @p priv: the complete document in
 * malloc'd NUL-terminated @p *out (caller frees). */
enum ssa_err grant_batch_sign(const struct grant_batch *b, const uint8_t priv[32], char **out,
			      size_t *len);

/* Parse @p len bytes of batch text without verifying the signature (tests, tools).  Refuses with
 * SSA_ERR_GRANT_FORMAT and @p err (may be NULL: which line, why) anything that is not exactly
 * the canonical format: unknown lines, a missing or bad policy line, bad ids or amounts, unsorted or duplicate grants, a
 * holder twice, a NUL or CR byte, a missing signature, bytes after it. */
enum ssa_err grant_batch_parse(const char *text, size_t len, struct grant_batch **out,
			       struct convention_error *err);

/* Verify and parse what a terminal pulled: the signature must verify with the caisse's raw
 * public key @p pub (else SSA_ERR_GRANT_SIGNATURE), the batch must be of caisse @p caisse (NULL:
 * any; else SSA_ERR_GRANT_CAISSE).  Nothing is returned on error. */
enum ssa_err grant_batch_load(const char *text, size_t len, const uint8_t pub[32],
			      const char *caisse, struct grant_batch **out,
			      struct convention_error *err);

/* The grant for the card tapped now: its @p card_serial and @p member_id (from its verified
 * identity; 0 = do not look up by member) in period @p period.  A grant to the card wins over a
 * grant to the member.  SSA_ERR_GRANT_PERIOD when the batch is for another period,
 * SSA_ERR_NOT_FOUND when the card has no grant.  @p *out points into @p b. */
enum ssa_err grant_find(const struct grant_batch *b, uint64_t card_serial, uint64_t member_id,
			int32_t period, const struct grant **out);

/* The grant with id @p id, or NULL (binary search). */
const struct grant *grant_by_id(const struct grant_batch *b, uint64_t id);

/* "00000000000003e9": the grant id as a journal RELOAD record's grant_id (buf >= 17 bytes). */
void grant_id_format(uint64_t id, char *buf, size_t size);

/* Parse exactly 16 lowercase hex digits, not all zero (the grant_id of a RELOAD record).
 * SSA_ERR_INVAL otherwise. */
enum ssa_err grant_id_parse(const char *text, uint64_t *out);

/* --- signed text documents (shared with the hot list) -------------------------------------- */

/* Check that @p text ends with exactly one signature line GRANT_SIG_PREFIX<128 hex>\n and that
 * the signature verifies with @p pub over the bytes before it; @p *signed_len gets their number.
 * SSA_ERR_NOT_FOUND when there is no well-formed final signature line, SSA_ERR_CRYPTO when the
 * signature does not verify, SSA_ERR_KEY for an unusable key. */
enum ssa_err grant_text_verify(const char *text, size_t len, const uint8_t pub[32],
			       size_t *signed_len);

#endif
