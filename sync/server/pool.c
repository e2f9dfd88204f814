/* pool.c — one store connection per server thread.
 *
 * libmicrohttpd serves connections from a pool of threads (MHD_OPTION_THREAD_POOL_SIZE); a
 * connection stays with the thread that accepted it.  An SQLite connection must not be used by
 * two threads at once, so each thread opens its own, the first time it runs a handler, and keeps
 * it; SQLite's WAL and BEGIN IMMEDIATE (with a busy timeout) serialize the writers, so two
 * terminals pushing at once are stored one transaction after the other.
 */
#include <pthread.h>
#include <stdlib.h>

#include "ssa/log.h"
#include "server.h"

struct caisse_store_slot {
	struct caisse_store store;
	struct caisse_store_slot *next;
};

/* The slot of this thread; only ever set to a slot of the one server of the process. */
static _Thread_local struct caisse_store_slot *thread_slot;

struct caisse_store *
caisse_thread_store(struct caisse_server *srv)
{
	struct caisse_store_slot *slot;

	if (thread_slot)
		return &thread_slot->store;
	if (!(slot = calloc(1, sizeof(*slot))))
		return NULL;
	if (caisse_store_sqlite_open(srv->db_path, &slot->store) != SSA_ERR_OK) {
		free(slot);
		return NULL;
	}
	pthread_mutex_lock(&srv->slots_lock);
	slot->next = srv->slots;
	srv->slots = slot;
	srv->n_slots++;
	log_debug("store connection %u opened for a server thread", srv->n_slots);
	pthread_mutex_unlock(&srv->slots_lock);
	thread_slot = slot;
	return &slot->store;
}

void
caisse_thread_stores_close(struct caisse_server *srv)
{
	struct caisse_store_slot *slot, *next;

	pthread_mutex_lock(&srv->slots_lock);
	for (slot = srv->slots; slot; slot = next) {
		next = slot->next;
		slot->store.close(slot->store.cls);
		free(slot);
	}
	srv->slots = NULL;
	srv->n_slots = 0;
	pthread_mutex_unlock(&srv->slots_lock);
}
