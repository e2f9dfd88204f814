/* control.h — ssa-cardsim's control channel: a Unix stream socket carrying one-line text
 * commands, each answered by one line starting with "OK" or "ERR".
 *
 *   insert PATH       the card stored in PATH enters the field
 *   remove            the card leaves the field
 *   tear N [before]   the card leaves after processing the Nth next APDU, before its answer
 *                     (with "before": just before processing it)
 *   status            what is in the field
 *   quit              stop the simulator
 */
#ifndef SSA_CARDSIM_CONTROL_H
#define SSA_CARDSIM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "ssa/err.h"

struct field;
struct pn532_chip;

/* What a command acts on, and what it asks of the main loop. */
struct control_ctx {
	struct field *field;
	struct pn532_chip *chip;
	bool quit;          /* set by `quit` */
	bool field_changed; /* set when a card entered or left: resume a waiting command */
	int verbose;        /* log each command and its reply to stderr */
};

/* Run one command line (no newline) and write its one-line reply (no newline) to @p reply. */
void control_execute(struct control_ctx *ctx, const char *line, char *reply, size_t cap);

/* Create, bind and listen on the Unix socket @p path (a stale socket file is replaced).
 * @param[out] fd the listening socket, non-blocking.
 * @return SSA_ERR_TOO_LONG for a path too long for sun_path, SSA_ERR_CARDSIM_CONTROL else. */
enum ssa_err control_listen(const char *path, int *fd);

/* A connected client: bytes received but not yet a whole line. */
struct control_conn {
	int fd; /* -1: slot free */
	size_t len;
	char buf[4096];
};

/* Read what @p conn sent, run every complete line, write the replies.
 * @return false when the client is gone or misbehaved (the caller closes it). */
bool control_conn_service(struct control_conn *conn, struct control_ctx *ctx);

/* Client side: send @p line to the simulator listening on @p path and read its reply.
 * @param[out] reply NUL-terminated, newline stripped.
 * @return SSA_ERR_OK when a reply line was read (whatever it says). */
enum ssa_err control_request(const char *path, const char *line, char *reply, size_t cap);

#endif
