/* caisse_admin.h — helpers shared by ssa-admin's caisse commands (cmd_grant.c, cmd_hotlist.c,
 * cmd_caisse.c).  Each returns 0, or -1 after printing a message on stderr. */
#ifndef SSA_ADMIN_CAISSE_H
#define SSA_ADMIN_CAISSE_H

#include <stddef.h>
#include <stdint.h>

#include "admin.h"
#include "ssa/caisse_store.h"
#include "ssa/grant.h"
#include "ssa/hotlist.h"
#include "ssa/household.h"

/* The options of the commands on the caisse's database (cmd_caisse.c); NULL = not given. */
struct caisse_opts {
	const char *db, *caisse, *key, *rules, *period, *outlet, *policy, *household, *holder,
		*birth, *card, *date, *terminal, *separator, *opening;
	char **args; /* the arguments left, after the verb */
	int nargs;
};

/* Parse @p argc, @p argv (argv[0] is the verb) into @p o.  -1 for an unknown option. */
int caisse_opts_parse(int argc, char **argv, struct caisse_opts *o);

/* Print the usage of the database commands; returns 2. */
int caisse_usage(void);

/* Open the caisse's database (--db, else [caisse] database) into @p st and begin its one
 * transaction. */
int caisse_open(struct admin_ctx *ctx, const struct caisse_opts *o, struct caisse_store *st);

/* Commit when @p rc is 0, else roll back; close.  Returns @p rc, or 1 when the commit failed.
 * A zeroed (never opened) @p st is left alone. */
int caisse_close(struct caisse_store *st, int rc);

/* --caisse, else [caisse] id; NULL after a message. */
const char *caisse_id(struct admin_ctx *ctx, const struct caisse_opts *o);

/* Say that the database failed with @p e; returns 1. */
int caisse_db_failed(enum ssa_err e);

/* A day "YYYY-MM-DD" into @p day (YYYYMMDD). */
int caisse_parse_day(const char *text, int32_t *day);

/* The household rules of --rules @p given, else [caisse] household_rules, into @p r. */
int caisse_load_rules(struct admin_ctx *ctx, const char *given, struct household_rules *r);

/* The monthly amount of household @p household for @p period by @p rules, from its members'
 * births; 0 (and no adults nor children) for a household without members. */
int caisse_household_amount(struct caisse_store *st, const struct household_rules *rules,
			    const char *household, int32_t period, int64_t *amount,
			    unsigned *adults, unsigned *children);

/* `ssa-admin list publish FILE` and `ssa-admin list published` (argv[0] is "list"). */
int admin_list_publish(struct admin_ctx *ctx, int argc, char **argv);
int admin_list_published(struct admin_ctx *ctx, int argc, char **argv);

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
