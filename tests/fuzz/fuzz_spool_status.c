/* fuzz_spool_status.c — the till's reader of <spool>/status on arbitrary bytes (a file another
 * program writes).  A parsed status keeps its bounds: at most SPOOL_REJECTIONS_MAX rejections,
 * every text NUL-terminated within its field, no control byte in a message, an error word of
 * visible characters; at most SPOOL_ANOMALIES_MAX card anomalies, each word of visible
 * characters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../pos/spool.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_status st;

	if (spool_status_parse((const char *)data, size, &st) != SSA_ERR_OK)
		return 0;
	if (st.n_rejection > SPOOL_REJECTIONS_MAX || st.n_rejection > st.rejections)
		abort();
	for (size_t i = 0; i < st.n_rejection; i++) {
		const struct spool_rejection *r = &st.rejection[i];
		size_t ne = strnlen(r->error, sizeof(r->error)), nm = strnlen(r->msg, sizeof(r->msg));
		if (ne == 0 || ne == sizeof(r->error) || nm == sizeof(r->msg))
			abort();
		for (size_t k = 0; k < ne; k++)
			if ((unsigned char)r->error[k] < 0x21 || r->error[k] == 0x7f)
				abort();
		for (size_t k = 0; k < nm; k++)
			if ((unsigned char)r->msg[k] < 0x20 || r->msg[k] == 0x7f)
				abort();
	}
	if (st.n_anomaly > SPOOL_ANOMALIES_MAX || st.n_anomaly > st.anomalies)
		abort();
	for (size_t i = 0; i < st.n_anomaly; i++) {
		const struct spool_anomaly *a = &st.anomaly[i];
		const char *w[] = { a->card, a->terminal, a->kind };
		size_t sz[] = { sizeof(a->card), sizeof(a->terminal), sizeof(a->kind) };

		for (size_t k = 0; k < 3; k++) {
			size_t n = strnlen(w[k], sz[k]);
			if (n == 0 || n == sz[k])
				abort();
			for (size_t j = 0; j < n; j++)
				if ((unsigned char)w[k][j] < 0x21 || w[k][j] == 0x7f)
					abort();
		}
		if (a->time < 0)
			abort();
	}
	return 0;
}
