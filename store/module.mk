# store: the SQLite job store (portable C) as a native and a Windows static library, plus its
# native unit test.  Build just these with
#   make build/native/libstore.a build/win/libstore.a build/native/tests/test_store

STORE_SRCS        := $(wildcard store/*.c)
STORE_NATIVE_OBJS := $(STORE_SRCS:%.c=$(BUILD)/native/%.o)
STORE_WIN_OBJS    := $(STORE_SRCS:%.c=$(BUILD)/win/%.o)
STORE_TEST_OBJ    := $(BUILD)/native/store/test/test_store.o

all: $(BUILD)/native/libstore.a $(BUILD)/win/libstore.a $(BUILD)/native/tests/test_store

$(BUILD)/native/store/%.o: store/%.c
	@mkdir -p $(@D)
	$(NCC) $(NCFLAGS) -MMD -MP -c $< -o $@

# The Windows objects need sqlite3.h from the cross-built dependencies ($(DEPS)/include).
$(BUILD)/win/store/%.o: store/%.c | $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/native/libstore.a: $(STORE_NATIVE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/win/libstore.a: $(STORE_WIN_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(WAR) rcs $@ $^

$(STORE_TEST_OBJ): tests/unit/test_store.c
	@mkdir -p $(@D)
	$(NCC) $(NCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/native/tests/test_store: $(STORE_TEST_OBJ) $(BUILD)/native/libstore.a
	@mkdir -p $(@D)
	$(NCC) $^ -lsqlite3 $(NLDFLAGS) -o $@

-include $(STORE_NATIVE_OBJS:.o=.d) $(STORE_WIN_OBJS:.o=.d) $(STORE_TEST_OBJ:.o=.d)
