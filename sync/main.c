/* ssa-syncd — pushes the terminal's journal to its caisse over HTTPS with mutual TLS.
 *
 * `ssa-syncd --once` runs one sync and exits (under the systemd timer): 0 everything is
 * acknowledged, 75 (EX_TEMPFAIL) the caisse could not be reached (try later), 65 (EX_DATAERR)
 * the caisse refused a record (stored for the till), 1 a local problem.  Without --once it runs
 * as a daemon: a sync every `interval` seconds, after a failure an exponential backoff with
 * jitter.  See ssa-syncd(8) and docs/protocol.md.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ssa/config.h"
#include "ssa/keyfile.h"
#include "ssa/log.h"
#include "client.h"

#define EXIT_DATAERR 65
#define EXIT_TEMPFAIL 75

struct syncd_config {
	char *url, *ca, *cert, *key, *proxy;
	int64_t connect_timeout, timeout, batch;
	char *journal, *state;
	char *spool, *catalog, *list_key;
	int acknowledge; /* ACK_JOURNAL or ACK_STATE */
	int64_t interval, retry_min, retry_max;
	int log_level;
	/* not configuration: the raw document key read from list_key */
	int have_pub;
	uint8_t pub[32];
};

/* Where this daemon keeps which records its caisse acknowledged: in the till's journal (the main
 * caisse's daemon, as ever) or in its own state database (a further caisse's daemon: each
 * caisse gets every record; docs/protocol.md, "Several caisses"). */
enum { ACK_JOURNAL, ACK_STATE };
static const char *const ack_names[] = { "journal", "state", NULL };

static const struct config_key syncd_schema[] = {
	CONFIG_STRING(struct syncd_config, url, "caisse", "url", CONFIG_REQUIRED,
		      "the caisse server, https://host:port"),
	CONFIG_PATH(struct syncd_config, ca, "caisse", "ca", CONFIG_REQUIRED,
		    "the caisse CA (PEM), the only one trusted"),
	CONFIG_PATH(struct syncd_config, cert, "caisse", "cert", CONFIG_REQUIRED,
		    "this terminal's certificate (PEM), issued by the caisse CA"),
	CONFIG_PATH(struct syncd_config, key, "caisse", "key", CONFIG_REQUIRED,
		    "this terminal's TLS private key (PEM)"),
	CONFIG_STRING(struct syncd_config, proxy, "caisse", "proxy", "",
		      "HTTP proxy that tunnels with CONNECT, e.g. http://proxy:3128; empty for none "
		      "(http_proxy, https_proxy and no_proxy of the environment are never used)"),
	CONFIG_INT(struct syncd_config, connect_timeout, "caisse", "connect_timeout", 1, 600, "15",
		   "seconds to connect"),
	CONFIG_INT(struct syncd_config, timeout, "caisse", "timeout", 1, 86400, "600",
		   "seconds for one request"),
	CONFIG_INT(struct syncd_config, batch, "caisse", "batch", 1, PROTOCOL_PUSH_MAX_RECORDS,
		   "500", "records per request"),
	CONFIG_STRING(struct syncd_config, list_key, "caisse", "list_key", "",
		      "the caisse's public document key (PEM) that signs its lists, hot list and "
		      "grants; empty: none of them is pulled"),
	CONFIG_PATH(struct syncd_config, spool, "till", "spool", "/var/lib/ssa-pos/spool",
		    "the directory of the files left for the till (status, hot list, grants)"),
	CONFIG_STRING(struct syncd_config, catalog, "till", "catalog", "",
		      "the till's catalog database, where the caisse's convention list is put; "
		      "empty: the list is not pulled"),
	CONFIG_PATH(struct syncd_config, journal, "journal", "database", CONFIG_REQUIRED,
		    "the till's journal database"),
	CONFIG_ENUM(struct syncd_config, acknowledge, "journal", "acknowledge", ack_names,
		    "journal",
		    "where the caisse's acknowledgements are kept: journal (the till's main "
		    "caisse) or state (a further caisse of the till, [caisse.<id>] of ssa-pos.ini)"),
	CONFIG_PATH(struct syncd_config, state, "state", "database", CONFIG_REQUIRED,
		    "ssa-syncd's own database (the caisse's rejections)"),
	CONFIG_INT(struct syncd_config, interval, "daemon", "interval", 1, 86400 * 7, "900",
		   "seconds between syncs"),
	CONFIG_INT(struct syncd_config, retry_min, "daemon", "retry_min", 1, 86400, "10",
		   "first wait after a failure, seconds (doubled each time)"),
	CONFIG_INT(struct syncd_config, retry_max, "daemon", "retry_max", 1, 86400 * 7, "3600",
		   "longest wait after failures, seconds"),
	CONFIG_ENUM(struct syncd_config, log_level, "log", "level", log_level_names, "info",
		    "error, warning, info or debug"),
	CONFIG_END,
};

static uint32_t
os_random(void *cls)
{
	uint32_t r = 0;

	(void)cls;
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint32_t)time(NULL) * 2654435761u;
	return r;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Leave <spool>/status for the till: what this run did and what the state database holds.  A
 * failure is logged and changes nothing else (the till then shows the previous status). */
static void
write_status(const struct syncd_config *cfg, struct syncd_state *state, struct syncd_http *h,
	     unsigned long replies_before, int64_t started_ms, int status,
	     const struct syncd_stats *stats, int pushed, int complete)
{
	struct syncd_status st = { 0 };
	int64_t v;
	char *text = NULL;
	size_t len;

	st.last_attempt = started_ms / 1000;
	st.online = syncd_http_replies(h) > replies_before;
	if (status == 0 && syncd_state_meta_set(state, "last_success", st.last_attempt))
		return;
	if (pushed && syncd_state_meta_set(state, "acked", (int64_t)stats->acked))
		return;
	if (syncd_state_meta_get(state, "last_success", &st.last_success) ||
	    syncd_state_meta_get(state, "acked", &v))
		return;
	st.acked = (uint64_t)v;
	if (syncd_state_meta_get(state, "list_version", &v))
		return;
	st.list_version = (uint64_t)v;
	if (syncd_state_meta_get(state, "hotlist_version", &v))
		return;
	st.hotlist_version = (uint64_t)v;
	if (syncd_state_expire(state, started_ms, complete, st.acked, now_ms()) ||
	    syncd_state_recent(state, &st))
		return;
	if (syncd_spool_prepare(cfg->spool) || syncd_status_format(&st, &text, &len))
		goto out;
	if (syncd_spool_write(cfg->spool, "status", text, len) == SSA_ERR_OK)
		log_debug("status written to %s/status", cfg->spool);
out:
	free(text);
}

/* A document of the caisse refused (changes nothing, stored as a rejection). */
static int
is_refusal(enum ssa_err err)
{
	switch (err) {
	case SSA_ERR_LIST_SIGNATURE:
	case SSA_ERR_LIST_FORMAT:
	case SSA_ERR_LIST_OLDER:
	case SSA_ERR_LIST_BASE:
	case SSA_ERR_LIST_CAISSE:
	case SSA_ERR_HOTLIST_FORMAT:
	case SSA_ERR_HOTLIST_SIGNATURE:
	case SSA_ERR_HOTLIST_OLDER:
	case SSA_ERR_HOTLIST_BASE:
	case SSA_ERR_HOTLIST_CAISSE:
	case SSA_ERR_GRANT_FORMAT:
	case SSA_ERR_GRANT_SIGNATURE:
	case SSA_ERR_GRANT_CAISSE:
	case SSA_ERR_GRANT_PERIOD:
		return 1;
	default:
		return 0;
	}
}

static int
unreachable(enum ssa_err err)
{
	return err == SSA_ERR_NET || err == SSA_ERR_TLS;
}

/* The pulls after the push: the signed documents when the caisse's document key is known (each
 * one whatever the others did, unless the caisse is unreachable), else today's JSON hot list.
 * Returns the first error. */
static enum ssa_err
pull_all(const struct syncd_config *cfg, struct syncd_http *h, struct syncd_state *state,
	 int64_t now)
{
	char caisse[PROTOCOL_ID_MAX + 1];
	struct syncd_pull_config pc = { cfg->spool, cfg->catalog, cfg->pub, caisse, now };
	enum ssa_err err = SSA_ERR_OK, e;

	if (!cfg->have_pub) {
		log_info("no [caisse] list_key: the convention list, the hot list and the grants are "
			 "not pulled");
		return SSA_ERR_OK;
	}
	if ((err = syncd_caisse_id(h, caisse)))
		return err;
	e = syncd_pull_list(h, state, &pc);
	if (unreachable(e))
		return e;
	err = e;
	e = syncd_pull_hotlist(h, state, &pc);
	if (unreachable(e))
		return e;
	if (!err)
		err = e;
	for (int ahead = 0; ahead <= 1; ahead++) {
		e = syncd_pull_grants(h, state, &pc, syncd_period_of(now, ahead));
		if (unreachable(e))
			return e;
		if (!err)
			err = e;
	}
	return err;
}

/* The journal as a further caisse's daemon pushes it ([journal] acknowledge = state): the till's
 * records, every one of them, but the records this caisse acknowledged are kept in the daemon's
 * own state database: the journal's own acknowledgement is the main caisse's daemon's, and one
 * caisse's acknowledgement must not stop the records going to another. */
struct state_acked {
	struct ssa_journal_store *journal;
	struct syncd_state *state;
};

#define STATE_ACKED_KEY "journal_acked"

static enum ssa_err
sa_last(void *cls, uint64_t *seq, uint8_t hash[JOURNAL_HASH_LEN])
{
	struct state_acked *sa = cls;

	return journal_store_last(sa->journal, seq, hash);
}

static enum ssa_err
sa_scan(void *cls, uint64_t from_seq, journal_scan_fn *fn, void *ctx)
{
	struct state_acked *sa = cls;

	return journal_store_scan(sa->journal, from_seq, fn, ctx);
}

static enum ssa_err
sa_acked(void *cls, uint64_t *seq)
{
	struct state_acked *sa = cls;
	int64_t v = 0;
	enum ssa_err err = syncd_state_meta_get(sa->state, STATE_ACKED_KEY, &v);

	*seq = err == SSA_ERR_OK && v > 0 ? (uint64_t)v : 0;
	return err;
}

static enum ssa_err
sa_ack(void *cls, uint64_t seq)
{
	struct state_acked *sa = cls;
	uint64_t now = 0;
	enum ssa_err err;

	/* never backwards, as the journal's own */
	if ((err = sa_acked(cls, &now)) || seq <= now)
		return err;
	return syncd_state_meta_set(sa->state, STATE_ACKED_KEY, (int64_t)seq);
}

/* One sync: open the journal and the state, push, pull, write the status, close.  Returns the
 * exit status of --once. */
static int
sync_once(const struct syncd_config *cfg, struct syncd_http *h)
{
	struct ssa_journal_store *journal = NULL;
	struct syncd_state *state = NULL;
	struct syncd_stats stats = { 0 };
	unsigned long replies_before = syncd_http_replies(h);
	int64_t started = now_ms();
	char why[256] = "";
	enum ssa_err err;
	int status = 1, pushed = 0, pulled = 0;

	if (syncd_state_open(cfg->state, &state))
		goto out;
	if ((err = journal_sqlite_open(cfg->journal, &journal, why, sizeof(why)))) {
		log_err("journal %s: %s", cfg->journal, why[0] ? why : ssa_strerror(err));
		goto out;
	}
	if (cfg->acknowledge == ACK_STATE) {
		struct state_acked sa = { journal, state };
		struct ssa_journal_store view = { .cls = &sa, .last = sa_last, .scan = sa_scan,
						  .ack = sa_ack, .acked = sa_acked };

		err = syncd_push_all(h, &view, state, (size_t)cfg->batch, started, &stats);
	} else {
		err = syncd_push_all(h, journal, state, (size_t)cfg->batch, started, &stats);
	}
	pushed = err != SSA_ERR_DB && err != SSA_ERR_NOMEM;
	/* the documents come down whatever the push did, unless the caisse is unreachable */
	if (!unreachable(err) && err != SSA_ERR_DB && err != SSA_ERR_NOMEM) {
		enum ssa_err e2 = pull_all(cfg, h, state, started);

		/* every document was asked for (a refusal is an answer) */
		pulled = !unreachable(e2) && e2 != SSA_ERR_PROTOCOL && e2 != SSA_ERR_DB &&
			 e2 != SSA_ERR_NOMEM;
		if (e2 && (!err || unreachable(e2)))
			err = e2;
	}
	if (is_refusal(err)) {
		log_err("a document of the caisse was refused (%s); the refusal is stored for the "
			"till",
			ssa_strerror(err));
		status = EXIT_DATAERR;
		goto out;
	}
	switch (err) {
	case SSA_ERR_OK:
		log_info("sync done: %llu batches, %llu records sent (%llu new at the caisse, %llu "
			 "already there), acknowledged up to %llu",
			 (unsigned long long)stats.batches, (unsigned long long)stats.sent,
			 (unsigned long long)stats.stored, (unsigned long long)stats.duplicates,
			 (unsigned long long)stats.acked);
		status = 0;
		break;
	case SSA_ERR_REJECTED:
	case SSA_ERR_CONFLICT:
		log_err("the caisse refused a record (%s); acknowledged up to %llu; the refusal is "
			"stored for the till",
			ssa_strerror(err), (unsigned long long)stats.acked);
		status = EXIT_DATAERR;
		break;
	case SSA_ERR_NET:
	case SSA_ERR_TLS:
	case SSA_ERR_PROTOCOL:
		log_warn("sync incomplete (%s); acknowledged up to %llu", ssa_strerror(err),
			 (unsigned long long)stats.acked);
		status = EXIT_TEMPFAIL;
		break;
	default:
		log_err("sync failed: %s", ssa_strerror(err));
	}
out:
	if (state)
		write_status(cfg, state, h, replies_before, started, status, &stats, pushed,
			     pulled && (status == 0 || status == EXIT_DATAERR));
	syncd_state_close(state);
	journal_store_free(journal);
	return status;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: ssa-syncd [-c FILE] [--once] [-f] [-V]\n"
		   "  -c FILE   configuration (default /etc/ssa-pos/ssa-syncd.ini)\n"
		   "  --once    one sync, then exit (0 done, 75 try later, 65 refused, 1 error)\n"
		   "  -f        log to stderr\n"
		   "  -V        print the version\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = { { "once", no_argument, NULL, 'o' },
						  { "help", no_argument, NULL, 'h' },
						  { NULL, 0, NULL, 0 } };
	struct syncd_config cfg = { 0 };
	struct config_error cerr;
	struct syncd_http_config hc;
	struct syncd_http *h = NULL;
	struct syncd_rng rng = { os_random, NULL };
	const char *config_path = NULL;
	char path[512];
	unsigned log_flags = 0, failures = 0;
	int opt, once = 0, status = 1;
	sigset_t sigs;

	while ((opt = getopt_long(argc, argv, "c:fVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'o':
			once = 1;
			break;
		case 'f':
			log_flags |= LOG_F_STDERR;
			break;
		case 'V':
			printf("ssa-syncd %s\n", SSA_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("ssa-syncd", log_flags, LOG_LEVEL_INFO);
	if (!config_path) {
		config_default_path("ssa-syncd", path, sizeof(path));
		config_path = path;
	}
	if (config_load_file(syncd_schema, config_path, &cfg, &cerr) != SSA_ERR_OK) {
		char msg[600];

		config_error_format(&cerr, msg, sizeof(msg));
		log_err("%s", msg);
		return 1;
	}
	log_set_level((enum log_level)cfg.log_level);
	if (strncmp(cfg.url, "https://", 8) != 0) {
		log_err("%s: [caisse] url must start with https://", config_path);
		goto out;
	}
	/* an HTTP proxy only: libcurl would take socks5:// or https:// too, but an https proxy
	 * would need a trust store of its own, and a scheme-less value is easy to get wrong */
	if (cfg.proxy && *cfg.proxy &&
	    (strncmp(cfg.proxy, "http://", 7) != 0 || !cfg.proxy[7] || strpbrk(cfg.proxy, " \t"))) {
		log_err("%s: [caisse] proxy must be an HTTP proxy, http://host:port (it tunnels the "
			"TLS connection with CONNECT), or empty for none",
			config_path);
		goto out;
	}
	if (cfg.list_key && *cfg.list_key) {
		char why[300] = "";

		if (keyfile_load_public(cfg.list_key, cfg.pub, why, sizeof(why)) != SSA_ERR_OK) {
			log_err("%s: [caisse] list_key: %s", config_path, why);
			goto out;
		}
		cfg.have_pub = 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("libcurl cannot start");
		goto out;
	}
	hc = (struct syncd_http_config){ .url = cfg.url, .ca = cfg.ca, .cert = cfg.cert,
					 .key = cfg.key, .proxy = cfg.proxy,
					 .connect_timeout = (long)cfg.connect_timeout,
					 .timeout = (long)cfg.timeout };
	if (syncd_http_new(&hc, &h) != SSA_ERR_OK)
		goto out;
	if (once) {
		status = sync_once(&cfg, h);
		goto out;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	log_info("daemon: a sync every %lld s", (long long)cfg.interval);
	for (;;) {
		struct timespec ts = { 0 };
		int st = sync_once(&cfg, h);
		uint64_t wait;
		int sig;

		if (st == 0 || st == EXIT_DATAERR) {
			failures = 0;
			wait = (uint64_t)cfg.interval;
		} else {
			failures++;
			wait = syncd_backoff((uint64_t)cfg.retry_min, (uint64_t)cfg.retry_max,
					     failures, &rng);
			log_info("next try in %llu s (failure %u)", (unsigned long long)wait,
				 failures);
		}
		ts.tv_sec = (time_t)wait;
		sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig > 0) {
			log_info("signal %d: stopping", sig);
			status = 0;
			break;
		}
		if (errno != EAGAIN && errno != EINTR) {
			log_err("sigtimedwait: %s", strerror(errno));
			break;
		}
	}
out:
	syncd_http_free(h);
	curl_global_cleanup();
	config_free(syncd_schema, &cfg);
	return status;
}
