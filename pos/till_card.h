/* till_card.h — the card paths of the till beyond the sale's debit: the caisse's signed files
 * from the spool (hot list, monthly grants), the monthly reload at a card's first tap of a
 * month, and the refund of lines of an earlier sale.
 *
 * ssa-syncd leaves the caisse's signed documents in the spool directory (docs/protocol.md):
 * hotlist.txt and grants-YYYYMM.txt.  The till never trusts them: each is verified with the
 * caisse's public document key ([sync] caisse_key) when its mtime or size changed; a file that
 * does not verify is a warning and the last good one stays in force.
 *
 * Every card operation here follows the sale's discipline (docs/card.md): an intent is stored
 * pending in the journal before the card is touched; the journal record is appended (removing
 * the intent) once the card answered; a card torn away, or a till stopped in between, leaves
 * the intent pending and the next tap of that card settles it from what the card holds — the
 * period state for a reload, the balance for a refund — so the record is appended exactly once,
 * or not at all when the card did not change.
 */
#ifndef POS_TILL_CARD_H
#define POS_TILL_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ssa/grant.h"
#include "ssa/hotlist.h"

#include "till.h"

/* A card seen current for the month: its caisse and serial. */
struct till_card_seen {
	uint64_t serial;
	char caisse[CARD_CAISSE_MAX + 1];
};

/* The spool's signed files as the till holds them. */
struct till_card_files {
	char *dir;         /* the spool directory (owned) */
	bool has_key;      /* without the caisse's key: no hot list, no grants */
	uint8_t pub[32];   /* the caisse's public document key */
	struct hotlist *hot; /* the hot list in force, NULL: none */
	int64_t hot_time;    /* UTC s the list in force was received (its file's mtime), 0 none */
	int64_t hot_mtime_ns;
	off_t hot_size;
	bool hot_stat;        /* hot_mtime_ns/hot_size hold the last file looked at */
	struct grant_batch *grants; /* the batch of grants_period, NULL: none */
	int32_t grants_period;
	int64_t grants_mtime_ns;
	off_t grants_size;
	bool grants_stat;
	/* Cards whose period state is known to be current for done_period: the period file is
	 * not read again at their next taps (a tap stays at 9 APDUs).  Kept across restarts in
	 * <data dir>/period-cache-YYYYMM.txt (till_card_files_keep). */
	struct till_card_seen *done;
	size_t n_done, cap_done;
	int32_t done_period;
	char *cache_dir; /* the data directory of the period cache (owned), or NULL: memory only */
	char warned[200]; /* the last warning given about a file (not repeated at every tap) */
	uint64_t note_serial; /* the card t->card_note is about */
	char *keep;           /* the till's copy of the last good full hot list (owned), or NULL */
	bool keep_tried;      /* the copy was looked at (once, at the first refresh) */
};

/* The spool @p dir and the caisse's public key file @p key_path (PEM; NULL: none).
 * @param[out] out  malloc'd; till_card_files_free it.  A key file that cannot be loaded is
 * SSA_ERR_KEY/SSA_ERR_IO with a sentence in @p why; nothing is returned then. */
enum ssa_err till_card_files_open(const char *dir, const char *key_path,
				  struct till_card_files **out, char *why, size_t why_size);

/* Free; NULL is a no-op. */
void till_card_files_free(struct till_card_files *f);

/* Keep a copy of the last good full hot list in @p dir (the till's data directory, not the
 * spool): verified again and put in force at start-up before the spool's file is looked at, so
 * that a spool file that is bad or gone at start-up does not leave the till without a hot list.
 * Also keep there the cards whose period state was seen current this month
 * (period-cache-YYYYMM.txt), so that a restarted till does not read their period state again:
 * a card's period state never goes back, so an entry stays true; a line that is torn or does
 * not check is ignored (the period state is read, as without the file). */
enum ssa_err till_card_files_keep(struct till_card_files *f, const char *dir);

/* The same under file name @p name of @p dir (a further caisse's: hotlist-<id>.verified).  The
 * period cache is the same file for every caisse: its lines name the card's caisse. */
enum ssa_err till_card_files_keep_as(struct till_card_files *f, const char *dir,
				     const char *name);

/* Look at the spool's hot list again (re-read and verified when its mtime or size changed).
 * Called at every card read; a bad file is a warning in t->msg, the last good list stays. */
void till_card_refresh_hotlist(struct till *t);

/* Everything checked offline on a card read (payment, inquiry, refund): its caisse (a till of
 * several caisses makes that caisse's keys, hot list and grants the ones in use, and refuses a
 * card of a caisse it does not know with SSA_ERR_CARD_CAISSE), its signature, the hot list,
 * the validity dates (card_identity_check).  On refusal t->msg says why, naming the hot list's
 * reason and date for a blocked card. */
enum ssa_err till_card_check(struct till *t, const struct card_identity *id, const uint8_t *uid,
			     size_t uid_len);

/* Is the journal's pending intent one of a sale (card debit)?  False for a reload's or a
 * refund's intent, and when there is none. */
bool till_card_pending_is_sale(struct till *t);

/* The card @p id (checked) is on the reader and a reload's or refund's intent is pending:
 * settle it.  The record is appended once when the card shows the operation happened, the
 * intent dropped when it did not.  SSA_ERR_CARD_ABSENT (and a message) when this is not the
 * intent's card or the card cannot tell; other card errors leave the intent pending. */
enum ssa_err till_card_settle(struct till *t, const struct card_identity *id, int64_t now_ms);

/* The monthly reload at a tap of card @p id (checked, on the reader): when its period state is
 * older than this month (t->today) and this month's batch in the spool has a grant for it,
 * apply the grant once (intent, apply_grant, RELOAD record) and say so in t->msg and
 * t->card_note.  Nothing to do (no key, no batch, no grant, done already) is SSA_ERR_OK; a torn
 * card is an error with the intent pending.  @p *credited (may be NULL) gets the amount
 * credited now, 0 when none. */
enum ssa_err till_card_reload(struct till *t, const struct card_identity *id, int64_t now_ms,
			      int64_t *credited);

/* The message for a pending intent found at start-up (which operation to settle). */
void till_card_recover_message(struct till *t, const void *blob, size_t len);

/* --- refunds of lines of an earlier sale (till_refund.c) ----------------------------------- */

/* A line of the sale being refunded. */
struct till_refund_line {
	struct journal_line line;  /* as sold */
	int64_t refunded_qty;      /* by earlier refunds of the sale */
	int64_t refunded_amount, refunded_covered, refunded_ssa;
	int64_t qty;               /* chosen for this refund (a weighed line: 0 or 1) */
};

struct till_refund {
	uint64_t sale_seq;          /* 0: no sale open */
	struct journal_record sale; /* as recorded */
	size_t n;
	struct till_refund_line *lines; /* sale.n_lines of them */
	int64_t tender_refunded[TENDER__COUNT]; /* by earlier refunds, per tender kind */
	int64_t ssa_refunded;       /* SSA part of earlier refunds */
	unsigned refunds;           /* earlier refunds of the sale */
	int64_t total, ssa;         /* of the chosen quantities */
	struct journal_record done; /* the refund just recorded (receipt), kind REFUND */
};

/* Open sale @p seq of the journal for a refund, with what earlier refunds of it took (REFUND
 * records linked to it: their lines are matched to the sale's in order).  SSA_ERR_NOT_FOUND with
 * a message when @p seq is not a sale of this journal.
 * @param[out] rf  initialised here; till_refund_fini it (also on error). */
enum ssa_err till_refund_open(struct till *t, uint64_t seq, struct till_refund *rf);

/* Choose @p qty pieces of line @p i to refund (0: none; a weighed line is 1 or 0).
 * SSA_ERR_INVAL with a message beyond what is left of the line. */
enum ssa_err till_refund_set_qty(struct till *t, struct till_refund *rf, size_t i, int64_t qty);

/* Record the refund of the chosen lines.  The SSA part goes back to the sale's card by limited
 * credit: that card must be on the reader (waited for at most @p timeout_ms:
 * SSA_ERR_CARD_ABSENT quietly when it did not come), with the sale as its newest debit, and the
 * SSA part of a sale goes back once (DESFire's rule, checked before the card is touched).  The
 * rest goes back by the sale's other tenders.  The intent is pending before the card is
 * touched; the REFUND (link_seq = the sale) is appended once the card took the credit.  On
 * success rf->done holds the record; t->last_refund_seq its number. */
enum ssa_err till_refund_commit(struct till *t, struct till_refund *rf, int timeout_ms,
				int64_t now_ms);

/* Is @p blob a refund's pending intent? */
bool till_refund_is_intent(const void *blob, size_t len);

/* Settle the refund intent @p blob (pending id @p pid) with card @p id on the reader: the
 * card's balance says whether it took the credit (before + amount: the REFUND is appended) or
 * not (before: the intent is dropped); anything else stays pending for the caisse
 * (SSA_ERR_CARD_ABSENT). */
enum ssa_err till_refund_settle(struct till *t, const struct card_identity *id, uint64_t pid,
				const void *blob, size_t len);

/* The refund's receipt: @p *out malloc'd text (caller frees). */
enum ssa_err till_refund_receipt(const struct till *t, const struct journal_record *r,
				 const char *shop, const char *when, int width, char **out);

/* Release @p rf. */
void till_refund_fini(struct till_refund *rf);

#endif
