# The scheduler's native test (tests/unit/test_scheduler.c): the job manager with transfers
# enabled against nginx + tests/fault_server.py on loopback ports. Included by engine/module.mk.
$(BUILD)/native/tests/test_scheduler: tests/unit/test_scheduler.c tests/unit/http_fixture.h tests/check.h \
                                      $(BUILD)/native/libengine.a $(BUILD)/native/libstore.a
	@mkdir -p $(@D)
	$(NCC) $(NCFLAGS) $(ENGINE_INCLUDES) -MMD -MP $< $(BUILD)/native/libengine.a \
	    $(BUILD)/native/libstore.a -lcurl -luv -lsqlite3 -lpthread $(NLDFLAGS) -o $@

all: $(BUILD)/native/tests/test_scheduler
-include $(BUILD)/native/tests/test_scheduler.d
