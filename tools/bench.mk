# tools/bench.mk: the client of `make bench` (tools/bench_client.c, driven by scripts/bench.sh).
# Built like dodemo against mingw-w64's own <bits.h> (not our IDL header), so the same binary
# measures opendo's DoSvc and Wine's built-in BITS. Included from tools/module.mk.
$(BUILD)/win/bench_client.exe: tools/bench_client.c tools/bits_job_error.h idl/doerrors.h
	@mkdir -p $(@D)
	$(WCC) $(filter-out -I$(BUILD)/idl,$(WCFLAGS)) $(WLDFLAGS) $< -o $@ -lole32 -luuid -ladvapi32

all: $(BUILD)/win/bench_client.exe
