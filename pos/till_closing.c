/* till_closing.c — X report, daily Z, monthly and annual closings at the till (ssa/closing.h
 * computes the figures; this file decides when a closing may be made and records it). */
#include <stdio.h>
#include <string.h>

#include "ssa/closing.h"

#include "i18n.h"
#include "till.h"

int32_t
till_closing_period(enum journal_kind kind, int32_t today)
{
	switch (kind) {
	case JOURNAL_CLOSING_Z:
		return today;
	case JOURNAL_CLOSING_MONTH:
		return today / 100;
	case JOURNAL_CLOSING_YEAR:
		return today / 10000;
	default:
		return -1;
	}
}

/* Records of the day not yet in a Z: a monthly or annual closing sums the Zs, so these would
 * silently fall into the next period.  @p *n gets their count. */
static enum ssa_err
unclosed_records(struct till *t, int32_t period, uint64_t *n)
{
	struct journal_record z;
	enum ssa_err err;

	journal_record_init(&z, JOURNAL_CLOSING_Z);
	err = closing_compute(t->journal, JOURNAL_CLOSING_Z, period, &z);
	*n = z.closing.records;
	journal_record_fini(&z);
	return err;
}

enum ssa_err
till_closing(struct till *t, enum journal_kind kind, int32_t period, int64_t now_ms, bool record,
	     struct journal_record *r)
{
	uint64_t open_records = 0;
	enum ssa_err err;

	journal_record_init(r, kind);
	if (!journal_kind_is_closing(kind) || period < 0)
		return SSA_ERR_INVAL;
	if (!t->journal || (record && !t->signer)) {
		till_message(t, TILL_MSG_ERROR, "%s", _("No journal: a sale cannot be recorded here."));
		return SSA_ERR_INVAL;
	}
	if (t->state == TILL_PAYING || (t->basket.n > 0 && t->state == TILL_SELLING) ||
	    t->pending_id) {
		till_message(t, TILL_MSG_WARN, "%s", _("Finish or cancel the sale first."));
		return SSA_ERR_INVAL;
	}
	if (kind != JOURNAL_CLOSING_Z) {
		if ((err = unclosed_records(t, period, &open_records)) != SSA_ERR_OK) {
			till_message(t, TILL_MSG_ERROR, _("The closing cannot be computed: %s."),
				     _(ssa_strerror(err)));
			return err;
		}
		if (open_records > 0) {
			till_message(t, TILL_MSG_WARN,
				     _("%llu record(s) since the last Z: close the day (Z) first."),
				     (unsigned long long)open_records);
			return SSA_ERR_INVAL;
		}
	}
	snprintf(r->establishment, sizeof(r->establishment), "%s", t->establishment);
	snprintf(r->terminal, sizeof(r->terminal), "%s", t->terminal);
	snprintf(r->software, sizeof(r->software), "ssa-pos %s", SSA_VERSION);
	snprintf(r->operator_id, sizeof(r->operator_id), "%s", t->operator_id);
	r->time_ms = now_ms;
	if (!record) {
		if ((err = closing_compute(t->journal, kind, period, r)) != SSA_ERR_OK)
			till_message(t, TILL_MSG_ERROR, _("The closing cannot be computed: %s."),
				     _(ssa_strerror(err)));
		return err;
	}
	/* Computed and appended atomically: a record that another process (ssa-admin) appends
	 * meanwhile falls into exactly one closing. */
	if ((err = closing_append(t->journal, kind, period, r, t->signer, NULL, NULL)) !=
	    SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("The closing could not be recorded: %s."),
			     _(ssa_strerror(err)));
		return err;
	}
	t->status.records_waiting++;
	if (kind == JOURNAL_CLOSING_Z)
		till_message(t, TILL_MSG_INFO, _("Closing %llu recorded (record %llu)."),
			     (unsigned long long)r->closing.number, (unsigned long long)r->seq);
	else
		till_message(t, TILL_MSG_INFO,
			     kind == JOURNAL_CLOSING_MONTH
				 ? _("Monthly closing %llu recorded (record %llu).")
				 : _("Annual closing %llu recorded (record %llu)."),
			     (unsigned long long)r->closing.number, (unsigned long long)r->seq);
	return SSA_ERR_OK;
}
