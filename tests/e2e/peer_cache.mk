# tests/e2e/peer_cache.mk: peer_cache_test.exe (tests/e2e/peer_cache_test.c), the BITS manager's
# IBitsPeerCacheAdministration part and its enumerators in process, run by tests/e2e/peer_cache.sh.
PEER_CACHE_TEST_OBJS := $(BUILD)/win/service/com/bits_peer_cache_administration.o \
                        $(BUILD)/win/service/com/enum_bits_peer_cache.o $(BUILD)/win/service/com/api_personality.o

$(BUILD)/win/tests/peer_cache_test.exe: tests/e2e/peer_cache_test.c tests/check.h $(PEER_CACHE_TEST_OBJS) $(IDL_I_OBJ)
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(DEPS_WIN_CFLAGS) $(SERVICE_INCLUDES) -Itests $(WLDFLAGS) $< $(PEER_CACHE_TEST_OBJS) $(IDL_I_OBJ) \
	    -o $@ -lole32 -luuid

all: $(BUILD)/win/tests/peer_cache_test.exe
