# tests/fuzz: libFuzzer targets for the parsers and validators of untrusted input in the portable
# core (README.md, "Fuzzing"). Each tests/fuzz/<target>.c is one program, build/fuzz/<target>,
# linked with the core (engine/, store/) compiled again by clang with coverage instrumentation,
# ASan and UBSan. Seeds: tests/fuzz/corpus/<target>/ (committed, never written by a run).
#   make fuzz                      each target for FUZZ_SECONDS (default 60) on a copy of its seeds
#   make fuzz FUZZ_TARGETS=fuzz_names FUZZ_SECONDS=600
# tests/run.sh (make test) runs each for a few seconds.

# The core's warnings are gcc's job (NCFLAGS); clang 14 also counts a positional initializer
# that leaves trailing members zero as missing fields (engine/settings/settings.c's table).
FCC        := clang
FCFLAGS    := -std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers -O1 -g -D_DEFAULT_SOURCE \
              -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 60

FUZZ_ALL     := $(basename $(notdir $(wildcard tests/fuzz/*.c)))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_CORE_OBJS := $(ENGINE_SRCS:%.c=$(BUILD)/fuzz/obj/%.o) $(STORE_SRCS:%.c=$(BUILD)/fuzz/obj/%.o)

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FCC) $(FCFLAGS) -fsanitize=fuzzer-no-link $(ENGINE_INCLUDES) -MMD -MP -c $< -o $@

$(BUILD)/fuzz/libcore.a: $(FUZZ_CORE_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzz/libcore.a
	@mkdir -p $(@D)
	$(FCC) $(FCFLAGS) -fsanitize=fuzzer $(ENGINE_INCLUDES) -MMD -MP $< $(BUILD)/fuzz/libcore.a \
	    -lcurl -luv -lsqlite3 -lpthread -o $@

all: $(FUZZ_ALL:%=$(BUILD)/fuzz/%)

.PHONY: fuzz
fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

-include $(FUZZ_CORE_OBJS:.o=.d) $(FUZZ_ALL:%=$(BUILD)/fuzz/%.d)
