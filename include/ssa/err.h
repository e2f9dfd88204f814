/* ssa/err.h — the one error enum of ssa-pos, with its messages.
 *
 * Every function that can fail returns enum ssa_err; results go through out-parameters.
 * Codes are declared once, in the X-macro lists below, each with the message a person reads
 * (on the till's screen, in a log, in a server's error body).  Each module owns one list, so
 * that modules grow without touching each other's lines.
 */
#ifndef SSA_ERR_H
#define SSA_ERR_H

#define SSA_ERR_GENERAL(_) \
	_(OK, "ok") \
	_(NOMEM, "out of memory") \
	_(INVAL, "invalid argument") \
	_(IO, "input/output error") \
	_(NOT_FOUND, "not found") \
	_(EXISTS, "already exists") \
	_(TOO_LONG, "value too long") \
	_(UNSUPPORTED, "not supported") \
	_(CRASH_INJECTED, "stopped by fault injection")

#define SSA_ERR_MONEY(_) \
	_(OVERFLOW, "amount out of range") \
	_(NEGATIVE, "amount must not be negative")

#define SSA_ERR_GTIN(_) \
	_(BARCODE_EMPTY, "empty code") \
	_(BARCODE_CHARS, "code has characters other than digits") \
	_(BARCODE_LENGTH, "code has an unknown length") \
	_(BARCODE_CHECK, "wrong check digit")

#define SSA_ERR_CONFIG(_) \
	_(CONFIG_SYNTAX, "configuration syntax error") \
	_(CONFIG_KEY, "unknown configuration key") \
	_(CONFIG_VALUE, "bad configuration value") \
	_(CONFIG_MISSING, "required configuration key missing")

#define SSA_ERR_CATALOG(_) \
	_(LIST_SIGNATURE, "product list signature does not verify") \
	_(LIST_FORMAT, "product list is malformed") \
	_(LIST_OLDER, "product list is older than the one in force") \
	_(LIST_BASE, "list delta does not apply to the version in force") \
	_(LIST_CAISSE, "product list belongs to another caisse") \
	_(CATALOG_FORMAT, "product catalog line is malformed") \
	_(CATALOG_VAT, "VAT rate is not one of the configured rates") \
	_(CATALOG_SCHEMA, "catalog database has an unknown schema version")

#define SSA_ERR_BASKET(_) \
	_(BASKET_FULL, "basket is full") \
	_(BASKET_LINE, "no such basket line") \
	_(BASKET_UNIT, "quantity or weight does not match the product's unit") \
	_(BASKET_PAID, "payment exceeds the amount due") \
	_(BASKET_UNPAID, "the amount due is not fully paid")

#define SSA_ERR_JOURNAL(_) \
	_(JOURNAL_CHAIN, "journal chain broken") \
	_(JOURNAL_SIGNATURE, "journal record signature does not verify") \
	_(JOURNAL_SEQ, "journal sequence gap") \
	_(JOURNAL_FORMAT, "journal record is malformed") \
	_(JOURNAL_ORDER, "journal record stored out of order") \
	_(JOURNAL_KEY, "journal record signed by another key") \
	_(JOURNAL_SCHEMA, "journal database has an unknown schema version") \
	_(JOURNAL_MOVED, "another record was appended to the journal meanwhile") \
	_(DB, "database error")

#define SSA_ERR_CRYPTO(_) \
	_(CRYPTO, "cryptographic operation failed") \
	_(KEY, "key file is missing or unusable")

#define SSA_ERR_CARD(_) \
	_(CARD_ABSENT, "no card on the reader") \
	_(CARD_TORN, "card removed during the operation") \
	_(CARD_AUTH, "card failed authentication: not an authentic card of the caisse") \
	_(CARD_SIGNATURE, "card identity signature does not verify") \
	_(CARD_EXPIRED, "card has expired") \
	_(CARD_HOTLISTED, "card is blocked (hot list)") \
	_(CARD_BALANCE, "insufficient balance on the card") \
	_(CARD_FORMAT, "card is not an SSA food card") \
	_(CARD_NOT_YET_VALID, "card is not valid yet") \
	_(CARD_RECORD, "card's debit record contradicts the pending sale") \
	_(CARD_REFUSED, "card refused the operation") \
	_(CARD_ALREADY_APPLIED, "grant already applied to this card") \
	_(READER, "card reader error")

#define SSA_ERR_SYNC(_) \
	_(NET, "network error") \
	_(TLS, "TLS error") \
	_(PROTOCOL, "unexpected reply from the server") \
	_(CONFLICT, "conflicting record with the same key") \
	_(REJECTED, "rejected by the server")

#define SSA_ERR_POS(_) \
	_(UI, "terminal error")

#define SSA_ERR_CARDSIM(_) \
	_(CARDSIM_PTY, "cannot set up the pseudo-terminal") \
	_(CARDSIM_CONTROL, "control channel error")

#define SSA_ERR_CAISSE(_) \
	_(GRANT_FORMAT, "grant batch is malformed") \
	_(GRANT_SIGNATURE, "grant batch signature does not verify") \
	_(GRANT_CAISSE, "grant batch belongs to another caisse") \
	_(GRANT_PERIOD, "grant batch is for another period") \
	_(HOTLIST_FORMAT, "hot list is malformed") \
	_(HOTLIST_SIGNATURE, "hot list signature does not verify") \
	_(HOTLIST_OLDER, "hot list is not newer than the one in force") \
	_(HOTLIST_BASE, "hot list delta does not apply to the version in force") \
	_(HOTLIST_CAISSE, "hot list belongs to another caisse") \
	_(HOUSEHOLD_RULES, "household allocation rules are malformed") \
	_(HOUSEHOLD_MEMBER, "household member's birth date is not usable") \
	_(LEDGER_INPUT, "card ledger input is inconsistent")

#define SSA_ERR_TILL_CAISSES(_) \
	_(CARD_CAISSE, "card of a caisse this till does not accept")

#define SSA_ERR_ALL(_) \
	SSA_ERR_GENERAL(_) SSA_ERR_MONEY(_) SSA_ERR_GTIN(_) SSA_ERR_CONFIG(_) SSA_ERR_CATALOG(_) \
	SSA_ERR_BASKET(_) SSA_ERR_JOURNAL(_) SSA_ERR_CRYPTO(_) SSA_ERR_CARD(_) SSA_ERR_SYNC(_) \
	SSA_ERR_POS(_) SSA_ERR_CARDSIM(_) SSA_ERR_CAISSE(_) SSA_ERR_TILL_CAISSES(_)

#define SSA_ERR_ENUM_(name, msg) SSA_ERR_##name,
enum ssa_err { SSA_ERR_ALL(SSA_ERR_ENUM_) SSA_ERR__COUNT };
#undef SSA_ERR_ENUM_

/* A short English message for @p err, never NULL.  Static storage. */
const char *ssa_strerror(enum ssa_err err);

/* The code's own name ("BARCODE_CHECK"), for logs and protocol bodies.  Static storage. */
const char *ssa_errname(enum ssa_err err);

#endif
