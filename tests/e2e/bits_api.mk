# tests/e2e/bits_api.mk: the BITS client of tests/e2e/bits_api.sh (tests/e2e/bits_api_client.c),
# built against mingw-w64's own BITS headers (bits.h ... bits5_0.h, bitsmsg.h), not opendo's
# IDL, as any BITS application is. Included from tests/module.mk.
$(BUILD)/win/tests/bits_api_client.exe: tests/e2e/bits_api_client.c tests/check.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(WLDFLAGS) $< -o $@ -lole32 -luuid

all: $(BUILD)/win/tests/bits_api_client.exe
