# tools/: small clients. dodemo is built against mingw-w64's own <bits.h>, not our IDL header,
# to prove that ordinary BITS client code interoperates with the service.
$(BUILD)/win/dodemo.exe: tools/dodemo.c tools/bits_job_error.h idl/doerrors.h
	@mkdir -p $(@D)
	$(WCC) $(filter-out -I$(BUILD)/idl,$(WCFLAGS)) $(WLDFLAGS) $< -o $@ -lole32 -luuid

# dodownload: a client of the download API written the way winget uses it (IDOManager).
$(BUILD)/win/dodownload.exe: tools/dodownload.c $(IDL_I_OBJ) $(BUILD)/idl/deliveryoptimization.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(WLDFLAGS) $< $(IDL_I_OBJ) -o $@ -lole32 -loleaut32 -luuid

all: $(BUILD)/win/dodemo.exe $(BUILD)/win/dodownload.exe
include tools/bench.mk
include tools/doadmin/doadmin.mk
