# engine/: the portable core above the store, one folder per part: jobs/ (the job manager),
# scheduler/, transfer/ (the transfer engine), cache_hosts/ (which source an attempt uses), admin/ (the diagnostics reports), settings/,
# common/ (log, texts, GUIDs, HRESULTs). Native + mingw builds.
ENGINE_SRCS := $(wildcard engine/*/*.c)
ENGINE_NOBJS := $(ENGINE_SRCS:%.c=$(BUILD)/native/%.o)
ENGINE_WOBJS := $(ENGINE_SRCS:%.c=$(BUILD)/win/%.o)
ENGINE_INCLUDES := $(patsubst %/,-I%,$(sort $(dir $(ENGINE_SRCS)))) -Istore -Iidl

$(BUILD)/native/engine/%.o: engine/%.c
	@mkdir -p $(@D)
	$(NCC) $(NCFLAGS) $(ENGINE_INCLUDES) -MMD -MP -c $< -o $@

$(BUILD)/win/engine/%.o: engine/%.c $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(DEPS_WIN_CFLAGS) $(ENGINE_INCLUDES) -MMD -MP -c $< -o $@

$(BUILD)/native/libengine.a: $(ENGINE_NOBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/win/libengine.a: $(ENGINE_WOBJS)
	rm -f $@ && $(WAR) rcs $@ $^

# Native unit tests of the core, one program per tests/unit/<name>.c (test_scheduler and
# test_admin enable transfers: nginx + tests/fault_server.py on loopback, or file:// sources).
ENGINE_TESTS := $(addprefix $(BUILD)/native/tests/,test_jobs test_job_properties test_job_states \
                  test_job_files test_log test_scheduler test_admin test_downloads test_bits_rules \
                  test_http_method test_helper_token test_on_demand test_cache_hosts \
                  test_cache_fallback test_self_identity)

$(ENGINE_TESTS): $(BUILD)/native/tests/%: tests/unit/%.c $(BUILD)/native/libengine.a \
                 $(BUILD)/native/libstore.a
	@mkdir -p $(@D)
	$(NCC) $(NCFLAGS) $(ENGINE_INCLUDES) -MMD -MP $< $(BUILD)/native/libengine.a \
	    $(BUILD)/native/libstore.a -lcurl -luv -lsqlite3 -lpthread $(NLDFLAGS) -o $@

all: $(BUILD)/native/libengine.a $(BUILD)/win/libengine.a $(ENGINE_TESTS)
-include $(ENGINE_NOBJS:.o=.d) $(ENGINE_WOBJS:.o=.d) $(ENGINE_TESTS:=.d)

include tests/unit/transfer.mk
