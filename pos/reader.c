/* reader.c — the till's card reader, opened again after it went away (reader.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssa/log.h"

#include "i18n.h"
#include "reader.h"

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
close_inner(struct pos_reader *r)
{
	if (r->inner.cls && r->inner.close)
		r->inner.close(r->inner.cls);
	memset(&r->inner, 0, sizeof(r->inner));
}

/* The reader stopped answering: close it; it is opened again at a later card asked for. */
static void
lose(struct pos_reader *r)
{
	log_warn("card reader %s stopped answering: closed, opened again when it comes back",
	         r->connstring);
	close_inner(r);
	r->lost = true;
	r->next_try_ms = mono_ms() + POS_READER_RETRY_MS;
	if (r->till)
		till_message(
		    r->till, TILL_MSG_ERROR, "%s",
		    _("The card reader does not answer (unplugged?): tried again by itself."));
}

/* The reader is open, or was opened now; false (quickly) when it is still gone. */
static bool
ensure_open(struct pos_reader *r)
{
	int64_t now = mono_ms();

	if (r->inner.cls)
		return true;
	if (now < r->next_try_ms)
		return false;
	if (nfc_desfire_open(r->connstring, r->keys, &r->inner) != SSA_ERR_OK) {
		memset(&r->inner, 0, sizeof(r->inner));
		r->next_try_ms = now + POS_READER_RETRY_MS;
		return false;
	}
	if (r->lost) {
		r->reopened++;
		log_info("card reader %s opened again", r->connstring);
		if (r->till)
			till_message(
			    r->till, TILL_MSG_INFO, "%s",
			    _("The card reader is back: the food card can be used again."));
	}
	r->lost = false;
	return true;
}

/* After an operation of the open reader: a reader error closes it. */
static enum ssa_err
after(struct pos_reader *r, enum ssa_err err)
{
	if (err == SSA_ERR_READER)
		lose(r);
	return err;
}

static enum ssa_err
op_wait_card(void *cls, int timeout_ms, uint8_t uid[CARD_UID_MAX], size_t *uid_len)
{
	struct pos_reader *r = cls;
	enum ssa_err err;

	if (!ensure_open(r))
		return SSA_ERR_CARD_ABSENT; /* at once: the till goes on without the card */
	err = r->inner.wait_card(r->inner.cls, timeout_ms, uid, uid_len);
	if (err == SSA_ERR_READER) {
		lose(r);
		return SSA_ERR_CARD_ABSENT;
	}
	return err;
}

static enum ssa_err
op_read_identity(void *cls, struct card_identity *out)
{
	struct pos_reader *r = cls;

	if (!r->inner.cls)
		return SSA_ERR_READER;
	return after(r, r->inner.read_identity(r->inner.cls, out));
}

static enum ssa_err
op_read_balance(void *cls, int64_t *balance)
{
	struct pos_reader *r = cls;

	if (!r->inner.cls)
		return SSA_ERR_READER;
	return after(r, r->inner.read_balance(r->inner.cls, balance));
}

static enum ssa_err
op_read_debits(void *cls, struct card_debit_record *recs, size_t max, size_t *n)
{
	struct pos_reader *r = cls;

	if (!r->inner.cls)
		return SSA_ERR_READER;
	return after(r, r->inner.read_debits(r->inner.cls, recs, max, n));
}

static enum ssa_err
op_debit(void *cls, struct card_debit_record *rec)
{
	struct pos_reader *r = cls;

	if (!r->inner.cls)
		return SSA_ERR_READER;
	return after(r, r->inner.debit(r->inner.cls, rec));
}

static enum ssa_err
op_refund(void *cls, int64_t amount, int64_t *balance)
{
	struct pos_reader *r = cls;

	if (!r->inner.cls)
		return SSA_ERR_READER;
	return after(r, r->inner.refund(r->inner.cls, amount, balance));
}

static enum ssa_err
op_apply_grant(void *cls, const struct card_grant *grant, int64_t *balance)
{
	struct pos_reader *r = cls;

	if (!r->inner.cls)
		return SSA_ERR_READER;
	return after(r, r->inner.apply_grant(r->inner.cls, grant, balance));
}

static enum ssa_err
op_read_period(void *cls, struct card_period_state *out)
{
	struct pos_reader *r = cls;

	if (!r->inner.cls)
		return SSA_ERR_READER;
	return after(r, r->inner.read_period(r->inner.cls, out));
}

static enum ssa_err
op_use_keys(void *cls, const struct card_keys *keys)
{
	struct pos_reader *r = cls;

	if (!r->inner.cls)
		return SSA_ERR_READER;
	if (!r->inner.use_keys)
		return SSA_ERR_OK;
	return after(r, r->inner.use_keys(r->inner.cls, keys));
}

static void
op_release(void *cls)
{
	struct pos_reader *r = cls;

	if (r->inner.cls)
		r->inner.release(r->inner.cls);
}

static void
op_stats(void *cls, struct ssa_card_stats *out)
{
	struct pos_reader *r = cls;

	if (r->inner.cls && r->inner.stats)
		r->inner.stats(r->inner.cls, out);
	else
		memset(out, 0, sizeof(*out));
}

/* The port's close: the libnfc reader only (@p cls is embedded; pos_reader_fini frees). */
static void
op_close(void *cls)
{
	close_inner(cls);
}

enum ssa_err
pos_reader_init(struct pos_reader *r, const char *connstring, const struct card_keys *keys,
                struct till *t, struct ssa_card_reader *port, bool *opened)
{
	memset(r, 0, sizeof(*r));
	if ((r->connstring = strdup(connstring)) == NULL)
		return SSA_ERR_NOMEM;
	r->keys = keys;
	r->till = t;
	*opened = ensure_open(r);
	r->lost = !*opened; /* tried again at the next card asked for */
	*port = (struct ssa_card_reader){
	    .cls = r,
	    .wait_card = op_wait_card,
	    .read_identity = op_read_identity,
	    .read_balance = op_read_balance,
	    .read_debits = op_read_debits,
	    .debit = op_debit,
	    .refund = op_refund,
	    .apply_grant = op_apply_grant,
	    .read_period = op_read_period,
	    .use_keys = op_use_keys,
	    .release = op_release,
	    .stats = op_stats,
	    .close = op_close,
	};
	return SSA_ERR_OK;
}

void
pos_reader_fini(struct pos_reader *r)
{
	close_inner(r);
	free(r->connstring);
	r->connstring = NULL;
}

bool
pos_reader_lost(const struct pos_reader *r)
{
	return r && r->lost;
}
