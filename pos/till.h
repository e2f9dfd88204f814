/* till.h — the till's logic, independent of the terminal.
 *
 * The screens (ui_*.c) draw a struct till and turn keys into calls below; nothing here touches
 * curses, so the whole sale flow is unit-tested (tests/unit/test_till*.c) with fakes behind the
 * ports.  Every call that fails leaves the till as it was and puts a message in till->msg.
 */
#ifndef POS_TILL_H
#define POS_TILL_H

#include <stdbool.h>
#include <stdint.h>

#include "ssa/allocation.h"
#include "ssa/basket.h"
#include "ssa/catalog.h"
#include "ssa/err.h"
#include "ssa/gtin.h"
#include "ssa/card.h"
#include "ssa/card_reader.h"
#include "ssa/journal.h"
#include "ssa/journal_store.h"
#include "ssa/money.h"

/* The longest code a person or a scanner types (GTIN-14 and GS1 codes fit with room). */
#define TILL_CODE_MAX 32
/* The entry line: what was typed since the last Enter. */
#define TILL_ENTRY_MAX 48
/* Quantities typed as N*code are 1..TILL_QTY_MAX; weights are up to TILL_GRAMS_MAX grams. */
#define TILL_QTY_MAX 999
#define TILL_GRAMS_MAX 100000

/* What the status line shows: from the sync daemon's spool, the journal and the catalog
 * (pos/spool.h). */
struct till_status {
	bool online;
	int64_t last_sync;       /* UTC seconds, 0 = never */
	int64_t records_waiting; /* journal records not yet acknowledged by the caisse */
	uint32_t list_version;   /* version of the preview caisse's list in force, 0 = none */
	int64_t list_time;       /* UTC seconds the list in force was received, 0 = unknown */
	int64_t hotlist_time;    /* same for the hot list */
	int64_t max_age;         /* seconds; older lists get a warning; 0 = no limit */
	uint64_t rejections;     /* records the caisse refused (sync status) */
};

enum till_msg_level { TILL_MSG_NONE, TILL_MSG_INFO, TILL_MSG_WARN, TILL_MSG_ERROR };

/* A parsed entry line: "code", "3*code" (pieces), "0,350*code" (kg, for per-kg items); "/N"
 * in place of the code is the product on quick key N, for items without a barcode (so "/3",
 * and three of them: 3, star, slash, 3). */
struct till_entry {
	int64_t qty;   /* pieces, >= 1; 1 when a weight is given */
	int64_t grams; /* 0 when no weight was typed */
	int quick_key; /* 1..CATALOG_QUICK_KEY_MAX, or 0: the code says what it is */
	char code[TILL_CODE_MAX + 1];
};

/* How a line's eligibility is shown: a symbol and a color, the same meaning either way. */
enum till_mark {
	TILL_MARK_COVERED, /* fully covered by SSA */
	TILL_MARK_PARTIAL, /* partly covered (rate, ceiling, cap) */
	TILL_MARK_NONE,    /* not covered */
	TILL_MARK_UNKNOWN, /* no list to decide with */
};

/* Where the sale stands. */
enum till_state {
	TILL_SELLING, /* lines are added and voided */
	TILL_PAYING,  /* the basket is frozen: card, then other tenders */
	TILL_PAID,    /* recorded; the receipt is shown until the next scan or key */
};

/* The reader must be seen empty before a card on it is used: the one rule behind tap to pay and
 * the start-up after a crash.  A card that stays on the reader (after the sale it paid, a
 * payment dropped, an inquiry, the settlement of an interrupted operation) must never pay the
 * next basket by itself.  t->tap says how far the reader was seen; only a look that saw it
 * empty lowers it (till_tap, till_poll_card), and every "a card was used" raises it again
 * (till_tap_reset, till_recover). */
enum till_tap {
	TILL_TAP_UNKNOWN,    /* not seen empty since a card was last used (a sale ended or was
	                      * cancelled, a payment started, an inquiry): a card seen now did
	                      * not arrive; tap to pay leaves it, F3 reads it */
	TILL_TAP_READY,      /* seen empty: the next card seen there arrives, and pays */
	TILL_TAP_LEFT,       /* as TILL_TAP_UNKNOWN, and tap to pay saw a card there: lift it and
	                      * tap it again (or F3) */
	TILL_TAP_MUST_LEAVE, /* an intent was pending at start-up (till_recover): the card that
	                      * settles it is another customer's, so no card pays, F3 neither,
	                      * before the reader was seen empty */
};

struct till_card_files;

/* A caisse whose cards this till reads: its main caisse and those of [caisse.<id>]
 * (docs/card.md, "Several caisses"). */
struct till_caisse {
	char id[CARD_CAISSE_MAX + 1];  /* as its cards name it */
	const uint8_t *verify_key;     /* its Ed25519 key checking its cards' identities */
	const struct card_keys *keys;  /* its card keys, given to the reader (use_keys) */
	struct till_card_files *files; /* its spool's hot list and grants; NULL: none */
};

/* The food card as the till knows it once it was read and checked (card reader port). */
struct till_card {
	char id[24];                            /* pseudonymous member id, for the journal */
	char caisse[CONVENTION_CAISSE_MAX + 1]; /* whose list decides */
	int64_t balance;                        /* cents */
};

struct till {
	/* Who records: ids as the caisse knows them, and the operator of the shift. */
	char establishment[JOURNAL_ID_MAX + 1];
	char terminal[JOURNAL_ID_MAX + 1];
	char operator_id[JOURNAL_ID_MAX + 1]; /* "" until an operator signs in */
	struct till_status status;
	enum till_state state;
	bool has_card;          /* a card was read for this payment */
	struct till_card card;
	struct allocation alloc; /* the split of the sale, while paying */
	struct card_identity card_identity; /* of the card read for this payment */
	uint64_t pending_id;     /* the journal's pending card debit of this sale, 0 = none */
	uint64_t sale_pending_id; /* the intent this sale stored (an intent left by a crash before
				   * a restart is another sale's: settled on its own) */
	uint64_t last_sale_seq;  /* sequence number of the last recorded sale */
	enum till_tap tap;       /* must the reader be seen empty before a card there pays? */

	/* The ports (borrowed, may be NULL: then no payment can be recorded / no card read). */
	struct ssa_journal_store *journal;
	const struct journal_signer *signer;
	struct ssa_card_reader *reader;
	const uint8_t *caisse_verify_key; /* the caisse's Ed25519 key checking card identities */
	uint32_t card_terminal;           /* this till's number in the cards' debit records */
	struct till_card_files *files; /* the spool's hot list and grants (till_card.h), borrowed;
					* NULL: none */
	/* The caisses whose cards this till reads when it knows several (borrowed, n_caisses of
	 * them).  A card read selects the entry of the caisse its identity names
	 * (till_card_check): caisse_verify_key, files and the reader's keys are then that
	 * caisse's, and a card of a caisse not among them is refused.  n_caisses 0: a till of one
	 * caisse, whose cards are read with the keys above whatever caisse they name. */
	const struct till_caisse *caisses;
	size_t n_caisses;
	char card_note[96];            /* about the card read: the allocation just credited */
	uint64_t last_refund_seq;      /* the last refund recorded (till_refund.c), 0 = none */
	char *receipt;           /* the last recorded sale's receipt text (owned), NULL = none */
	char entry[TILL_ENTRY_MAX + 1]; /* the entry line being typed */
	int64_t pending_grams;          /* weight typed after F6, waiting for its item; 0 = none */
	bool weight_prompt;             /* the entry line holds a weight, not a code */
	bool weight_for_product;        /* ... for pending_product, a per-kg item just scanned */
	struct catalog_product pending_product;

	struct ssa_catalog *catalog; /* borrowed; NULL = no product list */
	struct gtin_nomenclature nomenclature; /* how in-store codes read (configuration) */
	/* Until a card says which caisse decides, lines are decided with this caisse's list (the
	 * outlet's main caisse), so the screen shows eligibility from the first scan. */
	char preview_caisse[CONVENTION_CAISSE_MAX + 1];
	int32_t today; /* YYYYMMDD, local date, from the UI's clock */
	enum money_locale money_locale; /* amounts in messages */
	struct basket basket;
	uint32_t last_line; /* id of the line added last, 0 = none */
	enum till_msg_level msg_level;
	char msg[200];
};

/* Set up an empty till with an empty sale for day @p today (YYYYMMDD), no catalog.
 * @param[out] t */
void till_init(struct till *t, int32_t today);

/* Use catalog @p cat (borrowed, may be NULL) and decide lines with the list of @p caisse (may be
 * NULL or "") until a card is known.  Decisions of the current sale are recomputed. */
void till_set_catalog(struct till *t, struct ssa_catalog *cat, const char *caisse);

/* Release what the till holds. */
void till_fini(struct till *t);

/* Parse an entry line.  Accepts "code", "N*code" with 1 <= N <= TILL_QTY_MAX, and
 * "W*code" where W has a decimal separator ("0,350", "1.2") and is a weight in kg (3 decimals
 * at most, > 0, <= TILL_GRAMS_MAX g).  The code is 1..TILL_CODE_MAX digits, or "/N" for quick
 * key N (1..CATALOG_QUICK_KEY_MAX).
 * @param[in] text  NUL-terminated
 * @param[out] out  filled on success only
 * @return SSA_ERR_BARCODE_EMPTY, SSA_ERR_BARCODE_CHARS, SSA_ERR_TOO_LONG, SSA_ERR_INVAL */
enum ssa_err till_parse_entry(const char *text, struct till_entry *out);

/* Type one character into the entry line.  Digits, '*', ',', '.' and '/' are kept; anything
 * else is refused (returns false).  Full line: refused too. */
bool till_entry_type(struct till *t, int ch);

/* Erase the last character typed; false if the line was empty. */
bool till_entry_backspace(struct till *t);

/* Clear the entry line and any weight prompt. */
void till_entry_clear(struct till *t);

/* Is the entry line a scanned code, i.e. what a scanner sends (at least 8 digits, optionally
 * after N* or W*)?  Such a line lands in the basket whatever screen has focus. */
bool till_entry_is_scan(const char *text);

/* Start the weight prompt (F6): the next Enter takes the entry line as a weight in kg. */
void till_weight_prompt(struct till *t);

/* Enter on the entry line: a weight when the weight prompt is on, else a code to add to the
 * basket.  Clears the entry line.  A bad entry is a message and changes nothing else. */
enum ssa_err till_enter(struct till *t);

/* Add @p e to the sale: the code is read by gtin_scan (check digit verified, variable-measure
 * codes decoded with the nomenclature) and its lookup key found in the catalog; pieces of a
 * per-piece item, the weight of a per-kg item (without a weight, the weight prompt opens for it),
 * the weight or price a GS1 variable-measure code carries.  A quantity on a per-kg
 * item or a weight on a per-piece item is refused with a message. */
enum ssa_err till_add_entry(struct till *t, const struct till_entry *e);

/* Void line @p id of the sale. */
enum ssa_err till_void_line(struct till *t, uint32_t id);

/* Start a new, empty sale (after a recorded one).  The entry line is kept: what is being typed
 * (a quantity "3*", a weight after F6, a code) is for the new sale. */
void till_new_sale(struct till *t);

/* Cancel the sale: every line goes, nothing is recorded.  Refused (a message) while a card
 * debit of this sale is pending: it may have happened. */
void till_cancel_sale(struct till *t);

/* Start paying: the basket must have lines; it is frozen.  No card yet: everything is due from
 * other tenders until a card is read.  Refused while an intent of another sale, reload or refund
 * is pending (its card settles it first: till_poll_card). */
enum ssa_err till_pay_start(struct till *t);

/* The card @p c was read: the lines are decided again with the list of the card's caisse, and
 * the split computed with its balance (debit = min(covered, balance)).  Refused once a tender
 * was taken (SSA_ERR_INVAL): the split would change under it. */
enum ssa_err till_pay_card(struct till *t, const struct till_card *c);

/* A payment of @p given cents by @p kind (not TENDER_SSA); @p given 0 means the exact amount
 * due.  Cash may exceed what is due: the difference is change. */
enum ssa_err till_pay_tender(struct till *t, enum tender_kind kind, int64_t given);

/* Back to the sale from the payment (before anything was recorded): tenders and card dropped,
 * lines decided with the preview list again. */
enum ssa_err till_pay_back(struct till *t);

struct receipt;

/* While paying, look for the food card for at most @p timeout_ms: identity checked offline
 * (signature, validity), balance read, then till_pay_card.  A card whose payment was torn away
 * earlier is settled first: its debit is recorded exactly once, or tried again.  Also outside a
 * payment while an intent is pending.  The reader seen empty here lowers TILL_TAP_MUST_LEAVE to
 * TILL_TAP_UNKNOWN (a card on the reader while paying is this payment's: it does not arm tap to
 * pay); while t->tap is TILL_TAP_MUST_LEAVE a card connected settles an intent but pays
 * nothing (a message says so).
 * SSA_ERR_CARD_ABSENT quietly when no card came; other card errors are a message. */
enum ssa_err till_poll_card(struct till *t, int timeout_ms, int64_t now_ms, struct receipt *rc);

/* Record the sale once nothing is due: when the card pays a part, the intent is stored as
 * pending in the journal, the card debited, then the record appended (removing the intent) in
 * one transaction.  A card torn away leaves the intent pending and the till waiting for the card
 * (till_poll_card settles it).  On success state is TILL_PAID and t->receipt holds the receipt
 * layout of @p rc (its basket, allocation and sale number are filled here). */
enum ssa_err till_pay_commit(struct till *t, int64_t now_ms, struct receipt *rc);

/* Tap to pay: may the sale screen look at the reader now?  A reader, a journal and a signer, a
 * sale with lines and no payment under way, no card debit pending. */
bool till_tap_wanted(const struct till *t);

/* Tap to pay, between keys on the sale screen: look at the reader once, for at most
 * @p timeout_ms (0: one look).  The reader empty: t->tap becomes TILL_TAP_READY.  A card there
 * while TILL_TAP_READY has arrived: the payment starts (till_pay_start) and the card is read at
 * once by till_poll_card (checked, monthly grant, balance, split), as after F3.  A card there
 * otherwise was left on the reader (t->tap TILL_TAP_LEFT, or stays TILL_TAP_MUST_LEAVE): it
 * is let go, nothing starts.
 * SSA_ERR_READER (the reader itself failed: it may be plugged back with a card already on it)
 * forgets what was seen, as till_tap_reset; another error (something there, no card connected)
 * is a look that saw nothing.
 * @return what till_poll_card returned when the payment started (t->state TILL_PAYING; a card
 * lifted meanwhile is waited for, as after F3); else SSA_ERR_CARD_ABSENT quietly, or
 * till_pay_start's refusal. */
enum ssa_err till_tap(struct till *t, int timeout_ms, int64_t now_ms);

/* Forget what tap to pay saw (t->tap = TILL_TAP_UNKNOWN; TILL_TAP_MUST_LEAVE stays): the reader
 * must be seen empty again before a card pays.  The till does so itself when a sale ends or is
 * cancelled, a payment starts and a card is read for an inquiry; the UI when the sale screen loses
 * the focus or the reader is gone (a reader that is gone answers "no card" and must not arm it). */
void till_tap_reset(struct till *t);

/* At start-up: an intent left pending by a crash is reported (and settled at the card's next
 * tap by till_poll_card); t->tap becomes TILL_TAP_MUST_LEAVE. */
void till_recover(struct till *t);

/* The closing of @p kind (JOURNAL_CLOSING_Z, _MONTH, _YEAR) for @p period over the records since
 * the last one of its kind, computed from the journal without recording it: an X report when
 * @p record is false; recorded (sealed, appended) when true.  Refused while a sale is under way,
 * and a monthly or annual closing while records are not yet in a Z (they sum the Zs).
 * @param[out] r  initialised here; journal_record_fini it. */
enum ssa_err till_closing(struct till *t, enum journal_kind kind, int32_t period, int64_t now_ms,
			  bool record, struct journal_record *r);

/* The period of a closing of @p kind made on local day @p today (YYYYMMDD): the day for a Z,
 * YYYYMM for a monthly closing, YYYY for an annual one; -1 for a kind that is no closing. */
int32_t till_closing_period(enum journal_kind kind, int32_t today);

/* Balance inquiry: look for a card for at most @p timeout_ms, check it (hot list included),
 * apply this month's grant if it is the card's first tap of the month (t->card_note says so),
 * read its balance.  @p now_ms: UTC ms, for the RELOAD record.
 * @param[out] id, balance  filled on success. */
enum ssa_err till_inquiry(struct till *t, int timeout_ms, int64_t now_ms, struct card_identity *id,
			  int64_t *balance);

/* The amount still due from other tenders while paying, else 0. */
int64_t till_due(const struct till *t);

/* Sign in operator @p code: 1 to 8 digits.  A bad code is a message and changes nothing. */
enum ssa_err till_sign_in(struct till *t, const char *code);

/* Record a reprint of the receipt of sale @p sale_seq (a REPRINT record linked to it, by the
 * operator signed in, at @p now_ms UTC ms); @p *copy gets its copy number: 1 + the reprints of
 * that sale already in the journal.  Order matters: the reprint is in the journal before the
 * copy exists.  SSA_ERR_INVAL without a journal, a signer or a sale; store errors as they are. */
enum ssa_err till_reprint(struct till *t, uint64_t sale_seq, int64_t now_ms, unsigned *copy);

/* How many receipts were reprinted (REPRINT records) after record @p after and before record
 * @p before (0: up to the last), for the X report and the Z.  @param[out] n  0 on error. */
enum ssa_err till_reprints_between(struct till *t, uint64_t after, uint64_t before, unsigned *n);

/* The journal record of the sale being paid, fully paid (allocation_check): lines with their
 * decisions and SSA parts, tenders with change, card and balances, VAT per rate, at @p time_ms
 * (UTC ms).  The store seals it (seq, chain, signature).
 * @param[out] r  initialised here; journal_record_fini it, also on error. */
enum ssa_err till_sale_record(const struct till *t, int64_t time_ms, struct journal_record *r);

/* How line @p l is marked on screen. */
enum till_mark till_line_mark(const struct basket_line *l);

/* Put a message for the person at the till.  printf-style. */
void till_message(struct till *t, enum till_msg_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
