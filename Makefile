# csredis build entry points. `make` publishes the NativeAOT binaries into the repository root,
# `make run` starts the server with ./redis.conf, `make test` installs what the tests need and runs them.
DOTNET ?= dotnet
CONFIG ?= Release
BINARIES := csredis-server csredis-cli csredis-sentinel
PUBLISH_DIR := out

.PHONY: all build run test test-deps bench demo clean $(BINARIES)

all: $(BINARIES)

$(BINARIES):
	$(DOTNET) publish src/$@/$@.csproj -c $(CONFIG) -o $(PUBLISH_DIR)/$@ --nologo -v quiet
	rm -f ./$@ && cp $(PUBLISH_DIR)/$@/$@ ./$@  # replace, not overwrite: the old binary may be running

build: all

run: csredis-server
	./csredis-server redis.conf

# Real Redis 7.0 is the oracle of the differential tests and the benchmark; redis-py (Debian's
# python3-redis) is the sentinel-aware client of the Sentinel tests.
test-deps:
	@command -v redis-server >/dev/null && command -v redis-cli >/dev/null && command -v redis-benchmark >/dev/null && \
	  command -v redis-sentinel >/dev/null && /usr/bin/python3 -c 'import redis' 2>/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools redis-sentinel python3-redis >/dev/null; }
	@# SORT ... ALPHA collates by locale; SortCollationTests needs a non-C one (skipped without it).
	@locale -a 2>/dev/null | grep -qix 'en_US.utf8' || \
	  { { test -e /usr/share/i18n/locales/en_US || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq locales >/dev/null; } && \
	    localedef -i en_US -f UTF-8 en_US.UTF-8; } || true

test: test-deps all
	DOTNET=$(DOTNET) CONFIG=$(CONFIG) scripts/run-tests.sh

bench: test-deps all
	bench/compare.sh

# The seeds' topology (1 master, 2 replicas, 3 sentinels) on loopback, then a failover as it happens.
demo: all
	scripts/demo.sh

clean:
	rm -rf $(PUBLISH_DIR) $(BINARIES) src/*/bin src/*/obj tests/*/bin tests/*/obj bench/*/bin bench/*/obj
