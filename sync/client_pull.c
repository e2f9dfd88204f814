/* client_pull.c — what the caisse publishes for the till: its convention list (put into the
 * till's catalog database), its signed hot list and its grant batches (left in the spool).
 *
 * Nothing is trusted for coming over mutual TLS: every document is verified with the caisse's
 * document key ([caisse] list_key) and must name this caisse before anything changes.  A
 * document refused (bad signature, another caisse, not newer, garbage, too large) changes
 * nothing, is logged, and is stored as a rejection (seq 0) that the status shows the till.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ssa/catalog_store.h"
#include "ssa/grant.h"
#include "ssa/hotlist.h"
#include "ssa/log.h"
#include "client.h"

#define HOTLIST_FILE "hotlist.txt"

/* Store and log a refused document. */
static enum ssa_err
refuse(struct syncd_state *state, const struct syncd_pull_config *pc, const char *what,
       enum ssa_err why, const struct convention_error *cerr)
{
	char msg[PROTOCOL_MESSAGE_MAX + 1];

	if (cerr && cerr->msg[0] && cerr->line)
		snprintf(msg, sizeof(msg), "%s refused: %s (line %u: %s); the previous one stays",
			 what, ssa_strerror(why), cerr->line, cerr->msg);
	else if (cerr && cerr->msg[0])
		snprintf(msg, sizeof(msg), "%s refused: %s (%s); the previous one stays", what,
			 ssa_strerror(why), cerr->msg);
	else
		snprintf(msg, sizeof(msg), "%s refused: %s; the previous one stays", what,
			 ssa_strerror(why));
	log_err("%s", msg);
	if (syncd_state_reject(state, 0, ssa_errname(why), msg, pc->now_ms) != SSA_ERR_OK)
		return SSA_ERR_DB;
	return why;
}

/* An HTTP status that is not the document: log it with the error body, if any. */
static enum ssa_err
bad_status(const char *what, long status, const char *resp, size_t len)
{
	struct protocol_error perr;
	char why[PROTOCOL_WHY_MAX] = "";

	if (protocol_error_decode(resp, len, &perr, why) == SSA_ERR_OK)
		log_warn("%s: HTTP %ld %s: %s", what, status, perr.name, perr.message);
	else
		log_warn("%s: HTTP %ld", what, status);
	return status >= 500 ? SSA_ERR_NET : SSA_ERR_PROTOCOL;
}

enum ssa_err
syncd_caisse_id(struct syncd_http *h, char caisse[PROTOCOL_ID_MAX + 1])
{
	struct protocol_status st;
	char why[PROTOCOL_WHY_MAX] = "", *resp = NULL;
	size_t len;
	long status;
	enum ssa_err err;

	caisse[0] = '\0';
	if ((err = syncd_http_request(h, "GET", PROTOCOL_PREFIX "/status", NULL, 0, &status, &resp,
				      &len)))
		return err;
	if (status != 200) {
		err = bad_status("status", status, resp, len);
	} else if (protocol_status_decode(resp, len, &st, why) != SSA_ERR_OK ||
		   !protocol_id_valid(st.caisse)) {
		log_warn("status: the caisse's reply is unreadable: %s", why[0] ? why : "caisse id");
		err = SSA_ERR_PROTOCOL;
	} else {
		memcpy(caisse, st.caisse, strlen(st.caisse) + 1);
	}
	free(resp);
	return err;
}

/* Read @p dir/@p name whole (at most @p max bytes): SSA_ERR_NOT_FOUND when absent. */
static enum ssa_err
spool_read(const char *dir, const char *name, size_t max, char **out, size_t *len)
{
	char path[4096];
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd;

	*out = NULL;
	*len = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return SSA_ERR_TOO_LONG;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? SSA_ERR_NOT_FOUND : SSA_ERR_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max ||
	    !(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return SSA_ERR_IO;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return SSA_ERR_OK;
}

/* --- the convention list ------------------------------------------------------------------- */

enum ssa_err
syncd_pull_list(struct syncd_http *h, struct syncd_state *state, const struct syncd_pull_config *pc)
{
	struct catalog_store *cat = NULL;
	struct convention_list *cur = NULL;
	struct convention_error cerr = { 0 };
	char path[160], *resp = NULL;
	uint32_t since = 0, version = 0;
	size_t len;
	long status;
	enum ssa_err err;

	if (!pc->catalog || !*pc->catalog || !pc->pub)
		return SSA_ERR_OK;
	if ((err = catalog_store_open(pc->catalog, &cat))) {
		log_err("catalog %s: %s", pc->catalog,
			cat ? catalog_store_errmsg(cat) : ssa_strerror(err));
		return err;
	}
	err = catalog_store_get_list(cat, pc->caisse, &cur);
	if (err == SSA_ERR_OK)
		since = cur->version;
	else if (err != SSA_ERR_NOT_FOUND)
		goto out;
	snprintf(path, sizeof(path), PROTOCOL_PREFIX "/list?caisse=%s&since=%lu", pc->caisse,
		 (unsigned long)since);
	if ((err = syncd_http_get_text(h, path, &status, &resp, &len)))
		goto out;
	if (status == 204 || status == 404) {
		log_info("convention list: %s (version %lu in force)",
			 status == 204 ? "nothing new" : "the caisse has published none",
			 (unsigned long)since);
		err = syncd_state_meta_set(state, "list_version", since);
		goto out;
	}
	if (status != 200) {
		err = bad_status("convention list", status, resp, len);
		goto out;
	}
	err = catalog_store_put_list(cat, pc->caisse, pc->pub, resp, len, &cerr, &version);
	if (err == SSA_ERR_DB) {
		log_err("catalog %s: %s", pc->catalog, catalog_store_errmsg(cat));
		goto out;
	}
	if (err) {
		err = refuse(state, pc, "convention list", err, &cerr);
		goto out;
	}
	log_info("convention list: version %lu in force (was %lu)", (unsigned long)version,
		 (unsigned long)since);
	err = syncd_state_meta_set(state, "list_version", version);
out:
	convention_list_free(cur);
	catalog_store_close(cat);
	free(resp);
	return err;
}

/* --- the hot list -------------------------------------------------------------------------- */

/* The version of the verified hot list in the spool, 0 when there is none (or it does not
 * verify: then it is replaced by the next one the caisse sends). */
static uint32_t
spool_hotlist_version(const struct syncd_pull_config *pc)
{
	struct hotlist *hl = NULL;
	char *text = NULL;
	size_t len;
	uint32_t v = 0;
	enum ssa_err err = spool_read(pc->spool, HOTLIST_FILE, HOTLIST_MAX_BYTES, &text, &len);

	if (err == SSA_ERR_OK) {
		if (hotlist_load(text, len, pc->pub, pc->caisse, &hl, NULL) == SSA_ERR_OK)
			v = hl->version;
		else
			log_warn("spool %s/%s does not verify: it will be replaced", pc->spool,
				 HOTLIST_FILE);
	} else if (err != SSA_ERR_NOT_FOUND) {
		log_warn("spool %s/%s: %s", pc->spool, HOTLIST_FILE, ssa_strerror(err));
	}
	hotlist_free(hl);
	free(text);
	return v;
}

enum ssa_err
syncd_pull_hotlist(struct syncd_http *h, struct syncd_state *state,
			  const struct syncd_pull_config *pc)
{
	struct hotlist *hl = NULL;
	struct convention_error cerr = { 0 };
	char path[64], *resp = NULL;
	uint32_t since;
	size_t len;
	long status;
	enum ssa_err err;

	if (!pc->pub)
		return SSA_ERR_OK;
	since = spool_hotlist_version(pc);
	snprintf(path, sizeof(path), PROTOCOL_PREFIX "/hotlist?since=%lu", (unsigned long)since);
	if ((err = syncd_http_get_text(h, path, &status, &resp, &len)))
		goto out;
	if (status == 204) {
		err = syncd_state_meta_set(state, "hotlist_version", since);
		goto out;
	}
	if (status != 200) {
		err = bad_status("hot list", status, resp, len);
		goto out;
	}
	if ((err = hotlist_load(resp, len, pc->pub, pc->caisse, &hl, &cerr))) {
		err = refuse(state, pc, "hot list", err, &cerr);
		goto out;
	}
	if (hl->base != 0) {
		err = refuse(state, pc, "hot list (a delta where the full list was asked)",
			     SSA_ERR_HOTLIST_BASE, NULL);
		goto out;
	}
	if (hl->version <= since) {
		err = refuse(state, pc, "hot list", SSA_ERR_HOTLIST_OLDER, NULL);
		goto out;
	}
	if ((err = syncd_spool_prepare(pc->spool)) ||
	    (err = syncd_spool_write(pc->spool, HOTLIST_FILE, resp, len)))
		goto out;
	log_info("hot list: version %lu, %zu cards (was version %lu)", (unsigned long)hl->version,
		 hl->n, (unsigned long)since);
	err = syncd_state_meta_set(state, "hotlist_version", hl->version);
out:
	hotlist_free(hl);
	free(resp);
	return err;
}

/* --- grants -------------------------------------------------------------------------------- */

int32_t
syncd_period_of(int64_t time_ms, int months_ahead)
{
	time_t t = (time_t)(time_ms / 1000);
	struct tm tm;
	int y, m;

	gmtime_r(&t, &tm);
	y = tm.tm_year + 1900;
	m = tm.tm_mon + months_ahead; /* 0-based */
	y += m / 12;
	m %= 12;
	return (int32_t)(y * 100 + m + 1);
}

enum ssa_err
syncd_pull_grants(struct syncd_http *h, struct syncd_state *state,
		  const struct syncd_pull_config *pc, int32_t period)
{
	struct grant_batch *b = NULL;
	struct convention_error cerr = { 0 };
	char path[64], name[32], what[48], *resp = NULL, *old = NULL;
	size_t len, old_len;
	long status;
	enum ssa_err err;

	if (!pc->pub)
		return SSA_ERR_OK;
	snprintf(path, sizeof(path), PROTOCOL_PREFIX "/grants?period=%ld", (long)period);
	snprintf(name, sizeof(name), "grants-%ld.txt", (long)period);
	snprintf(what, sizeof(what), "grant batch %ld", (long)period);
	if ((err = syncd_http_get_text(h, path, &status, &resp, &len)))
		goto out;
	if (status == 404) {
		log_info("%s: none published for this outlet yet", what);
		goto out;
	}
	if (status != 200) {
		err = bad_status(what, status, resp, len);
		goto out;
	}
	if ((err = grant_batch_load(resp, len, pc->pub, pc->caisse, &b, &cerr))) {
		err = refuse(state, pc, what, err, &cerr);
		goto out;
	}
	if (b->period != period) {
		err = refuse(state, pc, what, SSA_ERR_GRANT_PERIOD, NULL);
		goto out;
	}
	if (spool_read(pc->spool, name, GRANT_MAX_BYTES, &old, &old_len) == SSA_ERR_OK &&
	    old_len == len && memcmp(old, resp, len) == 0) {
		log_debug("%s: unchanged", what);
		goto out;
	}
	if ((err = syncd_spool_prepare(pc->spool)) ||
	    (err = syncd_spool_write(pc->spool, name, resp, len)))
		goto out;
	log_info("%s: %zu grants for outlet %s", what, b->n, b->outlet);
out:
	grant_batch_free(b);
	free(old);
	free(resp);
	return err;
}
