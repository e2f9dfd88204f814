/* ssa-faultproxy — a fault-injecting TCP proxy for the sync tests (tests/it/sync_proxy.sh).
 *
 * Listens on 127.0.0.1:PORT and forwards each connection to 127.0.0.1:UPSTREAM.  A seeded PRNG
 * decides, per accepted connection (by its index, so a seed gives the same plan whatever the
 * timing), whether it gets one fault and which:
 *
 *   drop    close both sides (FIN) after N bytes in one direction
 *   reset   the same with SO_LINGER 0: both peers get an RST
 *   delay   wait D/2..D ms before forwarding each of the first chunks in one direction
 *   dup     copy the client's bytes onto a second upstream connection as they come, and
 *           discard its replies: the server sees every request of the connection twice
 *
 * Faults are bounded: at most one per connection, at most --max-faults in all, so that a client
 * retrying in a bounded loop always gets through in the end.
 *
 * TLS: a byte-level copy of a TLS connection is refused by TLS itself (another handshake, other
 * keys), so to let the server really see a request twice the proxy can terminate TLS: with
 * --cert/--key/--ca it is a TLS server for the clients (it requires a client certificate from
 * --ca), and upstream it is a TLS client presenting the client's own certificate, which it
 * must hold (--client CERT,KEY, repeated).  Bytes are then counted in plaintext.
 *
 * HTTP CONNECT proxy (--connect): each client first sends an HTTP request head; the proxy logs
 * its request line ("conn N: CONNECT localhost:8443 HTTP/1.1"), answers 200 and tunnels the
 * connection for a CONNECT to localhost, 127.0.0.1 or --upstream-name (a name the proxy
 * resolves for its clients, as a real proxy does) on the upstream port (-u), and answers
 * 403 to any other target, 405 to any other method, and 403 to everything with --refuse.  The
 * tunnel carries the client's own TLS end to end (the proxy never sees plaintext); faults, if
 * any are drawn (-r), apply to the tunnelled bytes.
 *
 * One line per connection and per fault on stderr.  SIGTERM / SIGINT stop it: the connections
 * under way are closed (within about half a second, or the 10 s bound of a blocking handshake)
 * and every connection thread is joined before it exits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROXY_MAX_CLIENTS 32
#define PROXY_MAX_CONNS 64
#define PROXY_CHUNK 16384
#define PROXY_DUP_MAX (72u * 1024 * 1024) /* client bytes kept for the copy */
#define PROXY_IDLE_MS 60000               /* a connection idle this long is closed */
#define PROXY_DELAY_CHUNKS 20             /* chunks delayed per connection at most */
#define PROXY_DUP_DRAIN_MS 3000           /* after the client left, wait for the copy's replies */
#define PROXY_HEAD_MAX 8192               /* --connect: bytes of a request head at most */

enum fault { FAULT_NONE, FAULT_DROP, FAULT_RESET, FAULT_DELAY, FAULT_DUP, FAULT__COUNT };
static const char *const fault_names[FAULT__COUNT] = { "none", "drop", "reset", "delay", "dup" };

struct identity {
	X509 *cert;
	SSL_CTX *ctx; /* TLS client context presenting this identity upstream */
};

struct options {
	unsigned listen_port, upstream_port;
	const char *port_file;
	uint64_t seed;
	unsigned rate;       /* per mille of connections that get a fault */
	unsigned max_faults; /* in all */
	unsigned kinds;      /* bit mask of enabled faults */
	uint64_t max_bytes;  /* drop/reset after 0..max_bytes bytes */
	unsigned delay_ms;   /* delay delay_ms/2..delay_ms per chunk */
	int dir;             /* -1: drawn; 0 client->server, 1 server->client only */
	const char *cert, *key, *ca, *upstream_name;
	int connect;       /* --connect: an HTTP CONNECT proxy */
	int refuse;        /* --refuse: answer 403 to every CONNECT */
	size_t nclients;
	const char *client[PROXY_MAX_CLIENTS];
};

static struct options opt = {
	.rate = 500, .max_faults = 10, .kinds = 0x1e, .max_bytes = 4096, .delay_ms = 200,
	.upstream_name = "localhost", .dir = -1,
};
static SSL_CTX *server_ctx;
static struct identity ids[PROXY_MAX_CLIENTS];
static size_t nids;
static atomic_int stopping; /* lock-free: set by the signal handler, read by every thread */

/* A connection thread, joinable: the main thread joins it once it says it is done, and joins
 * them all before exiting (a detached thread still running at exit made LeakSanitizer spin). */
struct slot {
	pthread_t th;
	int used;        /* main thread only */
	atomic_int done; /* set by the thread as its last step */
};
static struct slot slots[PROXY_MAX_CONNS];

static int parse_uint(const char *s, uint64_t max, uint64_t *out);

static void
say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = snprintf(line, sizeof(line), "ssa-faultproxy: ");

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* one write per line: lines of several threads do not mix */
	if (write(2, line, (size_t)n) < 0)
		return;
}

/* splitmix64: small, seedable, good enough to pick faults */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- one side of a connection: a socket, with or without TLS ------------------------------ */

struct end {
	int fd;
	SSL *ssl;
	short want; /* poll events this side waits for */
};

enum { IO_AGAIN = 0, IO_EOF = -1, IO_ERR = -2 };

static ssize_t
end_read(struct end *e, char *buf, size_t n)
{
	ssize_t r;

	if (e->ssl) {
		int k = SSL_read(e->ssl, buf, (int)n);

		if (k > 0)
			return k;
		switch (SSL_get_error(e->ssl, k)) {
		case SSL_ERROR_WANT_READ:
			e->want |= POLLIN;
			return IO_AGAIN;
		case SSL_ERROR_WANT_WRITE:
			e->want |= POLLOUT;
			return IO_AGAIN;
		case SSL_ERROR_ZERO_RETURN:
			return IO_EOF;
		default:
			ERR_clear_error();
			return IO_ERR;
		}
	}
	r = read(e->fd, buf, n);
	if (r > 0)
		return r;
	if (r == 0)
		return IO_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		e->want |= POLLIN;
		return IO_AGAIN;
	}
	return IO_ERR;
}

static ssize_t
end_write(struct end *e, const char *buf, size_t n)
{
	ssize_t r;

	if (e->ssl) {
		int k = SSL_write(e->ssl, buf, (int)n);

		if (k > 0)
			return k;
		switch (SSL_get_error(e->ssl, k)) {
		case SSL_ERROR_WANT_READ:
			e->want |= POLLIN;
			return IO_AGAIN;
		case SSL_ERROR_WANT_WRITE:
			e->want |= POLLOUT;
			return IO_AGAIN;
		default:
			ERR_clear_error();
			return IO_ERR;
		}
	}
	r = send(e->fd, buf, n, MSG_NOSIGNAL);
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		e->want |= POLLOUT;
		return IO_AGAIN;
	}
	return IO_ERR;
}

/* No more bytes from us on @p e (FIN, or TLS close_notify then FIN). */
static void
end_shutdown_write(struct end *e)
{
	if (e->fd < 0)
		return;
	if (e->ssl) {
		SSL_shutdown(e->ssl);
		ERR_clear_error();
	}
	shutdown(e->fd, SHUT_WR);
}

/* Close; @p reset: SO_LINGER 0, so that the peer gets an RST. */
static void
end_close(struct end *e, int reset)
{
	if (e->fd >= 0) {
		if (reset) {
			struct linger l = { 1, 0 };

			setsockopt(e->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		close(e->fd);
	}
	SSL_free(e->ssl);
	e->fd = -1;
	e->ssl = NULL;
}

static int
set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static int
connect_upstream(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt.upstream_port) };
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* the handshakes are blocking: bounded */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Open the upstream side of @p e: connect, and with TLS shake hands presenting identity @p id. */
static int
end_open_upstream(struct end *e, const struct identity *id)
{
	e->ssl = NULL;
	e->want = 0;
	if ((e->fd = connect_upstream()) < 0)
		return -1;
	if (!id)
		return 0;
	if (!(e->ssl = SSL_new(id->ctx)) || !SSL_set_fd(e->ssl, e->fd) ||
	    !SSL_set1_host(e->ssl, opt.upstream_name) || SSL_connect(e->ssl) != 1) {
		ERR_clear_error();
		end_close(e, 0);
		return -1;
	}
	return 0;
}

/* --- a connection ---------------------------------------------------------------------------- */

struct plan {
	enum fault fault;
	int dir;           /* 0 client->server, 1 server->client */
	uint64_t after;    /* drop/reset: bytes forwarded in dir before the fault */
	unsigned delay_ms; /* delay */
};

struct conn {
	unsigned idx;
	struct plan plan;
	struct end cl, up, dup;
	int cfd;
	struct slot *slot;
};

/* Bytes waiting to be written to one side. */
struct queue {
	char *buf;
	size_t off, len, cap;
};

static int
queue_push(struct queue *q, const char *p, size_t n)
{
	if (q->off == q->len)
		q->off = q->len = 0;
	if (q->len + n > q->cap) {
		size_t cap = q->cap ? q->cap : PROXY_CHUNK;
		char *b;

		if (q->len + n > PROXY_DUP_MAX)
			return -1;
		while (cap < q->len + n)
			cap *= 2;
		if (!(b = realloc(q->buf, cap)))
			return -1;
		q->buf = b;
		q->cap = cap;
	}
	memcpy(q->buf + q->len, p, n);
	q->len += n;
	return 0;
}

/* Count the status lines ("HTTP/1.x NNN") of what the server answered the copy (for the log;
 * the bodies here are JSON, which never holds that string). */
struct replies {
	unsigned total, ok;
	char tail[9];
	size_t tail_len;
};

static void
replies_scan(struct replies *r, const char *p, size_t n)
{
	char win[PROXY_CHUNK + 16];
	size_t len = r->tail_len + n, i;

	memcpy(win, r->tail, r->tail_len);
	memcpy(win + r->tail_len, p, n);
	for (i = 0; i + 10 <= len; i++) {
		if (memcmp(win + i, "HTTP/1.", 7) == 0 && win[i + 8] == ' ') {
			r->total++;
			if (win[i + 9] == '2')
				r->ok++;
		}
	}
	/* keep what a status line could still start in: the last 9 bytes, not scanned yet */
	r->tail_len = len < 9 ? len : 9;
	memmove(r->tail, win + len - r->tail_len, r->tail_len);
}

static void
conn_pump(struct conn *c)
{
	char buf[2][PROXY_CHUNK], dbuf[PROXY_CHUNK];
	size_t off[2] = { 0, 0 }, len[2] = { 0, 0 };
	uint64_t fwd[2] = { 0, 0 };
	int eof[2] = { 0, 0 }, done[2] = { 0, 0 }, delays = 0, dup_on = c->dup.fd >= 0;
	struct queue dq = { 0 };
	uint64_t copied = 0;
	struct replies rep = { 0 };
	struct end *src[2] = { &c->cl, &c->up }, *dst[2] = { &c->up, &c->cl };
	const struct plan *pl = &c->plan;
	int64_t last = mono_ms(), client_gone = 0;
	const char *why = "closed";
	int cut = 0;

	for (;;) {
		struct pollfd pfd[3];
		int progress = 1, n = 0, r;

		while (progress) {
			progress = 0;
			for (int d = 0; d < 2; d++) {
				if (done[d])
					continue;
				if (len[d] == 0 && !eof[d]) {
					size_t room = sizeof(buf[d]);
					ssize_t k;

					if ((pl->fault == FAULT_DROP || pl->fault == FAULT_RESET) &&
					    pl->dir == d) {
						if (fwd[d] >= pl->after) {
							cut = 1;
							goto out;
						}
						if (pl->after - fwd[d] < room)
							room = (size_t)(pl->after - fwd[d]);
					}
					k = end_read(src[d], buf[d], room);
					if (k > 0) {
						off[d] = 0;
						len[d] = (size_t)k;
						progress = 1;
						if (d == 0 && dup_on &&
						    queue_push(&dq, buf[d], (size_t)k) < 0) {
							say("conn %u: the copy is over its limit, dropped",
							    c->idx);
							end_close(&c->dup, 0);
							dup_on = 0;
						}
						if (pl->fault == FAULT_DELAY && pl->dir == d &&
						    delays < PROXY_DELAY_CHUNKS &&
						    !atomic_load(&stopping)) {
							delays++;
							sleep_ms(pl->delay_ms);
						}
					} else if (k == IO_EOF || k == IO_ERR) {
						eof[d] = 1;
						progress = 1;
						if (k == IO_ERR)
							why = d ? "server side error" : "client side error";
					}
				}
				if (len[d]) {
					ssize_t k = end_write(dst[d], buf[d] + off[d], len[d]);

					if (k > 0) {
						off[d] += (size_t)k;
						len[d] -= (size_t)k;
						fwd[d] += (uint64_t)k;
						progress = 1;
					} else if (k == IO_EOF || k == IO_ERR) {
						/* the other side is gone: nothing more this way */
						len[d] = 0;
						eof[d] = done[d] = 1;
						progress = 1;
					}
				}
				if (eof[d] && !len[d] && !done[d]) {
					done[d] = 1;
					end_shutdown_write(dst[d]);
					progress = 1;
				}
			}
			if (dup_on) {
				if (dq.len > dq.off) {
					ssize_t k = end_write(&c->dup, dq.buf + dq.off, dq.len - dq.off);

					if (k > 0) {
						dq.off += (size_t)k;
						copied += (uint64_t)k;
						progress = 1;
					} else if (k < 0) {
						dup_on = 0;
					}
				}
				if (dup_on) {
					ssize_t k = end_read(&c->dup, dbuf, sizeof(dbuf));

					if (k > 0) {
						replies_scan(&rep, dbuf, (size_t)k);
						progress = 1;
					} else if (k < 0) {
						dup_on = 0;
					}
				}
			}
		}
		if (done[0] && done[1]) {
			if (!dup_on)
				break;
			if (!client_gone)
				client_gone = mono_ms();
			if (mono_ms() - client_gone > PROXY_DUP_DRAIN_MS)
				break;
		}
		if (mono_ms() - last > PROXY_IDLE_MS) {
			why = "idle";
			break;
		}
		if (atomic_load(&stopping)) {
			why = "stopping";
			break;
		}
		for (int d = 0; d < 2; d++) {
			struct end *e = src[d];

			if (e->want && e->fd >= 0) {
				pfd[n].fd = e->fd;
				pfd[n].events = e->want;
				n++;
			}
			e->want = 0;
		}
		if (dup_on && c->dup.want) {
			pfd[n].fd = c->dup.fd;
			pfd[n].events = c->dup.want;
			n++;
		}
		c->dup.want = 0;
		r = poll(pfd, (nfds_t)n, 500);
		if (r > 0)
			last = mono_ms();
		if (r < 0 && errno != EINTR)
			break;
	}
out:
	if (cut)
		say("conn %u: %s after %llu bytes %s", c->idx, fault_names[pl->fault],
		    (unsigned long long)fwd[pl->dir], pl->dir ? "server->client" : "client->server");
	else
		say("conn %u: %s, %llu bytes client->server, %llu server->client", c->idx, why,
		    (unsigned long long)fwd[0], (unsigned long long)fwd[1]);
	if (c->dup.fd >= 0 || rep.total)
		say("conn %u: dup: %llu bytes copied, %u replies to the copy, %u of them 2xx",
		    c->idx, (unsigned long long)copied, rep.total, rep.ok);
	end_close(&c->cl, cut && pl->fault == FAULT_RESET);
	end_close(&c->up, cut && pl->fault == FAULT_RESET);
	end_close(&c->dup, 0);
	free(dq.buf);
}

static const struct identity *
identity_of(SSL *ssl)
{
	X509 *peer = SSL_get1_peer_certificate(ssl);
	const struct identity *id = NULL;

	if (!peer)
		return NULL;
	for (size_t i = 0; i < nids && !id; i++)
		if (X509_cmp(peer, ids[i].cert) == 0)
			id = &ids[i];
	X509_free(peer);
	return id;
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR && !atomic_load(&stopping))
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Is @p target ("host:port") the upstream: localhost, 127.0.0.1 or --upstream-name on the -u
 * port?  (The proxy resolves the name itself: the client needs not know it.) */
static int
target_allowed(const char *target)
{
	const char *colon = strrchr(target, ':');
	size_t hlen;
	uint64_t port;

	if (!colon || parse_uint(colon + 1, 65535, &port) || port != opt.upstream_port)
		return 0;
	hlen = (size_t)(colon - target);
	return (hlen == 9 && memcmp(target, "localhost", 9) == 0) ||
	       (hlen == 9 && memcmp(target, "127.0.0.1", 9) == 0) ||
	       (hlen == strlen(opt.upstream_name) && memcmp(target, opt.upstream_name, hlen) == 0);
}

/* --connect: read the client's request head (at most PROXY_HEAD_MAX bytes, each read bounded
 * by the socket's 10 s timeout), log its request line and answer it.  Returns 0 when the tunnel
 * is open (200 sent), -1 when the connection is to be closed.  The head is read a byte at a
 * time: a client waits for the 200 before its first TLS byte, and none of its bytes may be
 * read past the head. */
static int
connect_handshake(struct conn *c)
{
	static const char *const reason[] = { [0] = "Connection established",
					      [1] = "Forbidden", [2] = "Method Not Allowed",
					      [3] = "Bad Request" };
	char head[PROXY_HEAD_MAX + 1], method[16], target[256], reply[256];
	size_t n = 0, line;
	int code = 400, r = 3, len;

	while (n < PROXY_HEAD_MAX) {
		ssize_t k = read(c->cfd, head + n, 1);

		if (k < 0 && errno == EINTR && !atomic_load(&stopping))
			continue;
		if (k <= 0) {
			say("conn %u: the client sent no complete request head (%zu bytes)", c->idx,
			    n);
			return -1;
		}
		n++;
		if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	head[n] = '\0';
	line = strcspn(head, "\r\n");
	say("conn %u: %.*s", c->idx, (int)(line < 300 ? line : 300), head);
	if (n == PROXY_HEAD_MAX || sscanf(head, "%15s %255s HTTP/1.%*1[01]", method, target) != 2)
		; /* 400 */
	else if (strcmp(method, "CONNECT") != 0)
		code = 405, r = 2;
	else if (opt.refuse || !target_allowed(target))
		code = 403, r = 1;
	else
		code = 200, r = 0;
	len = snprintf(reply, sizeof(reply),
		       "HTTP/1.1 %d %s\r\n%s\r\n", code, reason[r],
		       code == 200 ? "" : "Content-Length: 0\r\nConnection: close\r\n");
	if (send_all(c->cfd, reply, (size_t)len) < 0) {
		say("conn %u: cannot answer the client: %s", c->idx, strerror(errno));
		return -1;
	}
	say("conn %u: answered %d %s", c->idx, code, reason[r]);
	return code == 200 ? 0 : -1;
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	const struct identity *id = NULL;

	c->cl = (struct end){ c->cfd, NULL, 0 };
	c->up = (struct end){ -1, NULL, 0 };
	c->dup = (struct end){ -1, NULL, 0 };
	if (opt.connect && connect_handshake(c) < 0)
		goto out;
	if (server_ctx) {
		if (!(c->cl.ssl = SSL_new(server_ctx)) || !SSL_set_fd(c->cl.ssl, c->cfd) ||
		    SSL_accept(c->cl.ssl) != 1) {
			char e[160];

			ERR_error_string_n(ERR_peek_last_error(), e, sizeof(e));
			say("conn %u: TLS handshake with the client failed: %s", c->idx,
			    ERR_peek_last_error() ? e : strerror(errno));
			ERR_clear_error();
			goto out;
		}
		if (!(id = identity_of(c->cl.ssl))) {
			say("conn %u: the client's certificate is not one given with --client",
			    c->idx);
			goto out;
		}
	}
	if (end_open_upstream(&c->up, id) < 0) {
		say("conn %u: cannot reach the server on port %u", c->idx, opt.upstream_port);
		goto out;
	}
	if (c->plan.fault == FAULT_DUP && end_open_upstream(&c->dup, id) < 0)
		say("conn %u: dup: cannot open the second connection", c->idx);
	if (set_nonblock(c->cl.fd, 1) || set_nonblock(c->up.fd, 1) ||
	    (c->dup.fd >= 0 && set_nonblock(c->dup.fd, 1))) {
		say("conn %u: fcntl: %s", c->idx, strerror(errno));
		goto out;
	}
	conn_pump(c);
out:
	end_close(&c->cl, 0);
	end_close(&c->up, 0);
	end_close(&c->dup, 0);
	/* Order matters: the slot is the main thread's to reuse as soon as done is set */
	atomic_store(&c->slot->done, 1);
	free(c);
	return NULL;
}

/* The fault of connection @p idx: a function of the seed and the index only. */
static struct plan
plan_for(unsigned idx, unsigned *faults)
{
	uint64_t s = opt.seed ^ ((uint64_t)idx * 0xd1b54a32d192ed03u);
	struct plan p = { FAULT_NONE, 0, 0, 0 };
	enum fault on[FAULT__COUNT];
	unsigned n = 0;

	for (int f = FAULT_DROP; f < FAULT__COUNT; f++)
		if (opt.kinds & (1u << f))
			on[n++] = (enum fault)f;
	if (!n || *faults >= opt.max_faults || rng_next(&s) % 1000 >= opt.rate)
		return p;
	p.fault = on[rng_next(&s) % n];
	p.dir = (int)(rng_next(&s) % 2);
	if (opt.dir >= 0)
		p.dir = opt.dir;
	p.after = rng_next(&s) % (opt.max_bytes + 1);
	p.delay_ms = opt.delay_ms - opt.delay_ms / 2 +
		     (unsigned)(rng_next(&s) % (opt.delay_ms / 2 + 1));
	(*faults)++;
	return p;
}

/* --- set-up ---------------------------------------------------------------------------------- */

static int
tls_setup(void)
{
	if (!opt.cert && !opt.key && !opt.ca && !opt.nclients)
		return 0;
	if (!opt.cert || !opt.key || !opt.ca || !opt.nclients) {
		say("TLS needs --cert, --key, --ca and at least one --client");
		return -1;
	}
	server_ctx = SSL_CTX_new(TLS_server_method());
	if (!server_ctx || !SSL_CTX_set_min_proto_version(server_ctx, TLS1_2_VERSION) ||
	    SSL_CTX_use_certificate_chain_file(server_ctx, opt.cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(server_ctx, opt.key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(server_ctx, opt.ca, NULL) != 1) {
		say("TLS server set-up (%s, %s, %s) failed", opt.cert, opt.key, opt.ca);
		return -1;
	}
	SSL_CTX_set_verify(server_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	/* a client that resumes its session (curl does on a reconnect) needs it with verification */
	SSL_CTX_set_session_id_context(server_ctx, (const unsigned char *)"ssa-faultproxy", 14);
	SSL_CTX_set_mode(server_ctx,
			 SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	for (size_t i = 0; i < opt.nclients; i++) {
		char cert[512], *key;
		struct identity *id = &ids[nids];
		FILE *f;

		snprintf(cert, sizeof(cert), "%s", opt.client[i]);
		if (!(key = strchr(cert, ','))) {
			say("--client %s: want CERT,KEY", opt.client[i]);
			return -1;
		}
		*key++ = '\0';
		id->ctx = SSL_CTX_new(TLS_client_method());
		if (!id->ctx || !SSL_CTX_set_min_proto_version(id->ctx, TLS1_2_VERSION) ||
		    SSL_CTX_use_certificate_chain_file(id->ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(id->ctx, key, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_load_verify_locations(id->ctx, opt.ca, NULL) != 1 ||
		    !(f = fopen(cert, "r"))) {
			say("--client %s: cannot load it", opt.client[i]);
			SSL_CTX_free(id->ctx);
			return -1;
		}
		SSL_CTX_set_verify(id->ctx, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_mode(id->ctx,
				 SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		id->cert = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
		if (!id->cert) {
			say("--client %s: no certificate in %s", opt.client[i], cert);
			SSL_CTX_free(id->ctx);
			return -1;
		}
		nids++;
	}
	return 0;
}

static void
tls_teardown(void)
{
	for (size_t i = 0; i < nids; i++) {
		X509_free(ids[i].cert);
		SSL_CTX_free(ids[i].ctx);
	}
	SSL_CTX_free(server_ctx);
}

/* Join the connection threads that are done, or with @p all every one (they end once stopping
 * is set).  Returns how many were joined. */
static unsigned
reap(int all)
{
	unsigned n = 0;

	for (size_t i = 0; i < PROXY_MAX_CONNS; i++) {
		if (!slots[i].used || (!all && !atomic_load(&slots[i].done)))
			continue;
		pthread_join(slots[i].th, NULL);
		slots[i].used = 0;
		n++;
	}
	return n;
}

static void
on_signal(int sig)
{
	(void)sig;
	atomic_store(&stopping, 1);
}

static int
write_port_file(const char *path, unsigned port)
{
	char tmp[600];
	FILE *f;

	/* temp then rename: a reader never sees a half-written port */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")))
		return -1;
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

static int
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!*s || *s == '-')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_kinds(const char *s, unsigned *mask)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	*mask = 0;
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int f;

		for (f = FAULT_DROP; f < FAULT__COUNT; f++)
			if (strcmp(w, fault_names[f]) == 0)
				break;
		if (f == FAULT__COUNT)
			return -1;
		*mask |= 1u << f;
	}
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: ssa-faultproxy -l PORT [-P PORTFILE] -u UPSTREAM_PORT [-s SEED] [-r PERMILLE]\n"
		"         [-n MAX_FAULTS] [-k drop,reset,delay,dup] [-b BYTES] [-d MS]\n"
		"         [--dir c2s|s2c] [--cert F --key F --ca F --client CERT,KEY ...]\n"
		"         [--upstream-name NAME] [--connect [--refuse]]\n"
		"  -l PORT        listen on 127.0.0.1:PORT (0: the kernel picks; see -P)\n"
		"  -P FILE        write the port listened on to FILE\n"
		"  -u PORT        forward to 127.0.0.1:PORT\n"
		"  -s SEED        the PRNG seed (default 0)\n"
		"  -r PERMILLE    connections that get a fault, per mille (default 500)\n"
		"  -n MAX         faults in all at most (default 10)\n"
		"  -k KINDS       faults to draw from (default drop,reset,delay,dup)\n"
		"  -b BYTES       drop/reset after 0..BYTES bytes (default 4096)\n"
		"  -d MS          delay MS/2..MS ms per chunk (default 200)\n"
		"  --dir c2s|s2c  faults in that direction only (default: drawn)\n"
		"  --cert/--key   terminate TLS with this certificate for the clients\n"
		"  --ca           the CA of the clients and of the server\n"
		"  --client C,K   an identity to present upstream for the client showing C\n"
		"  --upstream-name NAME  the server's name (TLS: checked upstream; --connect:\n"
		"                 a CONNECT target; default localhost)\n"
		"  --connect      be an HTTP CONNECT proxy: tunnel CONNECT H:UPSTREAM_PORT where H is\n"
		"                 localhost, 127.0.0.1 or --upstream-name; 403 for any other target\n"
		"  --refuse       with --connect: answer 403 to every CONNECT\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cert", required_argument, NULL, 'C' },   { "key", required_argument, NULL, 'K' },
		{ "ca", required_argument, NULL, 'A' },     { "client", required_argument, NULL, 'I' },
		{ "upstream-name", required_argument, NULL, 'N' },
		{ "dir", required_argument, NULL, 'D' },
		{ "connect", no_argument, NULL, 'X' },      { "refuse", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 }
	};
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct sigaction sa = { 0 };
	unsigned idx = 0, faults = 0, n;
	int o, lfd = -1, one = 1, have_l = 0, have_u = 0, status = 1;
	uint64_t v;

	while ((o = getopt_long(argc, argv, "l:P:u:s:r:n:k:b:d:h", longopts, NULL)) != -1) {
		switch (o) {
		case 'l':
		case 'u':
			if (parse_uint(optarg, 65535, &v) || (o == 'u' && v == 0)) {
				fprintf(stderr, "ssa-faultproxy: -%c %s: not a port\n", o, optarg);
				return 2;
			}
			*(o == 'l' ? &opt.listen_port : &opt.upstream_port) = (unsigned)v;
			*(o == 'l' ? &have_l : &have_u) = 1;
			break;
		case 'P':
			opt.port_file = optarg;
			break;
		case 's':
			if (parse_uint(optarg, UINT64_MAX, &opt.seed))
				goto bad;
			break;
		case 'r':
			if (parse_uint(optarg, 1000, &v))
				goto bad;
			opt.rate = (unsigned)v;
			break;
		case 'n':
			if (parse_uint(optarg, 1000000, &v))
				goto bad;
			opt.max_faults = (unsigned)v;
			break;
		case 'k':
			if (parse_kinds(optarg, &opt.kinds))
				goto bad;
			break;
		case 'b':
			if (parse_uint(optarg, 1u << 30, &opt.max_bytes))
				goto bad;
			break;
		case 'd':
			if (parse_uint(optarg, 10000, &v))
				goto bad;
			opt.delay_ms = (unsigned)v;
			break;
		case 'C':
			opt.cert = optarg;
			break;
		case 'K':
			opt.key = optarg;
			break;
		case 'A':
			opt.ca = optarg;
			break;
		case 'I':
			if (opt.nclients == PROXY_MAX_CLIENTS || strlen(optarg) >= 512)
				goto bad;
			opt.client[opt.nclients++] = optarg;
			break;
		case 'N':
			opt.upstream_name = optarg;
			break;
		case 'D':
			if (strcmp(optarg, "c2s") && strcmp(optarg, "s2c"))
				goto bad;
			opt.dir = strcmp(optarg, "s2c") == 0;
			break;
		case 'X':
			opt.connect = 1;
			break;
		case 'R':
			opt.refuse = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !have_l || !have_u) {
		usage(stderr);
		return 2;
	}
	if ((opt.refuse && !opt.connect) || (opt.connect && (opt.cert || opt.nclients))) {
		fprintf(stderr, "ssa-faultproxy: --refuse needs --connect, and --connect does not "
				"terminate TLS (no --cert, --client)\n");
		return 2;
	}
	if (tls_setup() < 0)
		goto out;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)opt.listen_port);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 64) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
		say("listen on 127.0.0.1:%u: %s", opt.listen_port, strerror(errno));
		goto out;
	}
	say("listening on 127.0.0.1:%u, forwarding to 127.0.0.1:%u%s, seed %llu, %u per mille, "
	    "at most %u faults",
	    ntohs(a.sin_port), opt.upstream_port,
	    server_ctx    ? " (TLS terminated)"
	    : opt.refuse  ? " (HTTP CONNECT proxy refusing every tunnel)"
	    : opt.connect ? " (HTTP CONNECT proxy)"
			  : "",
	    (unsigned long long)opt.seed, opt.rate, opt.max_faults);
	if (opt.port_file && write_port_file(opt.port_file, ntohs(a.sin_port)) < 0) {
		say("%s: %s", opt.port_file, strerror(errno));
		goto out;
	}
	while (!atomic_load(&stopping)) {
		struct pollfd p = { lfd, POLLIN, 0 };
		struct conn *c;
		struct slot *slot = NULL;
		int cfd, r = poll(&p, 1, 500);

		reap(0);
		if (r <= 0)
			continue;
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		for (size_t i = 0; i < PROXY_MAX_CONNS && !slot; i++)
			if (!slots[i].used)
				slot = &slots[i];
		if (!slot || !(c = calloc(1, sizeof(*c)))) {
			say("too many connections: refused one");
			close(cfd);
			continue;
		}
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		{
			struct timeval tv = { 10, 0 };

			/* the TLS handshake is blocking: bounded */
			setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		}
		c->idx = ++idx;
		c->cfd = cfd;
		c->slot = slot;
		c->plan = plan_for(idx, &faults);
		if (c->plan.fault == FAULT_NONE)
			say("conn %u: accepted, no fault", idx);
		else if (c->plan.fault == FAULT_DELAY)
			say("conn %u: accepted, fault delay %u ms per chunk %s", idx, c->plan.delay_ms,
			    c->plan.dir ? "server->client" : "client->server");
		else if (c->plan.fault == FAULT_DUP)
			say("conn %u: accepted, fault dup", idx);
		else
			say("conn %u: accepted, fault %s after %llu bytes %s", idx,
			    fault_names[c->plan.fault], (unsigned long long)c->plan.after,
			    c->plan.dir ? "server->client" : "client->server");
		atomic_store(&slot->done, 0);
		if (pthread_create(&slot->th, NULL, conn_main, c) != 0) {
			say("conn %u: no thread: refused", idx);
			close(cfd);
			free(c);
			continue;
		}
		slot->used = 1;
	}
	/* the threads see stopping, close their connections and end (bounded: a poll of 500 ms,
	 * or a blocking handshake's 10 s timeout) */
	n = reap(1);
	say("stopped after %u connections, %u faults (%u threads joined at exit)", idx, faults, n);
	status = 0;
out:
	if (lfd >= 0)
		close(lfd);
	tls_teardown();
	return status;
bad:
	fprintf(stderr, "ssa-faultproxy: -%c %s: bad value\n", o, optarg);
	return 2;
}
