#!/usr/bin/env bash
# Cross-build the static Windows (x86_64-w64-mingw32) dependencies of opendo -- libuv, SQLite,
# libcurl (Schannel) -- from Debian's *source* packages, into a cache keyed by their versions,
# and point build/deps at it.
#
#   bash scripts/build-deps.sh        (any cwd; called by scripts/bootstrap.sh)
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/opendo/
#   deps-<key>/        finished prefix (lib/, include/, VERSIONS, .complete); never modified
#   current-key        the source versions resolved last time (lets a re-run skip apt entirely)
#   apt/               private apt configuration, lists and cache (the machine's apt is untouched);
#                      its deb-src archives are those of the machine's apt sources
#                      (scripts/apt-deb-src.sh), and the machine's apt.conf (proxy...) applies
#   logs/              build chatter of the last run, one file per step
# The key covers the three Debian source versions, the mingw-w64 toolchain and zlib versions,
# and the contents of this script and of mingw-toolchain.cmake.  A prefix is built under a
# temporary directory and renamed into place only once complete, so a half-built prefix is never
# used.  With a complete prefix for the remembered versions, a re-run only relinks build/deps:
# no apt, no network.  OPENDO_DEPS_REFRESH=1 re-resolves the versions (e.g. after a Debian
# security update) and rebuilds if they changed.
set -euo pipefail
[ $# -eq 0 ] || { echo "build-deps.sh: unexpected argument '$1'" >&2; echo "usage: bash scripts/build-deps.sh   (no arguments; OPENDO_DEPS_REFRESH=1 re-resolves the versions)" >&2; exit 2; }

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPTS=$TOP/scripts
TOOLCHAIN=$SCRIPTS/mingw-toolchain.cmake
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/opendo
KEYFILE=$CACHE/current-key
LOGS=$CACHE/logs
TRIPLE=x86_64-w64-mingw32
JOBS=2
SRC_PKGS=(libuv1 sqlite3 curl)

. "$SCRIPTS/bootstrap-lib.sh"
STEPS=5   # of the slow path: resolve, download, libuv, sqlite3, curl

# --- the key ---------------------------------------------------------------------------------
# Local part: toolchain + zlib package versions and the build recipe.  Cheap (no network).
local_fingerprint() {
    command -v $TRIPLE-gcc >/dev/null || die "$TRIPLE-gcc not found (run scripts/bootstrap.sh)"
    $TRIPLE-gcc --version | head -n 1
    dpkg-query -W -f='${Package}=${Version}\n' gcc-mingw-w64-x86-64-win32 \
        gcc-mingw-w64-x86-64-posix mingw-w64-x86-64-dev libz-mingw-w64-dev 2>/dev/null || true
    sha256sum <"$SCRIPTS/build-deps.sh" | cut -d' ' -f1
    sha256sum <"$TOOLCHAIN" | cut -d' ' -f1
}

# VERSIONS_TEXT holds "pkg=version" lines for the three source packages.
key_for() { { printf '%s\n' "$1"; local_fingerprint; } | sha256sum | cut -c1-16; }

# Point build/deps at a finished prefix (atomically: a new link renamed over the old one).
relink() {
    local dir=$1 link=$TOP/build/deps
    mkdir -p "$TOP/build"
    if [ -e "$link" ] && [ ! -L "$link" ]; then
        die "$link exists and is not a symlink; move it away"
    fi
    ln -sfn "$dir" "$link.tmp.$$"
    mv -Tf "$link.tmp.$$" "$link"
}

remember() {  # store the resolved versions so that the next run needs no apt
    printf '%s\n' "$1" >"$KEYFILE.tmp.$$"
    mv -f "$KEYFILE.tmp.$$" "$KEYFILE"
}

# --- fast path: remembered versions + complete prefix -> relink only ---------------------------
if [ -z "${OPENDO_DEPS_REFRESH:-}" ] && [ -s "$KEYFILE" ]; then
    VERSIONS_TEXT=$(cat "$KEYFILE")
    PREFIX=$CACHE/deps-$(key_for "$VERSIONS_TEXT")
    if [ -f "$PREFIX/.complete" ]; then
        relink "$PREFIX"
        say "deps up to date ($(tr '\n' ' ' <"$KEYFILE" | sed 's/ $//')) -> build/deps"
        exit 0
    fi
fi

# --- slow path: resolve current versions with a private apt configuration ----------------------
command -v apt-get >/dev/null || die "apt-get not found"
command -v dpkg-source >/dev/null || die "dpkg-source not found (install dpkg-dev)"
command -v tclsh >/dev/null || die "tclsh not found (install tcl)"
command -v cmake >/dev/null || die "cmake not found"

mkdir -p "$CACHE" "$LOGS"
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
    say "another build of the deps is running; waiting for it"
    flock 9
fi
# Under the lock nobody else builds: leftovers of an interrupted run are garbage.
rm -rf "$CACHE"/tmp-build.* "$CACHE"/deps-*.stage.*

APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
# The archives (mirror, apt proxy URI...) are the ones the machine's own apt configuration uses.
bash "$SCRIPTS/apt-deb-src.sh" >"$APT/sources.sources"
APT_OPTS=(
    -o "Dir::Etc::SourceList=$APT/sources.sources"
    -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$APT/lists"
    -o "Dir::Cache=$APT/cache"
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
)
: >"$LOGS/apt.log"
step deps 1 $STEPS "resolving Debian source versions from $(sed -n 's/^URIs: //p' "$APT/sources.sources" |
    tr '\n' ' ')(private apt lists in $APT)"
run "$LOGS/apt.log" apt-get "${APT_OPTS[@]}" update

# The .dsc names give the versions apt picked (highest across bookworm, -updates, -security).
VERSIONS_TEXT=""
for p in "${SRC_PKGS[@]}"; do
    uris=$(apt-get "${APT_OPTS[@]}" source --print-uris "$p" 2>>"$LOGS/apt.log") ||
        die "apt-get source --print-uris $p failed (see $LOGS/apt.log)"
    dsc=$(printf '%s\n' "$uris" | awk '$2 ~ /\.dsc$/ {print $2; exit}')
    [ -n "$dsc" ] || die "no source package found for $p"
    v=${dsc%.dsc}; v=${v#"${p}_"}
    VERSIONS_TEXT+="$p=$v"$'\n'
done
VERSIONS_TEXT=${VERSIONS_TEXT%$'\n'}
KEY=$(key_for "$VERSIONS_TEXT")
PREFIX=$CACHE/deps-$KEY
say "versions: $(printf '%s' "$VERSIONS_TEXT" | tr '\n' ' ')(key $KEY)"

if [ -f "$PREFIX/.complete" ]; then
    remember "$VERSIONS_TEXT"
    relink "$PREFIX"
    say "deps already built -> build/deps"
    exit 0
fi
[ -e "$PREFIX" ] && rm -rf "$PREFIX"   # no marker: not ours to trust (cannot normally happen)

WORK=$(mktemp -d "$CACHE/tmp-build.XXXXXX")
STAGE=$PREFIX.stage.$$
cleanup() { [ -n "${OPENDO_KEEP_BUILD:-}" ] || rm -rf "$WORK"; rm -rf "$STAGE"; }
trap cleanup EXIT
mkdir -p "$STAGE/lib" "$STAGE/include"
export OPENDO_DEPS_PREFIX=$STAGE
for f in libuv sqlite3 curl; do : >"$LOGS/$f.log"; done

step deps 2 $STEPS "downloading and unpacking the sources"
(cd "$WORK" && run "$LOGS/apt.log" apt-get "${APT_OPTS[@]}" source --download-only "${SRC_PKGS[@]}")
for p in "${SRC_PKGS[@]}"; do
    v=$(printf '%s\n' "$VERSIONS_TEXT" | sed -n "s/^$p=//p")
    [ -f "$WORK/${p}_$v.dsc" ] || die "downloaded ${p}_$v.dsc missing (see $LOGS/apt.log)"
    run "$LOGS/apt.log" dpkg-source -x "$WORK/${p}_$v.dsc" "$WORK/$p"
done

CMAKE_COMMON=(
    -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN"
    -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_INSTALL_PREFIX="$WORK/install-scratch"
)

# --- libuv: static archive only ---------------------------------------------------------------
step deps 3 $STEPS "building libuv (static; log: $LOGS/libuv.log)"
log=$LOGS/libuv.log
run "$log" cmake -S "$WORK/libuv1" -B "$WORK/libuv1-build" "${CMAKE_COMMON[@]}" \
    -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF
run "$log" cmake --build "$WORK/libuv1-build" --target uv_a -j $JOBS
a=$(find "$WORK/libuv1-build" -name 'libuv_a.a' -print -quit)
[ -n "$a" ] || die "libuv_a.a not produced (see $log)"
cp "$a" "$STAGE/lib/libuv.a"
cp "$WORK/libuv1/include/uv.h" "$STAGE/include/"
cp -r "$WORK/libuv1/include/uv" "$STAGE/include/"

# --- SQLite: amalgamation generated natively, compiled with mingw -------------------------------
# SQLITE_WIN32_NO_OVERLAPPED: positioned reads and writes by seek + ReadFile/WriteFile instead of
# an OVERLAPPED offset. Under Wine an I/O given an OVERLAPPED also posts a completion record to
# the wineserver (add_fd_completion): one more round trip for every page SQLite reads or writes
# (a committed CreateJob or Cancel writes about twenty). SQLite's own handle is used under one
# lock, so the shared file position is safe.
SQLITE_FLAGS="-O2 -DSQLITE_THREADSAFE=1 -DSQLITE_DEFAULT_WAL_SYNCHRONOUS=2 -DSQLITE_WIN32_NO_OVERLAPPED"
step deps 4 $STEPS "building sqlite3 (amalgamation, static; log: $LOGS/sqlite3.log)"
log=$LOGS/sqlite3.log
mkdir -p "$WORK/sqlite3-build"
(
    cd "$WORK/sqlite3-build"
    run "$log" "$WORK/sqlite3/configure" --disable-shared --disable-tcl
    run "$log" make -j $JOBS sqlite3.c
    run "$log" $TRIPLE-gcc $SQLITE_FLAGS -c sqlite3.c -o sqlite3.o
    run "$log" $TRIPLE-ar rcs "$STAGE/lib/libsqlite3.a" sqlite3.o
    cp sqlite3.h sqlite3ext.h "$STAGE/include/"
)

# --- curl: static, Schannel, nothing optional but zlib -------------------------------------------
step deps 5 $STEPS "building curl (static, Schannel; log: $LOGS/curl.log)"
log=$LOGS/curl.log
run "$log" cmake -S "$WORK/curl" -B "$WORK/curl-build" "${CMAKE_COMMON[@]}" \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF \
    -DCURL_USE_SCHANNEL=ON -DCURL_USE_OPENSSL=OFF -DCURL_USE_MBEDTLS=OFF -DCURL_USE_WOLFSSL=OFF \
    -DCURL_USE_BEARSSL=OFF -DCURL_USE_NSS=OFF -DCURL_USE_GSSAPI=OFF \
    -DUSE_NGHTTP2=OFF -DUSE_NGTCP2=OFF -DUSE_QUICHE=OFF -DUSE_MSH3=OFF \
    -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBSSH=OFF \
    -DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON -DUSE_WIN32_LDAP=OFF \
    -DUSE_LIBIDN2=OFF -DUSE_WIN32_IDN=OFF -DCURL_USE_LIBPSL=OFF \
    -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DENABLE_ARES=OFF \
    -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none \
    -DCURL_ZLIB=ON -DZLIB_LIBRARY=/usr/$TRIPLE/lib/libz.a -DZLIB_INCLUDE_DIR=/usr/$TRIPLE/include
run "$log" cmake --build "$WORK/curl-build" -j $JOBS
run "$log" cmake --install "$WORK/curl-build"
[ -f "$WORK/install-scratch/lib/libcurl.a" ] || die "libcurl.a not produced (see $log)"
cp "$WORK/install-scratch/lib/libcurl.a" "$STAGE/lib/"
cp -r "$WORK/install-scratch/include/curl" "$STAGE/include/"

# --- publish ----------------------------------------------------------------------------------
curl_features=$(sed -n 's/^-- Enabled features: //p' "$log" | tail -n 1)
{
    echo "opendo Windows dependencies: static $TRIPLE libraries built from Debian source packages"
    echo "key: $KEY"
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo
    echo "sources (Debian bookworm, incl. -updates and -security):"
    printf '%s\n' "$VERSIONS_TEXT" | sed 's/^/  /'
    echo "from (the machine's apt configuration):"
    sed -n 's/^URIs: /  /p' "$APT/sources.sources"
    echo
    echo "toolchain:"
    local_fingerprint | head -n -2 | sed 's/^/  /'
    echo
    echo "sqlite3 flags: $SQLITE_FLAGS"
    echo "curl: Schannel, zlib; features: ${curl_features:-?}"
} >"$STAGE/VERSIONS"
touch "$STAGE/.complete"
mv -T "$STAGE" "$PREFIX"
remember "$VERSIONS_TEXT"
relink "$PREFIX"
say "deps built: $PREFIX -> build/deps"
