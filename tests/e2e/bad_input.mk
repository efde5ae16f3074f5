# tests/e2e/bad_input.mk: the bad-input end-to-end client (tests/e2e/bad_input_client.c), run by
# tests/e2e/bad_input.sh. Included from tests/module.mk.
$(BUILD)/win/tests/bad_input_client.exe: tests/e2e/bad_input_client.c tests/check.h $(IDL_I_OBJ) \
                                         $(BUILD)/idl/deliveryoptimization.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(WLDFLAGS) $< $(IDL_I_OBJ) -o $@ -lole32 -loleaut32 -luuid

all: $(BUILD)/win/tests/bad_input_client.exe
