/* desfire.h — an emulated MIFARE DESFire EV1 card (the card engine of ssa-cardsim).
 *
 * The engine knows nothing of radio or PN532 frames: it takes one APDU as the card receives it
 * (a native DESFire command, or the same command wrapped in ISO/IEC 7816-4 as 90 INS 00 00 Lc
 * data 00) and gives the card's answer.  It keeps what a real card keeps in EEPROM (keys,
 * applications, files, committed data) and what it keeps in RAM (authentication session, IV,
 * selected application, staged transaction, chained frames).  The persisted part is saved to a
 * versioned file, see docs/cardsim-desfire.md for the format and for what is emulated.
 */
#ifndef SSA_CARDSIM_DESFIRE_H
#define SSA_CARDSIM_DESFIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"

struct desfire_card;

/* Largest response desfire_card_process() ever writes (one frame: status + 59 data bytes, or
 * 59 data bytes + 91 xx when wrapped).  A @p cap of this size is always enough. */
#define DESFIRE_RESP_MAX 64

/* A card in factory state: no application, PICC master key = DES key of sixteen zero bytes,
 * version 0, PICC key settings 0x0F.
 * @param[in] uid the card's 7-byte UID
 * @param[out] out the new card, owned by the caller (desfire_card_free()) */
enum ssa_err desfire_card_new_blank(const uint8_t uid[7], struct desfire_card **out);

/* Load a card saved by desfire_card_save().  A file that is truncated, has a bad checksum, an
 * unknown version or inconsistent contents is refused with SSA_ERR_CARD_FORMAT (never a crash).
 * @param[in] path the card file
 * @param[out] out the card, owned by the caller; its RAM state is that of a card just powered */
enum ssa_err desfire_card_load(const char *path, struct desfire_card **out);

/* Save the persisted state (committed data only: a staged transaction is not saved) to @p path,
 * atomically: temp file in the same directory, fsync, rename, fsync of the directory. */
enum ssa_err desfire_card_save(const struct desfire_card *card, const char *path);

/* Copy the committed bytes of standard or backup data file @p file_no of application @p aid of
 * @p src into the file of that number and size of @p dst: what the holder of @p dst's keys can
 * do with a file anybody may read (tests make a clone this way: a "magic" card with the
 * original's UID and identity, keyed by its owner).  SSA_ERR_NOT_FOUND when either card lacks
 * the application or the file, SSA_ERR_CARD_FORMAT when they are not data files of one size. */
enum ssa_err desfire_card_copy_data(const struct desfire_card *src, struct desfire_card *dst,
                                    uint32_t aid, uint8_t file_no);

/* Free @p card and everything it owns.  NULL is a no-op. */
void desfire_card_free(struct desfire_card *card);

/* Copy the card's UID into @p uid. */
void desfire_card_uid(const struct desfire_card *card, uint8_t uid[7]);

/* RF field reset or power loss: drops the authentication session and the selected application,
 * aborts the uncommitted transaction and any chained exchange.  Persisted state is untouched. */
void desfire_card_reset(struct desfire_card *card);

/* Process one APDU.
 * @param[in] cmd native DESFire command (INS, data...) or ISO 7816-4 wrapped (90 INS 00 00 [Lc
 *            data] 00)
 * @param[out] resp the answer: native "status, data..." or wrapped "data..., 91, status"
 * @param cap room in @p resp; DESFIRE_RESP_MAX is always enough
 * @return the length written to @p resp (0 only if @p cap is too small for the answer) */
size_t desfire_card_process(struct desfire_card *card, const uint8_t *cmd, size_t len,
                            uint8_t *resp, size_t cap);

/* True once after any change to persisted state (then false until the next change), so that
 * the caller saves the card. */
bool desfire_card_take_dirty(struct desfire_card *card);

/* Make the card's random challenges (RndB) a deterministic function of @p seed, for tests.
 * By default they come from getrandom(). */
void desfire_card_set_seed(struct desfire_card *card, uint64_t seed);

#endif
