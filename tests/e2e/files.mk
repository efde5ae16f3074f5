# tests/e2e/files.mk: the end-to-end client of the file objects (tests/e2e/files.sh runs it).
$(BUILD)/win/tests/files_client.exe: tests/e2e/files_client.c tests/check.h $(IDL_I_OBJ) $(BUILD)/idl/deliveryoptimization.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(WLDFLAGS) $< $(IDL_I_OBJ) -o $@ -lole32 -loleaut32 -luuid

all: $(BUILD)/win/tests/files_client.exe
