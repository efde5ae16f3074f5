# tools/doadmin/doadmin.mk: doadmin.exe, the bitsadmin-compatible administration tool
# (docs/admin-guide.md), a client of the service's COM API built against our IDL header.
# Every tools/doadmin/*.c is part of it. Included from tools/module.mk.
DOADMIN_EXE  := $(BUILD)/win/doadmin.exe
DOADMIN_OBJS := $(patsubst tools/doadmin/%.c,$(BUILD)/win/doadmin/%.o,$(wildcard tools/doadmin/*.c))

$(BUILD)/win/doadmin/%.o: tools/doadmin/%.c tools/doadmin/doadmin.h $(IDL_HEADER) idl/doerrors.h idl/bits_classes.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) -Iengine/common -MMD -MP -c $< -o $@

$(BUILD)/win/version/doadmin.res.o: VERSION_FILE = doadmin.exe
$(BUILD)/win/version/doadmin.res.o: VERSION_TEXT = opendo administration tool
$(BUILD)/win/version/doadmin.res.o: VERSION_TYPE = VFT_APP

$(DOADMIN_EXE): $(DOADMIN_OBJS) $(IDL_I_OBJ) $(BUILD)/win/version/doadmin.res.o
	$(WCC) $(WLDFLAGS) $^ -o $@ -lole32 -loleaut32 -luuid -ladvapi32 -lversion

all: $(DOADMIN_EXE)
-include $(DOADMIN_OBJS:.o=.d)
