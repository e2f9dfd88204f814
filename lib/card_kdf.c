/* card_kdf.c — AN10922 AES-128 key diversification with OpenSSL's CMAC. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "ssa/card_kdf.h"

enum ssa_err
card_kdf_an10922_aes128(const uint8_t master[CARD_KDF_KEY_LEN], const uint8_t *m, size_t m_len,
			uint8_t out[CARD_KDF_KEY_LEN])
{
	enum ssa_err err = SSA_ERR_CRYPTO;
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	uint8_t d[1 + CARD_KDF_INPUT_MAX];
	uint8_t tag[EVP_MAX_MD_SIZE];
	size_t tag_len = 0;
	char cipher[] = "AES-128-CBC";
	OSSL_PARAM params[2];

	if (master == NULL || m == NULL || out == NULL || m_len < CARD_KDF_INPUT_MIN ||
	    m_len > CARD_KDF_INPUT_MAX)
		return SSA_ERR_INVAL;
	/* 0x01: AN10922's constant for an AES-128 output key. */
	d[0] = 0x01;
	memcpy(d + 1, m, m_len);

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0);
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	if (mac == NULL)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL)
		goto out;
	if (EVP_MAC_init(ctx, master, CARD_KDF_KEY_LEN, params) != 1)
		goto out;
	if (EVP_MAC_update(ctx, d, 1 + m_len) != 1)
		goto out;
	if (EVP_MAC_final(ctx, tag, &tag_len, sizeof(tag)) != 1 || tag_len != CARD_KDF_KEY_LEN)
		goto out;
	memcpy(out, tag, CARD_KDF_KEY_LEN);
	err = SSA_ERR_OK;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	memset(d, 0, sizeof(d));
	memset(tag, 0, sizeof(tag));
	return err;
}

enum ssa_err
card_kdf_ssa_input(const uint8_t *uid, size_t uid_len, uint32_t aid, uint8_t key_no, uint8_t *m,
		   size_t *m_len)
{
	size_t n = 0;
	const size_t sys_len = sizeof(CARD_KDF_SYSTEM_ID) - 1;

	if (uid == NULL || m == NULL || m_len == NULL)
		return SSA_ERR_INVAL;
	if (uid_len != 4 && uid_len != 7 && uid_len != 10)
		return SSA_ERR_INVAL;
	if (aid > 0xffffff)
		return SSA_ERR_INVAL;
	memcpy(m, uid, uid_len);
	n = uid_len;
	m[n++] = (uint8_t)(aid & 0xff);
	m[n++] = (uint8_t)((aid >> 8) & 0xff);
	m[n++] = (uint8_t)((aid >> 16) & 0xff);
	m[n++] = key_no;
	memcpy(m + n, CARD_KDF_SYSTEM_ID, sys_len);
	n += sys_len;
	/* 4-byte UIDs give 15 bytes: too short for plain CMAC (see the header). */
	if (n < CARD_KDF_INPUT_MIN) {
		m[n++] = 0x00;
	}
	*m_len = n;
	return SSA_ERR_OK;
}

enum ssa_err
card_kdf_derive(const uint8_t master[CARD_KDF_KEY_LEN], const uint8_t *uid, size_t uid_len,
		uint32_t aid, uint8_t key_no, uint8_t out[CARD_KDF_KEY_LEN])
{
	uint8_t m[CARD_KDF_INPUT_MAX];
	size_t m_len = 0;
	enum ssa_err err;

	err = card_kdf_ssa_input(uid, uid_len, aid, key_no, m, &m_len);
	if (err != SSA_ERR_OK)
		return err;
	return card_kdf_an10922_aes128(master, m, m_len, out);
}
