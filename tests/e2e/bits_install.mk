# tests/e2e/bits_install.mk: the client of tests/e2e/bits_install.sh (tests/e2e/bits_install_client.c),
# which asks who answers the BITS classes. Included from tests/module.mk.
$(BUILD)/win/tests/bits_install_client.exe: tests/e2e/bits_install_client.c idl/bits_classes.h $(IDL_I_OBJ) \
                                            $(BUILD)/idl/deliveryoptimization.h
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(WLDFLAGS) $< $(IDL_I_OBJ) -o $@ -lole32 -loleaut32 -luuid

all: $(BUILD)/win/tests/bits_install_client.exe
