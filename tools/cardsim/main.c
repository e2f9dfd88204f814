/* ssa-cardsim — an emulated PN532 reader on a pseudo-terminal, with emulated DESFire EV1 cards.
 *
 *   ssa-cardsim [-c FILE] [-v[v]] [--control SOCKET] [--link PATH] [--card FILE]
 *   ssa-cardsim ctl SOCKET COMMAND...
 *   ssa-cardsim new-card PATH [--uid HEX14]
 *   ssa-cardsim copy-file SRC DST AID FILE
 *
 * The serving mode prints "connstring pn532_uart:/dev/pts/N" and answers libnfc's pn532_uart
 * driver until `quit` or SIGTERM.  -c FILE (default /etc/ssa-pos/ssa-cardsim.ini, optional)
 * gives the same settings; options override it.  See docs/cardsim.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "desfire.h"
#include "field.h"
#include "pn532.h"
#include "ssa/log.h"

#define MAX_CLIENTS 8

struct sim {
	int master; /* pty master: the PN532's serial line */
	int slave;  /* kept open so the line never hangs up between clients */
	char slave_path[64];
	int listen_fd;
	int signal_fd;
	int verbose;
	struct field field;
	struct pn532_chip *chip;
	struct control_conn conns[MAX_CLIENTS];
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: ssa-cardsim [-c FILE] [-v[v]] [--control SOCKET] [--link PATH] "
	             "[--card FILE]\n"
	             "       ssa-cardsim ctl SOCKET COMMAND...   (insert PATH, remove, tear N "
	             "[before], status, quit)\n"
	             "       ssa-cardsim new-card PATH [--uid HEX14]\n"
	             "       ssa-cardsim copy-file SRC DST AID FILE   (a data file's bytes, SRC "
	             "to DST)\n");
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Everything the chip says goes to the pty master.  A host that does not read for a second
 * (none is attached, or it hangs) loses the bytes, as on a serial line. */
static void
pty_output(void *cls, const uint8_t *buf, size_t len)
{
	struct sim *sim = cls;

	while (len > 0) {
		ssize_t w = write(sim->master, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = {.fd = sim->master, .events = POLLOUT};

			if (poll(&pfd, 1, 1000) > 0)
				continue;
		}
		if (w <= 0) {
			if (sim->verbose)
				log_warn("%zu byte(s) to the host lost", len);
			return;
		}
		buf += w;
		len -= (size_t)w;
	}
}

static enum ssa_err
open_pty(struct sim *sim)
{
	struct termios tio;
	const char *name;

	sim->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (sim->master < 0 || grantpt(sim->master) < 0 || unlockpt(sim->master) < 0)
		return SSA_ERR_CARDSIM_PTY;
	name = ptsname(sim->master);
	if (name == NULL || strlen(name) >= sizeof(sim->slave_path))
		return SSA_ERR_CARDSIM_PTY;
	strcpy(sim->slave_path, name);
	sim->slave = open(sim->slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (sim->slave < 0 || tcgetattr(sim->slave, &tio) < 0)
		return SSA_ERR_CARDSIM_PTY;
	/* Raw both ways: no echo of the host's frames, no CR/NL translation of ours.  (libnfc's
	 * "claimed" c_iflag bit is dropped by Linux's tty layer, so a client killed while it held
	 * the line does not lock the next one out.) */
	cfmakeraw(&tio);
	if (tcsetattr(sim->slave, TCSANOW, &tio) < 0)
		return SSA_ERR_CARDSIM_PTY;
	if (fcntl(sim->master, F_SETFL, fcntl(sim->master, F_GETFL) | O_NONBLOCK) < 0)
		return SSA_ERR_CARDSIM_PTY;
	return SSA_ERR_OK;
}

static void
serve_master(struct sim *sim)
{
	uint8_t buf[512];
	ssize_t r;

	while ((r = read(sim->master, buf, sizeof(buf))) > 0)
		pn532_chip_input(sim->chip, buf, (size_t)r, now_ms());
}

static void
accept_clients(struct sim *sim)
{
	int fd;

	while ((fd = accept4(sim->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		size_t i;

		for (i = 0; i < MAX_CLIENTS && sim->conns[i].fd >= 0; i++)
			;
		if (i == MAX_CLIENTS) {
			static const char busy[] = "ERR too many control connections\n";

			if (write(fd, busy, sizeof(busy) - 1) < 0) {
				/* nothing more to tell a client we turn away */
			}
			close(fd);
			continue;
		}
		sim->conns[i].fd = fd;
		sim->conns[i].len = 0;
	}
}

static int
serve(struct sim *sim)
{
	struct control_ctx ctx = {.field = &sim->field, .chip = sim->chip, .verbose = sim->verbose};

	while (!ctx.quit) {
		struct pollfd pfd[3 + MAX_CLIENTS];
		uint64_t deadline = pn532_chip_deadline(sim->chip), now;
		int timeout = -1;
		nfds_t n = 0;

		pfd[n++] = (struct pollfd){.fd = sim->master, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = sim->listen_fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = sim->signal_fd, .events = POLLIN};
		for (size_t i = 0; i < MAX_CLIENTS; i++)
			pfd[n++] = (struct pollfd){.fd = sim->conns[i].fd, .events = POLLIN};
		if (deadline != UINT64_MAX) {
			now = now_ms();
			timeout = deadline <= now
			              ? 0
			              : (int)(deadline - now > 60000 ? 60000 : deadline - now);
		}
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[2].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sim->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (sim->verbose)
					log_info("signal %u, stopping", si.ssi_signo);
				break;
			}
		}
		if (pfd[0].revents & POLLIN)
			serve_master(sim);
		if (pfd[1].revents & POLLIN)
			accept_clients(sim);
		for (size_t i = 0; i < MAX_CLIENTS; i++) {
			if (sim->conns[i].fd < 0 ||
			    !(pfd[3 + i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!control_conn_service(&sim->conns[i], &ctx)) {
				close(sim->conns[i].fd);
				sim->conns[i].fd = -1;
			}
		}
		if (ctx.field_changed || pn532_chip_deadline(sim->chip) <= now_ms()) {
			ctx.field_changed = false;
			pn532_chip_poll(sim->chip, now_ms());
		}
	}
	return 0;
}

static int
cmd_ctl(int argc, char **argv)
{
	char line[4096], reply[1024], cwd[4096];
	size_t len = 0;
	enum ssa_err err;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	line[0] = '\0';
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int w;

		/* A relative card path means the caller's directory, not the simulator's. */
		if (i == 2 && strcmp(argv[1], "insert") == 0 && a[0] != '/' &&
		    getcwd(cwd, sizeof(cwd)) != NULL)
			w = snprintf(line + len, sizeof(line) - len, " %s/%s", cwd, a);
		else
			w = snprintf(line + len, sizeof(line) - len, "%s%s", i > 1 ? " " : "", a);
		if (w < 0 || (size_t)w >= sizeof(line) - len) {
			log_err("command too long");
			return 2;
		}
		len += (size_t)w;
	}
	err = control_request(argv[0], line, reply, sizeof(reply));
	if (err != SSA_ERR_OK) {
		log_err("%s: %s (%s)", argv[0], ssa_strerror(err),
		        errno ? strerror(errno) : "no reply");
		return 1;
	}
	puts(reply);
	return strncmp(reply, "OK", 2) == 0 ? 0 : 1;
}

static bool
parse_uid(const char *hex, uint8_t uid[7])
{
	if (strlen(hex) != 14)
		return false;
	for (int i = 0; i < 7; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return false;
		uid[i] = (uint8_t)v;
	}
	return true;
}

static int
cmd_new_card(int argc, char **argv)
{
	struct desfire_card *card = NULL;
	uint8_t uid[7];
	const char *path = NULL;
	bool have_uid = false;
	struct stat st;
	enum ssa_err err;
	int rc = 1;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--uid") == 0 && i + 1 < argc) {
			if (!parse_uid(argv[++i], uid)) {
				log_err("--uid wants 14 hex digits");
				return 2;
			}
			have_uid = true;
		} else if (path == NULL && argv[i][0] != '-') {
			path = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL) {
		usage(stderr);
		return 2;
	}
	if (lstat(path, &st) == 0) {
		log_err("%s already exists; not overwriting a card", path);
		return 1;
	}
	if (have_uid && uid[0] != 0x04)
		log_warn("libfreefare takes a 7-byte UID for a DESFire "
		         "only with NXP's manufacturer code 04 first");
	if (!have_uid) {
		/* NXP's manufacturer code first, as on a real card. */
		if (getrandom(uid + 1, 6, 0) != 6) {
			log_err("getrandom: %s", strerror(errno));
			return 1;
		}
		uid[0] = 0x04;
	}
	err = desfire_card_new_blank(uid, &card);
	if (err == SSA_ERR_OK)
		err = desfire_card_save(card, path);
	if (err != SSA_ERR_OK) {
		log_err("cannot create %s: %s", path, ssa_strerror(err));
		goto out;
	}
	printf("uid %02X%02X%02X%02X%02X%02X%02X\n", uid[0], uid[1], uid[2], uid[3], uid[4], uid[5],
	       uid[6]);
	rc = 0;
out:
	desfire_card_free(card);
	return rc;
}

/* copy-file SRC DST AID FILE: the bytes of a data file of card file SRC written into card file
 * DST (both at rest, not in a running simulator). */
static int
cmd_copy_file(int argc, char **argv)
{
	struct desfire_card *src = NULL, *dst = NULL;
	unsigned long aid, file;
	char *end1, *end2;
	enum ssa_err err;
	int rc = 1;

	if (argc != 4) {
		usage(stderr);
		return 2;
	}
	errno = 0;
	aid = strtoul(argv[2], &end1, 16);
	file = strtoul(argv[3], &end2, 10);
	if (errno || *end1 || *end2 || end1 == argv[2] || end2 == argv[3] || aid > 0xffffff ||
	    file > 31) {
		log_err("copy-file: AID is 6 hex digits at most, FILE a number 0..31");
		return 2;
	}
	if ((err = desfire_card_load(argv[0], &src)) != SSA_ERR_OK ||
	    (err = desfire_card_load(argv[1], &dst)) != SSA_ERR_OK) {
		log_err("copy-file: cannot load a card: %s", ssa_strerror(err));
		goto out;
	}
	if ((err = desfire_card_copy_data(src, dst, (uint32_t)aid, (uint8_t)file)) != SSA_ERR_OK ||
	    (err = desfire_card_save(dst, argv[1])) != SSA_ERR_OK) {
		log_err("copy-file: %s", ssa_strerror(err));
		goto out;
	}
	rc = 0;
out:
	desfire_card_free(src);
	desfire_card_free(dst);
	return rc;
}

static int
run(int argc, char **argv)
{
	enum { OPT_CONTROL = 256 };
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"control", required_argument, NULL, OPT_CONTROL},
	    {"link", required_argument, NULL, 'l'},
	    {"card", required_argument, NULL, 'k'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *control = NULL, *link_path = NULL, *card = NULL, *config_path = NULL;
	struct cardsim_config cfg = {0};
	struct sim sim = {.master = -1, .slave = -1, .listen_fd = -1, .signal_fd = -1};
	sigset_t mask;
	enum ssa_err err;
	int opt, rc = 1;

	while ((opt = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case OPT_CONTROL:
			control = optarg;
			break;
		case 'l':
			link_path = optarg;
			break;
		case 'k':
			if (card != NULL) {
				log_err("one card in the field at a time; insert "
				        "others with `ctl SOCKET insert PATH`");
				return 2;
			}
			card = optarg;
			break;
		case 'v':
			sim.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ssa-cardsim %s\n", SSA_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (cardsim_config_load(config_path, &cfg) != 0)
		return 1;
	/* Options override the file. */
	if (control == NULL)
		control = cfg.control;
	if (link_path == NULL)
		link_path = cfg.link;
	if (card == NULL)
		card = cfg.card;
	/* -v is [log] level = info, -vv debug: the cards and control commands, then every frame */
	if (sim.verbose == 0 && cfg.log_level >= LOG_LEVEL_INFO)
		sim.verbose = cfg.log_level == LOG_LEVEL_DEBUG ? 2 : 1;
	if (sim.verbose > 0)
		log_set_level(sim.verbose >= 2 ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	else
		log_set_level((enum log_level)cfg.log_level);
	if (control == NULL) {
		log_err("no control socket: give --control SOCKET or [cardsim] control in %s",
		        config_path ? config_path : "/etc/ssa-pos/ssa-cardsim.ini");
		usage(stderr);
		cardsim_config_free(&cfg);
		return 2;
	}
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		sim.conns[i].fd = -1;
	field_init(&sim.field);
	sim.field.verbose = sim.verbose;
	sim.field.output = pty_output;
	sim.field.output_cls = &sim;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sim.signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		log_err("signalfd: %s", strerror(errno));
		goto out;
	}
	sim.chip = pn532_chip_new(&field_card_ops, &sim.field);
	if (sim.chip == NULL) {
		log_err("%s", ssa_strerror(SSA_ERR_NOMEM));
		goto out;
	}
	pn532_chip_set_verbose(sim.chip, sim.verbose);
	if (card != NULL && (err = field_insert(&sim.field, card)) != SSA_ERR_OK) {
		log_err("cannot load card %s: %s", card, ssa_strerror(err));
		goto out;
	}
	err = open_pty(&sim);
	if (err != SSA_ERR_OK) {
		log_err("%s: %s", ssa_strerror(err), strerror(errno));
		goto out;
	}
	err = control_listen(control, &sim.listen_fd);
	if (err != SSA_ERR_OK) {
		log_err("control socket %s: %s", control, ssa_strerror(err));
		goto out;
	}
	if (link_path != NULL) {
		struct stat st;

		if (lstat(link_path, &st) == 0 && S_ISLNK(st.st_mode))
			unlink(link_path);
		if (symlink(sim.slave_path, link_path) < 0) {
			log_err("cannot link %s: %s", link_path, strerror(errno));
			link_path = NULL;
			goto out;
		}
	}
	printf("connstring pn532_uart:%s\n", sim.slave_path);
	fflush(stdout);
	rc = serve(&sim);
out:
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (sim.conns[i].fd >= 0)
			close(sim.conns[i].fd);
	if (sim.listen_fd >= 0) {
		close(sim.listen_fd);
		unlink(control);
	}
	if (link_path != NULL)
		unlink(link_path);
	field_fini(&sim.field);
	pn532_chip_free(sim.chip);
	if (sim.signal_fd >= 0)
		close(sim.signal_fd);
	if (sim.slave >= 0)
		close(sim.slave);
	if (sim.master >= 0)
		close(sim.master);
	cardsim_config_free(&cfg);
	return rc;
}

int
main(int argc, char **argv)
{
	/* A tool run by people and by tests: stderr, and syslog too when stderr is no terminal. */
	log_init("ssa-cardsim", LOG_F_TOOL, LOG_LEVEL_INFO);
	if (argc >= 2 && strcmp(argv[1], "ctl") == 0)
		return cmd_ctl(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "new-card") == 0)
		return cmd_new_card(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "copy-file") == 0)
		return cmd_copy_file(argc - 2, argv + 2);
	return run(argc, argv);
}
