/* http.c — ssa-caissed's HTTP layer: routes, body limits, replies, the client's identity.
 *
 * libmicrohttpd calls caisse_http_handler several times per request: first with the headers
 * (we authenticate, route and check the announced length), then with pieces of the body (we
 * collect them up to the route's limit), then once with no data (we call the handler).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssa/log.h"
#include "server.h"

struct route {
	const char *method;
	const char *path;
	size_t max_body;
	enum MHD_Result (*handler)(struct caisse_request *rq);
};

static const struct route routes[] = {
	{ "GET", PROTOCOL_PREFIX "/status", 0, caisse_h_status },
	{ "POST", PROTOCOL_PREFIX "/journal", PROTOCOL_PUSH_MAX_BYTES, caisse_h_journal },
	{ "GET", PROTOCOL_PREFIX "/settlement", 0, caisse_h_settlement },
	{ "GET", PROTOCOL_PREFIX "/hotlist", 0, caisse_h_hotlist },
	{ "GET", PROTOCOL_PREFIX "/list", 0, caisse_h_list },
	{ "GET", PROTOCOL_PREFIX "/grants", 0, caisse_h_grants },
};

/* The state of one request between the calls of MHD. */
struct http_ctx {
	struct caisse_request rq;
	const struct route *route;
	int replied; /* a reply is queued already: ignore the rest */
	char *buf;
	size_t len, cap;
};

int64_t
caisse_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum MHD_Result
caisse_reply_json(struct caisse_request *rq, unsigned status, const char *body, size_t len)
{
	return caisse_reply(rq, status, "application/json", body, len);
}

enum MHD_Result
caisse_reply(struct caisse_request *rq, unsigned status, const char *ctype, const char *body,
	     size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) !=
	    MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(rq->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result
caisse_reply_error(struct caisse_request *rq, unsigned status, const char *name, uint64_t seq,
		   const char *fmt, ...)
{
	char msg[PROTOCOL_MESSAGE_MAX + 1];
	char *body = NULL;
	size_t len;
	va_list ap;
	enum MHD_Result ret;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_info("%s: %u %s: %s", rq->terminal[0] ? rq->terminal : "-", status, name, msg);
	if (protocol_error_encode(name, msg, seq, &body, &len) != SSA_ERR_OK)
		return MHD_NO;
	ret = caisse_reply_json(rq, status, body, len);
	free(body);
	return ret;
}

/* Route, authenticate and check the announced length: the first call of a request. */
static enum MHD_Result
begin(struct http_ctx *c, const char *url, const char *method)
{
	const char *cl;
	size_t i;
	int path_known = 0;

	switch (caisse_peer_identify(&c->rq)) {
	case CAISSE_PARSED:
		break;
	case CAISSE_REPLIED:
		c->replied = 1;
		return MHD_YES;
	case CAISSE_CLOSE:
		return MHD_NO;
	}
	c->replied = 1;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(url, routes[i].path) != 0)
			continue;
		path_known = 1;
		if (strcmp(method, routes[i].method) == 0)
			break;
	}
	if (i == sizeof(routes) / sizeof(routes[0])) {
		if (path_known)
			return caisse_reply_error(&c->rq, 405, "METHOD",
						  0, "%s is not allowed on %.100s", method, url);
		return caisse_reply_error(&c->rq, 404, "NOT_FOUND", 0, "no such path: %.100s", url);
	}
	c->route = &routes[i];
	cl = MHD_lookup_connection_value(c->rq.conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		char *end;
		unsigned long long n = strtoull(cl, &end, 10);

		if (*end || n > c->route->max_body)
			return caisse_reply_error(&c->rq, 413, "TOO_LARGE", 0,
						  "the body of %s %s is limited to %zu bytes",
						  method, url, c->route->max_body);
		if (n) {
			c->buf = malloc((size_t)n + 1);
			if (!c->buf)
				return MHD_NO;
			c->cap = (size_t)n + 1;
		}
	}
	c->replied = 0;
	return MHD_YES;
}

/* Append a piece of the body; MHD_NO (close) past the route's limit. */
static enum MHD_Result
collect(struct http_ctx *c, const char *data, size_t n)
{
	if (n > c->route->max_body - c->len) {
		log_info("%s: body over %zu bytes without Content-Length; closing",
			   c->rq.terminal, c->route->max_body);
		return MHD_NO;
	}
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *b;

		while (cap < c->len + n + 1)
			cap *= 2;
		b = realloc(c->buf, cap);
		if (!b)
			return MHD_NO;
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	return MHD_YES;
}

enum MHD_Result
caisse_http_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
		    const char *version, const char *upload_data, size_t *upload_data_size,
		    void **con_cls)
{
	struct http_ctx *c = *con_cls;

	(void)version;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		c->rq.srv = cls;
		c->rq.conn = conn;
		*con_cls = c;
		return begin(c, url, method);
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (c->replied)
			return MHD_YES;
		return collect(c, upload_data, n);
	}
	if (c->replied)
		return MHD_YES;
	c->replied = 1;
	if (c->buf)
		c->buf[c->len] = '\0';
	if (!(c->rq.store = caisse_thread_store(c->rq.srv)))
		return caisse_reply_error(&c->rq, 500, "DB", 0,
					  "the caisse's database cannot be opened");
	c->rq.body = c->buf ? c->buf : "";
	c->rq.body_len = c->len;
	return c->route->handler(&c->rq);
}

void
caisse_http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct http_ctx *c = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!c)
		return;
	free(c->buf);
	free(c);
	*con_cls = NULL;
}

enum caisse_step
caisse_query_uint(struct caisse_request *rq, const char *name, uint64_t max, uint64_t *out)
{
	const char *p = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
	uint64_t v = 0;
	size_t i = 0;

	*out = 0;
	if (p == NULL)
		return CAISSE_PARSED;
	/* digits only (no sign, no blank), at most 19 of them: no overflow before the check */
	for (; p[i] >= '0' && p[i] <= '9' && i < 19; i++)
		v = v * 10 + (uint64_t)(p[i] - '0');
	if (i == 0 || p[i] != '\0' || v > max) {
		if (caisse_reply_error(rq, 400, "PROTOCOL", 0,
				       "?%s= takes a number from 0 to %llu", name,
				       (unsigned long long)max) != MHD_YES)
			return CAISSE_CLOSE;
		return CAISSE_REPLIED;
	}
	*out = v;
	return CAISSE_PARSED;
}
