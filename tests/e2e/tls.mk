# tests/e2e/tls.mk: the Windows test of the certificate check (service/security/tls_verify.c) in the
# transfer engine; tests/e2e/tls.sh builds the PKI and nginx and runs it. Included by tests/module.mk:
#   make build/win/tests/tls_client.exe
TLS_CLIENT_OBJ := $(BUILD)/win/tests/tls_client.o

$(TLS_CLIENT_OBJ): tests/e2e/tls_client.c tests/check.h $(BOOTSTRAP_STAMP)
	@mkdir -p $(@D)
	$(WCC) $(WCFLAGS) $(DEPS_WIN_CFLAGS) -Iservice/security $(ENGINE_INCLUDES) -MMD -MP -c $< -o $@

$(BUILD)/win/tests/tls_client.exe: $(TLS_CLIENT_OBJ) $(BUILD)/win/service/security/tls_verify.o $(BUILD)/win/libengine.a \
                                  $(BUILD)/win/libstore.a
	$(WCC) $(WLDFLAGS) -o $@ $(TLS_CLIENT_OBJ) $(BUILD)/win/service/security/tls_verify.o $(BUILD)/win/libengine.a \
	    $(BUILD)/win/libstore.a $(DEPS_WIN_LIBS) $(WIN_SYSLIBS)

all: $(BUILD)/win/tests/tls_client.exe
-include $(TLS_CLIENT_OBJ:.o=.d)
