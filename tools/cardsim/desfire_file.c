/* desfire_file.c — files of an application, their access rights, and transactions.
 *
 * Standard data files are written at once.  Backup data, value and record files are written to
 * a staging area (a shadow copy, a shadow value, one new record per file) that only
 * CommitTransaction applies, all files at once; AbortTransaction, selecting an application,
 * DeleteFile and desfire_card_reset() (the field is lost) drop it.  Reads always see the
 * committed state, as on a real card.  This is what the till's anti-tearing relies on.
 */
#include <stdlib.h>
#include <string.h>

#include "desfire_int.h"

/* Access right nibbles, as bit masks for file_access(). */
enum { AR_READ = 8, AR_WRITE = 4, AR_RW = 2, AR_CHANGE = 1 };

/* The communication mode of an operation that any of the rights in @p which allows: the file's
 * mode when authenticated with one of their keys, plain when one of them is free (0xE). */
static uint8_t
file_access(const struct desfire_card *card, const struct df_file *f, unsigned which, int *mode)
{
	static const int shift[4] = {12, 8, 4, 0};
	bool free_access = false, any = false;

	for (int i = 0; i < 4; i++) {
		if (!(which & (8u >> i)))
			continue;
		unsigned k = (f->ar >> shift[i]) & 0xF;
		if (k == 0xF)
			continue;
		any = true;
		if (k == 0xE)
			free_access = true;
		else if (card->auth_key >= 0 && (unsigned)card->auth_key == k) {
			*mode = f->comm;
			return DF_OK;
		}
	}
	if (free_access) {
		*mode = DF_RSP_PLAIN;
		return DF_OK;
	}
	return any ? DF_AUTH : DF_PERMISSION;
}

/* The file @p no of the selected application, or a status. */
static uint8_t
get_file(struct desfire_card *card, uint8_t no, struct df_file **f)
{
	if (!card->sel)
		return DF_PERMISSION;
	if (no >= DF_MAX_FILES)
		return DF_PARAMETER;
	if (!card->sel->files[no].exists)
		return DF_FILE_NOT_FOUND;
	*f = &card->sel->files[no];
	return DF_OK;
}

static uint32_t
round32(uint64_t n)
{
	return (uint32_t)((n + 31) / 32 * 32);
}

uint32_t
df_file_mem(const struct df_file *f)
{
	if (!f->exists)
		return 0;
	switch (f->type) {
	case DF_FILE_STD:
		return round32(f->size);
	case DF_FILE_BACKUP:
		return 2 * round32(f->size);
	case DF_FILE_VALUE:
		return 32;
	default:
		return round32((uint64_t)f->rec_size * f->rec_max);
	}
}

void
df_file_clear(struct df_file *f)
{
	free(f->data);
	free(f->shadow);
	free(f->records);
	free(f->r_new);
	memset(f, 0, sizeof(*f));
}

static void
file_unstage(struct df_file *f)
{
	free(f->shadow);
	f->shadow = NULL;
	free(f->r_new);
	f->r_new = NULL;
	f->r_clear = false;
	f->v_staged = false;
	f->v_debits = 0;
	f->v_limited = false;
	f->v_credit = false;
}

void
df_tx_abort(struct desfire_card *card)
{
	if (card->sel)
		for (int i = 0; i < DF_MAX_FILES; i++)
			file_unstage(&card->sel->files[i]);
	card->tx_dirty = false;
}

/* Directory listing rights: free (key settings bit 1) or the application master key. */
static uint8_t
directory_access(const struct desfire_card *card)
{
	if (!card->sel)
		return DF_PERMISSION;
	if (!(card->sel->key_settings & 0x02) && card->auth_key != 0)
		return DF_AUTH;
	return DF_OK;
}

/* Create/delete rights: free (key settings bit 2) or the application master key. */
static uint8_t
create_access(const struct desfire_card *card)
{
	if (!card->sel)
		return DF_PERMISSION;
	if (!(card->sel->key_settings & 0x04) && card->auth_key != 0)
		return DF_AUTH;
	return DF_OK;
}

uint8_t
df_cmd_get_file_ids(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	uint8_t st;

	(void)c;
	(void)mode;
	if (n != 1)
		return DF_LENGTH;
	if ((st = directory_access(card)) != DF_OK)
		return st;
	card->out_len = 0;
	for (int i = 0; i < DF_MAX_FILES; i++)
		if (card->sel->files[i].exists)
			card->out[card->out_len++] = (uint8_t)i;
	return DF_OK;
}

uint8_t
df_cmd_get_file_settings(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_file *f;
	uint8_t st, *o = card->out;

	(void)mode;
	if (n != 2)
		return DF_LENGTH;
	if ((st = directory_access(card)) != DF_OK || (st = get_file(card, c[1], &f)) != DF_OK)
		return st;
	o[0] = f->type;
	o[1] = f->comm;
	df_put_le(o + 2, f->ar, 2);
	switch (f->type) {
	case DF_FILE_STD:
	case DF_FILE_BACKUP:
		df_put_le(o + 4, f->size, 3);
		card->out_len = 7;
		break;
	case DF_FILE_VALUE:
		df_put_le(o + 4, (uint32_t)f->lower, 4);
		df_put_le(o + 8, (uint32_t)f->upper, 4);
		df_put_le(o + 12, (uint32_t)f->lc_value, 4);
		o[16] = f->lc_flags;
		card->out_len = 17;
		break;
	default:
		df_put_le(o + 4, f->rec_size, 3);
		df_put_le(o + 7, f->rec_max, 3);
		df_put_le(o + 10, f->rec_count, 3);
		card->out_len = 13;
		break;
	}
	return DF_OK;
}

static bool
comm_valid(uint8_t comm)
{
	return comm == 0 || comm == 1 || comm == 3;
}

uint8_t
df_cmd_change_file_settings(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_file *f;
	uint8_t st;
	unsigned change;

	(void)mode;
	if (n < 2)
		return DF_LENGTH;
	if ((st = get_file(card, c[1], &f)) != DF_OK)
		return st;
	change = f->ar & 0xF;
	if (change == 0xF)
		return DF_PERMISSION;
	if (change == 0xE)
		st = df_sm_command(card, DF_RSP_PLAIN, c, n, 2, 3, 0);
	else if (card->auth_key < 0 || (unsigned)card->auth_key != change)
		return DF_AUTH;
	else
		st = df_sm_command(card, DF_RSP_ENC, c, n, 2, 3, 0);
	if (st != DF_OK)
		return st;
	if (!comm_valid(c[2]))
		return DF_PARAMETER;
	f->comm = c[2];
	f->ar = (uint16_t)df_get_le(c + 3, 2);
	card->dirty = true;
	return DF_OK;
}

/* Common checks of the Create*File commands; @p base is the length without ISO file id.
 * On success *f is the (absent) file slot and *p points at the communication settings byte. */
static uint8_t
create_prologue(struct desfire_card *card, const uint8_t *c, size_t n, size_t base,
                struct df_file **f, const uint8_t **p, bool *has_fid)
{
	uint8_t st;

	if (n != base && n != base + 2)
		return DF_LENGTH;
	if ((st = create_access(card)) != DF_OK)
		return st;
	if (c[1] >= DF_MAX_FILES)
		return DF_PARAMETER;
	*f = &card->sel->files[c[1]];
	if ((*f)->exists)
		return DF_DUPLICATE;
	*has_fid = n == base + 2;
	*p = c + 2 + (*has_fid ? 2 : 0);
	if (!comm_valid((*p)[0]))
		return DF_PARAMETER;
	return DF_OK;
}

static uint8_t
create_commit(struct desfire_card *card, struct df_file *f, struct df_file *nf, const uint8_t *c,
              bool has_fid)
{
	nf->exists = true;
	nf->has_iso_fid = has_fid;
	if (has_fid)
		nf->iso_fid = (uint16_t)df_get_le(c + 2, 2);
	if (df_file_mem(nf) > df_free_memory(card)) {
		df_file_clear(nf);
		return DF_OUT_OF_MEMORY;
	}
	*f = *nf;
	card->dirty = true;
	return DF_OK;
}

uint8_t
df_cmd_create_data_file(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_file *f, nf;
	const uint8_t *p;
	bool has_fid;
	uint8_t st;

	(void)mode;
	if ((st = create_prologue(card, c, n, 8, &f, &p, &has_fid)) != DF_OK)
		return st;
	memset(&nf, 0, sizeof(nf));
	nf.type = c[0] == 0xCD ? DF_FILE_STD : DF_FILE_BACKUP;
	nf.comm = p[0];
	nf.ar = (uint16_t)df_get_le(p + 1, 2);
	nf.size = df_get_le(p + 3, 3);
	if (nf.size == 0 || nf.size > DF_MAX_FILE_SIZE)
		return DF_PARAMETER;
	if (df_file_mem(&(struct df_file){.exists = true, .type = nf.type, .size = nf.size}) >
	    df_free_memory(card))
		return DF_OUT_OF_MEMORY;
	nf.data = calloc(1, nf.size);
	if (!nf.data)
		return DF_OUT_OF_MEMORY;
	return create_commit(card, f, &nf, c, has_fid);
}

uint8_t
df_cmd_create_value_file(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_file *f, nf;
	const uint8_t *p;
	bool has_fid;
	uint8_t st;

	(void)mode;
	/* Value files have no ISO file id: only the 18-byte form is valid. */
	if (n != 18)
		return DF_LENGTH;
	if ((st = create_prologue(card, c, n, 18, &f, &p, &has_fid)) != DF_OK)
		return st;
	memset(&nf, 0, sizeof(nf));
	nf.type = DF_FILE_VALUE;
	nf.comm = p[0];
	nf.ar = (uint16_t)df_get_le(p + 1, 2);
	nf.lower = (int32_t)df_get_le(p + 3, 4);
	nf.upper = (int32_t)df_get_le(p + 7, 4);
	nf.value = (int32_t)df_get_le(p + 11, 4);
	nf.lc_flags = p[15];
	if (nf.lower > nf.upper || nf.value < nf.lower || nf.value > nf.upper || (nf.lc_flags & ~3))
		return DF_PARAMETER;
	return create_commit(card, f, &nf, c, false);
}

uint8_t
df_cmd_create_record_file(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_file *f, nf;
	const uint8_t *p;
	bool has_fid;
	uint8_t st;

	(void)mode;
	if ((st = create_prologue(card, c, n, 11, &f, &p, &has_fid)) != DF_OK)
		return st;
	memset(&nf, 0, sizeof(nf));
	nf.type = c[0] == 0xC1 ? DF_FILE_LINEAR : DF_FILE_CYCLIC;
	nf.comm = p[0];
	nf.ar = (uint16_t)df_get_le(p + 1, 2);
	nf.rec_size = df_get_le(p + 3, 3);
	nf.rec_max = df_get_le(p + 6, 3);
	if (nf.rec_size == 0 || nf.rec_max < (nf.type == DF_FILE_CYCLIC ? 2u : 1u) ||
	    (uint64_t)nf.rec_size * nf.rec_max > DF_MAX_FILE_SIZE)
		return DF_PARAMETER;
	nf.exists = true;
	if (df_file_mem(&nf) > df_free_memory(card))
		return DF_OUT_OF_MEMORY;
	nf.records = calloc(nf.rec_max, nf.rec_size);
	if (!nf.records)
		return DF_OUT_OF_MEMORY;
	return create_commit(card, f, &nf, c, has_fid);
}

uint8_t
df_cmd_delete_file(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_file *f;
	uint8_t st;

	(void)mode;
	if (n != 2)
		return DF_LENGTH;
	if ((st = create_access(card)) != DF_OK || (st = get_file(card, c[1], &f)) != DF_OK)
		return st;
	df_file_clear(f);
	card->dirty = true;
	return DF_OK;
}

/* Ring slot of the record @p age records older than the newest committed one. */
static uint32_t
record_slot(const struct df_file *f, uint32_t age)
{
	return (f->rec_oldest + f->rec_count - 1 - age) % f->rec_max;
}

uint8_t
df_cmd_read(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_file *f;
	uint8_t st;
	uint32_t off, len;

	if (n != 8)
		return DF_LENGTH;
	if ((st = get_file(card, c[1], &f)) != DF_OK)
		return st;
	off = df_get_le(c + 2, 3);
	len = df_get_le(c + 5, 3);
	if (c[0] == 0xBD) {
		if (f->type != DF_FILE_STD && f->type != DF_FILE_BACKUP)
			return DF_PARAMETER;
		if ((st = file_access(card, f, AR_READ | AR_RW, mode)) != DF_OK)
			return st;
		if (off >= f->size || (uint64_t)off + len > f->size)
			return DF_BOUNDARY;
		if (len == 0)
			len = f->size - off;
		memcpy(card->out, f->data + off, len);
		card->out_len = len;
		return DF_OK;
	}
	/* ReadRecords: offset counts back from the newest record, records go out oldest first. */
	if (f->type != DF_FILE_LINEAR && f->type != DF_FILE_CYCLIC)
		return DF_PARAMETER;
	if ((st = file_access(card, f, AR_READ | AR_RW, mode)) != DF_OK)
		return st;
	if (off >= f->rec_count || (uint64_t)off + len > f->rec_count)
		return DF_BOUNDARY;
	if (len == 0)
		len = f->rec_count - off;
	card->out_len = 0;
	for (uint32_t i = 0; i < len; i++) {
		uint32_t slot = record_slot(f, off + len - 1 - i);
		memcpy(card->out + card->out_len, f->records + (size_t)slot * f->rec_size,
		       f->rec_size);
		card->out_len += f->rec_size;
	}
	return DF_OK;
}

/* The file, communication mode and payload length of a WriteData/WriteRecord. */
static uint8_t
write_prologue(struct desfire_card *card, const uint8_t *c, struct df_file **f, int *mode)
{
	uint8_t st;

	if ((st = get_file(card, c[1], f)) != DF_OK)
		return st;
	if (c[0] == 0x3D && (*f)->type != DF_FILE_STD && (*f)->type != DF_FILE_BACKUP)
		return DF_PARAMETER;
	if (c[0] == 0x3B && (*f)->type != DF_FILE_LINEAR && (*f)->type != DF_FILE_CYCLIC)
		return DF_PARAMETER;
	return file_access(card, *f, AR_WRITE | AR_RW, mode);
}

uint8_t
df_write_length(struct desfire_card *card, const uint8_t *c, size_t *expected)
{
	struct df_file *f;
	int mode;
	uint8_t st;

	if ((st = write_prologue(card, c, &f, &mode)) != DF_OK)
		return st;
	*expected = df_sm_command_len(card, mode, 8, df_get_le(c + 5, 3), 0);
	return DF_OK;
}

uint8_t
df_cmd_write(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_file *f;
	int fmode;
	uint8_t st;
	uint32_t off, len;

	(void)mode;
	if (n < 8)
		return DF_LENGTH;
	if ((st = write_prologue(card, c, &f, &fmode)) != DF_OK)
		return st;
	off = df_get_le(c + 2, 3);
	len = df_get_le(c + 5, 3);
	if ((st = df_sm_command(card, fmode, c, n, 8, len, 0)) != DF_OK)
		return st;
	if (len == 0)
		return DF_LENGTH;
	if (c[0] == 0x3D) {
		if ((uint64_t)off + len > f->size)
			return DF_BOUNDARY;
		if (f->type == DF_FILE_STD) {
			memcpy(f->data + off, c + 8, len);
			card->dirty = true;
			return DF_OK;
		}
		if (!f->shadow) {
			f->shadow = malloc(f->size);
			if (!f->shadow)
				return DF_OUT_OF_MEMORY;
			memcpy(f->shadow, f->data, f->size);
		}
		memcpy(f->shadow + off, c + 8, len);
		card->tx_dirty = true;
		return DF_OK;
	}
	if ((uint64_t)off + len > f->rec_size)
		return DF_BOUNDARY;
	if (f->r_clear)
		return DF_PERMISSION;
	if (!f->r_new) {
		if (f->type == DF_FILE_LINEAR && f->rec_count >= f->rec_max)
			return DF_BOUNDARY;
		f->r_new = calloc(1, f->rec_size);
		if (!f->r_new)
			return DF_OUT_OF_MEMORY;
	}
	/* Several WriteRecord in one transaction fill the same new record. */
	memcpy(f->r_new + off, c + 8, len);
	card->tx_dirty = true;
	return DF_OK;
}

uint8_t
df_cmd_get_value(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_file *f;
	uint8_t st;

	if (n != 2)
		return DF_LENGTH;
	if ((st = get_file(card, c[1], &f)) != DF_OK)
		return st;
	if (f->type != DF_FILE_VALUE)
		return DF_PARAMETER;
	st = file_access(card, f, AR_READ | AR_WRITE | AR_RW, mode);
	if (st != DF_OK && (f->lc_flags & 0x02)) {
		*mode = DF_RSP_PLAIN; /* free GetValue */
		st = DF_OK;
	}
	if (st != DF_OK)
		return st;
	df_put_le(card->out, (uint32_t)f->value, 4);
	card->out_len = 4;
	return DF_OK;
}

uint8_t
df_cmd_value_op(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_file *f;
	int fmode;
	uint8_t st;
	int64_t amount, cur, next;
	unsigned rights;

	(void)mode;
	if (n < 2)
		return DF_LENGTH;
	if ((st = get_file(card, c[1], &f)) != DF_OK)
		return st;
	if (f->type != DF_FILE_VALUE)
		return DF_PARAMETER;
	/* Credit needs Read&Write; Debit any of Read, Write, Read&Write; LimitedCredit Write or
	 * Read&Write. */
	rights = c[0] == 0x0C   ? AR_RW
	         : c[0] == 0xDC ? (AR_READ | AR_WRITE | AR_RW)
	                        : (AR_WRITE | AR_RW);
	if ((st = file_access(card, f, rights, &fmode)) != DF_OK)
		return st;
	if ((st = df_sm_command(card, fmode, c, n, 2, 4, 0)) != DF_OK)
		return st;
	amount = (int32_t)df_get_le(c + 2, 4);
	if (amount < 0)
		return DF_PARAMETER;
	cur = f->v_staged ? f->v_shadow : f->value;
	switch (c[0]) {
	case 0x0C: /* Credit */
		next = cur + amount;
		if (next > f->upper)
			return DF_BOUNDARY;
		f->v_credit = true;
		break;
	case 0xDC: /* Debit */
		if (f->v_limited)
			return DF_PERMISSION;
		next = cur - amount;
		if (next < f->lower)
			return DF_BOUNDARY;
		f->v_debits += amount;
		break;
	default: /* LimitedCredit: up to the debits of the last committed transaction, once */
		if (!(f->lc_flags & 0x01) || f->v_debits > 0 || f->v_limited)
			return DF_PERMISSION;
		if (amount > f->lc_value)
			return DF_BOUNDARY;
		next = cur + amount;
		if (next > f->upper)
			return DF_BOUNDARY;
		f->v_limited = true;
		break;
	}
	f->v_staged = true;
	f->v_shadow = (int32_t)next;
	card->tx_dirty = true;
	return DF_OK;
}

uint8_t
df_cmd_clear_record_file(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_file *f;
	uint8_t st;
	int fmode;

	(void)mode;
	if (n != 2)
		return DF_LENGTH;
	if ((st = get_file(card, c[1], &f)) != DF_OK)
		return st;
	if (f->type != DF_FILE_LINEAR && f->type != DF_FILE_CYCLIC)
		return DF_PARAMETER;
	if ((st = file_access(card, f, AR_RW, &fmode)) != DF_OK)
		return st;
	if (f->r_new)
		return DF_PERMISSION;
	f->r_clear = true;
	card->tx_dirty = true;
	return DF_OK;
}

/* Apply the staged changes of @p f. */
static void
file_commit(struct df_file *f)
{
	if (f->shadow) {
		free(f->data);
		f->data = f->shadow;
		f->shadow = NULL;
	}
	if (f->v_staged) {
		f->value = f->v_shadow;
		if (f->v_debits > 0)
			f->lc_value = f->v_debits > INT32_MAX ? INT32_MAX : (int32_t)f->v_debits;
		else if (f->v_limited)
			f->lc_value = 0;
	}
	if (f->r_clear) {
		f->rec_count = 0;
		f->rec_oldest = 0;
		memset(f->records, 0, (size_t)f->rec_max * f->rec_size);
	}
	if (f->r_new) {
		/* A cyclic file keeps one slot free for the record being written. */
		uint32_t cap = f->type == DF_FILE_CYCLIC ? f->rec_max - 1 : f->rec_max;
		if (f->rec_count >= cap) {
			f->rec_oldest = (f->rec_oldest + 1) % f->rec_max;
			f->rec_count--;
		}
		uint32_t slot = (f->rec_oldest + f->rec_count) % f->rec_max;
		memcpy(f->records + (size_t)slot * f->rec_size, f->r_new, f->rec_size);
		f->rec_count++;
	}
	file_unstage(f);
}

uint8_t
df_cmd_commit(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	(void)c;
	(void)mode;
	if (n != 1)
		return DF_LENGTH;
	if (!card->sel || !card->tx_dirty)
		return DF_NO_CHANGES;
	/* Order matters: every file is committed in RAM before the caller is told (dirty) to
	 * persist, so a card file on disk holds either none or all of the transaction. */
	for (int i = 0; i < DF_MAX_FILES; i++)
		if (card->sel->files[i].exists)
			file_commit(&card->sel->files[i]);
	card->tx_dirty = false;
	card->dirty = true;
	return DF_OK;
}

uint8_t
df_cmd_abort(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	(void)c;
	(void)mode;
	if (n != 1)
		return DF_LENGTH;
	if (!card->sel || !card->tx_dirty)
		return DF_NO_CHANGES;
	df_tx_abort(card);
	return DF_OK;
}
