# tests/e2e/bits_file6.mk: the end-to-end client of on-demand jobs (tests/e2e/bits_file6.sh runs it).
$(BUILD)/win/tests/bits_file6_client.exe: tests/e2e/bits_file6_client.c tests/check.h $(IDL_I_OBJ) $(BUILD)/idl/deliveryoptimization.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(WLDFLAGS) $< $(IDL_I_OBJ) -o $@ -lole32 -loleaut32 -luuid

all: $(BUILD)/win/tests/bits_file6_client.exe
