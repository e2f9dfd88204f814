/* test_card_kdf.c — AN10922 AES-128 diversification against the application note's vector. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/card_kdf.h"

/* NXP AN10922 rev 1.2, section 2.2.1 (AES-128 key diversification example). */
static const uint8_t an_master[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				       0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
static const uint8_t an_uid[7] = { 0x04, 0x78, 0x2e, 0x21, 0x80, 0x1d, 0x80 };
static const uint8_t an_aid[3] = { 0x30, 0x42, 0xf5 };
static const uint8_t an_sysid[7] = { 0x4e, 0x58, 0x50, 0x20, 0x41, 0x62, 0x75 }; /* "NXP Abu" */
static const uint8_t an_key[16] = { 0xa8, 0xdd, 0x63, 0xa3, 0xb8, 0x9d, 0x54, 0xb3,
				    0x7c, 0xa8, 0x02, 0x47, 0x3f, 0xda, 0x91, 0x75 };

static void
test_an10922_vector(void **state)
{
	uint8_t m[17], out[16];
	(void)state;
	memcpy(m, an_uid, 7);
	memcpy(m + 7, an_aid, 3);
	memcpy(m + 10, an_sysid, 7);
	assert_int_equal(card_kdf_an10922_aes128(an_master, m, sizeof(m), out), SSA_ERR_OK);
	assert_memory_equal(out, an_key, 16);
	/* One bit of input changes the key. */
	m[16] ^= 1;
	assert_int_equal(card_kdf_an10922_aes128(an_master, m, sizeof(m), out), SSA_ERR_OK);
	assert_memory_not_equal(out, an_key, 16);
}

static void
test_input_lengths(void **state)
{
	uint8_t m[40] = { 0 }, out[16];
	(void)state;
	assert_int_equal(card_kdf_an10922_aes128(an_master, m, 15, out), SSA_ERR_INVAL);
	assert_int_equal(card_kdf_an10922_aes128(an_master, m, 32, out), SSA_ERR_INVAL);
	assert_int_equal(card_kdf_an10922_aes128(an_master, m, 16, out), SSA_ERR_OK);
	assert_int_equal(card_kdf_an10922_aes128(an_master, m, 31, out), SSA_ERR_OK);
	assert_int_equal(card_kdf_an10922_aes128(NULL, m, 16, out), SSA_ERR_INVAL);
}

static void
test_ssa_input(void **state)
{
	uint8_t m[CARD_KDF_INPUT_MAX];
	size_t n = 0;
	static const uint8_t want[] = { 0x04, 0x78, 0x2e, 0x21, 0x80, 0x1d, 0x80, 0x41, 0x53,
					0x53, 0x02, 'S',  'S',  'A',  '-',  'P',  'O',  'S' };
	(void)state;
	assert_int_equal(card_kdf_ssa_input(an_uid, 7, 0x535341, 2, m, &n), SSA_ERR_OK);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(m, want, sizeof(want));
	/* A 4-byte UID is padded up to the 16 bytes plain CMAC needs. */
	assert_int_equal(card_kdf_ssa_input(an_uid, 4, 0x535341, 2, m, &n), SSA_ERR_OK);
	assert_int_equal(n, 16);
	assert_int_equal(card_kdf_ssa_input(an_uid, 5, 0x535341, 2, m, &n), SSA_ERR_INVAL);
	assert_int_equal(card_kdf_ssa_input(an_uid, 7, 0x1000000, 2, m, &n), SSA_ERR_INVAL);
}

static void
test_derive_separates(void **state)
{
	uint8_t k1[16], k2[16], k3[16], uid2[7];
	(void)state;
	memcpy(uid2, an_uid, 7);
	uid2[6] ^= 0x01;
	assert_int_equal(card_kdf_derive(an_master, an_uid, 7, 0x535341, 1, k1), SSA_ERR_OK);
	assert_int_equal(card_kdf_derive(an_master, an_uid, 7, 0x535341, 2, k2), SSA_ERR_OK);
	assert_int_equal(card_kdf_derive(an_master, uid2, 7, 0x535341, 1, k3), SSA_ERR_OK);
	assert_memory_not_equal(k1, k2, 16);
	assert_memory_not_equal(k1, k3, 16);
	/* Deterministic. */
	assert_int_equal(card_kdf_derive(an_master, an_uid, 7, 0x535341, 2, k3), SSA_ERR_OK);
	assert_memory_equal(k2, k3, 16);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an10922_vector),
		cmocka_unit_test(test_input_lengths),
		cmocka_unit_test(test_ssa_input),
		cmocka_unit_test(test_derive_separates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
