/* cmd_terminal.c — `ssa-admin ca ...` and `ssa-admin terminal ...`: the caisse's certificate
 * authority and the terminals' identities (OpenSSL 3 APIs, no openssl command).
 *
 * At the caisse:
 *   ssa-admin ca init DIR [DAYS]
 *       make the caisse CA: DIR/ca.key (0600) and DIR/ca.crt (self-signed, EC P-256)
 *   ssa-admin ca server DIR HOSTNAME KEY CERT [DAYS]
 *       a key and a certificate for ssa-caissed, for HOSTNAME (a DNS name or an IP address)
 *   ssa-admin terminal sign DIR CSR CERT [DAYS]
 *       check a terminal's request (its signature, a valid id as CN, a journal key) and issue its
 *       certificate; prints the terminal id and journal key for the record
 * At the outlet:
 *   ssa-admin terminal enroll ID JOURNAL_KEYFILE KEY CSR
 *       make the terminal's TLS key (0600) and a certificate request for terminal ID that binds
 *       the journal key (docs/protocol.md); carry CSR to the caisse
 *
 *   ssa-admin terminal journal-uri KEYFILE
 *       print the subjectAltName URI that binds the journal key KEYFILE (Ed25519 PEM, private or
 *       public) to the terminal's certificate (docs/protocol.md)
 *   ssa-admin terminal demo-sales JOURNAL KEYFILE TERMINAL COUNT [START_MS [FIRST]]
 *       append COUNT small demonstration sales to the journal database JOURNAL, signed with
 *       KEYFILE, as terminal TERMINAL, one a second from START_MS (UTC milliseconds, default
 *       1795000000000), numbered (card, balance: demo_sale) from FIRST (default: the number of
 *       records in JOURNAL) (demos, tests and benchmarks of the sync)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssa/journal.h"
#include "ssa/journal_store.h"
#include "ssa/keyfile.h"
#include "ssa/protocol.h"
#include "admin.h"
#include "ssa/log.h"

static int
journal_uri(int argc, char **argv)
{
	uint8_t pub[32];
	char hex[65], why[256] = "";

	if (argc != 3) {
		fprintf(stderr, "usage: ssa-admin terminal journal-uri KEYFILE\n");
		return 2;
	}
	if (keyfile_load_public(argv[2], pub, why, sizeof(why)) != SSA_ERR_OK) {
		log_err("%s", why);
		return 1;
	}
	journal_hex(pub, 32, hex);
	printf("urn:x-ssa:journal-key:ed25519:%s\n", hex);
	return 0;
}

/* Sale number @p i (0-based, over the whole journal) of one conventioned item (1,50 €) paid by
 * card "demo-card-<i mod 100>", at @p time_ms.  Each card's balance starts at 1 000 € and goes
 * down 1,50 € per sale, so that one journal is consistent card by card — and two journals that
 * sell the same cards are what a card spent at two outlets offline looks like. */
static enum ssa_err
demo_sale(struct journal_record *r, const char *terminal, uint64_t i, int64_t time_ms)
{
	struct journal_line l = { .code = "3560070123456", .name = "Lentilles vertes 500 g",
				  .category = "epicerie", .qty = 1, .unit_price = 150, .amount = 150,
				  .vat_bp = 550, .covered = 150, .paid_ssa = 150,
				  .reason = CONVENTION_COVERED, .list_caisse = "demo", .list_version = 1 };
	struct journal_tender t = { TENDER_SSA, 150, 150, 0 };
	enum ssa_err err;

	journal_record_init(r, JOURNAL_SALE);
	snprintf(r->establishment, sizeof(r->establishment), "demo");
	snprintf(r->terminal, sizeof(r->terminal), "%s", terminal);
	snprintf(r->software, sizeof(r->software), "%s", SSA_VERSION);
	snprintf(r->operator_id, sizeof(r->operator_id), "demo");
	snprintf(r->card, sizeof(r->card), "demo-card-%" PRIu64, i % 100);
	r->time_ms = time_ms;
	r->balance_before = 100000 - 150 * (int64_t)(i / 100 % 600);
	r->balance_after = r->balance_before - 150;
	vat_summary_init(&r->vat);
	if ((err = journal_record_add_line(r, &l)) || (err = journal_record_add_tender(r, &t)) ||
	    (err = vat_summary_add(&r->vat, 550, 150)) || (err = vat_summary_finish(&r->vat)))
		return err;
	r->total = 150;
	r->ssa_covered = 150;
	return SSA_ERR_OK;
}

static int
demo_sales(int argc, char **argv)
{
	struct ssa_journal_store *store = NULL;
	struct journal_signer *signer = NULL;
	uint8_t priv[32];
	char why[256] = "", *end;
	unsigned long long count;
	long long start = INT64_C(1795000000000);
	uint64_t first = 0, number = UINT64_MAX;
	uint8_t hash[JOURNAL_HASH_LEN];
	enum ssa_err err = SSA_ERR_OK;
	int status = 1;

	if (argc < 6 || argc > 8) {
		fprintf(stderr, "usage: ssa-admin terminal demo-sales JOURNAL KEYFILE TERMINAL COUNT "
				"[START_MS [FIRST]]\n");
		return 2;
	}
	if (argc == 8) {
		errno = 0;
		number = strtoull(argv[7], &end, 10);
		if (errno || *end || argv[7][0] == '-' || number > 10000000) {
			log_err("FIRST must be a sale number, 0 to 10000000");
			return 2;
		}
	}
	if (argc >= 7) {
		errno = 0;
		start = strtoll(argv[6], &end, 10);
		if (errno || *end || start < 0) {
			log_err("START_MS must be a number of milliseconds");
			return 2;
		}
	}
	errno = 0;
	count = strtoull(argv[5], &end, 10);
	if (errno || *end || count == 0 || count > 10000000) {
		log_err("COUNT must be 1 to 10000000");
		return 2;
	}
	if (keyfile_load_private(argv[3], priv, why, sizeof(why)) != SSA_ERR_OK) {
		log_err("%s", why);
		return 1;
	}
	err = journal_signer_new(priv, &signer);
	explicit_bzero(priv, sizeof(priv));
	if (err)
		goto out;
	if ((err = journal_sqlite_open(argv[2], &store, why, sizeof(why))) ||
	    (err = journal_store_last(store, &first, hash)))
		goto out;
	for (unsigned long long i = 0; i < count; i++) {
		struct journal_record r;

		err = demo_sale(&r, argv[4], (number != UINT64_MAX ? number : first) + i,
				(int64_t)start + (int64_t)i * 1000);
		if (!err)
			err = journal_store_append(store, &r, signer, 0, NULL, NULL);
		journal_record_fini(&r);
		if (err)
			goto out;
	}
	status = 0;
out:
	if (err)
		log_err("demo-sales: %s%s%s", ssa_strerror(err), why[0] ? ": " : "", why);
	journal_store_free(store);
	journal_signer_free(signer);
	return status;
}

/* --- certificate authority (OpenSSL 3) ------------------------------------------------------ */

#define PKI_DEFAULT_DAYS 825
#define JOURNAL_URI_PREFIX "urn:x-ssa:journal-key:ed25519:"

static void
ossl_fail(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	log_err("%s: %s", what, e ? buf : "failed");
	ERR_clear_error();
}

/* Create @p path exclusively with @p mode, for writing, fsync'd by pem_close. */
static FILE *
pem_create(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f;

	if (fd < 0) {
		log_err("cannot create %s: %s", path, strerror(errno));
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
	}
	return f;
}

static int
pem_close(FILE *f, const char *path, int ok)
{
	if (ok && (fflush(f) != 0 || fsync(fileno(f)) != 0))
		ok = 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		log_err("cannot write %s", path);
		unlink(path);
	}
	return ok;
}

static int
write_key(const char *path, EVP_PKEY *key)
{
	FILE *f = pem_create(path, 0600);

	if (!f)
		return 0;
	return pem_close(f, path, PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1);
}

static int
write_cert(const char *path, X509 *x)
{
	FILE *f = pem_create(path, 0644);

	if (!f)
		return 0;
	return pem_close(f, path, PEM_write_X509(f, x) == 1);
}

static EVP_PKEY *
read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f) {
		log_err("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		ossl_fail(path);
	return k;
}

static X509 *
read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (!f) {
		log_err("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		ossl_fail(path);
	return x;
}

static int
parse_days(const char *s, long *days)
{
	char *end;

	errno = 0;
	*days = s ? strtol(s, &end, 10) : PKI_DEFAULT_DAYS;
	if (s && (errno || *end || *days < 1 || *days > 36500)) {
		log_err("DAYS must be 1 to 36500");
		return 0;
	}
	return 1;
}

/* Add extension @p nid with OpenSSL's textual @p value, in the context of @p issuer/@p subject. */
static int
add_ext(X509 *issuer, X509 *subject, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, subject, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(subject, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A new certificate for @p pub, serial random, valid @p days from now, issued by @p issuer (NULL:
 * self-issued) with subject CN @p cn. */
static X509 *
new_cert(EVP_PKEY *pub, X509 *issuer, const char *cn, long days)
{
	X509 *x = X509_new();
	BIGNUM *bn = BN_new();
	X509_NAME *name = X509_NAME_new();
	int ok = x && bn && name;

	ok = ok && X509_set_version(x, X509_VERSION_3) && BN_rand(bn, 127, BN_RAND_TOP_ANY,
								 BN_RAND_BOTTOM_ANY) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), -300) &&
	     X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
					0) &&
	     X509_set_subject_name(x, name) &&
	     X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) &&
	     X509_set_pubkey(x, pub);
	BN_free(bn);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int
ca_init(int argc, char **argv)
{
	char key_path[4096], crt_path[4096];
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	long days;
	int ok = 0;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: ssa-admin ca init DIR [DAYS]\n");
		return 2;
	}
	if (!parse_days(argc == 4 ? argv[3] : "3650", &days))
		return 2;
	if (mkdir(argv[2], 0700) != 0 && errno != EEXIST) {
		log_err("cannot create %s: %s", argv[2], strerror(errno));
		return 1;
	}
	snprintf(key_path, sizeof(key_path), "%s/ca.key", argv[2]);
	snprintf(crt_path, sizeof(crt_path), "%s/ca.crt", argv[2]);
	key = EVP_EC_gen("P-256");
	if (!key || !(x = new_cert(key, NULL, "SSA caisse CA", days)) ||
	    !add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    !add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(x, x, NID_subject_key_identifier, "hash") ||
	    !X509_sign(x, key, EVP_sha256())) {
		ossl_fail("making the CA");
		goto out;
	}
	ok = write_key(key_path, key);
	if (ok && !(ok = write_cert(crt_path, x)))
		unlink(key_path);
	if (ok)
		printf("caisse CA: %s, %s\n", key_path, crt_path);
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return ok ? 0 : 1;
}

/* Load DIR/ca.key and DIR/ca.crt. */
static int
load_ca(const char *dir, EVP_PKEY **key, X509 **crt)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/ca.key", dir);
	*key = read_key(path);
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	*crt = *key ? read_cert(path) : NULL;
	if (*crt && X509_check_private_key(*crt, *key) != 1) {
		log_err("%s/ca.key does not match %s", dir, path);
		X509_free(*crt);
		*crt = NULL;
	}
	return *key && *crt;
}

static int
ca_server(int argc, char **argv)
{
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *x = NULL;
	unsigned char ip[16];
	char san[600];
	long days;
	int ok = 0;

	if (argc < 6 || argc > 7) {
		fprintf(stderr, "usage: ssa-admin ca server DIR HOSTNAME KEY CERT [DAYS]\n");
		return 2;
	}
	if (!parse_days(argc == 7 ? argv[6] : NULL, &days))
		return 2;
	if (strlen(argv[3]) > 253 || strpbrk(argv[3], ", \t\n")) {
		log_err("'%s' is not a host name or an address", argv[3]);
		return 2;
	}
	if (inet_pton(AF_INET, argv[3], ip) == 1 || inet_pton(AF_INET6, argv[3], ip) == 1)
		snprintf(san, sizeof(san), "IP:%s", argv[3]);
	else
		snprintf(san, sizeof(san), "DNS:%s", argv[3]);
	if (!load_ca(argv[2], &ca_key, &ca))
		goto out;
	key = EVP_EC_gen("P-256");
	if (!key || !(x = new_cert(key, ca, argv[3], days)) ||
	    !add_ext(ca, x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(ca, x, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(ca, x, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(ca, x, NID_subject_alt_name, san) || !X509_sign(x, ca_key, EVP_sha256())) {
		ossl_fail("making the server certificate");
		goto out;
	}
	ok = write_key(argv[4], key);
	if (ok && !(ok = write_cert(argv[5], x)))
		unlink(argv[4]);
out:
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	return ok ? 0 : 1;
}

static int
terminal_enroll(int argc, char **argv)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	EVP_PKEY *key = NULL;
	FILE *f = NULL;
	uint8_t pub[32];
	char hex[65], uri[128], why[256] = "";
	int ok = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: ssa-admin terminal enroll ID JOURNAL_KEYFILE KEY CSR\n");
		return 2;
	}
	if (!protocol_id_valid(argv[2])) {
		log_err("'%s' is not a valid terminal id ([A-Za-z0-9._-], at most "
		        "32)",
		        argv[2]);
		return 2;
	}
	if (keyfile_load_public(argv[3], pub, why, sizeof(why)) != SSA_ERR_OK) {
		log_err("%s", why);
		return 1;
	}
	journal_hex(pub, 32, hex);
	snprintf(uri, sizeof(uri), "URI:" JOURNAL_URI_PREFIX "%s", hex);
	key = EVP_EC_gen("P-256");
	req = X509_REQ_new();
	name = X509_NAME_new();
	exts = sk_X509_EXTENSION_new_null();
	if (!key || !req || !name || !exts ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)argv[2],
					-1, -1, 0) ||
	    !X509_REQ_set_subject_name(req, name) || !X509_REQ_set_pubkey(req, key) ||
	    !(ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, uri)) ||
	    !sk_X509_EXTENSION_push(exts, ext)) {
		ossl_fail("making the request");
		X509_EXTENSION_free(ext);
		goto out;
	}
	if (!X509_REQ_add_extensions(req, exts) || !X509_REQ_sign(req, key, EVP_sha256())) {
		ossl_fail("signing the request");
		goto out;
	}
	if (!write_key(argv[4], key))
		goto out;
	f = pem_create(argv[5], 0644);
	if (!f || !pem_close(f, argv[5], PEM_write_X509_REQ(f, req) == 1)) {
		unlink(argv[4]);
		goto out;
	}
	printf("terminal %s: key %s, request %s (journal key %s)\n", argv[2], argv[4], argv[5], hex);
	ok = 1;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return ok ? 0 : 1;
}

/* The journal key URI of @p exts (a request's extensions): 1 found and well-formed, 0 not. */
static int
request_journal_uri(STACK_OF(X509_EXTENSION) *exts, char *out, size_t size)
{
	GENERAL_NAMES *names = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	int found = 0;

	for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const unsigned char *d;
		int len;

		if (g->type != GEN_URI)
			continue;
		d = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
		len = ASN1_STRING_length(g->d.uniformResourceIdentifier);
		if (len != (int)strlen(JOURNAL_URI_PREFIX) + 64 || (size_t)len >= size ||
		    memcmp(d, JOURNAL_URI_PREFIX, strlen(JOURNAL_URI_PREFIX)) != 0)
			continue;
		memcpy(out, d, (size_t)len);
		out[len] = '\0';
		found = strspn(out + strlen(JOURNAL_URI_PREFIX), "0123456789abcdef") == 64;
		if (found)
			break;
	}
	GENERAL_NAMES_free(names);
	return found;
}

static int
terminal_sign(int argc, char **argv)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	EVP_PKEY *ca_key = NULL, *pub;
	X509 *ca = NULL, *x = NULL;
	X509_REQ *req = NULL;
	FILE *f;
	char cn[PROTOCOL_ID_MAX + 2] = "", uri[128], san[140];
	long days;
	int ok = 0, n;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: ssa-admin terminal sign DIR CSR CERT [DAYS]\n");
		return 2;
	}
	if (!parse_days(argc == 6 ? argv[5] : NULL, &days))
		return 2;
	f = fopen(argv[3], "r");
	if (!f) {
		log_err("cannot open %s: %s", argv[3], strerror(errno));
		return 1;
	}
	req = PEM_read_X509_REQ(f, NULL, NULL, NULL);
	fclose(f);
	if (!req) {
		ossl_fail(argv[3]);
		goto out;
	}
	pub = X509_REQ_get0_pubkey(req);
	if (!pub || X509_REQ_verify(req, pub) != 1) {
		log_err("%s: the request's signature does not verify", argv[3]);
		ERR_clear_error();
		goto out;
	}
	n = X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn,
				      sizeof(cn));
	if (n <= 0 || (size_t)n != strlen(cn) || !protocol_id_valid(cn)) {
		log_err("%s: the request's CN is not a valid terminal id", argv[3]);
		goto out;
	}
	exts = X509_REQ_get_extensions(req);
	if (!exts || !request_journal_uri(exts, uri, sizeof(uri))) {
		log_err("%s: the request carries no journal key (make it with "
		        "ssa-admin terminal enroll)",
		        argv[3]);
		goto out;
	}
	snprintf(san, sizeof(san), "URI:%s", uri);
	if (!load_ca(argv[2], &ca_key, &ca))
		goto out;
	if (!(x = new_cert(pub, ca, cn, days)) ||
	    !add_ext(ca, x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(ca, x, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(ca, x, NID_ext_key_usage, "clientAuth") ||
	    !add_ext(ca, x, NID_subject_alt_name, san) || !X509_sign(x, ca_key, EVP_sha256())) {
		ossl_fail("issuing the certificate");
		goto out;
	}
	if (!write_cert(argv[4], x))
		goto out;
	printf("terminal %s: certificate %s, journal key %s\n", cn, argv[4],
	       uri + strlen(JOURNAL_URI_PREFIX));
	ok = 1;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return ok ? 0 : 1;
}

int
admin_cmd_ca(struct admin_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return ca_init(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "server") == 0)
		return ca_server(argc, argv);
	fprintf(stderr, "usage: ssa-admin ca init DIR [DAYS]\n"
			"       ssa-admin ca server DIR HOSTNAME KEY CERT [DAYS]\n");
	return 2;
}

int
admin_cmd_terminal(struct admin_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	if (argc >= 2 && strcmp(argv[1], "enroll") == 0)
		return terminal_enroll(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return terminal_sign(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "journal-uri") == 0)
		return journal_uri(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "demo-sales") == 0)
		return demo_sales(argc, argv);
	fprintf(stderr, "usage: ssa-admin terminal enroll ID JOURNAL_KEYFILE KEY CSR\n"
			"       ssa-admin terminal sign DIR CSR CERT [DAYS]\n"
			"       ssa-admin terminal journal-uri KEYFILE\n"
			"       ssa-admin terminal demo-sales JOURNAL KEYFILE TERMINAL COUNT "
			"[START_MS [FIRST]]\n");
	return 2;
}
