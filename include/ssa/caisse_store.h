/* ssa/caisse_store.h — the caisse's storage port: terminals' journals and keys, card ledgers,
 * and what the caisse manages with ssa-admin (households, members, cards, outlets) and publishes
 * signed (convention lists, grant batches, the hot list).
 *
 * ssa-caissed (sync/server/) and ssa-admin (tools/admin/) both talk to storage only through
 * struct caisse_store, so that a PostgreSQL backend can follow the SQLite one
 * (io/caisse_sqlite.c).  Every function returns SSA_ERR_OK, SSA_ERR_NOT_FOUND or SSA_ERR_EXISTS
 * where said, or SSA_ERR_DB (the backend logs its own error).  Calls between begin and
 * commit/rollback form one transaction; one store is used by one thread at a time.
 *
 * Ids: households, members and card serials are 16 lowercase hex digits (card_id_format);
 * outlets and terminals are protocol ids ([A-Za-z0-9._-], at most PROTOCOL_ID_MAX).
 */
#ifndef SSA_CAISSE_STORE_H
#define SSA_CAISSE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"
#include "ssa/grant.h"
#include "ssa/hotlist.h"
#include "ssa/protocol.h"

#define CAISSE_HASH_LEN 32
#define CAISSE_KEY_ID_LEN 8
#define CAISSE_PUB_LEN 32
#define CAISSE_HEX_ID_LEN 16
#define CAISSE_NAME_MAX 80

/* A household: the people whose births make its monthly amount (ssa/household.h), and the
 * member whose grant it is (its holder, "" while it has no member). */
struct caisse_household {
	char id[CAISSE_HEX_ID_LEN + 1];
	char holder[CAISSE_HEX_ID_LEN + 1];
	unsigned members;
};

/* A member: pseudonymous id (the one on the card's identity), household, birth day. */
struct caisse_member {
	char id[CAISSE_HEX_ID_LEN + 1];
	char household[CAISSE_HEX_ID_LEN + 1];
	int32_t birth; /* YYYYMMDD */
};

#define CAISSE_CARD_STATES(_) \
	_(ACTIVE, "active") \
	_(BLOCKED, "blocked") \
	_(REPLACED, "replaced")

/* A card the caisse issued: serial, member, issuing caisse, state (one of CAISSE_CARD_STATES'
 * words). */
struct caisse_card {
	char serial[CAISSE_HEX_ID_LEN + 1];
	char member[CAISSE_HEX_ID_LEN + 1];
	char caisse[GRANT_CAISSE_MAX + 1];
	char state[16];
};

struct caisse_store {
	void *cls;
	enum ssa_err (*begin)(void *cls);
	enum ssa_err (*commit)(void *cls);
	void (*rollback)(void *cls);

	/* --- terminals' journals (ssa-caissed) ------------------------------------------------ */

	/* Register (terminal, key id, public key); the same again is a no-op. */
	enum ssa_err (*key_put)(void *cls, const char *terminal,
				const uint8_t key_id[CAISSE_KEY_ID_LEN],
				const uint8_t pub[CAISSE_PUB_LEN]);
	/* The registered key @p key_id of @p terminal; SSA_ERR_NOT_FOUND if none. */
	enum ssa_err (*key_get)(void *cls, const char *terminal,
				const uint8_t key_id[CAISSE_KEY_ID_LEN], uint8_t pub[CAISSE_PUB_LEN]);
	/* The terminal's last stored record: seq (0 when none), its hash (zeros when none) and
	 * how many records are stored. */
	enum ssa_err (*journal_last)(void *cls, const char *terminal, uint64_t *seq,
				     uint8_t hash[CAISSE_HASH_LEN], uint64_t *count);
	/* The stored bytes under (terminal, seq) into @p *data (malloc'd, caller frees);
	 * SSA_ERR_NOT_FOUND if none. */
	enum ssa_err (*journal_get)(void *cls, const char *terminal, uint64_t seq, char **data,
				    size_t *len);
	/* Store a verified record. */
	enum ssa_err (*journal_put)(void *cls, const char *terminal, uint64_t seq, const char *data,
				    size_t len, const uint8_t hash[CAISSE_HASH_LEN], const char *kind,
				    int64_t time_ms, int64_t received_ms);
	/* A card's balance in the caisse's ledger (after the last record seen for it);
	 * SSA_ERR_NOT_FOUND for a card never seen. */
	enum ssa_err (*card_get)(void *cls, const char *card, int64_t *balance);
	/* Set a card's ledger balance after record (@p terminal, @p seq). */
	enum ssa_err (*card_put)(void *cls, const char *card, int64_t balance, const char *terminal,
				 uint64_t seq, int64_t time_ms);
	/* Record an anomaly: record (@p terminal, @p seq) says the card held @p found, the ledger
	 * says @p expected (a card spent elsewhere offline, cloned or tampered). */
	enum ssa_err (*anomaly_put)(void *cls, const char *card, const char *terminal, uint64_t seq,
				    int64_t expected, int64_t found, int64_t time_ms);
	/* Forget the anomalies of @p card (its ledger is being recomputed). */
	enum ssa_err (*anomaly_clear)(void *cls, const char *card);
	/* Call @p fn for every stored SALE, VOID, REFUND and RELOAD record of @p card, any
	 * terminal, in (terminal, seq) order (indexed: a card's records only); a non-OK return of
	 * @p fn stops and is returned. */
	enum ssa_err (*card_records)(void *cls, const char *card,
				     enum ssa_err (*fn)(void *ctx, const char *terminal,
							const char *data, size_t len),
				     void *ctx);
	/* Call @p fn for every anomaly, oldest first. */
	enum ssa_err (*anomaly_scan)(void *cls,
				     enum ssa_err (*fn)(void *ctx, const char *card,
							const char *terminal, uint64_t seq,
							int64_t expected, int64_t found,
							int64_t time_ms),
				     void *ctx);
	/* The first protocol's unsigned hot list (`ssa-caissed -b`, JSON GET /v1/hotlist for old
	 * clients).  Hot-list @p card; @p *version receives the version that added it.
	 * SSA_ERR_EXISTS (with its version) when it is listed already. */
	enum ssa_err (*hotlist_add)(void *cls, const char *card, const char *reason,
				    int64_t time_ms, uint64_t *version);
	/* The hot-listed cards added after @p since, by version, into @p out (fini it). */
	enum ssa_err (*hotlist_since)(void *cls, uint64_t since, struct protocol_hotlist *out);
	/* Call @p fn for every stored record with @p from_ms <= time_ms < @p to_ms, any terminal,
	 * in (terminal, seq) order, with the outlet its terminal was attached to when it pushed
	 * it (outlet_mark; NULL: not known); a non-OK return of @p fn stops and is returned. */
	enum ssa_err (*journal_scan_time)(void *cls, int64_t from_ms, int64_t to_ms,
					  enum ssa_err (*fn)(void *ctx, const char *terminal,
							     const char *outlet, const char *data,
							     size_t len),
					  void *ctx);
	/* The records of @p terminal from @p first_seq on are pushed while it is attached to
	 * @p outlet (the settlement's outlet of a record); a no-op when the terminal's last mark
	 * says that outlet already. */
	enum ssa_err (*outlet_mark)(void *cls, const char *terminal, uint64_t first_seq,
				    const char *outlet);

	/* Call @p fn for every stored closing record (CLOSING_Z, _MONTH, _YEAR) of @p terminal
	 * (NULL: all), in (terminal, seq) order. */
	enum ssa_err (*journal_scan_closings)(void *cls, const char *terminal,
					      enum ssa_err (*fn)(void *ctx, const char *terminal,
								 const char *data, size_t len),
					      void *ctx);

	/* --- households, members, cards, outlets (ssa-admin) ---------------------------------- */

	/* A new household without members; SSA_ERR_EXISTS. */
	enum ssa_err (*household_put)(void *cls, const char *id);
	/* Make @p member (a member of household @p id) its holder.  SSA_ERR_NOT_FOUND when the
	 * household does not exist or the member is not one of it. */
	enum ssa_err (*household_set_holder)(void *cls, const char *id, const char *member);
	/* Call @p fn for every household, by id. */
	enum ssa_err (*household_scan)(void *cls,
				       enum ssa_err (*fn)(void *ctx,
							  const struct caisse_household *h),
				       void *ctx);
	/* A new member; the first member of a household becomes its holder.  SSA_ERR_EXISTS for
	 * an id taken, SSA_ERR_NOT_FOUND for no such household. */
	enum ssa_err (*member_put)(void *cls, const struct caisse_member *m);
	/* Call @p fn for the members of @p household (NULL: all), by household then birth. */
	enum ssa_err (*member_scan)(void *cls, const char *household,
				    enum ssa_err (*fn)(void *ctx, const struct caisse_member *m),
				    void *ctx);
	/* A new card; SSA_ERR_EXISTS for a serial taken, SSA_ERR_NOT_FOUND for no such member. */
	enum ssa_err (*issued_card_put)(void *cls, const struct caisse_card *c);
	/* Set a card's state; SSA_ERR_NOT_FOUND for a card the caisse never issued. */
	enum ssa_err (*issued_card_state)(void *cls, const char *serial, const char *state);
	/* Call @p fn for the cards of @p member (NULL: all), by serial. */
	enum ssa_err (*issued_card_scan)(void *cls, const char *member,
					 enum ssa_err (*fn)(void *ctx, const struct caisse_card *c),
					 void *ctx);
	/* A new outlet; SSA_ERR_EXISTS. */
	enum ssa_err (*outlet_put)(void *cls, const char *id, const char *name);
	/* Call @p fn for every outlet, by id. */
	enum ssa_err (*outlet_scan)(void *cls,
				    enum ssa_err (*fn)(void *ctx, const char *id, const char *name),
				    void *ctx);
	/* Terminal @p terminal belongs to outlet @p outlet from now on (it may move);
	 * SSA_ERR_NOT_FOUND for no such outlet. */
	enum ssa_err (*terminal_attach)(void *cls, const char *terminal, const char *outlet);
	/* The outlet of @p terminal into @p outlet; SSA_ERR_NOT_FOUND when not attached. */
	enum ssa_err (*terminal_outlet)(void *cls, const char *terminal,
					char outlet[PROTOCOL_ID_MAX + 1]);
	/* Call @p fn for every attached terminal, by outlet then terminal. */
	enum ssa_err (*terminal_scan)(void *cls,
				      enum ssa_err (*fn)(void *ctx, const char *terminal,
							 const char *outlet),
				      void *ctx);

	/* --- signed documents ----------------------------------------------------------------- */

	/* The next grant id: one above every grant id stored (1 for the first). */
	enum ssa_err (*grant_next_id)(void *cls, uint64_t *id);
	/* Store signed batch @p text of @p b (its period and outlet) and its grants.
	 * SSA_ERR_EXISTS when that period and outlet have a batch already. */
	enum ssa_err (*grant_batch_put)(void *cls, const struct grant_batch *b, const char *text,
					size_t len, int64_t made_ms);
	/* The signed batch of @p period for @p outlet ("*": every outlet) into @p *text (malloc'd,
	 * NUL-terminated, caller frees); SSA_ERR_NOT_FOUND. */
	enum ssa_err (*grant_batch_get)(void *cls, int32_t period, const char *outlet, char **text,
					size_t *len);
	/* Call @p fn for every stored batch, by period then outlet. */
	enum ssa_err (*grant_batch_scan)(void *cls,
					 enum ssa_err (*fn)(void *ctx, int32_t period,
							    const char *outlet, size_t grants,
							    int64_t total, int64_t made_ms),
					 void *ctx);
	/* Store a published, verified convention list of @p caisse, @p version, @p base (0 for a
	 * full list).  SSA_ERR_EXISTS when that (version, base) is stored. */
	enum ssa_err (*list_put)(void *cls, const char *caisse, uint32_t version, uint32_t base,
				 const char *text, size_t len, int64_t published_ms);
	/* The highest version of @p caisse stored as a full list; SSA_ERR_NOT_FOUND when none. */
	enum ssa_err (*list_latest)(void *cls, const char *caisse, uint32_t *version);
	/* The stored list (@p version, @p base) of @p caisse into @p *text (malloc'd);
	 * SSA_ERR_NOT_FOUND. */
	enum ssa_err (*list_get)(void *cls, const char *caisse, uint32_t version, uint32_t base,
				 char **text, size_t *len);
	/* Call @p fn for every stored list, by caisse, version, base. */
	enum ssa_err (*list_scan)(void *cls,
				  enum ssa_err (*fn)(void *ctx, const char *caisse, uint32_t version,
						     uint32_t base, size_t len,
						     int64_t published_ms),
				  void *ctx);
	/* Add a card to the signed hot list's entries (e->version: the version that adds it);
	 * SSA_ERR_EXISTS when it is there. */
	enum ssa_err (*hot_card_put)(void *cls, const struct hotlist_entry *e);
	/* Take a card off the entries; SSA_ERR_NOT_FOUND when it is not there. */
	enum ssa_err (*hot_card_del)(void *cls, uint64_t serial);
	/* The entries as a full list of @p caisse, version @p version, into @p *out
	 * (hotlist_free it). */
	enum ssa_err (*hot_cards)(void *cls, const char *caisse, uint32_t version,
				  struct hotlist **out);
	/* Store signed hot list @p text of @p version; SSA_ERR_EXISTS for a version stored. */
	enum ssa_err (*hotlist_doc_put)(void *cls, uint32_t version, const char *text, size_t len,
					int64_t made_ms);
	/* The latest signed hot list: @p *version and, when @p text is not NULL, its text
	 * (malloc'd).  SSA_ERR_NOT_FOUND when none was made. */
	enum ssa_err (*hotlist_doc_latest)(void *cls, uint32_t *version, char **text, size_t *len);

	void (*close)(void *cls);
};

/* Open (create, migrate) the SQLite store at @p path: WAL, synchronous=FULL.  @p out is filled;
 * release with out->close(out->cls).  A database of a newer schema is refused. */
enum ssa_err caisse_store_sqlite_open(const char *path, struct caisse_store *out);

#endif
