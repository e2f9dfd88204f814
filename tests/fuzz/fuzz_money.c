/* fuzz_money.c — money_parse and money_parse_rate on arbitrary text (amounts typed at the till
 * and read from CSV files); a parsed amount must format and parse back to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	int64_t cents, again, bp;
	char buf[64];

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (money_parse(text, &cents) == SSA_ERR_OK) {
		if (cents > MONEY_MAX || cents < -MONEY_MAX)
			abort();
		money_format_plain(cents, buf, sizeof(buf));
		if (money_parse(buf, &again) != SSA_ERR_OK || again != cents)
			abort();
		money_format(cents, MONEY_FR, buf, sizeof(buf));
		if (money_parse(buf, &again) != SSA_ERR_OK || again != cents)
			abort();
	}
	if (money_parse_rate(text, &bp) == SSA_ERR_OK && (bp < 0 || bp > 1000000))
		abort();
	free(text);
	return 0;
}
