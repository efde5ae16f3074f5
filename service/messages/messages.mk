# service/messages/messages.mk (included from service/module.mk): the message catalog of the
# service. windmc compiles service/messages/messages.mc into $(BUILD)/win/messages/ (messages.h, messages.rc,
# MSG00409.bin) and windres turns that into an object holding the MESSAGETABLE resource.
# dosvc.exe links $(SERVICE_MESSAGES_OBJ); code that wants the MSG_* ids includes messages.h
# with -I$(BUILD)/win/messages.
WINDMC               ?= x86_64-w64-mingw32-windmc
SERVICE_MESSAGES_DIR := $(BUILD)/win/messages
SERVICE_MESSAGES_H   := $(SERVICE_MESSAGES_DIR)/messages.h
SERVICE_MESSAGES_OBJ := $(SERVICE_MESSAGES_DIR)/messages.res.o

SERVICE_MESSAGES_GEN := $(SERVICE_MESSAGES_H) $(SERVICE_MESSAGES_DIR)/messages.rc \
                        $(SERVICE_MESSAGES_DIR)/MSG00409.bin

$(SERVICE_MESSAGES_GEN) &: service/messages/messages.mc
	@mkdir -p $(SERVICE_MESSAGES_DIR)
	$(WINDMC) -h $(SERVICE_MESSAGES_DIR) -r $(SERVICE_MESSAGES_DIR) $<

$(SERVICE_MESSAGES_OBJ): $(SERVICE_MESSAGES_DIR)/messages.rc $(SERVICE_MESSAGES_DIR)/MSG00409.bin
	$(WINDRES) -I$(SERVICE_MESSAGES_DIR) -i $< -o $@

# The test: every DO_E_* code of idl/doerrors.h, every WinINet-range TRANSFER_E_* code of
# engine/transfer/transfer.h and every BG_* code of the toolchain's bitsmsg.h and of
# service/messages/bitsmsg_more.h (the later codes it lacks), listed from the headers themselves
# (no copy of the lists to drift).
ERROR_TEXT_CODES_INC := $(BUILD)/win/tests/error_text_codes.inc

$(ERROR_TEXT_CODES_INC): idl/doerrors.h engine/transfer/transfer.h service/messages/bitsmsg_more.h \
                         service/messages/messages.mk
	@mkdir -p $(@D)
	{ awk '/^#define DO_E_[A-Z0-9_]+[ \t]+DO_HRESULT\(/ { print "DO_CODE(" $$2 ")" }' idl/doerrors.h && \
	  awk '/^#define TRANSFER_E_[A-Z0-9_]+[ \t]+\(\(hr_t\)0x80072/ { print "NET_CODE(" $$2 ")" }' \
	      engine/transfer/transfer.h && \
	  printf '#include <bitsmsg.h>\n#include "bitsmsg_more.h"\n' | $(WCC) -Iservice/messages -dM -E -x c - | \
	  awk '$$2 ~ /^BG_[ES]_/ { print "BG_CODE(" $$2 ")" }' | sort; } > $@.tmp && mv $@.tmp $@

$(BUILD)/win/tests/error_text_test.exe: tests/e2e/error_text_test.c tests/check.h service/messages/error_text.h \
        service/messages/bitsmsg_more.h \
        $(ERROR_TEXT_CODES_INC) $(SERVICE_MESSAGES_H) $(SERVICE_MESSAGES_OBJ) \
        $(BUILD)/win/service/messages/error_text.o
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) -Iservice/messages -Iengine/transfer -Iengine/common -I$(SERVICE_MESSAGES_DIR) -I$(@D) $(WLDFLAGS) $< \
	    $(BUILD)/win/service/messages/error_text.o $(SERVICE_MESSAGES_OBJ) -o $@ -lole32

all: $(BUILD)/win/tests/error_text_test.exe
