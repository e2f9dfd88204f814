/* ssa/hotlist.h — the caisse's hot list: a versioned, signed list of blocked card serials.
 *
 * Pure.  A text document signed by the caisse with Ed25519, like the grant batches
 * (ssa/grant.h) and the convention lists; docs/caisse.md has the details:
 *
 *     ssa-hotlist,1
 *     caisse,caisse-34
 *     version,12
 *     base,9                                       deltas only: the cards added after version 9
 *     card,1122334455667788,2026-03-01,lost
 *     card,99aabbccddeeff00,2026-03-04,cloned
 *     signature,ed25519,<128 lowercase hex digits>
 *
 * Entry lines: card serial (16 lowercase hex digits, not 0), the day it was blocked, the reason
 * (HOTLIST_REASONS).  They are sorted by serial, strictly increasing: the text is canonical.
 * Within a version line cards are only ever added; unblocking a card takes a new full list
 * (no base) with a higher version.  A terminal never goes back to an older or equal version.
 */
#ifndef SSA_HOTLIST_H
#define SSA_HOTLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/convention.h"
#include "ssa/err.h"

#define HOTLIST_FORMAT_VERSION 1
#define HOTLIST_CAISSE_MAX 16
#define HOTLIST_MAX_ENTRIES 1000000
#define HOTLIST_MAX_BYTES (64 * 1024 * 1024)

#define HOTLIST_REASONS(_) \
	_(LOST, "lost", "card reported lost") \
	_(STOLEN, "stolen", "card reported stolen") \
	_(CLONED, "cloned", "card cloned or spent twice") \
	_(TAMPERED, "tampered", "card balance or records tampered with") \
	_(REPLACED, "replaced", "card replaced by a new one") \
	_(REVOKED, "revoked", "card withdrawn by the caisse")

#define HOTLIST_REASON_ENUM_(name, word, text) HOTLIST_##name,
enum hotlist_reason { HOTLIST_REASONS(HOTLIST_REASON_ENUM_) HOTLIST__REASON_COUNT };
#undef HOTLIST_REASON_ENUM_

/* "lost" (the word in the text); static storage. */
const char *hotlist_reason_word(enum hotlist_reason r);
/* "card reported lost" (for the till's screen); static storage. */
const char *hotlist_reason_text(enum hotlist_reason r);

struct hotlist_entry {
	uint64_t serial;
	int32_t since; /* YYYYMMDD */
	enum hotlist_reason reason;
	uint32_t version; /* the list version that added it (the parsed document's version) */
};

struct hotlist {
	char caisse[HOTLIST_CAISSE_MAX + 1];
	uint32_t version;
	uint32_t base; /* 0: a full list; V: a delta holding the cards added after version V */
	size_t n, cap;
	struct hotlist_entry *entries; /* sorted by serial, unique */
	uint64_t *serials;             /* the entries' serials, same order (card_identity_check) */
	size_t signed_len;             /* after parsing: bytes covered by the signature */
	uint8_t signature[64];
};

/* A new empty list of @p caisse, @p version (>= 1), @p base (0, or below @p version).  Free with
 * hotlist_free.  SSA_ERR_INVAL for a bad id or versions. */
enum ssa_err hotlist_new(const char *caisse, uint32_t version, uint32_t base, struct hotlist **out);

/* Free; NULL is a no-op. */
void hotlist_free(struct hotlist *l);

/* Add an entry (copied, kept sorted).  SSA_ERR_INVAL for serial 0, a date that is not a
 * calendar day, a reason out of range; SSA_ERR_EXISTS when the serial is there;
 * SSA_ERR_TOO_LONG past HOTLIST_MAX_ENTRIES.  e->version 0 takes the list's version. */
enum ssa_err hotlist_add(struct hotlist *l, const struct hotlist_entry *e);

/* The entry of @p serial, or NULL.  Binary search. */
const struct hotlist_entry *hotlist_find(const struct hotlist *l, uint64_t serial);

/* The canonical text without its signature line; @p *out malloc'd, NUL-terminated. */
enum ssa_err hotlist_format(const struct hotlist *l, char **out, size_t *len);

/* Format and sign with the caisse's raw Ed25519 private key @p priv; @p *out malloc'd. */
enum ssa_err hotlist_sign(const struct hotlist *l, const uint8_t priv[32], char **out, size_t *len);

/* Parse without verifying.  SSA_ERR_HOTLIST_FORMAT with @p err (may be NULL) for anything that is
 * not exactly the canonical format (unknown or misplaced lines, bad serials, dates or reasons,
 * unsorted or duplicate serials, bytes that are not printable ASCII, a missing signature, data
 * after it). */
enum ssa_err hotlist_parse(const char *text, size_t len, struct hotlist **out,
			   struct convention_error *err);

/* Verify and parse what a terminal pulled: SSA_ERR_HOTLIST_SIGNATURE unless the signature
 * verifies with raw public key @p pub; SSA_ERR_HOTLIST_CAISSE when @p caisse (NULL: any) is not
 * the list's.  Nothing is returned on error. */
enum ssa_err hotlist_load(const char *text, size_t len, const uint8_t pub[32], const char *caisse,
			  struct hotlist **out, struct convention_error *err);

/* The list in force after @p incoming (verified) given @p current (NULL: none yet).  A full
 * list replaces the current one when its version is higher; a delta applies when its base is the
 * current version and its version is higher (an entry for a serial already listed replaces it).
 * SSA_ERR_HOTLIST_OLDER when @p incoming is not newer, SSA_ERR_HOTLIST_BASE when a delta's base
 * is not the current version (or nothing is in force), SSA_ERR_HOTLIST_CAISSE for another
 * caisse.  The result is a new full list (base 0, no signature) in @p *out; @p current is not
 * changed, so a refused update leaves the list in force as it was. */
enum ssa_err hotlist_apply(const struct hotlist *current, const struct hotlist *incoming,
			   struct hotlist **out);

/* The caisse's side: what to send a terminal that holds version @p since of the line of
 * @p full (a full list whose entries carry the version that added them).  @p since 0 gives a
 * full copy (base 0); otherwise a delta (base @p since, version of @p full) of the entries added
 * after @p since.  SSA_ERR_INVAL when @p since is not below full->version (nothing new: the
 * caller answers so).  A terminal whose version is older than the last full reissue must get
 * the full list: the caller passes 0 then. */
enum ssa_err hotlist_delta(const struct hotlist *full, uint32_t since, struct hotlist **out);

#endif
