/* config.h — ssa-pos's configuration: the schema of /etc/ssa-pos/ssa-pos.ini (ssa/config.h).
 * config/ssa-pos.ini is the commented example. */
#ifndef POS_CONFIG_H
#define POS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "ssa/card.h"
#include "ssa/config.h"
#include "ssa/err.h"
#include "ssa/gtin.h"
#include "ssa/vat.h"

/* The further caisses a till may know besides its main caisse (sections [caisse.<id>]). */
#define POS_CONFIG_CAISSES_MAX 8

/* A further caisse conventioning the outlet: section [caisse.<id>] (docs/config.md,
 * "Several caisses").  Its cards are read with its own card keys, checked against its own hot
 * list and reloaded from its own grants, left by its own ssa-syncd in its own spool. */
struct pos_caisse_config {
	char id[CARD_CAISSE_MAX + 1]; /* as on its cards: [A-Za-z0-9._-], 1..16 */
	unsigned line;                /* of its (first) section header, for messages */
	char *card_keys;              /* its card key file (debit key, its verify key) */
	char *caisse_key;             /* its public document key (PEM); NULL: no grants, no hot list */
	char *spool;                  /* its ssa-syncd's spool (default data_dir/spool-<id>) */
};

struct pos_config {
	/* [till] */
	char *terminal_id;
	char *establishment_id;
	char *caisse;        /* the outlet's main caisse: lines are decided with its list until a
			      * card names the member's caisse */
	char *shop_name;
	char *shop_address;
	char *data_dir;      /* catalog.db and journal.db live here unless given */
	char *catalog;       /* path of the catalog database */
	char *journal;       /* path of the journal database */
	char *key_file;      /* the terminal's Ed25519 private key (journal signatures) */
	int64_t list_max_age; /* days; older product or hot lists get a warning on the status line */
	bool color;
	/* [receipt] */
	int64_t receipt_width;
	char *receipt_dir;   /* every receipt is also written there as a text file; NULL: not */
	char *printer;       /* an ESC/POS device (/dev/usb/lp0); NULL: none */
	/* [card] */
	char *reader;        /* libnfc connstring, e.g. pn532_uart:/dev/ttyUSB0 */
	char *card_keys;     /* this till's card key file (debit key, caisse's verify key) */
	int64_t card_terminal; /* this till's number in the cards' debit records */
	/* [sync] */
	char *spool;         /* where ssa-syncd leaves hotlist.txt, grants-YYYYMM.txt, status */
	char *caisse_key;    /* the caisse's public document key (PEM); NULL: no grants, no hot
			      * list are used (the status line says so) */
	/* [barcodes] */
	struct gtin_nomenclature barcodes;
	/* [vat] */
	struct vat_rates vat_rates; /* the only rates a product may have (import refuses others) */
	/* [caisse.<id>] sections, in file order */
	size_t n_caisses;
	struct pos_caisse_config caisses[POS_CONFIG_CAISSES_MAX];
};

/* The schema (for config_describe and the tests). */
extern const struct config_key pos_config_schema[];

/* The schema of one [caisse.<id>] section (its section name is "caisse.<id>" in messages). */
extern const struct config_key pos_caisse_schema[];

/* Load @p path into @p cfg (zeroed here), then fill the paths left empty from data_dir.  The
 * sections [caisse.<id>] are parsed with pos_caisse_schema, the rest with pos_config_schema;
 * a further caisse needs [till] caisse (the main caisse), an id that is neither the main
 * caisse's nor another section's, and a spool of its own.
 * On error @p err says what and where; nothing is left allocated. */
enum ssa_err pos_config_load(const char *path, struct pos_config *cfg, struct config_error *err);

/* Release what @p cfg holds. */
void pos_config_free(struct pos_config *cfg);

#endif
