/* card.c — the SSA food card's formats: identity and its signature, debit records, period state,
 * reload policy, anti-tearing settlement, key files.  See ssa/card.h for the byte layouts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ssa/card.h"
#include "ssa/hex.h"

static const char sig_domain[] = "ssa-card-identity/1";

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return ((uint64_t)get32(p) << 32) | get32(p + 4);
}

static bool
leap(int32_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* A calendar day written YYYYMMDD, years 2000..9999. */
static bool
valid_day(int32_t d)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int32_t y = d / 10000, m = d / 100 % 100, day = d % 100;

	if (d < 20000101 || d > 99991231 || m < 1 || m > 12 || day < 1)
		return false;
	return day <= days[m - 1] + (m == 2 && leap(y));
}

static bool
valid_caisse(const char *c, size_t n)
{
	if (n == 0 || n > CARD_CAISSE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = c[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

enum ssa_err
card_identity_encode(const struct card_identity *id, uint8_t out[CARD_IDENTITY_LEN])
{
	size_t n;

	if (id == NULL || out == NULL)
		return SSA_ERR_INVAL;
	n = strnlen(id->caisse, sizeof(id->caisse));
	if (!valid_caisse(id->caisse, n) || !valid_day(id->valid_from) || !valid_day(id->valid_to) ||
	    id->valid_from > id->valid_to)
		return SSA_ERR_INVAL;
	memset(out, 0, CARD_IDENTITY_LEN);
	out[0] = CARD_IDENTITY_VERSION;
	put64(out + 1, id->serial);
	put64(out + 9, id->member_id);
	put64(out + 17, id->household_id);
	put32(out + 25, (uint32_t)id->valid_from);
	put32(out + 29, (uint32_t)id->valid_to);
	out[33] = (uint8_t)n;
	memcpy(out + 34, id->caisse, n);
	memcpy(out + CARD_IDENTITY_SIGNED_LEN, id->signature, 64);
	return SSA_ERR_OK;
}

enum ssa_err
card_identity_decode(const uint8_t *buf, size_t len, struct card_identity *out)
{
	struct card_identity id;
	size_t n;

	if (buf == NULL || out == NULL)
		return SSA_ERR_INVAL;
	if (len != CARD_IDENTITY_LEN || buf[0] != CARD_IDENTITY_VERSION)
		return SSA_ERR_CARD_FORMAT;
	memset(&id, 0, sizeof(id));
	id.serial = get64(buf + 1);
	id.member_id = get64(buf + 9);
	id.household_id = get64(buf + 17);
	id.valid_from = (int32_t)get32(buf + 25);
	id.valid_to = (int32_t)get32(buf + 29);
	n = buf[33];
	if (!valid_caisse((const char *)buf + 34, n))
		return SSA_ERR_CARD_FORMAT;
	for (size_t i = 34 + n; i < CARD_IDENTITY_SIGNED_LEN; i++)
		if (buf[i] != 0)
			return SSA_ERR_CARD_FORMAT;
	if (!valid_day(id.valid_from) || !valid_day(id.valid_to) || id.valid_from > id.valid_to)
		return SSA_ERR_CARD_FORMAT;
	memcpy(id.caisse, buf + 34, n);
	memcpy(id.signature, buf + CARD_IDENTITY_SIGNED_LEN, 64);
	*out = id;
	return SSA_ERR_OK;
}

/* The signed message: domain || uid_len || uid || identity bytes before the signature. */
static enum ssa_err
signed_message(const struct card_identity *id, const uint8_t *uid, size_t uid_len, uint8_t *msg,
	       size_t *msg_len)
{
	uint8_t enc[CARD_IDENTITY_LEN];
	size_t n = 0;
	enum ssa_err err;

	if (uid == NULL || (uid_len != 4 && uid_len != 7 && uid_len != 10))
		return SSA_ERR_INVAL;
	err = card_identity_encode(id, enc);
	if (err != SSA_ERR_OK)
		return err;
	memcpy(msg, sig_domain, sizeof(sig_domain) - 1);
	n = sizeof(sig_domain) - 1;
	msg[n++] = (uint8_t)uid_len;
	memcpy(msg + n, uid, uid_len);
	n += uid_len;
	memcpy(msg + n, enc, CARD_IDENTITY_SIGNED_LEN);
	n += CARD_IDENTITY_SIGNED_LEN;
	*msg_len = n;
	return SSA_ERR_OK;
}

#define MSG_MAX (sizeof(sig_domain) + 1 + CARD_UID_MAX + CARD_IDENTITY_SIGNED_LEN)

enum ssa_err
card_identity_sign(struct card_identity *id, const uint8_t *uid, size_t uid_len,
		   const uint8_t priv[32])
{
	enum ssa_err err;
	uint8_t msg[MSG_MAX];
	size_t msg_len = 0, sig_len = 64;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;

	if (id == NULL || priv == NULL)
		return SSA_ERR_INVAL;
	err = signed_message(id, uid, uid_len, msg, &msg_len);
	if (err != SSA_ERR_OK)
		return err;
	err = SSA_ERR_CRYPTO;
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
	ctx = EVP_MD_CTX_new();
	if (key == NULL || ctx == NULL)
		goto out;
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1)
		goto out;
	if (EVP_DigestSign(ctx, id->signature, &sig_len, msg, msg_len) != 1 || sig_len != 64)
		goto out;
	err = SSA_ERR_OK;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return err;
}

enum ssa_err
card_identity_verify(const struct card_identity *id, const uint8_t *uid, size_t uid_len,
		     const uint8_t pub[32])
{
	enum ssa_err err = SSA_ERR_CARD_SIGNATURE;
	uint8_t msg[MSG_MAX];
	size_t msg_len = 0;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;

	if (id == NULL || pub == NULL)
		return SSA_ERR_INVAL;
	if (signed_message(id, uid, uid_len, msg, &msg_len) != SSA_ERR_OK)
		return SSA_ERR_CARD_SIGNATURE;
	key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	ctx = EVP_MD_CTX_new();
	if (key == NULL || ctx == NULL) {
		err = SSA_ERR_CRYPTO;
		goto out;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1) {
		err = SSA_ERR_CRYPTO;
		goto out;
	}
	if (EVP_DigestVerify(ctx, id->signature, 64, msg, msg_len) == 1)
		err = SSA_ERR_OK;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return err;
}

enum ssa_err
card_identity_check(const struct card_identity *id, const uint8_t *uid, size_t uid_len,
		    const uint8_t pub[32], const uint64_t *hot, size_t n_hot, int32_t today)
{
	enum ssa_err err;

	if (id == NULL || (hot == NULL && n_hot > 0))
		return SSA_ERR_INVAL;
	/* Order matters: nothing on a card whose signature fails is trusted, not even its serial. */
	err = card_identity_verify(id, uid, uid_len, pub);
	if (err != SSA_ERR_OK)
		return err;
	for (size_t i = 0; i < n_hot; i++)
		if (hot[i] == id->serial)
			return SSA_ERR_CARD_HOTLISTED;
	if (today < id->valid_from)
		return SSA_ERR_CARD_NOT_YET_VALID;
	if (today > id->valid_to)
		return SSA_ERR_CARD_EXPIRED;
	return SSA_ERR_OK;
}

void
card_id_format(uint64_t id, char *buf, size_t size)
{
	snprintf(buf, size, "%016llx", (unsigned long long)id);
}

enum ssa_err
card_id_parse(const char *text, uint64_t *out)
{
	uint64_t v = 0;
	size_t n;

	if (text == NULL || out == NULL)
		return SSA_ERR_INVAL;
	n = strlen(text);
	if (n == 0 || n > 16)
		return SSA_ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		int h = hex_digit(text[i], HEX_ANY);
		if (h < 0)
			return SSA_ERR_INVAL;
		v = (v << 4) | (uint64_t)h;
	}
	*out = v;
	return SSA_ERR_OK;
}

/* --- debit records -------------------------------------------------------------------------- */

enum ssa_err
card_debit_record_encode(const struct card_debit_record *rec, uint8_t out[CARD_DEBIT_RECORD_LEN])
{
	if (rec == NULL || out == NULL)
		return SSA_ERR_INVAL;
	if (rec->amount < 1 || rec->amount > CARD_BALANCE_MAX || rec->balance_after < 0 ||
	    rec->balance_after > CARD_BALANCE_MAX)
		return SSA_ERR_INVAL;
	put32(out, rec->terminal_id);
	put32(out + 4, rec->seq);
	put32(out + 8, (uint32_t)rec->amount);
	put32(out + 12, (uint32_t)rec->balance_after);
	put32(out + 16, rec->time);
	return SSA_ERR_OK;
}

enum ssa_err
card_debit_record_decode(const uint8_t in[CARD_DEBIT_RECORD_LEN], struct card_debit_record *out)
{
	struct card_debit_record r;

	if (in == NULL || out == NULL)
		return SSA_ERR_INVAL;
	r.terminal_id = get32(in);
	r.seq = get32(in + 4);
	r.amount = get32(in + 8);
	r.balance_after = (int32_t)get32(in + 12);
	r.time = get32(in + 16);
	if (r.amount < 1 || r.amount > CARD_BALANCE_MAX || r.balance_after < 0 ||
	    r.balance_after > CARD_BALANCE_MAX)
		return SSA_ERR_CARD_FORMAT;
	*out = r;
	return SSA_ERR_OK;
}

/* --- period state --------------------------------------------------------------------------- */

uint32_t
card_period_terminal(uint32_t terminal_number)
{
	return terminal_number & 0xffffffu;
}

void
card_period_encode(const struct card_period_state *st, uint8_t out[CARD_PERIOD_LEN])
{
	uint32_t term = card_period_terminal(st->terminal);

	memset(out, 0, CARD_PERIOD_LEN);
	out[0] = term != 0 ? CARD_PERIOD_VERSION_TERMINAL : CARD_PERIOD_VERSION;
	out[1] = (uint8_t)(term >> 16);
	out[2] = (uint8_t)(term >> 8);
	out[3] = (uint8_t)term;
	put32(out + 4, st->period);
	put64(out + 8, st->grant_id);
}

enum ssa_err
card_period_decode(const uint8_t in[CARD_PERIOD_LEN], struct card_period_state *out)
{
	struct card_period_state st;

	if (in == NULL || out == NULL)
		return SSA_ERR_INVAL;
	/* A backup file is created all zero: a card never reloaded. */
	if (in[0] == 0) {
		for (size_t i = 1; i < CARD_PERIOD_LEN; i++)
			if (in[i] != 0)
				return SSA_ERR_CARD_FORMAT;
		*out = (struct card_period_state){ 0 };
		return SSA_ERR_OK;
	}
	st.terminal = (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
	/* Version 1 has zero padding there, version 2 a terminal (so that decoding and encoding
	 * again give the same bytes). */
	if ((in[0] == CARD_PERIOD_VERSION && st.terminal != 0) ||
	    (in[0] == CARD_PERIOD_VERSION_TERMINAL && st.terminal == 0) ||
	    (in[0] != CARD_PERIOD_VERSION && in[0] != CARD_PERIOD_VERSION_TERMINAL))
		return SSA_ERR_CARD_FORMAT;
	st.period = get32(in + 4);
	st.grant_id = get64(in + 8);
	if (st.period != 0 && (st.period < 200001 || st.period > 999912 || st.period % 100 < 1 ||
			       st.period % 100 > 12))
		return SSA_ERR_CARD_FORMAT;
	*out = st;
	return SSA_ERR_OK;
}

/* --- reload policy -------------------------------------------------------------------------- */

enum ssa_err
card_reload_balance(int64_t old, int64_t amount, enum card_reload_policy policy, int64_t cap,
		    int64_t *out)
{
	int64_t kept;

	if (out == NULL)
		return SSA_ERR_INVAL;
	if (old < 0 || amount < 0 || cap < 0)
		return SSA_ERR_NEGATIVE;
	if (old > CARD_BALANCE_MAX || amount > CARD_BALANCE_MAX)
		return SSA_ERR_OVERFLOW;
	switch (policy) {
	case CARD_RELOAD_EXPIRE:
		kept = 0;
		break;
	case CARD_RELOAD_ROLLOVER:
		kept = old < cap ? old : cap;
		break;
	default:
		return SSA_ERR_INVAL;
	}
	/* Both terms are at most CARD_BALANCE_MAX: no int64 overflow. */
	if (kept + amount > CARD_BALANCE_MAX)
		return SSA_ERR_OVERFLOW;
	*out = kept + amount;
	return SSA_ERR_OK;
}

/* --- settlement ----------------------------------------------------------------------------- */

enum ssa_err
card_settle(const struct card_intent *intent, uint64_t card_serial,
	    const struct card_debit_record *recs, size_t n, enum card_settle_outcome *out,
	    struct card_debit_record *matched)
{
	return card_settle_card(intent, NULL, card_serial, NULL, recs, n, out, matched);
}

enum ssa_err
card_settle_card(const struct card_intent *intent, const char *intent_caisse, uint64_t card_serial,
		 const char *card_caisse, const struct card_debit_record *recs, size_t n,
		 enum card_settle_outcome *out, struct card_debit_record *matched)
{
	const struct card_debit_record *hit = NULL;
	bool older_of_terminal = false;

	if (intent == NULL || out == NULL || (recs == NULL && n > 0))
		return SSA_ERR_INVAL;
	/* Order matters: another card's records say nothing about this intent. */
	if (card_serial != intent->card_serial ||
	    (card_caisse != NULL && (intent_caisse == NULL || intent_caisse[0] == '\0' ||
				     strcmp(card_caisse, intent_caisse) != 0))) {
		*out = CARD_SETTLE_OTHER_CARD;
		return SSA_ERR_OK;
	}
	for (size_t i = 0; i < n; i++) {
		if (recs[i].terminal_id != intent->terminal_id)
			continue;
		if (recs[i].seq == intent->seq) {
			/* Two records with one sequence cannot come from one terminal. */
			if (hit != NULL)
				return SSA_ERR_CARD_RECORD;
			hit = &recs[i];
		} else if (recs[i].seq < intent->seq) {
			older_of_terminal = true;
		}
	}
	if (hit != NULL) {
		if (hit->amount != intent->amount)
			return SSA_ERR_CARD_RECORD;
		if (matched != NULL)
			*matched = *hit;
		*out = CARD_SETTLE_DEBITED;
		return SSA_ERR_OK;
	}
	if (n < CARD_DEBIT_RECORDS || older_of_terminal)
		*out = CARD_SETTLE_NOT_DEBITED;
	else
		*out = CARD_SETTLE_UNKNOWN;
	return SSA_ERR_OK;
}

const char *
card_settle_name(enum card_settle_outcome o)
{
	switch (o) {
	case CARD_SETTLE_DEBITED:
		return "DEBITED";
	case CARD_SETTLE_NOT_DEBITED:
		return "NOT_DEBITED";
	case CARD_SETTLE_UNKNOWN:
		return "UNKNOWN";
	case CARD_SETTLE_OTHER_CARD:
		return "OTHER_CARD";
	}
	return "?";
}

/* --- key files ------------------------------------------------------------------------------ */

static const char *const role_names[CARD_KEY_COUNT] = { "master", "debit", "credit", "read" };

static bool
parse_hex(const char *s, size_t n, uint8_t *out, size_t out_len)
{
	return n == 2 * out_len && hex_decode(s, out_len, out, HEX_ANY);
}

static bool
field_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(s, name, n) == 0;
}

enum ssa_err
card_keys_parse(const char *text, size_t len, struct card_keys *out, unsigned *line)
{
	struct card_keys k;
	enum ssa_err err = SSA_ERR_KEY;
	size_t pos = 0;
	unsigned ln = 0;
	bool header = false, has_caisse = false;

	if (text == NULL || out == NULL)
		return SSA_ERR_INVAL;
	memset(&k, 0, sizeof(k));
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos), *comma;
		size_t n = nl != NULL ? (size_t)(nl - s) : len - pos, name_len, val_len;
		const char *val;

		pos += n + (nl != NULL);
		ln++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (memchr(s, '\0', n) != NULL)
			goto out;
		if (n == 0 || s[0] == '#')
			continue;
		comma = memchr(s, ',', n);
		if (comma == NULL)
			goto out;
		name_len = (size_t)(comma - s);
		val = comma + 1;
		val_len = n - name_len - 1;
		if (!header) {
			if (!field_is(s, name_len, "ssa-card-keys") || !field_is(val, val_len, "1"))
				goto out;
			header = true;
			continue;
		}
		if (field_is(s, name_len, "caisse")) {
			if (has_caisse || !valid_caisse(val, val_len))
				goto out;
			memcpy(k.caisse, val, val_len);
			has_caisse = true;
		} else if (field_is(s, name_len, "sign")) {
			if (k.has_sign || !parse_hex(val, val_len, k.sign, 32))
				goto out;
			k.has_sign = true;
		} else if (field_is(s, name_len, "verify")) {
			if (k.has_verify || !parse_hex(val, val_len, k.verify, 32))
				goto out;
			k.has_verify = true;
		} else {
			int r = -1;
			for (int i = 0; i < CARD_KEY_COUNT; i++)
				if (field_is(s, name_len, role_names[i]))
					r = i;
			if (r < 0 || k.has[r] ||
			    !parse_hex(val, val_len, k.master[r], CARD_KDF_KEY_LEN))
				goto out;
			k.has[r] = true;
		}
	}
	ln++;
	if (!header || !has_caisse)
		goto out;
	if (k.has_sign) {
		/* A sign key must match the verify line; derive it when there is none. */
		uint8_t pub[32];
		size_t pub_len = sizeof(pub);
		EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, k.sign, 32);
		bool ok = pk != NULL && EVP_PKEY_get_raw_public_key(pk, pub, &pub_len) == 1 &&
			  pub_len == 32;
		EVP_PKEY_free(pk);
		if (!ok) {
			err = SSA_ERR_CRYPTO;
			goto out;
		}
		if (k.has_verify && memcmp(pub, k.verify, 32) != 0)
			goto out;
		memcpy(k.verify, pub, 32);
		k.has_verify = true;
	}
	*out = k;
	err = SSA_ERR_OK;
	ln = 0;
out:
	if (line != NULL)
		*line = ln;
	card_keys_wipe(&k);
	return err;
}

static void
hex(char *dst, const uint8_t *src, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[src[i] >> 4];
		dst[2 * i + 1] = digits[src[i] & 15];
	}
	dst[2 * n] = '\0';
}

enum ssa_err
card_keys_format(const struct card_keys *keys, char **out)
{
	/* header + caisse + 4 keys + sign + verify, each line well under 100 bytes */
	size_t cap = 1024, n = 0;
	char *buf, h[65];

	if (keys == NULL || out == NULL ||
	    !valid_caisse(keys->caisse, strnlen(keys->caisse, sizeof(keys->caisse))))
		return SSA_ERR_INVAL;
	buf = malloc(cap);
	if (buf == NULL)
		return SSA_ERR_NOMEM;
	n += (size_t)snprintf(buf + n, cap - n, "ssa-card-keys,1\ncaisse,%s\n", keys->caisse);
	for (int i = 0; i < CARD_KEY_COUNT; i++) {
		if (!keys->has[i])
			continue;
		hex(h, keys->master[i], CARD_KDF_KEY_LEN);
		n += (size_t)snprintf(buf + n, cap - n, "%s,%s\n", role_names[i], h);
	}
	if (keys->has_sign) {
		hex(h, keys->sign, 32);
		n += (size_t)snprintf(buf + n, cap - n, "sign,%s\n", h);
	}
	if (keys->has_verify) {
		hex(h, keys->verify, 32);
		n += (size_t)snprintf(buf + n, cap - n, "verify,%s\n", h);
	}
	explicit_bzero(h, sizeof(h));
	*out = buf;
	return SSA_ERR_OK;
}

void
card_keys_wipe(struct card_keys *keys)
{
	if (keys != NULL)
		explicit_bzero(keys, sizeof(*keys));
}
