# tests/e2e/job_api.mk: the job API end-to-end client (tests/e2e/job_api_client.c), run by
# tests/e2e/job_api.sh. Included from tests/module.mk.
$(BUILD)/win/tests/job_api_client.exe: tests/e2e/job_api_client.c tests/check.h $(IDL_I_OBJ) \
                                       $(BUILD)/idl/deliveryoptimization.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(WLDFLAGS) $< $(IDL_I_OBJ) -o $@ -lole32 -loleaut32 -luuid

all: $(BUILD)/win/tests/job_api_client.exe
