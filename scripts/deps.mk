# Static Windows dependencies (libcurl/Schannel, libuv, SQLite) built by scripts/build-deps.sh
# into $(DEPS) (build/deps, a link into the per-user cache).  Headers: -I$(DEPS)/include.
# Link order matters: the three libraries first, then zlib and the Windows system libraries.
DEPS ?= build/deps
DEPS_WIN_CFLAGS := -DCURL_STATICLIB
DEPS_WIN_LIBS   := -L$(DEPS)/lib -lcurl -luv -lsqlite3 -lz -lws2_32 -lcrypt32 -lbcrypt \
                   -liphlpapi -luserenv -lsecur32 -ladvapi32
