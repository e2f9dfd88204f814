/* desfire_crypto.c — block ciphers, CBC variants, CMAC, CRCs and random numbers of the card.
 *
 * DESFire chains its own IVs across commands, and its legacy mode runs CBC with the cipher's
 * directions swapped, so CBC and CMAC are built here over single-block ECB (OpenSSL 3 EVP).
 * Single DES is run as 3DES with three equal keys, because OpenSSL 3 moved plain DES to the
 * legacy provider.
 */
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "desfire_int.h"

size_t
df_block_size(const struct df_cipher_key *k)
{
	return k->cipher == DF_CIPHER_AES ? 16 : 8;
}

bool
df_block(const struct df_cipher_key *k, bool enc, uint8_t *blk)
{
	uint8_t key[24];
	const EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *ctx;
	uint8_t out[32];
	int n = 0, n2 = 0;
	bool ok = false;
	size_t bs = df_block_size(k);

	switch (k->cipher) {
	case DF_CIPHER_DES:
		memcpy(key, k->data, 8);
		memcpy(key + 8, k->data, 8);
		memcpy(key + 16, k->data, 8);
		break;
	case DF_CIPHER_2K3DES:
		memcpy(key, k->data, 16);
		memcpy(key + 16, k->data, 8);
		break;
	case DF_CIPHER_3K3DES:
	case DF_CIPHER_AES:
		memcpy(key, k->data, 24);
		break;
	}
	cipher = k->cipher == DF_CIPHER_AES ? EVP_aes_128_ecb() : EVP_des_ede3_ecb();
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return false;
	if (EVP_CipherInit_ex(ctx, cipher, NULL, key, NULL, enc ? 1 : 0) != 1)
		goto out;
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	if (EVP_CipherUpdate(ctx, out, &n, blk, (int)bs) != 1 ||
	    EVP_CipherFinal_ex(ctx, out + n, &n2) != 1 || (size_t)(n + n2) != bs)
		goto out;
	memcpy(blk, out, bs);
	ok = true;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

bool
df_cbc_encrypt(const struct df_cipher_key *k, uint8_t *iv, uint8_t *data, size_t len)
{
	size_t bs = df_block_size(k);

	for (size_t off = 0; off + bs <= len; off += bs) {
		for (size_t i = 0; i < bs; i++)
			data[off + i] ^= iv[i];
		if (!df_block(k, true, data + off))
			return false;
		memcpy(iv, data + off, bs);
	}
	return true;
}

/* CBC decryption with the block operation of direction @p enc. */
static bool
cbc_decrypt_dir(const struct df_cipher_key *k, bool enc, uint8_t *iv, uint8_t *data, size_t len)
{
	size_t bs = df_block_size(k);
	uint8_t c[16];

	for (size_t off = 0; off + bs <= len; off += bs) {
		memcpy(c, data + off, bs);
		if (!df_block(k, enc, data + off))
			return false;
		for (size_t i = 0; i < bs; i++)
			data[off + i] ^= iv[i];
		memcpy(iv, c, bs);
	}
	return true;
}

bool
df_cbc_decrypt(const struct df_cipher_key *k, uint8_t *iv, uint8_t *data, size_t len)
{
	return cbc_decrypt_dir(k, false, iv, data, len);
}

bool
df_legacy_decode(const struct df_cipher_key *k, uint8_t *iv, uint8_t *data, size_t len)
{
	return cbc_decrypt_dir(k, true, iv, data, len);
}

/* Shift @p b (@p n bytes, big-endian) left by one bit. */
static void
shift_left(uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		b[i] = (uint8_t)((b[i] << 1) | (b[i + 1] >> 7));
	b[n - 1] = (uint8_t)(b[n - 1] << 1);
}

bool
df_cmac(const struct df_cipher_key *k, uint8_t *iv, const uint8_t *data, size_t len, uint8_t *mac)
{
	size_t bs = df_block_size(k);
	uint8_t rb = bs == 8 ? 0x1B : 0x87;
	uint8_t k1[16] = {0}, k2[16], blk[16];
	bool msb;
	size_t full, last_len;

	/* Subkeys: L = E(0), K1 = L << 1 (^ Rb), K2 = K1 << 1 (^ Rb). */
	if (!df_block(k, true, k1))
		return false;
	msb = k1[0] & 0x80;
	shift_left(k1, bs);
	if (msb)
		k1[bs - 1] ^= rb;
	memcpy(k2, k1, bs);
	msb = k2[0] & 0x80;
	shift_left(k2, bs);
	if (msb)
		k2[bs - 1] ^= rb;

	/* All blocks but the last, then the last one completed and masked. */
	full = len == 0 ? 0 : (len - 1) / bs;
	last_len = len - full * bs;
	for (size_t b = 0; b < full; b++) {
		for (size_t i = 0; i < bs; i++)
			iv[i] ^= data[b * bs + i];
		if (!df_block(k, true, iv))
			return false;
	}
	memset(blk, 0, sizeof(blk));
	memcpy(blk, data + full * bs, last_len);
	if (last_len == bs) {
		for (size_t i = 0; i < bs; i++)
			blk[i] ^= k1[i];
	} else {
		blk[last_len] = 0x80;
		for (size_t i = 0; i < bs; i++)
			blk[i] ^= k2[i];
	}
	for (size_t i = 0; i < bs; i++)
		iv[i] ^= blk[i];
	if (!df_block(k, true, iv))
		return false;
	memcpy(mac, iv, bs);
	return true;
}

uint32_t
df_crc32(const uint8_t *data, size_t len)
{
	uint32_t crc = 0xFFFFFFFFu;

	for (size_t i = 0; i < len; i++) {
		crc ^= data[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0xEDB88320u : 0);
	}
	return crc;
}

uint16_t
df_crc16(const uint8_t *data, size_t len)
{
	uint16_t crc = 0x6363;

	for (size_t i = 0; i < len; i++) {
		uint8_t b = data[i];
		b ^= (uint8_t)(crc & 0xFF);
		b ^= (uint8_t)(b << 4);
		crc = (uint16_t)((crc >> 8) ^ ((uint16_t)b << 8) ^ ((uint16_t)b << 3) ^ (b >> 4));
	}
	return crc;
}

/* splitmix64: enough for reproducible test challenges; never used for anything secret. */
static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15u);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

void
df_random(struct desfire_card *card, uint8_t *buf, size_t len)
{
	if (card->seeded) {
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)(splitmix64(&card->seed) >> 56);
		return;
	}
	size_t got = 0;
	/* getrandom() on a few bytes only fails on EINTR; the loop is bounded all the same. */
	for (int tries = 0; got < len && tries < 1000; tries++) {
		ssize_t r = getrandom(buf + got, len - got, 0);
		if (r > 0)
			got += (size_t)r;
	}
}

void
df_cipher_key_from(enum df_key_type type, const struct df_key *key, struct df_cipher_key *out)
{
	memset(out, 0, sizeof(*out));
	switch (type) {
	case DF_KEY_AES:
		out->cipher = DF_CIPHER_AES;
		memcpy(out->data, key->data, 16);
		break;
	case DF_KEY_3K3DES:
		out->cipher = DF_CIPHER_3K3DES;
		memcpy(out->data, key->data, 24);
		break;
	case DF_KEY_2K3DES: {
		bool same = true;
		for (int i = 0; i < 8; i++)
			if ((key->data[i] & 0xFE) != (key->data[i + 8] & 0xFE))
				same = false;
		out->cipher = same ? DF_CIPHER_DES : DF_CIPHER_2K3DES;
		memcpy(out->data, key->data, 16);
		break;
	}
	}
}
