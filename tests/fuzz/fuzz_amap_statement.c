/* fuzz_amap_statement.c — a distribution's statement file (ssa/amap_statement.h) on arbitrary
 * bytes, added twice under two sources: whatever is accepted must sort, sum and format, a
 * refusal must add nothing, and the same file twice is always a conflict when it has a row. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/amap_statement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct amap_stmt s;
	struct amap_stmt_member *m = NULL;
	size_t n = 0, a = 0, b = 0, len;
	unsigned line;
	char why[200], *out;
	enum ssa_err err;

	if (amap_stmt_init(&s, "2026-11") != SSA_ERR_OK)
		abort();
	err = amap_stmt_add(&s, (const char *)data, size, 1, &line, why, sizeof(why));
	if (err != SSA_ERR_OK && (s.n_row != 0 || line == 0 || why[0] == '\0'))
		abort();
	if (err == SSA_ERR_OK && s.n_row > 0) {
		size_t once = s.n_row;

		if (amap_stmt_add(&s, (const char *)data, size, 2, &line, why, sizeof(why)) !=
			    SSA_ERR_OK ||
		    s.n_row != 2 * once)
			abort();
		if (amap_stmt_members(&s, &m, &n, &a, &b) != SSA_ERR_CONFLICT)
			abort();
		amap_stmt_fini(&s);
		amap_stmt_init(&s, "2026-11");
		amap_stmt_add(&s, (const char *)data, size, 1, &line, why, sizeof(why));
	}
	if (amap_stmt_members(&s, &m, &n, &a, &b) == SSA_ERR_OK) {
		if (amap_stmt_format_csv(&s, m, n, &out, &len) == SSA_ERR_OK)
			free(out);
		for (size_t k = 0; k < n; k++)
			if (amap_stmt_format_member(&s, &m[k], &out, &len) == SSA_ERR_OK)
				free(out);
		free(m);
	}
	amap_stmt_fini(&s);
	return 0;
}
