/* cmd_list.c — ssa-admin list: the caisse's signed convention lists and the catalog database.
 *
 *   ssa-admin list keygen PRIVATE PUBLIC        a caisse's Ed25519 key pair (hex files)
 *   ssa-admin list sign PRIVATE BODY [OUT] [--max-age DAYS]
 *                                               check BODY parses, append the signature line;
 *                                               the caisse's age limit (--max-age, else the
 *                                               body's own, else [caisse] list_max_age)
 *   ssa-admin list verify PUBLIC LIST           parse and verify; print the header
 *   ssa-admin list import DB CAISSE PUBLIC LIST put a list (full or delta) into a catalog database
 *   ssa-admin list show DB [CAISSE]             lists in force; one list's entries
 *   ssa-admin list products DB CSV [RATES]      replace the products from a CSV (one transaction);
 *                                               RATES default to [vat] rates of ssa-admin.ini
 *
 * Key files hold 64 hex digits (the raw 32-byte key) and a newline, as ssa-pos reads them; a PEM
 * file from `openssl genpkey -algorithm ed25519` is accepted as well.  docs/lists.md has the
 * format of lists and the rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "admin.h"
#include "caisse_admin.h"
#include "ssa/catalog_store.h"
#include "ssa/convention.h"
#include "ssa/log.h"

#define LIST_MAX_BYTES (256u << 20)

static int
usage(void)
{
	fprintf(stderr,
		"usage: ssa-admin list keygen PRIVATE PUBLIC\n"
		"       ssa-admin list sign PRIVATE BODY [OUT] [--max-age DAYS]\n"
		"       ssa-admin list verify PUBLIC LIST\n"
		"       ssa-admin list import DB CAISSE PUBLIC LIST\n"
		"       ssa-admin list show DB [CAISSE]\n"
		"       ssa-admin list products DB CSV [VAT-RATES]\n"
		"       ssa-admin list publish FILE [--key PUBLIC] [--caisse C] [--db DB]\n"
		"       ssa-admin list published [--db DB]\n");
	return 2;
}

/* A whole file into a malloc'd NUL-terminated buffer (NULL with errno on failure). */
static char *
slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;

	if (f == NULL)
		return NULL;
	if ((buf = malloc(max + 1)) != NULL) {
		n = fread(buf, 1, max + 1, f);
		if (ferror(f) || n > max) {
			free(buf);
			buf = NULL;
			errno = EFBIG;
		} else {
			buf[n] = '\0';
			*len = n;
		}
	}
	fclose(f);
	return buf;
}

static int
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *f;
	int fd_ok;

	umask(077);
	f = fopen(path, "wx");
	if (f == NULL) {
		log_err("%s: %s", path, strerror(errno));
		return -1;
	}
	fd_ok = fwrite(data, 1, len, f) == len;
	fd_ok = fclose(f) == 0 && fd_ok;
	if (!fd_ok || chmod(path, mode) != 0) {
		log_err("%s: write failed", path);
		return -1;
	}
	return 0;
}

static void
hex(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\n';
	out[2 * n + 1] = '\0';
}

static int
cmd_keygen(int argc, char **argv)
{
	uint8_t priv[32], pub[32];
	char text[70];
	int rc = 1;

	if (argc != 4)
		return usage();
	if (RAND_priv_bytes(priv, sizeof(priv)) != 1 ||
	    convention_public_key(priv, pub) != SSA_ERR_OK) {
		log_err("key generation failed");
		goto out;
	}
	hex(priv, 32, text);
	if (write_file(argv[2], text, 65, 0600) != 0)
		goto out;
	hex(pub, 32, text);
	if (write_file(argv[3], text, 65, 0644) != 0)
		goto out;
	printf("caisse key pair: private %s, public %s", argv[2], text);
	rc = 0;
out:
	OPENSSL_cleanse(priv, sizeof(priv));
	return rc;
}

static void
print_error(const char *file, enum ssa_err e, const struct convention_error *err)
{
	if (err->line != 0)
		log_err("%s:%u: %s", file, err->line, err->msg);
	else if (err->msg[0] != '\0')
		log_err("%s: %s", file, err->msg);
	else
		log_err("%s: %s", file, ssa_strerror(e));
}

/* "0".."365" days; -1 otherwise. */
static long
parse_days(const char *text)
{
	long v = 0;

	if (text == NULL || text[0] == '\0' || strlen(text) > 3 || (text[0] == '0' && text[1]))
		return -1;
	for (const char *c = text; *c; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		v = v * 10 + (*c - '0');
	}
	return v <= CONVENTION_MAX_AGE_MAX ? v : -1;
}

/* Sign @p body (@p len bytes) and parse the result into @p l (new). */
static enum ssa_err
sign_parse(const char *body, size_t len, const uint8_t priv[32], char **out, size_t *olen,
	   struct convention_list **l, struct convention_error *err)
{
	enum ssa_err e;

	free(*out);
	*out = NULL;
	convention_list_free(*l);
	*l = NULL;
	if ((e = convention_sign(body, len, priv, out, olen)) != SSA_ERR_OK)
		return e;
	return convention_list_parse(*out, *olen, l, err);
}

static int
cmd_sign(const struct admin_ctx *ctx, int argc, char **argv)
{
	const char *max_age = NULL;
	const struct admin_opt opts[] = { { "max-age", &max_age }, { NULL, NULL } };
	uint8_t priv[32];
	char *body = NULL, *out = NULL, *limited = NULL, **pos;
	size_t len = 0, olen = 0, llen = 0;
	struct convention_list *l = NULL;
	struct convention_error err = { 0 };
	long days = -1;
	int first, npos;
	enum ssa_err e;
	int rc = 1;

	if ((first = admin_getopt(argc - 1, argv + 1, opts)) < 0)
		return usage();
	pos = argv + 1 + first;
	npos = argc - 1 - first;
	if (npos != 2 && npos != 3)
		return usage();
	if (max_age != NULL && (days = parse_days(max_age)) < 0) {
		log_err("--max-age '%s' is not a number of days in 0..%d", max_age,
			CONVENTION_MAX_AGE_MAX);
		return 2;
	}
	if (admin_read_key(pos[0], 1, priv) != 0)
		return 1;
	if ((body = slurp(pos[1], LIST_MAX_BYTES, &len)) == NULL) {
		log_err("%s: %s", pos[1], strerror(errno));
		goto out;
	}
	/* The caisse decides how old a list may get at the till: --max-age, else the body's own
	 * line, else [caisse] list_max_age. */
	if (days >= 0) {
		if ((e = convention_body_set_max_age(body, len, (uint32_t)days, &limited, &llen)) ==
		    SSA_ERR_OK) {
			free(body);
			body = limited;
			len = llen;
			limited = NULL;
		}
	}
	/* Never sign what a till would refuse: the signed text must parse. */
	if ((e = sign_parse(body, len, priv, &out, &olen, &l, &err)) != SSA_ERR_OK) {
		if (e == SSA_ERR_LIST_FORMAT)
			print_error(pos[1], e, &err);
		else
			log_err("%s", ssa_strerror(e));
		goto out;
	}
	if (days < 0 && l->max_age == 0 && ctx->cfg.caisse_list_max_age > 0) {
		if ((e = convention_body_set_max_age(body, len,
						     (uint32_t)ctx->cfg.caisse_list_max_age,
						     &limited, &llen)) != SSA_ERR_OK ||
		    (e = sign_parse(limited, llen, priv, &out, &olen, &l, &err)) != SSA_ERR_OK) {
			if (e == SSA_ERR_LIST_FORMAT)
				print_error(pos[1], e, &err);
			else
				log_err("%s", ssa_strerror(e));
			goto out;
		}
	}
	if (npos == 3) {
		if (write_file(pos[2], out, olen, 0644) != 0)
			goto out;
	} else if (fwrite(out, 1, olen, stdout) != olen) {
		goto out;
	}
	if (l->max_age != 0)
		log_info("signed list of %s, version %u%s, %zu entries, max age %u days", l->caisse,
			 l->version, l->base ? " (delta)" : "", l->n, l->max_age);
	else
		log_info("signed list of %s, version %u%s, %zu entries, no max age", l->caisse,
			 l->version, l->base ? " (delta)" : "", l->n);
	rc = 0;
out:
	OPENSSL_cleanse(priv, sizeof(priv));
	convention_list_free(l);
	free(limited);
	free(out);
	free(body);
	return rc;
}

static void
print_header(const struct convention_list *l)
{
	char from[16], to[16] = "open";

	convention_date_format(l->valid_from, from, sizeof(from));
	if (l->valid_to != 0)
		convention_date_format(l->valid_to, to, sizeof(to));
	printf("caisse %s, version %u", l->caisse, l->version);
	if (l->base != 0)
		printf(", delta against version %u", l->base);
	printf(", valid %s to %s, %zu entries", from, to, l->n);
	if (l->max_age != 0)
		printf(", max age %u days", l->max_age);
	printf("\n");
}

static int
cmd_verify(int argc, char **argv)
{
	uint8_t pub[32];
	char *text = NULL;
	size_t len = 0;
	struct convention_list *l = NULL;
	struct convention_error err = { 0 };
	enum ssa_err e;

	if (argc != 4)
		return usage();
	if (admin_read_key(argv[2], 0, pub) != 0)
		return 1;
	if ((text = slurp(argv[3], LIST_MAX_BYTES, &len)) == NULL) {
		log_err("%s: %s", argv[3], strerror(errno));
		return 1;
	}
	e = convention_list_load(text, len, pub, &l, &err);
	free(text);
	if (e != SSA_ERR_OK) {
		print_error(argv[3], e, &err);
		return 1;
	}
	printf("signature ok: ");
	print_header(l);
	convention_list_free(l);
	return 0;
}

static int
open_store(const char *path, struct catalog_store **s)
{
	enum ssa_err e = catalog_store_open(path, s);

	if (e != SSA_ERR_OK) {
		log_err("%s: %s", path, ssa_strerror(e));
		return -1;
	}
	return 0;
}

static int
cmd_import(int argc, char **argv)
{
	uint8_t pub[32];
	char *text = NULL;
	size_t len = 0;
	struct catalog_store *s = NULL;
	struct convention_error err = { 0 };
	uint32_t version = 0;
	enum ssa_err e;
	int rc = 1;

	if (argc != 6)
		return usage();
	if (admin_read_key(argv[4], 0, pub) != 0)
		return 1;
	if ((text = slurp(argv[5], LIST_MAX_BYTES, &len)) == NULL) {
		log_err("%s: %s", argv[5], strerror(errno));
		return 1;
	}
	if (open_store(argv[2], &s) != 0)
		goto out;
	e = catalog_store_put_list(s, argv[3], pub, text, len, &err, &version);
	if (e != SSA_ERR_OK) {
		print_error(argv[5], e, &err);
		if (e == SSA_ERR_DB)
			log_err("%s", catalog_store_errmsg(s));
		if (version != 0)
			log_info("version %u of %s stays in force", version, argv[3]);
		goto out;
	}
	printf("list of %s: version %u in force\n", argv[3], version);
	rc = 0;
out:
	catalog_store_close(s);
	free(text);
	return rc;
}

static void
show_one(void *arg, const char *caisse, uint32_t version, int32_t valid_from, int32_t valid_to,
	 size_t entries)
{
	char from[16], to[16] = "open";

	(void)arg;
	convention_date_format(valid_from, from, sizeof(from));
	if (valid_to != 0)
		convention_date_format(valid_to, to, sizeof(to));
	printf("%-24s version %-6u valid %s to %-10s %zu entries\n", caisse, version, from, to,
	       entries);
}

static int
cmd_show(int argc, char **argv)
{
	struct catalog_store *s = NULL;
	struct convention_list *l = NULL;
	char *text = NULL;
	size_t len = 0, n = 0;
	enum ssa_err e;
	int rc = 1;

	if (argc != 3 && argc != 4)
		return usage();
	if (open_store(argv[2], &s) != 0)
		return 1;
	if (argc == 3) {
		if ((e = catalog_store_count(s, &n)) != SSA_ERR_OK ||
		    (e = catalog_store_each_list(s, show_one, NULL)) != SSA_ERR_OK) {
			log_err("%s: %s", argv[2], catalog_store_errmsg(s));
			goto out;
		}
		printf("%zu products\n", n);
		rc = 0;
		goto out;
	}
	if ((e = catalog_store_get_list(s, argv[3], &l)) != SSA_ERR_OK) {
		log_err("%s: %s", argv[3],
		        e == SSA_ERR_NOT_FOUND ? "no list in force" : ssa_strerror(e));
		goto out;
	}
	if ((e = convention_list_format(l, &text, &len)) != SSA_ERR_OK) {
		log_err("%s", ssa_strerror(e));
		goto out;
	}
	/* The entries in force, in the list format (without signature: it may be merged). */
	rc = fwrite(text, 1, len, stdout) == len ? 0 : 1;
out:
	free(text);
	convention_list_free(l);
	catalog_store_close(s);
	return rc;
}

/* The products' rates must be the till's [vat] rates: the command line's, else ssa-admin.ini's
 * (whose default is the till's default). */
static int
cmd_products(const struct admin_ctx *ctx, int argc, char **argv)
{
	struct catalog_store *s = NULL;
	struct catalog_import_result res;
	struct vat_rates rates = ctx->cfg.vat_rates;
	char conf[80];
	enum ssa_err e;
	int rc = 1;

	if (argc != 4 && argc != 5)
		return usage();
	if (argc == 5) {
		if (vat_rates_parse(argv[4], &rates) != SSA_ERR_OK) {
			log_err("bad VAT rates '%s' (e.g. \"5.5,10,20\")", argv[4]);
			return 2;
		}
	}
	vat_rates_format(&rates, conf, sizeof(conf));
	if (open_store(argv[2], &s) != 0)
		return 1;
	e = catalog_store_import_csv(s, argv[3], &rates, &res);
	if (e != SSA_ERR_OK) {
		if (res.line != 0 && e == SSA_ERR_CATALOG_VAT)
			log_err("%s:%u: %s (configured rates: %s)", argv[3], res.line, res.why,
			        conf);
		else if (res.line != 0)
			log_err("%s:%u: %s", argv[3], res.line, res.why);
		else
			log_err("%s: %s", argv[3], res.why[0] ? res.why : ssa_strerror(e));
		log_info("nothing imported; the catalog is unchanged");
		goto out;
	}
	printf("%zu products imported\n", res.rows);
	rc = 0;
out:
	catalog_store_close(s);
	return rc;
}

int
admin_cmd_list(struct admin_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argc, argv);
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(ctx, argc, argv);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc, argv);
	if (strcmp(argv[1], "import") == 0)
		return cmd_import(argc, argv);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(argc, argv);
	if (strcmp(argv[1], "products") == 0)
		return cmd_products(ctx, argc, argv);
	if (strcmp(argv[1], "publish") == 0) /* the caisse's database: cmd_caisse.c */
		return admin_list_publish(ctx, argc, argv);
	if (strcmp(argv[1], "published") == 0)
		return admin_list_published(ctx, argc, argv);
	return usage();
}
