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
LDLIBS_ALL := -luuid -lm -lprotobuf-c -lssl -lcrypto $(LDLIBS)

LIB_SRCS  := $(filter-out src/cmd/%,$(wildcard src/*/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
PROGRAMS  := $(BUILD)/bin/bardo-api $(BUILD)/bin/bardo-store $(BUILD)/bin/bardo-load
# bardo-netdelay (src/netdelay, docs/SITES.md) alone links libnetfilter_queue.
PROGRAMS  += $(BUILD)/bin/bardo-netdelay
$(BUILD)/bin/bardo-netdelay: private LDLIBS_ALL += -lnetfilter_queue
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TESTS     := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRCS := $(wildcard bench/*.c)
BENCHES   := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

.PHONY: all build tests benches deps up down test fuzz bench lint clean proto FORCE
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
# allocations it can make fail (tests/unit/test_store_nomem.c)
$(BUILD)/tests/test_store_nomem: private LDOPT += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

# --- build info (src/probe/build.c) ----------------------------------------
# The version from git, the date, compiler and flags. build.o is rebuilt
# when the version stamp or any other object changes, so the date is the
# build's.
BARDO_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
BARDO_STAMP   := $(BARDO_VERSION) $(CC) $(CFLAGS_ALL)
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(BARDO_STAMP)' | cmp -s - $@ || echo '$(BARDO_STAMP)' > $@
$(BUILD)/src/probe/build.o: $(BUILD)/version.stamp $(filter-out $(BUILD)/src/probe/build.o,$(LIB_OBJS))
$(BUILD)/src/probe/build.o: private CFLAGS_ALL += -DBARDO_VERSION='"$(BARDO_VERSION)"' \
    -DBARDO_BUILD_DATE='"$(shell date -u +%Y-%m-%dT%H:%M:%SZ)"' -DBARDO_CFLAGS='"$(strip -std=c17 $(OPT) $(CFLAGS))"'
FORCE:

# A fake NVML for test_probe_gpu, which finds it next to itself.
$(BUILD)/tests/libnvidia-ml.so.1: tests/fixtures/fake_nvml.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -shared -o $@ $<
$(BUILD)/tests/test_probe_gpu: | $(BUILD)/tests/libnvidia-ml.so.1

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
	@DATA=$(or $(DATA),generated) scripts/bench.sh

lint:
	@scripts/lint.sh

clean:
	rm -rf build

# The protobuf-c code is generated and committed (src/store/bardo.pb-c.*),
# so building needs no protoc-c; run this after editing bardo.proto.
proto: src/store/bardo.proto
	protoc-c --proto_path=src --c_out=src store/bardo.proto

-include $(shell find build -name '*.d' 2>/dev/null)

# --- the stress test (docs/STRESS.md) ---------------------------------------
# make stress [SCALE=1] [TIME=1] [DATA=generated]: the official Gatling profile
# (3 min 25 s at TIME=1) against a fresh bardo under conf/limits.env's cgroup
# limits; the report lands in build/stress/<date>-s<SCALE>-t<TIME>/.
# DATA (docs/DATA.md): generated (default: made here, no network), official
# (the official files, downloaded once and verified) or a directory.
stress: deps
	@$(MAKE) --no-print-directory build build/release/bin/bardo-load VARIANT=release
	@SCALE=$(or $(SCALE),1) TIME=$(or $(TIME),1) DATA=$(or $(DATA),generated) scripts/stress.sh

# make data [DATA=generated]: the data set's directory, made or downloaded
# if needed (scripts/data.sh); generated is rewritten when bardo-load (its
# generator) is newer than the files.
.PHONY: data
data:
	@$(MAKE) --no-print-directory build/release/bin/bardo-load VARIANT=release
	@scripts/data.sh $(or $(DATA),generated)

# make chaos [CHAOS_ROUNDS=5]: every nemesis fault (docs/FAULTS.md) for
# CHAOS_ROUNDS rounds, a fresh system each time; per fault the median and
# worst unavailability window and the writes lost (scripts/chaos.sh).
.PHONY: chaos
chaos: deps
	@$(MAKE) --no-print-directory build VARIANT=release
	@CHAOS_ROUNDS=$(or $(CHAOS_ROUNDS),5) scripts/chaos.sh

# make stress-million [PEOPLE=1000000] [RATE=6]: the official profile's shape
# until a million people are in, under the limits (scripts/stress_million.sh)
.PHONY: stress-million
stress-million: deps
	@$(MAKE) --no-print-directory build build/release/bin/bardo-load VARIANT=release
	@PEOPLE=$(or $(PEOPLE),1000000) RATE=$(or $(RATE),6) scripts/stress_million.sh

stress-short: deps
	@$(MAKE) --no-print-directory build build/release/bin/bardo-load VARIANT=release
	@scripts/stress_short.sh

# --- the Rinha deployment (docs/DEPLOY.md) -----------------------------------
# deploy/docker-compose.yml run with podman + podman-compose (installed by
# scripts/compose.sh when missing); the limits come from conf/limits.env.
# make compose-test: up, limits inside the containers, black-box tests, a
# short stress run, clean SIGTERM stops, down (scripts/compose_test.sh).
.PHONY: compose-up compose-down compose-test compose-stress
compose-up:
	@scripts/compose.sh up

compose-down:
	@scripts/compose.sh down

compose-test: deps
	@$(MAKE) --no-print-directory build build/release/bin/bardo-load VARIANT=release
	@scripts/compose_test.sh

# the official profile (TIME=1: 3 min 25 s) against the stack compose-up started
compose-stress:
	@$(MAKE) --no-print-directory build build/release/bin/bardo-load VARIANT=release
	@COMPOSE_STRESS_TIME=$(or $(TIME),1) scripts/compose.sh stress
