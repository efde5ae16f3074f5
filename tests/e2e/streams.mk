# tests/e2e/streams.mk: the stream downloads' end-to-end client (tests/e2e/streams_client.c), run
# by tests/e2e/streams.sh. Included from tests/module.mk.
$(BUILD)/win/tests/streams_client.exe: tests/e2e/streams_client.c tests/check.h $(IDL_I_OBJ) \
                                       $(BUILD)/idl/deliveryoptimization.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(WLDFLAGS) $< $(IDL_I_OBJ) -o $@ -lole32 -loleaut32 -luuid

all: $(BUILD)/win/tests/streams_client.exe
