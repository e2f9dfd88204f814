/* ssa/gtin.h — what a scanned or typed code is: GTIN, variable-measure code, PLU, local code.
 *
 * One entry point, gtin_scan(), turns the text a keyboard-wedge scanner or a cashier sends into a
 * struct gtin_code: its kind, a lookup key for the catalog and, for GS1 restricted-circulation
 * variable-measure codes, the weight or price printed into the code.  Check digits are verified,
 * never guessed or corrected.  docs/barcodes.md has the details and examples.
 *
 * Recognised, in this order (after trimming surrounding blanks, CR and LF):
 *  1. a code starting with a configured outlet-local prefix, of 1 to 16 digits but not 8, 12, 13
 *     or 14 (those are GTINs, whose key must not depend on how they were read): GTIN_LOCAL;
 *  2. 8 digits: EAN-8; 12 digits: UPC-A, made a GTIN-13 with a leading 0; 13 digits: EAN-13;
 *     14 digits: GTIN-14 (one with a leading 0 is treated as the GTIN-13 it holds).  The GS1 mod-10
 *     check digit must be right (SSA_ERR_BARCODE_CHECK).
 *     A GTIN-13 with a restricted-circulation prefix (02, 04, 20-29) is decoded by the first rule
 *     of the nomenclature whose prefix is the longest match: GTIN_VARIABLE_WEIGHT,
 *     GTIN_VARIABLE_PRICE or GTIN_LOCAL.  Without a matching rule it is GTIN_LOCAL, whole.
 *  3. 4 digits 3000-4999, or 5 digits 93000-94999 (organic): an IFPS PLU, GTIN_PLU;
 *  4. any other code of 1 to 7 digits: GTIN_LOCAL (the outlet's catalog says whether it exists).
 * Anything else is refused with a message.
 *
 * Lookup keys are one uint64_t space (see GTIN_KEY_*): a GTIN's key is its 14-digit value
 * (3017620422003 for Nutella), so keys of GTIN kinds are < 10^14; PLU and local codes get keys
 * above that which keep their leading zeros apart ("0012" and "12" differ).
 */
#ifndef SSA_GTIN_H
#define SSA_GTIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"

enum gtin_kind {
	GTIN_NONE = 0,
	GTIN_GTIN,            /* EAN-8, UPC-A, EAN-13, GTIN-14 */
	GTIN_VARIABLE_WEIGHT, /* restricted-circulation code carrying a weight (value in grams) */
	GTIN_VARIABLE_PRICE,  /* restricted-circulation code carrying a price (value in cents) */
	GTIN_PLU,             /* IFPS price look-up code, 4011 bananas */
	GTIN_LOCAL,           /* a code the outlet defines */
};

/* Key spaces.  GTIN kinds: the GTIN-14 value.  PLU: GTIN_KEY_PLU | plu.  Local: GTIN_KEY_LOCAL |
 * (number of digits << 54) | value. */
#define GTIN_KEY_PLU (UINT64_C(1) << 60)
#define GTIN_KEY_LOCAL (UINT64_C(2) << 60)
#define GTIN_LOCAL_MAX_DIGITS 16

/* Longest text gtin_scan() reads, trimmed (a GTIN-14 is 14). */
#define GTIN_TEXT_MAX 32

/* One nomenclature rule, parsed from "<pattern> <kind>" by gtin_rule_parse():
 * the pattern is 13 characters — the prefix digits, then 'x' item-reference digits, 'N' whole
 * and 'D' decimal digits of the value, at most one 'v' price/measure verifier digit (GS1 General
 * Specifications §7.9.3, only with a 4- or 5-digit value) and the final 'c' check digit; kind is
 * "weight" (kilograms with the given decimals, at most 3), "price" (euros, at most 2 decimals)
 * or "local" (no value: the outlet's own item codes).  Examples: "21xxxxxNNDDDc weight",
 * "23xxxxxNNNDDc price", "26xxxxxvNNDDc price", "20xxxxxxxxxxc local". */
struct gtin_rule {
	char pattern[14];     /* as written, NUL-terminated */
	char prefix[4];       /* its leading digits */
	uint8_t prefix_len;
	enum gtin_kind kind;  /* GTIN_VARIABLE_WEIGHT, GTIN_VARIABLE_PRICE or GTIN_LOCAL */
	uint8_t item_pos, item_len;   /* 'x' digits (0-based position in the 13) */
	uint8_t value_pos, value_len; /* 'N' and 'D' digits */
	uint8_t decimals;             /* how many of them are 'D' */
	int8_t verifier_pos;          /* 'v' position, -1 when none */
};

#define GTIN_RULES_MAX 32
#define GTIN_LOCAL_PREFIX_MAX 8

/* How an outlet reads its in-store codes.  A zeroed struct (or NULL) has no rules and no local
 * prefixes. */
struct gtin_nomenclature {
	struct gtin_rule rule[GTIN_RULES_MAX];
	size_t n_rule;
	char local_prefix[GTIN_LOCAL_PREFIX_MAX][8]; /* digits, NUL-terminated */
	size_t n_local_prefix;
};

struct gtin_code {
	enum gtin_kind kind;
	uint64_t key;       /* catalog lookup key, see GTIN_KEY_* */
	char text[GTIN_TEXT_MAX + 1]; /* normalised: 14 digits for GTIN kinds (the key, with the value
	                               * digits zeroed for variable ones), the digits for PLU/local */
	uint64_t item_ref;  /* variable/local rule: the 'x' digits as a number */
	int64_t value;      /* VARIABLE_WEIGHT: grams; VARIABLE_PRICE: cents; else 0 */
	bool organic;       /* PLU with the 9 prefix */
	int rule;           /* index of the nomenclature rule used, -1 when none */
	char msg[160];      /* on error: what is wrong, for a person */
};

/* Classify and decode @p text (NUL-terminated) with nomenclature @p nom (may be NULL).
 * @param[out] out  filled on success; on error kind is GTIN_NONE and msg says why.
 * Returns SSA_ERR_BARCODE_EMPTY, SSA_ERR_BARCODE_CHARS, SSA_ERR_BARCODE_LENGTH,
 * SSA_ERR_BARCODE_CHECK (wrong check or verifier digit) or SSA_ERR_OK. */
enum ssa_err gtin_scan(const struct gtin_nomenclature *nom, const char *text,
                       struct gtin_code *out);

/* GS1 mod-10 check digit of the @p n digits at @p digits (without the check digit): weights 3, 1,
 * 3 ... from the right.  Returns 0..9, or -1 if a character is not a digit. */
int gtin_check_digit(const char *digits, size_t n);

/* GS1 price/measure verifier digit of a 4- or 5-digit value (General Specifications §7.9.3).
 * Returns 0..9, or -1 for another length or a non-digit. */
int gtin_price_check_digit(const char *digits, size_t n);

/* Format lookup key @p key as digits: a GTIN as EAN-8 when it is one (value < 10^8), else as 13
 * digits, or 14 for a GTIN-14 with an indicator digit; PLU and local codes as they were scanned.
 * snprintf semantics: writes at most @p size bytes with the NUL, returns the length needed
 * (0 for a key that is none of these). */
size_t gtin_format(uint64_t key, char *buf, size_t size);

/* The canonical text of a code as a product list should store it, so that it equals
 * gtin_format() of the key the till computes when the product is scanned: "036000291452",
 * "0036000291452" and "00036000291452" all give "0036000291452"; "00000096385074" gives
 * "96385074"; a variable-measure item is listed with its value digits zeroed ("2112345000008")
 * and stays as it is.  Check digits are verified.  @p buf gets at most @p size bytes; a code
 * whose canonical text does not fit is SSA_ERR_TOO_LONG.  On a bad code, @p msg (may be NULL)
 * says why. */
enum ssa_err gtin_canonical(const char *text, char *buf, size_t size, char *msg, size_t msg_size);

/* Parse one rule "<pattern> <kind>" (see struct gtin_rule).
 * @param[out] msg  on error, why (at most @p msg_size bytes).
 * Returns SSA_ERR_INVAL on a malformed rule. */
enum ssa_err gtin_rule_parse(const char *text, struct gtin_rule *out, char *msg, size_t msg_size);

/* Add rule text @p text to @p nom.  Refuses (SSA_ERR_INVAL, with @p msg) a malformed rule or a
 * second rule with the same prefix; SSA_ERR_TOO_LONG past GTIN_RULES_MAX. */
enum ssa_err gtin_nomenclature_add_rule(struct gtin_nomenclature *nom, const char *text, char *msg,
                                        size_t msg_size);

/* Add an outlet-local prefix (1 to 7 digits).  SSA_ERR_INVAL / SSA_ERR_TOO_LONG with @p msg. */
enum ssa_err gtin_nomenclature_add_local_prefix(struct gtin_nomenclature *nom, const char *prefix,
                                                char *msg, size_t msg_size);

/* "GTIN", "variable weight", "variable price", "PLU", "local", "none". */
const char *gtin_kind_name(enum gtin_kind kind);

#endif
