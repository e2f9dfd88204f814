/* test_spool_contract.c — the spool's status file is written by ssa-syncd
 * (syncd_status_format, sync/client_spool.c) and read by ssa-pos (spool_status_parse,
 * pos/spool.c): what one writes, the other reads back field for field, including awkward
 * messages (control bytes, UTF-8, longer than the till shows) and every number's edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../pos/spool.h"
#include "../../sync/client.h"

static void
roundtrip(const struct syncd_status *w, struct spool_status *r)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(syncd_status_format(w, &text, &len), SSA_ERR_OK);
	assert_int_equal(spool_status_parse(text, len, r), SSA_ERR_OK);
	assert_int_equal(r->last_attempt, w->last_attempt);
	assert_int_equal(r->last_success, w->last_success);
	assert_int_equal(r->online, w->online != 0);
	assert_int_equal(r->acked, w->acked);
	assert_int_equal(r->list_version, w->list_version);
	assert_int_equal(r->hotlist_version, w->hotlist_version);
	assert_int_equal(r->rejections, w->rejections);
	assert_int_equal(r->n_rejection, w->n);
	for (size_t i = 0; i < w->n; i++)
		assert_int_equal(r->rejection[i].seq, w->rej[i].seq);
	free(text);
}

static void
test_numbers(void **state)
{
	struct syncd_status w = { 0 };
	struct spool_status r;

	(void)state;
	roundtrip(&w, &r); /* a till that never synced */
	w = (struct syncd_status){ .last_attempt = 1795000000, .last_success = 1794999000,
				   .online = 1, .acked = INT64_MAX, .list_version = UINT32_MAX,
				   .hotlist_version = 7, .rejections = 123456 };
	roundtrip(&w, &r);
}

static void
test_rejections(void **state)
{
	static const char *const msgs[] = {
		"record 12: the signature does not verify",
		"line one\nline two\tand a tab\x7f",
		"montant refusé : solde déjà dépensé à l'épicerie",
		"é",
		"",
	};
	struct syncd_status w = { .last_attempt = 1, .online = 0, .rejections = 40 };
	struct spool_status r;
	char longmsg[PROTOCOL_MESSAGE_MAX + 1];

	(void)state;
	for (size_t i = 0; i < SYNCD_STATUS_REJECTIONS_MAX; i++) {
		w.rej[i].seq = i == 3 ? 0 : 1000 - i; /* seq 0: a refused document */
		snprintf(w.rej[i].error, sizeof(w.rej[i].error), "%s",
			 i % 2 ? "JOURNAL_CHAIN" : "card anomaly");
		snprintf(w.rej[i].message, sizeof(w.rej[i].message), "%s", msgs[i % 5]);
	}
	/* a message longer than the till shows, cut in the middle of a character */
	memset(longmsg, 'a', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	memcpy(longmsg + SPOOL_MESSAGE_MAX - 1, "é", 2);
	snprintf(w.rej[6].message, sizeof(w.rej[6].message), "%s", longmsg);
	w.n = SYNCD_STATUS_REJECTIONS_MAX;
	roundtrip(&w, &r);
	assert_string_equal(r.rejection[0].error, "card_anomaly"); /* a word: blanks made '_' */
	assert_string_equal(r.rejection[1].error, "JOURNAL_CHAIN");
	assert_string_equal(r.rejection[0].msg, msgs[0]);
	assert_string_equal(r.rejection[1].msg, "line one line two and a tab ");
	assert_string_equal(r.rejection[2].msg, msgs[2]);
	assert_string_equal(r.rejection[3].msg, "é");
	assert_int_equal(r.rejection[3].seq, 0);
	assert_string_equal(r.rejection[4].msg, "");
	assert_int_equal(strlen(r.rejection[6].msg), SPOOL_MESSAGE_MAX - 1); /* whole characters */
}

static void
test_anomalies(void **state)
{
	struct syncd_status w = { .last_attempt = 1, .online = 1, .anomalies = 33 };
	struct spool_status r;
	char *text = NULL;
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < SYNCD_STATUS_ANOMALIES_MAX; i++) {
		struct protocol_anomaly *a = &w.anom[i];

		snprintf(a->card, sizeof(a->card), "demo-card-%zu", i);
		snprintf(a->terminal, sizeof(a->terminal), "T-%02zu", i % 3);
		a->seq = i + 1;
		snprintf(a->kind, sizeof(a->kind), "%s", i % 2 ? "EXCESS" : "DOUBLE_SPEND");
		a->ledger_balance = i == 5 ? -150 : 99700;
		a->record_balance = 100000;
		a->time_ms = 1795500000999 + (int64_t)i * 1000;
	}
	w.n_anomalies = SYNCD_STATUS_ANOMALIES_MAX;
	w.rejections = 1;
	w.n = 1;
	w.rej[0].seq = 4;
	snprintf(w.rej[0].error, sizeof(w.rej[0].error), "JOURNAL_CHAIN");
	roundtrip(&w, &r);
	assert_int_equal(r.anomalies, 33);
	assert_int_equal(r.n_anomaly, SPOOL_ANOMALIES_MAX);
	for (size_t i = 0; i < SYNCD_STATUS_ANOMALIES_MAX; i++) {
		assert_string_equal(r.anomaly[i].card, w.anom[i].card);
		assert_string_equal(r.anomaly[i].terminal, w.anom[i].terminal);
		assert_int_equal(r.anomaly[i].seq, w.anom[i].seq);
		assert_string_equal(r.anomaly[i].kind, w.anom[i].kind);
		assert_int_equal(r.anomaly[i].ledger_balance, w.anom[i].ledger_balance);
		assert_int_equal(r.anomaly[i].record_balance, 100000);
		assert_int_equal(r.anomaly[i].time, w.anom[i].time_ms / 1000);
	}
	/* after the rejection lines, which a till without anomalies reads as before (it skips
	 * keys it does not know) */
	assert_int_equal(syncd_status_format(&w, &text, &len), SSA_ERR_OK);
	assert_non_null(strstr(text, "\nanomalies=33\nanomaly=demo-card-0 T-00 1 DOUBLE_SPEND 99700 100000 1795500000\n"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_anomalies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
