/* client_spool.c — the spool: the files ssa-syncd leaves for the till (PLAN.md, docs/protocol.md).
 *
 * Every file is written whole under a temporary name in the spool directory, fsynced, renamed
 * over the old one, and the directory fsynced: the till sees the old file or the new one, never
 * a half file, even after a crash or a power cut.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssa/crash.h"
#include "ssa/log.h"
#include "ssa/strbuf.h"
#include "client.h"

static int
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A name of the spool: no slash, no leading dot (the temporary files), printable. */
static int
spool_name_ok(const char *name)
{
	if (!*name || *name == '.' || strlen(name) > 64)
		return 0;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p <= ' ' || *p > '~')
			return 0;
	return 1;
}

enum ssa_err
syncd_spool_prepare(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		log_err("spool %s: cannot create it: %s", dir, strerror(errno));
		return SSA_ERR_IO;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_err("spool %s: not a directory", dir);
		return SSA_ERR_IO;
	}
	return SSA_ERR_OK;
}

enum ssa_err
syncd_spool_write(const char *dir, const char *name, const char *data, size_t len)
{
	char tmp[4096], path[4096];
	enum ssa_err err = SSA_ERR_IO;
	int fd = -1, dfd = -1;

	if (!spool_name_ok(name))
		return SSA_ERR_INVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.tmp", dir, name, (long)getpid()) >=
		    sizeof(tmp))
		return SSA_ERR_TOO_LONG;
	/* Order matters: the data is on disk (fsync) before the name points at it (rename), and
	 * the rename is on disk (fsync of the directory) before we say it is done. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		log_err("spool %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		log_err("spool %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	crash_step("sync: spool file written, before rename");
	if (rename(tmp, path) != 0) {
		log_err("spool %s: %s", path, strerror(errno));
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		log_err("spool %s: %s", dir, strerror(errno));
		goto out;
	}
	err = SSA_ERR_OK;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (err)
		unlink(tmp);
	return err;
}

/* A message on one line of printable text: control bytes become blanks. */
static void
one_line(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; *src && i + 1 < size; src++)
		dst[i++] = (unsigned char)*src < ' ' || *src == 0x7f ? ' ' : *src;
	dst[i] = '\0';
}

/* A word: blanks become underscores. */
static void
no_blank(char *w)
{
	for (; *w; w++)
		if (*w == ' ')
			*w = '_';
}

enum ssa_err
syncd_status_format(const struct syncd_status *s, char **out, size_t *len)
{
	struct strbuf b = { 0 };

	*out = NULL;
	*len = 0;
	strbuf_printf(&b,
		      "last_attempt=%lld\nlast_success=%lld\nonline=%d\nacked=%llu\n"
		      "list_version=%llu\nhotlist_version=%llu\nrejections=%llu\n",
		      (long long)s->last_attempt, (long long)s->last_success, s->online ? 1 : 0,
		      (unsigned long long)s->acked, (unsigned long long)s->list_version,
		      (unsigned long long)s->hotlist_version, (unsigned long long)s->rejections);
	for (size_t i = 0; i < s->n && i < SYNCD_STATUS_REJECTIONS_MAX; i++) {
		char word[PROTOCOL_NAME_MAX + 1], msg[PROTOCOL_MESSAGE_MAX + 1];

		one_line(word, sizeof(word), s->rej[i].error);
		no_blank(word);
		one_line(msg, sizeof(msg), s->rej[i].message);
		strbuf_printf(&b, "rejection=%llu %s %s\n", (unsigned long long)s->rej[i].seq,
			      word[0] ? word : "UNKNOWN", msg);
	}
	/* After the rejections, so that a till that does not know them skips these keys. */
	strbuf_printf(&b, "anomalies=%llu\n", (unsigned long long)s->anomalies);
	for (size_t i = 0; i < s->n_anomalies && i < SYNCD_STATUS_ANOMALIES_MAX; i++) {
		const struct protocol_anomaly *a = &s->anom[i];
		char card[PROTOCOL_CARD_MAX + 1], term[PROTOCOL_ID_MAX + 1], kind[PROTOCOL_NAME_MAX + 1];

		/* the protocol's ids have no blank; the state database is ours but is a file */
		one_line(card, sizeof(card), a->card);
		one_line(term, sizeof(term), a->terminal);
		one_line(kind, sizeof(kind), a->kind);
		no_blank(card);
		no_blank(term);
		no_blank(kind);
		strbuf_printf(&b, "anomaly=%s %s %llu %s %lld %lld %lld\n", card[0] ? card : "-",
			      term[0] ? term : "-", (unsigned long long)a->seq,
			      kind[0] ? kind : "UNKNOWN", (long long)a->ledger_balance,
			      (long long)a->record_balance, (long long)(a->time_ms / 1000));
	}
	return strbuf_finish(&b, out, len);
}
