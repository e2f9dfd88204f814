/* ssa/card.h — the SSA food card: layout, identity, debit records, period state, settlement.
 *
 * Pure: no NFC here.  The card is a MIFARE DESFire EV1 (or later) with one application; the
 * reasons for every choice below are in docs/card.md.
 *
 *   AID 0x535341 ("SSA"), AES-128 keys, each diversified per card (ssa/card_kdf.h):
 *     key 0  application master   the caisse (issuance, change keys and files)
 *     key 1  debit                terminals (sales, refunds by limited credit)
 *     key 2  credit               monthly reload (apply a grant)
 *     key 3  read                 read-only devices (history, period state)
 *
 *   file 1  identity     standard data, CARD_IDENTITY_LEN bytes, plain, read free, write key 0
 *   file 2  balance      value (cents), MACed, read/write key 1, read&write key 2, limited credit
 *   file 3  debits       cyclic records of CARD_DEBIT_RECORD_LEN, MACed, read key 3, write key 1
 *   file 4  period       backup data, CARD_PERIOD_LEN bytes, MACed, read key 3, write key 2
 *
 * All integers on the card are big-endian.
 *
 * Identity (file 1, 114 bytes; fits two 59-byte response frames):
 *     0   1  format version (1)
 *     1   8  card serial
 *     9   8  member id (pseudonymous, random, given by the caisse)
 *     17  8  household id (pseudonymous)
 *     25  4  valid from, YYYYMMDD
 *     29  4  valid to, YYYYMMDD inclusive
 *     33  1  length n of the caisse id (1..16)
 *     34 16  caisse id, [A-Za-z0-9._-], zero padded
 *     50 64  Ed25519 signature by the caisse over
 *            "ssa-card-identity/1" || uid length (1 byte) || uid || bytes 0..49
 * The UID is in the signed message but not in the file: a file copied onto another card does
 * not verify there.  A clone that also copies the UID has no keys and fails AES authentication.
 *
 * Debit record (file 3, 20 bytes): terminal id u32, terminal sequence u32, amount u32 (cents,
 * > 0), balance after i32 (cents), time u32 (Unix seconds, UTC).  Written in the same DESFire
 * transaction as the debit, so a record exists if and only if its debit happened.
 *
 * Period state (file 4, 16 bytes): format version u8, then version 1: 3 zero bytes, version 2:
 * the number of the terminal that applied the grant u24 (its low 24 bits, not 0); period u32
 * (YYYYMM, 0 = never reloaded), grant id u64 (0 = none); all zero as created.  Written in the
 * same transaction as the reload.  The terminal tells a till whose reload was interrupted
 * whether the grant on the card is its own or another till's (recorded there).
 */
#ifndef SSA_CARD_H
#define SSA_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/card_kdf.h"
#include "ssa/err.h"

/* --- layout --------------------------------------------------------------------------------- */

#define CARD_AID 0x535341u

enum card_key_no { CARD_KEY_MASTER = 0, CARD_KEY_DEBIT = 1, CARD_KEY_CREDIT = 2, CARD_KEY_READ = 3 };
#define CARD_KEY_COUNT 4

enum card_file_no {
	CARD_FILE_IDENTITY = 1,
	CARD_FILE_BALANCE = 2,
	CARD_FILE_DEBITS = 3,
	CARD_FILE_PERIOD = 4,
};

/* DESFire communication settings and access rights (the card's own encodings). */
#define CARD_COMM_PLAIN 0x00
#define CARD_COMM_MACED 0x01
#define CARD_COMM_ENCIPHERED 0x03
#define CARD_AR_FREE 0xe
#define CARD_AR_DENY 0xf
#define CARD_ACCESS(read, write, read_write, change) \
	((uint16_t)(((read) << 12) | ((write) << 8) | ((read_write) << 4) | (change)))

/* Application key settings: keys changed only with the application master key (high nibble 0),
 * configuration changeable, create/delete with the master key only, file directory listed
 * without authentication, master key changeable. */
#define CARD_APP_SETTINGS 0x0b

#define CARD_IDENTITY_COMM CARD_COMM_PLAIN
#define CARD_IDENTITY_ACCESS \
	CARD_ACCESS(CARD_AR_FREE, CARD_KEY_MASTER, CARD_KEY_MASTER, CARD_KEY_MASTER)
#define CARD_BALANCE_COMM CARD_COMM_MACED
#define CARD_BALANCE_ACCESS CARD_ACCESS(CARD_KEY_DEBIT, CARD_KEY_DEBIT, CARD_KEY_CREDIT, CARD_KEY_MASTER)
#define CARD_DEBITS_COMM CARD_COMM_MACED
#define CARD_DEBITS_ACCESS CARD_ACCESS(CARD_KEY_READ, CARD_KEY_DEBIT, CARD_KEY_DEBIT, CARD_KEY_MASTER)
#define CARD_PERIOD_COMM CARD_COMM_MACED
#define CARD_PERIOD_ACCESS CARD_ACCESS(CARD_KEY_READ, CARD_KEY_CREDIT, CARD_KEY_CREDIT, CARD_KEY_MASTER)

#define CARD_BALANCE_MAX 1000000 /* cents: the value file's upper limit (10 000 EUR) */
#define CARD_DEBIT_RECORDS 8     /* records kept; the file is created with one more (spare) */

#define CARD_IDENTITY_VERSION 1
#define CARD_IDENTITY_SIGNED_LEN 50
#define CARD_IDENTITY_LEN 114
#define CARD_CAISSE_MAX 16
/* The characters of a caisse id (1..CARD_CAISSE_MAX of them), for strspn. */
#define CARD_CAISSE_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define CARD_DEBIT_RECORD_LEN 20
#define CARD_PERIOD_VERSION 1 /* without the terminal */
#define CARD_PERIOD_VERSION_TERMINAL 2
#define CARD_PERIOD_LEN 16
#define CARD_UID_MAX CARD_KDF_UID_MAX

/* --- identity ------------------------------------------------------------------------------- */

struct card_identity {
	uint64_t serial;
	uint64_t member_id;
	uint64_t household_id;
	int32_t valid_from; /* YYYYMMDD */
	int32_t valid_to;   /* YYYYMMDD inclusive */
	char caisse[CARD_CAISSE_MAX + 1];
	uint8_t signature[64];
};

/* Encode @p id (with its signature field as it is) into @p out.  SSA_ERR_INVAL when a field
 * cannot be encoded (caisse id empty, too long or with other characters than [A-Za-z0-9._-],
 * a date that is not a calendar day, from after to). */
enum ssa_err card_identity_encode(const struct card_identity *id, uint8_t out[CARD_IDENTITY_LEN]);

/* Decode @p len bytes read from the identity file into @p out.  SSA_ERR_CARD_FORMAT when the
 * bytes are not an SSA identity (length, version, caisse id, dates, non-zero padding). */
enum ssa_err card_identity_decode(const uint8_t *buf, size_t len, struct card_identity *out);

/* Sign @p id for the card with UID @p uid (@p uid_len 4, 7 or 10 bytes) with the caisse's raw
 * Ed25519 private key @p priv: fills id->signature. */
enum ssa_err card_identity_sign(struct card_identity *id, const uint8_t *uid, size_t uid_len,
				const uint8_t priv[32]);

/* Verify id->signature for UID @p uid with the caisse's raw public key @p pub: SSA_ERR_OK or
 * SSA_ERR_CARD_SIGNATURE (also for an identity that cannot be encoded). */
enum ssa_err card_identity_verify(const struct card_identity *id, const uint8_t *uid,
				  size_t uid_len, const uint8_t pub[32]);

/* Everything a till checks offline before accepting a card, in this order: the signature
 * (SSA_ERR_CARD_SIGNATURE), the hot list @p hot of @p n_hot card serials, any order
 * (SSA_ERR_CARD_HOTLISTED), the validity dates against @p today, YYYYMMDD
 * (SSA_ERR_CARD_NOT_YET_VALID, SSA_ERR_CARD_EXPIRED). */
enum ssa_err card_identity_check(const struct card_identity *id, const uint8_t *uid,
				 size_t uid_len, const uint8_t pub[32], const uint64_t *hot,
				 size_t n_hot, int32_t today);

/* "0123456789abcdef": an id as 16 lowercase hex digits (@p buf at least 17 bytes). */
void card_id_format(uint64_t id, char *buf, size_t size);

/* Parse 1..16 hex digits into @p out; SSA_ERR_INVAL otherwise. */
enum ssa_err card_id_parse(const char *text, uint64_t *out);

/* --- debit records -------------------------------------------------------------------------- */

struct card_debit_record {
	uint32_t terminal_id;
	uint32_t seq;
	int64_t amount;        /* cents, 1..CARD_BALANCE_MAX */
	int64_t balance_after; /* cents, 0..CARD_BALANCE_MAX */
	uint32_t time;         /* Unix seconds, UTC */
};

/* Encode @p rec; SSA_ERR_INVAL when an amount is out of range. */
enum ssa_err card_debit_record_encode(const struct card_debit_record *rec,
				      uint8_t out[CARD_DEBIT_RECORD_LEN]);

/* Decode one record; SSA_ERR_CARD_FORMAT when an amount is out of range. */
enum ssa_err card_debit_record_decode(const uint8_t in[CARD_DEBIT_RECORD_LEN],
				      struct card_debit_record *out);

/* --- period state --------------------------------------------------------------------------- */

struct card_period_state {
	uint32_t period;   /* YYYYMM of the last grant applied, 0 = none */
	uint64_t grant_id; /* the last grant applied, 0 = none */
	uint32_t terminal; /* who applied it: card_period_terminal() of its number, 0 = unknown */
};

/* A terminal number as the period state holds it: its low 24 bits (0: not said). */
uint32_t card_period_terminal(uint32_t terminal_number);

/* Version 2 when st->terminal is not 0 (only its low 24 bits are kept), else version 1. */
void card_period_encode(const struct card_period_state *st, uint8_t out[CARD_PERIOD_LEN]);

/* SSA_ERR_CARD_FORMAT for a bad version, non-zero padding (version 1), a zero terminal (version
 * 2) or a period that is not YYYYMM.  All zero bytes (the file as created) decode as period 0,
 * grant 0, terminal 0. */
enum ssa_err card_period_decode(const uint8_t in[CARD_PERIOD_LEN], struct card_period_state *out);

/* --- reload policy -------------------------------------------------------------------------- */

enum card_reload_policy {
	CARD_RELOAD_EXPIRE,   /* the old balance expires: the new balance is the grant */
	CARD_RELOAD_ROLLOVER, /* the old balance is kept up to a cap, the grant is added */
};

/* A monthly grant as the till applies it (it arrives signed through sync; checked there). */
struct card_grant {
	uint64_t grant_id; /* not 0 */
	uint32_t period;   /* YYYYMM */
	int64_t amount;    /* cents */
	enum card_reload_policy policy;
	int64_t cap; /* ROLLOVER: most cents of the old balance kept */
	uint32_t terminal; /* the applying terminal's number, written in the period state (0: none) */
};

/* Balance after applying a grant of @p amount cents to a card holding @p old cents, with
 * @p policy (@p cap: most cents kept by ROLLOVER).  SSA_ERR_NEGATIVE for a negative input,
 * SSA_ERR_OVERFLOW when the result exceeds CARD_BALANCE_MAX. */
enum ssa_err card_reload_balance(int64_t old, int64_t amount, enum card_reload_policy policy,
				 int64_t cap, int64_t *out);

/* --- anti-tearing settlement ---------------------------------------------------------------- */

/* A sale's card debit, stored in the journal as pending before the card is touched (with the
 * card's caisse: card_settle_card). */
struct card_intent {
	uint64_t card_serial;
	uint32_t terminal_id;
	uint32_t seq;
	int64_t amount; /* cents */
};

enum card_settle_outcome {
	CARD_SETTLE_DEBITED,     /* the card holds the debit: record the sale as final, once */
	CARD_SETTLE_NOT_DEBITED, /* the card never took it: drop the intent (or debit afresh) */
	CARD_SETTLE_UNKNOWN,     /* the record may have been overwritten: keep it pending and
				  * let the caisse reconcile with the other terminals' journals */
	CARD_SETTLE_OTHER_CARD,  /* this is not the intent's card: decide nothing */
};

/* Decide the fate of @p intent from the card tapped now: its serial @p card_serial and its
 * @p n last debit records @p recs (any order, as read from the cyclic file).
 * A record with the intent's terminal and sequence is the debit: DEBITED if its amount is the
 * intent's, else SSA_ERR_CARD_RECORD (a contradiction: never finalise or drop on it).  No such
 * record: NOT_DEBITED if the file is not full (n < CARD_DEBIT_RECORDS: records are only lost by
 * overwriting, oldest first), or if a record of the same terminal with an earlier sequence is
 * still there (the terminal's debits of this card are written in sequence order, so ours would
 * be newer than that one and could not have been overwritten before it); UNKNOWN otherwise.  @p matched (may be NULL) receives the record on DEBITED.  Caisses are not
 * compared: card_settle_card does. */
enum ssa_err card_settle(const struct card_intent *intent, uint64_t card_serial,
			 const struct card_debit_record *recs, size_t n,
			 enum card_settle_outcome *out, struct card_debit_record *matched);

/* card_settle for an intent of the card of caisse @p intent_caisse, the card tapped now being
 * of caisse @p card_caisse: OTHER_CARD also when the caisses differ (a card is its caisse and
 * serial: two caisses may number their cards alike).  @p card_caisse NULL compares serials only,
 * as card_settle does (a till of one caisse reads every card with its one key, whatever caisse
 * it names); else an @p intent_caisse NULL or "" matches no card. */
enum ssa_err card_settle_card(const struct card_intent *intent, const char *intent_caisse,
			      uint64_t card_serial, const char *card_caisse,
			      const struct card_debit_record *recs, size_t n,
			      enum card_settle_outcome *out, struct card_debit_record *matched);

/* "DEBITED", ...; static storage. */
const char *card_settle_name(enum card_settle_outcome o);

/* --- key files ------------------------------------------------------------------------------ */

/* A device's card keys, from a text file (docs/card.md):
 *
 *     ssa-card-keys,1
 *     caisse,caisse-34
 *     master,<32 hex digits>     application master key (issuing station only)
 *     debit,<32 hex digits>      debit master key (terminals)
 *     credit,<32 hex digits>     credit master key (reload)
 *     read,<32 hex digits>       read master key
 *     sign,<64 hex digits>       caisse's Ed25519 private key (issuing station only)
 *     verify,<64 hex digits>     caisse's Ed25519 public key (every till)
 *
 * Each device gets only the lines its role needs; '#' lines and blank lines are ignored. */
struct card_keys {
	char caisse[CARD_CAISSE_MAX + 1];
	bool has[CARD_KEY_COUNT];
	uint8_t master[CARD_KEY_COUNT][CARD_KDF_KEY_LEN]; /* indexed by enum card_key_no */
	bool has_sign;
	uint8_t sign[32];
	bool has_verify;
	uint8_t verify[32];
};

/* Parse @p len bytes of key file text into @p out.  SSA_ERR_KEY with @p line (may be NULL) set
 * to the offending line for anything else than the format above (duplicates, bad hex, a sign
 * key whose public key is not the verify line when both are given). */
enum ssa_err card_keys_parse(const char *text, size_t len, struct card_keys *out, unsigned *line);

/* Write @p keys in the format above into the malloc'd NUL-terminated @p *out (caller frees). */
enum ssa_err card_keys_format(const struct card_keys *keys, char **out);

/* Wipe @p keys (explicit_bzero). */
void card_keys_wipe(struct card_keys *keys);

#endif
