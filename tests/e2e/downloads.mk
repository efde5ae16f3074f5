# tests/e2e/downloads.mk: the IDOManager / IDODownload end-to-end client (tests/e2e/downloads_client.c),
# run by tests/e2e/downloads.sh. Included from tests/module.mk.
$(BUILD)/win/tests/downloads_client.exe: tests/e2e/downloads_client.c tests/check.h $(IDL_I_OBJ) \
                                         $(BUILD)/idl/deliveryoptimization.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(WLDFLAGS) $< $(IDL_I_OBJ) -o $@ -lole32 -loleaut32 -luuid -lbcrypt -lcrypt32

all: $(BUILD)/win/tests/downloads_client.exe
