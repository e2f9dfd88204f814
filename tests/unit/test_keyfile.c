/* test_keyfile.c — key files: generated pairs load both ways; a public key also reads as the
 * 64 hex digits `ssa-admin list keygen` writes; anything else is refused with the file named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "journal_fixture.h"
#include "ssa/keyfile.h"

static char *dir;

static const char *
path(const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static void
put(const char *name, const char *text)
{
	FILE *f = fopen(path(name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_pem_pair(void **state)
{
	uint8_t priv[32], pub[32], pub2[32];
	char why[300], priv_path[512];

	(void)state;
	snprintf(priv_path, sizeof(priv_path), "%s", path("t.key"));
	assert_int_equal(keyfile_generate(priv_path, path("t.pub"), why, sizeof(why)), SSA_ERR_OK);
	assert_int_equal(keyfile_load_private(priv_path, priv, why, sizeof(why)), SSA_ERR_OK);
	assert_int_equal(keyfile_load_public(path("t.pub"), pub, why, sizeof(why)), SSA_ERR_OK);
	assert_int_equal(keyfile_load_public(priv_path, pub2, why, sizeof(why)), SSA_ERR_OK);
	assert_memory_equal(pub, pub2, 32);
}

static void
test_public_hex(void **state)
{
	static const char hex[] =
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
	uint8_t pub[32], want[32] = { 0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7 };
	char why[300], up[80];

	(void)state;
	put("h.pub", hex);
	assert_int_equal(keyfile_load_public(path("h.pub"), pub, why, sizeof(why)), SSA_ERR_OK);
	assert_memory_equal(pub, want, 8);
	assert_int_equal(pub[31], 0x1a);
	snprintf(up, sizeof(up), "%s\r\n", hex);
	for (char *p = up; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	put("u.pub", up);
	assert_int_equal(keyfile_load_public(path("u.pub"), pub, why, sizeof(why)), SSA_ERR_OK);
	assert_int_equal(pub[31], 0x1a);
	/* too short, a stray character after the digits, not hex: refused, file named */
	put("s.pub", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511\n");
	assert_int_equal(keyfile_load_public(path("s.pub"), pub, why, sizeof(why)), SSA_ERR_KEY);
	assert_non_null(strstr(why, "s.pub"));
	snprintf(up, sizeof(up), "%sx\n", hex);
	put("x.pub", up);
	assert_int_equal(keyfile_load_public(path("x.pub"), pub, why, sizeof(why)), SSA_ERR_KEY);
	put("g.pub", "g75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\n");
	assert_int_equal(keyfile_load_public(path("g.pub"), pub, why, sizeof(why)), SSA_ERR_KEY);
	assert_int_equal(keyfile_load_public(path("none.pub"), pub, why, sizeof(why)), SSA_ERR_IO);
}

static int
setup(void **state)
{
	(void)state;
	dir = jf_tmpdir();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	jf_rmtree(dir);
	free(dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pem_pair),
		cmocka_unit_test(test_public_hex),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
