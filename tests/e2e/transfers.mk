# tests/e2e/transfers.mk: the download end-to-end client (tests/e2e/transfers_client.c), run by
# tests/e2e/transfers.sh. Included from tests/module.mk.
$(BUILD)/win/tests/transfers_client.exe: tests/e2e/transfers_client.c tests/check.h $(IDL_I_OBJ) \
                                         $(BUILD)/idl/deliveryoptimization.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(WLDFLAGS) $< $(IDL_I_OBJ) -o $@ -lole32 -loleaut32 -luuid

all: $(BUILD)/win/tests/transfers_client.exe
