/* field.c — the card on the emulated reader (see field.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desfire.h"
#include "field.h"
#include "ssa/log.h"

void
field_init(struct field *f)
{
	memset(f, 0, sizeof(*f));
}

void
field_fini(struct field *f)
{
	field_remove(f);
}

/* Save the card if it changed since the last save.  @return false if that failed. */
static bool
persist(struct field *f)
{
	enum ssa_err err;

	if (!desfire_card_take_dirty(f->card))
		return true;
	err = desfire_card_save(f->card, f->path);
	if (err == SSA_ERR_OK)
		return true;
	log_err("cannot save card %s: %s", f->path, ssa_strerror(err));
	return false;
}

static void
leave(struct field *f, const char *why)
{
	/* Power loss: the card drops its session and any uncommitted transaction. */
	desfire_card_reset(f->card);
	persist(f);
	if (f->verbose)
		log_info("card %s leaves the field (%s)", f->path, why);
	desfire_card_free(f->card);
	free(f->path);
	f->card = NULL;
	f->path = NULL;
	f->epoch = 0;
	f->tear_at = 0;
	f->tear_before = false;
}

enum ssa_err
field_insert(struct field *f, const char *path)
{
	struct desfire_card *card = NULL;
	char *copy;
	enum ssa_err err;

	if (f->card != NULL)
		return SSA_ERR_EXISTS;
	copy = strdup(path);
	if (copy == NULL)
		return SSA_ERR_NOMEM;
	err = desfire_card_load(path, &card);
	if (err != SSA_ERR_OK) {
		free(copy);
		return err;
	}
	f->card = card;
	f->path = copy;
	f->epochs++;
	if (f->epochs == 0)
		f->epochs = 1; /* 0 means "no card" */
	f->epoch = f->epochs;
	f->apdus = 0;
	f->bytes_in = 0;
	f->bytes_out = 0;
	f->tear_at = 0;
	f->tear_before = false;
	if (f->verbose)
		log_info("card %s enters the field", path);
	return SSA_ERR_OK;
}

enum ssa_err
field_remove(struct field *f)
{
	if (f->card == NULL)
		return SSA_ERR_CARD_ABSENT;
	leave(f, "removed");
	return SSA_ERR_OK;
}

enum ssa_err
field_tear(struct field *f, unsigned long n, bool before)
{
	if (f->card == NULL)
		return SSA_ERR_CARD_ABSENT;
	if (n == 0 || n > ULONG_MAX - f->apdus)
		return SSA_ERR_INVAL;
	f->tear_at = f->apdus + n;
	f->tear_before = before;
	return SSA_ERR_OK;
}

void
field_describe(const struct field *f, char *buf, size_t cap)
{
	uint8_t uid[7];
	char tear[48] = "none";

	if (f->card == NULL) {
		snprintf(buf, cap, "empty");
		return;
	}
	desfire_card_uid(f->card, uid);
	if (f->tear_at)
		snprintf(tear, sizeof(tear), "%lu%s", f->tear_at - f->apdus,
		         f->tear_before ? " before" : "");
	snprintf(buf, cap,
	         "card %s uid %02X%02X%02X%02X%02X%02X%02X apdus %lu bytes-in %lu bytes-out %lu "
	         "tear %s",
	         f->path, uid[0], uid[1], uid[2], uid[3], uid[4], uid[5], uid[6], f->apdus,
	         f->bytes_in, f->bytes_out, tear);
}

/* --- pn532_card_ops --- */

static uint32_t
op_present(void *cls)
{
	return ((struct field *)cls)->epoch;
}

static void
op_uid(void *cls, uint8_t uid[7])
{
	struct field *f = cls;

	if (f->card != NULL)
		desfire_card_uid(f->card, uid);
	else
		memset(uid, 0, 7);
}

static bool
op_exchange(void *cls, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *resp_len)
{
	struct field *f = cls;
	unsigned long n;
	size_t r;

	if (f->card == NULL)
		return false;
	n = f->apdus + 1;
	if (f->tear_at == n && f->tear_before) {
		leave(f, "torn before APDU");
		return false;
	}
	r = desfire_card_process(f->card, cmd, len, resp, cap);
	f->apdus = n;
	f->bytes_in += len;
	/* Order matters: the card's new state reaches the disk before its answer reaches the
	 * host, so that a card that answered has persisted, even if the process dies next. */
	if (!persist(f)) {
		leave(f, "save failed");
		return false;
	}
	if (f->tear_at == n) {
		leave(f, "torn after APDU");
		return false;
	}
	f->bytes_out += r;
	*resp_len = r;
	return true;
}

static void
op_reset(void *cls)
{
	struct field *f = cls;

	if (f->card == NULL)
		return;
	desfire_card_reset(f->card);
	if (!persist(f))
		leave(f, "save failed");
}

static void
op_output(void *cls, const uint8_t *buf, size_t len)
{
	struct field *f = cls;

	f->output(f->output_cls, buf, len);
}

const struct pn532_card_ops field_card_ops = {
    .present = op_present,
    .uid = op_uid,
    .exchange = op_exchange,
    .reset = op_reset,
    .output = op_output,
};
