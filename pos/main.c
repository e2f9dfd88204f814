/* ssa-pos — the till.  This file: options, language, configuration, stores, start-up and exit. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <unistd.h>

#include "ssa/catalog_store.h"
#include "ssa/journal_store.h"
#include "ssa/keyfile.h"
#include "ssa/log.h"

#include "amap_month.h"
#include "amap_session.h"
#include "caisses.h"
#include "config.h"
#include "crt.h"
#include "i18n.h"
#include "reader.h"
#include "spool.h"
#include "till.h"
#include "till_card.h"
#include "ui.h"

#ifndef SSA_PREFIX
#define SSA_PREFIX "/usr/local"
#endif

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: ssa-pos [-c FILE]                     run the till\n"
		"       ssa-pos [-c FILE] --import-products CSV\n"
		"                          replace the outlet's products by those of CSV\n"
		"       ssa-pos [-c FILE] --import-list CAISSE PUBKEY LIST\n"
		"                          put a signed convention list received offline\n"
		"                          (PUBKEY: file with the caisse's Ed25519 key in hex)\n"
		"       ssa-pos [-c FILE] --amap CSV\n"
		"                          an AMAP distribution (CAMAP export or sign-in sheet)\n"
		"       ssa-pos [-c FILE] --amap-statement YYYY-MM\n"
		"                          the members' AMAP statement of that month, for\n"
		"                          reimbursement (from the distributions' F12 files)\n"
		"       ssa-pos -V | -h\n");
}

/* The first non-empty of LC_ALL, LC_MESSAGES, LANG: the person's language setting. */
static const char *
lang_setting(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return v;
	}
	return "";
}

/* Where `make install` put the message catalogs: <prefix>/share/locale, <prefix> being where
 * this program is (<prefix>/bin/ssa-pos), so that any PREFIX works without a rebuild; the
 * compiled-in SSA_PREFIX when /proc is not there.  Static storage. */
static const char *
installed_locale_dir(void)
{
	static char dir[PATH_MAX + sizeof("/share/locale")];
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return SSA_PREFIX "/share/locale";
	exe[n] = '\0';
	for (int up = 0; up < 2; up++) /* drop "/ssa-pos", then "/bin" */
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
	snprintf(dir, sizeof(dir), "%s/share/locale", exe);
	return dir;
}

/* French unless the environment asks for English.  gettext picks the catalog from LANGUAGE,
 * which glibc honours in any locale but plain "C"; so a UTF-8 locale is set up (C.UTF-8 when the
 * person's own is not installed) and LANGUAGE is set to the language chosen here. */
static enum money_locale
set_language(void)
{
	const char *lang = lang_setting();
	bool english = strncmp(lang, "en", 2) == 0;
	const char *dir = getenv("SSA_LOCALEDIR");
	const char *loc = setlocale(LC_ALL, "");

	if (!loc || strcmp(loc, "C") == 0 || strcmp(loc, "POSIX") == 0)
		setlocale(LC_ALL, "C.UTF-8");
	setenv("LANGUAGE", english ? "en" : "fr", 1);
	bindtextdomain(POS_TEXTDOMAIN, dir && *dir ? dir : installed_locale_dir());
	bind_textdomain_codeset(POS_TEXTDOMAIN, "UTF-8");
	textdomain(POS_TEXTDOMAIN);
	/* Without the French catalog the screen shows the English source strings: show English
	 * amounts with them rather than a mix. */
	if (!english && strcmp(_("Sale"), "Sale") == 0)
		english = true;
	return english ? MONEY_EN : MONEY_FR;
}

/* Today as YYYYMMDD in local time: eligibility dates are the outlet's days. */
static int32_t
local_today(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!localtime_r(&now, &tm))
		return 19700101;
	return (int32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

/* The catalog's products at a VAT rate that [vat] rates does not hold. */
struct rate_check {
	const struct vat_rates *rates;
	size_t products;     /* at an unconfigured rate */
	char list[64];       /* those rates, "6, 21" (cut when long) */
	char example[CATALOG_CODE_MAX + 1];
};

static void
check_rate(void *arg, int64_t vat_bp, size_t products, const char *example_code)
{
	struct rate_check *c = arg;
	char r[24];
	size_t used = strlen(c->list);

	if (vat_rates_contains(c->rates, vat_bp))
		return;
	vat_rate_format(vat_bp, r, sizeof(r));
	log_warn("%zu product(s) of the catalog have VAT rate %s %%, which is not in [vat] rates "
		 "(e.g. code %s)", products, r, example_code ? example_code : "?");
	if (c->products == 0)
		snprintf(c->example, sizeof(c->example), "%s", example_code ? example_code : "?");
	c->products += products;
	if (used < sizeof(c->list))
		snprintf(c->list + used, sizeof(c->list) - used, "%s%s", used ? ", " : "", r);
}

/* Start-up check: every product's VAT rate must be a configured one (the import refuses
 * others, but the configuration may have changed since).  A warning on screen and in the log;
 * the till still starts. */
static void
check_catalog_rates(struct catalog_store *store, const struct pos_config *cfg, struct till *t)
{
	struct rate_check c = { .rates = &cfg->vat_rates };

	if (catalog_store_each_vat_rate(store, &cfg->vat_rates, check_rate, &c) != SSA_ERR_OK) {
		log_warn("cannot check the VAT rates of the catalog %s: %s", cfg->catalog,
			 catalog_store_errmsg(store));
		return;
	}
	if (c.products > 0)
		till_message(t, TILL_MSG_WARN,
			     _("VAT: %zu product(s) at a rate not in [vat] rates (%s %%, e.g. %s): "
			       "fix the configuration or the products."),
			     c.products, c.list, c.example);
}

static int
import_products(struct catalog_store *store, const char *csv, const struct vat_rates *rates)
{
	struct catalog_import_result res = { 0 };
	enum ssa_err err = catalog_store_import_csv(store, csv, rates, &res);

	if (err != SSA_ERR_OK) {
		char conf[80];

		vat_rates_format(rates, conf, sizeof(conf));
		if (res.line && err == SSA_ERR_CATALOG_VAT)
			fprintf(stderr, "ssa-pos: %s:%u: %s ([vat] rates of the configuration: %s)\n",
				csv, res.line, res.why, conf);
		else if (res.line)
			fprintf(stderr, "ssa-pos: %s:%u: %s (%s)\n", csv, res.line, res.why,
				ssa_strerror(err));
		else
			fprintf(stderr, "ssa-pos: %s: %s\n", csv, ssa_strerror(err));
		return 1;
	}
	printf("%zu products imported\n", res.rows);
	return 0;
}

/* Read a whole file (at most @p max bytes) into a malloc'd NUL-terminated buffer. */
static char *
slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	if ((buf = malloc(max + 1)) != NULL) {
		n = fread(buf, 1, max + 1, f);
		if (ferror(f) || n > max) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = n;
		}
	}
	fclose(f);
	return buf;
}

static int
import_list(struct catalog_store *store, const char *caisse, const char *keyfile,
	    const char *listfile)
{
	uint8_t pub[32];
	size_t len = 0;
	char *text = NULL, why[300];
	struct convention_error cerr = { 0 };
	uint32_t version = 0;
	enum ssa_err err;
	int rc = 1;

	if (keyfile_load_public(keyfile, pub, why, sizeof(why)) != SSA_ERR_OK) {
		fprintf(stderr, "ssa-pos: %s\n", why);
		goto out;
	}
	if ((text = slurp(listfile, 256u << 20, &len)) == NULL) {
		fprintf(stderr, "ssa-pos: %s: %s\n", listfile, strerror(errno));
		goto out;
	}
	err = catalog_store_put_list(store, caisse, pub, text, len, &cerr, &version);
	if (err != SSA_ERR_OK) {
		if (cerr.line)
			fprintf(stderr, "ssa-pos: %s:%u: %s (%s)\n", listfile, cerr.line, cerr.msg,
				ssa_strerror(err));
		else
			fprintf(stderr, "ssa-pos: %s: %s\n", listfile, ssa_strerror(err));
		goto out;
	}
	printf("list of %s: version %u in force\n", caisse, version);
	rc = 0;
out:
	free(text);
	return rc;
}

/* The journal and the terminal's signing key.  Without them the till sells nothing: the screen
 * says why. */
static void
open_journal(const struct pos_config *cfg, struct till *t, struct ssa_journal_store **journal,
	     struct journal_signer **signer)
{
	char why[300];
	uint8_t priv[32];
	uint64_t last = 0, acked = 0;
	uint8_t hash[JOURNAL_HASH_LEN];
	enum ssa_err err;

	if ((err = journal_sqlite_open(cfg->journal, journal, why, sizeof(why))) != SSA_ERR_OK) {
		*journal = NULL;
		till_message(t, TILL_MSG_ERROR, _("Journal %s: %s."), cfg->journal, why);
		return;
	}
	if ((err = keyfile_load_private(cfg->key_file, priv, why, sizeof(why))) != SSA_ERR_OK ||
	    (err = journal_signer_new(priv, signer)) != SSA_ERR_OK) {
		*signer = NULL;
		till_message(t, TILL_MSG_ERROR, _("Signing key: %s."), why);
	}
	explicit_bzero(priv, sizeof(priv));
	t->journal = *journal;
	t->signer = *signer;
	if (journal_store_last(*journal, &last, hash) == SSA_ERR_OK &&
	    journal_store_acked(*journal, &acked) == SSA_ERR_OK && last >= acked)
		t->status.records_waiting = (int64_t)(last - acked);
}

/* The card reader, if one is configured.  A reader that cannot be opened is a message: the till
 * still sells, paid by other tenders, and opens it when it comes (pos/reader.h). */
static void
open_reader(const struct pos_config *cfg, struct till *t, struct pos_reader *rd,
	    struct ssa_card_reader *reader, struct card_keys *keys)
{
	enum ssa_err err;
	bool opened = false;

	if (!cfg->reader || !cfg->reader[0])
		return;
	if (!cfg->card_keys) {
		till_message(t, TILL_MSG_ERROR, "%s", _("Card reader without [card] keys: no card."));
		return;
	}
	if ((err = nfc_desfire_load_keys(cfg->card_keys, keys)) != SSA_ERR_OK || !keys->has_verify ||
	    !keys->has[CARD_KEY_DEBIT]) {
		till_message(t, TILL_MSG_ERROR, _("Card keys %s: %s."), cfg->card_keys,
			     err != SSA_ERR_OK ? _(ssa_strerror(err))
					       : _("the debit or verify key is missing"));
		return;
	}
	if ((err = pos_reader_init(rd, cfg->reader, keys, t, reader, &opened)) != SSA_ERR_OK) {
		memset(reader, 0, sizeof(*reader));
		till_message(t, TILL_MSG_ERROR, _("Card reader %s: %s."), cfg->reader,
			     _(ssa_strerror(err)));
		return;
	}
	if (!opened)
		till_message(t, TILL_MSG_ERROR,
			     _("Card reader %s: %s. The till tries it again by itself."), cfg->reader,
			     _(ssa_strerror(SSA_ERR_READER)));
	t->reader = reader;
	t->caisse_verify_key = keys->verify;
	t->card_terminal = (uint32_t)cfg->card_terminal;
}

/* The spool's signed files (hot list, grants), verified with [sync] caisse_key.  Without the
 * key the till works on, without them: the screen says so. */
static void
open_spool(const struct pos_config *cfg, struct till *t, struct till_card_files **files)
{
	char why[300] = "";
	enum ssa_err err = till_card_files_open(cfg->spool, cfg->caisse_key, files, why, sizeof(why));

	if (err != SSA_ERR_OK) {
		*files = NULL;
		till_message(t, TILL_MSG_ERROR, _("Caisse key: %s. No grants, no hot list."), why);
		return;
	}
	t->files = *files;
	till_card_files_keep(*files, cfg->data_dir);
	/* Without the key the status line shows no hot list; the log says why. */
	if (!cfg->caisse_key)
		log_warn("no [sync] caisse_key in %s: no monthly grants, no hot list", cfg->spool);
	else
		till_card_refresh_hotlist(t);
}

enum { OPT_IMPORT_PRODUCTS = 256, OPT_IMPORT_LIST, OPT_AMAP, OPT_AMAP_STATEMENT };

/* One till per journal: an exclusive flock(2) on "<journal>.lock", held (through @p *fd, close
 * on exec) until the process ends, so that two tills never store intents or sequence numbers in
 * one journal.  ssa-admin and ssa-syncd do not take it: they work alongside.  A lock held by a
 * till that is stopping is waited for, 5 s at most.  A lock file that cannot be made (no such
 * directory) locks nothing: the journal cannot be opened either, and the screen says why.
 * @return 0, or -1 with the message on stderr: another till holds the journal. */
static int
lock_journal(const char *journal, int *fd)
{
	char path[PATH_MAX + 8], pid[32] = "";
	ssize_t n;

	*fd = -1;
	if ((size_t)snprintf(path, sizeof(path), "%s.lock", journal) >= sizeof(path))
		return 0;
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		log_warn("%s: %s: the journal is not locked", path, strerror(errno));
		return 0;
	}
	for (int i = 0; flock(*fd, LOCK_EX | LOCK_NB) != 0; i++) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || i == 50) {
			if (errno == EWOULDBLOCK && (n = pread(*fd, pid, sizeof(pid) - 1, 0)) > 0)
				pid[strcspn(pid, "\n")] = '\0';
			fprintf(stderr,
				"ssa-pos: journal %s is in use by another ssa-pos%s%s%s (lock %s): one "
				"till per journal; stop the other till first.\n",
				journal, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "", path);
			close(*fd);
			*fd = -1;
			return -1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
	/* Who holds it, for the message of a till started second. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(*fd, 0) != 0 || pwrite(*fd, pid, (size_t)n, 0) != n)
		log_warn("%s: %s", path, strerror(errno));
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "import-products", required_argument, NULL, OPT_IMPORT_PRODUCTS },
		{ "import-list", no_argument, NULL, OPT_IMPORT_LIST },
		{ "amap", required_argument, NULL, OPT_AMAP },
		{ "amap-statement", required_argument, NULL, OPT_AMAP_STATEMENT },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct till till;
	struct ui ui = { 0 };
	struct pos_config cfg;
	struct config_error cerr = { 0 };
	struct catalog_store *store = NULL;
	struct amap_session amap;
	struct ssa_journal_store *journal = NULL;
	struct journal_signer *signer = NULL;
	struct spool spool = { 0 };
	struct ssa_card_reader reader = { 0 };
	struct pos_reader rd = { 0 };
	struct card_keys keys = { 0 };
	struct till_card_files *files = NULL;
	struct pos_caisses caisses;
	const char *amap_csv = NULL, *amap_month = NULL;
	char path[512];
	const char *config_path = NULL, *products_csv = NULL;
	bool list_import = false;
	enum ssa_err err;
	int opt, rc = 1, lock_fd = -1;

	while ((opt = getopt_long(argc, argv, "c:Vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case OPT_IMPORT_PRODUCTS:
			products_csv = optarg;
			break;
		case OPT_IMPORT_LIST:
			list_import = true;
			break;
		case OPT_AMAP:
			amap_csv = optarg;
			break;
		case OPT_AMAP_STATEMENT:
			amap_month = optarg;
			break;
		case 'V':
			printf("ssa-pos %s\n", SSA_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if ((list_import && argc - optind != 3) || (!list_import && optind != argc)) {
		usage(stderr);
		return 2;
	}
	if (!config_path) {
		config_default_path("ssa-pos", path, sizeof(path));
		config_path = path;
	}
	ui.money_locale = set_language();
	/* The screen is the terminal: messages go to syslog (journald), unless SSA_LOG chooses
	 * (SSA_LOG=stderr with stderr sent to a file, as the tests do). */
	log_init("ssa-pos",
		 (products_csv || list_import || amap_month || getenv("SSA_LOG")) ? 0 : LOG_F_SYSLOG,
		 LOG_LEVEL_INFO);
	if (pos_config_load(config_path, &cfg, &cerr) != SSA_ERR_OK) {
		char msg[600];

		config_error_format(&cerr, msg, sizeof(msg));
		fprintf(stderr, "ssa-pos: %s\n", msg);
		return 1;
	}
	if (amap_month) {
		char msg[8192], dir[4096];

		snprintf(dir, sizeof(dir), "%s/amap", cfg.data_dir);
		rc = amap_month_export(dir, amap_month, msg, sizeof(msg)) == SSA_ERR_OK ? 0 : 1;
		fprintf(rc ? stderr : stdout, "%s%s\n", rc ? "ssa-pos: " : "", msg);
		pos_config_free(&cfg);
		return rc;
	}
	err = catalog_store_open(cfg.catalog, &store);
	if (products_csv || list_import) {
		if (err != SSA_ERR_OK)
			fprintf(stderr, "ssa-pos: %s: %s\n", cfg.catalog, ssa_strerror(err));
		else if (products_csv)
			rc = import_products(store, products_csv, &cfg.vat_rates);
		else
			rc = import_list(store, argv[optind], argv[optind + 1], argv[optind + 2]);
		catalog_store_close(store);
		pos_config_free(&cfg);
		return rc;
	}

	if (lock_journal(cfg.journal, &lock_fd) != 0) {
		catalog_store_close(store);
		pos_config_free(&cfg);
		return 1;
	}
	till_init(&till, local_today());
	till.money_locale = ui.money_locale;
	snprintf(till.establishment, sizeof(till.establishment), "%s", cfg.establishment_id);
	snprintf(till.terminal, sizeof(till.terminal), "%s", cfg.terminal_id);
	till.nomenclature = cfg.barcodes;
	till.status.max_age = cfg.list_max_age * 86400;
	if (err == SSA_ERR_OK) {
		till_set_catalog(&till, catalog_store_port(store), cfg.caisse);
		check_catalog_rates(store, &cfg, &till);
		ui.catalog = store;
	} else {
		till_message(&till, TILL_MSG_ERROR, _("Product list %s cannot be opened: %s."),
			     cfg.catalog, _(ssa_strerror(err)));
	}
	open_journal(&cfg, &till, &journal, &signer);
	open_reader(&cfg, &till, &rd, &reader, &keys);
	if (till.reader)
		ui.reader = &rd;
	open_spool(&cfg, &till, &files);
	pos_caisses_open(&caisses, &cfg, &till, &keys);
	till_recover(&till);
	ui.till = &till;
	ui.amap_by = -1;
	ui.amap_paying = -1;
	ui.caisse = cfg.caisse;
	if (spool_init(&spool, cfg.spool) == SSA_ERR_OK) {
		spool.max_age_default = till.status.max_age; /* a list without max_age */
		ui.spool = &spool;
	}
	ui_status_refresh(&ui, true);
	ui.shop_name = cfg.shop_name;
	ui.shop_address = cfg.shop_address;
	ui.receipt_dir = cfg.receipt_dir;
	ui.data_dir = cfg.data_dir;
	ui.printer = cfg.printer;
	ui.receipt_width = (int)cfg.receipt_width;
	if (amap_csv) {
		char msg[300], dir[512];

		snprintf(dir, sizeof(dir), "%s/amap", cfg.data_dir);
		if (amap_session_open(&amap, amap_csv, dir, msg, sizeof(msg)) != SSA_ERR_OK) {
			fprintf(stderr, "ssa-pos: %s\n", msg);
			goto out;
		}
		ui.amap = &amap;
		if (amap.rep.rows_bad > 0)
			till_message(&till, TILL_MSG_WARN,
				     _("%u row(s) imported, %u bad: F3 lists them."),
				     amap.rep.rows_imported, amap.rep.rows_bad);
		else
			till_message(&till, TILL_MSG_INFO, _("%u row(s) imported, %u change(s) resumed."),
				     amap.rep.rows_imported, amap.replayed);
	}
	err = crt_init(cfg.color && getenv("NO_COLOR") == NULL);
	if (err != SSA_ERR_OK) {
		fprintf(stderr, "ssa-pos: %s\n", ssa_strerror(err));
	} else {
		int sig = ui_run(&ui);

		crt_done();
		rc = sig ? 128 + sig : 0;
	}
	if (ui.amap)
		amap_session_close(ui.amap);
out:
	till_fini(&till);
	pos_caisses_close(&caisses);
	pos_reader_fini(&rd);
	card_keys_wipe(&keys);
	spool_fini(&spool);
	till_card_files_free(files);
	journal_signer_free(signer);
	journal_store_free(journal);
	catalog_store_close(store);
	pos_config_free(&cfg);
	if (lock_fd >= 0)
		close(lock_fd); /* Order matters: the journal is closed before another till may open it */
	return rc;
}
