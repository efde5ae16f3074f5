# tests/e2e/callbacks.mk: the client callbacks end-to-end client (tests/e2e/callbacks_client.c), run
# by tests/e2e/callbacks.sh. Included from tests/module.mk.
$(BUILD)/win/tests/callbacks_client.exe: tests/e2e/callbacks_client.c tests/check.h $(IDL_I_OBJ) \
                                         $(BUILD)/idl/deliveryoptimization.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(WLDFLAGS) $< $(IDL_I_OBJ) -o $@ -lole32 -loleaut32 -luuid

all: $(BUILD)/win/tests/callbacks_client.exe
