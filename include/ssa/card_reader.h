/* ssa/card_reader.h — the card reader PORT, and its libnfc/libfreefare adapter.
 *
 * The till talks to a struct ssa_card_reader: a table of function pointers with a `void *cls`,
 * so that the till's unit tests give it a fake and the real till gives it the NFC adapter
 * (io/nfc_desfire.c).  One card at a time: wait_card() connects to a card, every other call acts
 * on it, release() lets it go.  The adapter keeps the card's session between calls while the
 * card stays on the reader (that is how a sale fits in 9 APDUs, see docs/card.md); a card that
 * left gives SSA_ERR_CARD_TORN or SSA_ERR_CARD_ABSENT, and then wait_card() again.
 *
 * Errors (besides SSA_ERR_NOMEM, SSA_ERR_INVAL): SSA_ERR_CARD_ABSENT (no card connected / none
 * came), SSA_ERR_CARD_TORN (the card stopped answering mid-operation: whatever was not committed
 * did not happen), SSA_ERR_CARD_AUTH (AES authentication failed: wrong key, cloned UID),
 * SSA_ERR_CARD_FORMAT (no SSA application, files or bytes), SSA_ERR_CARD_BALANCE,
 * SSA_ERR_CARD_ALREADY_APPLIED, SSA_ERR_CARD_REFUSED (another DESFire status),
 * SSA_ERR_KEY (this device has no key for the operation), SSA_ERR_READER (the reader itself).
 */
#ifndef SSA_CARD_READER_H
#define SSA_CARD_READER_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/card.h"
#include "ssa/err.h"

/* Traffic counters, for the bench: APDUs exchanged with cards and their bytes each way. */
struct ssa_card_stats {
	uint64_t apdus;
	uint64_t bytes_out; /* reader to card */
	uint64_t bytes_in;  /* card to reader, status included */
};

struct ssa_card_reader {
	void *cls;

	/* Wait up to @p timeout_ms for a DESFire card and connect to it; its UID (4, 7 or 10
	 * bytes) goes to @p uid / @p *uid_len.  SSA_ERR_CARD_ABSENT when none came in time. */
	enum ssa_err (*wait_card)(void *cls, int timeout_ms, uint8_t uid[CARD_UID_MAX],
				  size_t *uid_len);

	/* Read and decode the identity file (readable without a key).  The caller checks it
	 * with card_identity_check(). */
	enum ssa_err (*read_identity)(void *cls, struct card_identity *out);

	/* Authenticate with the debit key and read the balance, in cents. */
	enum ssa_err (*read_balance)(void *cls, int64_t *balance);

	/* The card's debit records, at most @p max, newest first, into @p recs; @p *n of them.
	 * A card with no debit yet gives 0. */
	enum ssa_err (*read_debits)(void *cls, struct card_debit_record *recs, size_t max,
				    size_t *n);

	/* Debit @p rec->amount and write @p rec as the newest record in one DESFire transaction
	 * (authenticate, read the balance, debit, write the record, commit).  rec->balance_after
	 * is filled in here.  SSA_ERR_CARD_BALANCE, without touching the card, when the balance
	 * is short.  On SSA_ERR_CARD_TORN the caller settles with card_settle() at the next tap. */
	enum ssa_err (*debit)(void *cls, struct card_debit_record *rec);

	/* Refund: limited credit of @p amount cents (at most what the card's last debit
	 * transaction took, DESFire's rule), committed.  New balance in @p *balance. */
	enum ssa_err (*refund)(void *cls, int64_t amount, int64_t *balance);

	/* Apply @p grant with the credit key: the period state and the balance change in one
	 * transaction.  SSA_ERR_CARD_ALREADY_APPLIED when the card's period state already holds
	 * this grant or a later period (nothing changes).  New balance in @p *balance. */
	enum ssa_err (*apply_grant)(void *cls, const struct card_grant *grant, int64_t *balance);

	/* Read the period state (read key, or credit key). */
	enum ssa_err (*read_period)(void *cls, struct card_period_state *out);

	/* Use @p keys (copied) for the card connected now and the next ones instead of the keys
	 * the reader was opened with: a till of several caisses gives the keys of the caisse the
	 * card's identity names before anything is authenticated.  A session authenticated with
	 * other keys ends (the next operation authenticates again).  May be NULL in a reader of
	 * one caisse's cards. */
	enum ssa_err (*use_keys)(void *cls, const struct card_keys *keys);

	/* Let the card go (the next operation needs wait_card()).  Never fails. */
	void (*release)(void *cls);

	/* Counters since the reader was opened. */
	void (*stats)(void *cls, struct ssa_card_stats *out);

	/* Close the reader and free everything, cls included. */
	void (*close)(void *cls);
};

/* --- the libnfc + libfreefare adapter (io/nfc_desfire.c) ------------------------------------ */

/* Open the libnfc reader @p connstring (NULL: the first reader of libnfc's configuration) with
 * the card keys @p keys (copied; the roles this device has) and fill @p out.
 * SSA_ERR_READER when libnfc cannot open it (its message is logged). */
enum ssa_err nfc_desfire_open(const char *connstring, const struct card_keys *keys,
			      struct ssa_card_reader *out);

/* Load a key file: refused with SSA_ERR_KEY (and a logged reason) unless it is a regular file
 * owned by the current user and not readable, writable or executable by group or others. */
enum ssa_err nfc_desfire_load_keys(const char *path, struct card_keys *out);

/* What issuance puts on a card. */
struct nfc_desfire_issue {
	struct card_identity identity; /* signed here with keys->sign for the card's UID */
	int64_t balance;               /* initial balance, cents */
};

/* Personalise the card connected with wait_card() on @p reader (an nfc_desfire reader whose
 * keys have master, debit, credit, read and sign): format it, create the SSA application with
 * the four diversified AES keys, the four files, write the signed identity (filled back into
 * @p is->identity), set the balance, and check it all by reading it back.  The card's PICC
 * master key must be the factory DES zero key (it becomes the caisse's diversified AES key) or
 * already the caisse's: anything else is SSA_ERR_CARD_AUTH and the card is left as it was. */
enum ssa_err nfc_desfire_issue(struct ssa_card_reader *reader, struct nfc_desfire_issue *is);

#endif
