/* caisses.c — the caisses a till reads cards of, from its configuration (caisses.h). */
#include <stdio.h>
#include <string.h>

#include "ssa/card_reader.h"
#include "ssa/log.h"

#include "caisses.h"
#include "i18n.h"

/* Leave out caisse @p id: its cards will be refused. */
static void
left_out(struct till *t, const char *id, const char *why)
{
	log_err("caisse %s: %s: its cards are refused", id, why);
	till_message(t, TILL_MSG_ERROR, _("Caisse %s: %s. Its cards are refused."), id, why);
}

void
pos_caisses_open(struct pos_caisses *pc, const struct pos_config *cfg, struct till *t,
		 const struct card_keys *main_keys)
{
	char why[300];
	enum ssa_err err;

	memset(pc, 0, sizeof(*pc));
	if (cfg->n_caisses == 0 || t->reader == NULL || main_keys == NULL)
		return;
	/* The main caisse: the reader's own keys, [sync] caisse_key's files. */
	snprintf(pc->caisse[0].id, sizeof(pc->caisse[0].id), "%s", cfg->caisse);
	pc->caisse[0].verify_key = main_keys->verify;
	pc->caisse[0].keys = main_keys;
	pc->caisse[0].files = t->files;
	pc->n = 1;
	if (main_keys->caisse[0] && strcmp(main_keys->caisse, cfg->caisse) != 0)
		log_warn("[card] keys %s are caisse %s's, [till] caisse is %s", cfg->card_keys,
			 main_keys->caisse, cfg->caisse);
	for (size_t i = 0; i < cfg->n_caisses; i++) {
		const struct pos_caisse_config *c = &cfg->caisses[i];
		struct card_keys *k = &pc->keys[i];
		struct till_caisse *tc = &pc->caisse[pc->n];

		if ((err = nfc_desfire_load_keys(c->card_keys, k)) != SSA_ERR_OK) {
			snprintf(why, sizeof(why), _("card keys %s: %s"), c->card_keys,
				 _(ssa_strerror(err)));
			left_out(t, c->id, why);
			continue;
		}
		if (strcmp(k->caisse, c->id) != 0) {
			snprintf(why, sizeof(why), _("card keys %s are those of caisse %s"),
				 c->card_keys, k->caisse);
			left_out(t, c->id, why);
			continue;
		}
		if (!k->has_verify || !k->has[CARD_KEY_DEBIT]) {
			snprintf(why, sizeof(why), _("card keys %s: the debit or verify key is missing"),
				 c->card_keys);
			left_out(t, c->id, why);
			continue;
		}
		why[0] = '\0';
		if ((err = till_card_files_open(c->spool, c->caisse_key, &pc->files[i], why,
						sizeof(why))) != SSA_ERR_OK) {
			char msg[400];

			snprintf(msg, sizeof(msg), _("caisse key: %s"),
				 why[0] ? why : _(ssa_strerror(err)));
			left_out(t, c->id, msg);
			continue;
		}
		if (c->caisse_key == NULL)
			log_warn("no caisse_key in [caisse.%s]: no monthly grants, no hot list of %s",
				 c->id, c->id);
		snprintf(why, sizeof(why), "hotlist-%s.verified", c->id);
		till_card_files_keep_as(pc->files[i], cfg->data_dir, why);
		snprintf(tc->id, sizeof(tc->id), "%s", c->id);
		tc->verify_key = k->verify;
		tc->keys = k;
		tc->files = pc->files[i];
		pc->n++;
		/* Its hot list in force now, as the main caisse's. */
		t->files = tc->files;
		till_card_refresh_hotlist(t);
		log_info("caisse %s: cards read with %s, spool %s", c->id, c->card_keys, c->spool);
	}
	t->files = pc->caisse[0].files;
	t->caisses = pc->caisse;
	t->n_caisses = pc->n;
}

void
pos_caisses_close(struct pos_caisses *pc)
{
	for (size_t i = 0; i < POS_CONFIG_CAISSES_MAX; i++) {
		till_card_files_free(pc->files[i]);
		card_keys_wipe(&pc->keys[i]);
	}
	memset(pc, 0, sizeof(*pc));
}
