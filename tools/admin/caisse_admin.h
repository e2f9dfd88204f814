/* caisse_admin.h — helpers shared by ssa-admin's caisse commands (cmd_grant.c, cmd_hotlist.c,
 * cmd_caisse.c).  Each returns 0, or -1 after printing a message on stderr. */
#ifndef SSA_ADMIN_CAISSE_H
#define SSA_ADMIN_CAISSE_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/grant.h"
#include "ssa/hotlist.h"

/* A month "YYYYMM" into @p period. */
int caisse_parse_period(const char *text, int32_t *period);

/* A positive version "N" (1..UINT32_MAX) into @p out. */
int caisse_parse_version(const char *text, uint32_t *out);

/* Exactly 16 hex digits (either case), not all zero: a card serial or a member id.  No message:
 * the caller knows what the id is. */
int caisse_parse_serial(const char *text, uint64_t *out);

/* The reload policy "expire" or "rollover:<cap euros>" of @p b. */
int caisse_set_policy(struct grant_batch *b, const char *text);

/* Sign @p b with @p priv into malloc'd @p *text, and check that the result parses as a till
 * would parse it (nothing is returned when it does not). */
int caisse_batch_sign(struct grant_batch *b, const uint8_t priv[32], char **text, size_t *len);

/* The sum of the batch's amounts (overflow-checked). */
int caisse_batch_total(const struct grant_batch *b, int64_t *total);

/* Sign @p l with @p priv into malloc'd @p *text and check that it parses back. */
int caisse_hotlist_sign(const struct hotlist *l, const uint8_t priv[32], char **text, size_t *len);

#endif
