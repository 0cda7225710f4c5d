# bardo - build, run and test. `make up` and `make test` are the two
# commands that matter; see README.md.
#
# VARIANT=release (default) | asan (AddressSanitizer + UBSan) | clang-check
# All objects of a variant live under build/$(VARIANT), so variants and
# compilers never mix.

VARIANT ?= release
CC      ?= cc
BUILD   := build/$(VARIANT)

WARN    := -Wall -Wextra -Wshadow -Werror
CFLAGS_COMMON := -std=c17 -D_GNU_SOURCE $(WARN) -Isrc -g -MMD -MP
ifeq ($(VARIANT),asan)
  SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  OPT     := -O1 $(SAN)
  LDOPT   := $(SAN)
else
  OPT     := -O2
  LDOPT   :=
endif
CFLAGS_ALL := $(CFLAGS_COMMON) $(OPT) $(CFLAGS)
LDLIBS_ALL := -luuid -lm $(LDLIBS)

LIB_SRCS  := $(filter-out src/cmd/%,$(wildcard src/*/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
PROGRAMS  := $(BUILD)/bin/bardo-api $(BUILD)/bin/bardo-store
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TESTS     := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRCS := $(wildcard bench/*.c)
BENCHES   := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

.PHONY: all build tests benches deps up down test fuzz bench lint clean
all: build
build: $(PROGRAMS)
tests: $(TESTS)
benches: $(BENCHES)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libbardo.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/bardo-%: $(BUILD)/src/cmd/%_main.o $(BUILD)/libbardo.a
	@mkdir -p $(dir $@)
	$(CC) $(LDOPT) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libbardo.a
	@mkdir -p $(dir $@)
	$(CC) $(LDOPT) -o $@ $^ -lcmocka $(LDLIBS_ALL)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libbardo.a
	@mkdir -p $(dir $@)
	$(CC) $(LDOPT) -o $@ $^ $(LDLIBS_ALL)

# --- the two commands ------------------------------------------------------
deps:
	@scripts/deps.sh

up: deps
	@$(MAKE) --no-print-directory build VARIANT=release
	@scripts/up.sh

down:
	@scripts/down.sh

test: deps
	@scripts/test.sh

# --- the rest --------------------------------------------------------------
fuzz: deps
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} scripts/fuzz.sh

bench: deps
	@scripts/bench.sh

lint:
	@scripts/lint.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
