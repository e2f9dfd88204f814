/* till_refund.c — refund of lines of an earlier sale (see till_card.h).  No curses here.
 *
 * The SSA part goes back to the sale's card by DESFire's limited credit: the card allows it only
 * up to what its last debit transaction took, once (docs/card.md).  So the card must still have
 * the sale as its newest debit record, and a sale's SSA part goes back in one refund: both are
 * checked before the card is touched, with a sentence for the person at the till.  The rest goes
 * back by the sale's other tenders, in the sale's order, each up to what it paid less what
 * earlier refunds of the sale gave back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssa/log.h"
#include "ssa/strbuf.h"

#include "i18n.h"
#include "till_card.h"

/* Version 2 names the card's caisse; version 1 (before) did not: its card is read as of the
 * till's main caisse.  REFUND_KIND tells a refund's intent of either version. */
#define REFUND_KIND "ssa-refund,"
#define REFUND_TAG "ssa-refund,2,"
#define REFUND_TAG_V1 "ssa-refund,1,"

/* --- the sale and its earlier refunds ------------------------------------------------------- */

struct scan_ctx {
	struct till_refund *rf;
	enum ssa_err err;
};

/* The sale line an earlier refund line @p l took from: the first line of the same code, price
 * and weight with something left (the till writes refund lines in the sale's order). */
static struct till_refund_line *
match_line(struct till_refund *rf, const struct journal_line *l)
{
	for (size_t i = 0; i < rf->n; i++) {
		struct till_refund_line *s = &rf->lines[i];
		if (strcmp(s->line.code, l->code) == 0 && s->line.unit_price == l->unit_price &&
		    s->line.grams == l->grams && s->refunded_qty < s->line.qty)
			return s;
	}
	return NULL;
}

static enum ssa_err
scan_refunds(void *arg, uint64_t seq, const void *buf, size_t len)
{
	struct scan_ctx *c = arg;
	struct till_refund *rf = c->rf;
	struct journal_record r;
	enum ssa_err err;

	(void)seq;
	if ((err = journal_record_decode(buf, len, &r, NULL)) != SSA_ERR_OK)
		return err;
	if (r.kind == JOURNAL_REFUND && r.link_seq == rf->sale_seq) {
		for (size_t i = 0; i < r.n_lines; i++) {
			struct till_refund_line *s = match_line(rf, &r.lines[i]);
			if (s == NULL) {
				log_warn("refund %llu: a line matches no line of sale %llu",
					 (unsigned long long)r.seq, (unsigned long long)rf->sale_seq);
				continue;
			}
			s->refunded_qty += r.lines[i].qty;
			s->refunded_amount += r.lines[i].amount;
			s->refunded_covered += r.lines[i].covered;
			s->refunded_ssa += r.lines[i].paid_ssa;
		}
		for (size_t i = 0; i < r.n_tenders; i++)
			rf->tender_refunded[r.tenders[i].kind] += r.tenders[i].amount;
		rf->ssa_refunded += r.ssa_covered;
		rf->refunds++;
	}
	journal_record_fini(&r);
	return SSA_ERR_OK;
}

void
till_refund_fini(struct till_refund *rf)
{
	journal_record_fini(&rf->sale);
	journal_record_fini(&rf->done);
	free(rf->lines);
	memset(rf, 0, sizeof(*rf));
}

enum ssa_err
till_refund_open(struct till *t, uint64_t seq, struct till_refund *rf)
{
	struct scan_ctx c = { .rf = rf, .err = SSA_ERR_OK };
	char *buf = NULL;
	size_t len = 0;
	enum ssa_err err;

	memset(rf, 0, sizeof(*rf));
	journal_record_init(&rf->sale, JOURNAL_SALE);
	if (!t->journal) {
		till_message(t, TILL_MSG_ERROR, "%s", _("No journal: a sale cannot be recorded here."));
		return SSA_ERR_INVAL;
	}
	err = journal_store_get(t->journal, seq, &buf, &len);
	if (err == SSA_ERR_OK) {
		journal_record_fini(&rf->sale);
		err = journal_record_decode(buf, len, &rf->sale, NULL);
	}
	free(buf);
	if (err == SSA_ERR_OK && rf->sale.kind != JOURNAL_SALE)
		err = SSA_ERR_NOT_FOUND;
	if (err != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("There is no sale number %llu in this till."),
			     (unsigned long long)seq);
		till_refund_fini(rf);
		return SSA_ERR_NOT_FOUND;
	}
	rf->sale_seq = seq;
	if ((rf->lines = calloc(rf->sale.n_lines ? rf->sale.n_lines : 1, sizeof(*rf->lines))) ==
	    NULL) {
		till_refund_fini(rf);
		return SSA_ERR_NOMEM;
	}
	rf->n = rf->sale.n_lines;
	for (size_t i = 0; i < rf->n; i++)
		rf->lines[i].line = rf->sale.lines[i];
	if ((err = journal_store_scan(t->journal, seq + 1, scan_refunds, &c)) != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("The journal cannot be read: %s."),
			     _(ssa_strerror(err)));
		till_refund_fini(rf);
		return err;
	}
	till_message(t, TILL_MSG_INFO,
		     _("Sale %llu: choose the lines to refund (Up/Down, quantity then Enter), F3 "
		       "refunds."),
		     (unsigned long long)seq);
	return SSA_ERR_OK;
}

/* What is left to refund of line @p s, in pieces (a weighed line: 1, all or nothing). */
static int64_t
left_qty(const struct till_refund_line *s)
{
	return s->line.qty - s->refunded_qty;
}

/* The part of line @p s for @p q more pieces: the rest of the line when they are the last ones
 * (so that rounding never leaves a cent behind nor takes one twice), else pro rata, rounded
 * down. */
static void
line_part(const struct till_refund_line *s, int64_t q, struct journal_line *out)
{
	const struct journal_line *l = &s->line;

	*out = *l;
	out->qty = q;
	if (s->refunded_qty + q == l->qty) {
		out->amount = l->amount - s->refunded_amount;
		out->covered = l->covered - s->refunded_covered;
		out->paid_ssa = l->paid_ssa - s->refunded_ssa;
	} else {
		out->amount = l->amount * q / l->qty;
		out->covered = l->covered * q / l->qty;
		out->paid_ssa = l->paid_ssa * q / l->qty;
	}
}

static void
refund_totals(struct till_refund *rf)
{
	struct journal_line p;

	rf->total = 0;
	rf->ssa = 0;
	for (size_t i = 0; i < rf->n; i++) {
		if (rf->lines[i].qty == 0)
			continue;
		line_part(&rf->lines[i], rf->lines[i].qty, &p);
		rf->total += p.amount;
		rf->ssa += p.paid_ssa;
	}
}

enum ssa_err
till_refund_set_qty(struct till *t, struct till_refund *rf, size_t i, int64_t qty)
{
	int64_t left;

	if (i >= rf->n || qty < 0)
		return SSA_ERR_INVAL;
	left = left_qty(&rf->lines[i]);
	if (qty > left) {
		if (left == 0)
			till_message(t, TILL_MSG_ERROR, "%s",
				     _("This line was refunded already."));
		else
			till_message(t, TILL_MSG_ERROR, _("At most %lld of this line can be refunded."),
				     (long long)left);
		return SSA_ERR_INVAL;
	}
	rf->lines[i].qty = qty;
	refund_totals(rf);
	return SSA_ERR_OK;
}

/* The REFUND record of the chosen lines, without the card's balances. */
static enum ssa_err
refund_record(const struct till *t, const struct till_refund *rf, int64_t now_ms,
	      struct journal_record *r)
{
	int64_t rest = rf->total - rf->ssa;
	struct vat_summary vat;
	enum ssa_err err;

	journal_record_init(r, JOURNAL_REFUND);
	snprintf(r->establishment, sizeof(r->establishment), "%s", t->establishment);
	snprintf(r->terminal, sizeof(r->terminal), "%s", t->terminal);
	snprintf(r->software, sizeof(r->software), "ssa-pos %s", SSA_VERSION);
	snprintf(r->operator_id, sizeof(r->operator_id), "%s", t->operator_id);
	snprintf(r->card, sizeof(r->card), "%s", rf->ssa > 0 ? rf->sale.card : "");
	r->time_ms = now_ms;
	r->link_seq = rf->sale_seq;
	vat_summary_init(&vat);
	for (size_t i = 0; i < rf->n; i++) {
		struct journal_line p;
		if (rf->lines[i].qty == 0)
			continue;
		line_part(&rf->lines[i], rf->lines[i].qty, &p);
		if ((err = journal_record_add_line(r, &p)) != SSA_ERR_OK ||
		    (err = vat_summary_add(&vat, p.vat_bp, p.amount)) != SSA_ERR_OK)
			return err;
	}
	if ((err = vat_summary_finish(&vat)) != SSA_ERR_OK)
		return err;
	r->vat = vat;
	if (rf->ssa > 0) {
		struct journal_tender jt = { .kind = TENDER_SSA, .amount = rf->ssa, .given = rf->ssa };
		if ((err = journal_record_add_tender(r, &jt)) != SSA_ERR_OK)
			return err;
	}
	/* The rest by the sale's other tenders, in its order, each kind up to what it paid less
	 * what earlier refunds gave back. */
	for (size_t i = 0; i < rf->sale.n_tenders && rest > 0; i++) {
		enum tender_kind kind = rf->sale.tenders[i].kind;
		int64_t paid = 0, take;
		size_t k;

		for (k = 0; k < r->n_tenders && r->tenders[k].kind != kind; k++)
			;
		if (kind == TENDER_SSA || k < r->n_tenders)
			continue; /* this kind was taken care of at its first tender */
		for (size_t j = i; j < rf->sale.n_tenders; j++)
			if (rf->sale.tenders[j].kind == kind)
				paid += rf->sale.tenders[j].amount;
		paid -= rf->tender_refunded[kind];
		if (paid <= 0)
			continue;
		take = rest < paid ? rest : paid;
		struct journal_tender jt = { .kind = kind, .amount = take, .given = take };
		if ((err = journal_record_add_tender(r, &jt)) != SSA_ERR_OK)
			return err;
		rest -= take;
	}
	if (rest != 0)
		return SSA_ERR_INVAL; /* more than the sale's tenders paid: cannot happen */
	r->total = rf->total;
	r->ssa_covered = rf->ssa;
	return SSA_ERR_OK;
}

/* --- recording ------------------------------------------------------------------------------ */

struct refund_intent {
	uint64_t serial;
	int64_t before; /* the card's balance before the limited credit */
	int64_t amount;
	char caisse[CARD_CAISSE_MAX + 1]; /* the card's */
};

static enum ssa_err
refund_encode(const struct refund_intent *in, const struct journal_record *r, char **out,
	      size_t *len)
{
	char head[128], *rec = NULL;
	size_t rlen = 0, hlen;
	enum ssa_err err;

	if ((err = journal_record_encode(r, &rec, &rlen)) != SSA_ERR_OK)
		return err;
	hlen = (size_t)snprintf(head, sizeof(head), REFUND_TAG "%016llx,%lld,%lld,%s\n",
				(unsigned long long)in->serial, (long long)in->before,
				(long long)in->amount, in->caisse);
	if ((*out = malloc(hlen + rlen + 1)) == NULL) {
		free(rec);
		return SSA_ERR_NOMEM;
	}
	memcpy(*out, head, hlen);
	memcpy(*out + hlen, rec, rlen + 1);
	*len = hlen + rlen;
	free(rec);
	return SSA_ERR_OK;
}

bool
till_refund_is_intent(const void *blob, size_t len)
{
	return len >= sizeof(REFUND_KIND) - 1 &&
	       memcmp(blob, REFUND_KIND, sizeof(REFUND_KIND) - 1) == 0;
}

/* The intent in @p buf (NUL after @p len bytes); one of version 1 is of a card of
 * @p main_caisse. */
static enum ssa_err
refund_decode(const char *buf, size_t len, const char *main_caisse, struct refund_intent *in,
	      struct journal_record *r)
{
	const char *nl = memchr(buf, '\n', len), *c;
	unsigned long long serial;
	long long before, amount;
	const char *why;
	int end = -1;

	journal_record_init(r, JOURNAL_REFUND);
	memset(in, 0, sizeof(*in));
	if (!nl || len < sizeof(REFUND_TAG))
		return SSA_ERR_JOURNAL_FORMAT;
	if (memcmp(buf, REFUND_TAG, sizeof(REFUND_TAG) - 1) == 0) {
		if (sscanf(buf + sizeof(REFUND_TAG) - 1, "%16llx,%lld,%lld,%n", &serial, &before,
			   &amount, &end) != 3 ||
		    end < 0 || (c = buf + sizeof(REFUND_TAG) - 1 + end) > nl ||
		    (size_t)(nl - c) >= sizeof(in->caisse) ||
		    strspn(c, CARD_CAISSE_CHARS) < (size_t)(nl - c))
			return SSA_ERR_JOURNAL_FORMAT;
		memcpy(in->caisse, c, (size_t)(nl - c));
	} else if (memcmp(buf, REFUND_TAG_V1, sizeof(REFUND_TAG_V1) - 1) == 0 &&
		   sscanf(buf + sizeof(REFUND_TAG_V1) - 1, "%16llx,%lld,%lld", &serial, &before,
			  &amount) == 3) {
		snprintf(in->caisse, sizeof(in->caisse), "%.*s", (int)CARD_CAISSE_MAX, main_caisse);
	} else {
		return SSA_ERR_JOURNAL_FORMAT;
	}
	in->serial = serial;
	in->before = before;
	in->amount = amount;
	return journal_record_decode(nl + 1, len - (size_t)(nl + 1 - buf), r, &why);
}

/* Append REFUND @p r, removing intent @p pid (0: none). */
static enum ssa_err
append_refund(struct till *t, struct journal_record *r, uint64_t pid)
{
	uint64_t seq = 0;
	enum ssa_err err = journal_store_append(t->journal, r, t->signer, pid, &seq, NULL);
	char m[48];

	if (err != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("The refund could not be recorded: %s."),
			     _(ssa_strerror(err)));
		return err;
	}
	t->pending_id = 0;
	t->last_refund_seq = seq;
	t->status.records_waiting++;
	money_format(r->total, t->money_locale, m, sizeof(m));
	till_message(t, TILL_MSG_INFO, _("Refund %llu of sale %llu recorded: %s."),
		     (unsigned long long)seq, (unsigned long long)r->link_seq, m);
	return SSA_ERR_OK;
}

enum ssa_err
till_refund_settle(struct till *t, const struct card_identity *id, uint64_t pid, const void *blob,
		   size_t len)
{
	struct card_debit_record recs[CARD_DEBIT_RECORDS];
	struct refund_intent in;
	struct journal_record r;
	int64_t bal = 0;
	size_t n = 0;
	bool sale_newest;
	enum ssa_err err;

	if ((err = refund_decode(blob, len, t->n_caisses ? t->caisses[0].id : t->preview_caisse,
				 &in, &r)) != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("The interrupted refund cannot be read: %s."),
			     _(ssa_strerror(err)));
		goto out;
	}
	/* A card is its caisse and serial (a till of one caisse reads every card with its one
	 * key, whatever caisse it names). */
	if (id->serial != in.serial || (t->n_caisses && strcmp(id->caisse, in.caisse) != 0)) {
		till_message(t, TILL_MSG_WARN,
			     _("This is not the card of the interrupted refund (card %016llx)."),
			     (unsigned long long)in.serial);
		err = SSA_ERR_CARD_ABSENT;
		goto out;
	}
	if ((err = t->reader->read_debits(t->reader->cls, recs, CARD_DEBIT_RECORDS, &n)) !=
		    SSA_ERR_OK ||
	    (err = t->reader->read_balance(t->reader->cls, &bal)) != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("Card: %s."), _(ssa_strerror(err)));
		goto out;
	}
	t->pending_id = pid;
	/* The balance tells only while the sale is still the card's newest debit, with the
	 * balance the refund started from: a card that paid since (elsewhere) could be back at
	 * either balance by chance. */
	sale_newest = n > 0 && recs[0].terminal_id == t->card_terminal &&
		      recs[0].seq == (uint32_t)r.link_seq && recs[0].balance_after == in.before;
	if (!sale_newest) {
		err = SSA_ERR_CARD_ABSENT;
		till_message(t, TILL_MSG_ERROR, "%s",
			     _("The card cannot tell whether the refund reached it: it stays pending "
			       "for the caisse."));
		log_warn("refund intent of sale %llu kept: the card paid since (balance %lld, %lld "
			 "before the refund)",
			 (unsigned long long)r.link_seq, (long long)bal, (long long)in.before);
	} else if (bal == in.before + in.amount) {
		/* The card took the credit: record it, once. */
		err = append_refund(t, &r, pid);
	} else if (bal == in.before) {
		if ((err = journal_store_drop_pending(t->journal, pid)) == SSA_ERR_OK) {
			t->pending_id = 0;
			till_message(t, TILL_MSG_INFO, "%s",
				     _("The interrupted refund did not reach the card: nothing was "
				       "recorded."));
		}
	} else {
		/* The card was used elsewhere meanwhile: its balance cannot tell. */
		err = SSA_ERR_CARD_ABSENT;
		till_message(t, TILL_MSG_ERROR, "%s",
			     _("The card cannot tell whether the refund reached it: it stays pending "
			       "for the caisse."));
	}
out:
	journal_record_fini(&r);
	return err;
}

/* YYYYMM of @p time_ms in local time (the till's months are the outlet's, as t->today). */
static int32_t
month_of_ms(int64_t time_ms)
{
	time_t s = (time_t)(time_ms / 1000);
	struct tm tm;

	if (!localtime_r(&s, &tm))
		return 0;
	return (int32_t)((tm.tm_year + 1900) * 100 + tm.tm_mon + 1);
}

/* "11/2026" for the messages. */
static void
month_name(int32_t period, char *out, size_t size)
{
	snprintf(out, size, "%02d/%04d", (int)(period % 100), (int)(period / 100));
}

/* Check that the card on the reader can take the SSA part back: the sale's card, with the sale
 * as its newest debit, and no reload since (docs/card.md, "Refunds after a reload"); its
 * balance in @p *before. */
static enum ssa_err
card_takes_refund(struct till *t, const struct till_refund *rf, const struct card_identity *id,
		  int64_t *before)
{
	struct card_debit_record recs[CARD_DEBIT_RECORDS];
	struct card_period_state st = { 0 };
	char card_id[24], sold[32], now[32], m[48];
	int32_t sale_month = month_of_ms(rf->sale.time_ms);
	size_t n = 0;
	bool reloaded = false;
	enum ssa_err err;

	card_id_format(id->member_id, card_id, sizeof(card_id));
	if (strcmp(card_id, rf->sale.card) != 0) {
		till_message(t, TILL_MSG_ERROR, _("This is not the card that paid sale %llu."),
			     (unsigned long long)rf->sale_seq);
		return SSA_ERR_CARD_REFUSED;
	}
	if ((err = t->reader->read_debits(t->reader->cls, recs, CARD_DEBIT_RECORDS, &n)) !=
	    SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("Card: %s."), _(ssa_strerror(err)));
		return err;
	}
	if (n == 0 || recs[0].terminal_id != t->card_terminal ||
	    recs[0].seq != (uint32_t)rf->sale_seq || recs[0].amount < rf->ssa) {
		till_message(t, TILL_MSG_ERROR,
			     _("The card has paid since sale %llu: its SSA part can only go back "
			       "to the card before its next payment."),
			     (unsigned long long)rf->sale_seq);
		return SSA_ERR_CARD_REFUSED;
	}
	if ((err = t->reader->read_balance(t->reader->cls, before)) != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("Card: %s."), _(ssa_strerror(err)));
		return err;
	}
	/* A reload since the sale settled the month the sale was paid from: the old balance
	 * expired, or rolled over up to the cap, by the caisse's policy.  Crediting the sale's
	 * SSA part now would give an expired allocation back (and the card would either take it,
	 * DESFire counting from the sale's debit, or refuse it, counting from the reload's).  The
	 * sale is the card's newest debit, so anything else that moved its balance is a reload;
	 * the period state also catches a reload that left the balance as it was.  Reading it
	 * needs the credit or read key and costs APDUs: only for a sale of an earlier month. */
	if (*before != recs[0].balance_after)
		reloaded = true;
	if (!reloaded && sale_month != 0 && sale_month < t->today / 100 && t->reader->read_period &&
	    t->reader->read_period(t->reader->cls, &st) == SSA_ERR_OK &&
	    st.period > (uint32_t)sale_month)
		reloaded = true;
	if (!reloaded)
		return SSA_ERR_OK;
	money_format(rf->ssa, t->money_locale, m, sizeof(m));
	month_name(sale_month, sold, sizeof(sold));
	if (st.period == 0 && t->reader->read_period)
		t->reader->read_period(t->reader->cls, &st);
	if (st.period > (uint32_t)sale_month) {
		month_name((int32_t)st.period, now, sizeof(now));
		till_message(t, TILL_MSG_ERROR,
			     _("Sale %llu was paid from the allocation of %s, expired by the card's "
			       "reload for %s: its SSA part (%s) cannot go back to the card; the "
			       "caisse decides."),
			     (unsigned long long)rf->sale_seq, sold, now, m);
	} else {
		till_message(t, TILL_MSG_ERROR,
			     _("The card was reloaded since sale %llu: its SSA part (%s) cannot go "
			       "back to the card; the caisse decides."),
			     (unsigned long long)rf->sale_seq, m);
	}
	log_info("refund of sale %llu: SSA part %lld refused, the card was reloaded since "
		 "(balance %lld, %lld after the sale; period %06u, sale of %06d)",
		 (unsigned long long)rf->sale_seq, (long long)rf->ssa, (long long)*before,
		 (long long)recs[0].balance_after, (unsigned)st.period, (int)sale_month);
	return SSA_ERR_CARD_REFUSED;
}

enum ssa_err
till_refund_commit(struct till *t, struct till_refund *rf, int timeout_ms, int64_t now_ms)
{
	struct journal_record r;
	struct card_identity id;
	struct refund_intent in;
	uint8_t uid[CARD_UID_MAX], hash[JOURNAL_HASH_LEN];
	size_t uid_len = 0, len = 0;
	uint64_t last = 0, pid = 0;
	int64_t before = 0, after = 0;
	char *blob = NULL;
	enum ssa_err err;

	journal_record_init(&r, JOURNAL_REFUND);
	if (rf->sale_seq == 0 || rf->total <= 0) {
		till_message(t, TILL_MSG_WARN, "%s", _("Choose at least one line to refund."));
		return SSA_ERR_INVAL;
	}
	if (!t->journal || !t->signer || t->pending_id) {
		till_message(t, TILL_MSG_ERROR, "%s",
			     t->pending_id ? _("A card operation is pending: put that card back on "
					       "the reader first.")
					   : _("No journal: a sale cannot be recorded here."));
		return SSA_ERR_INVAL;
	}
	if (rf->ssa > 0 && rf->ssa_refunded > 0) {
		till_message(t, TILL_MSG_ERROR,
			     _("The SSA part of sale %llu went back to the card already: a card "
			       "takes a sale's SSA part back once."),
			     (unsigned long long)rf->sale_seq);
		return SSA_ERR_CARD_REFUSED;
	}
	if ((err = refund_record(t, rf, now_ms, &r)) != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("The refund could not be recorded: %s."),
			     _(ssa_strerror(err)));
		goto out;
	}
	if (rf->ssa == 0) {
		err = append_refund(t, &r, 0);
		goto done;
	}
	/* The SSA part: the sale's card on the reader. */
	if (!t->reader) {
		till_message(t, TILL_MSG_ERROR, "%s", _("No card reader."));
		err = SSA_ERR_READER;
		goto out;
	}
	err = t->reader->wait_card(t->reader->cls, timeout_ms, uid, &uid_len);
	if (err == SSA_ERR_CARD_ABSENT)
		goto out;
	if (err == SSA_ERR_OK)
		err = t->reader->read_identity(t->reader->cls, &id);
	if (err != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("Card refused: %s."), _(ssa_strerror(err)));
		goto release;
	}
	if ((err = till_card_check(t, &id, uid, uid_len)) != SSA_ERR_OK ||
	    (err = card_takes_refund(t, rf, &id, &before)) != SSA_ERR_OK)
		goto release;
	r.balance_before = before;
	r.balance_after = before + rf->ssa;
	/* Order matters: the intent is pending before the card is touched; a tear is settled at
	 * the card's next tap from its balance. */
	in = (struct refund_intent){ id.serial, before, rf->ssa, "" };
	memcpy(in.caisse, id.caisse, sizeof(in.caisse));
	if ((err = journal_store_last(t->journal, &last, hash)) != SSA_ERR_OK)
		goto journal_error;
	r.seq = last + 1;
	if ((err = refund_encode(&in, &r, &blob, &len)) != SSA_ERR_OK ||
	    (err = journal_store_put_pending(t->journal, blob, len, &pid)) != SSA_ERR_OK)
		goto journal_error;
	t->pending_id = pid;
	err = t->reader->refund(t->reader->cls, rf->ssa, &after);
	if (err == SSA_ERR_OK) {
		err = append_refund(t, &r, pid);
	} else if (err == SSA_ERR_CARD_TORN) {
		till_message(t, TILL_MSG_ERROR, "%s",
			     _("Refund interrupted: put the card back on the reader."));
	} else {
		/* The card refused before changing anything (DESFire's limited credit rules). */
		if (journal_store_drop_pending(t->journal, pid) == SSA_ERR_OK)
			t->pending_id = 0;
		till_message(t, TILL_MSG_ERROR, _("The card did not take the refund: %s."),
			     _(ssa_strerror(err)));
	}
	goto release;
journal_error:
	till_message(t, TILL_MSG_ERROR, _("The refund could not be recorded: %s."),
		     _(ssa_strerror(err)));
release:
	t->reader->release(t->reader->cls);
done:
	if (err == SSA_ERR_OK) {
		journal_record_fini(&rf->done);
		rf->done = r;
		rf->done.seq = t->last_refund_seq;
		memset(&r, 0, sizeof(r));
		journal_record_init(&r, JOURNAL_REFUND);
	}
out:
	free(blob);
	journal_record_fini(&r);
	return err;
}

/* --- receipt -------------------------------------------------------------------------------- */

static void
lr(struct strbuf *b, int w, const char *left, const char *right)
{
	int n = (int)strlen(left), m = 0;

	for (const char *p = right; *p; p++)
		m += ((unsigned char)*p & 0xc0) != 0x80;
	for (const char *p = left; *p; p++)
		n -= ((unsigned char)*p & 0xc0) == 0x80;
	strbuf_printf(b, "%s%*s%s\n", left, w - n - m > 1 ? w - n - m : 1, "", right);
}

enum ssa_err
till_refund_receipt(const struct till *t, const struct journal_record *r, const char *shop,
		    const char *when, int width, char **out)
{
	struct strbuf b = { 0 };
	char m[48], left[160];
	size_t len;

	if (width < 32 || width > 64)
		width = 40;
	if (shop && shop[0])
		strbuf_printf(&b, "%s\n", shop);
	snprintf(left, sizeof(left), _("Refund %llu of sale %llu"), (unsigned long long)r->seq,
		 (unsigned long long)r->link_seq);
	lr(&b, width, left, when ? when : "");
	snprintf(left, sizeof(left), _("Till %s"), r->terminal);
	snprintf(m, sizeof(m), _("Operator %s"), r->operator_id);
	lr(&b, width, left, m);
	strbuf_printf(&b, "%.*s\n", width, "----------------------------------------------------------------");
	for (size_t i = 0; i < r->n_lines; i++) {
		const struct journal_line *l = &r->lines[i];
		money_format(-l->amount, t->money_locale, m, sizeof(m));
		if (l->grams > 0)
			snprintf(left, sizeof(left), "%s", l->name);
		else
			snprintf(left, sizeof(left), "%lld x %s", (long long)l->qty, l->name);
		lr(&b, width, left, m);
	}
	strbuf_printf(&b, "%.*s\n", width, "----------------------------------------------------------------");
	money_format(-r->total, t->money_locale, m, sizeof(m));
	lr(&b, width, _("TOTAL REFUNDED"), m);
	for (size_t i = 0; i < r->n_tenders; i++) {
		money_format(r->tenders[i].amount, t->money_locale, m, sizeof(m));
		snprintf(left, sizeof(left), _("Back by %s"), _(tender_label(r->tenders[i].kind)));
		lr(&b, width, left, m);
	}
	if (r->balance_after != JOURNAL_NONE) {
		money_format(r->balance_after, t->money_locale, m, sizeof(m));
		lr(&b, width, _("Card balance after"), m);
	}
	return strbuf_finish(&b, out, &len);
}
