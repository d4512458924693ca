# Makefile - builds kbuild and latency-bench, runs the unit, CLI and real-kernel tests, installs
#
#   make                 build out/kbuild
#   make check-fast      unit + CLI tests (the edit loop)
#   make check           everything, real kernel trees included, each fuzzer for FUZZ_CHECK_TIME (12) s;
#                        first scripts/install-deps (check-deps): installs what is missing as root, else stops
#   make fuzz            build the libFuzzer harnesses of tests/fuzz/ (clang) and run each for
#                        FUZZ_TIME (60) s, keeping what they learn in $(O)/fuzz/corpus; FUZZ="kconfig ..."
#                        picks some; a crash, hang, leak or OOM input lands in $(O)/fuzz/artifacts
#   make DEVELOPER=1     strict warnings as errors
#   make SANITIZE=address,undefined check-fast
#   make V=1             full command lines
#   make O=DIR           objects and binaries in DIR (default out, out-sanitize with SANITIZE)

ifdef SANITIZE
O ?= out-sanitize
else
O ?= out
endif
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
DATADIR = $(PREFIX)/share/kbuild
MANDIR = $(PREFIX)/share/man

CC ?= cc
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 -Wall -Wextra -Ilib -MMD -MP $(CFLAGS) \
	-DKB_VERSION='"$(VERSION)"' -DKB_SRCDIR='"$(CURDIR)"' -DKB_DATADIR='"$(DATADIR)"'
ALL_LDFLAGS = $(LDFLAGS)
LIBS = $(shell pkg-config --libs zlib libcrypto libkmod 2>/dev/null || echo -lz -lcrypto -lkmod)
# latency-bench: json-c reads results, alsa-lib and jack2 are the audio planes (libjack is opened
# by the JACK plane when it runs, jack-dl.c: not ~2 MB of C++ at every start), libpipewire reads
# and sets what PipeWire's JACK runs at (opened on first use too, pw-dl.c), ncursesw the live
# view, libtracefs and libtraceevent the kernel's timerlat and osnoise tracers (cause.c).
# PipeWire's and SPA's headers are system headers: their inline functions are not ours to warn about
PW_CFLAGS = $(patsubst -I%,-isystem %,$(shell pkg-config --cflags libpipewire-0.3 2>/dev/null || \
	echo -I/usr/include/pipewire-0.3 -I/usr/include/spa-0.2 -D_REENTRANT))
PW_LIBDIR = $(shell pkg-config --variable=libdir libpipewire-0.3 2>/dev/null || echo /usr/lib/$$(gcc -print-multiarch))
LB_CFLAGS = $(shell pkg-config --cflags json-c alsa jack libtracefs libtraceevent 2>/dev/null || \
	echo -I/usr/include/json-c -I/usr/include/tracefs -I/usr/include/traceevent) $(PW_CFLAGS) \
	-DLB_PW_JACK_DIR='"$(PW_LIBDIR)/pipewire-0.3/jack"'
LB_LIBS = $(shell pkg-config --libs json-c zlib alsa ncursesw libtracefs libtraceevent 2>/dev/null || \
	echo -ljson-c -lz -lasound -lncursesw -ltinfo -ltracefs -ltraceevent) -lpthread -lm -ldl
NCURSES_CFLAGS = $(filter-out -D_XOPEN_SOURCE=%,$(shell pkg-config --cflags ncursesw 2>/dev/null))

ifeq ($(DEVELOPER),1)
ALL_CFLAGS += -Werror -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-Wno-format-nonliteral
endif
ifdef SANITIZE
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

VERSION := $(shell git -C $(CURDIR) describe --always --dirty 2>/dev/null || echo 0.1)

ifeq ($(V),1)
Q =
quiet = @:
else
Q = @
quiet = @printf '  %-7s %s\n'
endif

LIB_SRC = $(wildcard lib/*.c)
KBUILD_SRC = $(wildcard src/kbuild/*.c)
KBUILD_CORE = $(filter-out src/kbuild/main.c,$(KBUILD_SRC))
LB_SRC = $(wildcard src/latency-bench/*.c)
LB_CORE = $(filter-out src/latency-bench/main.c,$(LB_SRC))
UNIT_SRC = $(wildcard tests/unit/test-*.c)

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))
LIB_OBJ = $(call obj,$(LIB_SRC))
KBUILD_OBJ = $(call obj,$(KBUILD_SRC))
CORE_OBJ = $(call obj,$(KBUILD_CORE))
LB_OBJ = $(call obj,$(LB_SRC))
LB_CORE_OBJ = $(call obj,$(LB_CORE))
UNIT_BIN = $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))
TOOL_BIN = $(patsubst tests/tools/%.c,$(O)/tests/%,$(wildcard tests/tools/*.c))

all: $(O)/kbuild $(O)/latency-bench
.SECONDARY:
.PHONY: FORCE all check check-deps check-fast check-unit check-cli check-kernel fuzz fuzz-build bench install clean

# make check on a fresh Debian machine: install what the tests need (as root) or stop before the
# first compile, naming the one command to run; every object waits for it (order-only, via .cflags)
ifneq ($(filter check,$(MAKECMDGOALS)),)
DEPS_GATE = check-deps
endif
check-deps:
	$(Q)if command -v dpkg-query >/dev/null; then scripts/install-deps; fi

# rebuild everything when the compiler flags change: one record for both programs (see private below)
CFLAGS_RECORD = $(CC) $(ALL_CFLAGS) $(LB_CFLAGS) $(NCURSES_CFLAGS) $(ALL_LDFLAGS)
$(O)/.cflags: FORCE | $(DEPS_GATE)
	@mkdir -p $(O)
	@echo '$(CFLAGS_RECORD)' | cmp -s - $@ || echo '$(CFLAGS_RECORD)' >$@
FORCE:

$(O)/obj/%.o: %.c $(O)/.cflags
	@mkdir -p $(dir $@)
	$(quiet) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/kbuild: $(KBUILD_OBJ) $(LIB_OBJ)
	$(quiet) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# an archive, so that latency-bench links only the helpers it uses (not sha256's libcrypto)
$(O)/libkb.a: $(LIB_OBJ)
	$(quiet) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/latency-bench: $(LB_OBJ) $(O)/libkb.a
	$(quiet) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LB_LIBS)

# make prefers the pattern with the shorter stem: latency-bench's tests link its own core
$(O)/tests/test-lb-%: $(O)/obj/tests/unit/test-lb-%.o $(LB_CORE_OBJ) $(O)/libkb.a
	@mkdir -p $(dir $@)
	$(quiet) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LB_LIBS)

$(O)/tests/%: $(O)/obj/tests/unit/%.o $(CORE_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(quiet) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# programs the tests run beside the ones under test (disturbances, peers); lb-stall is a JACK client
$(O)/tests/lb-stall: $(O)/obj/tests/tools/lb-stall.o
	@mkdir -p $(dir $@)
	$(quiet) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell pkg-config --libs jack 2>/dev/null || echo -ljack)

$(O)/tests/lb-%: $(O)/obj/tests/tools/lb-%.o
	@mkdir -p $(dir $@)
	$(quiet) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

# private: $(O)/.cflags, a prerequisite of every object, must not inherit one program's additions,
# or building kbuild and latency-bench in turn rewrites it and recompiles everything each time
$(O)/obj/src/kbuild/%.o: private ALL_CFLAGS += -Isrc/kbuild
$(O)/obj/src/latency-bench/%.o: private ALL_CFLAGS += -Isrc/latency-bench $(LB_CFLAGS)
$(O)/obj/src/latency-bench/live.o: private ALL_CFLAGS += $(NCURSES_CFLAGS)
$(O)/obj/tests/unit/%.o: private ALL_CFLAGS += -Itests/unit -Isrc/kbuild
$(O)/obj/tests/unit/test-lb-%.o: private ALL_CFLAGS += -Isrc/latency-bench $(LB_CFLAGS)

# ---- fuzzing: clang's libFuzzer under ASan and UBSan; objects in $(O)/fuzz, apart from the normal build ----
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_CHECK_TIME ?= 12
FUZZ_NAMES = $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BIN = $(patsubst %,$(O)/fuzz/fuzz-%,$(FUZZ_NAMES))
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=gnu11 -O1 -g -Wall -Wextra -Ilib -Isrc/kbuild -Isrc/latency-bench -Itests/fuzz -MMD -MP \
	$(LB_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	-DKB_VERSION='"$(VERSION)"' -DKB_SRCDIR='"$(CURDIR)"' -DKB_DATADIR='"$(DATADIR)"'
fuzz_obj = $(patsubst %.c,$(O)/fuzz/obj/%.o,$(1))

$(O)/fuzz/.cflags: FORCE | $(DEPS_GATE)
	@mkdir -p $(O)/fuzz
	@command -v $(FUZZ_CC) >/dev/null || { echo "error: '$(FUZZ_CC)' not found: the fuzzers need clang and" \
		"its libFuzzer (libclang-rt-14-dev): run scripts/install-deps" >&2; exit 1; }
	@echo '$(FUZZ_CC) $(FUZZ_CFLAGS)' | cmp -s - $@ || echo '$(FUZZ_CC) $(FUZZ_CFLAGS)' >$@

$(O)/fuzz/obj/%.o: %.c $(O)/fuzz/.cflags
	@mkdir -p $(dir $@)
	$(quiet) FUZZCC $<
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(if $(filter src/latency-bench/live.c,$<),$(NCURSES_CFLAGS)) -c -o $@ $<

$(O)/fuzz/libkb.a: $(call fuzz_obj,$(KBUILD_CORE) $(LIB_SRC) tests/fuzz/fuzz.c)
	$(quiet) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/fuzz/liblb.a: $(call fuzz_obj,$(LB_CORE))
	$(quiet) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/fuzz/fuzz-result: $(O)/fuzz/obj/tests/fuzz/fuzz-result.o $(O)/fuzz/liblb.a $(O)/fuzz/libkb.a
	$(quiet) LD $@
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LB_LIBS)

# latency-bench's PipeWire parsers (the shorter stem wins over fuzz-%)
$(O)/fuzz/fuzz-pw%: $(O)/fuzz/obj/tests/fuzz/fuzz-pw%.o $(O)/fuzz/liblb.a $(O)/fuzz/libkb.a
	$(quiet) LD $@
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LB_LIBS)

$(O)/fuzz/fuzz-%: $(O)/fuzz/obj/tests/fuzz/fuzz-%.o $(O)/fuzz/libkb.a
	$(quiet) LD $@
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS)

fuzz-build: $(FUZZ_BIN)

# FUZZ="kconfig ledger" runs some; the corpus each run grows is kept in $(O)/fuzz/corpus
fuzz: $(FUZZ_BIN)
	$(Q)$(TEST_ENV) FUZZ_TIME=$(FUZZ_TIME) FUZZ_KEEP=1 tests/fuzz/run-fuzz $(FUZZ)

TEST_ENV = KBUILD="$(abspath $(O))/kbuild" LATENCY_BENCH="$(abspath $(O))/latency-bench" KB_SRCDIR="$(CURDIR)" KB_OUT="$(abspath $(O))"
ifdef SANITIZE
# leaks of other projects' libraries (PipeWire's libjack) are theirs, not a failure of ours
TEST_ENV += LSAN_OPTIONS="suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0"
endif

check-unit: $(UNIT_BIN)
	$(Q)$(TEST_ENV) tests/run-tests $(UNIT_BIN)

check-cli: $(O)/kbuild $(O)/latency-bench $(TOOL_BIN)
	$(Q)$(TEST_ENV) tests/run-tests tests/cli/t[0-9]*.sh

check-fast: $(O)/kbuild $(O)/latency-bench $(TOOL_BIN) $(UNIT_BIN)
	$(Q)$(TEST_ENV) tests/run-tests $(UNIT_BIN) tests/cli/t[0-9]*.sh

# the real-kernel tests build whole kernels: a file may take a while on a busy 2-core machine;
# the fuzzers run FUZZ_CHECK_TIME seconds each (not in check-fast: the edit loop stays fast)
check: $(O)/kbuild $(O)/latency-bench $(TOOL_BIN) $(UNIT_BIN) $(FUZZ_BIN)
	$(Q)$(TEST_ENV) TEST_TIMEOUT=$${TEST_TIMEOUT:-2400} FUZZ_TIME=$(FUZZ_CHECK_TIME) tests/run-tests $(UNIT_BIN) \
		tests/cli/t[0-9]*.sh tests/fuzz/run-fuzz tests/kernel/k[0-9]*.sh

check-kernel: $(O)/kbuild $(O)/latency-bench
	$(Q)$(TEST_ENV) TEST_TIMEOUT=$${TEST_TIMEOUT:-2400} tests/run-tests tests/kernel/k[0-9]*.sh

bench: $(O)/kbuild $(O)/latency-bench
	$(Q)$(TEST_ENV) bench/run && $(TEST_ENV) bench/config && $(TEST_ENV) bench/latency && $(TEST_ENV) bench/boot-test && $(TEST_ENV) bench/compare

install: $(O)/kbuild $(O)/latency-bench
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/kconfig-fragments $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(O)/kbuild $(DESTDIR)$(BINDIR)/kbuild
	install -m 755 $(O)/latency-bench $(DESTDIR)$(BINDIR)/latency-bench
	install -m 644 kconfig-fragments/*.config kconfig-fragments/*.profile \
		$(DESTDIR)$(DATADIR)/kconfig-fragments/
	install -d $(DESTDIR)$(DATADIR)/patches/ll $(DESTDIR)$(DATADIR)/scripts
	install -m 644 patches/ll/sources $(DESTDIR)$(DATADIR)/patches/ll/sources
	install -m 755 scripts/debian-source scripts/kernel-source scripts/ci-compare-kernels $(DESTDIR)$(DATADIR)/scripts/
	if [ -f scripts/lib-apt.sh ]; then install -m 644 scripts/lib-apt.sh $(DESTDIR)$(DATADIR)/scripts/; fi
	install -m 644 man/kbuild.1 $(DESTDIR)$(MANDIR)/man1/kbuild.1
	install -m 644 man/latency-bench.1 $(DESTDIR)$(MANDIR)/man1/latency-bench.1

clean:
	rm -rf out out-sanitize $(O)/obj $(O)/fuzz $(O)/tests $(O)/kbuild $(O)/latency-bench $(O)/libkb.a $(O)/.cflags

-include $(shell find $(O)/obj $(O)/fuzz/obj -name '*.d' 2>/dev/null)
