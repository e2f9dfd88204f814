/* spool.c — the status ssa-syncd leaves for the till, for the status line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

/* The keys every status file has, in this order. */
enum key { K_LAST_ATTEMPT, K_LAST_SUCCESS, K_ONLINE, K_ACKED, K_LIST, K_HOTLIST, K_REJECTIONS,
	   K__COUNT };

static const char *const key_names[K__COUNT] = {
	"last_attempt", "last_success", "online", "acked", "list_version", "hotlist_version",
	"rejections",
};

/* A decimal number 0..@p max, digits only. */
static bool
number(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (*s < '0' || *s > '9' || d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* "<seq> <error word> <message to the end of the line>"; seq 0 is a refused document (a list,
 * a hot list, a grant batch), not a record. */
static bool
rejection(char *v, struct spool_rejection *r)
{
	char *sp = strchr(v, ' '), *word, *end;
	size_t n;

	if (!sp)
		return false;
	*sp = '\0';
	if (!number(v, INT64_MAX, &r->seq))
		return false;
	word = sp + 1;
	end = strchr(word, ' ');
	n = end ? (size_t)(end - word) : strlen(word);
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)word[i] < 0x21 || word[i] == 0x7f)
			return false;
	/* A longer word of a newer ssa-syncd is cut, not refused. */
	if (n > SPOOL_ERROR_MAX)
		n = SPOOL_ERROR_MAX;
	while (n > 0 && ((unsigned char)word[n] & 0xc0) == 0x80)
		n--;
	if (n == 0) /* nothing but bytes of one character cut short: no word */
		return false;
	memcpy(r->error, word, n);
	r->error[n] = '\0';
	/* The message is shown as it is, cut at a character boundary; control bytes are spaces. */
	n = 0;
	if (end) {
		const char *m = end + 1;
		for (; *m && n < SPOOL_MESSAGE_MAX; m++)
			r->msg[n++] = (unsigned char)*m < 0x20 || *m == 0x7f ? ' ' : *m;
		if (((unsigned char)*m & 0xc0) == 0x80) { /* the cut split a character: drop it */
			while (n > 0 && ((unsigned char)r->msg[n - 1] & 0xc0) == 0x80)
				n--;
			if (n > 0 && ((unsigned char)r->msg[n - 1] & 0xc0) == 0xc0)
				n--;
		}
	}
	r->msg[n] = '\0';
	return true;
}

/* The next blank-separated word of @p *p (1..@p max visible bytes) into @p dst; @p *p moves
 * past it. */
static bool
word(char **p, char *dst, size_t max)
{
	size_t n = 0;

	while ((*p)[n] && (*p)[n] != ' ') {
		if ((unsigned char)(*p)[n] < 0x21 || (*p)[n] == 0x7f || n >= max)
			return false;
		dst[n] = (*p)[n];
		n++;
	}
	dst[n] = '\0';
	*p += n;
	if (**p == ' ')
		(*p)++;
	return n > 0;
}

/* A decimal number with an optional '-', |v| <= INT64_MAX. */
static bool
signed_number(const char *s, int64_t *out)
{
	uint64_t v;
	bool neg = *s == '-';

	if (!number(s + neg, INT64_MAX, &v))
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

/* "<card> <terminal> <seq> <kind> <ledger cents> <record cents> <UTC s>"; more words (of a
 * newer ssa-syncd) are ignored. */
static bool
anomaly(char *v, struct spool_anomaly *a)
{
	char num[4][24];
	uint64_t seq, t;

	if (!word(&v, a->card, SPOOL_CARD_MAX) || !word(&v, a->terminal, SPOOL_ID_MAX) ||
	    !word(&v, num[0], sizeof(num[0]) - 1) || !word(&v, a->kind, SPOOL_ERROR_MAX) ||
	    !word(&v, num[1], sizeof(num[1]) - 1) || !word(&v, num[2], sizeof(num[2]) - 1) ||
	    !word(&v, num[3], sizeof(num[3]) - 1))
		return false;
	if (!number(num[0], INT64_MAX, &seq) || !signed_number(num[1], &a->ledger_balance) ||
	    !signed_number(num[2], &a->record_balance) || !number(num[3], INT64_MAX, &t))
		return false;
	a->seq = seq;
	a->time = (int64_t)t;
	return true;
}

enum ssa_err
spool_status_parse(const char *text, size_t len, struct spool_status *out)
{
	static const uint64_t max[K__COUNT] = { INT64_MAX, INT64_MAX, 1,	  INT64_MAX,
						UINT32_MAX, UINT32_MAX, INT64_MAX };
	struct spool_status *st;
	uint64_t val[K__COUNT] = { 0 };
	int next = 0; /* the key expected next */
	bool have_anomalies = false;
	char line[1024];
	size_t pos = 0;
	enum ssa_err err = SSA_ERR_INVAL;

	if (len > SPOOL_STATUS_MAX)
		return SSA_ERR_TOO_LONG;
	if (memchr(text, '\0', len))
		return SSA_ERR_INVAL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return SSA_ERR_NOMEM;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *eq;
		int k;

		if (n >= sizeof(line))
			goto out;
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0)
			continue;
		if ((eq = strchr(line, '=')) == NULL)
			goto out;
		*eq = '\0';
		if (strcmp(line, "anomalies") == 0) {
			if (next != K__COUNT || have_anomalies ||
			    !number(eq + 1, INT64_MAX, &st->anomalies))
				goto out;
			have_anomalies = true;
			continue;
		}
		if (strcmp(line, "anomaly") == 0) {
			if (!have_anomalies || st->n_anomaly >= SPOOL_ANOMALIES_MAX ||
			    !anomaly(eq + 1, &st->anomaly[st->n_anomaly]))
				goto out;
			st->n_anomaly++;
			continue;
		}
		if (strcmp(line, "rejection") == 0) {
			if (next != K__COUNT || have_anomalies ||
			    st->n_rejection >= SPOOL_REJECTIONS_MAX ||
			    !rejection(eq + 1, &st->rejection[st->n_rejection]))
				goto out;
			st->n_rejection++;
			continue;
		}
		for (k = 0; k < K__COUNT && strcmp(line, key_names[k]) != 0; k++)
			;
		if (k == K__COUNT)
			continue; /* a key of a newer ssa-syncd */
		if (k != next || !number(eq + 1, max[k], &val[k]))
			goto out;
		next++;
	}
	if (next != K__COUNT || st->n_rejection > val[K_REJECTIONS] ||
	    st->n_anomaly > st->anomalies)
		goto out;
	st->last_attempt = (int64_t)val[K_LAST_ATTEMPT];
	st->last_success = (int64_t)val[K_LAST_SUCCESS];
	st->online = val[K_ONLINE] == 1;
	st->acked = val[K_ACKED];
	st->list_version = (uint32_t)val[K_LIST];
	st->hotlist_version = (uint32_t)val[K_HOTLIST];
	st->rejections = val[K_REJECTIONS];
	*out = *st;
	err = SSA_ERR_OK;
out:
	free(st);
	return err;
}

enum ssa_err
spool_init(struct spool *sp, const char *dir)
{
	memset(sp, 0, sizeof(*sp));
	sp->status_mtime_ns = -1;
	if ((sp->dir = strdup(dir)) == NULL)
		return SSA_ERR_NOMEM;
	return SSA_ERR_OK;
}

void
spool_fini(struct spool *sp)
{
	free(sp->dir);
	memset(sp, 0, sizeof(*sp));
}

/* Read the status file @p path (at most SPOOL_STATUS_MAX + 1 bytes) and parse it. */
static enum ssa_err
read_status(const char *path, struct spool_status *st)
{
	char *buf = malloc(SPOOL_STATUS_MAX + 1);
	size_t n = 0;
	ssize_t r;
	int fd;
	enum ssa_err err;

	if (!buf)
		return SSA_ERR_NOMEM;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		free(buf);
		return SSA_ERR_IO;
	}
	while (n < SPOOL_STATUS_MAX + 1 &&
	       (r = read(fd, buf + n, SPOOL_STATUS_MAX + 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	err = spool_status_parse(buf, n, st);
	free(buf);
	return err;
}

void
spool_refresh(struct spool *sp)
{
	char path[1024];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/status", sp->dir);
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		sp->have_status = false;
		sp->status_mtime_ns = -1;
	} else {
		int64_t ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;

		/* The file is renamed over, never rewritten in place: mtime and size tell. */
		if (ns != sp->status_mtime_ns || (int64_t)sb.st_size != sp->status_size) {
			sp->status_mtime_ns = ns;
			sp->status_size = (int64_t)sb.st_size;
			sp->have_status = read_status(path, &sp->st) == SSA_ERR_OK;
		}
	}
	snprintf(path, sizeof(path), "%s/hotlist.txt", sp->dir);
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
		sp->hotlist_mtime = sb.st_mtim.tv_sec > 0 ? (int64_t)sb.st_mtim.tv_sec : 1;
	else
		sp->hotlist_mtime = 0;
}

static int64_t
later(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

void
spool_till_status(const struct spool *sp, struct ssa_journal_store *journal,
		  struct catalog_store *catalog, const char *caisse, struct till_status *st)
{
	const struct spool_status *ss = sp && sp->have_status ? &sp->st : NULL;
	uint8_t hash[JOURNAL_HASH_LEN];
	uint64_t last = 0, acked = 0;
	uint32_t version = 0, days = 0;
	int64_t received = 0;

	st->online = ss && ss->online;
	st->last_sync = ss ? ss->last_success : 0;
	/* What ^E lists: the refused records and documents, and the card anomalies. */
	st->rejections = ss ? ss->rejections + ss->anomalies : 0;
	if (journal && journal_store_last(journal, &last, hash) == SSA_ERR_OK &&
	    journal_store_acked(journal, &acked) == SSA_ERR_OK) {
		if (ss && ss->acked > acked)
			acked = ss->acked;
		st->records_waiting = last > acked ? (int64_t)(last - acked) : 0;
	}
	if (catalog && caisse && caisse[0]) {
		if (catalog_store_list_received(catalog, caisse, &version, &received) ==
		    SSA_ERR_OK) {
			st->list_version = version;
			st->list_time = received;
			if (ss && ss->list_version == version)
				st->list_time = later(st->list_time, ss->last_success);
		} else {
			st->list_version = 0;
			st->list_time = 0;
		}
		if (catalog_store_list_max_age(catalog, caisse, &days) != SSA_ERR_OK)
			days = 0;
	}
	/* The caisse decides how old its list and hot list may get; the till's own limit is
	 * only for a list that does not say. */
	if (days != 0)
		st->max_age = (int64_t)days * 86400;
	else if (sp != NULL)
		st->max_age = sp->max_age_default;
	st->hotlist_time = sp ? sp->hotlist_mtime : 0;
	if (st->hotlist_time && ss && ss->hotlist_version)
		st->hotlist_time = later(st->hotlist_time, ss->last_success);
}
