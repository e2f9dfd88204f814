/* bench_catalog.c — a 1,000,000-product catalog: CSV import against the sqlite3 CLI's .import of
 * the same CSV, the till's start-up, lookups per second, the till's peak RSS.
 *
 * The till's start-up is what ssa-pos does with its catalog before the first scan: open it, read
 * the lists in force, check the products' VAT rates against [vat] rates.
 * Two floors are timed on the same file, in this process (their RSS is not the till's): a pread
 * of one random 4 KiB page, what a uniform lookup costs at least when the catalog cannot stay in
 * the process's memory, and a bare SQLite point SELECT of the same products (no code of ours).
 * The CSV is generated here (codes are 13-digit GTINs in ascending order, as an export sorted by
 * code comes).  The till part runs in a fresh process (this program re-executed with "till") so
 * that its peak RSS is its own.  Prints a table with ratios; asserts nothing.
 *
 * Usage: bench_catalog [N]   (SSA_BENCH_DIR: scratch directory, default /tmp) */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ssa/catalog_store.h"

#define HOT 10000 /* products a shop sells most */

static const uint8_t bench_key[32] = { 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42,
				       42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42 };

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The code of product @p i: "3" + 11 digits + GS1 check digit, into buf (14 bytes). */
static void
code_of(uint64_t i, char *buf)
{
	uint64_t v = 30000000000ULL + i * 7;
	int sum = 0;

	buf[0] = '3';
	for (int k = 11; k >= 1; k--) {
		buf[k] = (char)('0' + v % 10);
		v /= 10;
	}
	for (int k = 0; k < 12; k++)
		sum += (buf[k] - '0') * (k % 2 ? 3 : 1);
	buf[12] = (char)('0' + (10 - sum % 10) % 10);
	buf[13] = '\0';
}

static const char *const cats[] = { "epicerie", "fruits-legumes", "boulangerie", "cremerie",
				    "boucherie", "droguerie", "alcool", "boissons" };
static const char *const vats[] = { "5.5", "5.5", "5.5", "5.5", "5.5", "20", "20", "5.5" };

static int
gen_csv(const char *path, uint64_t n)
{
	FILE *f = fopen(path, "w");
	char code[16];

	if (f == NULL)
		return -1;
	fprintf(f, "%s\n", CATALOG_CSV_HEADER);
	for (uint64_t i = 0; i < n; i++) {
		unsigned c = (unsigned)(i % 8);
		code_of(i, code);
		fprintf(f, "%s,Produit %" PRIu64 " %s,%" PRIu64 ".%02u,%s,%s,%s,%s\n", code, i,
			cats[c], 1 + i % 40, (unsigned)(i % 100), i % 13 == 0 ? "kg" : "piece",
			vats[c], cats[c], i < 40 ? (char[]){ (char)('1' + i % 9), 0 } : "");
	}
	return fclose(f);
}

static int
put_list(struct catalog_store *s, const char *caisse, int entries)
{
	char *body = malloc((size_t)entries * 64 + 512), *text = NULL, code[16];
	size_t n = 0, len;
	uint8_t pub[32];
	struct convention_error err;
	enum ssa_err e;

	if (body == NULL)
		return -1;
	n += (size_t)sprintf(body + n, "ssa-list,1\ncaisse,%s\nversion,1\nvalid,2026-01-01,\n",
			     caisse);
	n += (size_t)sprintf(body + n, "category,fruits-legumes,100,4.00,,,\n"
				       "category,epicerie,50,,60.00,,\nexclude,alcool,,,,,\n");
	for (int i = 0; i < entries; i++) {
		code_of((uint64_t)i * 97, code);
		n += (size_t)sprintf(body + n, "code,%s,100,,,,\n", code);
	}
	convention_public_key(bench_key, pub);
	e = convention_sign(body, n, bench_key, &text, &len);
	if (e == SSA_ERR_OK)
		e = catalog_store_put_list(s, caisse, pub, text, len, &err, NULL);
	if (e != SSA_ERR_OK)
		fprintf(stderr, "put list: %s (line %u: %s)\n", ssa_strerror(e), err.line, err.msg);
	free(text);
	free(body);
	return e == SSA_ERR_OK ? 0 : -1;
}

static void
vat_seen(void *arg, int64_t vat_bp, size_t products, const char *example_code)
{
	(void)vat_bp;
	(void)example_code;
	*(size_t *)arg += products;
}

/* The till's side, in its own process: open, load the lists in force, check the products' VAT
 * rates against the configured ones (as ssa-pos does at start-up), then look up. */
static int
till(const char *db, uint64_t n, uint64_t lookups)
{
	struct catalog_store *s = NULL;
	struct ssa_catalog *cat;
	const struct convention_list *l;
	struct catalog_product p;
	struct vat_rates fr;
	size_t outside = 0;
	char code[16];
	double t0 = now(), t1, t2, t3;
	uint64_t x = 88172645463325252ULL, found = 0;

	if (catalog_store_open(db, &s) != SSA_ERR_OK)
		return 1;
	cat = catalog_store_port(s);
	if (cat->list_in_force(cat->cls, "caisse-34", &l) != SSA_ERR_OK ||
	    cat->list_in_force(cat->cls, "caisse-30", &l) != SSA_ERR_OK)
		return 1;
	if (vat_rates_parse("2.1, 5.5, 10, 20", &fr) != SSA_ERR_OK ||
	    catalog_store_each_vat_rate(s, &fr, vat_seen, &outside) != SSA_ERR_OK || outside != 0)
		return 1;
	code_of(0, code);
	if (cat->find(cat->cls, code, &p) != SSA_ERR_OK)
		return 1;
	t1 = now();
	/* Uniform over the whole catalog: nearly every lookup reads a page from the OS. */
	for (uint64_t i = 0; i < lookups; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		code_of(x % n, code);
		found += cat->find(cat->cls, code, &p) == SSA_ERR_OK;
	}
	t2 = now();
	/* A shop's scans: HOT products spread over the catalog take every lookup. */
	for (uint64_t i = 0; i < lookups; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		code_of((x % HOT) * (n / HOT), code);
		found += cat->find(cat->cls, code, &p) == SSA_ERR_OK;
	}
	t3 = now();
	catalog_close(cat);
	printf("%.6f %.1f %.1f %" PRIu64 "\n", t1 - t0, (double)lookups / (t2 - t1),
	       (double)lookups / (t3 - t2), found);
	return found == 2 * lookups ? 0 : 1;
}

/* Random 4 KiB pages of @p db read with pread, per second (the uniform lookups' floor). */
static double
floor_pread(const char *db, uint64_t reads)
{
	char page[4096];
	uint64_t x = 88172645463325252ULL, pages;
	double t0;
	off_t size;
	int fd = open(db, O_RDONLY);

	if (fd < 0 || (size = lseek(fd, 0, SEEK_END)) < (off_t)sizeof(page)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	pages = (uint64_t)size / sizeof(page);
	t0 = now();
	for (uint64_t i = 0; i < reads; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (pread(fd, page, sizeof(page), (off_t)(x % pages * sizeof(page))) !=
		    (ssize_t)sizeof(page))
			break;
	}
	t0 = now() - t0;
	close(fd);
	return (double)reads / t0;
}

/* Bare SQLite: the product SELECT by code, uniform over the catalog, in one read transaction,
 * its columns read, per second (what the catalog store wraps). */
static double
floor_sqlite(const char *db, uint64_t n, uint64_t lookups)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	uint64_t x = 88172645463325252ULL, found = 0;
	char code[16];
	double t0, rate = 0;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h,
			       "SELECT code, name, price, unit, vat_bp, category, quick_key"
			       " FROM product WHERE code = ?1",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_exec(h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	t0 = now();
	for (uint64_t i = 0; i < lookups; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		code_of(x % n, code);
		sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			/* the columns read as the store reads them, not copied */
			for (int c = 0; c < 7; c++)
				if (sqlite3_column_type(st, c) == SQLITE_TEXT)
					sqlite3_column_bytes(st, c);
				else
					sqlite3_column_int64(st, c);
			found++;
		}
		sqlite3_reset(st);
	}
	t0 = now() - t0;
	if (found == lookups)
		rate = (double)lookups / t0;
	sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
out:
	sqlite3_finalize(st);
	sqlite3_close(h);
	return rate;
}

/* Run "this program till DB N LOOKUPS" and read its figures and its own rusage. */
static int
run_till(const char *db, uint64_t n, uint64_t lookups, double *startup, double *rate,
	 double *rate_hot, struct rusage *ru)
{
	char a3[32], a4[32], out[256];
	int fd[2], status;
	ssize_t got;
	size_t have = 0;
	pid_t pid;

	snprintf(a3, sizeof(a3), "%" PRIu64, n);
	snprintf(a4, sizeof(a4), "%" PRIu64, lookups);
	if (pipe(fd) != 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execl("/proc/self/exe", "bench_catalog", "till", db, a3, a4, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	while (have + 1 < sizeof(out) &&
	       (got = read(fd[0], out + have, sizeof(out) - 1 - have)) > 0)
		have += (size_t)got;
	out[have] = '\0';
	close(fd[0]);
	if (wait4(pid, &status, 0, ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return sscanf(out, "%lf %lf %lf", startup, rate, rate_hot) == 3 ? 0 : -1;
}

static double
file_mb(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (double)st.st_size / 1e6 : 0;
}

int
main(int argc, char **argv)
{
	const char *dir = getenv("SSA_BENCH_DIR");
	uint64_t n = 1000000, lookups = 2000000;
	char csv[512], db[512], ref[512], cmd[2048], line[256];
	struct catalog_store *s = NULL;
	struct catalog_import_result res;
	struct rusage ru;
	double t0, ours, theirs, startup = 0, rate = 0, rate_hot = 0, raw_read, raw_sql;
	int status;
	enum ssa_err e;

	if (argc == 5 && strcmp(argv[1], "till") == 0)
		return till(argv[2], strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
	if (argc > 1)
		n = strtoull(argv[1], NULL, 10);
	if (n == 0)
		n = 1000000;
	if (dir == NULL)
		dir = "/tmp";
	snprintf(csv, sizeof(csv), "%s/bench-products.csv", dir);
	snprintf(db, sizeof(db), "%s/bench-catalog.db", dir);
	snprintf(ref, sizeof(ref), "%s/bench-sqlite3-import.db", dir);
	unlink(db);
	unlink(ref);
	if (gen_csv(csv, n) != 0) {
		perror(csv);
		return 1;
	}

	/* ssa-pos: open (create the schema) and import, one transaction, synchronous=FULL. */
	t0 = now();
	if ((e = catalog_store_open(db, &s)) != SSA_ERR_OK ||
	    (e = catalog_store_import_csv(s, csv, NULL, &res)) != SSA_ERR_OK) {
		fprintf(stderr, "import: %s (line %u: %s)\n", ssa_strerror(e), res.line, res.why);
		return 1;
	}
	ours = now() - t0;
	if (put_list(s, "caisse-34", 5000) != 0 || put_list(s, "caisse-30", 500) != 0)
		return 1;
	catalog_store_close(s);

	/* Baseline: the sqlite3 CLI importing the same CSV into a new table. */
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' '.import --csv %s product'", ref, csv);
	t0 = now();
	status = system(cmd);
	theirs = now() - t0;
	if (status != 0) {
		fprintf(stderr, "baseline failed: %s\n", cmd);
		return 1;
	}

	/* The till, in a fresh process, so that its peak RSS is its own. */
	if (run_till(db, n, lookups, &startup, &rate, &rate_hot, &ru) != 0) {
		fprintf(stderr, "till process failed\n");
		return 1;
	}

	raw_read = floor_pread(db, lookups);
	raw_sql = floor_sqlite(db, n, lookups);

	printf("catalog: %" PRIu64 " products, CSV %.1f MB, database %.1f MB (scratch %s)\n", n,
	       file_mb(csv), file_mb(db), dir);
	printf("  %-22s %-16s %-26s %-8s %s\n", "", "ssa-pos", "baseline", "ratio", "goal");
	printf("  %-22s %-16s %-26s %-8s %s\n", "CSV import", "", "", "", "");
	snprintf(line, sizeof(line), "%.2f s", ours);
	snprintf(cmd, sizeof(cmd), "sqlite3 .import %.2f s", theirs);
	printf("  %-22s %-16s %-26s %-8s %s\n", "  (1 transaction)", line, cmd,
	       (snprintf(csv, sizeof(csv), "%.2fx", ours / theirs), csv), "<= 1.5x");
	snprintf(line, sizeof(line), "%.1f ms", startup * 1000);
	printf("  %-22s %-16s %-26s %-8s %s\n", "till start-up", line, "", "", "");
	snprintf(line, sizeof(line), "%.0f/s", rate);
	printf("  %-22s %-16s %-26s %-8s %s\n", "lookups, uniform", line, "", "", ">= 500000/s");
	snprintf(line, sizeof(line), "%.0f/s", raw_sql);
	printf("  %-22s %-16s %-26s %-8s %s\n", "  floor: bare SQLite", line,
	       "(the same SELECT, no wrapper)", "", "");
	snprintf(line, sizeof(line), "%.0f/s", raw_read);
	printf("  %-22s %-16s %-26s %-8s %s\n", "  floor: pread 4 KiB", line,
	       "(one random page a lookup)", "", "");
	snprintf(line, sizeof(line), "%.0f/s", rate_hot);
	snprintf(cmd, sizeof(cmd), "(%d hot products)", HOT);
	printf("  %-22s %-16s %-26s %-8s %s\n", "lookups, shop-like", line, cmd, "",
	       ">= 500000/s");
	snprintf(line, sizeof(line), "%.1f MB", (double)ru.ru_maxrss / 1024);
	printf("  %-22s %-16s %-26s %-8s %s\n", "peak RSS (till)", line, "", "", "<= 16 MB");
	if (getenv("SSA_BENCH_KEEP") == NULL)
		unlink(db);
	unlink(ref);
	snprintf(csv, sizeof(csv), "%s/bench-products.csv", dir);
	unlink(csv);
	return 0;
}
