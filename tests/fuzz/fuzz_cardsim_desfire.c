/* fuzz_cardsim_desfire.c — ssa-cardsim's DESFire EV1 card engine on arbitrary input: the card
 * file parser (a damaged or hostile card file) and the APDU processor (whatever a host sends).
 * Every answer must be 1..DESFIRE_RESP_MAX bytes; a card file is loaded whole or refused.
 *
 * Input: byte 0 bit 0 picks the mode.  Clear: the rest is a card file (its CRC32 is fixed up
 * first when byte 0 bit 1 is set, so that mutations reach the parser behind the checksum), then
 * a few APDUs run on the loaded card.  Set: the rest is a sequence of APDUs, each prefixed by its
 * length, sent to a card that holds an application with one file of every kind, free access.
 * The engine needs only libc and libcrypto, so it is compiled in here (the fuzz build links
 * only libssa and libssaio). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/cardsim/desfire.c"
#include "../../tools/cardsim/desfire_crypto.c"
#include "../../tools/cardsim/desfire_file.c"
#include "../../tools/cardsim/desfire_store.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
apdu(struct desfire_card *card, const uint8_t *apdu, size_t len)
{
	uint8_t resp[DESFIRE_RESP_MAX];
	size_t r = desfire_card_process(card, apdu, len, resp, sizeof(resp));

	if (r < 1 || r > sizeof(resp))
		abort();
}

/* An application 0x000001 (key settings 0xEF: free create and listing, 3 AES keys) with files 1
 * std, 2 backup, 3 value, 4 linear, 5 cyclic, all free access, plain. */
static void
populate(struct desfire_card *card)
{
	static const uint8_t script[][20] = {
	    {6, 0xCA, 1, 0, 0, 0xEF, 0x83},
	    {4, 0x5A, 1, 0, 0},
	    {8, 0xCD, 1, 0, 0xEE, 0xEE, 64, 0, 0},
	    {8, 0xCB, 2, 0, 0xEE, 0xEE, 32, 0, 0},
	    {18, 0xCC, 3, 0, 0xEE, 0xEE, 0, 0, 0, 0, 0x10, 0x27, 0, 0, 100, 0, 0, 0, 1},
	    {11, 0xC1, 4, 0, 0xEE, 0xEE, 8, 0, 0, 4, 0, 0},
	    {11, 0xC0, 5, 0, 0xEE, 0xEE, 8, 0, 0, 4, 0, 0},
	};
	for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); i++)
		apdu(card, script[i] + 1, script[i][0]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t uid[7] = {0x04, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60};
	struct desfire_card *card = NULL;

	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		size_t len = size - 1;
		uint8_t *img = malloc(len + 1);
		if (!img)
			return 0;
		memcpy(img, data + 1, len);
		if ((data[0] & 2) && len >= 4)
			df_put_le(img + len - 4, df_crc32(img, len - 4) ^ 0xFFFFFFFFu, 4);
		if (parse_card(img, len, &card) == SSA_ERR_OK) {
			static const uint8_t apdus[][8] = {
			    {0x6A},
			    {0x5A, 1, 0, 0},
			    {0x6F},
			    {0xF5, 3},
			    {0xBD, 1, 0, 0, 0, 0, 0, 0},
			    {0xBB, 5, 0, 0, 0, 0, 0, 0},
			    {0x6C, 3},
			};
			static const size_t lens[] = {1, 4, 1, 2, 8, 8, 2};
			for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
				apdu(card, apdus[i], lens[i]);
			desfire_card_free(card);
		} else if (card) {
			abort(); /* a refused file leaves nothing behind */
		}
		free(img);
		return 0;
	}
	if (desfire_card_new_blank(uid, &card) != SSA_ERR_OK)
		return 0;
	desfire_card_set_seed(card, 1);
	populate(card);
	for (size_t at = 1; at < size;) {
		size_t len = data[at++];
		if (len == 0 || len > size - at)
			break;
		apdu(card, data + at, len);
		at += len;
		if ((desfire_card_take_dirty(card) && (data[0] & 4)))
			desfire_card_reset(card);
	}
	desfire_card_free(card);
	return 0;
}
