/* amap_month.c — the members' monthly AMAP statement of this till (see amap_month.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ssa/amap_statement.h"
#include "ssa/card.h"
#include "ssa/money.h"

#include "amap_month.h"
#include "amap_session.h"
#include "receipt.h"

#define STMT_SUFFIX "-statement.csv"
#define LOG_SUFFIX ".log"

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

static int
only_statements(const struct dirent *e)
{
	return ends_with(e->d_name, STMT_SUFFIX);
}

static int
only_logs(const struct dirent *e)
{
	return ends_with(e->d_name, LOG_SUFFIX);
}

static void
free_list(struct dirent **list, int n)
{
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* Modification time of @p path in ns; false when it does not exist. */
static bool
mtime_ns(const char *path, long long *ns)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return false;
	*ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	return true;
}

/* Whether sign-in log @p text has a change made in local month @p month. */
static bool
log_has_month(char *text, const char *month)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f = line, m[16];
		time_t t;
		struct tm tm;

		/* v1 TAB id TAB status TAB time TAB by (amap_session.c) */
		for (int i = 0; i < 3 && f; i++)
			if ((f = strchr(f, '\t')) != NULL)
				f++;
		if (f == NULL || strncmp(line, "v1\t", 3) != 0)
			continue;
		t = (time_t)strtoll(f, NULL, 10);
		if (localtime_r(&t, &tm) && strftime(m, sizeof(m), "%Y-%m", &tm) &&
		    strcmp(m, month) == 0)
			return true;
	}
	return false;
}

/* Every distribution with check-ins of @p month has them in its statement: its statement file
 * exists and was written after the last change of its log. */
static enum ssa_err
check_logs(const char *dir, const char *month, char *msg, size_t msg_size)
{
	struct dirent **logs = NULL;
	int n = scandir(dir, &logs, only_logs, alphasort);
	enum ssa_err err = SSA_ERR_OK;

	if (n < 0) {
		snprintf(msg, msg_size, "%s: %s", dir, strerror(errno));
		return SSA_ERR_IO;
	}
	for (int i = 0; i < n && err == SSA_ERR_OK; i++) {
		char log[4096], stmt[4096], *text;
		size_t len = 0, base = strlen(logs[i]->d_name) - strlen(LOG_SUFFIX);
		long long log_ns = 0, stmt_ns = 0;
		bool has;

		snprintf(log, sizeof(log), "%s/%s", dir, logs[i]->d_name);
		snprintf(stmt, sizeof(stmt), "%s/%.*s%s", dir, (int)base, logs[i]->d_name, STMT_SUFFIX);
		if ((text = amap_file_read(log, &len)) == NULL) {
			snprintf(msg, msg_size, "%s: %s", log, strerror(errno ? errno : EIO));
			err = SSA_ERR_IO;
			break;
		}
		has = log_has_month(text, month);
		free(text);
		if (!has || !mtime_ns(log, &log_ns))
			continue;
		if (!mtime_ns(stmt, &stmt_ns) || stmt_ns < log_ns) {
			snprintf(msg, msg_size,
				 "%s: check-ins of %s are not all in %s: open that distribution "
				 "(ssa-pos --amap %.*s.csv), press F12, then run this again",
				 log, month, stmt, (int)base, logs[i]->d_name);
			err = SSA_ERR_NOT_FOUND;
		}
	}
	free_list(logs, n);
	return err;
}

/* Remove from @p sub the member statements (16 hex digits .txt) not among @p m: a member no
 * longer in the month once a file was fixed. */
static void
remove_stale(const char *sub, const struct amap_stmt_member *m, size_t n)
{
	DIR *d = opendir(sub);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		uint64_t id;
		char hex[17], path[4096];
		bool keep = false;

		if (strlen(e->d_name) != 20 || strcmp(e->d_name + 16, ".txt") != 0)
			continue;
		memcpy(hex, e->d_name, 16);
		hex[16] = '\0';
		if (card_id_parse(hex, &id) != SSA_ERR_OK)
			continue;
		for (size_t k = 0; k < n && !keep; k++)
			keep = m[k].member == id;
		if (!keep && snprintf(path, sizeof(path), "%s/%s", sub, e->d_name) < (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
}

enum ssa_err
amap_month_export(const char *dir, const char *month, char *msg, size_t msg_size)
{
	struct amap_stmt s;
	struct amap_stmt_member *m = NULL;
	struct dirent **files = NULL;
	char **texts = NULL, *csv = NULL, path[4096], sub[4096];
	size_t n = 0, csv_len = 0, *text_len = NULL, da = 0, db = 0, baskets = 0;
	int nfiles = 0;
	enum ssa_err err;

	msg[0] = '\0';
	if (amap_stmt_init(&s, month) != SSA_ERR_OK) {
		snprintf(msg, msg_size, "bad month '%s' (expected YYYY-MM, e.g. 2026-11)",
			 month ? month : "");
		return SSA_ERR_INVAL;
	}
	if ((nfiles = scandir(dir, &files, only_statements, alphasort)) < 0) {
		snprintf(msg, msg_size, "%s: %s (no AMAP distribution on this till yet?)", dir,
			 strerror(errno));
		return SSA_ERR_IO;
	}
	/* 1. every statement file, whole */
	err = SSA_ERR_OK;
	for (int i = 0; i < nfiles && err == SSA_ERR_OK; i++) {
		char why[200], *text;
		size_t len = 0;
		unsigned line = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]->d_name);
		errno = 0;
		if ((text = amap_file_read(path, &len)) == NULL) {
			snprintf(msg, msg_size, "%s: %s", path, strerror(errno ? errno : EIO));
			err = SSA_ERR_IO;
			break;
		}
		err = amap_stmt_add(&s, text, len, (unsigned)i, &line, why, sizeof(why));
		free(text);
		if (err == SSA_ERR_NOMEM)
			snprintf(msg, msg_size, "%s", ssa_strerror(err));
		else if (err != SSA_ERR_OK)
			snprintf(msg, msg_size, "%s:%u: %s", path, line, why);
	}
	/* 2. no check-in of the month left out of its statement */
	if (err == SSA_ERR_OK)
		err = check_logs(dir, month, msg, msg_size);
	/* 3. members and sums */
	if (err == SSA_ERR_OK) {
		err = amap_stmt_members(&s, &m, &n, &da, &db);
		if (err == SSA_ERR_CONFLICT)
			snprintf(msg, msg_size,
				 "%s/%s:%u and %s/%s:%u: the same pickup in two statement files "
				 "(a copy?): remove one, then run this again",
				 dir, files[s.row[da].source]->d_name, s.row[da].line, dir,
				 files[s.row[db].source]->d_name, s.row[db].line);
		else if (err != SSA_ERR_OK)
			snprintf(msg, msg_size, "%s: %s", month, ssa_strerror(err));
		else if (n == 0) {
			snprintf(msg, msg_size,
				 "no AMAP pickup by a household with an SSA card in %s in %s/*%s "
				 "(F12 at each distribution writes its statement)",
				 month, dir, STMT_SUFFIX);
			err = SSA_ERR_NOT_FOUND;
		}
	}
	/* 4. everything formatted before anything is written */
	if (err == SSA_ERR_OK) {
		err = amap_stmt_format_csv(&s, m, n, &csv, &csv_len);
		texts = calloc(n, sizeof(*texts));
		text_len = calloc(n, sizeof(*text_len));
		if (err == SSA_ERR_OK && (!texts || !text_len))
			err = SSA_ERR_NOMEM;
		for (size_t k = 0; k < n && err == SSA_ERR_OK; k++) {
			err = amap_stmt_format_member(&s, &m[k], &texts[k], &text_len[k]);
			baskets += m[k].count;
		}
		if (err != SSA_ERR_OK)
			snprintf(msg, msg_size, "%s: %s", month, ssa_strerror(err));
	}
	/* 5. write: the month's CSV, then one statement per member */
	if (err == SSA_ERR_OK) {
		snprintf(sub, sizeof(sub), "%s/statement-%s", dir, month);
		snprintf(path, sizeof(path), "%s/statement-%s.csv", dir, month);
		if (mkdir(sub, 0755) != 0 && errno != EEXIST) {
			snprintf(msg, msg_size, "%s: %s", sub, strerror(errno));
			err = SSA_ERR_IO;
		} else if ((err = receipt_write(path, csv, csv_len)) != SSA_ERR_OK) {
			snprintf(msg, msg_size, "%s: %s", path, ssa_strerror(err));
		}
		for (size_t k = 0; k < n && err == SSA_ERR_OK; k++) {
			char id[24], file[4200];

			card_id_format(m[k].member, id, sizeof(id));
			snprintf(file, sizeof(file), "%s/%s.txt", sub, id);
			if ((err = receipt_write(file, texts[k], text_len[k])) != SSA_ERR_OK)
				snprintf(msg, msg_size, "%s: %s", file, ssa_strerror(err));
		}
		if (err == SSA_ERR_OK)
			remove_stale(sub, m, n);
	}
	if (err == SSA_ERR_OK) {
		int64_t total = 0, by_card = 0, reimburse = 0;
		char a[32], c[32], r[32];

		for (size_t k = 0; k < n && err == SSA_ERR_OK; k++)
			if ((err = money_add(total, m[k].total, &total)) == SSA_ERR_OK &&
			    (err = money_add(by_card, m[k].by_card, &by_card)) == SSA_ERR_OK)
				err = money_add(reimburse, m[k].reimburse, &reimburse);
		money_format_plain(total, a, sizeof(a));
		money_format_plain(by_card, c, sizeof(c));
		money_format_plain(reimburse, r, sizeof(r));
		snprintf(msg, msg_size,
			 "%s: %zu member(s), %zu basket(s) from %d statement file(s): %s in all, %s "
			 "paid by card, %s to reimburse\nwritten: %s and %s/ (one statement per member)",
			 month, n, baskets, nfiles, a, c, r, path, sub);
	}
	for (size_t k = 0; texts && k < n; k++)
		free(texts[k]);
	free(texts);
	free(text_len);
	free(csv);
	free(m);
	free_list(files, nfiles > 0 ? nfiles : 0);
	amap_stmt_fini(&s);
	return err;
}
