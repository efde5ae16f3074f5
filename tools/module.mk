# tools/: small clients. dodemo is built against mingw-w64's own <bits.h>, not our IDL header,
# to prove that ordinary BITS client code interoperates with the service.
$(BUILD)/win/dodemo.exe: tools/dodemo.c tools/bits_job_error.h idl/doerrors.h
	@mkdir -p $(@D)
	$(WCC) $(filter-out -I$(BUILD)/idl,$(WCFLAGS)) $(WLDFLAGS) $< -o $@ -lole32 -luuid

all: $(BUILD)/win/dodemo.exe
include tools/bench.mk
include tools/doadmin/doadmin.mk
