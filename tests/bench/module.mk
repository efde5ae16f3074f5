# tests/bench/: native programs of the benchmarks. They measure CPU time and memory, so they
# link a flavour of the core built with optimisation and without the sanitizers of the unit
# tests (ASan would double the memory and distort the CPU time): build/native-opt/. Built only
# when a benchmark asks for it (make bench-fleet), never by `all`.
# -O2 makes gcc guess at snprintf truncations that -O1 (the unit tests) does not: those stay off.
NOPT_CFLAGS := $(filter-out -O1 -fsanitize=% -fno-sanitize-recover=%,$(NCFLAGS)) -O2 -Wno-format-truncation
NOPT_OBJS := $(ENGINE_SRCS:%.c=$(BUILD)/native-opt/%.o) $(STORE_SRCS:%.c=$(BUILD)/native-opt/%.o)

$(BUILD)/native-opt/%.o: %.c
	@mkdir -p $(@D)
	$(NCC) $(NOPT_CFLAGS) $(ENGINE_INCLUDES) -MMD -MP -c $< -o $@

$(BUILD)/native-opt/libcore.a: $(NOPT_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/native-opt/fleet_clients: tests/bench/fleet_clients.c $(BUILD)/native-opt/libcore.a
	$(NCC) $(NOPT_CFLAGS) $(ENGINE_INCLUDES) -MMD -MP $< $(BUILD)/native-opt/libcore.a \
	    -lcurl -luv -lsqlite3 -lpthread -o $@

-include $(NOPT_OBJS:.o=.d) $(BUILD)/native-opt/fleet_clients.d
