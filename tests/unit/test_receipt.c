/* test_receipt.c — the receipt's layout (compared whole), the same layout with or without the
 * food card, ESC/POS wrapping in code page 858, durable write to a file, a printer FIFO written
 * directly (and refused at once when nobody reads it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "ssa/allocation.h"
#include "ssa/basket.h"
#include "ssa/convention.h"

#include "../../pos/receipt.h"

static const uint8_t key[32] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
				 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };

#define LIST \
	"ssa-list,1\ncaisse,caisse-34\nversion,3\nvalid,2026-01-01,\n" \
	"category,legumineuses,100,,,,\ncategory,fromage,50,,,,\nexclude,alcool,,,,,\n"

static struct catalog_product
product(const char *code, const char *name, int64_t price, enum catalog_unit unit, int64_t vat,
	const char *cat)
{
	struct catalog_product p = { .price = price, .unit = unit, .vat_bp = vat };

	strcpy(p.code, code);
	strcpy(p.name, name);
	strcpy(p.category, cat);
	return p;
}

struct sale {
	struct convention_list *list;
	struct basket b;
	struct allocation a;
};

static void
sale_setup(struct sale *s, int64_t balance)
{
	struct catalog_product lent = product("3560070894222", "Lentilles vertes 500 g", 235,
					      CATALOG_PIECE, 550, "legumineuses");
	struct catalog_product comte = product("2345678", "Comté au lait cru", 2490, CATALOG_KG, 550,
					       "fromage");
	struct catalog_product vin = product("3176582033303", "Vin rouge 75 cl", 590, CATALOG_PIECE,
					     2000, "alcool");
	struct convention_error err;
	char *text = NULL;
	size_t len;

	assert_int_equal(convention_sign(LIST, strlen(LIST), key, &text, &len), SSA_ERR_OK);
	assert_int_equal(convention_list_parse(text, len, &s->list, &err), SSA_ERR_OK);
	free(text);
	basket_init(&s->b, 20261123);
	assert_int_equal(basket_add_pieces(&s->b, &lent, 3, NULL), SSA_ERR_OK);
	assert_int_equal(basket_add_weight(&s->b, &comte, 350, NULL), SSA_ERR_OK);
	assert_int_equal(basket_add_pieces(&s->b, &vin, 1, NULL), SSA_ERR_OK);
	assert_int_equal(basket_set_list(&s->b, s->list, 20261123, NULL, 0), SSA_ERR_OK);
	assert_int_equal(allocation_compute(&s->b, balance, &s->a), SSA_ERR_OK);
}

static void
sale_teardown(struct sale *s)
{
	basket_fini(&s->b);
	convention_list_free(s->list);
}

static const char expected_card[] =
	"           Épicerie du Marché\n"
	"  3 rue des Halles, 34000 Montpellier\n"
	"----------------------------------------\n"
	"Sale 42                 23/11/2026 14:02\n"
	"Till T01                      Operator 7\n"
	"----------------------------------------\n"
	"Lentilles vertes 500 g\n"
	"  3 x 2,35 €                    7,05 € S\n"
	"Comté au lait cru\n"
	"  0,350 kg x 24,90 €/kg         8,72 € S\n"
	"Vin rouge 75 cl\n"
	"  1 x 5,90 €                    5,90 €  \n"
	"----------------------------------------\n"
	"TOTAL                            21,67 €\n"
	"of which covered by SSA          10,00 €\n"
	"----------------------------------------\n"
	"SSA card                         10,00 €\n"
	"cash                             20,00 €\n"
	"Change given                      8,33 €\n"
	"Card balance after                0,00 €\n"
	"----------------------------------------\n"
	"VAT          excl.       VAT       incl.\n"
	"5,5 %        14,95      0,82       15,77\n"
	"20 %          4,92      0,98        5,90\n"
	"----------------------------------------\n"
	"S: product covered by the SSA caisse\n";

static void
test_layout(void **state)
{
	struct sale s;
	struct receipt r = {
		.shop_name = "Épicerie du Marché",
		.shop_address = "3 rue des Halles, 34000 Montpellier",
		.terminal_id = "T01",
		.operator_id = "7",
		.sale_no = 42,
		.time_text = "23/11/2026 14:02",
		.card = true,
		.loc = MONEY_FR,
		.width = 40,
	};
	char *text = NULL;
	size_t len;

	(void)state;
	/* covered: 7.05 + 50 % of 8.72 = 11.41; the card has 10.00 */
	sale_setup(&s, 1000);
	assert_int_equal(s.a.ssa_debit, 1000);
	assert_int_equal(allocation_pay(&s.a, TENDER_CASH, 2000), SSA_ERR_OK);
	r.basket = &s.b;
	r.alloc = &s.a;
	assert_int_equal(receipt_format(&r, &text, &len), SSA_ERR_OK);
	assert_int_equal(strlen(text), len);
	assert_string_equal(text, expected_card);
	free(text);
	sale_teardown(&s);
}

/* Number of lines of @p text and, per line, nothing wider than @p w characters. */
static int
check_lines(const char *text, int w)
{
	int lines = 0, n = 0;

	for (const char *p = text; *p; p++) {
		if (*p == '\n') {
			lines++;
			n = 0;
		} else if (((unsigned char)*p & 0xc0) != 0x80) {
			assert_true(++n <= w);
		}
	}
	return lines;
}

static void
test_same_layout_without_card(void **state)
{
	struct sale s1, s2;
	struct receipt r = { .sale_no = 1, .time_text = "t", .loc = MONEY_EN, .width = 32 };
	char *with = NULL, *without = NULL;
	size_t len;

	(void)state;
	sale_setup(&s1, 5000);
	assert_int_equal(allocation_pay(&s1.a, TENDER_BANK_CARD, allocation_due(&s1.a)),
			 SSA_ERR_OK);
	sale_setup(&s2, 0);
	assert_int_equal(allocation_pay(&s2.a, TENDER_BANK_CARD, allocation_due(&s2.a)),
			 SSA_ERR_OK);
	r.basket = &s1.b;
	r.alloc = &s1.a;
	r.card = true;
	assert_int_equal(receipt_format(&r, &with, &len), SSA_ERR_OK);
	r.basket = &s2.b;
	r.alloc = &s2.a;
	r.card = false;
	assert_int_equal(receipt_format(&r, &without, &len), SSA_ERR_OK);
	/* Same lines, same order: only the SSA tender and the balance line differ. */
	assert_int_equal(check_lines(with, 32), check_lines(without, 32) + 2);
	assert_non_null(strstr(with, "SSA card"));
	assert_null(strstr(without, "SSA card"));
	assert_non_null(strstr(with, "bank card"));
	assert_non_null(strstr(without, "bank card"));
	assert_non_null(strstr(with, "€21.67"));
	free(with);
	free(without);
	sale_teardown(&s1);
	sale_teardown(&s2);
}

static void
test_duplicate_and_bad_width(void **state)
{
	struct sale s;
	struct receipt r = { .sale_no = 9, .loc = MONEY_EN, .width = 40, .copy = 2 };
	char *text = NULL;
	size_t len;

	(void)state;
	sale_setup(&s, 0);
	r.basket = &s.b;
	r.alloc = &s.a;
	assert_int_equal(receipt_format(&r, &text, &len), SSA_ERR_OK);
	assert_non_null(strstr(text, "DUPLICATE 2"));
	free(text);
	r.width = RECEIPT_MIN_WIDTH - 1;
	assert_int_equal(receipt_format(&r, &text, &len), SSA_ERR_INVAL);
	r.width = RECEIPT_MAX_WIDTH + 1;
	assert_int_equal(receipt_format(&r, &text, &len), SSA_ERR_INVAL);
	sale_teardown(&s);
}

static void
test_escpos_and_write(void **state)
{
	const char text[] = "Comté 2,35 €\n\xff\n";
	char *out = NULL, dir[] = "/tmp/ssa-receipt.XXXXXX", path[64], back[256];
	size_t len;
	FILE *f;

	(void)state;
	assert_int_equal(receipt_escpos(text, strlen(text), &out, &len), SSA_ERR_OK);
	assert_memory_equal(out, "\x1b@\x1bt\x13", 5);
	/* é is 0x82 and € is 0xd5 in code page 858; a stray byte becomes '?' */
	assert_memory_equal(out + 5, "Comt\x82 2,35 \xd5\n?\n", 15);
	assert_memory_equal(out + len - 4, "\x1dV\x42", 3);
	assert_int_equal(out[len - 1], 0);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/receipt.txt", dir);
	assert_int_equal(receipt_write(path, "first\n", 6), SSA_ERR_OK);
	assert_int_equal(receipt_write(path, text, strlen(text)), SSA_ERR_OK);
	f = fopen(path, "rb");
	assert_non_null(f);
	len = fread(back, 1, sizeof(back), f);
	fclose(f);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(back, text, len);
	unlink(path);
	snprintf(path, sizeof(path), "%s/no/such/dir", dir);
	assert_int_equal(receipt_write(path, "x", 1), SSA_ERR_IO);
	rmdir(dir);
	free(out);
}

/* A printer behind a FIFO: nobody reading is SSA_ERR_IO at once (never a blocked till) and the
 * FIFO stays; with a reader, the bytes go through and the FIFO is still a FIFO. */
static void
test_write_fifo(void **state)
{
	char dir[] = "/tmp/ssa-receipt.XXXXXX", path[64], got[64];
	const char data[] = "\x1b@receipt\x1dV\x42";
	int p[2], status = 0;
	struct stat st;
	ssize_t n;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/printer", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(receipt_write(path, data, sizeof(data)), SSA_ERR_IO);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));

	/* The reader: a child that opens the FIFO, then tells the parent through a pipe. */
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(path, O_RDONLY | O_NONBLOCK), self;
		char buf[64];
		size_t len = 0;

		/* A writer of its own, so that reading before the parent writes waits instead of
		 * seeing the end of the file; the parent's bytes are read by their count. */
		self = fd < 0 ? -1 : open(path, O_WRONLY | O_NONBLOCK);
		if (self < 0 || fcntl(fd, F_SETFL, 0) != 0 || write(p[1], "r", 1) != 1)
			_exit(2);
		alarm(20); /* bounded: the parent writes at once */
		while (len < sizeof(data) && (n = read(fd, buf + len, sizeof(buf) - len)) > 0)
			len += (size_t)n;
		_exit(write(p[1], buf, len) == (ssize_t)len ? 0 : 3);
	}
	close(p[1]);
	assert_int_equal(read(p[0], got, 1), 1);
	assert_int_equal(receipt_write(path, data, sizeof(data)), SSA_ERR_OK);
	n = read(p[0], got, sizeof(got));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(n, (ssize_t)sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	close(p[0]);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_same_layout_without_card),
		cmocka_unit_test(test_duplicate_and_bad_width),
		cmocka_unit_test(test_escpos_and_write),
		cmocka_unit_test(test_write_fifo),
	};
	return cmocka_run_group_tests_name("receipt", tests, NULL, NULL);
}
