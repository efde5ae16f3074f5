# service/: dosvc.exe, the Windows service (a thin shell around the core), one folder per part:
# host/ (SCM glue, start-up, registration, settings), com/ (the COM objects, one class per file),
# security/ (caller identity, impersonation, secrets, TLS checks), notify/ (client callbacks),
# messages/ (the message catalog and error texts).
SERVICE_SRCS := $(wildcard service/*/*.c)
SERVICE_OBJS := $(SERVICE_SRCS:%.c=$(BUILD)/win/%.o)
SERVICE_INCLUDES := -Iservice $(patsubst %/,-I%,$(sort $(dir $(SERVICE_SRCS)))) $(ENGINE_INCLUDES)
# Every Windows program that talks COM links the generated IIDs/CLSID once, from here.
IDL_I_OBJ := $(BUILD)/win/idl/deliveryoptimization_i.o
WIN_SYSLIBS := -lole32 -loleaut32 -luuid -lrpcrt4 -ladvapi32 -lshlwapi -lshell32 -lcrypt32 -luserenv -lwtsapi32 -liphlpapi -ldhcpcsvc
include service/messages/messages.mk

$(IDL_I_OBJ): $(BUILD)/idl/deliveryoptimization_i.c
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) -Wno-missing-braces -c $< -o $@

# The generated headers come first: the IDL's, and the message ids (messages.h).
$(BUILD)/win/service/%.o: service/%.c $(BUILD)/idl/deliveryoptimization.h $(SERVICE_MESSAGES_H) \
                          $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(DEPS_WIN_CFLAGS) $(SERVICE_INCLUDES) -I$(SERVICE_MESSAGES_DIR) -MMD -MP -c $< -o $@

# The VERSIONINFO resource of a binary, $(BUILD)/win/version/<binary>.res.o: service/version.rc
# included by a two-line wrapper that names the binary (windres cannot take a -D value with
# spaces). Each binary sets VERSION_FILE (its name), VERSION_TEXT (its description) and
# VERSION_TYPE (VFT_APP or VFT_DLL) for its resource.
$(BUILD)/win/version/%.res.o: service/version.rc engine/common/version.h
	@mkdir -p $(@D)
	printf '#define VERSION_FILENAME "%s"\n#define VERSION_DESCRIPTION "%s"\n#define VERSION_FILETYPE %s\n#include "version.rc"\n' \
	    '$(VERSION_FILE)' '$(VERSION_TEXT)' '$(VERSION_TYPE)' > $(@:.res.o=.rc)
	$(WINDRES) -Iservice -Iengine/common -i $(@:.res.o=.rc) -o $@

$(BUILD)/win/version/dosvc.res.o: VERSION_FILE = dosvc.exe
$(BUILD)/win/version/dosvc.res.o: VERSION_TEXT = opendo Delivery Optimization service
$(BUILD)/win/version/dosvc.res.o: VERSION_TYPE = VFT_APP

$(BUILD)/win/dosvc.exe: $(SERVICE_OBJS) $(IDL_I_OBJ) $(SERVICE_MESSAGES_OBJ) $(BUILD)/win/version/dosvc.res.o \
                        $(BUILD)/win/libengine.a $(BUILD)/win/libstore.a
	$(WCC) $(WLDFLAGS) -o $@ $(SERVICE_OBJS) $(IDL_I_OBJ) $(SERVICE_MESSAGES_OBJ) \
	    $(BUILD)/win/version/dosvc.res.o $(BUILD)/win/libengine.a $(BUILD)/win/libstore.a \
	    $(DEPS_WIN_LIBS) $(WIN_SYSLIBS)

all: $(BUILD)/win/dosvc.exe
-include $(SERVICE_OBJS:.o=.d)
