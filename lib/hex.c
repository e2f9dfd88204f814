/* hex.c — see ssa/hex.h. */
#include "ssa/hex.h"

int
hex_digit(int c, enum hex_case hc)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (hc == HEX_ANY && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
hex_decode(const char *s, size_t n, uint8_t *out, enum hex_case hc)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit((unsigned char)s[2 * i], hc);
		int lo = hex_digit((unsigned char)s[2 * i + 1], hc);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}
