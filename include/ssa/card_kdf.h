/* ssa/card_kdf.h — per-card AES-128 key diversification (NXP AN10922, section 2.2.1).
 *
 * Every SSA card key is derived from one of the caisse's master keys, so that a terminal holds
 * master keys but a card holds only its own keys: reading one card's keys out of its silicon
 * gives nothing about any other card.
 *
 *     D   = 0x01 || M  (M: the diversification input, 16 to 31 bytes)
 *     key = AES-128-CMAC(master, D)
 *
 * AN10922 pads D to 32 bytes (0x80 00 ..) and uses CMAC subkey K2, or uses K1 when D is already
 * 32 bytes.  For 17 <= |D| <= 32 that is exactly standard CMAC (NIST SP 800-38B), so OpenSSL's CMAC
 * computes it; shorter inputs would need AN10922's own padding and are refused.
 *
 * SSA's input M (card_kdf_ssa_input): UID (7 bytes) || AID (3 bytes, least significant first, as
 * on the wire) || key number (1 byte) || "SSA-POS" — the key number keeps the roles' keys apart
 * even if two roles were given the same master key by mistake.  A 4-byte (random-ID) UID makes
 * 15 bytes, so one 0x00 byte is appended.
 */
#ifndef SSA_CARD_KDF_H
#define SSA_CARD_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"

#define CARD_KDF_KEY_LEN 16
#define CARD_KDF_INPUT_MIN 16
#define CARD_KDF_INPUT_MAX 31
#define CARD_KDF_SYSTEM_ID "SSA-POS"
#define CARD_KDF_UID_MAX 10

/* AN10922 AES-128 diversification of @p master with input @p m (@p m_len bytes, 16..31) into
 * @p out.  SSA_ERR_INVAL for another length, SSA_ERR_CRYPTO if OpenSSL fails. */
enum ssa_err card_kdf_an10922_aes128(const uint8_t master[CARD_KDF_KEY_LEN], const uint8_t *m,
				     size_t m_len, uint8_t out[CARD_KDF_KEY_LEN]);

/* Build SSA's diversification input for card @p uid (@p uid_len 4, 7 or 10 bytes), application
 * @p aid (24 bits) and key number @p key_no into @p m (at least CARD_KDF_INPUT_MAX bytes);
 * @p *m_len receives its length.  SSA_ERR_INVAL for a bad UID length or AID. */
enum ssa_err card_kdf_ssa_input(const uint8_t *uid, size_t uid_len, uint32_t aid, uint8_t key_no,
				uint8_t *m, size_t *m_len);

/* The key number @p key_no of application @p aid on card @p uid, derived from @p master:
 * card_kdf_ssa_input then card_kdf_an10922_aes128. */
enum ssa_err card_kdf_derive(const uint8_t master[CARD_KDF_KEY_LEN], const uint8_t *uid,
			     size_t uid_len, uint32_t aid, uint8_t key_no,
			     uint8_t out[CARD_KDF_KEY_LEN]);

#endif
