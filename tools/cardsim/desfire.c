/* desfire.c — the emulated DESFire EV1 card: framing, chaining, secure messaging,
 * authentication, PICC and application level commands.  File commands and transactions are in
 * desfire_file.c, persistence in desfire_store.c, primitives in desfire_crypto.c.
 *
 * Secure messaging follows what libfreefare 0.4.0 (mifare_desfire_crypto.c) expects of an EV1
 * card:
 *  - after AES (0xAA) or ISO (0x1A) authentication ("new" scheme), the card computes a CMAC over
 *    every plain command (the IV carries over), appends CMAC(data || status) to every successful
 *    response, and encrypts with data || CRC32(data || status) || zero padding, CBC with the
 *    running IV; encrypted commands carry CRC32 over the command header and payload;
 *  - after legacy (0x0A) authentication, MACs are 4 bytes of DES/3DES CBC with a zero IV over the
 *    file data only, encryption uses CRC16 and a zero IV per message, and the host "encrypts"
 *    with the decryption direction, so the card decodes with the encryption direction.
 * An error aborts the transaction; it ends the authentication only when the IV can no longer
 * follow the host's (see after_status()).
 */
#include <stdlib.h>
#include <string.h>

#include "desfire_int.h"

void
df_put_le(uint8_t *p, uint32_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t
df_get_le(const uint8_t *p, int n)
{
	uint32_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

void
df_drop_auth(struct desfire_card *card)
{
	card->auth_key = -1;
	memset(&card->skey, 0, sizeof(card->skey));
	memset(card->iv, 0, sizeof(card->iv));
}

/* --- responses --------------------------------------------------------------------------- */

static size_t emit_status(struct desfire_card *card, uint8_t status, bool wrapped, uint8_t *resp,
                          size_t cap);

/* Legacy MAC: the first 4 bytes of the last block of CBC encryption with a zero IV of @p d
 * padded with zeros to whole blocks. */
static bool
legacy_mac(const struct df_cipher_key *k, const uint8_t *d, size_t len, uint8_t mac[4])
{
	size_t bs = df_block_size(k);
	uint8_t iv[16] = {0}, blk[16];
	size_t total = len == 0 ? bs : (len + bs - 1) / bs * bs;

	for (size_t off = 0; off < total; off += bs) {
		memset(blk, 0, sizeof(blk));
		if (off < len)
			memcpy(blk, d + off, len - off < bs ? len - off : bs);
		for (size_t i = 0; i < bs; i++)
			blk[i] ^= iv[i];
		if (!df_block(k, true, blk))
			return false;
		memcpy(iv, blk, bs);
	}
	memcpy(mac, iv, 4);
	return true;
}

/* Append the secure messaging trailer to card->out[0..out_len) (the data of a successful
 * response).  false when the data would not fit or the cipher failed. */
static bool
protect(struct desfire_card *card, int mode)
{
	uint8_t *d = card->out;
	size_t len = card->out_len;
	uint8_t mac[16];

	if (card->auth_key < 0 || mode == DF_RSP_NONE)
		return true;
	size_t bs = df_block_size(&card->skey);
	if (len + 4 + 2 * bs + 1 > sizeof(card->out))
		return false;
	if (card->scheme == DF_AS_NEW) {
		d[len] = DF_OK;
		if (mode != DF_RSP_ENC) {
			if (!df_cmac(&card->skey, card->iv, d, len + 1, mac))
				return false;
			memcpy(d + len, mac, 8);
			card->out_len = len + 8;
			return true;
		}
		df_put_le(d + len, df_crc32(d, len + 1), 4);
		size_t total = (len + 4 + bs - 1) / bs * bs;
		memset(d + len + 4, 0, total - len - 4);
		if (!df_cbc_encrypt(&card->skey, card->iv, d, total))
			return false;
		card->out_len = total;
		return true;
	}
	/* Legacy scheme: nothing on plain data, a 4-byte MAC, or CRC16 and a zero IV. */
	if (mode == DF_RSP_PLAIN)
		return true;
	if (mode == DF_RSP_MACED) {
		if (!legacy_mac(&card->skey, d, len, mac))
			return false;
		memcpy(d + len, mac, 4);
		card->out_len = len + 4;
		return true;
	}
	df_put_le(d + len, df_crc16(d, len), 2);
	size_t total = (len + 2 + bs - 1) / bs * bs;
	memset(d + len + 2, 0, total - len - 2);
	memset(card->iv, 0, sizeof(card->iv));
	if (!df_cbc_encrypt(&card->skey, card->iv, d, total))
		return false;
	memset(card->iv, 0, sizeof(card->iv));
	card->out_len = total;
	return true;
}

/* Write the next frame of the pending response to @p resp. */
static size_t
emit_frame(struct desfire_card *card, bool wrapped, uint8_t *resp, size_t cap)
{
	size_t left = card->out_len - card->out_pos;
	size_t chunk = DF_CHAIN_MAX;
	uint8_t status;

	if (card->out_chunk_i < 3 && card->out_chunks[card->out_chunk_i]) {
		chunk = card->out_chunks[card->out_chunk_i];
		card->out_chunk_i++;
	}
	if (chunk > left)
		chunk = left;
	status = chunk < left ? DF_MORE : card->out_status;
	if (cap < chunk + 2)
		return 0;
	if (wrapped) {
		memcpy(resp, card->out + card->out_pos, chunk);
		resp[chunk] = 0x91;
		resp[chunk + 1] = status;
	} else {
		resp[0] = status;
		memcpy(resp + 1, card->out + card->out_pos, chunk);
	}
	card->out_pos += chunk;
	if (card->out_pos >= card->out_len) {
		card->out_len = card->out_pos = 0;
		memset(card->out_chunks, 0, sizeof(card->out_chunks));
		card->out_chunk_i = 0;
		card->out_active = false;
	}
	return chunk + (wrapped ? 2 : 1);
}

/* --- secure messaging of commands ---------------------------------------------------------- */

size_t
df_sm_command_len(const struct desfire_card *card, int mode, size_t off, size_t plen, size_t extra)
{
	if (card->auth_key < 0 || mode == DF_RSP_PLAIN)
		return off + plen;
	size_t bs = df_block_size(&card->skey);
	if (mode == DF_RSP_MACED)
		return off + plen + (card->scheme == DF_AS_NEW ? 8 : 4);
	size_t crc = card->scheme == DF_AS_NEW ? 4 : 2;
	return off + (plen + crc + extra + bs - 1) / bs * bs;
}

uint8_t
df_sm_command(struct desfire_card *card, int mode, uint8_t *buf, size_t n, size_t off, size_t plen,
              size_t extra)
{
	uint8_t mac[16];

	if (n != df_sm_command_len(card, mode, off, plen, extra))
		return DF_LENGTH;
	if (card->auth_key < 0)
		return DF_OK;
	/* From here the IV moves as the host's did, whatever the outcome. */
	card->sm_done = true;
	if (mode == DF_RSP_PLAIN) {
		if (card->scheme == DF_AS_NEW && !df_cmac(&card->skey, card->iv, buf, n, mac))
			return DF_INTEGRITY;
		return DF_OK;
	}
	if (mode == DF_RSP_MACED) {
		if (card->scheme == DF_AS_NEW) {
			if (!df_cmac(&card->skey, card->iv, buf, off + plen, mac) ||
			    memcmp(mac, buf + off + plen, 8) != 0)
				return DF_INTEGRITY;
			return DF_OK;
		}
		if (!legacy_mac(&card->skey, buf + off, plen, mac) ||
		    memcmp(mac, buf + off + plen, 4) != 0)
			return DF_INTEGRITY;
		return DF_OK;
	}
	/* enciphered: payload || CRC || [extra] || zero padding */
	bool ok;
	size_t end;
	if (card->scheme == DF_AS_NEW) {
		ok = df_cbc_decrypt(&card->skey, card->iv, buf + off, n - off);
		end = off + plen + 4;
		ok = ok && df_crc32(buf, off + plen) == df_get_le(buf + off + plen, 4);
	} else {
		memset(card->iv, 0, sizeof(card->iv));
		ok = df_legacy_decode(&card->skey, card->iv, buf + off, n - off);
		memset(card->iv, 0, sizeof(card->iv));
		end = off + plen + 2;
		ok = ok && df_crc16(buf + off, plen) == df_get_le(buf + off + plen, 2);
	}
	for (size_t i = end + extra; ok && i < n; i++)
		if (buf[i] != 0)
			ok = false;
	return ok ? DF_OK : DF_INTEGRITY;
}

/* --- keys and authentication --------------------------------------------------------------- */

/* The stored key @p key_no of the current level, and its family. */
static struct df_key *
level_key(struct desfire_card *card, unsigned key_no, enum df_key_type *type)
{
	if (!card->sel) {
		if (key_no != 0)
			return NULL;
		*type = card->picc_key_type;
		return &card->picc_key;
	}
	if (key_no >= card->sel->nkeys)
		return NULL;
	*type = card->sel->key_type;
	return &card->sel->keys[key_no];
}

static void
rotate_left(uint8_t *d, size_t n)
{
	uint8_t first = d[0];
	memmove(d, d + 1, n - 1);
	d[n - 1] = first;
}

static uint8_t
cmd_authenticate(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	enum df_key_type type;
	struct df_key *key;
	size_t len;

	*mode = DF_RSP_NONE;
	df_drop_auth(card);
	if (n != 2)
		return DF_LENGTH;
	key = level_key(card, c[1], &type);
	if (!key)
		return DF_NO_SUCH_KEY;
	if ((c[0] == 0xAA) != (type == DF_KEY_AES) || (c[0] == 0x0A && type != DF_KEY_2K3DES))
		return DF_AUTH;
	df_cipher_key_from(type, key, &card->auth_ckey);
	len = (c[0] == 0xAA || type == DF_KEY_3K3DES) ? 16 : 8;
	df_random(card, card->rndb, len);
	memcpy(card->out, card->rndb, len);
	memset(card->iv, 0, sizeof(card->iv));
	if (!df_cbc_encrypt(&card->auth_ckey, card->iv, card->out, len))
		return DF_INTEGRITY;
	card->auth_cmd = c[0];
	card->auth_len = len;
	card->auth_pending_key = c[1];
	card->out_len = len;
	return DF_MORE;
}

/* Second frame of an authentication: AF || E(RndA || RndB <<< 8). */
static uint8_t
cmd_authenticate2(struct desfire_card *card, const uint8_t *c, size_t n)
{
	size_t len = card->auth_len;
	uint8_t tok[32], rndb_rot[16], rnda[16];
	bool legacy = card->auth_cmd == 0x0A;
	const struct df_cipher_key *k = &card->auth_ckey;
	struct df_cipher_key *s = &card->skey;
	int key_no = card->auth_pending_key;

	card->auth_pending_key = -1;
	if (n != 1 + 2 * len)
		return DF_LENGTH;
	memcpy(tok, c + 1, 2 * len);
	if (legacy) {
		memset(card->iv, 0, sizeof(card->iv));
		if (!df_legacy_decode(k, card->iv, tok, 2 * len))
			return DF_INTEGRITY;
	} else if (!df_cbc_decrypt(k, card->iv, tok, 2 * len)) {
		return DF_INTEGRITY;
	}
	memcpy(rndb_rot, card->rndb, len);
	rotate_left(rndb_rot, len);
	if (memcmp(rndb_rot, tok + len, len) != 0)
		return DF_AUTH;
	memcpy(rnda, tok, len);
	memcpy(card->out, rnda, len);
	rotate_left(card->out, len);
	if (legacy)
		memset(card->iv, 0, sizeof(card->iv));
	if (!df_cbc_encrypt(k, card->iv, card->out, len))
		return DF_INTEGRITY;
	card->out_len = len;

	/* Session key (DESFire EV1): halves of RndA and RndB interleaved. */
	const uint8_t *a = rnda, *b = card->rndb;
	memset(s, 0, sizeof(*s));
	s->cipher = k->cipher;
	switch (k->cipher) {
	case DF_CIPHER_DES:
		memcpy(s->data, a, 4);
		memcpy(s->data + 4, b, 4);
		memcpy(s->data + 8, s->data, 8);
		break;
	case DF_CIPHER_2K3DES:
		memcpy(s->data, a, 4);
		memcpy(s->data + 4, b, 4);
		memcpy(s->data + 8, a + 4, 4);
		memcpy(s->data + 12, b + 4, 4);
		break;
	case DF_CIPHER_3K3DES:
		memcpy(s->data, a, 4);
		memcpy(s->data + 4, b, 4);
		memcpy(s->data + 8, a + 6, 4);
		memcpy(s->data + 12, b + 6, 4);
		memcpy(s->data + 16, a + 12, 4);
		memcpy(s->data + 20, b + 12, 4);
		break;
	case DF_CIPHER_AES:
		memcpy(s->data, a, 4);
		memcpy(s->data + 4, b, 4);
		memcpy(s->data + 8, a + 12, 4);
		memcpy(s->data + 12, b + 12, 4);
		break;
	}
	card->scheme = legacy ? DF_AS_LEGACY : DF_AS_NEW;
	card->auth_key = key_no;
	memset(card->iv, 0, sizeof(card->iv));
	return DF_OK;
}

/* Key version: the AES version byte, or the parity bits of the first DES key. */
static uint8_t
key_version(enum df_key_type type, const struct df_key *k)
{
	uint8_t v = 0;

	if (type == DF_KEY_AES)
		return k->aes_version;
	for (int i = 0; i < 8; i++)
		v |= (uint8_t)((k->data[i] & 1) << (7 - i));
	return v;
}

static uint8_t
cmd_get_key_version(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	enum df_key_type type;
	struct df_key *key;

	(void)mode;
	if (n != 2)
		return DF_LENGTH;
	if (!card->sel && c[1] != 0)
		return DF_NO_SUCH_KEY;
	key = level_key(card, c[1] & 0x0F, &type);
	if (!key)
		return DF_NO_SUCH_KEY;
	card->out[0] = key_version(type, key);
	card->out_len = 1;
	return DF_OK;
}

static uint8_t
cmd_get_key_settings(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	uint8_t ks = card->sel ? card->sel->key_settings : card->picc_key_settings;
	enum df_key_type type = card->sel ? card->sel->key_type : card->picc_key_type;

	(void)c;
	(void)mode;
	if (n != 1)
		return DF_LENGTH;
	if (!(ks & 0x02) && card->auth_key != 0)
		return DF_AUTH;
	card->out[0] = ks;
	card->out[1] =
	    (uint8_t)((card->sel ? card->sel->nkeys : 1) | (type == DF_KEY_AES      ? 0x80
	                                                    : type == DF_KEY_3K3DES ? 0x40
	                                                                            : 0));
	card->out_len = 2;
	return DF_OK;
}

static uint8_t
cmd_change_key_settings(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	uint8_t *ks = card->sel ? &card->sel->key_settings : &card->picc_key_settings;
	uint8_t st;

	(void)mode;
	if (card->auth_key != 0)
		return DF_AUTH;
	if (!(*ks & 0x08))
		return DF_PERMISSION;
	st = df_sm_command(card, DF_RSP_ENC, c, n, 1, 1, 0);
	if (st != DF_OK)
		return st;
	*ks = c[1];
	card->dirty = true;
	return DF_OK;
}

static uint8_t
cmd_change_key(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	unsigned key_no;
	enum df_key_type type, new_type;
	struct df_key *key;
	size_t klen, plen, extra, crclen;
	bool same;
	uint8_t st, nk[24];

	if (n < 2)
		return DF_LENGTH;
	key_no = c[1] & 0x0F;
	if (!card->sel && (c[1] & 0x3F) != 0)
		return DF_NO_SUCH_KEY;
	key = level_key(card, key_no, &type);
	if (!key)
		return DF_NO_SUCH_KEY;
	if (card->auth_key < 0)
		return DF_AUTH;
	new_type = type;
	if (!card->sel) {
		if ((c[1] & 0xC0) == 0xC0)
			return DF_PARAMETER;
		new_type = (c[1] & 0x80)   ? DF_KEY_AES
		           : (c[1] & 0x40) ? DF_KEY_3K3DES
		                           : DF_KEY_2K3DES;
		if (card->auth_key != 0)
			return DF_AUTH;
		if (!(card->picc_key_settings & 0x01))
			return DF_PERMISSION;
	} else {
		uint8_t ks = card->sel->key_settings;
		unsigned access = ks >> 4;
		if (key_no == 0) {
			if (card->auth_key != 0)
				return DF_AUTH;
			if (!(ks & 0x01))
				return DF_PERMISSION;
		} else if (access == 0x0F) {
			return DF_PERMISSION;
		} else if (access == 0x0E) {
			if ((unsigned)card->auth_key != key_no)
				return DF_AUTH;
		} else if ((unsigned)card->auth_key != access) {
			return DF_AUTH;
		}
	}
	same = (unsigned)card->auth_key == key_no;
	klen = new_type == DF_KEY_3K3DES ? 24 : 16;
	plen = klen + (new_type == DF_KEY_AES ? 1 : 0);
	crclen = card->scheme == DF_AS_NEW ? 4 : 2;
	extra = same ? 0 : crclen;
	st = df_sm_command(card, DF_RSP_ENC, c, n, 2, plen, extra);
	if (st != DF_OK)
		return st;
	memcpy(nk, c + 2, klen);
	if (!same) {
		/* The new key travels xored with the old one, and has its own CRC. */
		const uint8_t *at = c + 2 + plen + crclen;
		for (size_t i = 0; i < klen; i++)
			nk[i] ^= key->data[i];
		bool ok = card->scheme == DF_AS_NEW ? df_crc32(nk, klen) == df_get_le(at, 4)
		                                    : df_crc16(nk, klen) == df_get_le(at, 2);
		if (!ok)
			return DF_INTEGRITY;
	}
	memset(key, 0, sizeof(*key));
	memcpy(key->data, nk, klen);
	if (new_type == DF_KEY_AES)
		key->aes_version = c[2 + klen];
	if (!card->sel)
		card->picc_key_type = new_type;
	card->dirty = true;
	if (same) {
		/* The session's key is gone: the answer is a bare status. */
		df_drop_auth(card);
		*mode = DF_RSP_NONE;
	}
	return DF_OK;
}

/* --- PICC level commands ------------------------------------------------------------------- */

static uint8_t
cmd_get_version(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	static const uint8_t hw[7] = {0x04, 0x01, 0x01, 0x01, 0x00, 0x1A, 0x05};
	static const uint8_t sw[7] = {0x04, 0x01, 0x01, 0x01, 0x04, 0x1A, 0x05};
	uint8_t *o = card->out;

	(void)c;
	(void)mode;
	if (n != 1)
		return DF_LENGTH;
	memcpy(o, hw, 7);
	memcpy(o + 7, sw, 7);
	memcpy(o + 14, card->uid, 7);
	/* batch number derived from the UID so that it is stable; production week 1 of 2026 */
	for (int i = 0; i < 5; i++)
		o[21 + i] = (uint8_t)(card->uid[i] ^ 0x5A);
	o[26] = 0x01;
	o[27] = 0x26;
	card->out_len = 28;
	card->out_chunks[0] = 7;
	card->out_chunks[1] = 7;
	return DF_OK;
}

static uint32_t
app_mem(const struct df_app *app)
{
	uint32_t m = 64 + 32 * (uint32_t)((app->nkeys * 25 + 31) / 32);
	for (int i = 0; i < DF_MAX_FILES; i++)
		m += df_file_mem(&app->files[i]);
	return m;
}

uint32_t
df_free_memory(const struct desfire_card *card)
{
	uint32_t used = 0;
	for (size_t i = 0; i < card->napps; i++)
		used += app_mem(card->apps[i]);
	return used >= DF_CAPACITY ? 0 : DF_CAPACITY - used;
}

static uint8_t
cmd_free_memory(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	(void)c;
	(void)mode;
	if (n != 1)
		return DF_LENGTH;
	df_put_le(card->out, df_free_memory(card), 3);
	card->out_len = 3;
	return DF_OK;
}

static uint8_t
cmd_get_card_uid(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	(void)c;
	if (n != 1)
		return DF_LENGTH;
	if (card->auth_key < 0)
		return DF_AUTH;
	memcpy(card->out, card->uid, 7);
	card->out_len = 7;
	*mode = DF_RSP_ENC;
	return DF_OK;
}

static struct df_app *
find_app(struct desfire_card *card, uint32_t aid, size_t *index)
{
	for (size_t i = 0; i < card->napps; i++)
		if (card->apps[i]->aid == aid) {
			if (index)
				*index = i;
			return card->apps[i];
		}
	return NULL;
}

static uint8_t
cmd_get_application_ids(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	(void)c;
	(void)mode;
	if (n != 1)
		return DF_LENGTH;
	if (card->sel)
		return DF_PERMISSION;
	if (!(card->picc_key_settings & 0x02) && card->auth_key != 0)
		return DF_AUTH;
	for (size_t i = 0; i < card->napps; i++)
		df_put_le(card->out + 3 * i, card->apps[i]->aid, 3);
	card->out_len = 3 * card->napps;
	return DF_OK;
}

static uint8_t
cmd_create_application(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_app *app;
	uint32_t aid;
	uint8_t nkeys, crypto;

	(void)mode;
	if (n < 6 || n == 7 || n > 8 + 16)
		return DF_LENGTH;
	if (card->sel)
		return DF_PERMISSION;
	if (!(card->picc_key_settings & 0x04) && card->auth_key != 0)
		return DF_AUTH;
	aid = df_get_le(c + 1, 3);
	nkeys = c[5] & 0x0F;
	crypto = c[5] & 0xC0;
	if (aid == 0 || nkeys > DF_MAX_KEYS || crypto == 0xC0)
		return DF_PARAMETER;
	if (find_app(card, aid, NULL))
		return DF_DUPLICATE;
	if (card->napps >= DF_MAX_APPS)
		return DF_COUNT;
	app = calloc(1, sizeof(*app));
	if (!app)
		return DF_OUT_OF_MEMORY;
	app->aid = aid;
	app->key_settings = c[4];
	app->nkeys = nkeys;
	app->key_type = crypto == 0x80   ? DF_KEY_AES
	                : crypto == 0x40 ? DF_KEY_3K3DES
	                                 : DF_KEY_2K3DES;
	app->iso_fids = (c[5] & 0x20) != 0;
	if (n >= 8) {
		app->has_iso = true;
		app->iso_fid = (uint16_t)df_get_le(c + 6, 2);
		app->df_name_len = (uint8_t)(n - 8);
		memcpy(app->df_name, c + 8, n - 8);
	}
	if (app_mem(app) > df_free_memory(card)) {
		free(app);
		return DF_OUT_OF_MEMORY;
	}
	card->apps[card->napps++] = app;
	card->dirty = true;
	return DF_OK;
}

static uint8_t
cmd_delete_application(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_app *app;
	uint32_t aid;
	size_t idx;

	if (n != 4)
		return DF_LENGTH;
	aid = df_get_le(c + 1, 3);
	if (aid == 0)
		return DF_PARAMETER;
	app = find_app(card, aid, &idx);
	if (!app)
		return DF_APP_NOT_FOUND;
	if (card->auth_key != 0 || (card->sel && card->sel != app))
		return DF_AUTH;
	if (card->sel == app) {
		df_tx_abort(card);
		card->sel = NULL;
		df_drop_auth(card);
		*mode = DF_RSP_NONE;
	}
	df_app_free(app);
	memmove(card->apps + idx, card->apps + idx + 1, (card->napps - idx - 1) * sizeof(app));
	card->napps--;
	card->dirty = true;
	return DF_OK;
}

static uint8_t
cmd_select_application(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	struct df_app *app = NULL;
	uint32_t aid;

	(void)mode;
	if (n != 4)
		return DF_LENGTH;
	df_tx_abort(card);
	df_drop_auth(card);
	aid = df_get_le(c + 1, 3);
	if (aid != 0) {
		app = find_app(card, aid, NULL);
		if (!app)
			return DF_APP_NOT_FOUND;
	}
	card->sel = app;
	return DF_OK;
}

static uint8_t
cmd_format_picc(struct desfire_card *card, uint8_t *c, size_t n, int *mode)
{
	(void)c;
	(void)mode;
	if (n != 1)
		return DF_LENGTH;
	if (card->sel || card->auth_key != 0)
		return DF_AUTH;
	for (size_t i = 0; i < card->napps; i++)
		df_app_free(card->apps[i]);
	card->napps = 0;
	card->dirty = true;
	return DF_OK;
}

/* --- dispatch ------------------------------------------------------------------------------ */

struct df_command {
	uint8_t ins;
	bool plain_cmac; /* the host CMACs the whole command (new scheme) before the handler runs */
	df_handler fn;
};

static const struct df_command commands[] = {
    {0x60, true, cmd_get_version},
    {0x6E, true, cmd_free_memory},
    {0x51, true, cmd_get_card_uid},
    {0x6A, true, cmd_get_application_ids},
    {0xCA, true, cmd_create_application},
    {0xDA, true, cmd_delete_application},
    {0x5A, true, cmd_select_application},
    {0xFC, true, cmd_format_picc},
    {0x45, true, cmd_get_key_settings},
    {0x54, false, cmd_change_key_settings},
    {0x64, true, cmd_get_key_version},
    {0xC4, false, cmd_change_key},
    {0x0A, false, cmd_authenticate},
    {0x1A, false, cmd_authenticate},
    {0xAA, false, cmd_authenticate},
    {0x6F, true, df_cmd_get_file_ids},
    {0xF5, true, df_cmd_get_file_settings},
    {0x5F, false, df_cmd_change_file_settings},
    {0xCD, true, df_cmd_create_data_file},
    {0xCB, true, df_cmd_create_data_file},
    {0xCC, true, df_cmd_create_value_file},
    {0xC1, true, df_cmd_create_record_file},
    {0xC0, true, df_cmd_create_record_file},
    {0xDF, true, df_cmd_delete_file},
    {0xBD, true, df_cmd_read},
    {0xBB, true, df_cmd_read},
    {0x3D, false, df_cmd_write},
    {0x3B, false, df_cmd_write},
    {0x6C, true, df_cmd_get_value},
    {0x0C, false, df_cmd_value_op},
    {0xDC, false, df_cmd_value_op},
    {0x1C, false, df_cmd_value_op},
    {0xEB, true, df_cmd_clear_record_file},
    {0xC7, true, df_cmd_commit},
    {0xA7, true, df_cmd_abort},
};

/* Run one complete native command held in card->in[0..n).  Leaves the response data in
 * card->out and returns its status. */
static uint8_t
execute(struct desfire_card *card, size_t n)
{
	uint8_t *c = card->in;
	const struct df_command *cmd = NULL;
	int mode = DF_RSP_PLAIN;
	uint8_t mac[16], st;

	card->out_len = 0;
	card->out_pos = 0;
	memset(card->out_chunks, 0, sizeof(card->out_chunks));
	card->out_chunk_i = 0;
	card->sm_done = false;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].ins == c[0])
			cmd = &commands[i];
	if (!cmd)
		return DF_ILLEGAL_COMMAND;
	if (cmd->plain_cmac && card->auth_key >= 0 && card->scheme == DF_AS_NEW) {
		if (!df_cmac(&card->skey, card->iv, c, n, mac))
			return DF_INTEGRITY;
		card->sm_done = true;
	}
	st = cmd->fn(card, c, n, &mode);
	if (st == DF_OK && !protect(card, mode))
		st = DF_INTEGRITY;
	return st;
}

/* What an error does: it ends the chaining and aborts the transaction (as libfreefare's tests
 * against real cards show); it ends the authentication when the command's MAC or CRC did not
 * verify, or when the card stopped before consuming the command's secure messaging, since
 * its IV would then no longer follow the host's.  Otherwise the session goes on. */
static void
after_status(struct desfire_card *card, uint8_t st)
{
	if (st == DF_OK || st == DF_MORE)
		return;
	card->out_len = 0;
	if (st == DF_NO_CHANGES)
		return;
	df_tx_abort(card);
	if (st == DF_INTEGRITY || (card->scheme == DF_AS_NEW && !card->sm_done))
		df_drop_auth(card);
}

/* Expected total length of a chained WriteData/WriteRecord, from its first frame. */
static uint8_t
expected_length(struct desfire_card *card, const uint8_t *c, size_t n, size_t *expected)
{
	if (c[0] != 0x3D && c[0] != 0x3B) {
		*expected = n;
		return DF_OK;
	}
	if (n < 8)
		return DF_LENGTH;
	uint8_t st = df_write_length(card, c, expected);
	if (st == DF_OK && *expected > sizeof(card->in))
		return DF_LENGTH;
	return st;
}

size_t
desfire_card_process(struct desfire_card *card, const uint8_t *cmd, size_t len, uint8_t *resp,
                     size_t cap)
{
	bool wrapped = false;
	const uint8_t *data = cmd;
	size_t n = len;
	uint8_t ins, st;

	if (!card || !cmd || !resp || cap < 2 || len == 0)
		return 0;
	if (cmd[0] == 0x90 && len >= 5) {
		/* ISO 7816-4 wrapping: 90 INS P1 P2 [Lc data] [Le] */
		size_t lc = len > 5 ? cmd[4] : 0;
		if (cmd[2] != 0 || cmd[3] != 0 || (len != 5 && len != 5 + lc && len != 6 + lc)) {
			resp[0] = 0x67; /* wrong length */
			resp[1] = 0x00;
			return 2;
		}
		wrapped = true;
		ins = cmd[1];
		data = cmd + 5;
		n = 1 + lc;
	} else if (cmd[0] == 0x00 || (cmd[0] & 0xF0) == 0x80 || (cmd[0] & 0xF0) == 0x90) {
		/* other ISO 7816-4 classes: instruction not supported */
		resp[0] = 0x6D;
		resp[1] = 0x00;
		return 2;
	} else {
		ins = cmd[0];
		data = cmd + 1;
		n = len;
	}
	if (n > sizeof(card->in))
		return emit_status(card, DF_LENGTH, wrapped, resp, cap);

	if (ins == DF_MORE) {
		if (card->out_active)
			return emit_frame(card, wrapped, resp, cap);
		if (card->auth_pending_key >= 0) {
			card->in[0] = ins;
			memcpy(card->in + 1, data, n - 1);
			card->out_len = 0;
			st = cmd_authenticate2(card, card->in, n);
			after_status(card, st);
			return df_finish(card, st, wrapped, resp, cap);
		}
		if (card->in_active) {
			if (card->in_len + n - 1 > card->in_expected) {
				card->in_active = false;
				after_status(card, DF_LENGTH);
				return emit_status(card, DF_LENGTH, wrapped, resp, cap);
			}
			memcpy(card->in + card->in_len, data, n - 1);
			card->in_len += n - 1;
			if (card->in_len < card->in_expected)
				return emit_status(card, DF_MORE, wrapped, resp, cap);
			card->in_active = false;
			st = execute(card, card->in_len);
			after_status(card, st);
			return df_finish(card, st, wrapped, resp, cap);
		}
		after_status(card, DF_ILLEGAL_COMMAND);
		return emit_status(card, DF_ILLEGAL_COMMAND, wrapped, resp, cap);
	}

	/* A new command ends whatever exchange was in progress. */
	card->out_active = false;
	card->out_len = card->out_pos = 0;
	card->in_active = false;
	card->auth_pending_key = -1;
	card->in[0] = ins;
	memcpy(card->in + 1, data, n - 1);
	card->sm_done = false;
	size_t expected;
	st = expected_length(card, card->in, n, &expected);
	if (st == DF_OK && n < expected) {
		card->in_active = true;
		card->in_len = n;
		card->in_expected = expected;
		return emit_status(card, DF_MORE, wrapped, resp, cap);
	}
	if (st == DF_OK)
		st = execute(card, n);
	after_status(card, st);
	return df_finish(card, st, wrapped, resp, cap);
}

size_t
df_finish(struct desfire_card *card, uint8_t st, bool wrapped, uint8_t *resp, size_t cap)
{
	if (st != DF_OK && st != DF_MORE)
		return emit_status(card, st, wrapped, resp, cap);
	card->out_status = st;
	card->out_pos = 0;
	card->out_active = true;
	return emit_frame(card, wrapped, resp, cap);
}

static size_t
emit_status(struct desfire_card *card, uint8_t status, bool wrapped, uint8_t *resp, size_t cap)
{
	(void)card;
	if (cap < 2)
		return 0;
	if (wrapped) {
		resp[0] = 0x91;
		resp[1] = status;
		return 2;
	}
	resp[0] = status;
	return 1;
}

/* --- life cycle ---------------------------------------------------------------------------- */

struct desfire_card *
df_card_alloc(void)
{
	struct desfire_card *card = calloc(1, sizeof(*card));
	if (!card)
		return NULL;
	card->auth_key = -1;
	card->auth_pending_key = -1;
	card->picc_key_settings = 0x0F;
	card->picc_key_type = DF_KEY_2K3DES;
	return card;
}

enum ssa_err
desfire_card_new_blank(const uint8_t uid[7], struct desfire_card **out)
{
	struct desfire_card *card;

	if (!uid || !out)
		return SSA_ERR_INVAL;
	card = df_card_alloc();
	if (!card)
		return SSA_ERR_NOMEM;
	memcpy(card->uid, uid, 7);
	*out = card;
	return SSA_ERR_OK;
}

void
desfire_card_free(struct desfire_card *card)
{
	if (!card)
		return;
	df_tx_abort(card);
	for (size_t i = 0; i < card->napps; i++)
		df_app_free(card->apps[i]);
	free(card);
}

void
desfire_card_uid(const struct desfire_card *card, uint8_t uid[7])
{
	memcpy(uid, card->uid, 7);
}

void
desfire_card_reset(struct desfire_card *card)
{
	if (!card)
		return;
	df_tx_abort(card);
	df_drop_auth(card);
	card->sel = NULL;
	card->auth_pending_key = -1;
	card->in_active = false;
	card->out_active = false;
	card->out_len = card->out_pos = 0;
}

bool
desfire_card_take_dirty(struct desfire_card *card)
{
	bool d = card->dirty;
	card->dirty = false;
	return d;
}

void
desfire_card_set_seed(struct desfire_card *card, uint64_t seed)
{
	card->seeded = true;
	card->seed = seed;
}
