/* cmd_card.c — `ssa-admin card`: key files, issuance and inspection of SSA food cards.
 *
 *   ssa-admin card keygen FILE --caisse ID
 *   ssa-admin card issue --keys FILE [--device CONNSTRING] --serial HEX --member HEX
 *                        [--household HEX] --from DATE --to DATE [--balance AMOUNT] [--wait S]
 *   ssa-admin card info --keys FILE [--device CONNSTRING] [--today DATE] [--hot SERIAL,...]
 *                       [--wait S]
 *
 * CONNSTRING is a libnfc connection string (pn532_uart:/dev/ttyUSB0, acr122_usb, ...); without
 * it libnfc's configuration (/etc/nfc/libnfc.conf, LIBNFC_DEVICE) chooses.  See docs/card.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "ssa/card.h"
#include "ssa/card_reader.h"
#include "ssa/convention.h"
#include "ssa/log.h"
#include "ssa/money.h"

struct card_opts {
	const char *keys, *device, *serial, *member, *household, *from, *to, *balance, *today,
		*hot, *caisse;
	int wait_s;
};

static void
card_usage(FILE *out)
{
	fprintf(out,
		"usage: ssa-admin card keygen FILE --caisse ID\n"
		"       ssa-admin card issue --keys FILE [--device CONNSTRING] --serial HEX "
		"--member HEX\n"
		"                [--household HEX] --from YYYY-MM-DD --to YYYY-MM-DD "
		"[--balance AMOUNT] [--wait S]\n"
		"       ssa-admin card info --keys FILE [--device CONNSTRING] [--today YYYY-MM-DD]\n"
		"                [--hot SERIAL,...] [--wait S]\n");
}

static int
parse_opts(int argc, char **argv, struct card_opts *o)
{
	static const struct option longopts[] = {
		{ "keys", required_argument, NULL, 'k' },
		{ "device", required_argument, NULL, 'd' },
		{ "serial", required_argument, NULL, 's' },
		{ "member", required_argument, NULL, 'm' },
		{ "household", required_argument, NULL, 'H' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "balance", required_argument, NULL, 'b' },
		{ "today", required_argument, NULL, 'T' },
		{ "hot", required_argument, NULL, 'x' },
		{ "caisse", required_argument, NULL, 'c' },
		{ "wait", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->wait_s = 10;
	optind = 0; /* GNU: reinitialise (main parsed its own options) */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->keys = optarg; break;
		case 'd': o->device = optarg; break;
		case 's': o->serial = optarg; break;
		case 'm': o->member = optarg; break;
		case 'H': o->household = optarg; break;
		case 'f': o->from = optarg; break;
		case 't': o->to = optarg; break;
		case 'b': o->balance = optarg; break;
		case 'T': o->today = optarg; break;
		case 'x': o->hot = optarg; break;
		case 'c': o->caisse = optarg; break;
		case 'w': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 3600) {
				log_err("card: --wait: 1 to 3600 seconds");
				return -1;
			}
			o->wait_s = (int)v;
			break;
		}
		default:
			return -1;
		}
	}
	return optind;
}

static int
keygen(int argc, char **argv)
{
	struct card_opts o;
	struct card_keys k;
	char *text = NULL;
	int i, fd = -1, rc = 1;
	size_t len;

	i = parse_opts(argc, argv, &o);
	if (i < 0 || i + 1 != argc || o.caisse == NULL) {
		card_usage(stderr);
		return 2;
	}
	memset(&k, 0, sizeof(k));
	if (strlen(o.caisse) > CARD_CAISSE_MAX) {
		log_err("card keygen: caisse id longer than %d", CARD_CAISSE_MAX);
		return 1;
	}
	strcpy(k.caisse, o.caisse);
	for (int r = 0; r < CARD_KEY_COUNT; r++) {
		if (getrandom(k.master[r], CARD_KDF_KEY_LEN, 0) != CARD_KDF_KEY_LEN)
			goto out;
		k.has[r] = true;
	}
	if (getrandom(k.sign, 32, 0) != 32)
		goto out;
	k.has_sign = true;
	if (card_keys_format(&k, &text) != SSA_ERR_OK) {
		log_err("card keygen: bad caisse id '%s'", o.caisse);
		goto out;
	}
	/* Derive the verify line by parsing what we wrote. */
	if (card_keys_parse(text, strlen(text), &k, NULL) != SSA_ERR_OK)
		goto out;
	explicit_bzero(text, strlen(text));
	free(text);
	text = NULL;
	if (card_keys_format(&k, &text) != SSA_ERR_OK)
		goto out;
	fd = open(argv[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_err("card keygen: %s: %s", argv[i], strerror(errno));
		goto out;
	}
	len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		log_err("card keygen: %s: %s", argv[i], strerror(errno));
		unlink(argv[i]);
		goto out;
	}
	printf("card keys of %s written to %s (mode 600)\n", k.caisse, argv[i]);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (text != NULL) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	card_keys_wipe(&k);
	return rc;
}

static int
open_reader(const struct card_opts *o, struct card_keys *keys, struct ssa_card_reader *reader,
	    uint8_t uid[CARD_UID_MAX], size_t *uid_len)
{
	enum ssa_err err;

	if (nfc_desfire_load_keys(o->keys, keys) != SSA_ERR_OK) {
		log_err("card: key file %s refused", o->keys);
		return 1;
	}
	err = nfc_desfire_open(o->device, keys, reader);
	if (err != SSA_ERR_OK) {
		log_err("card: %s", ssa_strerror(err));
		return 1;
	}
	err = reader->wait_card(reader->cls, o->wait_s * 1000, uid, uid_len);
	if (err != SSA_ERR_OK) {
		log_err("card: %s", ssa_strerror(err));
		reader->close(reader->cls);
		return 1;
	}
	return 0;
}

static void
print_uid(const uint8_t *uid, size_t n)
{
	printf("uid: ");
	for (size_t i = 0; i < n; i++)
		printf("%02x", uid[i]);
	printf("\n");
}

static int
issue(int argc, char **argv)
{
	struct card_opts o;
	struct card_keys keys;
	struct ssa_card_reader reader;
	struct nfc_desfire_issue is;
	uint8_t uid[CARD_UID_MAX];
	size_t uid_len = 0;
	char buf[32];
	enum ssa_err err;
	int i;

	i = parse_opts(argc, argv, &o);
	if (i < 0 || i != argc || o.keys == NULL || o.serial == NULL || o.member == NULL ||
	    o.from == NULL || o.to == NULL) {
		card_usage(stderr);
		return 2;
	}
	memset(&is, 0, sizeof(is));
	if (card_id_parse(o.serial, &is.identity.serial) != SSA_ERR_OK ||
	    card_id_parse(o.member, &is.identity.member_id) != SSA_ERR_OK ||
	    (o.household != NULL &&
	     card_id_parse(o.household, &is.identity.household_id) != SSA_ERR_OK)) {
		log_err("card issue: serial, member, household: 1 to 16 hex "
		        "digits");
		return 2;
	}
	if (convention_date_parse(o.from, &is.identity.valid_from) != SSA_ERR_OK ||
	    convention_date_parse(o.to, &is.identity.valid_to) != SSA_ERR_OK ||
	    is.identity.valid_from > is.identity.valid_to) {
		log_err("card issue: --from/--to: dates YYYY-MM-DD, from <= to");
		return 2;
	}
	if (o.balance != NULL && (money_parse(o.balance, &is.balance) != SSA_ERR_OK ||
				  is.balance < 0 || is.balance > CARD_BALANCE_MAX)) {
		log_err("card issue: --balance: an amount from 0 to %d.00", CARD_BALANCE_MAX / 100);
		return 2;
	}
	if (open_reader(&o, &keys, &reader, uid, &uid_len) != 0)
		return 1;
	memcpy(is.identity.caisse, keys.caisse, sizeof(keys.caisse));
	err = nfc_desfire_issue(&reader, &is);
	reader.close(reader.cls);
	card_keys_wipe(&keys);
	if (err != SSA_ERR_OK) {
		log_err("card issue: %s", ssa_strerror(err));
		return 1;
	}
	card_id_format(is.identity.serial, buf, sizeof(buf));
	printf("issued card %s\n", buf);
	print_uid(uid, uid_len);
	return 0;
}

static int
info(int argc, char **argv)
{
	struct card_opts o;
	struct card_keys keys;
	struct ssa_card_reader reader;
	struct card_identity id;
	struct card_debit_record recs[CARD_DEBIT_RECORDS];
	struct card_period_state st;
	uint64_t hot[64];
	size_t n_hot = 0, n = 0, uid_len = 0;
	uint8_t uid[CARD_UID_MAX];
	int32_t today;
	int64_t balance;
	char buf[64], d1[16], d2[16];
	enum ssa_err err, check;
	int i, rc = 1;

	i = parse_opts(argc, argv, &o);
	if (i < 0 || i != argc || o.keys == NULL) {
		card_usage(stderr);
		return 2;
	}
	if (o.today != NULL) {
		if (convention_date_parse(o.today, &today) != SSA_ERR_OK) {
			log_err("card info: --today: a date YYYY-MM-DD");
			return 2;
		}
	} else {
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		today = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
	}
	if (o.hot != NULL) {
		char *copy = strdup(o.hot), *save = NULL;
		for (char *s = strtok_r(copy, ",", &save); s != NULL && n_hot < 64;
		     s = strtok_r(NULL, ",", &save))
			if (card_id_parse(s, &hot[n_hot++]) != SSA_ERR_OK) {
				log_err("card info: --hot: serials in hex");
				free(copy);
				return 2;
			}
		free(copy);
	}
	if (open_reader(&o, &keys, &reader, uid, &uid_len) != 0)
		return 1;
	print_uid(uid, uid_len);
	err = reader.read_identity(reader.cls, &id);
	if (err != SSA_ERR_OK) {
		log_err("card info: identity: %s", ssa_strerror(err));
		goto out;
	}
	card_id_format(id.serial, buf, sizeof(buf));
	printf("serial: %s\n", buf);
	card_id_format(id.member_id, buf, sizeof(buf));
	printf("member: %s\n", buf);
	card_id_format(id.household_id, buf, sizeof(buf));
	printf("household: %s\n", buf);
	printf("caisse: %s\n", id.caisse);
	convention_date_format(id.valid_from, d1, sizeof(d1));
	convention_date_format(id.valid_to, d2, sizeof(d2));
	printf("valid: %s to %s\n", d1, d2);
	check = keys.has_verify ? card_identity_check(&id, uid, uid_len, keys.verify, hot, n_hot,
						      today)
				: SSA_ERR_KEY;
	printf("check: %s\n", check == SSA_ERR_OK ? "ok" : ssa_strerror(check));
	if (keys.has[CARD_KEY_DEBIT]) {
		err = reader.read_balance(reader.cls, &balance);
		if (err != SSA_ERR_OK) {
			log_err("card info: balance: %s", ssa_strerror(err));
			goto out;
		}
		money_format_plain(balance, buf, sizeof(buf));
		printf("balance: %s\n", buf);
	}
	if (keys.has[CARD_KEY_DEBIT] || keys.has[CARD_KEY_READ]) {
		err = reader.read_debits(reader.cls, recs, CARD_DEBIT_RECORDS, &n);
		if (err != SSA_ERR_OK) {
			log_err("card info: debits: %s", ssa_strerror(err));
			goto out;
		}
		for (size_t j = 0; j < n; j++) {
			char a[32], b[32];
			money_format_plain(recs[j].amount, a, sizeof(a));
			money_format_plain(recs[j].balance_after, b, sizeof(b));
			printf("debit: terminal %u seq %u amount %s balance %s time %u\n",
			       recs[j].terminal_id, recs[j].seq, a, b, recs[j].time);
		}
	}
	if (keys.has[CARD_KEY_READ] || keys.has[CARD_KEY_CREDIT]) {
		err = reader.read_period(reader.cls, &st);
		if (err != SSA_ERR_OK) {
			log_err("card info: period: %s", ssa_strerror(err));
			goto out;
		}
		card_id_format(st.grant_id, buf, sizeof(buf));
		printf("period: %u grant %s\n", st.period, buf);
	}
	rc = check == SSA_ERR_OK ? 0 : 1;
out:
	reader.close(reader.cls);
	card_keys_wipe(&keys);
	return rc;
}

int
admin_cmd_card(struct admin_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	log_init("ssa-admin", LOG_F_STDERR, LOG_LEVEL_WARN);
	if (argc < 2) {
		card_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "keygen") == 0)
		return keygen(argc - 1, argv + 1);
	if (strcmp(argv[1], "issue") == 0)
		return issue(argc - 1, argv + 1);
	if (strcmp(argv[1], "info") == 0)
		return info(argc - 1, argv + 1);
	card_usage(stderr);
	return 2;
}
