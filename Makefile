# certgraph — plain GNU make. `make` builds build/, `make test` runs every test, `make run` starts the stack.
CC      ?= cc
PKGS    := fcgi yajl libpq libcrypto
CFLAGS  ?= -O2 -g
# The project's own flags stay even when CFLAGS is given on the command line.
ALL_CFLAGS = $(CFLAGS) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Isrc -Ibuild $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lfcgi -lyajl -lpq -lcrypto)
TEST_LDLIBS := $(shell pkg-config --libs criterion libcurl 2>/dev/null || echo -lcriterion -lcurl)
# The integration suite also reads $metadata as XML.
INTEG_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null)
INTEG_LDLIBS := $(shell pkg-config --libs libxml-2.0 2>/dev/null || echo -lxml2)

B       := build
MAINS   := src/certgraphd.c src/certgraphctl.c
# Signing dev tokens: certgraphctl and the tests only; the daemon carries no signing path.
CTLSRC  := src/auth_sign.c
LIBSRC  := $(filter-out $(MAINS) $(CTLSRC),$(wildcard src/*.c src/entities/*.c))
LIBOBJ  := $(LIBSRC:%.c=$(B)/%.o) $(B)/migrations.o
CTLOBJ  := $(CTLSRC:%.c=$(B)/%.o)
UNIT    := $(wildcard tests/unit/*.c)
INTEG   := $(wildcard tests/integration/*.c)
SQL     := $(sort $(wildcard sql/*.sql))

.PHONY: compose-test ha-up ha-down ha-test sdk-deps all test unit-test asan-build asan-test integration-test asan-integration-test fuzz fuzz-regress run up down clean deps
all: $(B)/certgraphd $(B)/certgraphctl

$(B)/%.o: %.c $(wildcard src/*.h src/entities/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Migrations are compiled into certgraphctl so a deployed binary carries its own schema.
$(B)/migrations.c: $(SQL) scripts/embed-sql.sh
	@mkdir -p $(B)
	sh scripts/embed-sql.sh $(SQL) > $@
$(B)/migrations.o: $(B)/migrations.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/certgraphd: $(B)/src/certgraphd.o $(LIBOBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)
$(B)/certgraphctl: $(B)/src/certgraphctl.o $(LIBOBJ) $(CTLOBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/unit-tests: $(UNIT:%.c=$(B)/%.o) $(LIBOBJ) $(CTLOBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LDLIBS)
$(B)/tests/integration/%.o: ALL_CFLAGS += $(INTEG_CFLAGS)
$(B)/integration-tests: $(INTEG:%.c=$(B)/%.o) $(LIBOBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LDLIBS) $(INTEG_LDLIBS)

deps:
	@sh scripts/deps.sh

# The compose stack run for real with podman (scripts/compose-test.sh): docker-compose config on the
# files, images built, up with its secrets, health checks run, driven through nginx over TLS, a
# setting reloaded under load, the pool's container recreated, torn down. Part of make test.
compose-test: all
	sh scripts/compose-test.sh

# Several nodes on Patroni and etcd, on loopback (scripts/stack/ha.sh; README "Running several nodes").
ha-up: deps all
	@sh scripts/deps.sh --ha
	sh scripts/stack.sh ha-up
ha-down:
	sh scripts/stack.sh ha-down
# The same on ports of its own, through kill -9 of the primary, a switchover, a standby and a node
# killed and COMMITs left unanswered (tests/ha/ha-test.sh). Part of make test.
ha-test: all
	sh tests/ha/ha-test.sh

# The official Graph SDK for the client-side checks (tests/sdk): Node.js from Debian when the machine
# has none, then the locked packages (no install scripts run).
sdk-deps: tests/sdk/node_modules/.package-lock.json
tests/sdk/node_modules/.package-lock.json: tests/sdk/package.json tests/sdk/package-lock.json
	@sh scripts/deps.sh --node
	cd tests/sdk && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

unit-test: deps $(B)/unit-tests
	$(B)/unit-tests

ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# The same unit tests, rebuilt with clang under AddressSanitizer and UBSan in a separate tree.
asan-build: deps
	$(MAKE) B=build/asan CC=clang CFLAGS="$(ASAN_FLAGS)" build/asan/unit-tests build/asan/integration-tests \
	    build/asan/certgraphd build/asan/certgraphctl
asan-test: asan-build
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build/asan/unit-tests

integration-test: deps sdk-deps all $(B)/integration-tests
	@if nm $(B)/certgraphd | grep -qw auth_sign; then echo "certgraphd must not link token signing" >&2; exit 1; fi
	sh tests/integration/nginx-check.sh
	sh tests/integration/run.sh $(B)

# The integration suite once more against the sanitizer build of certgraphd: a memory or UB error in
# a worker aborts it (its request fails) and leaves a report, which fails the run.
asan-integration-test: asan-build sdk-deps
	rm -rf build/asan/reports && mkdir -p build/asan/reports
	ASAN_OPTIONS=log_path=$(CURDIR)/build/asan/reports/asan UBSAN_OPTIONS=log_path=$(CURDIR)/build/asan/reports/ubsan:print_stacktrace=1 \
	    sh tests/integration/run.sh build/asan
	@if ls build/asan/reports/* >/dev/null 2>&1; then cat build/asan/reports/*; echo "sanitizer reports above"; exit 1; fi

# libFuzzer on the request-body reader and the $filter parser. `make fuzz` explores each for
# FUZZ_SECONDS (by hand; FUZZ_TARGETS=filter for one); make test replays the committed corpora in
# tests/fuzz/corpus/<target> as a regression check.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= json_body filter cert
FUZZ_SRC := src/arena.c src/cert.c src/edm.c src/json.c src/values.c src/entity.c src/filter.c src/sql.c $(wildcard src/entities/*.c)
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRC) $(wildcard src/*.h src/entities/*.h)
	@mkdir -p $(dir $@)
	clang $(ASAN_FLAGS) -fsanitize=fuzzer -std=c11 -D_GNU_SOURCE -Isrc $(shell pkg-config --cflags yajl) \
	    -o $@ $< $(FUZZ_SRC) -lyajl -lcrypto
fuzz: deps $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	for t in $(FUZZ_TARGETS); do mkdir -p build/fuzz/corpus/$$t && \
	    build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build/fuzz/corpus/$$t tests/fuzz/corpus/$$t || exit 1; done
fuzz-regress: deps $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	for t in $(FUZZ_TARGETS); do build/fuzz/fuzz_$$t -runs=0 tests/fuzz/corpus/$$t || exit 1; done

test: unit-test asan-test fuzz-regress integration-test asan-integration-test compose-test ha-test

run: deps all
	sh scripts/stack.sh run
up: deps all
	sh scripts/stack.sh up
down:
	sh scripts/stack.sh down

clean:
	rm -rf build
