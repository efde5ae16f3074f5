# proxy-stub: $(BUILD)/win/doproxy.dll, the widl-generated proxy/stub for every interface of
# idl/deliveryoptimization.idl (self-registering with regsvr32), and the marshalling round-trip
# test programs of tests/echo/ (echosrv.exe, marshal_test.exe).  See docs/proxy-stub.md.

# The proxy/stub class (a GUID of our own, not any Microsoft one).
DOPROXY_CLSID      := {52E1DB2B-FAD4-429F-8815-13C04CD8152A}
DOPROXY_CLSID_INIT := {0x52e1db2b,0xfad4,0x429f,{0x88,0x15,0x13,0xc0,0x4c,0xd8,0x15,0x2a}}

DOPROXY_DLL  := $(BUILD)/win/doproxy.dll
DOPROXY_OBJDIR := $(BUILD)/win/proxy-stub
DOPROXY_OBJS := $(DOPROXY_OBJDIR)/deliveryoptimization_p.o $(DOPROXY_OBJDIR)/dlldata.o \
                $(DOPROXY_OBJDIR)/deliveryoptimization_i.o $(DOPROXY_OBJDIR)/callas.o
# Generated code only: the registration entry points, our CLSID, and the IUnknown_*_Proxy
# declarations that mingw's <unknwn.h> gives C++ only.
DOPROXY_CFLAGS := $(WCFLAGS) -DREGISTER_PROXY_DLL '-DPROXY_CLSID_IS=$(DOPROXY_CLSID_INIT)' \
                  -include proxy-stub/compat.h

$(DOPROXY_OBJDIR)/%.o: $(BUILD)/idl/%.c $(IDL_HEADER) proxy-stub/compat.h
	@mkdir -p $(@D)
	$(WCC) $(DOPROXY_CFLAGS) -c $< -o $@

# [call_as] glue for the [local] methods of the IDL (hand-written).
$(DOPROXY_OBJDIR)/callas.o: proxy-stub/callas.c $(IDL_HEADER)
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) -c $< -o $@

$(BUILD)/win/version/doproxy.res.o: VERSION_FILE = doproxy.dll
$(BUILD)/win/version/doproxy.res.o: VERSION_TEXT = opendo proxy/stub
$(BUILD)/win/version/doproxy.res.o: VERSION_TYPE = VFT_DLL

$(DOPROXY_DLL): $(DOPROXY_OBJS) $(BUILD)/win/version/doproxy.res.o proxy-stub/doproxy.def
	@mkdir -p $(@D)
	$(WCC) -shared -static -static-libgcc -o $@ $(DOPROXY_OBJS) $(BUILD)/win/version/doproxy.res.o \
	    proxy-stub/doproxy.def -lrpcrt4 -lole32 -loleaut32 -luuid

# --- marshalling round-trip test (tests/echo/, run by tests/e2e/marshal.sh) -------------------
ECHO_TEST_DIR  := $(BUILD)/win/tests
ECHO_OBJDIR    := $(BUILD)/win/tests/echo
ECHO_SRV_EXE   := $(ECHO_TEST_DIR)/echosrv.exe
MARSHAL_TEST_EXE := $(ECHO_TEST_DIR)/marshal_test.exe
ECHO_HEADERS   := tests/echo/echo.h tests/echo/echo_data.h tests/check.h $(IDL_HEADER)
ECHO_LIBS      := -lole32 -loleaut32 -luuid -lrpcrt4 -ladvapi32

$(ECHO_OBJDIR)/%.o: tests/echo/%.c $(ECHO_HEADERS)
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) -Itests -c $< -o $@

$(ECHO_SRV_EXE): $(ECHO_OBJDIR)/echosrv.o $(DOPROXY_OBJDIR)/deliveryoptimization_i.o
	$(WCC) $(WLDFLAGS) -o $@ $^ $(ECHO_LIBS)

$(MARSHAL_TEST_EXE): $(ECHO_OBJDIR)/marshal_test.o $(DOPROXY_OBJDIR)/deliveryoptimization_i.o
	$(WCC) $(WLDFLAGS) -o $@ $^ $(ECHO_LIBS)

all: $(DOPROXY_DLL) $(ECHO_SRV_EXE) $(MARSHAL_TEST_EXE)
