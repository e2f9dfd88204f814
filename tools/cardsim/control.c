/* control.c — the control channel of ssa-cardsim (see control.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "field.h"
#include "pn532.h"
#include "ssa/log.h"

#define USAGE "insert PATH, remove, tear N [before], status, quit"

static void
reply_err(char *reply, size_t cap, enum ssa_err err)
{
	snprintf(reply, cap, "ERR %s", ssa_strerror(err));
}

void
control_execute(struct control_ctx *ctx, const char *line, char *reply, size_t cap)
{
	char word[16], extra[16];
	const char *arg;
	size_t wlen;
	enum ssa_err err;
	unsigned long n;
	char *end;

	while (*line == ' ' || *line == '\t')
		line++;
	wlen = strcspn(line, " \t");
	if (wlen == 0 || wlen >= sizeof(word)) {
		snprintf(reply, cap, "ERR unknown command (" USAGE ")");
		return;
	}
	memcpy(word, line, wlen);
	word[wlen] = '\0';
	arg = line + wlen;
	while (*arg == ' ' || *arg == '\t')
		arg++;

	if (strcmp(word, "insert") == 0) {
		if (*arg == '\0') {
			snprintf(reply, cap, "ERR usage: insert PATH");
			return;
		}
		err = field_insert(ctx->field, arg);
		if (err == SSA_ERR_EXISTS) {
			snprintf(reply, cap,
			         "ERR a card is already in the field (remove it first)");
			return;
		}
		if (err != SSA_ERR_OK) {
			snprintf(reply, cap, "ERR cannot load %s: %s", arg, ssa_strerror(err));
			return;
		}
		ctx->field_changed = true;
		field_describe(ctx->field, reply + 3, cap > 3 ? cap - 3 : 0);
		memcpy(reply, "OK ", 3);
	} else if (strcmp(word, "remove") == 0) {
		err = field_remove(ctx->field);
		if (err != SSA_ERR_OK) {
			reply_err(reply, cap, err);
			return;
		}
		ctx->field_changed = true;
		snprintf(reply, cap, "OK removed");
	} else if (strcmp(word, "tear") == 0) {
		errno = 0;
		n = strtoul(arg, &end, 10);
		extra[0] = '\0';
		if (end == arg || errno != 0 || n == 0 || *arg == '-' ||
		    (sscanf(end, " %15s", extra) == 1 && strcmp(extra, "before") != 0) ||
		    strlen(end) > 16) {
			snprintf(reply, cap, "ERR usage: tear N [before], N >= 1");
			return;
		}
		err = field_tear(ctx->field, n, extra[0] != '\0');
		if (err != SSA_ERR_OK) {
			reply_err(reply, cap, err);
			return;
		}
		snprintf(reply, cap, "OK tear armed at APDU %lu%s", n, extra[0] ? " before" : "");
	} else if (strcmp(word, "status") == 0) {
		char desc[512];

		field_describe(ctx->field, desc, sizeof(desc));
		snprintf(reply, cap, "OK %s; reader %s", desc,
		         pn532_chip_waiting(ctx->chip) ? "waiting for a card" : "idle");
	} else if (strcmp(word, "quit") == 0) {
		ctx->quit = true;
		snprintf(reply, cap, "OK bye");
	} else {
		snprintf(reply, cap, "ERR unknown command '%s' (" USAGE ")", word);
	}
}

static enum ssa_err
fill_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return SSA_ERR_TOO_LONG;
	strcpy(sa->sun_path, path);
	return SSA_ERR_OK;
}

enum ssa_err
control_listen(const char *path, int *fd)
{
	struct sockaddr_un sa;
	struct stat st;
	enum ssa_err err;
	int s;

	err = fill_addr(path, &sa);
	if (err != SSA_ERR_OK)
		return err;
	/* Replace a socket left by a simulator that died, never any other kind of file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return SSA_ERR_EXISTS;
		unlink(path);
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return SSA_ERR_CARDSIM_CONTROL;
	/* Order matters: owner-only before anyone can connect; a control channel tears cards. */
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(s, 8) < 0) {
		close(s);
		return SSA_ERR_CARDSIM_CONTROL;
	}
	*fd = s;
	return SSA_ERR_OK;
}

static bool
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};

			if (poll(&pfd, 1, 1000) <= 0)
				return false; /* a client that does not read its replies is dropped
				               */
			continue;
		}
		if (w <= 0)
			return false;
		buf += w;
		len -= (size_t)w;
	}
	return true;
}

bool
control_conn_service(struct control_conn *conn, struct control_ctx *ctx)
{
	ssize_t r = recv(conn->fd, conn->buf + conn->len, sizeof(conn->buf) - conn->len, 0);
	char *nl;

	if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return true;
	if (r <= 0)
		return false;
	conn->len += (size_t)r;
	while ((nl = memchr(conn->buf, '\n', conn->len)) != NULL) {
		char reply[1024];
		size_t used = (size_t)(nl - conn->buf) + 1;

		bool nul = memchr(conn->buf, '\0', used - 1) != NULL;

		*nl = '\0';
		if (nl > conn->buf && nl[-1] == '\r')
			nl[-1] = '\0';
		if (nul)
			snprintf(reply, sizeof(reply), "ERR NUL byte in command");
		else
			control_execute(ctx, conn->buf, reply, sizeof(reply) - 1);
		if (ctx->verbose)
			log_info("control: %.200s -> %s", nul ? "?" : conn->buf, reply);
		strcat(reply, "\n");
		if (!write_all(conn->fd, reply, strlen(reply)))
			return false;
		memmove(conn->buf, conn->buf + used, conn->len - used);
		conn->len -= used;
	}
	/* A line longer than the buffer is not a command. */
	return conn->len < sizeof(conn->buf);
}

enum ssa_err
control_request(const char *path, const char *line, char *reply, size_t cap)
{
	struct sockaddr_un sa;
	enum ssa_err err;
	size_t got = 0;
	int s;

	if (cap == 0)
		return SSA_ERR_INVAL;
	err = fill_addr(path, &sa);
	if (err != SSA_ERR_OK)
		return err;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return SSA_ERR_CARDSIM_CONTROL;
	err = SSA_ERR_CARDSIM_CONTROL;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	if (!write_all(s, line, strlen(line)) || !write_all(s, "\n", 1))
		goto out;
	while (got + 1 < cap) {
		ssize_t r = recv(s, reply + got, 1, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		if (reply[got] == '\n') {
			err = SSA_ERR_OK;
			break;
		}
		got++;
	}
	if (got + 1 >= cap)
		err = SSA_ERR_OK; /* truncated reply */
out:
	reply[got < cap ? got : cap - 1] = '\0';
	close(s);
	return err;
}
