/* fuzz_amap.c — AMAP distribution import on arbitrary bytes; whatever imports must export, search
 * and total without trouble. */
#include <stdint.h>
#include <stdlib.h>

#include "ssa/amap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct amap_distribution d;
	struct amap_report rep;
	size_t hits[4];
	char *out;
	size_t len;

	if (amap_import((const char *)data, size, &d, &rep) != SSA_ERR_OK) {
		amap_report_fini(&rep);
		return 0;
	}
	if (rep.n_bad > rep.rows_bad)
		abort();
	if (rep.rows_imported + rep.rows_bad == 0 && d.n_household != 0)
		abort();
	amap_find(&d, "a", hits, 4);
	amap_totals(&d, NULL, 0);
	if (d.n_household)
		amap_set_status(&d, 0, AMAP_COLLECTED, 1, "x");
	if (amap_export_csv(&d, &out, &len) == SSA_ERR_OK)
		free(out);
	if (amap_format_sheet(&d, &out, &len) == SSA_ERR_OK)
		free(out);
	amap_fini(&d);
	amap_report_fini(&rep);
	return 0;
}
