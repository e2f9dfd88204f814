/* cmd_terminal.c — `ssa-admin ca ...` and `ssa-admin terminal ...`: the caisse's certificate
 * authority and the terminals' identities (OpenSSL 3 APIs, no openssl command).
 *
 * At the caisse:
 *   ssa-admin ca init DIR [DAYS]
 *       make the caisse CA: DIR/ca.key (0600) and DIR/ca.crt (self-signed, EC P-256)
 *   ssa-admin ca server DIR HOSTNAME KEY CERT [DAYS]
 *       a key and a certificate for ssa-caissed, for HOSTNAME (a DNS name or an IP address)
 *   ssa-admin terminal sign DIR CSR CERT [DAYS]
 *       check a terminal's request (its signature, a valid id as CN, a journal key) and issue its
 *       certificate; prints the terminal id and journal key for the record
 * At the outlet:
 *   ssa-admin terminal enroll ID JOURNAL_KEYFILE KEY CSR
 *       make the terminal's TLS key (0600) and a certificate request for terminal ID that binds
 *       the journal key (docs/protocol.md); carry CSR to the caisse
 *
 *   ssa-admin terminal journal-uri KEYFILE
 *       print the subjectAltName URI that binds the journal key KEYFILE (Ed25519 PEM, private or
 *       public) to the terminal's certificate (docs/protocol.md)
 *   ssa-admin terminal demo-sales [--caisse ID] JOURNAL KEYFILE TERMINAL COUNT [START_MS [FIRST]]
 *       append COUNT small demonstration sales to the journal database JOURNAL, signed with
 *       KEYFILE, as terminal TERMINAL, one a second from START_MS (UTC milliseconds, default
 *       1795000000000), numbered (card, balance: demo_sale) from FIRST (default: the number of
 *       records in JOURNAL), the cards of caisse ID (whose list decided the lines; default
 *       caisse-test) (demos, tests and benchmarks of the sync)
 *   ssa-admin terminal demo-books JOURNAL KEYFILE TERMINAL CARDS BATCH SEED COUNT [START_MS]
 *       append COUNT records of card histories whose balances chain, drawn from SEED
 *       (deterministic): the first use of a card in BATCH's period reloads it with its member's
 *       grant of BATCH (a grant batch as `ssa-admin grant show` prints it; the old balance
 *       expires or rolls over as its policy says), then sales of 1 to 3 items (the covered ones
 *       paid by the card as far as its balance goes, the rest cash; the lines decided by the
 *       list of BATCH's caisse, the cards'), voids of the run's last
 *       sale, refunds of a card-paid line of an earlier sale of the run.  CARDS is the cards'
 *       own state (balances, last grant period, the clock), read and written back (created
 *       when missing), so that several terminals run one after the other sell the same cards
 *       as they travel; a copy of it spent at another terminal is what a cloned card looks
 *       like.  The clock goes on from where CARDS left it, or from START_MS when later or when
 *       CARDS is new (default 1795000000000); each record is 1 to 61 seconds after the last.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssa/card.h"
#include "ssa/grant.h"
#include "ssa/journal.h"
#include "ssa/journal_store.h"
#include "ssa/keyfile.h"
#include "ssa/protocol.h"
#include "admin.h"
#include "ssa/log.h"
#include "ssa/money.h"

static int
journal_uri(int argc, char **argv)
{
	uint8_t pub[32];
	char hex[65], why[256] = "";

	if (argc != 3) {
		fprintf(stderr, "usage: ssa-admin terminal journal-uri KEYFILE\n");
		return 2;
	}
	if (keyfile_load_public(argv[2], pub, why, sizeof(why)) != SSA_ERR_OK) {
		log_err("%s", why);
		return 1;
	}
	journal_hex(pub, 32, hex);
	printf("urn:x-ssa:journal-key:ed25519:%s\n", hex);
	return 0;
}

/* The caisse of demo-sales' cards unless --caisse: the tests' caisse (tests/it/sync_common.inc). */
#define DEMO_CAISSE "caisse-test"

/* Sale number @p i (0-based, over the whole journal) of one conventioned item (1,50 €) paid by
 * card "demo-card-<i mod 100>", at @p time_ms.  Each card's balance starts at 1 000 € and goes
 * down 1,50 € per sale, so that one journal is consistent card by card — and two journals that
 * sell the same cards are what a card spent at two outlets offline looks like. */
static enum ssa_err
demo_sale(struct journal_record *r, const char *caisse, const char *terminal, uint64_t i,
	  int64_t time_ms)
{
	struct journal_line l = { .code = "3560070123456", .name = "Lentilles vertes 500 g",
				  .category = "epicerie", .qty = 1, .unit_price = 150, .amount = 150,
				  .vat_bp = 550, .covered = 150, .paid_ssa = 150,
				  .reason = CONVENTION_COVERED, .list_version = 1 };
	struct journal_tender t = { TENDER_SSA, 150, 150, 0 };
	enum ssa_err err;

	snprintf(l.list_caisse, sizeof(l.list_caisse), "%s", caisse);
	journal_record_init(r, JOURNAL_SALE);
	snprintf(r->establishment, sizeof(r->establishment), "demo");
	snprintf(r->terminal, sizeof(r->terminal), "%s", terminal);
	snprintf(r->software, sizeof(r->software), "%s", SSA_VERSION);
	snprintf(r->operator_id, sizeof(r->operator_id), "demo");
	snprintf(r->card, sizeof(r->card), "demo-card-%" PRIu64, i % 100);
	r->time_ms = time_ms;
	r->balance_before = 100000 - 150 * (int64_t)(i / 100 % 600);
	r->balance_after = r->balance_before - 150;
	vat_summary_init(&r->vat);
	if ((err = journal_record_add_line(r, &l)) || (err = journal_record_add_tender(r, &t)) ||
	    (err = vat_summary_add(&r->vat, 550, 150)) || (err = vat_summary_finish(&r->vat)))
		return err;
	r->total = 150;
	r->ssa_covered = 150;
	return SSA_ERR_OK;
}

static int
demo_sales(int argc, char **argv)
{
	struct ssa_journal_store *store = NULL;
	struct journal_signer *signer = NULL;
	uint8_t priv[32];
	char why[256] = "", *end;
	unsigned long long count;
	long long start = INT64_C(1795000000000);
	uint64_t first = 0, number = UINT64_MAX;
	uint8_t hash[JOURNAL_HASH_LEN];
	const char *caisse = DEMO_CAISSE;
	enum ssa_err err = SSA_ERR_OK;
	int status = 1;

	/* The cards' caisse, whose list decided the lines (a caisse counts only its own). */
	if (argc >= 4 && strcmp(argv[2], "--caisse") == 0) {
		caisse = argv[3];
		argv[3] = argv[1];
		argv += 2;
		argc -= 2;
	}
	if (argc < 6 || argc > 8) {
		fprintf(stderr, "usage: ssa-admin terminal demo-sales [--caisse ID] JOURNAL "
				"KEYFILE TERMINAL COUNT [START_MS [FIRST]]\n");
		return 2;
	}
	if (!protocol_id_valid(caisse) || strlen(caisse) > CONVENTION_CAISSE_MAX) {
		log_err("--caisse '%s' is not a caisse id", caisse);
		return 2;
	}
	if (argc == 8) {
		errno = 0;
		number = strtoull(argv[7], &end, 10);
		if (errno || *end || argv[7][0] == '-' || number > 10000000) {
			log_err("FIRST must be a sale number, 0 to 10000000");
			return 2;
		}
	}
	if (argc >= 7) {
		errno = 0;
		start = strtoll(argv[6], &end, 10);
		if (errno || *end || start < 0) {
			log_err("START_MS must be a number of milliseconds");
			return 2;
		}
	}
	errno = 0;
	count = strtoull(argv[5], &end, 10);
	if (errno || *end || count == 0 || count > 10000000) {
		log_err("COUNT must be 1 to 10000000");
		return 2;
	}
	if (keyfile_load_private(argv[3], priv, why, sizeof(why)) != SSA_ERR_OK) {
		log_err("%s", why);
		return 1;
	}
	err = journal_signer_new(priv, &signer);
	explicit_bzero(priv, sizeof(priv));
	if (err)
		goto out;
	if ((err = journal_sqlite_open(argv[2], &store, why, sizeof(why))) ||
	    (err = journal_store_last(store, &first, hash)))
		goto out;
	for (unsigned long long i = 0; i < count; i++) {
		struct journal_record r;

		err = demo_sale(&r, caisse, argv[4], (number != UINT64_MAX ? number : first) + i,
				(int64_t)start + (int64_t)i * 1000);
		if (!err)
			err = journal_store_append(store, &r, signer, 0, NULL, NULL);
		journal_record_fini(&r);
		if (err)
			goto out;
	}
	status = 0;
out:
	if (err)
		log_err("demo-sales: %s%s%s", ssa_strerror(err), why[0] ? ": " : "", why);
	journal_store_free(store);
	journal_signer_free(signer);
	return status;
}

/* --- demo-books: mixed card histories ---------------------------------------------------- */

#define DEMO_CARDS_MAX 64
#define DEMO_BATCH_MAX (4 * 1024 * 1024)

/* A card as it travels from outlet to outlet (the CARDS file: what the card itself holds). */
struct demo_card {
	char id[JOURNAL_CARD_MAX + 1];
	int64_t balance;
	int32_t period; /* of the last grant reloaded, 0: none */
};

struct demo_cards {
	int64_t clock_ms;
	size_t n;
	struct demo_card v[DEMO_CARDS_MAX];
};

/* A sale of this run, that a void or a refund may name. */
struct demo_sold {
	uint64_t seq;
	size_t card;
	bool undone; /* voided or refunded */
};

struct demo_item {
	const char *code, *name, *category;
	int64_t price;
	int vat_bp;
	bool covered;
};

static const struct demo_item demo_items[] = {
	{ "3560070123456", "Lentilles vertes 500 g", "epicerie", 150, 550, true },
	{ "3256220000017", "Pommes bio 1 kg", "fruits", 329, 550, true },
	{ "3017620422003", "Pate a tartiner 400 g", "epicerie", 389, 550, false },
	{ "3228857000166", "Pain complet", "boulangerie", 245, 550, true },
	{ "3023290008072", "Fromage de chevre", "cremerie", 612, 550, true },
	{ "3760091720016", "Savon de Marseille", "hygiene", 420, 2000, false },
};

/* splitmix64: deterministic for a seed, no clock, no libc state. */
static uint64_t
demo_rand(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Read the CARDS file @p path ("clock MS" then "CARD BALANCE PERIOD" lines); a missing file is
 * an empty one.  -1 with a message when it does not parse. */
static int
demo_cards_load(const char *path, struct demo_cards *c)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int rc = 0;

	memset(c, 0, sizeof(*c));
	c->clock_ms = INT64_C(1795000000000);
	if (f == NULL && errno == ENOENT)
		return 0;
	if (f == NULL) {
		log_err("%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		struct demo_card d = { 0 };
		long long bal, ms;
		int period;
		if (sscanf(line, "clock %lld", &ms) == 1 && ms >= 0) {
			c->clock_ms = ms;
		} else if (c->n < DEMO_CARDS_MAX &&
			   sscanf(line, "%16s %lld %d", d.id, &bal, &period) == 3 && bal >= 0 &&
			   bal <= CARD_BALANCE_MAX && period >= 0) {
			d.balance = bal;
			d.period = period;
			c->v[c->n++] = d;
		} else {
			log_err("%s: bad line '%.40s'", path, line);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

/* Write @p c to @p path (a temporary file renamed over it). */
static int
demo_cards_save(const char *path, const struct demo_cards *c)
{
	char tmp[4096];
	FILE *f;
	int ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp) ||
	    !(f = fopen(tmp, "w"))) {
		log_err("%s: cannot write", path);
		return -1;
	}
	fprintf(f, "clock %" PRId64 "\n", c->clock_ms);
	for (size_t i = 0; i < c->n; i++)
		fprintf(f, "%s %" PRId64 " %d\n", c->v[i].id, c->v[i].balance, (int)c->v[i].period);
	ok = !ferror(f);
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		log_err("%s: cannot write", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void
demo_head(struct journal_record *r, enum journal_kind kind, const char *terminal,
	  const struct demo_card *card, int64_t time_ms)
{
	journal_record_init(r, kind);
	snprintf(r->establishment, sizeof(r->establishment), "demo");
	snprintf(r->terminal, sizeof(r->terminal), "%s", terminal);
	snprintf(r->software, sizeof(r->software), "%s", SSA_VERSION);
	snprintf(r->operator_id, sizeof(r->operator_id), "demo");
	snprintf(r->card, sizeof(r->card), "%s", card->id);
	r->time_ms = time_ms;
	r->balance_before = card->balance;
	vat_summary_init(&r->vat);
}

/* Add line @p l and its VAT to @p r. */
static enum ssa_err
demo_add_line(struct journal_record *r, const struct journal_line *l)
{
	enum ssa_err e;

	if ((e = journal_record_add_line(r, l)) || (e = vat_summary_add(&r->vat, l->vat_bp, l->amount)))
		return e;
	return money_add(r->total, l->amount, &r->total);
}

/* Tenders of @p r: @p ssa by the card, the rest in cash. */
static enum ssa_err
demo_tenders(struct journal_record *r, int64_t ssa)
{
	struct journal_tender t = { TENDER_SSA, ssa, ssa, 0 };
	enum ssa_err e;

	r->ssa_covered = ssa;
	if (ssa > 0 && (e = journal_record_add_tender(r, &t)))
		return e;
	t = (struct journal_tender){ TENDER_CASH, r->total - ssa, r->total - ssa, 0 };
	if (t.amount > 0 && (e = journal_record_add_tender(r, &t)))
		return e;
	return vat_summary_finish(&r->vat);
}

/* A sale of 1 to 3 items to card @p card: the covered items are paid by the card as far as
 * its balance goes (in line order), the rest in cash. */
static enum ssa_err
demo_books_sale(struct journal_record *r, const char *caisse, const char *terminal,
		const struct demo_card *card, int64_t time_ms, uint64_t *rng)
{
	size_t n = 1 + demo_rand(rng) % 3;
	int64_t left = card->balance, ssa = 0;
	enum ssa_err e;

	demo_head(r, JOURNAL_SALE, terminal, card, time_ms);
	for (size_t i = 0; i < n; i++) {
		const struct demo_item *it =
			&demo_items[demo_rand(rng) % (sizeof(demo_items) / sizeof(demo_items[0]))];
		int64_t qty = 1 + (int64_t)(demo_rand(rng) % 3), amount = it->price * qty;
		struct journal_line l = { .qty = qty, .unit_price = it->price, .amount = amount,
					  .vat_bp = it->vat_bp, .list_version = 1 };
		snprintf(l.list_caisse, sizeof(l.list_caisse), "%s", caisse);
		snprintf(l.code, sizeof(l.code), "%s", it->code);
		snprintf(l.name, sizeof(l.name), "%s", it->name);
		snprintf(l.category, sizeof(l.category), "%s", it->category);
		l.reason = it->covered ? CONVENTION_COVERED : CONVENTION_NOT_IN_LIST;
		l.covered = it->covered ? amount : 0;
		l.paid_ssa = money_min(l.covered, left);
		left -= l.paid_ssa;
		ssa += l.paid_ssa;
		if ((e = demo_add_line(r, &l)))
			return e;
	}
	r->balance_after = card->balance - ssa;
	return demo_tenders(r, ssa);
}

/* The void of sale @p sale (its lines and tenders again, the SSA part back on the card), or the
 * refund of its first line paid by the card. */
static enum ssa_err
demo_books_undo(struct journal_record *r, enum journal_kind kind, const struct journal_record *sale,
		const struct demo_card *card, int64_t time_ms)
{
	int64_t ssa = 0;
	enum ssa_err e;

	demo_head(r, kind, sale->terminal, card, time_ms);
	r->link_seq = sale->seq;
	for (size_t i = 0; i < sale->n_lines; i++) {
		if (kind == JOURNAL_REFUND && sale->lines[i].paid_ssa == 0)
			continue;
		if ((e = demo_add_line(r, &sale->lines[i])))
			return e;
		ssa += sale->lines[i].paid_ssa;
		if (kind == JOURNAL_REFUND)
			break;
	}
	if ((e = money_add(card->balance, ssa, &r->balance_after)))
		return e;
	return demo_tenders(r, ssa);
}

/* A RELOAD of grant @p g of batch @p b to card @p card: the old balance expires or rolls over
 * as the batch's policy says. */
static enum ssa_err
demo_books_reload(struct journal_record *r, const char *terminal, const struct demo_card *card,
		  const struct grant_batch *b, const struct grant *g, int64_t time_ms)
{
	int64_t expired = card->balance;

	if (b->policy == CARD_RELOAD_ROLLOVER)
		expired = card->balance > b->cap ? card->balance - b->cap : 0;
	demo_head(r, JOURNAL_RELOAD, terminal, card, time_ms);
	grant_id_format(g->id, r->reload.grant_id, sizeof(r->reload.grant_id));
	r->reload.period = b->period;
	r->reload.amount = g->amount;
	r->reload.expired = expired;
	return money_add(card->balance - expired, g->amount, &r->balance_after);
}

static int
demo_books(int argc, char **argv)
{
	struct ssa_journal_store *store = NULL;
	struct journal_signer *signer = NULL;
	struct grant_batch *batch = NULL;
	struct demo_cards *cards = NULL;
	struct journal_record *sales = NULL;
	struct demo_sold *sold = NULL;
	size_t n_sold = 0, n_kind[JOURNAL__KIND_COUNT] = { 0 };
	uint8_t priv[32];
	char why[256] = "", *end, *text = NULL;
	unsigned long long count, seed, start = 0;
	size_t len = 0;
	uint64_t rng;
	enum ssa_err err = SSA_ERR_OK;
	int status = 1;
	FILE *f;

	if (argc < 9 || argc > 10) {
		fprintf(stderr, "usage: ssa-admin terminal demo-books JOURNAL KEYFILE TERMINAL CARDS "
				"BATCH SEED COUNT [START_MS]\n");
		return 2;
	}
	errno = 0;
	seed = strtoull(argv[7], &end, 10);
	if (errno || *end || argv[7][0] == '-') {
		log_err("SEED must be a number");
		return 2;
	}
	errno = 0;
	count = strtoull(argv[8], &end, 10);
	if (errno || *end || count == 0 || count > 10000) {
		log_err("COUNT must be 1 to 10000");
		return 2;
	}
	if (argc == 10) {
		errno = 0;
		start = strtoull(argv[9], &end, 10);
		if (errno || *end || argv[9][0] == '-' || start > INT64_MAX / 2) {
			log_err("START_MS must be a number of milliseconds");
			return 2;
		}
	}
	if (!(cards = calloc(1, sizeof(*cards))) || !(sales = calloc(count, sizeof(*sales))) ||
	    !(sold = calloc(count, sizeof(*sold)))) {
		err = SSA_ERR_NOMEM;
		goto out;
	}
	if (demo_cards_load(argv[5], cards) != 0)
		goto out;
	if (argc == 10 && (cards->n == 0 || (int64_t)start > cards->clock_ms))
		cards->clock_ms = (int64_t)start; /* a new CARDS file starts at START_MS */
	if (!(f = fopen(argv[6], "r"))) {
		log_err("%s: %s", argv[6], strerror(errno));
		goto out;
	}
	text = malloc(DEMO_BATCH_MAX + 1);
	if (text)
		len = fread(text, 1, DEMO_BATCH_MAX + 1, f);
	fclose(f);
	if (!text) {
		err = SSA_ERR_NOMEM;
		goto out;
	}
	if (len > DEMO_BATCH_MAX || grant_batch_parse(text, len, &batch, NULL) != SSA_ERR_OK) {
		log_err("%s is not a grant batch (ssa-admin grant show)", argv[6]);
		goto out;
	}
	/* the cards of the batch's members, empty until their first reload */
	for (size_t i = 0; i < batch->n; i++) {
		struct demo_card d = { 0 };
		bool known = false;
		if (batch->grants[i].target != GRANT_MEMBER)
			continue;
		card_id_format(batch->grants[i].holder, d.id, sizeof(d.id));
		for (size_t j = 0; j < cards->n && !known; j++)
			known = strcmp(cards->v[j].id, d.id) == 0;
		if (!known && cards->n < DEMO_CARDS_MAX)
			cards->v[cards->n++] = d;
	}
	if (cards->n == 0) {
		log_err("no card: the batch has no member grant and %s none", argv[5]);
		goto out;
	}
	if (keyfile_load_private(argv[3], priv, why, sizeof(why)) != SSA_ERR_OK) {
		log_err("%s", why);
		goto out;
	}
	err = journal_signer_new(priv, &signer);
	explicit_bzero(priv, sizeof(priv));
	if (err || (err = journal_sqlite_open(argv[2], &store, why, sizeof(why))))
		goto out;
	rng = seed;
	for (unsigned long long i = 0; i < count; i++) {
		size_t k = demo_rand(&rng) % cards->n, pick = SIZE_MAX;
		struct demo_card *card = &cards->v[k];
		const struct grant *g = NULL;
		struct journal_record r;
		unsigned what = demo_rand(&rng) % 10;
		uint64_t holder;

		cards->clock_ms += 1000 + (int64_t)(demo_rand(&rng) % 60000);
		if (card->period < batch->period && card_id_parse(card->id, &holder) == SSA_ERR_OK)
			g = grant_find(batch, 0, holder, batch->period, &g) == SSA_ERR_OK ? g : NULL;
		/* a void names the last sale of the run, a refund an earlier one paid by a card */
		if (what == 7 && n_sold > 0 && !sold[n_sold - 1].undone)
			pick = n_sold - 1;
		for (size_t t = 0; what >= 8 && t < n_sold && pick == SIZE_MAX; t++) {
			size_t c = (size_t)(demo_rand(&rng) % n_sold);
			if (!sold[c].undone && sales[c].ssa_covered > 0)
				pick = c;
		}
		if (g != NULL) {
			err = demo_books_reload(&r, argv[4], card, batch, g, cards->clock_ms);
		} else if (pick != SIZE_MAX) {
			card = &cards->v[sold[pick].card];
			err = demo_books_undo(&r, what == 7 ? JOURNAL_VOID : JOURNAL_REFUND,
					      &sales[pick], card, cards->clock_ms);
		} else {
			err = demo_books_sale(&r, batch->caisse, argv[4], card, cards->clock_ms,
					      &rng);
		}
		if (!err)
			err = journal_store_append(store, &r, signer, 0, NULL, NULL);
		if (err) {
			journal_record_fini(&r);
			goto out;
		}
		n_kind[r.kind]++;
		if (pick != SIZE_MAX)
			sold[pick].undone = true;
		if (g != NULL)
			card->period = batch->period;
		card->balance = r.balance_after;
		if (r.kind == JOURNAL_SALE) {
			sold[n_sold] = (struct demo_sold){ r.seq, (size_t)(card - cards->v), false };
			sales[n_sold++] = r; /* keeps its lines */
		} else {
			journal_record_fini(&r);
		}
	}
	if (demo_cards_save(argv[5], cards) != 0)
		goto out;
	printf("%s: %zu sales, %zu voids, %zu refunds, %zu reloads\n", argv[4],
	       n_kind[JOURNAL_SALE], n_kind[JOURNAL_VOID], n_kind[JOURNAL_REFUND],
	       n_kind[JOURNAL_RELOAD]);
	status = 0;
out:
	if (err)
		log_err("demo-books: %s%s%s", ssa_strerror(err), why[0] ? ": " : "", why);
	for (size_t i = 0; sales && i < n_sold; i++)
		journal_record_fini(&sales[i]);
	free(sales);
	free(sold);
	free(cards);
	free(text);
	grant_batch_free(batch);
	journal_store_free(store);
	journal_signer_free(signer);
	return status;
}

/* --- certificate authority (OpenSSL 3) ------------------------------------------------------ */

#define PKI_DEFAULT_DAYS 825
#define JOURNAL_URI_PREFIX "urn:x-ssa:journal-key:ed25519:"

static void
ossl_fail(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	log_err("%s: %s", what, e ? buf : "failed");
	ERR_clear_error();
}

/* Create @p path exclusively with @p mode, for writing, fsync'd by pem_close. */
static FILE *
pem_create(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f;

	if (fd < 0) {
		log_err("cannot create %s: %s", path, strerror(errno));
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
	}
	return f;
}

static int
pem_close(FILE *f, const char *path, int ok)
{
	if (ok && (fflush(f) != 0 || fsync(fileno(f)) != 0))
		ok = 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		log_err("cannot write %s", path);
		unlink(path);
	}
	return ok;
}

static int
write_key(const char *path, EVP_PKEY *key)
{
	FILE *f = pem_create(path, 0600);

	if (!f)
		return 0;
	return pem_close(f, path, PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1);
}

static int
write_cert(const char *path, X509 *x)
{
	FILE *f = pem_create(path, 0644);

	if (!f)
		return 0;
	return pem_close(f, path, PEM_write_X509(f, x) == 1);
}

static EVP_PKEY *
read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f) {
		log_err("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		ossl_fail(path);
	return k;
}

static X509 *
read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (!f) {
		log_err("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		ossl_fail(path);
	return x;
}

static int
parse_days(const char *s, long *days)
{
	char *end;

	errno = 0;
	*days = s ? strtol(s, &end, 10) : PKI_DEFAULT_DAYS;
	if (s && (errno || *end || *days < 1 || *days > 36500)) {
		log_err("DAYS must be 1 to 36500");
		return 0;
	}
	return 1;
}

/* Add extension @p nid with OpenSSL's textual @p value, in the context of @p issuer/@p subject. */
static int
add_ext(X509 *issuer, X509 *subject, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, subject, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(subject, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A new certificate for @p pub, serial random, valid @p days from now, issued by @p issuer (NULL:
 * self-issued) with subject CN @p cn. */
static X509 *
new_cert(EVP_PKEY *pub, X509 *issuer, const char *cn, long days)
{
	X509 *x = X509_new();
	BIGNUM *bn = BN_new();
	X509_NAME *name = X509_NAME_new();
	int ok = x && bn && name;

	ok = ok && X509_set_version(x, X509_VERSION_3) && BN_rand(bn, 127, BN_RAND_TOP_ANY,
								 BN_RAND_BOTTOM_ANY) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), -300) &&
	     X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
					0) &&
	     X509_set_subject_name(x, name) &&
	     X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) &&
	     X509_set_pubkey(x, pub);
	BN_free(bn);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int
ca_init(int argc, char **argv)
{
	char key_path[4096], crt_path[4096];
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	long days;
	int ok = 0;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: ssa-admin ca init DIR [DAYS]\n");
		return 2;
	}
	if (!parse_days(argc == 4 ? argv[3] : "3650", &days))
		return 2;
	if (mkdir(argv[2], 0700) != 0 && errno != EEXIST) {
		log_err("cannot create %s: %s", argv[2], strerror(errno));
		return 1;
	}
	snprintf(key_path, sizeof(key_path), "%s/ca.key", argv[2]);
	snprintf(crt_path, sizeof(crt_path), "%s/ca.crt", argv[2]);
	key = EVP_EC_gen("P-256");
	if (!key || !(x = new_cert(key, NULL, "SSA caisse CA", days)) ||
	    !add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    !add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(x, x, NID_subject_key_identifier, "hash") ||
	    !X509_sign(x, key, EVP_sha256())) {
		ossl_fail("making the CA");
		goto out;
	}
	ok = write_key(key_path, key);
	if (ok && !(ok = write_cert(crt_path, x)))
		unlink(key_path);
	if (ok)
		printf("caisse CA: %s, %s\n", key_path, crt_path);
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return ok ? 0 : 1;
}

/* Load DIR/ca.key and DIR/ca.crt. */
static int
load_ca(const char *dir, EVP_PKEY **key, X509 **crt)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/ca.key", dir);
	*key = read_key(path);
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	*crt = *key ? read_cert(path) : NULL;
	if (*crt && X509_check_private_key(*crt, *key) != 1) {
		log_err("%s/ca.key does not match %s", dir, path);
		X509_free(*crt);
		*crt = NULL;
	}
	return *key && *crt;
}

static int
ca_server(int argc, char **argv)
{
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *x = NULL;
	unsigned char ip[16];
	char san[600];
	long days;
	int ok = 0;

	if (argc < 6 || argc > 7) {
		fprintf(stderr, "usage: ssa-admin ca server DIR HOSTNAME KEY CERT [DAYS]\n");
		return 2;
	}
	if (!parse_days(argc == 7 ? argv[6] : NULL, &days))
		return 2;
	if (strlen(argv[3]) > 253 || strpbrk(argv[3], ", \t\n")) {
		log_err("'%s' is not a host name or an address", argv[3]);
		return 2;
	}
	if (inet_pton(AF_INET, argv[3], ip) == 1 || inet_pton(AF_INET6, argv[3], ip) == 1)
		snprintf(san, sizeof(san), "IP:%s", argv[3]);
	else
		snprintf(san, sizeof(san), "DNS:%s", argv[3]);
	if (!load_ca(argv[2], &ca_key, &ca))
		goto out;
	key = EVP_EC_gen("P-256");
	if (!key || !(x = new_cert(key, ca, argv[3], days)) ||
	    !add_ext(ca, x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(ca, x, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(ca, x, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(ca, x, NID_subject_alt_name, san) || !X509_sign(x, ca_key, EVP_sha256())) {
		ossl_fail("making the server certificate");
		goto out;
	}
	ok = write_key(argv[4], key);
	if (ok && !(ok = write_cert(argv[5], x)))
		unlink(argv[4]);
out:
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	return ok ? 0 : 1;
}

static int
terminal_enroll(int argc, char **argv)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	EVP_PKEY *key = NULL;
	FILE *f = NULL;
	uint8_t pub[32];
	char hex[65], uri[128], why[256] = "";
	int ok = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: ssa-admin terminal enroll ID JOURNAL_KEYFILE KEY CSR\n");
		return 2;
	}
	if (!protocol_id_valid(argv[2])) {
		log_err("'%s' is not a valid terminal id ([A-Za-z0-9._-], at most "
		        "32)",
		        argv[2]);
		return 2;
	}
	if (keyfile_load_public(argv[3], pub, why, sizeof(why)) != SSA_ERR_OK) {
		log_err("%s", why);
		return 1;
	}
	journal_hex(pub, 32, hex);
	snprintf(uri, sizeof(uri), "URI:" JOURNAL_URI_PREFIX "%s", hex);
	key = EVP_EC_gen("P-256");
	req = X509_REQ_new();
	name = X509_NAME_new();
	exts = sk_X509_EXTENSION_new_null();
	if (!key || !req || !name || !exts ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)argv[2],
					-1, -1, 0) ||
	    !X509_REQ_set_subject_name(req, name) || !X509_REQ_set_pubkey(req, key) ||
	    !(ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, uri)) ||
	    !sk_X509_EXTENSION_push(exts, ext)) {
		ossl_fail("making the request");
		X509_EXTENSION_free(ext);
		goto out;
	}
	if (!X509_REQ_add_extensions(req, exts) || !X509_REQ_sign(req, key, EVP_sha256())) {
		ossl_fail("signing the request");
		goto out;
	}
	if (!write_key(argv[4], key))
		goto out;
	f = pem_create(argv[5], 0644);
	if (!f || !pem_close(f, argv[5], PEM_write_X509_REQ(f, req) == 1)) {
		unlink(argv[4]);
		goto out;
	}
	printf("terminal %s: key %s, request %s (journal key %s)\n", argv[2], argv[4], argv[5], hex);
	ok = 1;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return ok ? 0 : 1;
}

/* The journal key URI of @p exts (a request's extensions): 1 found and well-formed, 0 not. */
static int
request_journal_uri(STACK_OF(X509_EXTENSION) *exts, char *out, size_t size)
{
	GENERAL_NAMES *names = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	int found = 0;

	for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const unsigned char *d;
		int len;

		if (g->type != GEN_URI)
			continue;
		d = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
		len = ASN1_STRING_length(g->d.uniformResourceIdentifier);
		if (len != (int)strlen(JOURNAL_URI_PREFIX) + 64 || (size_t)len >= size ||
		    memcmp(d, JOURNAL_URI_PREFIX, strlen(JOURNAL_URI_PREFIX)) != 0)
			continue;
		memcpy(out, d, (size_t)len);
		out[len] = '\0';
		found = strspn(out + strlen(JOURNAL_URI_PREFIX), "0123456789abcdef") == 64;
		if (found)
			break;
	}
	GENERAL_NAMES_free(names);
	return found;
}

static int
terminal_sign(int argc, char **argv)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	EVP_PKEY *ca_key = NULL, *pub;
	X509 *ca = NULL, *x = NULL;
	X509_REQ *req = NULL;
	FILE *f;
	char cn[PROTOCOL_ID_MAX + 2] = "", uri[128], san[140];
	long days;
	int ok = 0, n;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: ssa-admin terminal sign DIR CSR CERT [DAYS]\n");
		return 2;
	}
	if (!parse_days(argc == 6 ? argv[5] : NULL, &days))
		return 2;
	f = fopen(argv[3], "r");
	if (!f) {
		log_err("cannot open %s: %s", argv[3], strerror(errno));
		return 1;
	}
	req = PEM_read_X509_REQ(f, NULL, NULL, NULL);
	fclose(f);
	if (!req) {
		ossl_fail(argv[3]);
		goto out;
	}
	pub = X509_REQ_get0_pubkey(req);
	if (!pub || X509_REQ_verify(req, pub) != 1) {
		log_err("%s: the request's signature does not verify", argv[3]);
		ERR_clear_error();
		goto out;
	}
	n = X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn,
				      sizeof(cn));
	if (n <= 0 || (size_t)n != strlen(cn) || !protocol_id_valid(cn)) {
		log_err("%s: the request's CN is not a valid terminal id", argv[3]);
		goto out;
	}
	exts = X509_REQ_get_extensions(req);
	if (!exts || !request_journal_uri(exts, uri, sizeof(uri))) {
		log_err("%s: the request carries no journal key (make it with "
		        "ssa-admin terminal enroll)",
		        argv[3]);
		goto out;
	}
	snprintf(san, sizeof(san), "URI:%s", uri);
	if (!load_ca(argv[2], &ca_key, &ca))
		goto out;
	if (!(x = new_cert(pub, ca, cn, days)) ||
	    !add_ext(ca, x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(ca, x, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(ca, x, NID_ext_key_usage, "clientAuth") ||
	    !add_ext(ca, x, NID_subject_alt_name, san) || !X509_sign(x, ca_key, EVP_sha256())) {
		ossl_fail("issuing the certificate");
		goto out;
	}
	if (!write_cert(argv[4], x))
		goto out;
	printf("terminal %s: certificate %s, journal key %s\n", cn, argv[4],
	       uri + strlen(JOURNAL_URI_PREFIX));
	ok = 1;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return ok ? 0 : 1;
}

int
admin_cmd_ca(struct admin_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return ca_init(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "server") == 0)
		return ca_server(argc, argv);
	fprintf(stderr, "usage: ssa-admin ca init DIR [DAYS]\n"
			"       ssa-admin ca server DIR HOSTNAME KEY CERT [DAYS]\n");
	return 2;
}

int
admin_cmd_terminal(struct admin_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	if (argc >= 2 && strcmp(argv[1], "enroll") == 0)
		return terminal_enroll(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return terminal_sign(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "journal-uri") == 0)
		return journal_uri(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "demo-sales") == 0)
		return demo_sales(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "demo-books") == 0)
		return demo_books(argc, argv);
	fprintf(stderr, "usage: ssa-admin terminal enroll ID JOURNAL_KEYFILE KEY CSR\n"
			"       ssa-admin terminal sign DIR CSR CERT [DAYS]\n"
			"       ssa-admin terminal journal-uri KEYFILE\n"
			"       ssa-admin terminal demo-sales [--caisse ID] JOURNAL KEYFILE "
			"TERMINAL COUNT [START_MS [FIRST]]\n"
			"       ssa-admin terminal demo-books JOURNAL KEYFILE TERMINAL CARDS BATCH "
			"SEED COUNT [START_MS]\n");
	return 2;
}
