/* amap_session.c — an AMAP distribution with a crash-safe log of check-ins. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssa/log.h"

#include "amap_session.h"
#include "receipt.h"

/* Log lines: "v1 <TAB> household id <TAB> status <TAB> time <TAB> collected by <LF>". */
#define LOG_TAG "v1"

static char *
path_join(const char *dir, const char *base, const char *suffix)
{
	size_t n = strlen(dir) + strlen(base) + strlen(suffix) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s%s", dir, base, suffix);
	return p;
}

/* The distribution's name for its files: the CSV's base name without extension, with anything
 * but [A-Za-z0-9._-] made '_'. */
static void
base_name(const char *path, char *out, size_t size)
{
	const char *b = strrchr(path, '/');
	size_t n = 0;

	b = b ? b + 1 : path;
	for (; *b && n + 1 < size; b++) {
		char c = *b;

		if (c == '.' && strchr(b + 1, '.') == NULL)
			break;
		out[n++] = (char)((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
				  ? c
				  : '_');
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, size, "distribution");
}

static const char *const status_names[] = {
#define AMAP_NAME_(n, en, fr) #n,
	AMAP_STATUS_LIST(AMAP_NAME_)
#undef AMAP_NAME_
};

static int
status_parse(const char *s)
{
	for (int i = 0; i < AMAP__STATUS_COUNT; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

static size_t
find_id(const struct amap_distribution *d, const char *id)
{
	for (size_t i = 0; i < d->n_household; i++)
		if (strcmp(d->household[i].id, id) == 0)
			return i;
	return (size_t)-1;
}

char *
amap_file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (64L << 20) &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* Replay the log: a line that does not parse (a torn last line after a crash) is skipped. */
static void
replay(struct amap_session *s)
{
	size_t len = 0;
	char *text = amap_file_read(s->log_path, &len), *line, *save = NULL;

	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[5], *p = line;
		int n = 0, st;
		size_t h;

		while (n < 5) {
			f[n++] = p;
			p = strchr(p, '\t');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (n != 5 || strcmp(f[0], LOG_TAG) != 0 || (st = status_parse(f[2])) < 0)
			continue;
		if ((h = find_id(&s->d, f[1])) == (size_t)-1)
			continue;
		if (amap_set_status(&s->d, h, (enum amap_status)st, strtoll(f[3], NULL, 10),
				    st == AMAP_COLLECTED && f[4][0] ? f[4] : NULL) == SSA_ERR_OK)
			s->replayed++;
	}
	free(text);
}

enum ssa_err
amap_session_open(struct amap_session *s, const char *csv_path, const char *dir, char *msg,
		  size_t msg_size)
{
	char base[128];
	size_t len = 0;
	char *text;
	enum ssa_err err;

	memset(s, 0, sizeof(*s));
	if ((text = amap_file_read(csv_path, &len)) == NULL) {
		snprintf(msg, msg_size, "%s: %s", csv_path, strerror(errno ? errno : EIO));
		return SSA_ERR_IO;
	}
	err = amap_import(text, len, &s->d, &s->rep);
	free(text);
	if (err != SSA_ERR_OK) {
		snprintf(msg, msg_size, "%s: %s", csv_path, ssa_strerror(err));
		amap_session_close(s);
		return err;
	}
	/* Every bad row to the log too: the screen shows them, the log keeps them. */
	for (size_t i = 0; i < s->rep.n_bad; i++)
		log_warn("%s:%u: row left out: %s", csv_path, s->rep.bad[i].line, s->rep.bad[i].msg);
	if (s->rep.rows_bad > s->rep.n_bad)
		log_warn("%s: %u more bad rows, not listed", csv_path,
			 s->rep.rows_bad - (unsigned)s->rep.n_bad);
	if (s->rep.rows_bad)
		log_warn("%s: %u row(s) imported, %u bad", csv_path, s->rep.rows_imported,
			 s->rep.rows_bad);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(msg, msg_size, "%s: %s", dir, strerror(errno));
		amap_session_close(s);
		return SSA_ERR_IO;
	}
	base_name(csv_path, base, sizeof(base));
	s->log_path = path_join(dir, base, ".log");
	s->results_path = path_join(dir, base, "-results.csv");
	s->sheet_path = path_join(dir, base, "-sheet.txt");
	s->statement_path = path_join(dir, base, "-statement.csv");
	s->left_path = path_join(dir, base, "-uncollected.txt");
	if (!s->log_path || !s->results_path || !s->sheet_path || !s->statement_path ||
	    !s->left_path) {
		amap_session_close(s);
		return SSA_ERR_NOMEM;
	}
	replay(s);
	return SSA_ERR_OK;
}

/* Copy @p in into @p out with tabs and line breaks made spaces (they separate log fields). */
static void
field(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; in && *in && n + 1 < size; in++)
		out[n++] = (*in == '\t' || *in == '\n' || *in == '\r') ? ' ' : *in;
	out[n] = '\0';
}

enum ssa_err
amap_session_set(struct amap_session *s, size_t h, enum amap_status status, int64_t now,
		 const char *by)
{
	char id[256], who[128], line[512];
	int fd, n;
	enum ssa_err err = SSA_ERR_OK;

	if (h >= s->d.n_household || (unsigned)status >= AMAP__STATUS_COUNT ||
	    (by && status != AMAP_COLLECTED))
		return SSA_ERR_INVAL;
	field(s->d.household[h].id, id, sizeof(id));
	field(by, who, sizeof(who));
	n = snprintf(line, sizeof(line), "%s\t%s\t%s\t%lld\t%s\n", LOG_TAG, id, status_names[status],
		     (long long)now, who);
	if (n < 0 || (size_t)n >= sizeof(line))
		return SSA_ERR_TOO_LONG;
	if ((fd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
		return SSA_ERR_IO;
	/* Order matters: on disk first, then on screen. */
	if (write(fd, line, (size_t)n) != n || fsync(fd) != 0)
		err = SSA_ERR_IO;
	if (close(fd) != 0 && err == SSA_ERR_OK)
		err = SSA_ERR_IO;
	if (err != SSA_ERR_OK)
		return err;
	return amap_set_status(&s->d, h, status, now, by && *by ? by : NULL);
}

enum ssa_err
amap_session_export(struct amap_session *s)
{
	char *out = NULL;
	size_t len = 0;
	enum ssa_err err;

	if ((err = amap_export_csv(&s->d, &out, &len)) != SSA_ERR_OK)
		return err;
	err = receipt_write(s->results_path, out, len);
	free(out);
	if (err != SSA_ERR_OK)
		return err;
	if ((err = amap_format_sheet(&s->d, &out, &len)) != SSA_ERR_OK)
		return err;
	err = receipt_write(s->sheet_path, out, len);
	free(out);
	if (err != SSA_ERR_OK)
		return err;
	if ((err = amap_format_uncollected(&s->d, &out, &len)) != SSA_ERR_OK)
		return err;
	err = receipt_write(s->left_path, out, len);
	free(out);
	return err;
}

void
amap_session_close(struct amap_session *s)
{
	amap_fini(&s->d);
	amap_report_fini(&s->rep);
	free(s->log_path);
	free(s->results_path);
	free(s->sheet_path);
	free(s->statement_path);
	free(s->left_path);
	memset(s, 0, sizeof(*s));
}
