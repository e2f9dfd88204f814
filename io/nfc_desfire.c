/* nfc_desfire.c — the card reader port over libnfc + libfreefare 0.4.0 (DESFire EV1, AES).
 *
 * Keys are diversified per card (card_kdf) from the master keys of the device's key file.  The
 * card's session (selected application, authenticated key, balance read in it) is kept between
 * port calls while the card stays on the reader, so that a sale costs 9 APDUs: select, identity
 * (2 frames), authenticate (2), get value at the tap; debit, write record, commit at payment.
 * Any error ends the session: the next call selects the application again, which also aborts
 * whatever an interrupted transaction had staged.
 *
 * libfreefare returns -1 and keeps the card's status byte (mifare_desfire_last_picc_error) or,
 * for a transport failure, none: the status is converted to enum ssa_err here, and the original
 * (libfreefare's and libnfc's messages, the status byte) is logged.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <freefare.h>
#include <nfc/nfc.h>

#include "ssa/card_reader.h"
#include "ssa/log.h"
#include "ssa/hex.h"

#define STATUS_OK 0x00
#define STATUS_INTEGRITY 0x1e
#define STATUS_PERMISSION 0x9d
#define STATUS_PARAMETER 0x9e
#define STATUS_APP_NOT_FOUND 0xa0
#define STATUS_AUTH 0xae
#define STATUS_BOUNDARY 0xbe
#define STATUS_FILE_NOT_FOUND 0xf0

#define KEYFILE_MAX 4096

struct nfc_desfire {
	nfc_context *ctx;
	nfc_device *dev;
	MifareTag *tags;
	MifareTag tag; /* connected card, or NULL */
	uint8_t uid[CARD_UID_MAX];
	size_t uid_len;
	struct card_keys keys;
	bool app_selected;
	int auth_key; /* authenticated key number, -1 none */
	bool balance_known;
	int64_t balance; /* read in this session */
	struct ssa_card_stats base;
};

/* --- traffic counters ----------------------------------------------------------------------- *
 * libfreefare sends every APDU through libnfc's nfc_initiator_transceive_bytes.  Defining that
 * symbol in the program interposes it (the dynamic linker binds libfreefare's calls to the
 * executable's definition first); it counts and calls libnfc's.  Process-wide, like libnfc's
 * device handles; a reader's stats() reports the difference since it was opened. */

static struct ssa_card_stats traffic;

int
nfc_initiator_transceive_bytes(nfc_device *pnd, const uint8_t *tx, const size_t tx_len,
			       uint8_t *rx, const size_t rx_len, int timeout)
{
	typedef int fn_t(nfc_device *, const uint8_t *, size_t, uint8_t *, size_t, int);
	static fn_t *real;
	int r;

	if (real == NULL) {
		void *sym = dlsym(RTLD_NEXT, "nfc_initiator_transceive_bytes");
		if (sym == NULL)
			return NFC_ESOFT;
		memcpy(&real, &sym, sizeof(real));
	}
	r = real(pnd, tx, tx_len, rx, rx_len, timeout);
	traffic.apdus++;
	traffic.bytes_out += tx_len;
	if (r > 0)
		traffic.bytes_in += (uint64_t)r;
	return r;
}

/* --- errors --------------------------------------------------------------------------------- */

/* After a failed libfreefare call about @p what: log the original, end the session, convert.
 * A boundary error means @p boundary (SSA_ERR_CARD_BALANCE for value operations). */
static enum ssa_err
fail(struct nfc_desfire *r, const char *what, enum ssa_err boundary)
{
	uint8_t st = r->tag != NULL ? mifare_desfire_last_picc_error(r->tag) : 0;

	log_warn("card: %s failed: %s (DESFire status 0x%02x, reader-side 0x%02x; libnfc: %s)",
		 what, r->tag != NULL ? freefare_strerror(r->tag) : "no card", st,
		 r->tag != NULL ? mifare_desfire_last_pcd_error(r->tag) : 0,
		 r->dev != NULL ? nfc_strerror(r->dev) : "no device");
	r->auth_key = -1;
	r->balance_known = false;
	/* Selecting again aborts anything an interrupted transaction staged. */
	r->app_selected = false;
	switch (st) {
	case STATUS_OK:
		/* No status from the card: it stopped answering (or its answer failed libfreefare's
		 * CMAC check).  Either way nothing uncommitted happened; settle at the next tap. */
		return SSA_ERR_CARD_TORN;
	case STATUS_AUTH:
	case STATUS_INTEGRITY:
		return SSA_ERR_CARD_AUTH;
	case STATUS_APP_NOT_FOUND:
	case STATUS_FILE_NOT_FOUND:
		return SSA_ERR_CARD_FORMAT;
	case STATUS_BOUNDARY:
		return boundary;
	default:
		return SSA_ERR_CARD_REFUSED;
	}
}

/* --- session -------------------------------------------------------------------------------- */

static enum ssa_err
ensure_app(struct nfc_desfire *r)
{
	MifareDESFireAID aid;
	int rc;

	if (r->tag == NULL)
		return SSA_ERR_CARD_ABSENT;
	if (r->app_selected)
		return SSA_ERR_OK;
	aid = mifare_desfire_aid_new(CARD_AID);
	if (aid == NULL)
		return SSA_ERR_NOMEM;
	rc = mifare_desfire_select_application(r->tag, aid);
	free(aid);
	if (rc < 0)
		return fail(r, "select application", SSA_ERR_CARD_REFUSED);
	r->app_selected = true;
	r->auth_key = -1;
	r->balance_known = false;
	return SSA_ERR_OK;
}

static MifareDESFireKey
aes_key(const uint8_t k[16])
{
	uint8_t v[16];
	MifareDESFireKey key;

	memcpy(v, k, 16);
	key = mifare_desfire_aes_key_new(v);
	explicit_bzero(v, sizeof(v));
	return key;
}

/* The card's key @p key_no of application @p aid, from this device's master key. */
static enum ssa_err
card_key(struct nfc_desfire *r, int key_no, uint32_t aid, MifareDESFireKey *out)
{
	uint8_t k[CARD_KDF_KEY_LEN];
	enum ssa_err err;

	if (!r->keys.has[key_no])
		return SSA_ERR_KEY;
	err = card_kdf_derive(r->keys.master[key_no], r->uid, r->uid_len, aid, (uint8_t)key_no, k);
	if (err != SSA_ERR_OK)
		return err;
	*out = aes_key(k);
	explicit_bzero(k, sizeof(k));
	return *out != NULL ? SSA_ERR_OK : SSA_ERR_NOMEM;
}

static enum ssa_err
ensure_auth(struct nfc_desfire *r, int key_no)
{
	MifareDESFireKey key = NULL;
	enum ssa_err err;
	int rc;

	err = ensure_app(r);
	if (err != SSA_ERR_OK)
		return err;
	if (r->auth_key == key_no)
		return SSA_ERR_OK;
	err = card_key(r, key_no, CARD_AID, &key);
	if (err != SSA_ERR_OK) {
		if (err == SSA_ERR_KEY)
			log_warn("card: this device has no key number %d", key_no);
		return err;
	}
	rc = mifare_desfire_authenticate_aes(r->tag, (uint8_t)key_no, key);
	mifare_desfire_key_free(key);
	if (rc < 0)
		return fail(r, "AES authentication", SSA_ERR_CARD_AUTH);
	r->auth_key = key_no;
	r->balance_known = false;
	return SSA_ERR_OK;
}

static void
drop_card(struct nfc_desfire *r)
{
	if (r->tag != NULL)
		mifare_desfire_disconnect(r->tag);
	if (r->tags != NULL)
		freefare_free_tags(r->tags);
	r->tags = NULL;
	r->tag = NULL;
	r->uid_len = 0;
	r->app_selected = false;
	r->auth_key = -1;
	r->balance_known = false;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* --- port operations ------------------------------------------------------------------------ */

static enum ssa_err
op_wait_card(void *cls, int timeout_ms, uint8_t uid[CARD_UID_MAX], size_t *uid_len)
{
	struct nfc_desfire *r = cls;
	uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	bool other = false;

	if (uid == NULL || uid_len == NULL)
		return SSA_ERR_INVAL;
	drop_card(r);
	for (;;) {
		r->tags = freefare_get_tags(r->dev);
		if (r->tags == NULL) {
			log_warn("card: listing cards failed: %s", nfc_strerror(r->dev));
			return SSA_ERR_READER;
		}
		for (size_t i = 0; r->tags[i] != NULL; i++) {
			if (freefare_get_tag_type(r->tags[i]) == DESFIRE) {
				r->tag = r->tags[i];
				break;
			}
			other = true;
		}
		if (r->tag != NULL)
			break;
		freefare_free_tags(r->tags);
		r->tags = NULL;
		if (now_ms() >= deadline)
			return other ? SSA_ERR_CARD_FORMAT : SSA_ERR_CARD_ABSENT;
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}

	char *hex = freefare_get_tag_uid(r->tag);
	size_t n = hex != NULL ? strlen(hex) : 0;
	bool ok = hex != NULL && (n == 8 || n == 14 || n == 20) &&
		  hex_decode(hex, n / 2, r->uid, HEX_ANY);
	free(hex);
	if (!ok) {
		drop_card(r);
		return SSA_ERR_CARD_FORMAT;
	}
	r->uid_len = n / 2;
	if (mifare_desfire_connect(r->tag) < 0) {
		log_warn("card: connect failed: %s", nfc_strerror(r->dev));
		drop_card(r);
		return SSA_ERR_CARD_TORN;
	}
	memcpy(uid, r->uid, r->uid_len);
	*uid_len = r->uid_len;
	return SSA_ERR_OK;
}

static enum ssa_err
op_read_identity(void *cls, struct card_identity *out)
{
	struct nfc_desfire *r = cls;
	uint8_t buf[CARD_IDENTITY_LEN + 16];
	enum ssa_err err;
	ssize_t n;

	if (out == NULL)
		return SSA_ERR_INVAL;
	err = ensure_app(r);
	if (err != SSA_ERR_OK)
		return err == SSA_ERR_CARD_REFUSED ? SSA_ERR_CARD_FORMAT : err;
	n = mifare_desfire_read_data_ex(r->tag, CARD_FILE_IDENTITY, 0, CARD_IDENTITY_LEN, buf,
					CARD_IDENTITY_COMM);
	if (n < 0)
		return fail(r, "read identity", SSA_ERR_CARD_FORMAT);
	return card_identity_decode(buf, (size_t)n, out);
}

static enum ssa_err
read_value(struct nfc_desfire *r)
{
	int32_t v = 0;

	if (mifare_desfire_get_value_ex(r->tag, CARD_FILE_BALANCE, &v, CARD_BALANCE_COMM) < 0)
		return fail(r, "get value", SSA_ERR_CARD_REFUSED);
	if (v < 0 || v > CARD_BALANCE_MAX) {
		log_warn("card: balance %d out of range", (int)v);
		return SSA_ERR_CARD_FORMAT;
	}
	r->balance = v;
	r->balance_known = true;
	return SSA_ERR_OK;
}

static enum ssa_err
op_read_balance(void *cls, int64_t *balance)
{
	struct nfc_desfire *r = cls;
	enum ssa_err err;

	if (balance == NULL)
		return SSA_ERR_INVAL;
	err = ensure_auth(r, CARD_KEY_DEBIT);
	if (err == SSA_ERR_OK && !r->balance_known)
		err = read_value(r);
	if (err == SSA_ERR_OK)
		*balance = r->balance;
	return err;
}

static enum ssa_err
op_read_debits(void *cls, struct card_debit_record *recs, size_t max, size_t *n)
{
	struct nfc_desfire *r = cls;
	uint8_t buf[(CARD_DEBIT_RECORDS + 1) * CARD_DEBIT_RECORD_LEN + 16];
	enum ssa_err err;
	ssize_t got;
	size_t count;

	if ((recs == NULL && max > 0) || n == NULL)
		return SSA_ERR_INVAL;
	err = ensure_auth(r, r->keys.has[CARD_KEY_DEBIT] ? CARD_KEY_DEBIT : CARD_KEY_READ);
	if (err != SSA_ERR_OK)
		return err;
	/* Offset 0, length 0: every record, oldest first. */
	got = mifare_desfire_read_records_ex(r->tag, CARD_FILE_DEBITS, 0, 0, buf,
					     CARD_DEBITS_COMM);
	if (got < 0) {
		if (mifare_desfire_last_picc_error(r->tag) == STATUS_BOUNDARY) {
			/* An empty record file; the error ended the session. */
			r->auth_key = -1;
			r->balance_known = false;
			*n = 0;
			return SSA_ERR_OK;
		}
		return fail(r, "read records", SSA_ERR_CARD_REFUSED);
	}
	if (got % CARD_DEBIT_RECORD_LEN != 0 ||
	    (size_t)got > CARD_DEBIT_RECORDS * CARD_DEBIT_RECORD_LEN)
		return SSA_ERR_CARD_FORMAT;
	count = (size_t)got / CARD_DEBIT_RECORD_LEN;
	*n = 0;
	for (size_t i = 0; i < count && *n < max; i++) {
		err = card_debit_record_decode(buf + (count - 1 - i) * CARD_DEBIT_RECORD_LEN,
					       &recs[*n]);
		if (err != SSA_ERR_OK)
			return err;
		(*n)++;
	}
	return SSA_ERR_OK;
}

static enum ssa_err
op_debit(void *cls, struct card_debit_record *rec)
{
	struct nfc_desfire *r = cls;
	uint8_t buf[CARD_DEBIT_RECORD_LEN];
	enum ssa_err err;

	if (rec == NULL || rec->amount < 1 || rec->amount > CARD_BALANCE_MAX)
		return SSA_ERR_INVAL;
	err = ensure_auth(r, CARD_KEY_DEBIT);
	if (err == SSA_ERR_OK && !r->balance_known)
		err = read_value(r);
	if (err != SSA_ERR_OK)
		return err;
	if (rec->amount > r->balance)
		return SSA_ERR_CARD_BALANCE;
	rec->balance_after = r->balance - rec->amount;
	err = card_debit_record_encode(rec, buf);
	if (err != SSA_ERR_OK)
		return err;
	/* Order matters: the debit and its record are staged, then committed together; a tear
	 * before the commit's answer is settled from the record file at the next tap. */
	if (mifare_desfire_debit_ex(r->tag, CARD_FILE_BALANCE, (int32_t)rec->amount,
				    CARD_BALANCE_COMM) < 0)
		return fail(r, "debit", SSA_ERR_CARD_BALANCE);
	r->balance_known = false;
	if (mifare_desfire_write_record_ex(r->tag, CARD_FILE_DEBITS, 0, CARD_DEBIT_RECORD_LEN, buf,
					   CARD_DEBITS_COMM) < 0)
		return fail(r, "write record", SSA_ERR_CARD_REFUSED);
	if (mifare_desfire_commit_transaction(r->tag) < 0)
		return fail(r, "commit", SSA_ERR_CARD_REFUSED);
	r->balance = rec->balance_after;
	r->balance_known = true;
	return SSA_ERR_OK;
}

static enum ssa_err
op_refund(void *cls, int64_t amount, int64_t *balance)
{
	struct nfc_desfire *r = cls;
	enum ssa_err err;

	if (amount < 1 || amount > CARD_BALANCE_MAX || balance == NULL)
		return SSA_ERR_INVAL;
	err = ensure_auth(r, CARD_KEY_DEBIT);
	if (err == SSA_ERR_OK && !r->balance_known)
		err = read_value(r);
	if (err != SSA_ERR_OK)
		return err;
	if (r->balance + amount > CARD_BALANCE_MAX)
		return SSA_ERR_OVERFLOW;
	if (mifare_desfire_limited_credit_ex(r->tag, CARD_FILE_BALANCE, (int32_t)amount,
					     CARD_BALANCE_COMM) < 0)
		return fail(r, "limited credit", SSA_ERR_CARD_REFUSED);
	r->balance_known = false;
	if (mifare_desfire_commit_transaction(r->tag) < 0)
		return fail(r, "commit", SSA_ERR_CARD_REFUSED);
	r->balance += amount;
	r->balance_known = true;
	*balance = r->balance;
	return SSA_ERR_OK;
}

static enum ssa_err
read_period(struct nfc_desfire *r, struct card_period_state *out)
{
	uint8_t buf[CARD_PERIOD_LEN + 16];
	ssize_t n;

	n = mifare_desfire_read_data_ex(r->tag, CARD_FILE_PERIOD, 0, CARD_PERIOD_LEN, buf,
					CARD_PERIOD_COMM);
	if (n < 0)
		return fail(r, "read period state", SSA_ERR_CARD_FORMAT);
	if (n != CARD_PERIOD_LEN)
		return SSA_ERR_CARD_FORMAT;
	return card_period_decode(buf, out);
}

static enum ssa_err
op_read_period(void *cls, struct card_period_state *out)
{
	struct nfc_desfire *r = cls;
	enum ssa_err err;

	if (out == NULL)
		return SSA_ERR_INVAL;
	err = ensure_auth(r, r->keys.has[CARD_KEY_READ] ? CARD_KEY_READ : CARD_KEY_CREDIT);
	if (err != SSA_ERR_OK)
		return err;
	return read_period(r, out);
}

static enum ssa_err
op_apply_grant(void *cls, const struct card_grant *g, int64_t *balance)
{
	struct nfc_desfire *r = cls;
	struct card_period_state st;
	uint8_t buf[CARD_PERIOD_LEN];
	int64_t old, now, delta;
	enum ssa_err err;
	int rc;

	if (g == NULL || balance == NULL || g->grant_id == 0 || g->period < 200001 ||
	    g->period > 999912 || g->period % 100 < 1 || g->period % 100 > 12)
		return SSA_ERR_INVAL;
	err = ensure_auth(r, CARD_KEY_CREDIT);
	if (err == SSA_ERR_OK)
		err = read_period(r, &st);
	if (err == SSA_ERR_OK)
		err = read_value(r);
	if (err != SSA_ERR_OK)
		return err;
	old = r->balance;
	if (st.grant_id == g->grant_id || st.period >= g->period) {
		*balance = old;
		return SSA_ERR_CARD_ALREADY_APPLIED;
	}
	err = card_reload_balance(old, g->amount, g->policy, g->cap, &now);
	if (err != SSA_ERR_OK)
		return err;
	delta = now - old;
	r->balance_known = false;
	/* Order matters: balance and period state are staged and committed together, so the
	 * grant is on the card exactly once or not at all. */
	if (delta > 0)
		rc = mifare_desfire_credit_ex(r->tag, CARD_FILE_BALANCE, (int32_t)delta,
					      CARD_BALANCE_COMM);
	else if (delta < 0)
		rc = mifare_desfire_debit_ex(r->tag, CARD_FILE_BALANCE, (int32_t)-delta,
					     CARD_BALANCE_COMM);
	else
		rc = 0;
	if (rc < 0)
		return fail(r, "reload balance", SSA_ERR_CARD_REFUSED);
	st.period = g->period;
	st.grant_id = g->grant_id;
	st.terminal = g->terminal;
	card_period_encode(&st, buf);
	if (mifare_desfire_write_data_ex(r->tag, CARD_FILE_PERIOD, 0, CARD_PERIOD_LEN, buf,
					 CARD_PERIOD_COMM) < 0)
		return fail(r, "write period state", SSA_ERR_CARD_REFUSED);
	if (mifare_desfire_commit_transaction(r->tag) < 0)
		return fail(r, "commit", SSA_ERR_CARD_REFUSED);
	r->balance = now;
	r->balance_known = true;
	*balance = now;
	return SSA_ERR_OK;
}

static enum ssa_err
op_use_keys(void *cls, const struct card_keys *keys)
{
	struct nfc_desfire *r = cls;

	if (keys == NULL)
		return SSA_ERR_INVAL;
	if (memcmp(&r->keys, keys, sizeof(*keys)) == 0)
		return SSA_ERR_OK; /* the same caisse: the session goes on */
	card_keys_wipe(&r->keys);
	r->keys = *keys;
	r->auth_key = -1;
	r->balance_known = false;
	return SSA_ERR_OK;
}

static void
op_release(void *cls)
{
	drop_card(cls);
}

static void
op_stats(void *cls, struct ssa_card_stats *out)
{
	struct nfc_desfire *r = cls;

	out->apdus = traffic.apdus - r->base.apdus;
	out->bytes_out = traffic.bytes_out - r->base.bytes_out;
	out->bytes_in = traffic.bytes_in - r->base.bytes_in;
}

static void
op_close(void *cls)
{
	struct nfc_desfire *r = cls;

	if (r == NULL)
		return;
	drop_card(r);
	if (r->dev != NULL)
		nfc_close(r->dev);
	if (r->ctx != NULL)
		nfc_exit(r->ctx);
	card_keys_wipe(&r->keys);
	free(r);
}

enum ssa_err
nfc_desfire_open(const char *connstring, const struct card_keys *keys,
		 struct ssa_card_reader *out)
{
	struct nfc_desfire *r;

	if (keys == NULL || out == NULL)
		return SSA_ERR_INVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return SSA_ERR_NOMEM;
	r->keys = *keys;
	r->auth_key = -1;
	r->base = traffic;
	nfc_init(&r->ctx);
	if (r->ctx == NULL) {
		log_err("card: libnfc initialisation failed");
		op_close(r);
		return SSA_ERR_READER;
	}
	r->dev = nfc_open(r->ctx, connstring);
	if (r->dev == NULL) {
		log_err("card: cannot open the NFC reader %s", connstring ? connstring : "(default)");
		op_close(r);
		return SSA_ERR_READER;
	}
	if (nfc_initiator_init(r->dev) < 0) {
		log_err("card: reader initialisation failed: %s", nfc_strerror(r->dev));
		op_close(r);
		return SSA_ERR_READER;
	}
	*out = (struct ssa_card_reader){
		.cls = r,
		.wait_card = op_wait_card,
		.read_identity = op_read_identity,
		.read_balance = op_read_balance,
		.read_debits = op_read_debits,
		.debit = op_debit,
		.refund = op_refund,
		.apply_grant = op_apply_grant,
		.read_period = op_read_period,
		.use_keys = op_use_keys,
		.release = op_release,
		.stats = op_stats,
		.close = op_close,
	};
	return SSA_ERR_OK;
}

/* --- key files ------------------------------------------------------------------------------ */

enum ssa_err
nfc_desfire_load_keys(const char *path, struct card_keys *out)
{
	char buf[KEYFILE_MAX + 1];
	struct stat st;
	enum ssa_err err = SSA_ERR_KEY;
	size_t len = 0;
	unsigned line = 0;
	int fd;

	if (path == NULL || out == NULL)
		return SSA_ERR_INVAL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		log_err("card keys %s: %s", path, strerror(errno));
		return SSA_ERR_KEY;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_err("card keys %s: not a regular file", path);
		goto out;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		log_err("card keys %s: must belong to you and be readable only by you (chmod 600)",
			path);
		goto out;
	}
	while (len < sizeof(buf)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("card keys %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > KEYFILE_MAX) {
		log_err("card keys %s: too long", path);
		goto out;
	}
	err = card_keys_parse(buf, len, out, &line);
	if (err != SSA_ERR_OK)
		log_err("card keys %s:%u: %s", path, line, ssa_strerror(err));
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return err;
}

/* --- issuance ------------------------------------------------------------------------------- */

/* Authenticate at PICC level: the factory DES zero key, else the caisse's diversified AES key
 * (a card issued before). */
static enum ssa_err
picc_auth(struct nfc_desfire *r, bool *factory)
{
	uint8_t zero[8] = { 0 };
	MifareDESFireKey key;
	enum ssa_err err;
	int rc;

	if (mifare_desfire_select_application(r->tag, NULL) < 0)
		return fail(r, "select PICC", SSA_ERR_CARD_REFUSED);
	key = mifare_desfire_des_key_new_with_version(zero);
	if (key == NULL)
		return SSA_ERR_NOMEM;
	rc = mifare_desfire_authenticate(r->tag, 0, key);
	mifare_desfire_key_free(key);
	if (rc == 0) {
		*factory = true;
		return SSA_ERR_OK;
	}
	if (mifare_desfire_last_picc_error(r->tag) != STATUS_AUTH &&
	    mifare_desfire_last_picc_error(r->tag) != STATUS_INTEGRITY)
		return fail(r, "PICC authentication", SSA_ERR_CARD_REFUSED);
	*factory = false;
	err = card_key(r, CARD_KEY_MASTER, 0, &key);
	if (err != SSA_ERR_OK)
		return err;
	rc = mifare_desfire_authenticate_aes(r->tag, 0, key);
	mifare_desfire_key_free(key);
	if (rc < 0)
		return fail(r, "PICC authentication", SSA_ERR_CARD_AUTH);
	return SSA_ERR_OK;
}

#define ISSUE_STEP(call, what)                                                 \
	do {                                                                   \
		if ((call) < 0) {                                              \
			err = fail(r, what, SSA_ERR_CARD_REFUSED);             \
			goto out;                                              \
		}                                                              \
	} while (0)

enum ssa_err
nfc_desfire_issue(struct ssa_card_reader *reader, struct nfc_desfire_issue *is)
{
	struct nfc_desfire *r;
	MifareDESFireKey old = NULL, key = NULL, picc = NULL;
	MifareDESFireAID aid = NULL;
	uint8_t zero[16] = { 0 }, ident[CARD_IDENTITY_LEN];
	struct card_identity back;
	int64_t balance = -1;
	bool factory = false;
	enum ssa_err err;

	if (reader == NULL || is == NULL || reader->cls == NULL || is->balance < 0 ||
	    is->balance > CARD_BALANCE_MAX)
		return SSA_ERR_INVAL;
	r = reader->cls;
	if (r->tag == NULL)
		return SSA_ERR_CARD_ABSENT;
	for (int i = 0; i < CARD_KEY_COUNT; i++)
		if (!r->keys.has[i])
			return SSA_ERR_KEY;
	if (!r->keys.has_sign)
		return SSA_ERR_KEY;
	err = card_identity_sign(&is->identity, r->uid, r->uid_len, r->keys.sign);
	if (err != SSA_ERR_OK)
		return err;
	err = card_identity_encode(&is->identity, ident);
	if (err != SSA_ERR_OK)
		return err;

	r->app_selected = false;
	r->auth_key = -1;
	err = picc_auth(r, &factory);
	if (err != SSA_ERR_OK)
		goto out;
	ISSUE_STEP(mifare_desfire_format_picc(r->tag), "format");
	/* libfreefare forgets the session after a format. */
	err = picc_auth(r, &factory);
	if (err != SSA_ERR_OK)
		goto out;
	if (factory) {
		/* The PICC master key becomes the caisse's, diversified: only the caisse can
		 * format the card again. */
		err = card_key(r, CARD_KEY_MASTER, 0, &picc);
		if (err != SSA_ERR_OK)
			goto out;
		ISSUE_STEP(mifare_desfire_change_key(r->tag, 0, picc, NULL), "change PICC key");
		err = picc_auth(r, &factory);
		if (err != SSA_ERR_OK)
			goto out;
	}
	aid = mifare_desfire_aid_new(CARD_AID);
	if (aid == NULL) {
		err = SSA_ERR_NOMEM;
		goto out;
	}
	ISSUE_STEP(mifare_desfire_create_application_aes(r->tag, aid, CARD_APP_SETTINGS,
							 CARD_KEY_COUNT),
		   "create application");

	ISSUE_STEP(mifare_desfire_select_application(r->tag, aid), "select application");
	old = aes_key(zero);
	if (old == NULL) {
		err = SSA_ERR_NOMEM;
		goto out;
	}
	ISSUE_STEP(mifare_desfire_authenticate_aes(r->tag, 0, old), "authenticate (new app)");
	/* Order matters: the other keys first, the master key last (changing the session's own
	 * key ends the session). */
	for (int k = CARD_KEY_COUNT - 1; k >= 0; k--) {
		err = card_key(r, k, CARD_AID, &key);
		if (err != SSA_ERR_OK)
			goto out;
		ISSUE_STEP(mifare_desfire_change_key(r->tag, (uint8_t)k, key, old), "change key");
		mifare_desfire_key_free(key);
		key = NULL;
	}
	err = card_key(r, CARD_KEY_MASTER, CARD_AID, &key);
	if (err != SSA_ERR_OK)
		goto out;
	ISSUE_STEP(mifare_desfire_authenticate_aes(r->tag, 0, key), "authenticate (master)");

	ISSUE_STEP(mifare_desfire_create_std_data_file(r->tag, CARD_FILE_IDENTITY,
						       CARD_IDENTITY_COMM, CARD_IDENTITY_ACCESS,
						       CARD_IDENTITY_LEN),
		   "create identity file");
	ISSUE_STEP(mifare_desfire_create_value_file(r->tag, CARD_FILE_BALANCE, CARD_BALANCE_COMM,
						    CARD_BALANCE_ACCESS, 0, CARD_BALANCE_MAX,
						    (int32_t)is->balance, 1),
		   "create balance file");
	ISSUE_STEP(mifare_desfire_create_cyclic_record_file(r->tag, CARD_FILE_DEBITS,
							    CARD_DEBITS_COMM, CARD_DEBITS_ACCESS,
							    CARD_DEBIT_RECORD_LEN,
							    CARD_DEBIT_RECORDS + 1),
		   "create debit record file");
	ISSUE_STEP(mifare_desfire_create_backup_data_file(r->tag, CARD_FILE_PERIOD,
							  CARD_PERIOD_COMM, CARD_PERIOD_ACCESS,
							  CARD_PERIOD_LEN),
		   "create period file");
	ISSUE_STEP(mifare_desfire_write_data_ex(r->tag, CARD_FILE_IDENTITY, 0, CARD_IDENTITY_LEN,
						ident, CARD_IDENTITY_COMM),
		   "write identity");

	/* Read it all back as a till would. */
	r->app_selected = false;
	r->auth_key = -1;
	err = op_read_identity(r, &back);
	if (err == SSA_ERR_OK)
		err = op_read_balance(r, &balance);
	if (err != SSA_ERR_OK)
		goto out;
	if (memcmp(back.signature, is->identity.signature, 64) != 0 || balance != is->balance) {
		log_err("card: issued card does not read back as written");
		err = SSA_ERR_CARD_FORMAT;
		goto out;
	}
	err = card_identity_verify(&back, r->uid, r->uid_len, r->keys.verify);
out:
	mifare_desfire_key_free(old);
	mifare_desfire_key_free(key);
	mifare_desfire_key_free(picc);
	free(aid);
	explicit_bzero(ident, sizeof(ident));
	return err;
}
