/* spool.h — what ssa-syncd leaves for the till in its spool directory, as the status line needs
 * it (the format is in docs/protocol.md, "The spool").
 *
 * The till never trusts the spool for anything that moves money: the status file only feeds the
 * status line (online, last sync, the caisse's rejections).  Files are re-read when their mtime
 * or size changed; a missing or malformed status file is "no status", never an error on screen.
 */
#ifndef POS_SPOOL_H
#define POS_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/catalog_store.h"
#include "ssa/err.h"
#include "ssa/journal_store.h"

#include "till.h"

#define SPOOL_REJECTIONS_MAX 20 /* rejection lines kept by ssa-syncd (newest first) */
#define SPOOL_STATUS_MAX 65536  /* a longer status file is malformed */
#define SPOOL_ERROR_MAX 40
#define SPOOL_MESSAGE_MAX 160

/* A record the caisse refused. */
struct spool_rejection {
	uint64_t seq;                     /* the journal's sequence number, 0: a refused document
					   * (list, hot list, grant batch) */
	char error[SPOOL_ERROR_MAX + 1];  /* the caisse's error word */
	char msg[SPOOL_MESSAGE_MAX + 1];  /* its message (control characters made spaces) */
};

#define SPOOL_ANOMALIES_MAX 20 /* card anomaly lines kept by ssa-syncd */
#define SPOOL_CARD_MAX 64
#define SPOOL_ID_MAX 32

/* A card anomaly the caisse found in a card's ledger after a push of this terminal: record
 * (terminal, seq) says the card held record_balance, the card's story says ledger_balance. */
struct spool_anomaly {
	char card[SPOOL_CARD_MAX + 1];
	char terminal[SPOOL_ID_MAX + 1]; /* the record's terminal: this one or another */
	uint64_t seq;
	char kind[SPOOL_ERROR_MAX + 1];  /* "DOUBLE_SPEND", "EXCESS" */
	int64_t ledger_balance;          /* cents */
	int64_t record_balance;          /* cents */
	int64_t time;                    /* the record's time, UTC seconds */
};

/* The status file. */
struct spool_status {
	int64_t last_attempt; /* UTC seconds */
	int64_t last_success; /* UTC seconds, 0 = never */
	bool online;          /* the last attempt reached the caisse */
	uint64_t acked;       /* highest sequence number the caisse acknowledged */
	uint32_t list_version;
	uint32_t hotlist_version;
	uint64_t rejections;  /* how many in all */
	size_t n_rejection;   /* of which listed below, newest first */
	struct spool_rejection rejection[SPOOL_REJECTIONS_MAX];
	uint64_t anomalies;   /* card anomalies in all (0 from an ssa-syncd without them) */
	size_t n_anomaly;     /* of which listed below, newest first */
	struct spool_anomaly anomaly[SPOOL_ANOMALIES_MAX];
};

/* Parse a status file's @p len bytes: the seven keys (last_attempt, last_success, online, acked,
 * list_version, hotlist_version, rejections) each once, in that order, then at most
 * SPOOL_REJECTIONS_MAX lines "rejection=<seq> <error word> <message>", then optionally
 * "anomalies=<count>" and at most SPOOL_ANOMALIES_MAX lines "anomaly=<card> <terminal> <seq>
 * <kind> <ledger cents> <record cents> <UTC s>" (words after these are ignored).  Unknown keys
 * are ignored (forward compatible); a trailing '\r' is dropped.
 * @param[out] out  filled on success only
 * @return SSA_ERR_INVAL for a malformed file (a key missing, repeated or out of order, a value
 *         out of range, a line without '=', a NUL byte, more rejection or anomaly lines than
 *         allowed or than their count says, an anomaly line before its count or malformed),
 *         SSA_ERR_TOO_LONG for more than SPOOL_STATUS_MAX bytes. */
enum ssa_err spool_status_parse(const char *text, size_t len, struct spool_status *out);

/* The spool as the till watches it. */
struct spool {
	char *dir;
	bool have_status;          /* st holds the last well-formed status file */
	struct spool_status st;
	int64_t status_mtime_ns;   /* of the file st was read from; -1 none */
	int64_t status_size;
	int64_t hotlist_mtime;     /* UTC seconds of <dir>/hotlist.txt, 0 = none */
	int64_t max_age_default;   /* seconds: the age limit when the list in force sets none
				    * ([till] list_max_age); 0 = no limit */
};

/* Watch directory @p dir (copied). */
enum ssa_err spool_init(struct spool *sp, const char *dir);

/* Release what @p sp holds. */
void spool_fini(struct spool *sp);

/* Look at the spool again: the status file is re-read (and parsed) when its mtime or size
 * changed, dropped when it is gone or malformed; the hot list's mtime is taken.  Never blocks
 * beyond a stat and a small read. */
void spool_refresh(struct spool *sp);

/* Fill @p st from the spool (@p sp may be NULL), the journal @p journal (records not yet
 * acknowledged; may be NULL) and the catalog @p catalog (when the list in force of @p caisse
 * was received; may be NULL).  A list or hot list is known current since it was received, or
 * since the last successful sync that saw the same version (ssa-syncd asks for a newer one at
 * every sync), whichever is later.  max_age, the limit of both ages, is the caisse's: the
 * max_age line of the list in force of @p caisse; without one (or without list, catalog or
 * caisse) sp->max_age_default; with @p sp NULL as well, it is left as it is. */
void spool_till_status(const struct spool *sp, struct ssa_journal_store *journal,
		       struct catalog_store *catalog, const char *caisse, struct till_status *st);

#endif
