/* desfire_int.h — internals shared by the desfire*.c files of the card engine.  Not for the
 * rest of ssa-cardsim (which uses desfire.h only); the unit test includes it to check the
 * crypto primitives against published vectors. */
#ifndef SSA_CARDSIM_DESFIRE_INT_H
#define SSA_CARDSIM_DESFIRE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "desfire.h"

/* Status codes of the card (DESFire EV1 datasheet). */
enum {
	DF_OK = 0x00,
	DF_NO_CHANGES = 0x0C,
	DF_OUT_OF_MEMORY = 0x0E,
	DF_ILLEGAL_COMMAND = 0x1C,
	DF_INTEGRITY = 0x1E,
	DF_NO_SUCH_KEY = 0x40,
	DF_LENGTH = 0x7E,
	DF_PERMISSION = 0x9D,
	DF_PARAMETER = 0x9E,
	DF_APP_NOT_FOUND = 0xA0,
	DF_AUTH = 0xAE,
	DF_MORE = 0xAF,
	DF_BOUNDARY = 0xBE,
	DF_COMMAND_ABORTED = 0xCA,
	DF_COUNT = 0xCE,
	DF_DUPLICATE = 0xDE,
	DF_FILE_NOT_FOUND = 0xF0,
};

/* Key families.  DF_KEY_2K3DES with both halves equal (parity bits ignored) is single DES. */
enum df_key_type { DF_KEY_2K3DES = 0, DF_KEY_3K3DES = 1, DF_KEY_AES = 2 };

#define DF_MAX_APPS 28
#define DF_MAX_FILES 32
#define DF_MAX_KEYS 14
#define DF_CHAIN_MAX 59 /* data bytes per response frame (libfreefare's limit) */

/* A key as the card stores it. */
struct df_key {
	uint8_t data[24]; /* 2K3DES, AES: 16 bytes used; 3K3DES: 24 */
	uint8_t aes_version;
};

/* A session or card key ready for the block cipher: single DES, 2K3DES, 3K3DES or AES-128. */
enum df_cipher { DF_CIPHER_DES, DF_CIPHER_2K3DES, DF_CIPHER_3K3DES, DF_CIPHER_AES };
struct df_cipher_key {
	enum df_cipher cipher;
	uint8_t data[24];
};

enum df_file_type {
	DF_FILE_STD = 0x00,
	DF_FILE_BACKUP = 0x01,
	DF_FILE_VALUE = 0x02,
	DF_FILE_LINEAR = 0x03,
	DF_FILE_CYCLIC = 0x04,
};

struct df_file {
	bool exists;
	uint8_t type;
	uint8_t comm; /* 0 plain, 1 MACed, 3 enciphered */
	uint16_t ar;  /* read << 12 | write << 8 | read&write << 4 | change */
	bool has_iso_fid;
	uint16_t iso_fid;
	/* data files */
	uint32_t size;
	uint8_t *data;   /* committed contents */
	uint8_t *shadow; /* backup file: staged contents, NULL when nothing is staged */
	/* value files */
	int32_t lower, upper, value, lc_value;
	uint8_t lc_flags; /* bit 0 limited credit enabled, bit 1 free GetValue */
	bool v_staged;
	int32_t v_shadow;
	int64_t v_debits; /* sum of the staged debits */
	bool v_limited;   /* a LimitedCredit is staged */
	bool v_credit;    /* a Credit is staged */
	/* record files */
	uint32_t rec_size, rec_max, rec_count;
	uint32_t rec_oldest; /* ring index of the oldest record */
	uint8_t *records;    /* rec_max * rec_size, a ring */
	uint8_t *r_new;      /* staged new record, NULL when none */
	bool r_clear;        /* ClearRecordFile staged */
};

struct df_app {
	uint32_t aid;
	uint8_t key_settings;
	uint8_t nkeys;
	enum df_key_type key_type;
	bool iso_fids;
	bool has_iso;
	uint16_t iso_fid;
	uint8_t df_name[16];
	uint8_t df_name_len;
	struct df_key keys[DF_MAX_KEYS];
	struct df_file files[DF_MAX_FILES];
};

enum df_scheme { DF_AS_LEGACY, DF_AS_NEW };

struct desfire_card {
	/* persisted */
	uint8_t uid[7];
	uint8_t picc_key_settings;
	enum df_key_type picc_key_type;
	struct df_key picc_key;
	struct df_app *apps[DF_MAX_APPS];
	size_t napps;
	/* RAM */
	struct df_app *sel; /* NULL: the PICC level */
	int auth_key;       /* -1: not authenticated */
	enum df_scheme scheme;
	struct df_cipher_key skey;
	uint8_t iv[16];
	/* authentication in progress (between the two frames) */
	int auth_pending_key; /* -1: none */
	uint8_t auth_cmd;
	struct df_cipher_key auth_ckey;
	uint8_t rndb[16];
	size_t auth_len;
	/* chained response */
	uint8_t out[8400];
	size_t out_len, out_pos;
	bool out_active;
	uint8_t out_status;
	size_t out_chunks[4]; /* explicit frame sizes (GetVersion), 0-terminated */
	size_t out_chunk_i;
	bool out_wrapped;
	/* chained command (WriteData, WriteRecord) */
	uint8_t in[8300];
	size_t in_len, in_expected;
	bool in_active;
	bool sm_done; /* the current command's secure messaging was consumed (IV moved) */
	/* transaction */
	bool tx_dirty; /* something is staged */
	bool dirty;
	bool seeded;
	uint64_t seed;
};

/* --- desfire_crypto.c ---------------------------------------------------------------------- */

/* Block size of @p k: 8 (DES family) or 16 (AES). */
size_t df_block_size(const struct df_cipher_key *k);
/* Encrypt (@p enc) or decrypt one block in place with @p k (ECB).  false on an OpenSSL error. */
bool df_block(const struct df_cipher_key *k, bool enc, uint8_t *blk);
/* Standard CBC encryption/decryption in place; @p iv in/out (the last ciphertext block). */
bool df_cbc_encrypt(const struct df_cipher_key *k, uint8_t *iv, uint8_t *data, size_t len);
bool df_cbc_decrypt(const struct df_cipher_key *k, uint8_t *iv, uint8_t *data, size_t len);
/* The card's side of the legacy "send" mode: p = E(c) xor iv, iv = c. */
bool df_legacy_decode(const struct df_cipher_key *k, uint8_t *iv, uint8_t *data, size_t len);
/* CMAC (NIST SP 800-38B) of @p data with the chaining value @p iv (in/out: the full last block);
 * the whole tag (block size) goes to @p mac. */
bool df_cmac(const struct df_cipher_key *k, uint8_t *iv, const uint8_t *data, size_t len,
             uint8_t *mac);
/* DESFire CRC32 (IEEE polynomial, preset 0xFFFFFFFF, no final inversion), little-endian. */
uint32_t df_crc32(const uint8_t *data, size_t len);
/* ISO/IEC 14443-3 type A CRC (preset 0x6363). */
uint16_t df_crc16(const uint8_t *data, size_t len);
/* Fill @p buf with random bytes (the card's generator: seeded or getrandom()). */
void df_random(struct desfire_card *card, uint8_t *buf, size_t len);
/* The cipher key for a stored key of family @p type. */
void df_cipher_key_from(enum df_key_type type, const struct df_key *key, struct df_cipher_key *out);

/* Communication modes (file settings) and response protections. */
enum { DF_RSP_PLAIN = 0, DF_RSP_MACED = 1, DF_RSP_ENC = 3, DF_RSP_NONE = 0xFF };

/* EEPROM available to applications on an 8 KB EV1 after FormatPICC, and the largest file. */
#define DF_CAPACITY 7936u
#define DF_MAX_FILE_SIZE 7936u

/* --- desfire.c ----------------------------------------------------------------------------- */

/* A command handler: @p c[0..n) is the whole native command (INS first), modifiable (it is
 * decrypted in place).  Puts response data in card->out/out_len, may set *mode (how the
 * response is protected, DF_RSP_PLAIN by default), returns the status. */
typedef uint8_t (*df_handler)(struct desfire_card *card, uint8_t *c, size_t n, int *mode);

void df_put_le(uint8_t *p, uint32_t v, int n);
uint32_t df_get_le(const uint8_t *p, int n);
/* End the authentication session. */
void df_drop_auth(struct desfire_card *card);
/* Total length of a command with @p off plain header bytes (INS included) and a payload of
 * @p plen bytes sent in communication mode @p mode, plus @p extra bytes after the CRC. */
size_t df_sm_command_len(const struct desfire_card *card, int mode, size_t off, size_t plen,
                         size_t extra);
/* Check and strip the secure messaging of such a command in place: the CMAC/MAC is verified,
 * or the payload decrypted and its CRC and padding checked.  Returns DF_OK, DF_LENGTH or
 * DF_INTEGRITY.  In the new scheme the IV moves on as the host's did. */
uint8_t df_sm_command(struct desfire_card *card, int mode, uint8_t *buf, size_t n, size_t off,
                      size_t plen, size_t extra);
/* Free bytes of the card's EEPROM. */
uint32_t df_free_memory(const struct desfire_card *card);
/* A card with nothing in it (no UID, factory PICC key).  NULL when out of memory. */
struct desfire_card *df_card_alloc(void);
size_t df_finish(struct desfire_card *card, uint8_t st, bool wrapped, uint8_t *resp, size_t cap);

/* --- desfire_file.c ------------------------------------------------------------------------ */

uint8_t df_cmd_get_file_ids(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
uint8_t df_cmd_get_file_settings(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
uint8_t df_cmd_change_file_settings(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
uint8_t df_cmd_create_data_file(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
uint8_t df_cmd_create_value_file(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
uint8_t df_cmd_create_record_file(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
uint8_t df_cmd_delete_file(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
uint8_t df_cmd_read(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
uint8_t df_cmd_write(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
uint8_t df_cmd_get_value(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
uint8_t df_cmd_value_op(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
uint8_t df_cmd_clear_record_file(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
uint8_t df_cmd_commit(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
uint8_t df_cmd_abort(struct desfire_card *card, uint8_t *c, size_t n, int *mode);
/* Total length of the WriteData/WriteRecord whose first 8 bytes are @p c. */
uint8_t df_write_length(struct desfire_card *card, const uint8_t *c, size_t *expected);
/* Free the buffers of @p f and mark it absent. */
void df_file_clear(struct df_file *f);
/* Drop every staged change of the selected application. */
void df_tx_abort(struct desfire_card *card);
/* Bytes of card memory @p f uses. */
uint32_t df_file_mem(const struct df_file *f);

/* --- desfire_store.c ----------------------------------------------------------------------- */

/* Free an application and its files. */
void df_app_free(struct df_app *app);

#endif
