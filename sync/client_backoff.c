/* client_backoff.c — exponential backoff with jitter, the random source injected. */
#include "client.h"

uint64_t
syncd_backoff(uint64_t min, uint64_t max, unsigned failures, const struct syncd_rng *rng)
{
	uint64_t d = min ? min : 1;
	uint64_t r, span, out;

	if (max < d)
		max = d;
	for (unsigned i = 1; i < failures && d < max; i++)
		d = d > max / 2 ? max : d * 2;
	/* jitter: d * [0.75, 1.25], in integer arithmetic */
	span = d / 2;
	r = rng && rng->next ? rng->next(rng->cls) : 0x80000000u;
	out = d - d / 4 + (span ? (r % (span + 1)) : 0);
	return out ? out : 1;
}
