/* client_http.c — HTTPS to the caisse with libcurl (OpenSSL): the terminal's certificate, the
 * caisse CA pinned (no system trust store), the TLS policy (below), an optional HTTP proxy
 * (always a CONNECT tunnel: TLS stays end to end between the terminal and the caisse), bounded
 * replies, progress lines on long transfers (at most one a second). */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssa/log.h"
#include "client.h"

/* The TLS policy, the same as ssa-caissed's (sync/server/main.c): TLS 1.2 at least, 1.3
 * preferred (OpenSSL offers the highest version both sides have); under TLS 1.2, only ECDHE key
 * exchange (forward secrecy) with AEAD ciphers.  TLS 1.3's own suites are all AEAD: OpenSSL's
 * default list is kept. */
#define SYNCD_TLS12_CIPHERS                                                                     \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                            \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                            \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"

struct syncd_http {
	CURL *curl;
	char *url, *ca, *cert, *key, *proxy;
	char *proxy_shown; /* the proxy for the log: its user and password (if any) hidden */
	long connect_timeout, timeout;
	unsigned long replies; /* HTTP replies received, whatever their status */
	char errbuf[CURL_ERROR_SIZE];
};

struct sink {
	char *buf;
	size_t len, cap;
	int too_big;
};

struct progress {
	int64_t start_ms, last_ms; /* CLOCK_MONOTONIC */
	unsigned lines;
	const char *path;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *
dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* @p proxy as it may be logged: the user and password of "http://user:secret@host:3128" become
 * three stars. */
static char *
proxy_for_log(const char *proxy)
{
	const char *start = strstr(proxy, "://"), *at;
	size_t pre;
	char *out;

	start = start ? start + 3 : proxy;
	at = strchr(start, '@');
	if (!at)
		return strdup(proxy);
	pre = (size_t)(start - proxy);
	out = malloc(pre + 4 + strlen(at) + 1);
	if (out)
		sprintf(out, "%.*s***%s", (int)pre, proxy, at);
	return out;
}

void
syncd_http_free(struct syncd_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->url);
	free(h->ca);
	free(h->cert);
	free(h->key);
	free(h->proxy);
	free(h->proxy_shown);
	free(h);
}

enum ssa_err
syncd_http_new(const struct syncd_http_config *cfg, struct syncd_http **out)
{
	struct syncd_http *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return SSA_ERR_NOMEM;
	h->url = dup_or_null(cfg->url);
	h->ca = dup_or_null(cfg->ca);
	h->cert = dup_or_null(cfg->cert);
	h->key = dup_or_null(cfg->key);
	h->proxy = dup_or_null(cfg->proxy);
	h->proxy_shown = h->proxy ? proxy_for_log(h->proxy) : NULL;
	h->connect_timeout = cfg->connect_timeout;
	h->timeout = cfg->timeout;
	if (!h->url || !h->ca || !h->cert || !h->key || (cfg->proxy && *cfg->proxy && (!h->proxy || !h->proxy_shown))) {
		syncd_http_free(h);
		return SSA_ERR_NOMEM;
	}
	h->curl = curl_easy_init();
	if (!h->curl) {
		syncd_http_free(h);
		return SSA_ERR_NET;
	}
	*out = h;
	return SSA_ERR_OK;
}

unsigned long
syncd_http_replies(const struct syncd_http *h)
{
	return h->replies;
}

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (n > PROTOCOL_REPLY_MAX_BYTES - s->len) {
		s->too_big = 1;
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *b;

		while (cap < s->len + n + 1)
			cap *= 2;
		b = realloc(s->buf, cap);
		if (!b)
			return 0;
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, ptr, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

/* A long transfer says how far it is, at most once per second: the first line after one
 * second, then one whenever a second more has passed (libcurl calls this often). */
static int
on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
	    curl_off_t ulnow)
{
	struct progress *p = clientp;
	int64_t now = mono_ms();

	if (now - p->last_ms < 1000)
		return 0;
	p->last_ms = now;
	p->lines++;
	log_info("%s: sent %lld of %lld bytes, received %lld of %lld (%lld s)", p->path,
		 (long long)ulnow, (long long)ultotal, (long long)dlnow, (long long)dltotal,
		 (long long)((now - p->start_ms) / 1000));
	return 0;
}

static enum ssa_err
http_request(struct syncd_http *h, const char *method, const char *path, const char *accept,
	     const char *body, size_t len, long *status, char **resp, size_t *resp_len);

enum ssa_err
syncd_http_request(struct syncd_http *h, const char *method, const char *path, const char *body,
		   size_t len, long *status, char **resp, size_t *resp_len)
{
	return http_request(h, method, path, "Accept: application/json", body, len, status, resp,
			    resp_len);
}

enum ssa_err
syncd_http_get_text(struct syncd_http *h, const char *path, long *status, char **resp,
		    size_t *resp_len)
{
	return http_request(h, "GET", path, "Accept: text/plain", NULL, 0, status, resp, resp_len);
}

static enum ssa_err
http_request(struct syncd_http *h, const char *method, const char *path, const char *accept,
	     const char *body, size_t len, long *status, char **resp, size_t *resp_len)
{
	struct curl_slist *headers = NULL;
	struct sink sink = { 0 };
	struct progress prog = { mono_ms(), 0, 0, path };
	size_t ulen = strlen(h->url) + strlen(path) + 1;
	char *url = malloc(ulen);
	enum ssa_err err = SSA_ERR_NET;
	CURLcode rc;
	CURL *c = h->curl;

	*status = 0;
	*resp = NULL;
	*resp_len = 0;
	if (!url)
		return SSA_ERR_NOMEM;
	snprintf(url, ulen, "%s%s", h->url, path);
	curl_easy_reset(c);
	h->errbuf[0] = '\0';
	if (body)
		headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, accept);
	headers = curl_slist_append(headers, "Expect:");
	if (!headers) {
		free(url);
		return SSA_ERR_NOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* the caisse CA is the only trust anchor: no system store */
	curl_easy_setopt(c, CURLOPT_CAINFO, h->ca);
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_SSLCERT, h->cert);
	curl_easy_setopt(c, CURLOPT_SSLKEY, h->key);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, SYNCD_TLS12_CIPHERS);
	/* Only the configured proxy: none from the environment (http_proxy, https_proxy) and no
	 * host exempted by NO_PROXY.  Through it, always a CONNECT tunnel: the proxy carries the
	 * TLS bytes and never sees a request, and the caisse's certificate is checked as without
	 * a proxy. */
	curl_easy_setopt(c, CURLOPT_PROXY, h->proxy ? h->proxy : "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "");
	if (h->proxy)
		curl_easy_setopt(c, CURLOPT_HTTPPROXYTUNNEL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->connect_timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &prog);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	prog.last_ms = prog.start_ms;
	rc = curl_easy_perform(c);
	if (prog.lines)
		log_info("%s: done in %lld s", path, (long long)((mono_ms() - prog.start_ms) / 1000));
	if (rc != CURLE_OK) {
		const char *why = h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);
		long connect_code = 0;

		if (h->proxy)
			curl_easy_getinfo(c, CURLINFO_HTTP_CONNECTCODE, &connect_code);
		if (sink.too_big)
			log_warn("%s: reply over %d bytes refused", path, PROTOCOL_REPLY_MAX_BYTES);
		else if (connect_code && connect_code / 100 != 2)
			log_warn("%s: the proxy %s refused the tunnel to the caisse: it answered "
				 "CONNECT with HTTP %ld",
				 path, h->proxy_shown, connect_code);
		else if (rc == CURLE_PEER_FAILED_VERIFICATION)
			log_warn("%s: the server is not the caisse: its certificate is refused (%s); "
				 "it must be issued by the caisse CA %s and name the host of %s",
				 path, why, h->ca, h->url);
		else if (h->proxy)
			log_warn("%s: %s (%s; through the proxy %s)", path, why,
				 curl_easy_strerror(rc), h->proxy_shown);
		else
			log_warn("%s: %s (%s)", path, why, curl_easy_strerror(rc));
		switch (rc) {
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_ISSUER_ERROR:
			err = SSA_ERR_TLS;
			break;
		case CURLE_OUT_OF_MEMORY:
			err = SSA_ERR_NOMEM;
			break;
		default:
			err = sink.too_big ? SSA_ERR_PROTOCOL : SSA_ERR_NET;
		}
		free(sink.buf);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	h->replies++;
	*resp = sink.buf ? sink.buf : strdup("");
	*resp_len = sink.len;
	err = *resp ? SSA_ERR_OK : SSA_ERR_NOMEM;
out:
	curl_slist_free_all(headers);
	free(url);
	return err;
}
