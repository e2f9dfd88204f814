/* ssa-caissed — the reference caisse server: HTTPS with mutual TLS (libmicrohttpd, GnuTLS),
 * SQLite storage.  See docs/protocol.md and ssa-caissed(8).
 *
 * A pool of internal threads ([http] threads) serves the connections; each thread has its own
 * store connection (pool.c), so several terminals are served at once.  The main thread only
 * waits for SIGTERM/SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssa/config.h"
#include "ssa/log.h"
#include "ssa/money.h"
#include "server.h"

struct caissed_config {
	char *caisse_id;
	char *listen;
	int64_t port;
	char *port_file;
	char *cert;
	char *key;
	char *ca;
	int64_t timeout;
	int64_t max_connections;
	int64_t threads;
	char *database;
	int log_level;
};

static const struct config_key caissed_schema[] = {
	CONFIG_STRING(struct caissed_config, caisse_id, "caisse", "id", CONFIG_REQUIRED,
		      "this caisse's id ([A-Za-z0-9._-], at most 32)"),
	CONFIG_STRING(struct caissed_config, listen, "http", "listen", "127.0.0.1",
		      "IPv4 or IPv6 address to listen on"),
	CONFIG_INT(struct caissed_config, port, "http", "port", 0, 65535, "8443",
		   "TCP port; 0 picks a free one (see port_file)"),
	CONFIG_PATH(struct caissed_config, port_file, "http", "port_file", NULL,
		    "file to write the port listened on, once listening"),
	CONFIG_PATH(struct caissed_config, cert, "http", "cert", CONFIG_REQUIRED,
		    "the server's certificate (PEM), issued by the caisse CA"),
	CONFIG_PATH(struct caissed_config, key, "http", "key", CONFIG_REQUIRED,
		    "the server's private key (PEM)"),
	CONFIG_PATH(struct caissed_config, ca, "http", "ca", CONFIG_REQUIRED,
		    "the caisse CA (PEM): client certificates must be issued by it"),
	CONFIG_INT(struct caissed_config, timeout, "http", "timeout", 1, 3600, "60",
		   "seconds of inactivity before a connection is closed"),
	CONFIG_INT(struct caissed_config, max_connections, "http", "max_connections", 1, 10000,
		   "64", "connections served at once"),
	CONFIG_INT(struct caissed_config, threads, "http", "threads", 1, 64, "4",
		   "threads serving connections, each with its own database connection"),
	CONFIG_PATH(struct caissed_config, database, "store", "database", CONFIG_REQUIRED,
		    "the caisse's SQLite database"),
	CONFIG_ENUM(struct caissed_config, log_level, "log", "level", log_level_names, "info",
		    "error, warning, info or debug"),
	CONFIG_END,
};

/* Read a whole (small) PEM file, NUL-terminated. */
static enum ssa_err
read_pem(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;
	long size;

	*out = NULL;
	if (!f) {
		log_err("cannot open %s: %s", path, strerror(errno));
		return SSA_ERR_IO;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || size > 1024 * 1024 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		log_err("cannot read %s (or larger than 1 MiB)", path);
		fclose(f);
		return SSA_ERR_IO;
	}
	buf = malloc((size_t)size + 1);
	if (!buf) {
		fclose(f);
		return SSA_ERR_NOMEM;
	}
	n = fread(buf, 1, (size_t)size, f);
	fclose(f);
	if (n != (size_t)size) {
		log_err("cannot read %s", path);
		free(buf);
		return SSA_ERR_IO;
	}
	buf[n] = '\0';
	*out = buf;
	return SSA_ERR_OK;
}

/* Write the port to @p path: temp file, fsync, rename (readers never see half a number). */
static enum ssa_err
write_port_file(const char *path, unsigned port)
{
	char tmp[4096];
	char line[16];
	int fd, n;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return SSA_ERR_TOO_LONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	n = snprintf(line, sizeof(line), "%u\n", port);
	if (write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
		close(fd);
		goto fail;
	}
	close(fd);
	if (rename(tmp, path) != 0)
		goto fail;
	return SSA_ERR_OK;
fail:
	log_err("cannot write %s: %s", path, strerror(errno));
	return SSA_ERR_IO;
}

/* The TLS policy (GnuTLS priority string; ssa-syncd's is the same, sync/client_http.c): TLS 1.3
 * and 1.2 only (GnuTLS's NORMAL on Debian 12 still has 1.1 and 1.0), and under TLS 1.2 only
 * ECDHE key exchange (forward secrecy) with AEAD ciphers: no CBC, no RSA key transport, no
 * SHA-1 MAC.  TLS 1.3 is preferred: GnuTLS picks the highest version both sides have. */
#define CAISSED_TLS_PRIORITIES                                                                  \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:" \
	"+AES-128-GCM:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vmsg(LOG_LEVEL_WARN, fmt, ap);
}

static enum ssa_err
print_anomaly(void *ctx, const char *card, const char *terminal, uint64_t seq, int64_t expected,
	      int64_t found, int64_t time_ms)
{
	char e[32], f[32];

	(void)ctx;
	money_format_plain(expected, e, sizeof(e));
	money_format_plain(found, f, sizeof(f));
	printf("%s,%s,%llu,%s,%s,%lld\r\n", card, terminal, (unsigned long long)seq, e, f,
	       (long long)time_ms);
	return SSA_ERR_OK;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: ssa-caissed [-c FILE] [-f] [-a | -b CARD [-r REASON]] [-V]\n"
		   "  -c FILE  configuration (default /etc/ssa-pos/ssa-caissed.ini)\n"
		   "  -a       print the card anomalies found at reconciliation (CSV) and exit\n"
		   "  -b CARD  hot-list CARD (with -r REASON), print the hot list's version, exit\n"
		   "  -f       log to stderr (foreground)\n"
		   "  -V       print the version\n");
}

int
main(int argc, char **argv)
{
	struct caissed_config cfg = { 0 };
	struct config_error cerr;
	struct caisse_server srv = { .slots_lock = PTHREAD_MUTEX_INITIALIZER };
	char path[512];
	const char *config_path = NULL;
	char *cert = NULL, *key = NULL, *ca = NULL;
	struct sockaddr_in sin = { 0 };
	struct sockaddr_in6 sin6 = { 0 };
	struct sockaddr *sa;
	unsigned flags = MHD_USE_TLS | MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	unsigned log_flags = 0;
	sigset_t sigs;
	int opt, sig, status = 1, anomalies = 0;
	const char *block = NULL, *reason = "";

	while ((opt = getopt(argc, argv, "c:fab:r:Vh")) != -1) {
		switch (opt) {
		case 'b':
			block = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'a':
			anomalies = 1;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			log_flags |= LOG_F_STDERR;
			break;
		case 'V':
			printf("ssa-caissed %s\n", SSA_VERSION);
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
	if (block || anomalies)
		log_flags |= LOG_F_STDERR; /* a command run by a person: answer on the terminal */
	log_init("ssa-caissed", log_flags, LOG_LEVEL_INFO);
	if (!config_path) {
		config_default_path("ssa-caissed", path, sizeof(path));
		config_path = path;
	}
	if (config_load_file(caissed_schema, config_path, &cfg, &cerr) != SSA_ERR_OK) {
		char msg[600];

		config_error_format(&cerr, msg, sizeof(msg));
		log_err("%s", msg);
		return 1;
	}
	log_set_level((enum log_level)cfg.log_level);
	if (!protocol_id_valid(cfg.caisse_id)) {
		log_err("%s: [caisse] id '%s' is not a valid id ([A-Za-z0-9._-], at most 32)",
			config_path, cfg.caisse_id);
		goto out;
	}
	snprintf(srv.caisse, sizeof(srv.caisse), "%s", cfg.caisse_id);
	srv.db_path = cfg.database;
	if (inet_pton(AF_INET, cfg.listen, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)cfg.port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, cfg.listen, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)cfg.port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		log_err("%s: [http] listen '%s' is not an IPv4 or IPv6 address", config_path,
			cfg.listen);
		goto out;
	}
	if (block) {
		struct protocol_hotlist check = { 0 };
		uint64_t version;
		enum ssa_err e;

		/* the same rules as what travels to the terminals */
		if (protocol_hotlist_add(&check, block, 1, reason) != SSA_ERR_OK) {
			log_err("'%s': a card id is 1 to %d printable characters without blanks, "
				"commas or quotes, and a reason at most %d bytes",
				block, PROTOCOL_CARD_MAX, PROTOCOL_REASON_MAX);
			protocol_hotlist_fini(&check);
			goto out;
		}
		protocol_hotlist_fini(&check);
		if (caisse_store_sqlite_open(cfg.database, &srv.store) != SSA_ERR_OK)
			goto out;
		e = srv.store.hotlist_add(srv.store.cls, block, reason, caisse_now_ms(), &version);
		if (e == SSA_ERR_OK || e == SSA_ERR_EXISTS) {
			printf("%s %s in hot list version %llu\n", block,
			       e == SSA_ERR_OK ? "added" : "already", (unsigned long long)version);
			status = 0;
		}
		goto out;
	}
	if (anomalies) {
		if (caisse_store_sqlite_open(cfg.database, &srv.store) != SSA_ERR_OK)
			goto out;
		printf("card,terminal,seq,ledger_balance,record_balance_before,time_ms\r\n");
		if (srv.store.anomaly_scan(srv.store.cls, print_anomaly, NULL) == SSA_ERR_OK &&
		    fflush(stdout) == 0)
			status = 0;
		goto out;
	}
	if (read_pem(cfg.cert, &cert) || read_pem(cfg.key, &key) || read_pem(cfg.ca, &ca))
		goto out;
	if (caisse_store_sqlite_open(cfg.database, &srv.store) != SSA_ERR_OK)
		goto out;
	/* Order matters: block the signals before MHD starts its thread, which inherits the mask,
	 * so that only sigwait() below receives them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	srv.daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, caisse_http_handler, &srv, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_logger, NULL, MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
		MHD_OPTION_HTTPS_MEM_TRUST, ca, MHD_OPTION_HTTPS_PRIORITIES, CAISSED_TLS_PRIORITIES,
		MHD_OPTION_NOTIFY_COMPLETED, caisse_http_completed,
		&srv, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg.timeout,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg.max_connections,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg.threads,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(1024 * 1024), MHD_OPTION_END);
	if (!srv.daemon) {
		log_err("cannot listen on %s port %lld (TLS files or address in use?)", cfg.listen,
			(long long)cfg.port);
		goto out;
	}
	di = MHD_get_daemon_info(srv.daemon, MHD_DAEMON_INFO_BIND_PORT);
	log_info("caisse %s listening on %s port %u", srv.caisse, cfg.listen,
		 di ? (unsigned)di->port : 0u);
	if (cfg.port_file && (!di || write_port_file(cfg.port_file, di->port)))
		goto out;
	if (sigwait(&sigs, &sig) == 0)
		log_info("signal %d: stopping", sig);
	status = 0;
out:
	if (srv.daemon)
		MHD_stop_daemon(srv.daemon);
	caisse_thread_stores_close(&srv); /* Order matters: the threads are gone */
	if (srv.store.close)
		srv.store.close(srv.store.cls);
	free(cert);
	if (key) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
	free(ca);
	config_free(caissed_schema, &cfg);
	return status;
}
