/* catalog_sqlite.c — the catalog database in SQLite: products, convention lists in force per
 * caisse, the signed texts received; schema versions and migrations; the fast CSV import; the
 * catalog port over it.  SQLite result codes are converted to SSA_ERR_DB here and SQLite's
 * message is kept for catalog_store_errmsg. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "ssa/catalog_store.h"

/* Migration i takes the schema from version i to i + 1.  Never edit one that has shipped: add. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE product ("
	" code TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, price INTEGER NOT NULL,"
	" unit INTEGER NOT NULL, vat_bp INTEGER NOT NULL, category TEXT NOT NULL,"
	" quick_key INTEGER) WITHOUT ROWID;"
	"CREATE INDEX product_quick_key ON product(quick_key) WHERE quick_key IS NOT NULL;"
	"CREATE TABLE list ("
	" caisse TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL,"
	" valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE list_entry ("
	" caisse TEXT NOT NULL, kind INTEGER NOT NULL, key TEXT NOT NULL,"
	" rate_bp INTEGER NOT NULL, ceiling INTEGER NOT NULL, cap INTEGER NOT NULL,"
	" date_from INTEGER NOT NULL, date_to INTEGER NOT NULL,"
	" PRIMARY KEY (caisse, kind, key)) WITHOUT ROWID;"
	"CREATE TABLE list_text ("
	" caisse TEXT NOT NULL, version INTEGER NOT NULL, base INTEGER NOT NULL,"
	" text BLOB NOT NULL, PRIMARY KEY (caisse, version)) WITHOUT ROWID;",
	/* 1 -> 2: when the list in force was put (UTC seconds; 0 for lists put before) */
	"ALTER TABLE list ADD COLUMN received INTEGER NOT NULL DEFAULT 0;",
	/* 2 -> 3: the VAT rates the products carry, kept by every writer of product in the same
	 * transaction (import, put_product), so that the till's start-up check reads a few rows
	 * instead of the whole product table (catalog_store_each_vat_rate) */
	"CREATE TABLE product_vat ("
	" vat_bp INTEGER PRIMARY KEY NOT NULL, products INTEGER NOT NULL, example TEXT NOT NULL)"
	" WITHOUT ROWID;"
	"INSERT INTO product_vat SELECT vat_bp, count(*), min(code) FROM product GROUP BY vat_bp;",
	/* 3 -> 4: the caisse's age limit of the list in force (days, 0 = none; lists put before
	 * could not carry one) */
	"ALTER TABLE list ADD COLUMN max_age INTEGER NOT NULL DEFAULT 0;",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(N_MIGRATIONS == CATALOG_STORE_SCHEMA, "CATALOG_STORE_SCHEMA is the last migration");

struct catalog_store {
	struct ssa_catalog port; /* first: the port pointer is the store */
	sqlite3 *db;
	sqlite3_stmt *find;
	sqlite3_stmt *find_quick;
	sqlite3_stmt *list_version;
	struct convention_list **cache; /* lists handed out by the port, one per caisse */
	size_t n_cache;
	int reading;        /* a read snapshot is held for lookups */
	double read_since;  /* CLOCK_MONOTONIC seconds when it was taken */
	sqlite3_stmt *data_version;
	sqlite3_stmt *begin, *commit; /* of the read snapshot */
	int64_t last_data_version;
	struct pcache *pcache;      /* allocated at the first lookup */
	uint32_t pcache_gen;        /* slots of another generation are empty */
	char errmsg[200];
};

/* How long the till's lookups may reuse one read snapshot (see read_begin). */
#define SNAPSHOT_SECONDS 1.0

/* The product cache: a 2-way set-associative cache of whole products in front of SQLite's page
 * cache.  A shop sells a few thousand products of a catalog that may hold a million; each of them
 * sits on its own 4 KiB page, so caching products rather than pages keeps them all in a few MB
 * (PCACHE_SETS x 2 x ~180 bytes = 5.9 MB at most; RSS goal 16 MB).  Invalidated whenever the
 * catalog may have changed: our own writes, or another connection's commit (PRAGMA data_version,
 * checked when the read snapshot is renewed, so a cached product is never older than the
 * snapshot rule allows). */
#define PCACHE_SETS 16384 /* power of two */

/* The tags of a set's two ways sit together, apart from the products: a lookup that misses (the
 * uniform case) reads one cache line of tags and touches no product. */
struct pcache_tag {
	uint32_t gen; /* == pcache_gen when valid */
	uint32_t hash;
};

struct pcache {
	struct pcache_tag tag[PCACHE_SETS][2];
	uint8_t mru[PCACHE_SETS]; /* the way used last */
	struct catalog_product p[PCACHE_SETS][2];
};

static enum ssa_err
db_err(struct catalog_store *s)
{
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", sqlite3_errmsg(s->db));
	return SSA_ERR_DB;
}

const char *
catalog_store_errmsg(const struct catalog_store *s)
{
	return s != NULL ? s->errmsg : "";
}

static enum ssa_err
exec(struct catalog_store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(s->errmsg, sizeof(s->errmsg), "%s", msg ? msg : "?");
		sqlite3_free(msg);
		return SSA_ERR_DB;
	}
	return SSA_ERR_OK;
}

static enum ssa_err
prepare(struct catalog_store *s, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return db_err(s);
	return SSA_ERR_OK;
}

static void
rollback(struct catalog_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static uint32_t
code_hash(const char *code)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *code != '\0'; code++)
		h = (h ^ (uint8_t)*code) * 16777619u;
	return h;
}

static void
pcache_flush(struct catalog_store *s)
{
	s->pcache_gen++;
	if (s->pcache_gen == 0) { /* wrapped: slots of generation 0 would look valid again */
		if (s->pcache != NULL)
			memset(s->pcache->tag, 0, sizeof(s->pcache->tag));
		s->pcache_gen = 1;
	}
}

static const struct catalog_product *
pcache_get(struct catalog_store *s, const char *code, uint32_t h)
{
	uint32_t set = h & (PCACHE_SETS - 1);
	const struct pcache_tag *tag;

	if (s->pcache == NULL)
		return NULL;
	tag = s->pcache->tag[set];
	for (int w = 0; w < 2; w++)
		if (tag[w].gen == s->pcache_gen && tag[w].hash == h &&
		    strcmp(s->pcache->p[set][w].code, code) == 0) {
			s->pcache->mru[set] = (uint8_t)w;
			return &s->pcache->p[set][w];
		}
	return NULL;
}

static void
pcache_put(struct catalog_store *s, const struct catalog_product *p, uint32_t h)
{
	uint32_t set = h & (PCACHE_SETS - 1);
	struct pcache_tag *tag;
	int w;

	if (s->pcache == NULL && (s->pcache = calloc(1, sizeof(*s->pcache))) == NULL)
		return; /* no cache is only slower */
	tag = s->pcache->tag[set];
	if (tag[0].gen != s->pcache_gen)
		w = 0;
	else if (tag[1].gen != s->pcache_gen)
		w = 1;
	else
		w = s->pcache->mru[set] == 0 ? 1 : 0;
	tag[w].gen = s->pcache_gen;
	tag[w].hash = h;
	s->pcache->p[set][w] = *p;
	s->pcache->mru[set] = (uint8_t)w;
}

static double
monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Lookups run inside one read transaction that is renewed when it is older than
 * SNAPSHOT_SECONDS: starting a transaction per statement costs file locks and a WAL header check
 * (about three quarters of a lookup's time on a warm cache), so a scan sees the catalog as it was
 * at most a second before.  The snapshot is released before every write, and the list in force
 * is read in a snapshot taken at that moment (read_fresh), so lists are always read fresh.  An
 * idle till keeps its snapshot, which only delays the WAL restart, never a writer (WAL readers
 * do not block writers). */
static void
read_begin(struct catalog_store *s)
{
	double t = monotonic();

	if (s->reading && t - s->read_since < SNAPSHOT_SECONDS)
		return;
	if (s->reading) {
		sqlite3_step(s->commit);
		sqlite3_reset(s->commit);
	}
	sqlite3_step(s->begin);
	s->reading = sqlite3_reset(s->begin) == SQLITE_OK;
	/* Order matters: PRAGMA data_version is the first read of the new transaction, so it takes
	 * the snapshot and tells whether that snapshot holds another connection's commit. */
	if (sqlite3_step(s->data_version) == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(s->data_version, 0);
		if (v != s->last_data_version)
			pcache_flush(s);
		s->last_data_version = v;
	} else {
		pcache_flush(s);
	}
	sqlite3_reset(s->data_version);
	s->read_since = t;
}

static void
read_end(struct catalog_store *s)
{
	if (s->reading) {
		sqlite3_step(s->commit);
		sqlite3_reset(s->commit);
	}
	s->reading = 0;
}

/* A snapshot taken now, kept for the lookups that follow. */
static void
read_fresh(struct catalog_store *s)
{
	read_end(s);
	read_begin(s);
}

static enum ssa_err
migrate(struct catalog_store *s)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err e;
	int version = 0;

	/* One write transaction: two programs opening a fresh file migrate it once. */
	if ((e = exec(s, "BEGIN IMMEDIATE;"
			 "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);")))
		goto out;
	if ((e = prepare(s, "SELECT max(version) FROM schema_version", &st)))
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > N_MIGRATIONS) {
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "catalog schema version %d is newer than this program's %d", version,
			 N_MIGRATIONS);
		e = SSA_ERR_CATALOG_SCHEMA;
		goto out;
	}
	for (; version < N_MIGRATIONS; version++) {
		char sql[96];
		if ((e = exec(s, migrations[version])))
			goto out;
		snprintf(sql, sizeof(sql),
			 "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d);",
			 version + 1);
		if ((e = exec(s, sql)))
			goto out;
	}
	e = exec(s, "COMMIT");
out:
	if (e != SSA_ERR_OK)
		rollback(s);
	return e;
}

static enum ssa_err port_find(void *cls, const char *code, struct catalog_product *out);
static enum ssa_err port_find_quick_key(void *cls, int slot, struct catalog_product *out);
static enum ssa_err port_list_in_force(void *cls, const char *caisse,
				       const struct convention_list **out);
static void port_close(struct ssa_catalog *self);

#define PRODUCT_COLS "code, name, price, unit, vat_bp, category, quick_key"

enum ssa_err
catalog_store_open(const char *path, struct catalog_store **out)
{
	struct catalog_store *s = calloc(1, sizeof(*s));
	enum ssa_err e;

	if (s == NULL)
		return SSA_ERR_NOMEM;
	s->port.cls = s;
	s->port.find = port_find;
	s->port.find_quick_key = port_find_quick_key;
	s->port.list_in_force = port_list_in_force;
	s->port.close = port_close;
	/* NOMUTEX: a store is used by one thread at a time (no program of ours shares one between
	 * threads), and the connection's mutex, taken by every sqlite3_column_* call, was a tenth
	 * of a lookup's instructions. */
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		e = s->db != NULL ? db_err(s) : SSA_ERR_NOMEM;
		goto out;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if ((e = exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")) ||
	    (e = migrate(s)))
		goto out;
	if ((e = prepare(s, "SELECT " PRODUCT_COLS " FROM product WHERE code = ?1", &s->find)) ||
	    (e = prepare(s,
			 "SELECT " PRODUCT_COLS " FROM product WHERE quick_key = ?1"
			 " ORDER BY code LIMIT 1",
			 &s->find_quick)) ||
	    (e = prepare(s, "SELECT version FROM list WHERE caisse = ?1", &s->list_version)) ||
	    (e = prepare(s, "PRAGMA data_version", &s->data_version)) ||
	    (e = prepare(s, "BEGIN", &s->begin)) || (e = prepare(s, "COMMIT", &s->commit)))
		goto out;
	s->pcache_gen = 1;
	*out = s;
	return SSA_ERR_OK;
out:
	catalog_store_close(s);
	return e;
}

void
catalog_store_close(struct catalog_store *s)
{
	if (s == NULL)
		return;
	if (s->db != NULL)
		read_end(s);
	sqlite3_finalize(s->find);
	sqlite3_finalize(s->find_quick);
	sqlite3_finalize(s->list_version);
	sqlite3_finalize(s->data_version);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_close(s->db);
	free(s->pcache);
	for (size_t i = 0; i < s->n_cache; i++)
		convention_list_free(s->cache[i]);
	free(s->cache);
	free(s);
}

struct ssa_catalog *
catalog_store_port(struct catalog_store *s)
{
	return &s->port;
}

/* --- products --------------------------------------------------------------------------- */

static void
copy_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = t != NULL ? (size_t)sqlite3_column_bytes(st, col) : 0;

	if (n >= size)
		n = size - 1;
	if (n > 0)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

static void
row_product(sqlite3_stmt *st, struct catalog_product *p)
{
	copy_text(p->code, sizeof(p->code), st, 0);
	copy_text(p->name, sizeof(p->name), st, 1);
	p->price = sqlite3_column_int64(st, 2);
	p->unit = sqlite3_column_int(st, 3) == CATALOG_KG ? CATALOG_KG : CATALOG_PIECE;
	p->vat_bp = sqlite3_column_int64(st, 4);
	copy_text(p->category, sizeof(p->category), st, 5);
	p->quick_key = sqlite3_column_type(st, 6) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 6);
}

static enum ssa_err
step_product(struct catalog_store *s, sqlite3_stmt *st, struct catalog_product *out)
{
	enum ssa_err e = SSA_ERR_OK;
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		row_product(st, out);
	else
		e = rc == SQLITE_DONE ? SSA_ERR_NOT_FOUND : db_err(s);
	sqlite3_reset(st);
	return e;
}

static enum ssa_err
port_find(void *cls, const char *code, struct catalog_product *out)
{
	struct catalog_store *s = cls;

	const struct catalog_product *hit;
	uint32_t h;
	enum ssa_err e;

	if (!catalog_code_valid(code))
		return SSA_ERR_NOT_FOUND;
	read_begin(s);
	h = code_hash(code);
	if ((hit = pcache_get(s, code, h)) != NULL) {
		*out = *hit;
		return SSA_ERR_OK;
	}
	sqlite3_bind_text(s->find, 1, code, -1, SQLITE_STATIC);
	if ((e = step_product(s, s->find, out)) == SSA_ERR_OK)
		pcache_put(s, out, h);
	return e;
}

static enum ssa_err
port_find_quick_key(void *cls, int slot, struct catalog_product *out)
{
	struct catalog_store *s = cls;

	if (slot < 1 || slot > CATALOG_QUICK_KEY_MAX)
		return SSA_ERR_NOT_FOUND;
	read_begin(s);
	sqlite3_bind_int(s->find_quick, 1, slot);
	return step_product(s, s->find_quick, out);
}

static enum ssa_err
bind_product(struct catalog_store *s, sqlite3_stmt *st, const struct catalog_product *p)
{
	if (sqlite3_bind_text(st, 1, p->code, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, p->price) || sqlite3_bind_int(st, 4, (int)p->unit) ||
	    sqlite3_bind_int64(st, 5, p->vat_bp) ||
	    sqlite3_bind_text(st, 6, p->category, -1, SQLITE_STATIC) ||
	    (p->quick_key ? sqlite3_bind_int(st, 7, p->quick_key) : sqlite3_bind_null(st, 7)))
		return db_err(s);
	return SSA_ERR_OK;
}

#define PRODUCT_VALUES " (" PRODUCT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"

/* Run @p sql (parameters ?1 a code, ?2 a VAT rate) to completion. */
static enum ssa_err
run_code_vat(struct catalog_store *s, const char *sql, const char *code, int64_t vat_bp)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err e;

	if ((e = prepare(s, sql, &st)))
		return e;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, vat_bp);
	if (sqlite3_step(st) != SQLITE_DONE)
		e = db_err(s);
	sqlite3_finalize(st);
	return e;
}

enum ssa_err
catalog_store_put_product(struct catalog_store *s, const struct catalog_product *p,
			  const struct vat_rates *rates)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err e;

	read_end(s);
	pcache_flush(s);
	if ((e = catalog_product_check(p, rates)) != SSA_ERR_OK)
		return e;
	/* Order matters: the product replaced is taken off the rates summary before it goes. */
	if ((e = exec(s, "BEGIN IMMEDIATE")) ||
	    (e = run_code_vat(s,
			      "UPDATE product_vat SET products = products - 1"
			      " WHERE vat_bp = (SELECT vat_bp FROM product WHERE code = ?1)",
			      p->code, 0)) ||
	    (e = prepare(s, "INSERT OR REPLACE INTO product" PRODUCT_VALUES, &st)))
		goto out;
	if ((e = bind_product(s, st, p)) == SSA_ERR_OK && sqlite3_step(st) != SQLITE_DONE)
		e = db_err(s);
	if (e != SSA_ERR_OK ||
	    (e = run_code_vat(s,
			      "INSERT INTO product_vat (vat_bp, products, example) VALUES (?2, 1, ?1)"
			      " ON CONFLICT (vat_bp) DO UPDATE SET products = products + 1,"
			      " example = min(example, excluded.example)",
			      p->code, p->vat_bp)) ||
	    (e = run_code_vat(s, "DELETE FROM product_vat WHERE products <= 0", NULL, 0)) ||
	    /* a rate whose example just moved away gets its smallest code again (a scan, but
	     * only for a rate that lost its example: rare, and never at start-up) */
	    (e = run_code_vat(s,
			      "UPDATE product_vat SET example = (SELECT min(code) FROM product"
			      " WHERE product.vat_bp = product_vat.vat_bp)"
			      " WHERE NOT EXISTS (SELECT 1 FROM product WHERE code = product_vat.example"
			      " AND product.vat_bp = product_vat.vat_bp)",
			      NULL, 0)))
		goto out;
	e = exec(s, "COMMIT");
out:
	sqlite3_finalize(st);
	if (e != SSA_ERR_OK)
		rollback(s);
	return e;
}

enum ssa_err
catalog_store_count(struct catalog_store *s, size_t *n)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err e;

	read_end(s);
	if ((e = prepare(s, "SELECT count(*) FROM product", &st)))
		return e;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = (size_t)sqlite3_column_int64(st, 0);
	else
		e = db_err(s);
	sqlite3_finalize(st);
	return e;
}

enum ssa_err
catalog_store_each_vat_rate(struct catalog_store *s, const struct vat_rates *skip,
			    void (*fn)(void *arg, int64_t vat_bp, size_t products,
				       const char *example_code),
			    void *arg)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err e;
	int rc;

	read_end(s);
	if ((e = prepare(s, "SELECT vat_bp, products, example FROM product_vat ORDER BY vat_bp",
			 &st)))
		return e;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t bp = sqlite3_column_int64(st, 0);

		/* a rate that is not an integer (a database edited by hand) is always reported */
		if (skip == NULL || sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
		    !vat_rates_contains(skip, bp))
			fn(arg, bp, (size_t)sqlite3_column_int64(st, 1),
			   (const char *)sqlite3_column_text(st, 2));
	}
	if (rc != SQLITE_DONE)
		e = db_err(s);
	sqlite3_finalize(st);
	return e;
}

/* The rates summary of an import, built while the lines go in: a sorted array of the
 * distinct rates (a handful in practice; found by binary search). */
struct vat_count {
	int64_t bp;
	size_t products;
	char example[CATALOG_CODE_MAX + 1]; /* the smallest code, as ORDER BY code sorts */
};

struct vat_counts {
	struct vat_count *v;
	size_t n, cap;
	size_t last; /* the entry counted last: consecutive lines mostly share a rate */
};

static enum ssa_err
vat_count_add(struct vat_counts *c, int64_t bp, const char *code)
{
	size_t lo = 0, hi = c->n;
	struct vat_count *v;

	if (c->last < c->n && c->v[c->last].bp == bp) {
		lo = c->last;
	} else {
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (c->v[mid].bp < bp)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == c->n || c->v[lo].bp != bp) {
			if (c->n == c->cap) {
				size_t nc = c->cap ? c->cap * 2 : 8;
				void *nv = realloc(c->v, nc * sizeof(*c->v));
				if (nv == NULL)
					return SSA_ERR_NOMEM;
				c->v = nv;
				c->cap = nc;
			}
			memmove(&c->v[lo + 1], &c->v[lo], (c->n - lo) * sizeof(*c->v));
			c->n++;
			c->v[lo].bp = bp;
			c->v[lo].products = 0;
			snprintf(c->v[lo].example, sizeof(c->v[lo].example), "%s", code);
		}
	}
	v = &c->v[lo];
	c->last = lo;
	v->products++;
	if (strcmp(code, v->example) < 0)
		snprintf(v->example, sizeof(v->example), "%s", code);
	return SSA_ERR_OK;
}

static enum ssa_err
vat_counts_store(struct catalog_store *s, const struct vat_counts *c)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err e;

	if ((e = prepare(s, "INSERT INTO product_vat (vat_bp, products, example) VALUES (?1, ?2, ?3)",
			 &st)))
		return e;
	for (size_t i = 0; i < c->n && e == SSA_ERR_OK; i++) {
		sqlite3_bind_int64(st, 1, c->v[i].bp);
		sqlite3_bind_int64(st, 2, (int64_t)c->v[i].products);
		sqlite3_bind_text(st, 3, c->v[i].example, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			e = db_err(s);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return e;
}

static void
import_fail(struct catalog_import_result *res, unsigned line, const char *why)
{
	res->line = line;
	snprintf(res->why, sizeof(res->why), "%s", why);
}

/* One line of the CSV (line 1 is the header): parse, bind, insert. */
static enum ssa_err
import_line(struct catalog_store *s, sqlite3_stmt *ins, const char *line, size_t len,
	    const struct vat_rates *rates, unsigned lineno, struct vat_counts *counts,
	    struct catalog_import_result *res)
{
	struct catalog_product p;
	const char *why = NULL;
	enum ssa_err e;
	int rc;

	if (lineno == 1) {
		size_t hl = strlen(CATALOG_CSV_HEADER);
		if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) { /* a spreadsheet's BOM */
			line += 3;
			len -= 3;
		}
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len != hl || memcmp(line, CATALOG_CSV_HEADER, hl) != 0) {
			import_fail(res, 1, "first line must be " CATALOG_CSV_HEADER);
			return SSA_ERR_CATALOG_FORMAT;
		}
		return SSA_ERR_OK;
	}
	if (len == 0 || (len == 1 && line[0] == '\r'))
		return SSA_ERR_OK; /* a blank line */
	if ((e = catalog_csv_parse_line(line, len, rates, &p, &why)) != SSA_ERR_OK) {
		import_fail(res, lineno, why);
		return e;
	}
	if ((e = bind_product(s, ins, &p)) != SSA_ERR_OK)
		return e;
	rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	if (rc == SQLITE_CONSTRAINT) {
		char why2[80];
		snprintf(why2, sizeof(why2), "duplicate code %s", p.code);
		import_fail(res, lineno, why2);
		return SSA_ERR_CATALOG_FORMAT;
	}
	if (rc != SQLITE_DONE) {
		import_fail(res, lineno, sqlite3_errmsg(s->db));
		return db_err(s);
	}
	res->rows++;
	return vat_count_add(counts, p.vat_bp, p.code);
}

enum ssa_err
catalog_store_import_csv(struct catalog_store *s, const char *path, const struct vat_rates *rates,
			 struct catalog_import_result *res)
{
	enum { CHUNK = 1 << 20, MAX_LINE = 4096, BUFSZ = CHUNK + MAX_LINE };
	sqlite3_stmt *ins = NULL;
	struct vat_counts counts = { 0 };
	FILE *f = NULL;
	char *buf = NULL, *p, *end, *nl;
	size_t have = 0, got;
	unsigned lineno = 0;
	enum ssa_err e = SSA_ERR_OK;

	read_end(s);
	pcache_flush(s);
	memset(res, 0, sizeof(*res));
	if ((f = fopen(path, "rb")) == NULL) {
		import_fail(res, 0, "cannot open the file");
		return SSA_ERR_IO;
	}
	if ((buf = malloc(BUFSZ)) == NULL) {
		e = SSA_ERR_NOMEM;
		goto out;
	}
	/* Order matters: the old products go in the same transaction as the new ones come, so a
	 * failure at any line leaves the catalog exactly as it was. */
	if ((e = exec(s, "BEGIN IMMEDIATE; DELETE FROM product; DELETE FROM product_vat;")) ||
	    (e = prepare(s, "INSERT INTO product" PRODUCT_VALUES, &ins)))
		goto out;
	for (;;) {
		got = fread(buf + have, 1, BUFSZ - have, f);
		if (got == 0 && ferror(f)) {
			import_fail(res, lineno, "read error");
			e = SSA_ERR_IO;
			goto out;
		}
		have += got;
		p = buf;
		end = buf + have;
		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			if ((e = import_line(s, ins, p, (size_t)(nl - p), rates, ++lineno,
					       &counts, res)))
				goto out;
			p = nl + 1;
		}
		if (got == 0) { /* end of file: a last line without newline */
			if (p < end && (e = import_line(s, ins, p, (size_t)(end - p), rates,
							++lineno, &counts, res)))
				goto out;
			break;
		}
		have = (size_t)(end - p);
		if (have >= MAX_LINE) {
			import_fail(res, lineno + 1, "line too long");
			e = SSA_ERR_CATALOG_FORMAT;
			goto out;
		}
		memmove(buf, p, have);
	}
	if (lineno == 0) {
		import_fail(res, 1, "empty file");
		e = SSA_ERR_CATALOG_FORMAT;
		goto out;
	}
	if ((e = vat_counts_store(s, &counts)))
		goto out;
	e = exec(s, "COMMIT");
out:
	sqlite3_finalize(ins);
	free(counts.v);
	if (e != SSA_ERR_OK) {
		rollback(s);
		res->rows = 0;
	}
	free(buf);
	fclose(f);
	return e;
}

/* --- convention lists ------------------------------------------------------------------- */

/* The list in force of @p caisse read from the database (NOT_FOUND when none). */
static enum ssa_err
load_list(struct catalog_store *s, const char *caisse, struct convention_list **out)
{
	sqlite3_stmt *h = NULL, *q = NULL;
	struct convention_list *l = NULL;
	size_t cap = 0;
	enum ssa_err e;
	int rc;

	if ((e = prepare(s,
			 "SELECT version, valid_from, valid_to, max_age FROM list WHERE caisse = ?1",
			 &h)) ||
	    (e = prepare(s,
			 "SELECT kind, key, rate_bp, ceiling, cap, date_from, date_to"
			 " FROM list_entry WHERE caisse = ?1 ORDER BY kind, key",
			 &q)))
		goto out;
	sqlite3_bind_text(h, 1, caisse, -1, SQLITE_STATIC);
	rc = sqlite3_step(h);
	if (rc != SQLITE_ROW) {
		e = rc == SQLITE_DONE ? SSA_ERR_NOT_FOUND : db_err(s);
		goto out;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		e = SSA_ERR_NOMEM;
		goto out;
	}
	snprintf(l->caisse, sizeof(l->caisse), "%s", caisse);
	l->version = (uint32_t)sqlite3_column_int64(h, 0);
	l->valid_from = sqlite3_column_int(h, 1);
	l->valid_to = sqlite3_column_int(h, 2);
	l->max_age = (uint32_t)sqlite3_column_int(h, 3);
	sqlite3_bind_text(q, 1, caisse, -1, SQLITE_STATIC);
	/* ORDER BY kind, key in BINARY collation is strcmp's order: the entries come sorted as
	 * convention_list_find expects. */
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct convention_entry *en;
		if (l->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *ne = realloc(l->entries, nc * sizeof(*l->entries));
			if (ne == NULL) {
				e = SSA_ERR_NOMEM;
				goto out;
			}
			l->entries = ne;
			cap = nc;
		}
		en = &l->entries[l->n++];
		memset(en, 0, sizeof(*en));
		en->kind = (enum convention_kind)sqlite3_column_int(q, 0);
		copy_text(en->key, sizeof(en->key), q, 1);
		en->rate_bp = sqlite3_column_int(q, 2);
		en->ceiling = sqlite3_column_int64(q, 3);
		en->cap = sqlite3_column_int64(q, 4);
		en->from = sqlite3_column_int(q, 5);
		en->to = sqlite3_column_int(q, 6);
	}
	if (rc != SQLITE_DONE) {
		e = db_err(s);
		goto out;
	}
	*out = l;
	l = NULL;
out:
	convention_list_free(l);
	sqlite3_finalize(h);
	sqlite3_finalize(q);
	return e;
}

enum ssa_err
catalog_store_get_list(struct catalog_store *s, const char *caisse, struct convention_list **out)
{
	read_end(s);
	return load_list(s, caisse, out);
}

static enum ssa_err
port_list_in_force(void *cls, const char *caisse, const struct convention_list **out)
{
	struct catalog_store *s = cls;
	struct convention_list *l = NULL;
	size_t i;
	uint32_t v;
	enum ssa_err e;
	int rc;

	if (caisse == NULL)
		return SSA_ERR_NOT_FOUND;
	read_fresh(s);
	/* Another process (ssa-syncd) may have put a newer list: compare versions, reload. */
	sqlite3_bind_text(s->list_version, 1, caisse, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->list_version);
	v = rc == SQLITE_ROW ? (uint32_t)sqlite3_column_int64(s->list_version, 0) : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		e = db_err(s);
		sqlite3_reset(s->list_version);
		return e;
	}
	sqlite3_reset(s->list_version);
	if (rc == SQLITE_DONE)
		return SSA_ERR_NOT_FOUND;
	for (i = 0; i < s->n_cache; i++)
		if (strcmp(s->cache[i]->caisse, caisse) == 0)
			break;
	if (i < s->n_cache && s->cache[i]->version == v) {
		*out = s->cache[i];
		return SSA_ERR_OK;
	}
	if ((e = load_list(s, caisse, &l)) != SSA_ERR_OK)
		return e;
	if (i == s->n_cache) {
		void *nc = realloc(s->cache, (s->n_cache + 1) * sizeof(*s->cache));
		if (nc == NULL) {
			convention_list_free(l);
			return SSA_ERR_NOMEM;
		}
		s->cache = nc;
		s->cache[s->n_cache++] = NULL;
	}
	convention_list_free(s->cache[i]);
	s->cache[i] = l;
	*out = l;
	return SSA_ERR_OK;
}

static void
port_close(struct ssa_catalog *self)
{
	catalog_store_close((struct catalog_store *)self);
}

static enum ssa_err
write_entry(struct catalog_store *s, sqlite3_stmt *ins, sqlite3_stmt *del, const char *caisse,
	    const struct convention_entry *en)
{
	sqlite3_stmt *st = en->remove ? del : ins;
	int rc;

	sqlite3_bind_text(st, 1, caisse, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)en->kind);
	sqlite3_bind_text(st, 3, en->key, -1, SQLITE_STATIC);
	if (!en->remove) {
		sqlite3_bind_int(st, 4, en->rate_bp);
		sqlite3_bind_int64(st, 5, en->ceiling);
		sqlite3_bind_int64(st, 6, en->cap);
		sqlite3_bind_int(st, 7, en->from);
		sqlite3_bind_int(st, 8, en->to);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SSA_ERR_OK : db_err(s);
}

/* The same caisse/version already stored with exactly these bytes? */
static enum ssa_err
same_text(struct catalog_store *s, const char *caisse, uint32_t version, const char *text,
	  size_t len, int *same)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err e;

	*same = 0;
	if ((e = prepare(s, "SELECT text FROM list_text WHERE caisse = ?1 AND version = ?2", &st)))
		return e;
	sqlite3_bind_text(st, 1, caisse, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(st, 0);
		*same = (size_t)sqlite3_column_bytes(st, 0) == len &&
			(len == 0 || memcmp(b, text, len) == 0);
	}
	sqlite3_finalize(st);
	return SSA_ERR_OK;
}

static enum ssa_err
run1(struct catalog_store *s, const char *sql, const char *caisse)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err e;

	if ((e = prepare(s, sql, &st)))
		return e;
	sqlite3_bind_text(st, 1, caisse, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		e = db_err(s);
	sqlite3_finalize(st);
	return e;
}

enum ssa_err
catalog_store_put_list(struct catalog_store *s, const char *caisse, const uint8_t pub[32],
		       const char *text, size_t len, struct convention_error *err,
		       uint32_t *version)
{
	struct convention_list *l = NULL, *cur = NULL, *merged = NULL;
	sqlite3_stmt *ins = NULL, *del = NULL, *head = NULL, *txt = NULL;
	enum ssa_err e;
	int same;

	if (len > INT32_MAX)
		return SSA_ERR_TOO_LONG;
	read_end(s);
	if ((e = convention_list_load(text, len, pub, &l, err)) != SSA_ERR_OK)
		return e;
	if (strcmp(l->caisse, caisse) != 0) {
		e = SSA_ERR_LIST_CAISSE;
		goto out;
	}
	if ((e = exec(s, "BEGIN IMMEDIATE")))
		goto out;
	e = load_list(s, caisse, &cur);
	if (e != SSA_ERR_OK && e != SSA_ERR_NOT_FOUND)
		goto out;
	e = SSA_ERR_OK;
	if (cur != NULL && l->version <= cur->version) {
		/* Sync may deliver the list in force again: the very same bytes are a no-op. */
		if ((e = same_text(s, caisse, l->version, text, len, &same)))
			goto out;
		e = same && l->version == cur->version ? SSA_ERR_OK : SSA_ERR_LIST_OLDER;
		if (version != NULL)
			*version = cur->version;
		goto out;
	}
	if (l->base != 0) {
		/* A delta must apply to the version in force, and its removals must exist. */
		if (cur == NULL) {
			e = SSA_ERR_LIST_BASE;
			goto out;
		}
		if ((e = convention_list_apply_delta(cur, l, &merged)) != SSA_ERR_OK)
			goto out;
	}
	if ((e = prepare(s,
			 "INSERT OR REPLACE INTO list_entry (caisse, kind, key, rate_bp, ceiling,"
			 " cap, date_from, date_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			 &ins)) ||
	    (e = prepare(s, "DELETE FROM list_entry WHERE caisse = ?1 AND kind = ?2 AND key = ?3",
			 &del)) ||
	    (e = prepare(s,
			 "INSERT OR REPLACE INTO list (caisse, version, valid_from, valid_to, received,"
			 " max_age) VALUES (?1, ?2, ?3, ?4, CAST(strftime('%s', 'now') AS INTEGER),"
			 " ?5)",
			 &head)) ||
	    (e = prepare(s,
			 "INSERT OR REPLACE INTO list_text (caisse, version, base, text)"
			 " VALUES (?1, ?2, ?3, ?4)",
			 &txt)))
		goto out;
	if (l->base == 0 && (e = run1(s, "DELETE FROM list_entry WHERE caisse = ?1", caisse)))
		goto out;
	for (size_t i = 0; i < l->n; i++)
		if ((e = write_entry(s, ins, del, caisse, &l->entries[i])) != SSA_ERR_OK)
			goto out;
	sqlite3_bind_text(head, 1, caisse, -1, SQLITE_STATIC);
	sqlite3_bind_int64(head, 2, l->version);
	sqlite3_bind_int(head, 3, l->valid_from);
	sqlite3_bind_int(head, 4, l->valid_to);
	sqlite3_bind_int(head, 5, (int)l->max_age); /* a delta's header is the new one */
	sqlite3_bind_text(txt, 1, caisse, -1, SQLITE_STATIC);
	sqlite3_bind_int64(txt, 2, l->version);
	sqlite3_bind_int64(txt, 3, l->base);
	sqlite3_bind_blob(txt, 4, text, (int)len, SQLITE_STATIC);
	if (sqlite3_step(head) != SQLITE_DONE || sqlite3_step(txt) != SQLITE_DONE) {
		e = db_err(s);
		goto out;
	}
	if ((e = exec(s, "COMMIT")))
		goto out;
	if (version != NULL)
		*version = l->version;
out:
	rollback(s); /* a no-op after COMMIT */
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
	sqlite3_finalize(head);
	sqlite3_finalize(txt);
	convention_list_free(merged);
	convention_list_free(cur);
	convention_list_free(l);
	return e;
}

enum ssa_err
catalog_store_list_received(struct catalog_store *s, const char *caisse, uint32_t *version,
			    int64_t *received)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err e;
	int rc;

	read_end(s);
	if ((e = prepare(s, "SELECT version, received FROM list WHERE caisse = ?1", &st)))
		return e;
	sqlite3_bind_text(st, 1, caisse, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = (uint32_t)sqlite3_column_int64(st, 0);
		*received = sqlite3_column_int64(st, 1);
	} else {
		e = rc == SQLITE_DONE ? SSA_ERR_NOT_FOUND : db_err(s);
	}
	sqlite3_finalize(st);
	return e;
}

enum ssa_err
catalog_store_each_list(struct catalog_store *s,
			void (*fn)(void *arg, const char *caisse, uint32_t version,
				   int32_t valid_from, int32_t valid_to, size_t entries),
			void *arg)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err e;
	int rc;

	read_end(s);
	if ((e = prepare(s,
			 "SELECT l.caisse, l.version, l.valid_from, l.valid_to,"
			 " (SELECT count(*) FROM list_entry e WHERE e.caisse = l.caisse)"
			 " FROM list l ORDER BY l.caisse",
			 &st)))
		return e;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(st, 0),
		   (uint32_t)sqlite3_column_int64(st, 1), sqlite3_column_int(st, 2),
		   sqlite3_column_int(st, 3), (size_t)sqlite3_column_int64(st, 4));
	if (rc != SQLITE_DONE)
		e = db_err(s);
	sqlite3_finalize(st);
	return e;
}

enum ssa_err
catalog_store_list_max_age(struct catalog_store *s, const char *caisse, uint32_t *days)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err e;
	int rc;

	read_end(s);
	if ((e = prepare(s, "SELECT max_age FROM list WHERE caisse = ?1", &st)))
		return e;
	sqlite3_bind_text(st, 1, caisse, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*days = (uint32_t)sqlite3_column_int(st, 0);
	else
		e = rc == SQLITE_DONE ? SSA_ERR_NOT_FOUND : db_err(s);
	sqlite3_finalize(st);
	return e;
}
