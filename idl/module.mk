# idl: the BITS-style DO API (idl/deliveryoptimization.idl) compiled by widl into $(BUILD)/idl:
#   deliveryoptimization.h     C/C++ header (what the service and clients include)
#   deliveryoptimization_i.c   IID_* / CLSID_DeliveryOptimization / LIBID_DeliveryOptimization
#   deliveryoptimization_p.c   proxy/stub code, post-processed by proxy-stub/fixup-widl-oif.pl
#   dlldata.c                  proxy DLL glue
# See docs/proxy-stub.md.

IDL_SRC        := idl/deliveryoptimization.idl
IDL_DIR        := $(BUILD)/idl
IDL_HEADER     := $(IDL_DIR)/deliveryoptimization.h
IDL_IID_C      := $(IDL_DIR)/deliveryoptimization_i.c
# (widl derives the ProxyFileInfo symbol from the output file name: keep it *_p.c)
IDL_PROXY_RAW  := $(IDL_DIR)/widl-raw/deliveryoptimization_p.c
IDL_PROXY_C    := $(IDL_DIR)/deliveryoptimization_p.c
IDL_DLLDATA_C  := $(IDL_DIR)/dlldata.c
IDL_FIXUP      := proxy-stub/fixup-widl-oif.pl
# -Oif: interpreted stubs (no inline code needing Wine's wine/exception.h); the .idl imports
# (unknwn.idl, oaidl.idl...) come from libwine-dev.
WIDL_INCLUDE   := /usr/include/wine/wine/windows
WIDLFLAGS      := -m64 -Oif -I$(WIDL_INCLUDE)

all: $(IDL_HEADER) $(IDL_IID_C)

$(IDL_HEADER): $(IDL_SRC)
	@mkdir -p $(@D)
	$(WIDL) $(WIDLFLAGS) -h -o $@ $< || { rm -f $@; exit 1; }

$(IDL_IID_C): $(IDL_SRC)
	@mkdir -p $(@D)
	$(WIDL) $(WIDLFLAGS) -u -o $@ $< || { rm -f $@; exit 1; }

# widl's raw proxy code has wrong type offsets for [out] LPWSTR * parameters; the fix-up
# rewrites exactly those, checks every other out-parameter, and fails on anything unexpected.
$(IDL_PROXY_RAW): $(IDL_SRC)
	@mkdir -p $(@D)
	$(WIDL) $(WIDLFLAGS) -p -o $@ $< || { rm -f $@; exit 1; }

$(IDL_PROXY_C): $(IDL_PROXY_RAW) $(IDL_FIXUP)
	perl $(IDL_FIXUP) $< $@

$(IDL_DLLDATA_C): $(IDL_SRC)
	@mkdir -p $(@D)
	$(WIDL) --dlldata-only -o $@ deliveryoptimization || { rm -f $@; exit 1; }
