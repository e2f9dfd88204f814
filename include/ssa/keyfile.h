/* ssa/keyfile.h — Ed25519 key files in PEM (OpenSSL's PKCS#8 and SubjectPublicKeyInfo).
 *
 * A private key file is created with mode 0600, exclusively (an existing file is never
 * overwritten), written to a temporary file, fsynced, linked into place and its directory
 * fsynced.  Loading a private key refuses a file that the group or others may read or write,
 * that is not a regular file, or that is not an Ed25519 key.  Public key files are 0644.
 * The same `openssl genpkey -algorithm ed25519` files work both ways.
 */
#ifndef SSA_KEYFILE_H
#define SSA_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"

/* Generate a key pair: private key to @p priv_path (0600), public key to @p pub_path (may be
 * NULL).  SSA_ERR_EXISTS when either file exists (nothing is written then), SSA_ERR_IO,
 * SSA_ERR_CRYPTO.  @p why (may be NULL) receives a sentence naming the file on failure. */
enum ssa_err keyfile_generate(const char *priv_path, const char *pub_path, char *why,
			      size_t why_size);

/* Write raw public key @p pub to @p path (0644, replaced atomically if it exists). */
enum ssa_err keyfile_write_public(const char *path, const uint8_t pub[32], char *why,
				  size_t why_size);

/* Load the raw 32-byte private key of @p path into @p priv.  SSA_ERR_KEY for a file readable
 * or writable by group or others, not a regular file, not PEM or not Ed25519; SSA_ERR_IO when
 * it cannot be opened.  @p why names the file and the reason. */
enum ssa_err keyfile_load_private(const char *path, uint8_t priv[32], char *why, size_t why_size);

/* Load the raw 32-byte public key of @p path into @p pub: 64 hex digits (either case, then only
 * blanks and line ends: what `ssa-admin list keygen` writes), a public key PEM, or a private key
 * PEM whose public half is taken.  SSA_ERR_KEY, SSA_ERR_IO as above (no mode check). */
enum ssa_err keyfile_load_public(const char *path, uint8_t pub[32], char *why, size_t why_size);

#endif
