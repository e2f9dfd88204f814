# ssa-pos — one non-recursive Makefile.
#
#   make            build every program into $(BUILD)/
#   make check      unit tests (plain and ASan+UBSan), integration and UI tests
#   make demo       the whole chain on this machine
#   make bench      benchmarks, printed as ratios against a baseline run side by side
#   make fuzz       libFuzzer targets (clang) for every parser of outside data
#   make install    PREFIX=/usr/local DESTDIR=
#
# Layout (see docs/ARCHITECTURE.md):
#   lib/*.c              -> libssa.a     the pure core
#   io/*.c               -> libssaio.a   adapters shared by several programs (SQLite, files, logs, NFC)
#   <prog dir>/main.c    -> the program; the other .c files of that dir -> <prog>.a
#   tests/unit/test_*.c  -> one cmocka binary per module, linked with every archive
#   tests/fuzz/fuzz_*.c  -> libFuzzer targets (make fuzz)
#   bench/bench_*.c      -> benchmark programs (make bench)

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
V       ?= 0
SAN     ?= 0

PKGS := ncursesw libcurl sqlite3 libcrypto libssl libnfc libfreefare jansson libmicrohttpd gnutls
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)
# A library missing: say so at once, with the way out, rather than fail at link time.  Not for
# the targets that run `make deps` themselves first (check, demo, bench, fuzz) nor deps, clean.
ifeq ($(filter check demo bench fuzz deps clean,$(MAKECMDGOALS)),)
ifneq ($(shell pkg-config --exists $(PKGS) 2>/dev/null && echo ok),ok)
$(error some libraries are missing (pkg-config: $(PKGS)): run 'make deps' (as root it installs them, otherwise it prints the apt-get command))
endif
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wwrite-strings -Wundef -Wcast-qual -Wnull-dereference
ifneq ($(CI),)
WERROR ?= 1
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif

CFLAGS ?= -O2 -g
ifeq ($(SAN),1)
HARDEN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
HARDEN_LD := -fsanitize=address,undefined
else
HARDEN := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now
endif

ALL_CFLAGS  = -std=c17 -D_GNU_SOURCE $(WARN) $(HARDEN) $(CFLAGS) -Iinclude \
              -DSSA_VERSION='"$(VERSION)"' -DSSA_PREFIX='"$(PREFIX)"' $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(HARDEN_LD) $(LDFLAGS)
LIBS        = $(PKG_LIBS) -lpthread -lutil

ifeq ($(V),1)
Q :=
quiet = @:
else
Q := @
quiet = @printf '  %-7s %s\n' $(1) $(2);
endif

# --- sources -----------------------------------------------------------------
LIB_SRC := $(wildcard lib/*.c)
IO_SRC  := $(wildcard io/*.c)
LIB_A   := $(BUILD)/libssa.a
IO_A    := $(BUILD)/libssaio.a

# program name : directory
PROGRAMS := ssa-pos:pos ssa-syncd:sync ssa-caissed:sync/server ssa-admin:tools/admin ssa-cardsim:tools/cardsim \
            ssa-faultproxy:tests/proxy
# test tools: built with the programs, never installed
NOINST   := ssa-faultproxy
prog_name = $(word 1,$(subst :, ,$(1)))
prog_dir  = $(word 2,$(subst :, ,$(1)))
# only programs whose main.c exists yet are built
PRESENT  := $(foreach p,$(PROGRAMS),$(if $(wildcard $(call prog_dir,$(p))/main.c),$(p)))
BINS     := $(foreach p,$(PRESENT),$(BUILD)/$(call prog_name,$(p)))
PROG_ARS := $(foreach p,$(PRESENT),$(BUILD)/$(call prog_name,$(p)).a)

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TEST_HELPER_SRC := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
BENCH_SRC  := $(wildcard bench/bench_*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
# gettext catalogs of ssa-pos: po/<lang>.po -> $(BUILD)/locale/<lang>/LC_MESSAGES/ssa-pos.mo
MO_FILES   := $(patsubst po/%.po,$(BUILD)/locale/%/LC_MESSAGES/ssa-pos.mo,$(wildcard po/*.po))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

.PHONY: all tests check deps demo bench fuzz fuzz-run install clean unit asan-tests
all: $(BINS) $(MO_FILES)

$(BUILD)/obj/%.o: %.c
	$(call quiet,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB_A): $(call obj,$(LIB_SRC))
	$(call quiet,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(IO_A): $(call obj,$(IO_SRC))
	$(call quiet,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^ $(if $^,,$(BUILD)/obj/empty.o)

# One rule pair per program: the archive of its non-main objects, and the program.
define PROGRAM_template
$(BUILD)/$(call prog_name,$(1)).a: $(call obj,$(filter-out $(call prog_dir,$(1))/main.c,$(wildcard $(call prog_dir,$(1))/*.c)))
	$$(call quiet,AR,$$@)
	@mkdir -p $$(dir $$@)
	$$(Q)rm -f $$@ && ar rcs $$@ $$^ $(BUILD)/obj/empty.o
$(BUILD)/$(call prog_name,$(1)).a: $(BUILD)/obj/empty.o
$(BUILD)/$(call prog_name,$(1)): $(call obj,$(call prog_dir,$(1))/main.c) $(BUILD)/$(call prog_name,$(1)).a $(IO_A) $(LIB_A)
	$$(call quiet,LD,$$@)
	$$(Q)$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach p,$(PRESENT),$(eval $(call PROGRAM_template,$(p))))

$(BUILD)/locale/%/LC_MESSAGES/ssa-pos.mo: po/%.po
	$(call quiet,MSGFMT,$@)
	@mkdir -p $(dir $@)
	$(Q)msgfmt --check-format -o $@ $<

$(BUILD)/obj/empty.o:
	@mkdir -p $(dir $@)
	$(Q)printf 'extern int ssa_empty_unit;\n' | $(CC) -x c -c -o $@ -

$(IO_A): $(BUILD)/obj/empty.o

$(BUILD)/tests/%: tests/unit/%.c $(call obj,$(TEST_HELPER_SRC)) $(PROG_ARS) $(IO_A) $(LIB_A)
	$(call quiet,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< \
	  $(call obj,$(TEST_HELPER_SRC)) -Wl,--start-group $(PROG_ARS) $(IO_A) $(LIB_A) -Wl,--end-group \
	  $(CMOCKA_LIBS) $(LIBS)

$(BUILD)/bench/%: bench/%.c $(PROG_ARS) $(IO_A) $(LIB_A)
	$(call quiet,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	  -Wl,--start-group $(PROG_ARS) $(IO_A) $(LIB_A) -Wl,--end-group $(LIBS)

# bench programs are built (not run) by the tests so that an API change cannot break them unseen
tests: $(BINS) $(UNIT_BINS) $(BENCH_BINS) $(MO_FILES)
unit: $(UNIT_BINS)

deps:
	@sh tools/deps.sh

# make check: the plain build runs everything; the ASan+UBSan build runs the unit tests and
# the integration tests again. The last line printed is "N passed, N failed".
check: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan SAN=1 CFLAGS="-O1 -g" tests
	$(Q)sh tests/run.sh $(BUILD) build-asan

# demo, bench and fuzz build in a second make: the pkg-config flags above are read when make
# starts, and on a fresh machine deps installs the libraries only then.
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh tools/demo.sh $(BUILD)

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)sh bench/run.sh $(BUILD)

FUZZ_BUILD := build-fuzz
# Warnings are gcc's business (make check, -Werror in CI); clang builds the fuzzers without -Werror.
# Each target runs FUZZ_SECONDS (default 20) from its seed corpus tests/fuzz/corpus/<target>/.
fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-run

fuzz-run:
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang SAN=1 WERROR=0 \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" $(FUZZ_BUILD)/libssa.a $(FUZZ_BUILD)/libssaio.a
	$(Q)for f in $(FUZZ_SRC); do \
	  n=$$(basename $$f .c); printf '  FUZZ    %s\n' $$n; \
	  clang -std=c17 -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	    -o $(FUZZ_BUILD)/$$n $$f $(FUZZ_BUILD)/libssaio.a $(FUZZ_BUILD)/libssa.a $(LIBS) || exit 1; \
	  mkdir -p $(FUZZ_BUILD)/corpus-$$n; \
	  $(FUZZ_BUILD)/$$n -max_total_time=$${FUZZ_SECONDS:-20} -rss_limit_mb=1024 \
	    -artifact_prefix=$(FUZZ_BUILD)/$$n- $(FUZZ_BUILD)/corpus-$$n \
	    $$(test -d tests/fuzz/corpus/$$n && echo tests/fuzz/corpus/$$n) >$(FUZZ_BUILD)/$$n.log 2>&1 \
	    || { tail -40 $(FUZZ_BUILD)/$$n.log; exit 1; }; \
	  grep -E '^(#[0-9]+ *DONE|Done)' $(FUZZ_BUILD)/$$n.log | tail -1; \
	done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8 \
	  $(DESTDIR)$(PREFIX)/share/ssa-pos $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 $(filter-out $(addprefix $(BUILD)/,$(NOINST)),$(BINS)) $(DESTDIR)$(PREFIX)/bin/
	for m in docs/man/*.1; do [ -f "$$m" ] && install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/; done; true
	for m in docs/man/*.8; do [ -f "$$m" ] && install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man8/; done; true
	for c in config/*.ini config/*.conf config/*.txt; do [ -f "$$c" ] && install -m 0644 $$c $(DESTDIR)$(PREFIX)/share/ssa-pos/; done; true
	for m in $(MO_FILES); do l=$$(basename $$(dirname $$(dirname $$m))); \
	  install -d $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES; \
	  install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES/; done; true
	for u in config/*.service config/*.timer; do [ -f "$$u" ] || continue; \
	  sed 's|/usr/local/|$(PREFIX)/|g' $$u >$(DESTDIR)$(PREFIX)/lib/systemd/system/$$(basename $$u) && \
	  chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/$$(basename $$u); done; true
	# the system users the units run as; created at once on a real install (as root, no DESTDIR)
	install -d $(DESTDIR)$(PREFIX)/lib/sysusers.d
	install -m 0644 config/ssa-pos.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/ssa-pos.conf
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then \
	  systemd-sysusers $(PREFIX)/lib/sysusers.d/ssa-pos.conf; fi

clean:
	rm -rf build build-asan build-fuzz build-*

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
