# tests/: the Wine end-to-end client (native unit tests are built by their modules' fragments).
$(BUILD)/win/tests/e2e_client.exe: tests/e2e/e2e_client.c tests/check.h $(IDL_I_OBJ) $(BUILD)/idl/deliveryoptimization.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(WLDFLAGS) $< $(IDL_I_OBJ) -o $@ -lole32 -luuid

all: $(BUILD)/win/tests/e2e_client.exe

# End-to-end clients of the API tests, one fragment each.
include tests/e2e/files.mk tests/e2e/job_api.mk tests/e2e/bad_input.mk tests/e2e/tls.mk tests/e2e/transfers.mk \
        tests/e2e/callbacks.mk tests/e2e/downloads.mk tests/e2e/streams.mk tests/e2e/bits_api.mk \
        tests/e2e/bits_install.mk tests/e2e/bits_file6.mk
