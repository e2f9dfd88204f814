/* test_cardsim_desfire.c — the emulated DESFire EV1 card driven APDU by APDU.
 *
 * The host side (AES and DES authentication, CMAC with IV chaining, encryption with CRC32) is
 * written here again, directly over OpenSSL EVP, so that a mistake in the card's crypto does not
 * cancel out against the same mistake on the host side.  CMAC is checked against the NIST
 * SP 800-38B AES-128 examples on both sides.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "../../tools/cardsim/desfire.h"
#include "../../tools/cardsim/desfire_int.h"

/* --- host-side crypto, independent of the card's ------------------------------------------ */

static void
hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* AES-128-CBC (or 3DES when @p des) without padding; @p iv in/out. */
static void
h_cbc(const uint8_t *key, bool des, bool enc, uint8_t *iv, uint8_t *data, size_t len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t out[512], k24[24];
	int n1 = 0, n2 = 0;
	size_t bs = des ? 8 : 16;

	assert_non_null(ctx);
	assert_true(len <= sizeof(out) && len % bs == 0);
	if (des) {
		memcpy(k24, key, 8);
		memcpy(k24 + 8, key, 8);
		memcpy(k24 + 16, key, 8);
	}
	assert_int_equal(EVP_CipherInit_ex(ctx, des ? EVP_des_ede3_cbc() : EVP_aes_128_cbc(), NULL,
	                                   des ? k24 : key, iv, enc),
	                 1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	assert_int_equal(EVP_CipherUpdate(ctx, out, &n1, data, (int)len), 1);
	assert_int_equal(EVP_CipherFinal_ex(ctx, out + n1, &n2), 1);
	memcpy(iv, enc ? out + len - bs : data + len - bs, bs);
	memcpy(data, out, len);
	EVP_CIPHER_CTX_free(ctx);
}

/* CMAC by OpenSSL's EVP_MAC, for the NIST vectors. */
static void
evp_cmac(const uint8_t key[16], const uint8_t *m, size_t len, uint8_t mac[16])
{
	EVP_MAC *mac_alg = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac_alg);
	char cipher[] = "AES-128-CBC";
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
	    OSSL_PARAM_construct_end(),
	};
	size_t out = 0;

	assert_int_equal(EVP_MAC_init(ctx, key, 16, params), 1);
	assert_int_equal(EVP_MAC_update(ctx, m, len), 1);
	assert_int_equal(EVP_MAC_final(ctx, mac, &out, 16), 1);
	assert_int_equal(out, 16);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac_alg);
}

/* DESFire's CMAC with a chained IV, host side: CBC-MAC (via AES-128-CBC) of the message
 * completed with K1 or 10..0 ^ K2, starting from @p iv; @p iv becomes the full tag. */
static void
h_cmac(const uint8_t key[16], uint8_t iv[16], const uint8_t *m, size_t len, uint8_t mac[8])
{
	uint8_t l[16] = {0}, k1[16], k2[16], zero[16] = {0};
	uint8_t buf[600];
	size_t padded = len == 0 ? 16 : (len + 15) / 16 * 16;

	h_cbc(key, false, true, zero, l, 16);
	for (int i = 0; i < 16; i++)
		k1[i] = (uint8_t)((l[i] << 1) | (i < 15 ? l[i + 1] >> 7 : 0));
	if (l[0] & 0x80)
		k1[15] ^= 0x87;
	for (int i = 0; i < 16; i++)
		k2[i] = (uint8_t)((k1[i] << 1) | (i < 15 ? k1[i + 1] >> 7 : 0));
	if (k1[0] & 0x80)
		k2[15] ^= 0x87;
	assert_true(padded <= sizeof(buf));
	memset(buf, 0, padded);
	memcpy(buf, m, len);
	if (len == padded && len > 0) {
		for (int i = 0; i < 16; i++)
			buf[padded - 16 + i] ^= k1[i];
	} else {
		buf[len] = 0x80;
		for (int i = 0; i < 16; i++)
			buf[padded - 16 + i] ^= k2[i];
	}
	h_cbc(key, false, true, iv, buf, padded);
	memcpy(mac, iv, 8);
}

static uint32_t
h_crc32(const uint8_t *d, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		crc ^= d[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
	}
	return crc;
}

/* --- the host ----------------------------------------------------------------------------- */

struct host {
	struct desfire_card *card;
	bool authed;
	uint8_t skey[16];
	uint8_t iv[16];
	size_t frames; /* response frames of the last exchange */
};

/* One native exchange with chaining: @p out gets status then all data frames. */
static size_t
xfer(struct host *h, const uint8_t *cmd, size_t n, uint8_t *out)
{
	uint8_t resp[DESFIRE_RESP_MAX];
	size_t r, len = 1;
	uint8_t af = 0xAF;

	h->frames = 0;
	r = desfire_card_process(h->card, cmd, n, resp, sizeof(resp));
	for (;;) {
		assert_true(r >= 1 && r <= 60);
		h->frames++;
		memcpy(out + len, resp + 1, r - 1);
		len += r - 1;
		out[0] = resp[0];
		if (resp[0] != 0xAF || cmd[0] == 0xAA || cmd[0] == 0x0A || h->frames > 200)
			break;
		r = desfire_card_process(h->card, &af, 1, resp, sizeof(resp));
	}
	return len;
}

/* Send @p cmd (CMACed by the host when authenticated); check the response CMAC.
 * @return the status; data (without CMAC) in @p data / @p dlen when given. */
static uint8_t
plain(struct host *h, const uint8_t *cmd, size_t n, uint8_t *data, size_t *dlen)
{
	uint8_t out[600], mac[8], tmp[600];
	size_t len;

	if (h->authed)
		h_cmac(h->skey, h->iv, cmd, n, mac);
	len = xfer(h, cmd, n, out);
	if (cmd[0] == 0x5A)
		h->authed = false; /* selecting ends the session: bare status */
	if (out[0] != 0x00) {
		h->authed = false; /* the card ends the session on errors */
		return out[0];
	}
	if (h->authed) {
		assert_true(len >= 9);
		memcpy(tmp, out + 1, len - 9);
		tmp[len - 9] = 0x00;
		h_cmac(h->skey, h->iv, tmp, len - 8, mac);
		assert_memory_equal(mac, out + len - 8, 8);
		len -= 8;
	}
	if (data)
		memcpy(data, out + 1, len - 1);
	if (dlen)
		*dlen = len - 1;
	return 0x00;
}

/* A command whose payload after @p off is MACed (CMAC appended). */
static uint8_t
maced(struct host *h, const uint8_t *cmd, size_t n)
{
	uint8_t buf[600], out[600], mac[8];
	size_t len;

	memcpy(buf, cmd, n);
	h_cmac(h->skey, h->iv, buf, n, mac);
	memcpy(buf + n, mac, 8);
	len = xfer(h, buf, n + 8, out);
	if (out[0] != 0x00) {
		h->authed = false;
		return out[0];
	}
	assert_int_equal(len, 9);
	uint8_t st = 0;
	h_cmac(h->skey, h->iv, &st, 1, mac);
	assert_memory_equal(mac, out + 1, 8);
	return 0x00;
}

/* A command enciphered after @p off: CRC32 over the whole command, zero padding. */
static uint8_t
enciphered(struct host *h, const uint8_t *cmd, size_t n, size_t off)
{
	uint8_t buf[600], out[600], mac[8];
	size_t len, total;
	uint32_t crc = h_crc32(cmd, n);

	memcpy(buf, cmd, n);
	for (int i = 0; i < 4; i++)
		buf[n + i] = (uint8_t)(crc >> (8 * i));
	total = off + (n + 4 - off + 15) / 16 * 16;
	memset(buf + n + 4, 0, total - n - 4);
	h_cbc(h->skey, false, true, h->iv, buf + off, total - off);
	len = xfer(h, buf, total, out);
	if (out[0] != 0x00) {
		h->authed = false;
		return out[0];
	}
	if (len == 1) /* changing the session's own key ends it: bare status */
		return 0x00;
	assert_int_equal(len, 9);
	uint8_t st = 0;
	h_cmac(h->skey, h->iv, &st, 1, mac);
	assert_memory_equal(mac, out + 1, 8);
	return 0x00;
}

/* A command whose response is enciphered: data || CRC32(data || 00) || padding. */
static uint8_t
read_enciphered(struct host *h, const uint8_t *cmd, size_t n, uint8_t *data, size_t dlen)
{
	uint8_t out[600], mac[8], tmp[600];
	size_t len;

	h_cmac(h->skey, h->iv, cmd, n, mac);
	len = xfer(h, cmd, n, out);
	if (out[0] != 0x00) {
		h->authed = false;
		return out[0];
	}
	assert_int_equal(len - 1, (dlen + 4 + 15) / 16 * 16);
	h_cbc(h->skey, false, false, h->iv, out + 1, len - 1);
	memcpy(tmp, out + 1, dlen);
	tmp[dlen] = 0x00;
	uint32_t crc = h_crc32(tmp, dlen + 1);
	for (int i = 0; i < 4; i++)
		assert_int_equal(out[1 + dlen + i], (uint8_t)(crc >> (8 * i)));
	for (size_t i = dlen + 4; i < len - 1; i++)
		assert_int_equal(out[1 + i], 0);
	memcpy(data, out + 1, dlen);
	return 0x00;
}

static void
rol(uint8_t *d, size_t n)
{
	uint8_t f = d[0];
	memmove(d, d + 1, n - 1);
	d[n - 1] = f;
}

/* AES authentication (0xAA). */
static uint8_t
auth_aes(struct host *h, uint8_t key_no, const uint8_t key[16])
{
	uint8_t cmd[33] = {0xAA, key_no}, out[64], rndb[16], rnda[16], rot[16], iv[16] = {0};
	size_t len;

	h->authed = false;
	len = xfer(h, cmd, 2, out);
	if (out[0] != 0xAF)
		return out[0];
	assert_int_equal(len, 17);
	memcpy(rndb, out + 1, 16);
	h_cbc(key, false, false, iv, rndb, 16);
	for (int i = 0; i < 16; i++)
		rnda[i] = (uint8_t)(0xA0 + i * 7);
	cmd[0] = 0xAF;
	memcpy(cmd + 1, rnda, 16);
	memcpy(cmd + 17, rndb, 16);
	rol(cmd + 17, 16);
	h_cbc(key, false, true, iv, cmd + 1, 32);
	len = xfer(h, cmd, 33, out);
	if (out[0] != 0x00)
		return out[0];
	assert_int_equal(len, 17);
	h_cbc(key, false, false, iv, out + 1, 16);
	memcpy(rot, rnda, 16);
	rol(rot, 16);
	assert_memory_equal(out + 1, rot, 16);
	memcpy(h->skey, rnda, 4);
	memcpy(h->skey + 4, rndb, 4);
	memcpy(h->skey + 8, rnda + 12, 4);
	memcpy(h->skey + 12, rndb + 12, 4);
	memset(h->iv, 0, 16);
	h->authed = true;
	return 0x00;
}

/* Legacy DES authentication (0x0A) with a single-DES key: the host deciphers to send. */
static uint8_t
auth_des(struct host *h, uint8_t key_no, const uint8_t key[8])
{
	uint8_t cmd[17] = {0x0A, key_no}, out[64], rndb[8], iv[8] = {0};
	size_t len;

	h->authed = false;
	len = xfer(h, cmd, 2, out);
	if (out[0] != 0xAF)
		return out[0];
	assert_int_equal(len, 9);
	memcpy(rndb, out + 1, 8);
	h_cbc(key, true, false, iv, rndb, 8);
	cmd[0] = 0xAF;
	for (int i = 0; i < 8; i++)
		cmd[1 + i] = (uint8_t)(0x11 * (i + 1));
	memcpy(cmd + 9, rndb, 8);
	rol(cmd + 9, 8);
	/* send mode: x = p ^ prev; c = D(x) */
	uint8_t prev[8] = {0};
	for (int b = 0; b < 2; b++) {
		uint8_t *blk = cmd + 1 + 8 * b, z[8] = {0};
		for (int i = 0; i < 8; i++)
			blk[i] ^= prev[i];
		h_cbc(key, true, false, z, blk, 8);
		memcpy(prev, blk, 8);
	}
	len = xfer(h, cmd, 17, out);
	return out[0];
}

/* --- fixtures ------------------------------------------------------------------------------ */

static const uint8_t UID[7] = {0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
static const uint8_t ZERO16[16] = {0};
static const uint8_t AID[3] = {0x01, 0x55, 0x5A};

static int
setup(void **state)
{
	struct host *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	assert_int_equal(desfire_card_new_blank(UID, &h->card), SSA_ERR_OK);
	desfire_card_set_seed(h->card, 42);
	*state = h;
	return 0;
}

static int
teardown(void **state)
{
	struct host *h = *state;
	desfire_card_free(h->card);
	free(h);
	return 0;
}

/* Create the AES application (5 keys, master key changes keys) and authenticate with key 0. */
static void
make_app(struct host *h)
{
	uint8_t create[] = {0xCA, AID[0], AID[1], AID[2], 0x0F, 0x85};
	uint8_t select[] = {0x5A, AID[0], AID[1], AID[2]};

	assert_int_equal(plain(h, create, sizeof(create), NULL, NULL), 0x00);
	assert_int_equal(plain(h, select, sizeof(select), NULL, NULL), 0x00);
	assert_int_equal(auth_aes(h, 0, ZERO16), 0x00);
}

/* Change key @p no (not the session's) to @p key, version @p ver; old key all zero. */
static void
change_other_key(struct host *h, uint8_t no, const uint8_t key[16], const uint8_t old[16],
                 uint8_t ver)
{
	uint8_t cmd[32] = {0xC4, no};
	for (int i = 0; i < 16; i++)
		cmd[2 + i] = key[i] ^ old[i];
	cmd[18] = ver;
	uint32_t crc = h_crc32(cmd, 19);
	for (int i = 0; i < 4; i++)
		cmd[19 + i] = (uint8_t)(crc >> (8 * i));
	crc = h_crc32(key, 16);
	for (int i = 0; i < 4; i++)
		cmd[23 + i] = (uint8_t)(crc >> (8 * i));
	/* enciphered() would add its own CRC: build the frame here */
	uint8_t buf[64], out[64], mac[8];
	memcpy(buf, cmd, 27);
	memset(buf + 27, 0, 34 - 27);
	h_cbc(h->skey, false, true, h->iv, buf + 2, 32);
	size_t len = xfer(h, buf, 34, out);
	assert_int_equal(out[0], 0x00);
	assert_int_equal(len, 9);
	uint8_t st = 0;
	h_cmac(h->skey, h->iv, &st, 1, mac);
	assert_memory_equal(mac, out + 1, 8);
}

/* --- tests --------------------------------------------------------------------------------- */

static void
test_cmac_nist_vectors(void **state)
{
	static const char *msg = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
	                         "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
	static const struct {
		size_t len;
		const char *tag;
	} v[] = {
	    {0, "bb1d6929e95937287fa37d129b756746"},
	    {16, "070a16b46b4d4144f79bdd9dd04a287c"},
	    {40, "dfa66747de9ae63030ca32611497c827"},
	    {64, "51f0bebf7e3b9d92fc49741779363cfe"},
	};
	uint8_t key[16], m[64], want[16], got[16], iv[16];
	struct df_cipher_key ck = {.cipher = DF_CIPHER_AES};

	(void)state;
	hex("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
	hex(msg, m, 64);
	memcpy(ck.data, key, 16);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		hex(v[i].tag, want, 16);
		memset(iv, 0, 16);
		assert_true(df_cmac(&ck, iv, m, v[i].len, got));
		assert_memory_equal(got, want, 16);
		evp_cmac(key, m, v[i].len, got);
		assert_memory_equal(got, want, 16);
		memset(iv, 0, 16);
		h_cmac(key, iv, m, v[i].len, got);
		assert_memory_equal(got, want, 8);
	}
	/* CRC32 as DESFire uses it: the IEEE CRC without the final inversion */
	assert_int_equal(df_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u ^ 0xFFFFFFFFu);
	/* ISO 14443-A CRC of 00 00 is A0 1E (ISO/IEC 14443-3 annex B) */
	assert_int_equal(df_crc16((const uint8_t[]){0, 0}, 2), 0x1EA0);
}

static void
test_factory_state_and_version(void **state)
{
	struct host *h = *state;
	uint8_t out[128], resp[DESFIRE_RESP_MAX];
	size_t len, r;

	uint8_t gv = 0x60;
	len = xfer(h, &gv, 1, out);
	assert_int_equal(out[0], 0x00);
	assert_int_equal(h->frames, 3);
	assert_int_equal(len, 29);
	assert_int_equal(out[1], 0x04);     /* NXP */
	assert_int_equal(out[8 + 4], 0x04); /* software minor: EV1 */
	assert_memory_equal(out + 15, UID, 7);

	/* ISO 7816-4 wrapped: data || 91 AF, then data || 91 00 */
	const uint8_t wrapped[] = {0x90, 0x60, 0x00, 0x00, 0x00};
	const uint8_t more[] = {0x90, 0xAF, 0x00, 0x00, 0x00};
	r = desfire_card_process(h->card, wrapped, sizeof(wrapped), resp, sizeof(resp));
	assert_int_equal(r, 9);
	assert_int_equal(resp[7], 0x91);
	assert_int_equal(resp[8], 0xAF);
	r = desfire_card_process(h->card, more, sizeof(more), resp, sizeof(resp));
	assert_int_equal(r, 9);
	r = desfire_card_process(h->card, more, sizeof(more), resp, sizeof(resp));
	assert_int_equal(r, 16);
	assert_int_equal(resp[14], 0x91);
	assert_int_equal(resp[15], 0x00);
	/* no chain in progress: AF is an illegal command */
	r = desfire_card_process(h->card, more, sizeof(more), resp, sizeof(resp));
	assert_int_equal(r, 2);
	assert_int_equal(resp[1], 0x1C);

	size_t dlen;
	uint8_t ks = 0x45;
	assert_int_equal(plain(h, &ks, 1, out, &dlen), 0x00);
	assert_int_equal(dlen, 2);
	assert_int_equal(out[0], 0x0F);
	assert_int_equal(out[1], 0x01);
	uint8_t kv[] = {0x64, 0x00};
	assert_int_equal(plain(h, kv, 2, out, &dlen), 0x00);
	assert_int_equal(out[0], 0x00);
	uint8_t ids = 0x6A;
	assert_int_equal(plain(h, &ids, 1, out, &dlen), 0x00);
	assert_int_equal(dlen, 0);
	uint8_t fm = 0x6E;
	assert_int_equal(plain(h, &fm, 1, out, &dlen), 0x00);
	assert_int_equal(dlen, 3);
	uint32_t free0 = out[0] | out[1] << 8 | out[2] << 16;
	assert_true(free0 > 4096);
	/* unknown command */
	uint8_t bogus = 0x77;
	assert_int_equal(plain(h, &bogus, 1, NULL, NULL), 0x1C);
}

static void
test_legacy_des_auth_and_format(void **state)
{
	struct host *h = *state;
	uint8_t wrong[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	make_app(h);
	uint8_t sel0[] = {0x5A, 0, 0, 0};
	assert_int_equal(plain(h, sel0, 4, NULL, NULL), 0x00);
	assert_int_equal(auth_des(h, 0, wrong), 0xAE);
	/* AES authentication against the DES PICC key is refused */
	assert_int_equal(auth_aes(h, 0, ZERO16), 0xAE);
	assert_int_equal(auth_des(h, 0, ZERO16), 0x00);
	/* legacy session: plain commands carry no MAC */
	uint8_t out[8];
	uint8_t fmt = 0xFC;
	assert_int_equal(xfer(h, &fmt, 1, out), 1);
	assert_int_equal(out[0], 0x00);
	uint8_t ids = 0x6A;
	assert_int_equal(xfer(h, &ids, 1, out), 1);
	assert_int_equal(out[0], 0x00);
	assert_true(desfire_card_take_dirty(h->card));
	assert_false(desfire_card_take_dirty(h->card));
}

static void
test_aes_keys(void **state)
{
	struct host *h = *state;
	uint8_t k1[16], k0[16], out[64];
	size_t dlen;

	for (int i = 0; i < 16; i++) {
		k1[i] = (uint8_t)(0x10 + i);
		k0[i] = (uint8_t)(0xF0 - i);
	}
	make_app(h);
	uint8_t ks = 0x45;
	assert_int_equal(plain(h, &ks, 1, out, &dlen), 0x00);
	assert_int_equal(out[0], 0x0F);
	assert_int_equal(out[1], 0x85);
	/* another key: xored with the old one, two CRCs */
	change_other_key(h, 1, k1, ZERO16, 0x07);
	uint8_t kv[] = {0x64, 0x01};
	assert_int_equal(plain(h, kv, 2, out, &dlen), 0x00);
	assert_int_equal(out[0], 0x07);
	/* the session's own key: plain key, one CRC, bare status, session over */
	uint8_t cmd[19] = {0xC4, 0x00};
	memcpy(cmd + 2, k0, 16);
	cmd[18] = 0x02;
	assert_int_equal(enciphered(h, cmd, 19, 2), 0x00);
	h->authed = false;
	assert_int_equal(auth_aes(h, 0, ZERO16), 0xAE);
	assert_int_equal(auth_aes(h, 0, k0), 0x00);
	assert_int_equal(auth_aes(h, 1, k1), 0x00);
	/* key 1 may not change key 2 (change key access = master key) */
	uint8_t ck[19] = {0xC4, 0x02};
	assert_int_equal(enciphered(h, ck, 19, 2), 0xAE);
	/* no such key */
	assert_int_equal(auth_aes(h, 9, k0), 0x40);
	/* GetCardUID, enciphered */
	assert_int_equal(auth_aes(h, 0, k0), 0x00);
	uint8_t gu = 0x51, uid[7];
	assert_int_equal(read_enciphered(h, &gu, 1, uid, 7), 0x00);
	assert_memory_equal(uid, UID, 7);
	/* GetVersion in a CMAC session: three frames, one CMAC over all 28 bytes */
	uint8_t gv = 0x60;
	assert_int_equal(plain(h, &gv, 1, out, &dlen), 0x00);
	assert_int_equal(dlen, 28);
	assert_int_equal(h->frames, 3);
	assert_memory_equal(out + 14, UID, 7);
	/* ChangeKeySettings: freeze the configuration */
	uint8_t cks[] = {0x54, 0x07};
	assert_int_equal(enciphered(h, cks, 2, 1), 0x00);
	assert_int_equal(plain(h, &ks, 1, out, &dlen), 0x00);
	assert_int_equal(out[0], 0x07);
	assert_int_equal(enciphered(h, cks, 2, 1), 0x9D);
}

static void
test_files_and_comm_modes(void **state)
{
	struct host *h = *state;
	uint8_t out[600], data[100];
	size_t dlen;

	for (int i = 0; i < 100; i++)
		data[i] = (uint8_t)(i * 3 + 1);
	make_app(h);
	/* file 1 plain free, file 2 MACed (key 1 rw), file 3 enciphered (key 1 rw) */
	uint8_t c1[] = {0xCD, 1, 0x00, 0xEE, 0xEE, 100, 0, 0};
	uint8_t c2[] = {0xCD, 2, 0x01, 0x10, 0x11, 100, 0, 0};
	uint8_t c3[] = {0xCD, 3, 0x03, 0x10, 0x11, 100, 0, 0};
	assert_int_equal(plain(h, c1, sizeof(c1), NULL, NULL), 0x00);
	assert_int_equal(plain(h, c2, sizeof(c2), NULL, NULL), 0x00);
	assert_int_equal(plain(h, c3, sizeof(c3), NULL, NULL), 0x00);
	assert_int_equal(plain(h, c3, sizeof(c3), NULL, NULL), 0xDE);
	assert_int_equal(auth_aes(h, 0, ZERO16), 0x00);
	uint8_t fids = 0x6F;
	assert_int_equal(plain(h, &fids, 1, out, &dlen), 0x00);
	assert_int_equal(dlen, 3);
	uint8_t gfs[] = {0xF5, 2};
	assert_int_equal(plain(h, gfs, 2, out, &dlen), 0x00);
	assert_int_equal(dlen, 7);
	assert_int_equal(out[1], 0x01);
	assert_int_equal(out[4], 100);

	/* plain write of 100 bytes (the card asks for more frames), then read back in 2 frames */
	uint8_t w[108] = {0x3D, 1, 0, 0, 0, 100, 0, 0};
	memcpy(w + 8, data, 100);
	assert_int_equal(plain(h, w, 108, NULL, NULL), 0x00);
	uint8_t rd[] = {0xBD, 1, 0, 0, 0, 0, 0, 0};
	assert_int_equal(plain(h, rd, 8, out, &dlen), 0x00);
	assert_int_equal(dlen, 100);
	assert_true(h->frames >= 2);
	assert_memory_equal(out, data, 100);

	/* MACed file: needs key 1 */
	w[1] = 2;
	uint8_t rd2[] = {0xBD, 2, 10, 0, 0, 20, 0, 0};
	assert_int_equal(plain(h, rd2, 8, NULL, NULL), 0xAE);
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
	assert_int_equal(maced(h, w, 108), 0x00);
	assert_int_equal(plain(h, rd2, 8, out, &dlen), 0x00);
	assert_int_equal(dlen, 20);
	assert_memory_equal(out, data + 10, 20);
	/* a wrong CMAC, sent in 3 frames, is an integrity error and ends the session */
	uint8_t bad[116], resp[DESFIRE_RESP_MAX];
	size_t r = 0;
	memcpy(bad, w, 108);
	h_cmac(h->skey, h->iv, w, 108, out); /* the host's IV moves as if the CMAC were right */
	memcpy(bad + 108, out, 8);
	bad[108] ^= 0x01;
	size_t total = 116, sent = 0;
	uint8_t frame[64];
	while (sent < total) {
		size_t n =
		    sent == 0 ? (total < 55 ? total : 55) : (total - sent < 54 ? total - sent : 54);
		if (sent == 0) {
			memcpy(frame, bad, n);
			r = desfire_card_process(h->card, frame, n, resp, sizeof(resp));
		} else {
			frame[0] = 0xAF;
			memcpy(frame + 1, bad + sent, n);
			r = desfire_card_process(h->card, frame, n + 1, resp, sizeof(resp));
		}
		sent += n;
	}
	assert_int_equal(r, 1);
	assert_int_equal(resp[0], 0x1E);
	h->authed = false;
	assert_int_equal(plain(h, rd2, 8, NULL, NULL), 0xAE);

	/* enciphered file */
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
	uint8_t we[48] = {0x3D, 3, 5, 0, 0, 40, 0, 0};
	memcpy(we + 8, data, 40);
	assert_int_equal(enciphered(h, we, 48, 8), 0x00);
	uint8_t rd3[] = {0xBD, 3, 5, 0, 0, 40, 0, 0};
	assert_int_equal(read_enciphered(h, rd3, 8, out, 40), 0x00);
	assert_memory_equal(out, data, 40);
	/* boundary */
	uint8_t rd4[] = {0xBD, 3, 90, 0, 0, 20, 0, 0};
	assert_int_equal(plain(h, rd4, 8, NULL, NULL), 0xBE);
	/* no such file */
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
	uint8_t rd5[] = {0xBD, 9, 0, 0, 0, 1, 0, 0};
	assert_int_equal(plain(h, rd5, 8, NULL, NULL), 0xF0);

	/* permission denied: a file nobody may read */
	assert_int_equal(auth_aes(h, 0, ZERO16), 0x00);
	uint8_t c4[] = {0xCD, 4, 0x00, 0xFE, 0xFF, 8, 0, 0};
	assert_int_equal(plain(h, c4, sizeof(c4), NULL, NULL), 0x00);
	uint8_t rd6[] = {0xBD, 4, 0, 0, 0, 0, 0, 0};
	assert_int_equal(plain(h, rd6, 8, NULL, NULL), 0x9D);
	/* ChangeFileSettings with a free change right: plain, then the file is readable */
	assert_int_equal(auth_aes(h, 0, ZERO16), 0x00);
	uint8_t cfs[] = {0x5F, 4, 0x00, 0xEE, 0xEE};
	assert_int_equal(plain(h, cfs, 5, NULL, NULL), 0x00);
	assert_int_equal(plain(h, rd6, 8, out, &dlen), 0x00);
	assert_int_equal(dlen, 8);
	/* DeleteFile */
	uint8_t df[] = {0xDF, 4};
	assert_int_equal(plain(h, df, 2, NULL, NULL), 0x00);
	assert_int_equal(plain(h, rd6, 8, NULL, NULL), 0xF0);
}

/* Files of the transaction tests: 5 backup (key 1 rw), 6 value (key 1 rw, limited credit),
 * 7 cyclic record (3 slots, key 1 rw), 8 linear record (2 records). */
static void
make_tx_files(struct host *h)
{
	uint8_t cb[] = {0xCB, 5, 0x00, 0x10, 0x11, 16, 0, 0};
	uint8_t cv[] = {0xCC, 6,    0x03, 0x10, 0x11, 0,    0, 0, 0,
	                0x10, 0x27, 0,    0,    0xE8, 0x03, 0, 0, 0x01};
	uint8_t cc[] = {0xC0, 7, 0x01, 0x10, 0x11, 4, 0, 0, 3, 0, 0};
	uint8_t cl[] = {0xC1, 8, 0x00, 0x10, 0x11, 4, 0, 0, 2, 0, 0};

	make_app(h);
	assert_int_equal(plain(h, cb, sizeof(cb), NULL, NULL), 0x00);
	assert_int_equal(plain(h, cv, sizeof(cv), NULL, NULL), 0x00);
	assert_int_equal(plain(h, cc, sizeof(cc), NULL, NULL), 0x00);
	assert_int_equal(plain(h, cl, sizeof(cl), NULL, NULL), 0x00);
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
}

static int32_t
get_value(struct host *h)
{
	uint8_t gv[] = {0x6C, 6}, v[4];
	assert_int_equal(read_enciphered(h, gv, 2, v, 4), 0x00);
	return (int32_t)(v[0] | v[1] << 8 | v[2] << 16 | (uint32_t)v[3] << 24);
}

static uint8_t
value_op(struct host *h, uint8_t ins, int32_t amount)
{
	uint8_t cmd[6] = {ins, 6};
	for (int i = 0; i < 4; i++)
		cmd[2 + i] = (uint8_t)((uint32_t)amount >> (8 * i));
	return enciphered(h, cmd, 6, 2);
}

static uint8_t
write_record(struct host *h, uint8_t file, const char rec[4])
{
	uint8_t cmd[12] = {0x3B, file, 0, 0, 0, 4, 0, 0};
	memcpy(cmd + 8, rec, 4);
	return file == 7 ? maced(h, cmd, 12) : plain(h, cmd, 12, NULL, NULL);
}

static size_t
read_records(struct host *h, uint8_t file, uint8_t *out)
{
	uint8_t cmd[] = {0xBB, file, 0, 0, 0, 0, 0, 0};
	size_t dlen = 0;
	uint8_t st = plain(h, cmd, 8, out, &dlen);
	if (st == 0xBE) {
		assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
		return 0;
	}
	assert_int_equal(st, 0x00);
	return dlen;
}

static uint8_t
commit(struct host *h)
{
	uint8_t c = 0xC7;
	return plain(h, &c, 1, NULL, NULL);
}

static void
test_value_file(void **state)
{
	struct host *h = *state;

	make_tx_files(h);
	assert_int_equal(get_value(h), 1000);
	assert_int_equal(value_op(h, 0xDC, 300), 0x00);
	/* uncommitted: still 1000 */
	assert_int_equal(get_value(h), 1000);
	assert_int_equal(commit(h), 0x00);
	assert_int_equal(get_value(h), 700);
	/* below the lower limit (0) */
	assert_int_equal(value_op(h, 0xDC, 701), 0xBE);
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
	/* limited credit: at most the debits of the last transaction */
	assert_int_equal(value_op(h, 0x1C, 301), 0xBE);
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
	assert_int_equal(value_op(h, 0x1C, 200), 0x00);
	assert_int_equal(commit(h), 0x00);
	assert_int_equal(get_value(h), 900);
	assert_int_equal(value_op(h, 0x1C, 50), 0xBE); /* used up */
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
	/* credit up to the upper limit (10000) */
	assert_int_equal(value_op(h, 0x0C, 9100), 0x00);
	assert_int_equal(value_op(h, 0x0C, 1), 0xBE);
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
	assert_int_equal(commit(h), 0x0C); /* the error aborted the staged credit */
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
	assert_int_equal(value_op(h, 0x0C, 9100), 0x00);
	assert_int_equal(commit(h), 0x00);
	assert_int_equal(get_value(h), 10000);
	/* negative amounts are refused */
	assert_int_equal(value_op(h, 0xDC, -5), 0x9E);
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
	/* commit with nothing staged */
	assert_int_equal(commit(h), 0x0C);
}

/* An error after the command's MAC/CRC checked out keeps the session (the IVs still agree)
 * but aborts the transaction; an error before it (or a bad MAC) ends the session. */
static void
test_errors_abort_transaction_keep_session(void **state)
{
	struct host *h = *state;
	uint8_t out[64];

	make_tx_files(h);
	assert_int_equal(value_op(h, 0xDC, 100), 0x00);
	assert_int_equal(write_record(h, 7, "GONE"), 0x00);
	/* debit below the lower limit: 0xBE, after the enciphered command was checked */
	assert_int_equal(value_op(h, 0xDC, 5000), 0xBE);
	h->authed = true; /* the card kept the session */
	assert_int_equal(get_value(h), 1000);
	/* the staged debit and record went with the error */
	assert_int_equal(commit(h), 0x0C);
	h->authed = true; /* "no changes" keeps the session too */
	assert_int_equal(read_records(h, 7, out), 0);
	/* a plain command answered by an error also keeps it (both sides CMACed it) */
	uint8_t rd[] = {0xBD, 9, 0, 0, 0, 1, 0, 0};
	assert_int_equal(plain(h, rd, 8, NULL, NULL), 0xF0);
	h->authed = true;
	assert_int_equal(get_value(h), 1000);
	/* an enciphered command refused before its cryptogram was read ends the session */
	uint8_t ck[19] = {0xC4, 0x02};
	assert_int_equal(enciphered(h, ck, 19, 2), 0xAE);
	uint8_t gv[] = {0x6C, 6};
	size_t len = xfer(h, gv, 2, out);
	assert_int_equal(out[0], 0xAE);
	assert_int_equal(len, 1);
}

static void
test_transaction_commit_abort_reset(void **state)
{
	struct host *h = *state;
	uint8_t out[64];
	size_t n;

	make_tx_files(h);
	/* one transaction: backup file, value, cyclic record */
	uint8_t wb[12] = {0x3D, 5, 0, 0, 0, 4, 0, 0, 'S', 'A', 'L', 'E'};
	assert_int_equal(plain(h, wb, 12, NULL, NULL), 0x00);
	assert_int_equal(value_op(h, 0xDC, 250), 0x00);
	assert_int_equal(write_record(h, 7, "R001"), 0x00);
	/* abort: nothing happened */
	uint8_t ab = 0xA7;
	assert_int_equal(plain(h, &ab, 1, NULL, NULL), 0x00);
	assert_int_equal(get_value(h), 1000);
	assert_int_equal(read_records(h, 7, out), 0);
	uint8_t rb[] = {0xBD, 5, 0, 0, 0, 4, 0, 0};
	assert_int_equal(plain(h, rb, 8, out, &n), 0x00);
	assert_memory_equal(out, "\0\0\0\0", 4);

	/* tear before commit: the field reset drops the staged changes */
	(void)desfire_card_take_dirty(h->card);
	assert_int_equal(plain(h, wb, 12, NULL, NULL), 0x00);
	assert_int_equal(value_op(h, 0xDC, 250), 0x00);
	assert_int_equal(write_record(h, 7, "R002"), 0x00);
	assert_false(desfire_card_take_dirty(h->card));
	desfire_card_reset(h->card);
	h->authed = false;
	uint8_t sel[] = {0x5A, AID[0], AID[1], AID[2]};
	assert_int_equal(plain(h, sel, 4, NULL, NULL), 0x00);
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
	assert_int_equal(get_value(h), 1000);
	assert_int_equal(read_records(h, 7, out), 0);

	/* commit applies everything at once */
	assert_int_equal(plain(h, wb, 12, NULL, NULL), 0x00);
	assert_int_equal(value_op(h, 0xDC, 250), 0x00);
	assert_int_equal(write_record(h, 7, "R003"), 0x00);
	assert_int_equal(commit(h), 0x00);
	assert_true(desfire_card_take_dirty(h->card));
	assert_int_equal(get_value(h), 750);
	assert_int_equal(read_records(h, 7, out), 4);
	assert_memory_equal(out, "R003", 4);
	assert_int_equal(plain(h, rb, 8, out, &n), 0x00);
	assert_memory_equal(out, "SALE", 4);

	/* cyclic file of 3 slots keeps the 2 newest, oldest first */
	assert_int_equal(write_record(h, 7, "R004"), 0x00);
	assert_int_equal(commit(h), 0x00);
	assert_int_equal(write_record(h, 7, "R005"), 0x00);
	assert_int_equal(commit(h), 0x00);
	assert_int_equal(read_records(h, 7, out), 8);
	assert_memory_equal(out, "R004R005", 8);
	uint8_t newest[] = {0xBB, 7, 0, 0, 0, 1, 0, 0};
	assert_int_equal(plain(h, newest, 8, out, &n), 0x00);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "R005", 4);
	/* linear file: full after 2 */
	assert_int_equal(write_record(h, 8, "L001"), 0x00);
	assert_int_equal(commit(h), 0x00);
	assert_int_equal(write_record(h, 8, "L002"), 0x00);
	assert_int_equal(commit(h), 0x00);
	assert_int_equal(write_record(h, 8, "L003"), 0xBE);
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
	/* clear, committed */
	uint8_t clr[] = {0xEB, 8};
	assert_int_equal(plain(h, clr, 2, NULL, NULL), 0x00);
	assert_int_equal(read_records(h, 8, out), 8);
	assert_int_equal(commit(h), 0x00);
	assert_int_equal(read_records(h, 8, out), 0);
	/* selecting the application again aborts a staged debit */
	assert_int_equal(value_op(h, 0xDC, 1), 0x00);
	assert_int_equal(plain(h, sel, 4, NULL, NULL), 0x00);
	h->authed = false;
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
	assert_int_equal(get_value(h), 750);
}

static void
test_chaining_get_application_ids(void **state)
{
	struct host *h = *state;
	uint8_t out[128];
	size_t n;

	for (int i = 0; i < 25; i++) {
		uint8_t c[] = {0xCA, (uint8_t)(i + 1), 0x20, 0x00, 0x0F, 0x81};
		assert_int_equal(plain(h, c, 6, NULL, NULL), 0x00);
	}
	uint8_t dup[] = {0xCA, 3, 0x20, 0x00, 0x0F, 0x81};
	assert_int_equal(plain(h, dup, 6, NULL, NULL), 0xDE);
	uint8_t ids = 0x6A;
	assert_int_equal(plain(h, &ids, 1, out, &n), 0x00);
	assert_int_equal(n, 75);
	assert_int_equal(h->frames, 2);
	assert_int_equal(out[72], 25);
	/* with a CMAC session too */
	assert_int_equal(auth_des(h, 0, ZERO16), 0x00);
	/* legacy: no CMAC on plain responses */
	n = xfer(h, &ids, 1, out);
	assert_int_equal(n, 76);
	uint8_t da[] = {0xDA, 3, 0x20, 0x00};
	assert_int_equal(xfer(h, da, 4, out), 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(xfer(h, da, 4, out), 1);
	assert_int_equal(out[0], 0xA0);
}

/* ISO 7816-4 wrapped WriteData of 70 bytes in two frames (91 AF asks for the rest), then the
 * 70 bytes read back wrapped in two frames (59 + 11). */
static void
test_wrapped_chaining(void **state)
{
	struct host *h = *state;
	uint8_t apdu[64], resp[DESFIRE_RESP_MAX], data[70], back[80];
	size_t r, got = 0;

	for (int i = 0; i < 70; i++)
		data[i] = (uint8_t)(i + 100);
	uint8_t create[] = {0xCA, AID[0], AID[1], AID[2], 0x0F, 0x81};
	uint8_t select[] = {0x5A, AID[0], AID[1], AID[2]};
	uint8_t file[] = {0xCD, 1, 0x00, 0xEE, 0xEE, 80, 0, 0};
	assert_int_equal(plain(h, create, 6, NULL, NULL), 0x00);
	assert_int_equal(plain(h, select, 4, NULL, NULL), 0x00);
	assert_int_equal(plain(h, file, 8, NULL, NULL), 0x00);

	/* 90 3D 00 00 Lc | 01 000000 460000 | 40 data bytes | 00 */
	uint8_t first[] = {0x90, 0x3D, 0x00, 0x00, 47, 1, 0, 0, 0, 70, 0, 0};
	memcpy(apdu, first, sizeof(first));
	memcpy(apdu + 12, data, 40);
	apdu[52] = 0x00;
	r = desfire_card_process(h->card, apdu, 53, resp, sizeof(resp));
	assert_int_equal(r, 2);
	assert_int_equal(resp[0], 0x91);
	assert_int_equal(resp[1], 0xAF);
	uint8_t more[] = {0x90, 0xAF, 0x00, 0x00, 30};
	memcpy(apdu, more, 5);
	memcpy(apdu + 5, data + 40, 30);
	apdu[35] = 0x00;
	r = desfire_card_process(h->card, apdu, 36, resp, sizeof(resp));
	assert_int_equal(r, 2);
	assert_int_equal(resp[1], 0x00);

	uint8_t rd[] = {0x90, 0xBD, 0x00, 0x00, 7, 1, 0, 0, 0, 70, 0, 0, 0x00};
	r = desfire_card_process(h->card, rd, sizeof(rd), resp, sizeof(resp));
	assert_int_equal(r, 61);
	assert_int_equal(resp[60], 0xAF);
	memcpy(back, resp, 59);
	got = 59;
	const uint8_t af[] = {0x90, 0xAF, 0x00, 0x00, 0x00};
	r = desfire_card_process(h->card, af, sizeof(af), resp, sizeof(resp));
	assert_int_equal(r, 13);
	assert_int_equal(resp[11], 0x91);
	assert_int_equal(resp[12], 0x00);
	memcpy(back + got, resp, 11);
	assert_memory_equal(back, data, 70);
	/* a malformed wrapping (Lc beyond the APDU) is an ISO wrong-length */
	uint8_t badlc[] = {0x90, 0x60, 0x00, 0x00, 0x09, 0x00};
	r = desfire_card_process(h->card, badlc, sizeof(badlc), resp, sizeof(resp));
	assert_int_equal(r, 2);
	assert_int_equal(resp[0], 0x67);
}

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/ssa-desfire-XXXXXX";
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

static void
test_save_load_and_corruption(void **state)
{
	struct host *h = *state;
	char *dir = tmpdir(), path[512], bad[512];
	struct desfire_card *c2 = NULL;
	uint8_t out[64], uid[7];

	make_tx_files(h);
	assert_int_equal(value_op(h, 0xDC, 100), 0x00);
	assert_int_equal(write_record(h, 7, "SAVE"), 0x00);
	assert_int_equal(commit(h), 0x00);
	assert_int_equal(value_op(h, 0xDC, 1), 0x00); /* staged: not saved */
	snprintf(path, sizeof(path), "%s/card.bin", dir);
	assert_int_equal(desfire_card_save(h->card, path), SSA_ERR_OK);
	assert_int_equal(desfire_card_load(path, &c2), SSA_ERR_OK);
	desfire_card_uid(c2, uid);
	assert_memory_equal(uid, UID, 7);
	desfire_card_free(h->card);
	h->card = c2;
	desfire_card_set_seed(h->card, 7);
	h->authed = false;
	uint8_t sel[] = {0x5A, AID[0], AID[1], AID[2]};
	assert_int_equal(plain(h, sel, 4, NULL, NULL), 0x00);
	assert_int_equal(auth_aes(h, 1, ZERO16), 0x00);
	assert_int_equal(get_value(h), 900);
	assert_int_equal(read_records(h, 7, out), 4);
	assert_memory_equal(out, "SAVE", 4);
	/* saving twice gives the same bytes; no temp file is left behind */
	assert_int_equal(desfire_card_save(h->card, path), SSA_ERR_OK);

	/* corrupt copies: every one is refused, none crashes */
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static uint8_t img[1 << 16];
	size_t len = fread(img, 1, sizeof(img), f);
	fclose(f);
	assert_true(len > 100);
	snprintf(bad, sizeof(bad), "%s/bad.bin", dir);
	for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : 37)) {
		f = fopen(bad, "wb");
		fwrite(img, 1, cut, f);
		fclose(f);
		c2 = NULL;
		assert_int_equal(desfire_card_load(bad, &c2), SSA_ERR_CARD_FORMAT);
		assert_null(c2);
	}
	for (size_t at = 0; at < len; at += 13) {
		img[at] ^= 0x40;
		f = fopen(bad, "wb");
		fwrite(img, 1, len, f);
		fclose(f);
		img[at] ^= 0x40;
		assert_int_equal(desfire_card_load(bad, &c2), SSA_ERR_CARD_FORMAT);
	}
	assert_int_equal(desfire_card_load("/nonexistent/card.bin", &c2), SSA_ERR_NOT_FOUND);
	unlink(bad);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

static uint64_t
prng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random APDUs, native and wrapped, with real command codes and plausible lengths, on a card
 * with files of every kind: every answer is well-formed, nothing crashes (ASan build). */
static void
test_random_apdus(void **state)
{
	static const uint8_t ins[] = {0x60, 0x6E, 0x51, 0x6A, 0xCA, 0xDA, 0x5A, 0xFC, 0x45, 0x54,
	                              0x64, 0xC4, 0x0A, 0x1A, 0xAA, 0x6F, 0xF5, 0x5F, 0xCD, 0xCB,
	                              0xCC, 0xC1, 0xC0, 0xDF, 0xBD, 0xBB, 0x3D, 0x3B, 0x6C, 0x0C,
	                              0xDC, 0x1C, 0xEB, 0xC7, 0xA7, 0xAF, 0x00, 0x90, 0x77};
	struct host *h = *state;
	uint8_t cmd[80], resp[DESFIRE_RESP_MAX];
	uint64_t s = 0x9E3779B97F4A7C15u;

	make_tx_files(h);
	for (int i = 0; i < 200000; i++) {
		size_t n = 1 + prng(&s) % 60;
		for (size_t k = 0; k < n; k++)
			cmd[k] = (uint8_t)prng(&s);
		cmd[0] = ins[prng(&s) % sizeof(ins)];
		if (prng(&s) % 4 == 0) {
			/* small file numbers, offsets and lengths reach deeper */
			if (n > 1)
				cmd[1] &= 0x0F;
			for (size_t k = 2; k < n && k < 8; k++)
				cmd[k] &= 0x1F;
		}
		if (prng(&s) % 3 == 0 && n + 6 <= sizeof(cmd)) {
			memmove(cmd + 5, cmd + 1, n - 1);
			cmd[1] = cmd[0];
			cmd[0] = 0x90;
			cmd[2] = cmd[3] = 0;
			cmd[4] = (uint8_t)(n - 1);
			cmd[n + 4] = 0;
			n += 5;
		}
		size_t r = desfire_card_process(h->card, cmd, n, resp, sizeof(resp));
		assert_true(r >= 1 && r <= DESFIRE_RESP_MAX);
		if (prng(&s) % 500 == 0)
			desfire_card_reset(h->card);
	}
}

/* Card files mutated and re-checksummed, so that the parser itself sees them: each loads as a
 * consistent card or is refused; a loaded one answers APDUs and saves again. */
static void
test_card_file_mutations(void **state)
{
	struct host *h = *state;
	char *dir = tmpdir(), path[512];
	static uint8_t img[1 << 16], mut[1 << 16];
	uint64_t s = 12345;
	size_t len;
	int loaded = 0;

	make_tx_files(h);
	assert_int_equal(value_op(h, 0xDC, 10), 0x00);
	assert_int_equal(write_record(h, 7, "MUT1"), 0x00);
	assert_int_equal(commit(h), 0x00);
	snprintf(path, sizeof(path), "%s/card.bin", dir);
	assert_int_equal(desfire_card_save(h->card, path), SSA_ERR_OK);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	len = fread(img, 1, sizeof(img), f);
	fclose(f);
	for (int i = 0; i < 400; i++) {
		memcpy(mut, img, len);
		int flips = 1 + (int)(prng(&s) % 3);
		for (int k = 0; k < flips; k++) {
			size_t at = prng(&s) % (len - 4);
			mut[at] = (prng(&s) % 2) ? (uint8_t)prng(&s)
			                         : (uint8_t)(mut[at] ^ (1u << (prng(&s) % 8)));
		}
		uint32_t crc = df_crc32(mut, len - 4) ^ 0xFFFFFFFFu;
		for (int k = 0; k < 4; k++)
			mut[len - 4 + k] = (uint8_t)(crc >> (8 * k));
		f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(mut, 1, len, f), len);
		fclose(f);
		struct desfire_card *c = NULL;
		enum ssa_err err = desfire_card_load(path, &c);
		assert_true(err == SSA_ERR_OK || err == SSA_ERR_CARD_FORMAT);
		if (err != SSA_ERR_OK) {
			assert_null(c);
			continue;
		}
		loaded++;
		uint8_t resp[DESFIRE_RESP_MAX];
		const uint8_t sel[] = {0x5A, AID[0], AID[1], AID[2]};
		const uint8_t cmds[][8] = {{0x6F},
		                           {0xF5, 7},
		                           {0xBB, 7, 0, 0, 0, 0, 0, 0},
		                           {0xBD, 5, 0, 0, 0, 0, 0, 0},
		                           {0x6C, 6}};
		const size_t lens[] = {1, 2, 8, 8, 2};
		desfire_card_process(c, sel, 4, resp, sizeof(resp));
		for (size_t k = 0; k < 5; k++)
			assert_true(desfire_card_process(c, cmds[k], lens[k], resp, sizeof(resp)) >=
			            1);
		assert_int_equal(desfire_card_save(c, path), SSA_ERR_OK);
		desfire_card_free(c);
	}
	/* most single-byte changes of keys and data still make a consistent card */
	assert_true(loaded > 20);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cmac_nist_vectors),
	    cmocka_unit_test_setup_teardown(test_factory_state_and_version, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_legacy_des_auth_and_format, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_aes_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_files_and_comm_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_value_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors_abort_transaction_keep_session, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_transaction_commit_abort_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chaining_get_application_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_save_load_and_corruption, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrapped_chaining, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_apdus, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_card_file_mutations, setup, teardown),
	};
	return cmocka_run_group_tests_name("cardsim_desfire", tests, NULL, NULL);
}
