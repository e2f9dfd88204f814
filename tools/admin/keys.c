/* keys.c — the caisse's document key files as ssa-admin reads them: 64 hex digits and a newline
 * (what `ssa-admin list keygen` writes, as ssa-pos reads them) or PEM (`openssl genpkey
 * -algorithm ed25519`, ssa/keyfile.h).  Also whole files and streams into memory, and the
 * long options of a command (admin_getopt). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "admin.h"
#include "ssa/hex.h"
#include "ssa/log.h"
#include "ssa/keyfile.h"

char *
admin_read_stream(FILE *f, size_t max, size_t *len)
{
	char *buf = malloc(max + 1);
	size_t n;

	if (buf == NULL)
		return NULL;
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		free(buf);
		errno = ferror(f) ? EIO : EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

char *
admin_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	int saved;

	if (f == NULL)
		return NULL;
	buf = admin_read_stream(f, max, len);
	saved = errno;
	fclose(f);
	errno = saved;
	return buf;
}

int
admin_read_key(const char *path, int private, uint8_t key[32])
{
	size_t len = 0, n = 32;
	char *text, why[300];
	int ok = 0;

	if (!private) { /* the one loader of public keys (hex or PEM) */
		if (keyfile_load_public(path, key, why, sizeof(why)) == SSA_ERR_OK)
			return 0;
		log_err("%s", why);
		return -1;
	}
	text = admin_read_file(path, 8192, &len);

	if (text == NULL) {
		log_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (strncmp(text, "-----BEGIN", 10) == 0) {
		BIO *bio = BIO_new_mem_buf(text, (int)len);
		EVP_PKEY *k = NULL;
		if (bio != NULL)
			k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		if (k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519)
			ok = EVP_PKEY_get_raw_private_key(k, key, &n) == 1 && n == 32;
		EVP_PKEY_free(k);
		BIO_free(bio);
	} else {
		ok = len >= 64 && hex_decode(text, 32, key, HEX_ANY);
		for (size_t i = 64; ok && i < len; i++)
			ok = text[i] == '\n' || text[i] == '\r' || text[i] == ' ';
	}
	OPENSSL_cleanse(text, len);
	free(text);
	if (!ok) {
		log_err("%s: not an Ed25519 private key (64 hex digits or PEM)",
			path);
		return -1;
	}
	return 0;
}

int
admin_read_signing_key(const char *path, uint8_t priv[32])
{
	struct stat st;

	if (stat(path, &st) != 0) {
		log_err("%s: %s", path, strerror(errno));
		return -1;
	}
	/* A document key is private: a file that others may read is the public half (which has
	 * the same hex form) or a key that is not secret any more.  Either way, not signing. */
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		log_err("%s: not a private key file (mode %03o; the caisse's document key "
			"is made by 'ssa-admin list keygen' with mode 600)",
			path, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return admin_read_key(path, 1, priv);
}

int
admin_write_stdout(const char *data, size_t len)
{
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
		log_err("cannot write the output: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
admin_getopt(int argc, char **argv, const struct admin_opt *opts)
{
	struct option longopts[ADMIN_OPTS_MAX + 1];
	size_t n = 0;
	int c;

	for (; opts[n].name != NULL; n++) {
		if (n == ADMIN_OPTS_MAX)
			return -1;
		longopts[n] = (struct option){opts[n].name, required_argument, NULL, (int)n + 1};
	}
	longopts[n] = (struct option){NULL, 0, NULL, 0};
	optind = 0; /* GNU: reinitialise (main and maybe a verb parsed options before) */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c < 1 || (size_t)c > n)
			return -1;
		*opts[c - 1].value = optarg;
	}
	return optind;
}
