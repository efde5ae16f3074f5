# opendo's build graph: the second pass of make (the Makefile runs the bootstrap first, then
# this file with the same goals). Each directory contributes a fragment (<dir>/module.mk);
# everything builds under build/. Running `make -f rules.mk ...` directly skips the bootstrap.

BUILD      := build
DEPS       := $(BUILD)/deps
WINEPREFIX ?= $(CURDIR)/$(BUILD)/wine
export WINEPREFIX

# Native (Linux) toolchain: the portable core, tested under ASan/UBSan.
NCC        := gcc
NCFLAGS    := -std=c11 -Wall -Wextra -Werror -O1 -g -D_DEFAULT_SOURCE \
              -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
NLDFLAGS   := -fsanitize=address,undefined

# Windows toolchain (mingw-w64): the core again, plus the service and its tools.
WCC        := x86_64-w64-mingw32-gcc
WIDL       := x86_64-w64-mingw32-widl
WINDRES    := x86_64-w64-mingw32-windres
WAR        := x86_64-w64-mingw32-ar
WCFLAGS    := -std=c11 -Wall -Wextra -Werror -O2 -g -DUNICODE -D_UNICODE \
              -D_WIN32_WINNT=0x0A00 -DWINVER=0x0A00 -DCOBJMACROS \
              -I$(BUILD)/idl -Iidl -I$(DEPS)/include
WLDFLAGS   := -static -static-libgcc -municode

BOOTSTRAP_STAMP := $(BUILD)/.bootstrap-done

.PHONY: FORCE all deps test demo install uninstall bench bench-fleet cache-host cache-host-stop clean distclean
all:

# The first pass has run the bootstrap. The stamp records which dependency build build/deps
# links to, and changes only when that does, so objects that use the dependencies rebuild then.
deps: $(BOOTSTRAP_STAMP)
$(BOOTSTRAP_STAMP): FORCE
	@target=$$(readlink $(DEPS)); [ "$$(cat $@ 2>/dev/null)" = "$$target" ] || echo "$$target" > $@
FORCE:

-include scripts/deps.mk
include idl/module.mk
include engine/module.mk
include store/module.mk
include proxy-stub/module.mk
include service/module.mk
include tools/module.mk
include tests/module.mk
include tests/bench/module.mk
include tests/fuzz/fuzz.mk

test: all
	@bash tests/run.sh

# make install BITS=1: also make opendo the prefix's BITS service (docs/bits.md).
install: all
	@BITS='$(BITS)' bash scripts/install.sh

demo: all
	@bash scripts/demo.sh

bench: all
	@bash scripts/bench.sh

# 1,000 jobs of one native job manager fetch one file at once through a cache host
# (scripts/cache-host.sh) from a rate-limited origin; docs/benchmarks.md, "Fleet".
bench-fleet: $(BUILD)/native-opt/fleet_clients
	@bash scripts/bench-fleet.sh

# make cache-host: a cache host for a fleet on this machine (scripts/cache-host.sh, docs/fleet.md),
# by default for the demo origin, a web server on 127.0.0.1:8081; make cache-host-stop stops it.
# Any default can be changed on the command line, e.g.
#   make cache-host CACHE_HOST_LISTEN=0.0.0.0:80 CACHE_HOST_ALLOW=tlu.dl.delivery.mp.microsoft.com
CACHE_HOST_LISTEN ?= 127.0.0.1:8080
CACHE_HOST_DIR    ?= $(BUILD)/cache-host
CACHE_HOST_ALLOW  ?= 127.0.0.1:8081
CACHE_HOST_SIZE   ?= 10g
CACHE_HOST_ENGINE ?= nginx
cache-host:
	@bash scripts/cache-host.sh start --listen '$(CACHE_HOST_LISTEN)' --cache-dir '$(CACHE_HOST_DIR)' \
	    --allow '$(CACHE_HOST_ALLOW)' --max-size '$(CACHE_HOST_SIZE)' --engine '$(CACHE_HOST_ENGINE)'
cache-host-stop:
	@bash scripts/cache-host.sh stop --cache-dir '$(CACHE_HOST_DIR)'

clean:
	rm -rf $(BUILD)/native $(BUILD)/native-opt $(BUILD)/win $(BUILD)/idl $(BUILD)/tests $(BUILD)/fuzz

distclean:
	rm -rf $(BUILD)
