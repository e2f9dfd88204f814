/* till_card.c — the spool's signed files, the hot list at every card read, the monthly reload
 * (see till_card.h).  No curses here. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssa/keyfile.h"
#include "ssa/log.h"

#include "i18n.h"
#include "till_card.h"

/* Version 2 names the card's caisse; version 1 (before) did not: its card is read as of the
 * till's main caisse.  RELOAD_KIND tells a reload's intent of either version. */
#define RELOAD_KIND "ssa-reload,"
#define RELOAD_TAG "ssa-reload,2,"
#define RELOAD_TAG_V1 "ssa-reload,1,"

/* --- files ---------------------------------------------------------------------------------- */

enum ssa_err
till_card_files_open(const char *dir, const char *key_path, struct till_card_files **out,
		     char *why, size_t why_size)
{
	struct till_card_files *f;
	enum ssa_err err;

	if (dir == NULL || out == NULL)
		return SSA_ERR_INVAL;
	if ((f = calloc(1, sizeof(*f))) == NULL || (f->dir = strdup(dir)) == NULL) {
		free(f);
		return SSA_ERR_NOMEM;
	}
	if (key_path != NULL) {
		if ((err = keyfile_load_public(key_path, f->pub, why, why_size)) != SSA_ERR_OK) {
			till_card_files_free(f);
			return err;
		}
		f->has_key = true;
	}
	*out = f;
	return SSA_ERR_OK;
}

void
till_card_files_free(struct till_card_files *f)
{
	if (f == NULL)
		return;
	hotlist_free(f->hot);
	grant_batch_free(f->grants);
	free(f->done);
	free(f->dir);
	free(f->keep);
	free(f->cache_dir);
	free(f);
}

enum ssa_err
till_card_files_keep(struct till_card_files *f, const char *dir)
{
	return till_card_files_keep_as(f, dir, "hotlist.verified");
}

enum ssa_err
till_card_files_keep_as(struct till_card_files *f, const char *dir, const char *name)
{
	size_t n;

	if (f == NULL || dir == NULL || name == NULL)
		return SSA_ERR_INVAL;
	n = strlen(dir) + strlen(name) + 2;
	free(f->keep);
	if ((f->keep = malloc(n)) == NULL)
		return SSA_ERR_NOMEM;
	snprintf(f->keep, n, "%s/%s", dir, name);
	free(f->cache_dir);
	if ((f->cache_dir = strdup(dir)) == NULL)
		return SSA_ERR_NOMEM;
	f->done_period = 0; /* loaded from the file at the next tap */
	f->n_done = 0;
	return SSA_ERR_OK;
}

/* Write @p len bytes to @p path durably: a temp file, fsynced, renamed, the directory fsynced. */
static enum ssa_err
write_durably(const char *path, const char *data, size_t len)
{
	char tmp[1100], dir[1100];
	size_t off = 0;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return SSA_ERR_IO;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return SSA_ERR_IO;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return SSA_ERR_IO;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	return SSA_ERR_OK;
}

/* A file of the spool, whole, if it is a regular file of at most @p max bytes. */
static enum ssa_err
read_file(const char *path, size_t max, char **out, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t n;
	enum ssa_err err = SSA_ERR_IO;

	if (fp == NULL)
		return errno == ENOENT ? SSA_ERR_NOT_FOUND : SSA_ERR_IO;
	if ((buf = malloc(max + 1)) == NULL) {
		err = SSA_ERR_NOMEM;
		goto out;
	}
	n = fread(buf, 1, max + 1, fp);
	if (ferror(fp))
		goto out;
	if (n > max) {
		err = SSA_ERR_TOO_LONG;
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	err = SSA_ERR_OK;
out:
	free(buf);
	fclose(fp);
	return err;
}

/* Warn about a file once (not at every tap while it stays bad). */
static void
file_warning(struct till *t, const char *text)
{
	struct till_card_files *f = t->files;

	if (strcmp(f->warned, text) == 0)
		return;
	snprintf(f->warned, sizeof(f->warned), "%s", text);
	log_warn("%s", text);
	till_message(t, TILL_MSG_WARN, "%s", text);
}

/* Has the file changed since (@p mtime_ns, @p size)?  Updates them.  A missing file: false,
 * with @p *missing set. */
static bool
file_changed(const char *path, int64_t *mtime_ns, off_t *size, bool *seen, bool *missing)
{
	struct stat st;
	int64_t m;

	*missing = false;
	if (stat(path, &st) != 0) {
		*missing = true;
		*seen = false;
		return false;
	}
	m = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (*seen && m == *mtime_ns && st.st_size == *size)
		return false;
	*mtime_ns = m;
	*size = st.st_size;
	*seen = true;
	return true;
}

void
till_card_refresh_hotlist(struct till *t)
{
	struct till_card_files *f = t->files;
	struct hotlist *in = NULL, *next = NULL;
	struct convention_error cerr = { 0 };
	char path[1024], *text = NULL, msg[200];
	size_t len = 0;
	bool missing;
	enum ssa_err err;

	if (f == NULL || !f->has_key)
		return;
	if (!f->keep_tried && f->keep != NULL) {
		/* The till's own copy of the last good list, verified again, first. */
		f->keep_tried = true;
		if (read_file(f->keep, HOTLIST_MAX_BYTES, &text, &len) == SSA_ERR_OK &&
		    hotlist_load(text, len, f->pub, NULL, &in, NULL) == SSA_ERR_OK &&
		    in->base == 0 && hotlist_apply(NULL, in, &f->hot) == SSA_ERR_OK) {
			struct stat kst;

			/* The copy keeps the time the list was received (its mtime, below). */
			if (stat(f->keep, &kst) == 0)
				f->hot_time = (int64_t)kst.st_mtim.tv_sec;
			log_info("hot list version %u in force from %s", (unsigned)f->hot->version,
				 f->keep);
		}
		hotlist_free(in);
		in = NULL;
		free(text);
		text = NULL;
	}
	snprintf(path, sizeof(path), "%s/hotlist.txt", f->dir);
	if (!file_changed(path, &f->hot_mtime_ns, &f->hot_size, &f->hot_stat, &missing))
		return;
	err = read_file(path, HOTLIST_MAX_BYTES, &text, &len);
	if (err == SSA_ERR_OK)
		err = hotlist_load(text, len, f->pub, NULL, &in, &cerr);
	if (err == SSA_ERR_OK) {
		if (in->base == 0 && (f->hot == NULL || in->version > f->hot->version)) {
			/* A full list: the new one as it is (hotlist_apply copies it). */
			err = hotlist_apply(NULL, in, &next);
		} else if (f->hot != NULL && in->version == f->hot->version && in->base == 0) {
			err = SSA_ERR_OK; /* the same version written again */
		} else {
			err = hotlist_apply(f->hot, in, &next);
		}
	}
	if (err != SSA_ERR_OK) {
		if (cerr.msg[0])
			snprintf(msg, sizeof(msg), _("Hot list %s refused (%s: %s); the previous one "
						     "stays in force."),
				 path, _(ssa_strerror(err)), cerr.msg);
		else
			snprintf(msg, sizeof(msg), _("Hot list %s refused (%s); the previous one "
						     "stays in force."),
				 path, _(ssa_strerror(err)));
		file_warning(t, msg);
	} else if (next != NULL) {
		hotlist_free(f->hot);
		f->hot = next;
		next = NULL;
		t->status.hotlist_time = f->hot_mtime_ns / 1000000000;
		f->hot_time = t->status.hotlist_time;
		log_info("hot list of %s version %u in force: %zu card(s)", f->hot->caisse,
			 (unsigned)f->hot->version, f->hot->n);
		if (f->keep != NULL && in->base == 0 &&
		    write_durably(f->keep, text, len) != SSA_ERR_OK)
			log_warn("hot list: %s could not be written: %s", f->keep, strerror(errno));
		else if (f->keep != NULL && in->base == 0) {
			/* The copy's mtime is the list's: its age after a restart. */
			struct timespec ts[2] = {
				{ .tv_sec = f->hot_mtime_ns / 1000000000,
				  .tv_nsec = f->hot_mtime_ns % 1000000000 },
				{ .tv_sec = f->hot_mtime_ns / 1000000000,
				  .tv_nsec = f->hot_mtime_ns % 1000000000 },
			};

			utimensat(AT_FDCWD, f->keep, ts, 0);
		}
	}
	hotlist_free(in);
	hotlist_free(next);
	free(text);
}

/* The grant batch of @p period from the spool (re-read when the file changed); NULL: none. */
static const struct grant_batch *
period_grants(struct till *t, int32_t period)
{
	struct till_card_files *f = t->files;
	struct grant_batch *b = NULL;
	struct convention_error cerr = { 0 };
	char path[1024], *text = NULL, msg[200];
	size_t len = 0;
	bool missing;
	enum ssa_err err;

	if (f->grants_period != period) {
		grant_batch_free(f->grants);
		f->grants = NULL;
		f->grants_stat = false;
		f->grants_period = period;
	}
	snprintf(path, sizeof(path), "%s/grants-%06d.txt", f->dir, (int)period);
	if (!file_changed(path, &f->grants_mtime_ns, &f->grants_size, &f->grants_stat, &missing))
		return missing ? NULL : f->grants;
	err = read_file(path, GRANT_MAX_BYTES, &text, &len);
	if (err == SSA_ERR_OK)
		err = grant_batch_load(text, len, f->pub, NULL, &b, &cerr);
	if (err == SSA_ERR_OK && b->period != period)
		err = SSA_ERR_GRANT_PERIOD;
	if (err != SSA_ERR_OK) {
		snprintf(msg, sizeof(msg), _("Grants %s refused (%s%s%s)."), path,
			 _(ssa_strerror(err)), cerr.msg[0] ? ": " : "", cerr.msg);
		file_warning(t, msg);
		grant_batch_free(b);
	} else {
		grant_batch_free(f->grants);
		f->grants = b;
		log_info("grants of %s for %06d: %zu grant(s)", b->caisse, (int)period, b->n);
	}
	free(text);
	return f->grants;
}

/* --- checks at every card read -------------------------------------------------------------- */

/* Make the keys, hot list and grants of caisse @p caisse (the card's) those the till uses.  A
 * till of one caisse (no caisses listed) reads every card with its own. */
static enum ssa_err
use_caisse(struct till *t, const char *caisse)
{
	const struct till_caisse *c = NULL;
	char known[200] = "";
	size_t n = 0;
	enum ssa_err err;

	if (t->n_caisses == 0)
		return SSA_ERR_OK;
	for (size_t i = 0; i < t->n_caisses && c == NULL; i++)
		if (strcmp(t->caisses[i].id, caisse) == 0)
			c = &t->caisses[i];
	if (c == NULL) {
		for (size_t i = 0; i < t->n_caisses && n < sizeof(known); i++)
			n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s", i ? ", " : "",
					      t->caisses[i].id);
		till_message(t, TILL_MSG_ERROR,
			     _("Card of caisse %s: refused here (only %s)."),
			     caisse, known);
		return SSA_ERR_CARD_CAISSE;
	}
	if (c->keys != NULL && t->reader != NULL && t->reader->use_keys != NULL &&
	    (err = t->reader->use_keys(t->reader->cls, c->keys)) != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("Card refused: %s."), _(ssa_strerror(err)));
		return err;
	}
	t->caisse_verify_key = c->verify_key;
	t->files = c->files;
	return SSA_ERR_OK;
}

enum ssa_err
till_card_check(struct till *t, const struct card_identity *id, const uint8_t *uid,
		size_t uid_len)
{
	const struct hotlist *hot = NULL;
	const struct hotlist_entry *e;
	enum ssa_err err;
	char since[16];

	/* The card's caisse first: its keys check the card, its hot list blocks it. */
	if ((err = use_caisse(t, id->caisse)) != SSA_ERR_OK)
		return err;
	till_card_refresh_hotlist(t);
	if (t->files != NULL && t->files->note_serial != id->serial)
		t->card_note[0] = '\0'; /* another card: the note was not about it */
	if (t->files != NULL && t->files->has_key)
		hot = t->files->hot;
	err = card_identity_check(id, uid, uid_len, t->caisse_verify_key,
				  hot != NULL ? hot->serials : NULL, hot != NULL ? hot->n : 0,
				  t->today);
	if (err == SSA_ERR_CARD_HOTLISTED && (e = hotlist_find(hot, id->serial)) != NULL) {
		snprintf(since, sizeof(since), "%02d/%02d/%04d", (int)(e->since % 100),
			 (int)(e->since / 100 % 100), (int)(e->since / 10000));
		till_message(t, TILL_MSG_ERROR,
			     _("Card refused: blocked, %s on %s."),
			     _(hotlist_reason_text(e->reason)), since);
	} else if (err != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("Card refused: %s."), _(ssa_strerror(err)));
	}
	return err;
}

/* --- intents -------------------------------------------------------------------------------- */

struct reload_intent {
	uint64_t serial;
	uint64_t grant_id;
	int32_t period;
	char caisse[CARD_CAISSE_MAX + 1]; /* the card's */
};

static enum ssa_err
reload_encode(const struct reload_intent *in, const struct journal_record *r, char **out,
	      size_t *len)
{
	char head[128], *rec = NULL;
	size_t rlen = 0, hlen;
	enum ssa_err err;

	if ((err = journal_record_encode(r, &rec, &rlen)) != SSA_ERR_OK)
		return err;
	hlen = (size_t)snprintf(head, sizeof(head), RELOAD_TAG "%016llx,%016llx,%06d,%s\n",
				(unsigned long long)in->serial, (unsigned long long)in->grant_id,
				(int)in->period, in->caisse);
	if ((*out = malloc(hlen + rlen + 1)) == NULL) {
		free(rec);
		return SSA_ERR_NOMEM;
	}
	memcpy(*out, head, hlen);
	memcpy(*out + hlen, rec, rlen + 1);
	*len = hlen + rlen;
	free(rec);
	return SSA_ERR_OK;
}

/* The intent in @p buf (NUL after @p len bytes); one of version 1 is of a card of
 * @p main_caisse. */
static enum ssa_err
reload_decode(const char *buf, size_t len, const char *main_caisse, struct reload_intent *in,
	      struct journal_record *r)
{
	const char *nl = memchr(buf, '\n', len), *c;
	unsigned long long serial, grant;
	int period, end = -1;
	const char *why;

	journal_record_init(r, JOURNAL_RELOAD);
	memset(in, 0, sizeof(*in));
	if (!nl || len < sizeof(RELOAD_TAG))
		return SSA_ERR_JOURNAL_FORMAT;
	if (memcmp(buf, RELOAD_TAG, sizeof(RELOAD_TAG) - 1) == 0) {
		if (sscanf(buf + sizeof(RELOAD_TAG) - 1, "%16llx,%16llx,%6d,%n", &serial, &grant,
			   &period, &end) != 3 ||
		    end < 0 || (c = buf + sizeof(RELOAD_TAG) - 1 + end) > nl ||
		    (size_t)(nl - c) >= sizeof(in->caisse) ||
		    strspn(c, CARD_CAISSE_CHARS) < (size_t)(nl - c))
			return SSA_ERR_JOURNAL_FORMAT;
		memcpy(in->caisse, c, (size_t)(nl - c));
	} else if (memcmp(buf, RELOAD_TAG_V1, sizeof(RELOAD_TAG_V1) - 1) == 0 &&
		   sscanf(buf + sizeof(RELOAD_TAG_V1) - 1, "%16llx,%16llx,%6d", &serial, &grant,
			  &period) == 3) {
		snprintf(in->caisse, sizeof(in->caisse), "%.*s", (int)CARD_CAISSE_MAX, main_caisse);
	} else {
		return SSA_ERR_JOURNAL_FORMAT;
	}
	in->serial = serial;
	in->grant_id = grant;
	in->period = period;
	return journal_record_decode(nl + 1, len - (size_t)(nl + 1 - buf), r, &why);
}

static bool
has_tag(const void *blob, size_t len, const char *tag)
{
	size_t n = strlen(tag);

	return len >= n && memcmp(blob, tag, n) == 0;
}

bool
till_card_pending_is_sale(struct till *t)
{
	void *blob = NULL;
	size_t len = 0;
	uint64_t id = 0;
	bool sale;

	if (!t->journal || journal_store_get_pending(t->journal, &id, &blob, &len) != SSA_ERR_OK)
		return false;
	sale = !has_tag(blob, len, RELOAD_KIND) && !till_refund_is_intent(blob, len);
	free(blob);
	return sale;
}

void
till_card_recover_message(struct till *t, const void *blob, size_t len)
{
	if (has_tag(blob, len, RELOAD_KIND))
		till_message(t, TILL_MSG_WARN, "%s",
			     _("A monthly reload was interrupted: tap that card to settle it."));
	else if (till_refund_is_intent(blob, len))
		till_message(t, TILL_MSG_WARN, "%s",
			     _("A refund to a card was interrupted: tap that card to settle it."));
	else
		till_message(t, TILL_MSG_WARN, "%s",
			     _("A card payment was interrupted: tap that card to settle it."));
}

/* --- the monthly reload --------------------------------------------------------------------- */

/* Months as the reload message names them ("Allocation of March credited"): French elides
 * ("d'avril"), so the preposition is translated with the month. */
static const char *const month_of[12] = {
	N_("of January"), N_("of February"), N_("of March"),	 N_("of April"),
	N_("of May"),	  N_("of June"),     N_("of July"),	 N_("of August"),
	N_("of September"), N_("of October"), N_("of November"), N_("of December"),
};

/* "Allocation of March credited: 150.00 EUR." in t->msg and t->card_note. */
static void
say_credited(struct till *t, uint64_t serial, int32_t period, int64_t amount)
{
	char m[48];
	int month = (int)(period % 100);

	money_format(amount, t->money_locale, m, sizeof(m));
	if (month < 1 || month > 12)
		month = 1;
	snprintf(t->card_note, sizeof(t->card_note), _("Allocation %s credited: %s."),
		 _(month_of[month - 1]), m);
	if (t->files)
		t->files->note_serial = serial;
	till_message(t, TILL_MSG_INFO, "%s", t->card_note);
}

/* --- cards seen current this month ----------------------------------------------------------- *
 * In memory, and in <data dir>/period-cache-YYYYMM.txt, one line per card:
 * "<YYYYMM>,<serial, 16 hex>,<caisse id>,<check, 8 hex>\n", the check being FNV-1a of what comes
 * before its comma.  A card is its caisse and serial (two caisses may number cards alike).  Only a
 * cost is at stake (3 APDUs at a card's first tap after a restart), never a debit or a reload:
 * an entry means "this card's period state was seen at this month or later", which stays true
 * since the card refuses older grants; a line that was torn (no newline), does not parse, is of
 * another month or does not check is ignored.  Appended without fsync: an entry lost in a crash
 * only means the period state is read again. */

static uint32_t
cache_check(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static void
cache_path(const struct till_card_files *f, int32_t period, char *out, size_t size)
{
	snprintf(out, size, "%s/period-cache-%06d.txt", f->cache_dir, (int)period);
}

static bool
cache_has(const struct till_card_files *f, uint64_t serial, const char *caisse)
{
	for (size_t i = 0; i < f->n_done; i++)
		if (f->done[i].serial == serial && strcmp(f->done[i].caisse, caisse) == 0)
			return true;
	return false;
}

static bool
cache_add(struct till_card_files *f, uint64_t serial, const char *caisse)
{
	if (strlen(caisse) > CARD_CAISSE_MAX)
		return false;
	if (f->n_done == f->cap_done) {
		size_t nc = f->cap_done ? f->cap_done * 2 : 64;
		struct till_card_seen *p = realloc(f->done, nc * sizeof(*p));
		if (p == NULL)
			return false; /* only a cache: the period file is read again next time */
		f->done = p;
		f->cap_done = nc;
	}
	f->done[f->n_done].serial = serial;
	snprintf(f->done[f->n_done].caisse, sizeof(f->done[f->n_done].caisse), "%s", caisse);
	f->n_done++;
	return true;
}

/* Is @p s a caisse id as a card holds it ([A-Za-z0-9._-], 1 to 16)? */
static bool
cache_caisse_ok(const char *s, size_t n)
{
	if (n < 1 || n > CARD_CAISSE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", s[i]) ||
		    s[i] == '\0')
			return false;
	return true;
}

/* The cache of @p period in force: loaded from its file (the previous month's file removed). */
static void
cache_load(struct till_card_files *f, int32_t period)
{
	char path[1100], line[96], head[8];
	FILE *fp;
	int32_t prev = period % 100 == 1 ? period - 100 + 11 : period - 1;

	f->n_done = 0;
	f->done_period = period;
	if (f->cache_dir == NULL)
		return;
	cache_path(f, prev, path, sizeof(path));
	unlink(path);
	cache_path(f, period, path, sizeof(path));
	if ((fp = fopen(path, "r")) == NULL)
		return;
	snprintf(head, sizeof(head), "%06d,", (int)period);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char caisse[CARD_CAISSE_MAX + 1], *comma, *end;
		unsigned long long serial;
		size_t n = strlen(line), cn;

		/* <period>,<serial>,<caisse>,<check>\n */
		if (n < 7 + 17 + 2 + 9 || line[n - 1] != '\n' || memcmp(line, head, 7) != 0 ||
		    line[7 + 16] != ',' || (comma = strrchr(line, ',')) == NULL ||
		    (size_t)(line + n - 1 - (comma + 1)) != 8)
			continue;
		if (strtoul(comma + 1, &end, 16) != cache_check(line, (size_t)(comma - line)) ||
		    end != line + n - 1 || !isxdigit((unsigned char)comma[1]))
			continue;
		cn = (size_t)(comma - (line + 24));
		if (!cache_caisse_ok(line + 24, cn))
			continue;
		memcpy(caisse, line + 24, cn);
		caisse[cn] = '\0';
		line[7 + 16] = '\0';
		serial = strtoull(line + 7, &end, 16);
		if (*end != '\0' || !isxdigit((unsigned char)line[7]) || cache_has(f, serial, caisse))
			continue;
		if (!cache_add(f, serial, caisse))
			break;
	}
	fclose(fp);
}

/* Card @p id's period state is current for @p period: remember it. */
static void
mark_done(struct till_card_files *f, const struct card_identity *id, int32_t period)
{
	char path[1100], line[96];
	int fd, n;

	if (f->done_period != period)
		cache_load(f, period);
	if (cache_has(f, id->serial, id->caisse) || !cache_caisse_ok(id->caisse, strlen(id->caisse)) ||
	    !cache_add(f, id->serial, id->caisse) || f->cache_dir == NULL)
		return;
	n = snprintf(line + 1, sizeof(line) - 1, "%06d,%016llx,%s,", (int)period,
		     (unsigned long long)id->serial, id->caisse);
	n += snprintf(line + 1 + n, sizeof(line) - 1 - (size_t)n, "%08x\n",
		      cache_check(line + 1, (size_t)n - 1));
	cache_path(f, period, path, sizeof(path));
	if ((fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		log_warn("period cache %s: %s", path, strerror(errno));
		return;
	}
	/* One write of a whole line with O_APPEND: a crash leaves it whole or torn.  After a torn
	 * line the new one starts on a line of its own. */
	{
		struct stat st;
		char last = '\n';
		line[0] = '\n';
		if (fstat(fd, &st) == 0 && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 &&
		    last != '\n')
			n++;
		if (write(fd, last != '\n' ? line : line + 1, (size_t)n) != n)
			log_warn("period cache %s: %s", path, strerror(errno));
	}
	close(fd);
}

static bool
is_done(struct till_card_files *f, const struct card_identity *id, int32_t period)
{
	if (f->done_period != period)
		cache_load(f, period);
	return cache_has(f, id->serial, id->caisse);
}

/* The RELOAD record of grant @p g of batch @p b for card @p id holding @p old cents. */
static enum ssa_err
reload_record(const struct till *t, const struct card_identity *id, const struct grant_batch *b,
	      const struct grant *g, int64_t old, int64_t now_ms, struct journal_record *r)
{
	int64_t now_bal = 0, kept;
	enum ssa_err err;

	journal_record_init(r, JOURNAL_RELOAD);
	if ((err = card_reload_balance(old, g->amount, b->policy, b->cap, &now_bal)) != SSA_ERR_OK)
		return err;
	kept = now_bal - g->amount;
	snprintf(r->establishment, sizeof(r->establishment), "%s", t->establishment);
	snprintf(r->terminal, sizeof(r->terminal), "%s", t->terminal);
	snprintf(r->software, sizeof(r->software), "ssa-pos %s", SSA_VERSION);
	snprintf(r->operator_id, sizeof(r->operator_id), "%s", t->operator_id);
	card_id_format(id->member_id, r->card, sizeof(r->card));
	r->time_ms = now_ms;
	r->balance_before = old;
	r->balance_after = now_bal;
	grant_id_format(g->id, r->reload.grant_id, sizeof(r->reload.grant_id));
	r->reload.period = b->period;
	r->reload.amount = g->amount;
	r->reload.expired = old - kept;
	return SSA_ERR_OK;
}

/* Append the RELOAD @p r, removing intent @p pid. */
static enum ssa_err
append_reload(struct till *t, struct journal_record *r, uint64_t pid)
{
	enum ssa_err err = journal_store_append(t->journal, r, t->signer, pid, NULL, NULL);

	if (err != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("The reload could not be recorded: %s."),
			     _(ssa_strerror(err)));
		return err;
	}
	t->pending_id = 0;
	t->status.records_waiting++;
	return SSA_ERR_OK;
}

/* Settle the reload intent @p in (record @p r, intent @p pid) with card @p id on the reader. */
static enum ssa_err
settle_reload(struct till *t, const struct card_identity *id, uint64_t pid,
	      const struct reload_intent *in, struct journal_record *r)
{
	struct card_period_state st;
	enum ssa_err err;

	/* A card is its caisse and serial (a till of one caisse reads every card with its one
	 * key, whatever caisse it names). */
	if (id->serial != in->serial || (t->n_caisses && strcmp(id->caisse, in->caisse) != 0)) {
		till_message(t, TILL_MSG_WARN,
			     _("This is not the card of the interrupted reload (card %016llx)."),
			     (unsigned long long)in->serial);
		return SSA_ERR_CARD_ABSENT;
	}
	if ((err = t->reader->read_period(t->reader->cls, &st)) != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("Card: %s."), _(ssa_strerror(err)));
		return err;
	}
	t->pending_id = pid;
	if (st.period == (uint32_t)in->period && st.grant_id == in->grant_id && st.terminal != 0 &&
	    st.terminal != card_period_terminal(t->card_terminal)) {
		/* The card holds the grant, applied by another till after ours was interrupted
		 * before the card's commit: that till recorded it, ours did not happen. */
		log_info("reload intent of grant %016llx dropped: the card took it at terminal %u",
			 (unsigned long long)in->grant_id, (unsigned)st.terminal);
		if ((err = journal_store_drop_pending(t->journal, pid)) != SSA_ERR_OK)
			return err;
		t->pending_id = 0;
		if (t->files)
			mark_done(t->files, id, in->period);
		till_message(t, TILL_MSG_INFO, "%s",
			     _("The interrupted reload did not reach the card: another till applied "
			       "the grant and recorded it."));
		return SSA_ERR_OK;
	}
	if (st.period == (uint32_t)in->period && st.grant_id == in->grant_id) {
		/* The card took the grant from this till (or from a till of before the period
		 * state named its terminal): record it, once. */
		if ((err = append_reload(t, r, pid)) != SSA_ERR_OK)
			return err;
		say_credited(t, id->serial, in->period, r->reload.amount);
		if (t->files)
			mark_done(t->files, id, in->period);
		return SSA_ERR_OK;
	}
	/* The card did not take it (its period state is older), or holds another grant of that
	 * period or later (applied elsewhere): nothing of ours happened. */
	if (st.period >= (uint32_t)in->period)
		log_warn("reload intent of grant %016llx for %06d dropped: the card holds grant "
			 "%016llx of %06u",
			 (unsigned long long)in->grant_id, (int)in->period,
			 (unsigned long long)st.grant_id, (unsigned)st.period);
	if ((err = journal_store_drop_pending(t->journal, pid)) != SSA_ERR_OK)
		return err;
	t->pending_id = 0;
	return SSA_ERR_OK;
}

enum ssa_err
till_card_settle(struct till *t, const struct card_identity *id, int64_t now_ms)
{
	struct reload_intent in;
	struct journal_record r;
	void *blob = NULL;
	size_t len = 0;
	uint64_t pid = 0;
	enum ssa_err err;

	(void)now_ms;
	if ((err = journal_store_get_pending(t->journal, &pid, &blob, &len)) != SSA_ERR_OK)
		return err == SSA_ERR_NOT_FOUND ? SSA_ERR_OK : err;
	if (till_refund_is_intent(blob, len)) {
		err = till_refund_settle(t, id, pid, blob, len);
		free(blob);
		return err;
	}
	if (!has_tag(blob, len, RELOAD_KIND)) {
		free(blob);
		return SSA_ERR_INVAL; /* a sale's: till.c settles those */
	}
	err = reload_decode(blob, len, t->n_caisses ? t->caisses[0].id : t->preview_caisse, &in,
			    &r);
	free(blob);
	if (err != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("The interrupted reload cannot be read: %s."),
			     _(ssa_strerror(err)));
		journal_record_fini(&r);
		return err;
	}
	err = settle_reload(t, id, pid, &in, &r);
	journal_record_fini(&r);
	return err;
}

enum ssa_err
till_card_reload(struct till *t, const struct card_identity *id, int64_t now_ms,
		 int64_t *credited)
{
	struct till_card_files *f = t->files;
	int32_t period = t->today / 100;
	const struct grant_batch *b;
	const struct grant *g = NULL;
	struct card_period_state st;
	struct card_grant cg;
	struct reload_intent in;
	struct journal_record r;
	char *blob = NULL;
	size_t len = 0;
	uint64_t last = 0, pid = 0;
	uint8_t hash[JOURNAL_HASH_LEN];
	int64_t old = 0, after = 0;
	enum ssa_err err;

	if (credited)
		*credited = 0;
	journal_record_init(&r, JOURNAL_RELOAD);
	/* Nothing to apply with: no key, no journal to record in, a reader without reloads, an
	 * intent already pending, or this card's period state seen current already. */
	if (f == NULL || !f->has_key || !t->journal || !t->signer || !t->reader ||
	    !t->reader->read_period || !t->reader->apply_grant || t->pending_id ||
	    is_done(f, id, period))
		return SSA_ERR_OK;
	if ((b = period_grants(t, period)) == NULL || strcmp(b->caisse, id->caisse) != 0 ||
	    grant_find(b, id->serial, id->member_id, period, &g) != SSA_ERR_OK) {
		/* No grant for this card this month (yet: the batch may come later). */
		return SSA_ERR_OK;
	}
	err = t->reader->read_period(t->reader->cls, &st);
	if (err == SSA_ERR_KEY) {
		file_warning(t, _("This till has no card key to apply the monthly grants."));
		return SSA_ERR_OK;
	}
	if (err != SSA_ERR_OK)
		goto card_error;
	if (st.period >= (uint32_t)period || st.grant_id == g->id) {
		mark_done(f, id, period);
		return SSA_ERR_OK;
	}
	if ((err = t->reader->read_balance(t->reader->cls, &old)) != SSA_ERR_OK)
		goto card_error;
	if ((err = reload_record(t, id, b, g, old, now_ms, &r)) != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("The grant cannot be applied: %s."),
			     _(ssa_strerror(err)));
		goto out;
	}
	/* Order matters: the intent is pending before the card is touched, so that a card torn
	 * away or a till stopped after the card's commit records the RELOAD at the next tap. */
	in = (struct reload_intent){ id->serial, g->id, period, "" };
	memcpy(in.caisse, id->caisse, sizeof(in.caisse));
	if ((err = journal_store_last(t->journal, &last, hash)) != SSA_ERR_OK)
		goto journal_error;
	r.seq = last + 1;
	if ((err = reload_encode(&in, &r, &blob, &len)) != SSA_ERR_OK ||
	    (err = journal_store_put_pending(t->journal, blob, len, &pid)) != SSA_ERR_OK)
		goto journal_error;
	t->pending_id = pid;
	cg = (struct card_grant){ .grant_id = g->id, .period = (uint32_t)period,
				  .amount = g->amount, .policy = b->policy, .cap = b->cap,
				  .terminal = t->card_terminal };
	err = t->reader->apply_grant(t->reader->cls, &cg, &after);
	if (err == SSA_ERR_OK) {
		if (after != r.balance_after)
			log_warn("reload: card balance %lld after the grant, %lld expected",
				 (long long)after, (long long)r.balance_after);
		if ((err = append_reload(t, &r, pid)) != SSA_ERR_OK)
			goto out;
		mark_done(f, id, period);
		say_credited(t, id->serial, period, g->amount);
		if (credited)
			*credited = g->amount;
		goto out;
	}
	if (err == SSA_ERR_CARD_ALREADY_APPLIED) {
		/* The card says it holds the grant or a later one: settle from its period state. */
		err = settle_reload(t, id, pid, &in, &r);
		goto out;
	}
	till_message(t, TILL_MSG_ERROR,
		     _("Monthly reload interrupted (%s): put the card back on the reader."),
		     _(ssa_strerror(err)));
	goto out;
card_error:
	till_message(t, TILL_MSG_ERROR, _("Card: %s."), _(ssa_strerror(err)));
	goto out;
journal_error:
	till_message(t, TILL_MSG_ERROR, _("The reload could not be recorded: %s."),
		     _(ssa_strerror(err)));
out:
	free(blob);
	journal_record_fini(&r);
	return err;
}
