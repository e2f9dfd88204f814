/* ssa/hex.h — hexadecimal digits: the one decoder of the project's hex fields.
 *
 * Canonical documents (journal records, signed lists, grant batches, hot lists, certificate
 * URIs) use lowercase only; key files and ids written by people or other tools take either case.
 */
#ifndef SSA_HEX_H
#define SSA_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hex_case {
	HEX_LOWER, /* 0-9 a-f only: the canonical form */
	HEX_ANY,   /* A-F too */
};

/* The value of hex digit @p c, or -1. */
int hex_digit(int c, enum hex_case hc);

/* Decode the 2 * @p n digits at @p s (the caller has checked that there are that many) into
 * @p out[@p n].  False, with @p out partly written, when one of them is not a digit. */
bool hex_decode(const char *s, size_t n, uint8_t *out, enum hex_case hc);

#endif
