/* peer_gnutls.c — who is on the other end: the client certificate, verified with GnuTLS.
 *
 * libmicrohttpd does TLS with GnuTLS.  MHD_OPTION_HTTPS_MEM_TRUST makes it *request* a client
 * certificate and load the caisse CA as the trust list, but the handshake goes on without one, so
 * every request checks here: a certificate is present, verifies against that CA (chain, validity
 * dates), and its CN is a valid terminal id.  The journal key extension, when present, is read
 * too: a subjectAltName URI (docs/protocol.md).
 */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "ssa/log.h"
#include "ssa/hex.h"
#include "server.h"

/* The journal key is a subjectAltName URI "urn:x-ssa:journal-key:ed25519:<64 lowercase hex>".
 * 1 found, 0 none, -1 malformed. */
static int
read_journal_key(gnutls_x509_crt_t crt, uint8_t pub[CAISSE_PUB_LEN])
{
	const size_t plen = strlen(CAISSE_JOURNAL_KEY_URI);

	for (unsigned i = 0;; i++) {
		char buf[256];
		size_t size = sizeof(buf) - 1;
		unsigned int critical = 0;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size, &critical);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return 0;
		if (type < 0)
			return type == GNUTLS_E_SHORT_MEMORY_BUFFER ? 0 : -1;
		buf[size] = '\0';
		if (type != GNUTLS_SAN_URI || strncmp(buf, CAISSE_JOURNAL_KEY_URI, plen) != 0)
			continue;
		if (size != plen + 2 * CAISSE_PUB_LEN)
			return -1;
		return hex_decode(buf + plen, CAISSE_PUB_LEN, pub, HEX_LOWER) ? 1 : -1;
	}
}

enum caisse_step
caisse_peer_identify(struct caisse_request *rq)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t session;
	const gnutls_datum_t *certs;
	unsigned int n = 0, status = 0;
	gnutls_x509_crt_t crt = NULL;
	char cn[PROTOCOL_ID_MAX + 2];
	size_t cn_size = sizeof(cn);
	const char *why;
	int rc, k;
	enum caisse_step step = CAISSE_REPLIED;

	rq->has_key = 0;
	ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session) {
		why = "the connection is not TLS";
		goto refuse;
	}
	session = (gnutls_session_t)ci->tls_session;
	certs = gnutls_certificate_get_peers(session, &n);
	if (!certs || n == 0) {
		why = "no client certificate was presented";
		goto refuse;
	}
	rc = gnutls_certificate_verify_peers2(session, &status);
	if (rc < 0) {
		log_warn("client certificate: %s", gnutls_strerror(rc));
		why = "the client certificate could not be verified";
		goto refuse;
	}
	if (status != 0) {
		gnutls_datum_t out = { 0 };

		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out,
								 0) == 0) {
			log_warn("client certificate refused: %s", out.data);
			gnutls_free(out.data);
		}
		why = (status & GNUTLS_CERT_EXPIRED)   ? "the client certificate has expired"
		      : (status & GNUTLS_CERT_NOT_ACTIVATED) ? "the client certificate is not yet valid"
							     : "the client certificate is not "
							       "issued by this caisse's CA";
		goto refuse;
	}
	if (gnutls_x509_crt_init(&crt) < 0) {
		step = CAISSE_CLOSE;
		goto out;
	}
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0) {
		why = "the client certificate cannot be read";
		goto refuse;
	}
	rc = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cn_size);
	if (rc < 0 || cn_size != strlen(cn) || !protocol_id_valid(cn)) {
		why = "the client certificate's CN is not a valid terminal id";
		goto refuse;
	}
	k = read_journal_key(crt, rq->pub);
	if (k < 0) {
		why = "the client certificate's journal key is malformed";
		goto refuse;
	}
	rq->has_key = k;
	memcpy(rq->terminal, cn, cn_size + 1);
	step = CAISSE_PARSED;
	goto out;
refuse:
	if (caisse_reply_error(rq, 403, "CLIENT_CERT", 0, "%s", why) != MHD_YES)
		step = CAISSE_CLOSE;
out:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return step;
}
