/* test_till_vat.c — the VAT figures are the same everywhere (issue #2: "the same on screen,
 * receipt, journal and closings"): for mixed baskets with several rates, weighed and counted
 * lines, the receipt's VAT table (the text printed), the recorded sale's vat summary (the
 * journal), the X report the till shows and the Z it records agree to the cent, per rate; and
 * they are the documented method's figures (ssa/vat.h), computed here independently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/catalog.h"
#include "ssa/closing.h"
#include "ssa/convention.h"
#include "ssa/journal_store.h"
#include "ssa/money.h"
#include "ssa/vat.h"

#include "../../pos/receipt.h"
#include "../../pos/till.h"
#include "till_fixture.h"

static const uint8_t list_key[32] = { 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
				      8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8 };
static const uint8_t terminal_key[32] = { 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
					  6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6 };

#define LIST \
	"ssa-list,1\ncaisse,caisse-34\nversion,2\nvalid,2020-01-01,\n" \
	"category,legumineuses,100,,,,\ncategory,fromage,50,,,,\nexclude,alcool,,,,,\n"

struct fixture {
	struct ssa_catalog *cat;
	struct ssa_journal_store *journal;
	struct journal_signer *signer;
	struct till t;
};

static void
put(struct ssa_catalog *cat, const char *code, const char *name, int64_t price,
    enum catalog_unit unit, int64_t vat_bp, const char *category)
{
	struct catalog_product p = { .price = price, .unit = unit, .vat_bp = vat_bp };

	strcpy(p.code, code);
	strcpy(p.name, name);
	strcpy(p.category, category);
	assert_int_equal(catalog_mem_put(cat, &p), SSA_ERR_OK);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct convention_list *l = NULL;
	struct convention_error err;
	char *text = NULL;
	size_t len;

	assert_non_null(f);
	assert_int_equal(catalog_mem_new(&f->cat), SSA_ERR_OK);
	/* Prices whose VAT does not fall on whole cents, at four rates. */
	put(f->cat, "3560070894222", "Lentilles 500 g", 235, CATALOG_PIECE, 550, "legumineuses");
	put(f->cat, "2345678", "Comte", 2490, CATALOG_KG, 550, "fromage");
	put(f->cat, "3017620422003", "Pate a tartiner", 389, CATALOG_PIECE, 550, "sucre");
	put(f->cat, "3250390000457", "Plat cuisine", 749, CATALOG_PIECE, 1000, "traiteur");
	put(f->cat, "4011", "Salade composee", 1395, CATALOG_KG, 1000, "traiteur");
	put(f->cat, "3176582033303", "Vin rouge 75 cl", 590, CATALOG_PIECE, 2000, "alcool");
	put(f->cat, "3600523614622", "Savon", 333, CATALOG_PIECE, 2000, "hygiene");
	put(f->cat, "9771234567003", "Journal", 210, CATALOG_PIECE, 210, "presse");
	assert_int_equal(convention_sign(LIST, strlen(LIST), list_key, &text, &len), SSA_ERR_OK);
	assert_int_equal(convention_list_parse(text, len, &l, &err), SSA_ERR_OK);
	free(text);
	assert_int_equal(catalog_mem_set_list(f->cat, l), SSA_ERR_OK);
	assert_int_equal(journal_mem_new(&f->journal), SSA_ERR_OK);
	assert_int_equal(journal_signer_new(terminal_key, &f->signer), SSA_ERR_OK);
	tf_till(&f->t, 20261123, "9", f->journal, f->signer);
	till_set_catalog(&f->t, f->cat, "caisse-34");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	till_fini(&f->t);
	journal_signer_free(f->signer);
	journal_store_free(f->journal);
	catalog_close(f->cat);
	free(f);
	return 0;
}

/* The documented method, independently: VAT in a gross sum, half up to the cent. */
static int64_t
vat_of(int64_t gross, int64_t bp)
{
	return (gross * bp * 2 + (10000 + bp)) / (2 * (10000 + bp));
}

/* "12,34" or "12.34" (MONEY_FR / _EN plain amounts of the receipt) in cents. */
static int64_t
cents(const char *s)
{
	int64_t v = 0;

	assert_int_equal(money_parse(s, &v), SSA_ERR_OK);
	return v;
}

/* The VAT table of receipt @p text (rows after the "VAT excl. VAT incl." header, up to the
 * next rule) into @p s. */
static void
receipt_vat(const char *text, struct vat_summary *s)
{
	const char *p = strstr(text, "\nVAT ");

	vat_summary_init(s);
	assert_non_null(p);
	p = strchr(p + 1, '\n');
	assert_non_null(p);
	for (p++; *p != '\0' && *p != '-'; p = strchr(p, '\n') + 1) {
		char rate[16], pct[4], net[32], vat[32], gross[32];
		struct vat_total *v = &s->rates[s->n];

		assert_int_equal(sscanf(p, "%15s %3s %31s %31s %31s", rate, pct, net, vat, gross), 5);
		assert_string_equal(pct, "%");
		assert_int_equal(money_parse_rate(rate, &v->rate_bp), SSA_ERR_OK);
		v->net = cents(net);
		v->vat = cents(vat);
		v->gross = cents(gross);
		assert_true(s->n < VAT_MAX_RATES);
		s->n++;
	}
}

static void
assert_same_vat(const struct vat_summary *a, const struct vat_summary *b, const char *what)
{
	if (a->n != b->n)
		fail_msg("%s: %zu rates against %zu", what, a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct vat_total *x = &a->rates[i], *y = &b->rates[i];

		if (x->rate_bp != y->rate_bp || x->gross != y->gross || x->vat != y->vat ||
		    x->net != y->net)
			fail_msg("%s: rate %lld: %lld/%lld/%lld against %lld/%lld/%lld (gross/VAT/net)",
				 what, (long long)x->rate_bp, (long long)x->gross, (long long)x->vat,
				 (long long)x->net, (long long)y->gross, (long long)y->vat,
				 (long long)y->net);
	}
}

/* Sell @p entries (till entry lines) for cash; check receipt, journal record and the method;
 * add the sale's per-rate figures to @p day. */
static void
sell(struct fixture *f, const char *const *entries, int64_t now_ms, enum money_locale loc,
     struct vat_summary *day)
{
	struct receipt rc = { .time_text = "now", .loc = loc, .width = 48 };
	struct vat_summary printed, expected;
	struct journal_record r;
	char *text = NULL, *buf = NULL;
	size_t len = 0;
	uint64_t seq = 0;
	uint8_t hash[JOURNAL_HASH_LEN];

	for (size_t i = 0; entries[i] != NULL; i++) {
		strcpy(f->t.entry, entries[i]);
		assert_int_equal(till_enter(&f->t), SSA_ERR_OK);
	}
	/* what the method gives, from the basket's lines */
	vat_summary_init(&expected);
	for (size_t i = 0; i < f->t.basket.n; i++)
		assert_int_equal(vat_summary_add(&expected, f->t.basket.lines[i].product.vat_bp,
						 f->t.basket.lines[i].amount),
				 SSA_ERR_OK);
	for (size_t i = 0; i < expected.n; i++) {
		expected.rates[i].vat = vat_of(expected.rates[i].gross, expected.rates[i].rate_bp);
		expected.rates[i].net = expected.rates[i].gross - expected.rates[i].vat;
	}

	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	assert_int_equal(till_pay_tender(&f->t, TENDER_CASH, 0), SSA_ERR_OK);
	assert_int_equal(till_pay_commit(&f->t, now_ms, &rc), SSA_ERR_OK);

	/* the receipt as printed */
	assert_int_equal(receipt_format(&rc, &text, &len), SSA_ERR_OK);
	receipt_vat(text, &printed);
	assert_same_vat(&printed, &expected, "receipt against the method");
	/* the till keeps the same text for the screen's receipt */
	assert_non_null(f->t.receipt);
	assert_string_equal(f->t.receipt, text);

	/* the journal record, decoded from what the store holds */
	assert_int_equal(journal_store_last(f->journal, &seq, hash), SSA_ERR_OK);
	assert_int_equal(journal_store_get(f->journal, seq, &buf, &len), SSA_ERR_OK);
	assert_int_equal(journal_record_decode(buf, len, &r, NULL), SSA_ERR_OK);
	assert_int_equal(r.kind, JOURNAL_SALE);
	assert_same_vat(&r.vat, &printed, "journal record against the receipt");
	assert_int_equal(r.total, f->t.alloc.total);
	journal_record_fini(&r);
	assert_int_equal(vat_summary_merge(day, &printed), SSA_ERR_OK);
	free(buf);
	free(text);
	till_new_sale(&f->t);
}

static void
test_same_everywhere(void **state)
{
	static const char *const sale1[] = {
		"3*3560070894222", "0,350*2345678", "3017620422003", "3250390000457",
		"0,427*4011", "3176582033303", "2*3600523614622", "9771234567003", NULL,
	};
	static const char *const sale2[] = {
		"0,125*2345678", "3*3250390000457", "3600523614622", "7*3017620422003", NULL,
	};
	static const char *const sale3[] = { "3600523614622", "3176582033303", "0,999*4011", NULL };
	struct fixture *f = *state;
	struct vat_summary day;
	struct journal_record x, z;
	int64_t gross = 0;

	vat_summary_init(&day);
	sell(f, sale1, 1795000000000, MONEY_EN, &day);
	sell(f, sale2, 1795000060000, MONEY_FR, &day);
	sell(f, sale3, 1795000120000, MONEY_EN, &day);
	assert_int_equal(day.n, 4);

	/* the X report the screen shows, then the Z recorded: the receipts' figures summed */
	assert_int_equal(till_closing(&f->t, JOURNAL_CLOSING_Z, 20261123, 1795000180000, false, &x),
			 SSA_ERR_OK);
	assert_same_vat(&x.closing.vat, &day, "X report against the receipts");
	assert_int_equal(till_closing(&f->t, JOURNAL_CLOSING_Z, 20261123, 1795000190000, true, &z),
			 SSA_ERR_OK);
	assert_same_vat(&z.closing.vat, &day, "Z closing against the receipts");
	for (size_t i = 0; i < day.n; i++)
		gross += day.rates[i].gross;
	assert_int_equal(z.closing.total, gross);
	assert_int_equal(z.closing.sales, 3);
	journal_record_fini(&x);
	journal_record_fini(&z);
	/* and the Z as stored, decoded */
	{
		uint64_t seq = 0;
		uint8_t hash[JOURNAL_HASH_LEN];
		char *buf = NULL;
		size_t len = 0;

		assert_int_equal(journal_store_last(f->journal, &seq, hash), SSA_ERR_OK);
		assert_int_equal(journal_store_get(f->journal, seq, &buf, &len), SSA_ERR_OK);
		assert_int_equal(journal_record_decode(buf, len, &z, NULL), SSA_ERR_OK);
		assert_int_equal(z.kind, JOURNAL_CLOSING_Z);
		assert_same_vat(&z.closing.vat, &day, "stored Z against the receipts");
		journal_record_fini(&z);
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_everywhere, setup, teardown),
	};
	return cmocka_run_group_tests_name("till_vat", tests, NULL, NULL);
}
