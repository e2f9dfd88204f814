/* ssa/catalog_store.h — the SQLite catalog database (adapter, io/catalog_sqlite.c).
 *
 * One file holds the outlet's products and the convention lists in force of every caisse that
 * conventions the outlet, plus the signed texts received (audit, resync).  The schema carries a
 * version table and is created or migrated on open; a database from a newer ssa-pos is refused
 * (SSA_ERR_CATALOG_SCHEMA).  WAL, synchronous=FULL, busy timeout, so that ssa-syncd can put a new
 * list while the till reads.
 *
 * The store is also the catalog PORT of ssa/catalog.h: catalog_store_port() returns the port of
 * the same object, and closing the port closes the store.
 */
#ifndef SSA_CATALOG_STORE_H
#define SSA_CATALOG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/catalog.h"
#include "ssa/convention.h"
#include "ssa/err.h"
#include "ssa/vat.h"

#define CATALOG_STORE_SCHEMA 4

struct catalog_store;

/* Open (creating and migrating) the catalog database @p path.  @p *out is freed by
 * catalog_store_close (or by closing its port).  SSA_ERR_DB, SSA_ERR_CATALOG_SCHEMA. */
enum ssa_err catalog_store_open(const char *path, struct catalog_store **out);

/* SQLite's message for the last SSA_ERR_DB of @p s ("" when none); static until the next call. */
const char *catalog_store_errmsg(const struct catalog_store *s);

/* Close; NULL is a no-op. */
void catalog_store_close(struct catalog_store *s);

/* The catalog port backed by @p s (same object: closing it closes @p s). */
struct ssa_catalog *catalog_store_port(struct catalog_store *s);

/* Outcome of a CSV import: rows imported, or where and why it failed. */
struct catalog_import_result {
	size_t rows;
	unsigned line; /* 1-based line of the failure, 0 when none */
	char why[120];
};

/* Replace every product by the products of the CSV file @p path (format of ssa/catalog.h,
 * header line CATALOG_CSV_HEADER first), in one transaction with one prepared statement: a bad
 * line, a duplicate code or a VAT rate outside @p rates (NULL: any rate) refuses the whole
 * file and changes nothing (SSA_ERR_CATALOG_FORMAT / _VAT with @p res->line and why). */
enum ssa_err catalog_store_import_csv(struct catalog_store *s, const char *path,
				      const struct vat_rates *rates,
				      struct catalog_import_result *res);

/* Add or replace one product (checked against @p rates). */
enum ssa_err catalog_store_put_product(struct catalog_store *s, const struct catalog_product *p,
				       const struct vat_rates *rates);

/* Number of products. */
enum ssa_err catalog_store_count(struct catalog_store *s, size_t *n);

/* The VAT rates the products carry that are not in @p skip (NULL: every rate): calls @p fn
 * once per such rate (ascending) with the number of products at that rate and the smallest code
 * at that rate (valid during the call).  For the till's start-up check against the configured
 * rates: it reads a summary (table product_vat) that the import and put_product keep in the same
 * transaction as the products, never the product table, so it costs the same whatever the
 * catalog's size.  A product table changed by hand outside this store is not seen. */
enum ssa_err catalog_store_each_vat_rate(struct catalog_store *s, const struct vat_rates *skip,
					 void (*fn)(void *arg, int64_t vat_bp, size_t products,
						    const char *example_code),
					 void *arg);

/* Put a signed list (full or delta) received for caisse @p caisse, verified with that caisse's
 * raw Ed25519 public key @p pub.  Refused, leaving the list in force untouched:
 * SSA_ERR_LIST_SIGNATURE / _FORMAT (err filled), _CAISSE (another caisse's list), _OLDER (a version
 * not newer than the one in force — the very same text again is accepted as a no-op), _BASE (a
 * delta whose base is not the version in force).  @p version (may be NULL) receives the version
 * in force afterwards. */
enum ssa_err catalog_store_put_list(struct catalog_store *s, const char *caisse,
				    const uint8_t pub[32], const char *text, size_t len,
				    struct convention_error *err, uint32_t *version);

/* A copy of the list in force of @p caisse (caller frees), SSA_ERR_NOT_FOUND without one. */
enum ssa_err catalog_store_get_list(struct catalog_store *s, const char *caisse,
				    struct convention_list **out);

/* The list in force of @p caisse: its @p version and when it was put (@p received, UTC seconds
 * from the database's clock; 0 for a list put by an ssa-pos that did not record it).  A list put
 * again unchanged keeps its time.  SSA_ERR_NOT_FOUND without one. */
enum ssa_err catalog_store_list_received(struct catalog_store *s, const char *caisse,
					 uint32_t *version, int64_t *received);

/* The caisse's age limit of the list in force of @p caisse (its max_age line, docs/lists.md):
 * @p days, 0 when the list sets none.  SSA_ERR_NOT_FOUND without a list. */
enum ssa_err catalog_store_list_max_age(struct catalog_store *s, const char *caisse,
					uint32_t *days);

/* The caisses that have a list in force, with their versions: calls @p fn for each. */
enum ssa_err catalog_store_each_list(struct catalog_store *s,
				     void (*fn)(void *arg, const char *caisse, uint32_t version,
						int32_t valid_from, int32_t valid_to, size_t entries),
				     void *arg);

#endif
