/* desfire_store.c — the card file: a versioned binary image of the card's EEPROM.
 *
 * Format version 1 (all integers little-endian; docs/cardsim-desfire.md has the full table):
 *   "SSADF" 0x00, u16 version, uid[7], u8 picc key settings, u8 picc key type, key,
 *   u8 number of applications, the applications, u32 CRC32 of everything before it.
 *   key  = data[24] u8 aes_version
 *   app  = u24 aid, u8 key settings, u8 nkeys, u8 key type, u8 flags (1 ISO file ids,
 *          2 ISO DF), u16 ISO fid, u8 DF name length, name[16], nkeys keys, u8 nfiles, files
 *   file = u8 number, u8 type, u8 comm, u16 access rights, u8 has ISO fid, u16 ISO fid, then
 *          std/backup: u32 size, data[size]; value: i32 lower, upper, value, limited credit
 *          value, u8 limited credit flags; record: u32 record size, max, count, oldest slot,
 *          records[size * max]
 * Only committed state is saved.  Loading checks every length, range and the checksum: a
 * damaged file is SSA_ERR_CARD_FORMAT, never a crash or a half-loaded card.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desfire_int.h"

#define STORE_VERSION 1
#define STORE_MAX_BYTES (1u << 20)

void
df_app_free(struct df_app *app)
{
	if (!app)
		return;
	for (int i = 0; i < DF_MAX_FILES; i++)
		df_file_clear(&app->files[i]);
	free(app);
}

/* --- writing ------------------------------------------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

static void
w_bytes(struct wbuf *w, const void *d, size_t n)
{
	if (w->failed)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *p = realloc(w->p, cap);
		if (!p) {
			w->failed = true;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void
w_int(struct wbuf *w, uint32_t v, int n)
{
	uint8_t b[4];
	df_put_le(b, v, n);
	w_bytes(w, b, (size_t)n);
}

static void
w_key(struct wbuf *w, const struct df_key *k)
{
	w_bytes(w, k->data, 24);
	w_int(w, k->aes_version, 1);
}

static void
w_file(struct wbuf *w, int no, const struct df_file *f)
{
	w_int(w, (uint32_t)no, 1);
	w_int(w, f->type, 1);
	w_int(w, f->comm, 1);
	w_int(w, f->ar, 2);
	w_int(w, f->has_iso_fid, 1);
	w_int(w, f->iso_fid, 2);
	switch (f->type) {
	case DF_FILE_STD:
	case DF_FILE_BACKUP:
		w_int(w, f->size, 4);
		w_bytes(w, f->data, f->size);
		break;
	case DF_FILE_VALUE:
		w_int(w, (uint32_t)f->lower, 4);
		w_int(w, (uint32_t)f->upper, 4);
		w_int(w, (uint32_t)f->value, 4);
		w_int(w, (uint32_t)f->lc_value, 4);
		w_int(w, f->lc_flags, 1);
		break;
	default:
		w_int(w, f->rec_size, 4);
		w_int(w, f->rec_max, 4);
		w_int(w, f->rec_count, 4);
		w_int(w, f->rec_oldest, 4);
		w_bytes(w, f->records, (size_t)f->rec_size * f->rec_max);
		break;
	}
}

static void
w_card(struct wbuf *w, const struct desfire_card *card)
{
	w_bytes(w, "SSADF", 6);
	w_int(w, STORE_VERSION, 2);
	w_bytes(w, card->uid, 7);
	w_int(w, card->picc_key_settings, 1);
	w_int(w, card->picc_key_type, 1);
	w_key(w, &card->picc_key);
	w_int(w, (uint32_t)card->napps, 1);
	for (size_t i = 0; i < card->napps; i++) {
		const struct df_app *a = card->apps[i];
		int nfiles = 0;
		w_int(w, a->aid, 3);
		w_int(w, a->key_settings, 1);
		w_int(w, a->nkeys, 1);
		w_int(w, a->key_type, 1);
		w_int(w, (a->iso_fids ? 1u : 0u) | (a->has_iso ? 2u : 0u), 1);
		w_int(w, a->iso_fid, 2);
		w_int(w, a->df_name_len, 1);
		w_bytes(w, a->df_name, 16);
		for (int k = 0; k < a->nkeys; k++)
			w_key(w, &a->keys[k]);
		for (int f = 0; f < DF_MAX_FILES; f++)
			nfiles += a->files[f].exists;
		w_int(w, (uint32_t)nfiles, 1);
		for (int f = 0; f < DF_MAX_FILES; f++)
			if (a->files[f].exists)
				w_file(w, f, &a->files[f]);
	}
	w_int(w, df_crc32(w->p, w->len) ^ 0xFFFFFFFFu, 4);
}

enum ssa_err
desfire_card_save(const struct desfire_card *card, const char *path)
{
	struct wbuf w = {0};
	enum ssa_err err = SSA_ERR_IO;
	char *tmp = NULL, *dircopy = NULL;
	int fd = -1, dfd = -1;
	size_t off = 0;

	if (!card || !path)
		return SSA_ERR_INVAL;
	w_card(&w, card);
	if (w.failed) {
		err = SSA_ERR_NOMEM;
		goto out;
	}
	if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0) {
		tmp = NULL;
		err = SSA_ERR_NOMEM;
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0)
		goto out;
	while (off < w.len) {
		ssize_t r = write(fd, w.p + off, w.len - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		off += (size_t)r;
	}
	/* Order matters: data on disk before the rename makes it the card, and the directory
	 * entry on disk before we report success. */
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	free(tmp);
	tmp = NULL;
	dircopy = strdup(path);
	if (!dircopy) {
		err = SSA_ERR_NOMEM;
		goto out;
	}
	dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || fsync(dfd) != 0)
		goto out;
	err = SSA_ERR_OK;
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	if (dfd >= 0)
		close(dfd);
	free(dircopy);
	free(w.p);
	return err;
}

/* --- reading ------------------------------------------------------------------------------- */

struct rbuf {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
};

static const uint8_t *
r_bytes(struct rbuf *r, size_t n)
{
	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		return NULL;
	}
	r->pos += n;
	return r->p + r->pos - n;
}

static uint32_t
r_int(struct rbuf *r, int n)
{
	const uint8_t *b = r_bytes(r, (size_t)n);
	return b ? df_get_le(b, n) : 0;
}

static void
r_key(struct rbuf *r, struct df_key *k)
{
	const uint8_t *b = r_bytes(r, 24);
	if (b)
		memcpy(k->data, b, 24);
	k->aes_version = (uint8_t)r_int(r, 1);
}

static bool
r_file(struct rbuf *r, struct df_app *a)
{
	uint32_t no = r_int(r, 1);
	struct df_file *f;
	const uint8_t *b;

	if (r->bad || no >= DF_MAX_FILES || a->files[no].exists)
		return false;
	f = &a->files[no];
	f->exists = true;
	f->type = (uint8_t)r_int(r, 1);
	f->comm = (uint8_t)r_int(r, 1);
	f->ar = (uint16_t)r_int(r, 2);
	f->has_iso_fid = r_int(r, 1) != 0;
	f->iso_fid = (uint16_t)r_int(r, 2);
	if (r->bad || (f->comm != 0 && f->comm != 1 && f->comm != 3))
		return false;
	switch (f->type) {
	case DF_FILE_STD:
	case DF_FILE_BACKUP:
		f->size = r_int(r, 4);
		if (r->bad || f->size == 0 || f->size > DF_MAX_FILE_SIZE)
			return false;
		if (!(b = r_bytes(r, f->size)) || !(f->data = malloc(f->size)))
			return false;
		memcpy(f->data, b, f->size);
		return true;
	case DF_FILE_VALUE:
		f->lower = (int32_t)r_int(r, 4);
		f->upper = (int32_t)r_int(r, 4);
		f->value = (int32_t)r_int(r, 4);
		f->lc_value = (int32_t)r_int(r, 4);
		f->lc_flags = (uint8_t)r_int(r, 1);
		return !r->bad && f->lower <= f->value && f->value <= f->upper &&
		       f->lc_value >= 0 && !(f->lc_flags & ~3);
	case DF_FILE_LINEAR:
	case DF_FILE_CYCLIC: {
		f->rec_size = r_int(r, 4);
		f->rec_max = r_int(r, 4);
		f->rec_count = r_int(r, 4);
		f->rec_oldest = r_int(r, 4);
		uint32_t cap = f->type == DF_FILE_CYCLIC ? f->rec_max - 1 : f->rec_max;
		if (r->bad || f->rec_size == 0 ||
		    f->rec_max < (f->type == DF_FILE_CYCLIC ? 2u : 1u) ||
		    (uint64_t)f->rec_size * f->rec_max > DF_MAX_FILE_SIZE || f->rec_count > cap ||
		    f->rec_oldest >= f->rec_max)
			return false;
		size_t sz = (size_t)f->rec_size * f->rec_max;
		if (!(b = r_bytes(r, sz)) || !(f->records = malloc(sz)))
			return false;
		memcpy(f->records, b, sz);
		return true;
	}
	default:
		return false;
	}
}

static bool
r_app(struct rbuf *r, struct desfire_card *card)
{
	struct df_app *a = calloc(1, sizeof(*a));
	uint32_t flags, nfiles;
	const uint8_t *b;

	if (!a)
		return false;
	/* Owned by the card from here, so that a failure below frees it with the card. */
	card->apps[card->napps++] = a;
	a->aid = r_int(r, 3);
	a->key_settings = (uint8_t)r_int(r, 1);
	a->nkeys = (uint8_t)r_int(r, 1);
	a->key_type = (enum df_key_type)r_int(r, 1);
	flags = r_int(r, 1);
	a->iso_fids = flags & 1;
	a->has_iso = (flags & 2) != 0;
	a->iso_fid = (uint16_t)r_int(r, 2);
	a->df_name_len = (uint8_t)r_int(r, 1);
	if ((b = r_bytes(r, 16)))
		memcpy(a->df_name, b, 16);
	if (r->bad || a->aid == 0 || a->nkeys > DF_MAX_KEYS || a->key_type > DF_KEY_AES ||
	    (flags & ~3u) || a->df_name_len > 16)
		return false;
	for (size_t i = 0; i + 1 < card->napps; i++)
		if (card->apps[i]->aid == a->aid)
			return false;
	for (int k = 0; k < a->nkeys; k++)
		r_key(r, &a->keys[k]);
	nfiles = r_int(r, 1);
	if (r->bad || nfiles > DF_MAX_FILES)
		return false;
	for (uint32_t i = 0; i < nfiles; i++)
		if (!r_file(r, a))
			return false;
	return !r->bad;
}

static enum ssa_err
parse_card(const uint8_t *p, size_t len, struct desfire_card **out)
{
	struct rbuf r = {.p = p, .len = len};
	struct desfire_card *card;
	const uint8_t *b;
	uint32_t napps;

	if (len < 12 || memcmp(p, "SSADF", 6) != 0)
		return SSA_ERR_CARD_FORMAT;
	if ((df_crc32(p, len - 4) ^ 0xFFFFFFFFu) != df_get_le(p + len - 4, 4))
		return SSA_ERR_CARD_FORMAT;
	r.len = len - 4;
	r.pos = 6;
	if (r_int(&r, 2) != STORE_VERSION)
		return SSA_ERR_CARD_FORMAT;
	card = df_card_alloc();
	if (!card)
		return SSA_ERR_NOMEM;
	if ((b = r_bytes(&r, 7)))
		memcpy(card->uid, b, 7);
	card->picc_key_settings = (uint8_t)r_int(&r, 1);
	card->picc_key_type = (enum df_key_type)r_int(&r, 1);
	r_key(&r, &card->picc_key);
	napps = r_int(&r, 1);
	if (r.bad || card->picc_key_type > DF_KEY_AES || napps > DF_MAX_APPS)
		goto bad;
	for (uint32_t i = 0; i < napps; i++)
		if (!r_app(&r, card))
			goto bad;
	if (r.bad || r.pos != r.len)
		goto bad;
	*out = card;
	return SSA_ERR_OK;
bad:
	desfire_card_free(card);
	return SSA_ERR_CARD_FORMAT;
}

enum ssa_err
desfire_card_load(const char *path, struct desfire_card **out)
{
	enum ssa_err err = SSA_ERR_IO;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd;

	if (!path || !out)
		return SSA_ERR_INVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? SSA_ERR_NOT_FOUND : SSA_ERR_IO;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)STORE_MAX_BYTES) {
		err = SSA_ERR_CARD_FORMAT;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err = SSA_ERR_NOMEM;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	err = parse_card(buf, len, out);
out:
	close(fd);
	free(buf);
	return err;
}

/* --- copying a file between cards --------------------------------------------------------- */

static struct df_file *
data_file(const struct desfire_card *card, uint32_t aid, uint8_t file_no)
{
	for (size_t i = 0; i < card->napps; i++) {
		struct df_app *app = card->apps[i];
		if (app->aid != aid)
			continue;
		if (file_no >= DF_MAX_FILES || !app->files[file_no].exists)
			return NULL;
		return &app->files[file_no];
	}
	return NULL;
}

enum ssa_err
desfire_card_copy_data(const struct desfire_card *src, struct desfire_card *dst, uint32_t aid,
                       uint8_t file_no)
{
	struct df_file *from, *to;

	if (src == NULL || dst == NULL)
		return SSA_ERR_INVAL;
	from = data_file(src, aid, file_no);
	to = data_file(dst, aid, file_no);
	if (from == NULL || to == NULL)
		return SSA_ERR_NOT_FOUND;
	if ((from->type != DF_FILE_STD && from->type != DF_FILE_BACKUP) || to->type != from->type ||
	    to->size != from->size || from->data == NULL || to->data == NULL)
		return SSA_ERR_CARD_FORMAT;
	memcpy(to->data, from->data, from->size);
	dst->dirty = true;
	return SSA_ERR_OK;
}
