# The transfer engine's native test (tests/unit/test_transfer.c): nginx + tests/fault_server.py
# on loopback ports. Included by engine/module.mk:
#   make build/native/tests/test_transfer
$(BUILD)/native/tests/test_transfer: tests/unit/test_transfer.c tests/check.h $(BUILD)/native/libengine.a
	@mkdir -p $(@D)
	$(NCC) $(NCFLAGS) $(ENGINE_INCLUDES) -MMD -MP $< $(BUILD)/native/libengine.a \
	    -lcurl -luv -lpthread $(NLDFLAGS) -o $@

all: $(BUILD)/native/tests/test_transfer
-include $(BUILD)/native/tests/test_transfer.d
