/* ssa/amap.h — an AMAP distribution: who is to collect which baskets today, and who did.
 *
 * At an AMAP distribution no money changes hands; volunteers check members off a sign-in sheet
 * (feuille d'émargement).  This module is that sheet: it imports today's distribution from the
 * CSV files AMAP software exports, finds a household by a few letters of a name, records
 * collections and the other outcomes, keeps live totals, and exports the results.
 *
 * Two input layouts are recognised from their header line (French or English names, ';' or ',',
 * UTF-8 with or without BOM, decimal commas):
 *  - CAMAP's distribution export, one row per member and product:
 *    userId;userName;productName;ref;catalogName;catalogId;vendorId;price;quantity;fees;total;paid
 *  - a sign-in sheet, one row per household: Nom;Prénom;<one column per contract>...;Commentaire,
 *    each contract cell holding size codes such as "2 x G" or "1 x M + 1 x P".
 * A bad row is reported with its line number and the rest still imports.
 *
 * Either layout may carry one more column, "Carte SSA" (also "Carte", "Card", "SSA card", "SSA
 * member"), holding the SSA member id of the household's food card as written on the card's
 * papers and by ssa-admin (1 to 16 hex digits): tapping that card checks the household in.
 */
#ifndef SSA_AMAP_H
#define SSA_AMAP_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"

#define AMAP_STATUS_LIST(_) \
	_(EXPECTED, "expected", "attendu") \
	_(COLLECTED, "collected", "récupéré") \
	_(ABSENT, "absent", "absent") \
	_(MOVED, "moved", "reporté") \
	_(CANCELLED, "cancelled", "annulé") \
	_(GIVEN_AWAY, "given away", "donné")

#define AMAP_STATUS_ENUM_(n, en, fr) AMAP_##n,
enum amap_status { AMAP_STATUS_LIST(AMAP_STATUS_ENUM_) AMAP__STATUS_COUNT };
#undef AMAP_STATUS_ENUM_

enum amap_layout { AMAP_LAYOUT_CAMAP, AMAP_LAYOUT_SHEET };

struct amap_household {
	char *id;             /* CAMAP userId, or "NOM Prénom" for a sheet */
	char *name;           /* as shown: "DUPONT Marie" */
	char *comment;        /* sheet's Commentaire, or "" */
	enum amap_status status;
	int64_t changed_at;   /* UTC seconds of the last status change, 0 if none */
	char *collected_by;   /* who picked up for the household, or NULL */
	uint64_t member_id;   /* SSA member id of the household's food card (card column), 0 none */
};

struct amap_item {
	size_t household;     /* index in amap_distribution.household */
	char *contract;       /* CAMAP catalogName, or the sheet's column header */
	char *product;        /* CAMAP productName, or the size code ("G") */
	int64_t qty_milli;    /* quantity in thousandths (CAMAP allows 0,5) */
	int64_t total;        /* cents; 0 when the layout has no prices */
};

struct amap_distribution {
	enum amap_layout layout;
	struct amap_household *household;
	size_t n_household;
	struct amap_item *item;
	size_t n_item;
};

/* A bad row of an import: its line (1 = the header) and why it was left out. */
struct amap_bad_row {
	unsigned line;
	char msg[160];      /* why, in English (the log): reason filled with value */
	const char *reason; /* why, a static English sentence with at most one "%s" where value
	                     * goes; a screen shows its translation filled (amap_reason_fill) */
	char value[64];     /* what the reason names (the cell, the household), "" when none */
};

/* Fill @p reason (a bad row's reason, or its translation) with @p value in place of its first
 * "%s" (a reason without one is copied as it is) into @p buf, NUL-terminated, truncated to
 * @p size bytes.  @p value is text, never a format. */
void amap_reason_fill(const char *reason, const char *value, char *buf, size_t size);

/* Every bad row is kept, up to AMAP_REPORT_MAX (far more than a distribution has rows: the cap
 * only bounds the memory a file of garbage can take); rows_bad counts them all. */
#define AMAP_REPORT_MAX 100000
struct amap_report {
	unsigned rows_imported;
	unsigned rows_bad;        /* all of them, even past AMAP_REPORT_MAX */
	struct amap_bad_row *bad; /* n_bad of them, in file order; malloc'd */
	size_t n_bad;
};

/* Release what @p rep holds; @p rep is zeroed.  amap_report_fini(NULL) does nothing. */
void amap_report_fini(struct amap_report *rep);

/* Import @p len bytes of CSV into @p d (zeroed or freshly finied by the caller).
 * @param[out] rep  rows imported and every bad row with its line number and reason (zeroed here,
 *                  filled even when an error is returned); release with amap_report_fini().
 * Returns SSA_ERR_OK when the layout was recognised (even if rows were bad),
 * SSA_ERR_LIST_FORMAT when the header matches no known layout (then @p d stays empty).
 * @p d owns everything it holds; release with amap_fini(). */
enum ssa_err amap_import(const char *data, size_t len, struct amap_distribution *d,
                         struct amap_report *rep);

/* Release what @p d holds; @p d is zeroed. */
void amap_fini(struct amap_distribution *d);

/* Households whose name contains every word of @p query, ignoring case and accents ("hel dup"
 * finds "DUPONT Hélène" and a co-member listed in the same row).  Writes at most @p max indexes
 * to @p out in name order; returns how many matched in all. */
size_t amap_find(const struct amap_distribution *d, const char *query, size_t *out, size_t max);

/* The product category of contract @p contract in the caisse's convention lists: "amap-" then
 * the name folded to lower-case ASCII, runs of other characters made one '-' ("Légumes bio" ->
 * "amap-legumes-bio"), at most AMAP_CATEGORY_MAX bytes.  A caisse that pays a contract's
 * baskets from the food card lists that category (docs/amap.md). */
#define AMAP_CATEGORY_MAX 32
void amap_contract_category(const char *contract, char *out, size_t size);

/* The household whose card column holds member id @p member, or (size_t)-1. */
size_t amap_find_member(const struct amap_distribution *d, uint64_t member);

/* Record an outcome for household @p h at @p now (UTC seconds).  @p by: who collected for the
 * household (only with AMAP_COLLECTED; NULL for the household itself).  Setting EXPECTED again
 * undoes a mistaken check-in. */
enum ssa_err amap_set_status(struct amap_distribution *d, size_t h, enum amap_status status,
                             int64_t now, const char *by);

/* Live totals per contract and product/size. */
struct amap_total {
	const char *contract; /* borrowed from @p d */
	const char *product;
	int64_t expected_milli;  /* quantity to be handed out in all */
	int64_t collected_milli; /* of which collected (or given away) */
};

/* Fill @p out (at most @p max rows, sorted by contract then product); returns the number of rows
 * in all. */
size_t amap_totals(const struct amap_distribution *d, struct amap_total *out, size_t max);

/* The results as CSV (';'-separated, UTF-8, one row per household and item, with status, time
 * as ISO 8601 UTC and collected-by).  @p *out is malloc'd, owned by the caller. */
enum ssa_err amap_export_csv(const struct amap_distribution *d, char **out, size_t *len);

/* A printable fallback sign-in sheet (plain text, one household per line with its items and a box
 * to tick), for when the laptop dies.  @p *out is malloc'd, owned by the caller. */
enum ssa_err amap_format_sheet(const struct amap_distribution *d, char **out, size_t *len);

/* The baskets left at the end of the distribution (plain text, in French like the sheet): each
 * household still expected, absent or moved with its status and items, then how many of each
 * contract's item are left.  @p *out is malloc'd, owned by the caller. */
enum ssa_err amap_format_uncollected(const struct amap_distribution *d, char **out, size_t *len);

/* English or French name of a status. */
const char *amap_status_name(enum amap_status s, int french);

#endif
