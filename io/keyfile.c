/* keyfile.c — Ed25519 key files in PEM: generate (0600, exclusive, durable), load, check modes. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ssa/hex.h"
#include "ssa/keyfile.h"

static enum ssa_err fail(enum ssa_err e, char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum ssa_err
fail(enum ssa_err e, char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && size > 0) {
		va_start(ap, fmt);
		vsnprintf(why, size, fmt, ap);
		va_end(ap);
	}
	return e;
}

/* fsync the directory holding @p path, so that a new name in it survives a power cut. */
static int
fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = -1;

	if (copy == NULL)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

/* Write the PEM of @p key (private when @p priv) to a temporary file next to @p path with
 * @p mode, fsync it, then put it in place: link() when @p exclusive (fails if @p path exists),
 * rename() otherwise; then fsync the directory.  Order matters: the name appears only once the
 * content is on disk. */
static enum ssa_err
write_pem(const char *path, EVP_PKEY *key, int priv, mode_t mode, int exclusive, char *why,
	  size_t size)
{
	char *tmp = NULL;
	FILE *f = NULL;
	int fd = -1, ok;
	enum ssa_err e = SSA_ERR_OK;

	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return SSA_ERR_NOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		e = fail(SSA_ERR_IO, why, size, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	/* The umask may have removed bits of a public key's 0644; a private key stays 0600. */
	if (fchmod(fd, mode) != 0 || (f = fdopen(fd, "w")) == NULL) {
		e = fail(SSA_ERR_IO, why, size, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	ok = priv ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
		  : PEM_write_PUBKEY(f, key);
	if (!ok || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		e = fail(SSA_ERR_IO, why, size, "%s: cannot write the key", tmp);
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		e = fail(SSA_ERR_IO, why, size, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (exclusive ? link(tmp, path) != 0 : rename(tmp, path) != 0) {
		e = fail(errno == EEXIST ? SSA_ERR_EXISTS : SSA_ERR_IO, why, size, "%s: %s", path,
			 errno == EEXIST ? "exists already, not overwritten" : strerror(errno));
		goto out;
	}
	if (fsync_dir_of(path) != 0)
		e = fail(SSA_ERR_IO, why, size, "%s: cannot sync its directory", path);
out:
	if (f != NULL)
		fclose(f);
	if (fd >= 0)
		close(fd);
	unlink(tmp); /* after link(), or a leftover after a failure; renamed: already gone */
	free(tmp);
	return e;
}

enum ssa_err
keyfile_generate(const char *priv_path, const char *pub_path, char *why, size_t why_size)
{
	EVP_PKEY *key = NULL;
	struct stat st;
	enum ssa_err e;

	if (priv_path == NULL)
		return SSA_ERR_INVAL;
	if (lstat(priv_path, &st) == 0)
		return fail(SSA_ERR_EXISTS, why, why_size, "%s: exists already, not overwritten",
			    priv_path);
	if (pub_path != NULL && lstat(pub_path, &st) == 0)
		return fail(SSA_ERR_EXISTS, why, why_size, "%s: exists already, not overwritten",
			    pub_path);
	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (key == NULL)
		return fail(SSA_ERR_CRYPTO, why, why_size, "cannot generate an Ed25519 key");
	e = write_pem(priv_path, key, 1, 0600, 1, why, why_size);
	if (e == SSA_ERR_OK && pub_path != NULL)
		e = write_pem(pub_path, key, 0, 0644, 1, why, why_size);
	EVP_PKEY_free(key);
	return e;
}

enum ssa_err
keyfile_write_public(const char *path, const uint8_t pub[32], char *why, size_t why_size)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	enum ssa_err e;

	if (key == NULL)
		return fail(SSA_ERR_KEY, why, why_size, "not an Ed25519 public key");
	e = write_pem(path, key, 0, 0644, 0, why, why_size);
	EVP_PKEY_free(key);
	return e;
}

/* Open @p path as a regular file; with @p private_key, refuse group/other permissions. */
static enum ssa_err
open_key(const char *path, int private_key, FILE **out, char *why, size_t size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return fail(errno == ELOOP ? SSA_ERR_KEY : SSA_ERR_IO, why, size, "%s: %s", path,
			    errno == ELOOP ? "is a symbolic link" : strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(SSA_ERR_KEY, why, size, "%s: not a regular file", path);
	}
	if (private_key && (st.st_mode & 077) != 0) {
		close(fd);
		return fail(SSA_ERR_KEY, why, size,
			    "%s: private key is accessible to group or others (mode %04o); "
			    "run chmod 600 on it",
			    path, (unsigned)(st.st_mode & 07777));
	}
	if ((*out = fdopen(fd, "r")) == NULL) {
		close(fd);
		return fail(SSA_ERR_IO, why, size, "%s: %s", path, strerror(errno));
	}
	return SSA_ERR_OK;
}

enum ssa_err
keyfile_load_private(const char *path, uint8_t priv[32], char *why, size_t why_size)
{
	FILE *f = NULL;
	EVP_PKEY *key = NULL;
	size_t n = 32;
	enum ssa_err e;

	if ((e = open_key(path, 1, &f, why, why_size)) != SSA_ERR_OK)
		return e;
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
		e = fail(SSA_ERR_KEY, why, why_size, "%s: not an Ed25519 private key in PEM", path);
		goto out;
	}
	if (EVP_PKEY_get_raw_private_key(key, priv, &n) != 1 || n != 32)
		e = fail(SSA_ERR_KEY, why, why_size, "%s: unusable Ed25519 private key", path);
out:
	EVP_PKEY_free(key);
	return e;
}

/* The hex form of a public key: 64 hex digits, then only blanks and line ends. */
static bool
public_hex(const char *text, size_t len, uint8_t pub[32])
{
	if (len < 64 || !hex_decode(text, 32, pub, HEX_ANY))
		return false;
	for (size_t i = 64; i < len; i++)
		if (text[i] != '\n' && text[i] != '\r' && text[i] != ' ' && text[i] != '\t')
			return false;
	return true;
}

enum ssa_err
keyfile_load_public(const char *path, uint8_t pub[32], char *why, size_t why_size)
{
	FILE *f = NULL;
	EVP_PKEY *key = NULL;
	char head[160];
	size_t n = 32, len;
	enum ssa_err e;

	if ((e = open_key(path, 0, &f, why, why_size)) != SSA_ERR_OK)
		return e;
	len = fread(head, 1, sizeof(head), f);
	if (len < sizeof(head) && public_hex(head, len, pub)) {
		fclose(f);
		return SSA_ERR_OK;
	}
	rewind(f);
	key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	if (key == NULL) {
		rewind(f);
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	}
	fclose(f);
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
		e = fail(SSA_ERR_KEY, why, why_size,
			 "%s: not an Ed25519 public key (64 hex digits or PEM)", path);
		goto out;
	}
	if (EVP_PKEY_get_raw_public_key(key, pub, &n) != 1 || n != 32)
		e = fail(SSA_ERR_KEY, why, why_size, "%s: unusable Ed25519 key", path);
out:
	EVP_PKEY_free(key);
	return e;
}
