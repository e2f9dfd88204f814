/* ssa/catalog.h — what the outlet sells, and the catalog PORT the till talks to.
 *
 * A product is identified by its lookup key: the normalised GTIN key that ssa/gtin.h produces
 * for a scanned barcode (or for the item part of a GS1 variable-measure code), a PLU, or an
 * outlet-local code.  The catalog treats it as an opaque key of at most CATALOG_CODE_MAX
 * printable ASCII characters without comma, quote or space.
 *
 * Prices are VAT included, in cents, per piece (CATALOG_PIECE) or per kilogram (CATALOG_KG).
 * The VAT rate is in basis points and must be one of the configured rates (ssa/vat.h).
 *
 * The port: struct ssa_catalog is a table of function pointers with a closure (isync's driver),
 * so the till's logic links an in-memory catalog in unit tests (catalog_mem_new, below) and the
 * SQLite store (ssa/catalog_store.h) in the programs.
 */
#ifndef SSA_CATALOG_H
#define SSA_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"
#include "ssa/vat.h"

#define CATALOG_CODE_MAX 24
#define CATALOG_NAME_MAX 80 /* bytes of UTF-8 */
#define CATALOG_CATEGORY_MAX 32
#define CATALOG_QUICK_KEY_MAX 99

enum catalog_unit { CATALOG_PIECE, CATALOG_KG };

struct catalog_product {
	char code[CATALOG_CODE_MAX + 1];
	char name[CATALOG_NAME_MAX + 1];
	int64_t price;  /* cents, VAT included, per piece or per kg */
	enum catalog_unit unit;
	int64_t vat_bp; /* basis points */
	char category[CATALOG_CATEGORY_MAX + 1];
	int quick_key;  /* 1..CATALOG_QUICK_KEY_MAX, 0 = none */
};

struct convention_list;

/* The catalog port.  Every function returns SSA_ERR_OK or an error; NOT_FOUND is ordinary. */
struct ssa_catalog {
	void *cls;
	/* Product whose key is @p code, copied into @p out. */
	enum ssa_err (*find)(void *cls, const char *code, struct catalog_product *out);
	/* Product on quick key @p slot (1..CATALOG_QUICK_KEY_MAX). */
	enum ssa_err (*find_quick_key)(void *cls, int slot, struct catalog_product *out);
	/* Convention list in force for caisse @p caisse; @p *out is owned by the catalog and stays
	 * valid until the next call for the same caisse or until close.  A caisse's list is only
	 * ever replaced by one of a higher version: the same caisse and version is the same list. */
	enum ssa_err (*list_in_force)(void *cls, const char *caisse,
				      const struct convention_list **out);
	/* Release everything; the struct itself is freed too. */
	void (*close)(struct ssa_catalog *self);
};

/* Close @p cat through its port; NULL is a no-op. */
void catalog_close(struct ssa_catalog *cat);

/* "piece"/"kg" <-> enum.  catalog_unit_parse returns SSA_ERR_INVAL on anything else. */
enum ssa_err catalog_unit_parse(const char *text, enum catalog_unit *out);
const char *catalog_unit_name(enum catalog_unit unit);

/* True when @p code is a well-formed lookup key (see above). */
int catalog_code_valid(const char *code);

/* The text under which a code is stored, so that it equals the key the till looks up
 * (gtin_format of gtin_scan's key): all-digit codes go through gtin_canonical ("036000291452" ->
 * "0036000291452"); a wrong check digit is refused (SSA_ERR_BARCODE_CHECK); an all-digit code of
 * a length that is no GTIN, PLU or short local code (an outlet-local code read through a
 * configured prefix) and a code with other characters are kept as they are.  @p out has at least
 * CATALOG_CODE_MAX + 1 bytes.  @p why (may be NULL) gets a reason on error (static string). */
enum ssa_err catalog_code_canonical(const char *code, char *out, const char **why);

/* True when @p cat is a well-formed category: 1..CATALOG_CATEGORY_MAX of [a-z0-9_-]. */
int catalog_category_valid(const char *cat);

/* Check every field of @p p (key, name non-empty without control characters, price 0..MONEY_MAX,
 * rate in @p rates, category, quick key).  SSA_ERR_CATALOG_FORMAT or SSA_ERR_CATALOG_VAT. */
enum ssa_err catalog_product_check(const struct catalog_product *p, const struct vat_rates *rates);

/* The product CSV, one product a line (after a header line that the importer skips):
 *     code,name,price,unit,vat,category,quick_key
 *     3560070123456,Lentilles vertes 500 g,2.35,piece,5.5,epicerie,
 * price "2.35" in euros (money_parse), vat in percent (money_parse_rate), unit piece|kg,
 * quick_key empty or 1..99.  A name containing a comma is written in double quotes ("" for a
 * quote).  Parses one line of @p len bytes (no newline) into @p out and checks it.
 * On error, @p why (may be NULL) receives a short reason (static string). */
enum ssa_err catalog_csv_parse_line(const char *line, size_t len, const struct vat_rates *rates,
				    struct catalog_product *out, const char **why);

/* The header line catalog_csv_parse_line expects first (without newline). */
#define CATALOG_CSV_HEADER "code,name,price,unit,vat,category,quick_key"

/* An in-memory catalog behind the port: the fake of the till's unit tests, and the demo's
 * catalog.  @p *out is freed by catalog_close. */
enum ssa_err catalog_mem_new(struct ssa_catalog **out);

/* Add or replace a product (checked with catalog_product_check against no rate set). */
enum ssa_err catalog_mem_put(struct ssa_catalog *cat, const struct catalog_product *p);

/* Put @p list in force for its caisse; the catalog takes ownership (the previous list of that
 * caisse is freed).  Performs no verification: the caller verified it.  SSA_ERR_INVAL (the
 * caller keeps @p list) when it is not newer than the caisse's list in force. */
enum ssa_err catalog_mem_set_list(struct ssa_catalog *cat, struct convention_list *list);

#endif
