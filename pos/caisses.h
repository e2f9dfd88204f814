/* caisses.h — the caisses whose cards a till reads, opened from its configuration: the main
 * caisse ([card] keys, [sync] caisse_key and spool) and every [caisse.<id>] (docs/config.md,
 * "Several caisses"; docs/card.md, "Several caisses"). */
#ifndef POS_CAISSES_H
#define POS_CAISSES_H

#include "ssa/card.h"

#include "config.h"
#include "till.h"
#include "till_card.h"

struct pos_caisses {
	struct till_caisse caisse[1 + POS_CONFIG_CAISSES_MAX]; /* [0]: the main caisse */
	size_t n;
	struct card_keys keys[POS_CONFIG_CAISSES_MAX];            /* of the further caisses */
	struct till_card_files *files[POS_CONFIG_CAISSES_MAX];    /* owned */
};

/* When @p cfg has further caisses, open them for till @p t (whose reader, main card keys
 * @p main_keys and main files t->files were opened from [card] and [sync]) and make t read the
 * cards of each with its own keys, hot list and grants (t->caisses).  A further caisse whose key
 * file cannot be loaded, names another caisse or lacks the debit or verify key, or whose
 * document key cannot be loaded, is left out with a message on screen and in the log: its cards
 * are refused.  Nothing happens without further caisses or without a reader.
 * @param[out] pc  filled here; pos_caisses_close it (also when nothing was opened). */
void pos_caisses_open(struct pos_caisses *pc, const struct pos_config *cfg, struct till *t,
		      const struct card_keys *main_keys);

/* Release what @p pc holds (the till must not use it any more). */
void pos_caisses_close(struct pos_caisses *pc);

#endif
