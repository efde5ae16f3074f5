# tests/e2e/bits_options.mk: the client of tests/e2e/bits_options.sh (tests/e2e/bits_options_client.c),
# built against opendo's IDL (mingw-w64 declares none of the BITS-only interfaces). Included from
# tests/module.mk.
$(BUILD)/win/tests/bits_options_client.exe: tests/e2e/bits_options_client.c tests/check.h $(IDL_I_OBJ) \
                                            $(BUILD)/idl/deliveryoptimization.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(WLDFLAGS) $< $(IDL_I_OBJ) -o $@ -lole32 -luuid -lcrypt32

all: $(BUILD)/win/tests/bits_options_client.exe
