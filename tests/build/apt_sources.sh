#!/usr/bin/env bash
# scripts/apt-deb-src.sh: the Debian source archives come from the machine's own apt
# configuration (mirrors, apt proxies), never from a host name written into our scripts. Each
# case is an apt configuration of its own (APT_CONFIG), read by apt as on a real machine.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/opendo-apt-sources.XXXXXX")
trap 'rm -rf "$work"' EXIT
export OPENDO_DEBIAN_CODENAME=bookworm
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

failures=0
ok()     { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }

# new_config NAME: an empty apt configuration in $work/NAME (sources.list, parts/, lists/).
new_config() {
    cfg=$work/$1
    mkdir -p "$cfg/parts" "$cfg/lists/partial"
    : >"$cfg/sources.list"
    printf 'Dir::Etc::SourceList "%s";\nDir::Etc::SourceParts "%s";\nDir::State::Lists "%s";\n' \
        "$cfg/sources.list" "$cfg/parts" "$cfg/lists" >"$cfg/apt.conf"
}

# downloaded_release CFG URI-PATH SUITE ORIGIN: what `apt-get update` leaves for a repository.
downloaded_release() {
    local base=$1/lists/${2}_dists_$3
    printf 'Origin: %s\nSuite: %s\nCodename: %s\nComponents: main\nArchitectures: amd64\n' \
        "$4" "$3" "$3" >"${base}_InRelease"
    : >"${base}_main_binary-amd64_Packages"
}

# run_script CFG: scripts/apt-deb-src.sh under that configuration; $out, $err, $status.
run_script() {
    out=$(APT_CONFIG=$1/apt.conf bash "$top/scripts/apt-deb-src.sh" 2>"$work/err")
    status=$?
    err=$(cat "$work/err")
}

stanza() {  # URI SUITES
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\n' "$1" "$2"
    [ -f "$KEYRING" ] && printf 'Signed-By: %s\n' "$KEYRING"
}

# 1. A company machine: the archive through an apt proxy (one-line format), updates and security
#    from a mirror (deb822), and vendors' repositories that must not be taken.
new_config corp
cat >"$cfg/sources.list" <<'EOF'
deb http://apt-cache.corp.test:3142/deb.debian.org/debian bookworm main contrib
deb [arch=amd64 signed-by=/usr/share/keyrings/vendor.gpg] https://vendor.example.test/debian/12/prod bookworm main
deb https://download.docker.example.test/linux/debian bookworm stable
EOF
cat >"$cfg/parts/mirror.sources" <<'EOF'
Types: deb
URIs: http://mirror.corp.test/debian
Suites: bookworm-updates
Components: main non-free-firmware

Types: deb
URIs: http://mirror.corp.test/debian-security
Suites: bookworm-security
Components: main

Types: deb
URIs: http://disabled.corp.test/debian
Suites: bookworm
Components: main
Enabled: no
EOF
cat >"$cfg/parts/node.sources" <<'EOF'
Types: deb
URIs: https://deb.node.example.test/node_20.x
Suites: nodistro
Components: main
EOF
downloaded_release "$cfg" vendor.example.test_debian_12_prod bookworm "vendor-debian-bookworm-prod bookworm"
downloaded_release "$cfg" apt-cache.corp.test:3142_deb.debian.org_debian bookworm Debian
run_script "$cfg"
expected=$(stanza http://apt-cache.corp.test:3142/deb.debian.org/debian/ bookworm; echo
           stanza http://mirror.corp.test/debian/ bookworm-updates; echo
           stanza http://mirror.corp.test/debian-security/ bookworm-security)
if [ "$status" -eq 0 ] && [ "$out" = "$expected" ] && [ -z "$err" ]; then
    ok "proxy URI and mirror are taken as configured; vendor, docker, node and disabled entries are not"
else
    not_ok "proxy URI and mirror are taken as configured; vendor, docker, node and disabled entries are not"
    printf '%s\n' "$out" "$err" | sed 's/^/#   /'
fi
printf '%s\n' "$out" >"$work/out.sources"
targets=$(apt-get -o Dir::Etc::SourceList="$work/out.sources" -o Dir::Etc::SourceParts=/dev/null \
              -o Dir::State::Lists="$cfg/lists" indextargets --no-release-info \
              --format '$(TARGET_OF) $(REPO_URI) $(RELEASE)' 2>&1 | sort -u)
if [ "$targets" = "$(printf '%s\n' \
        'deb-src http://apt-cache.corp.test:3142/deb.debian.org/debian/ bookworm' \
        'deb-src http://mirror.corp.test/debian-security/ bookworm-security' \
        'deb-src http://mirror.corp.test/debian/ bookworm-updates')" ]; then
    ok "apt reads the printed list as three deb-src archives"
else
    not_ok "apt reads the printed list as three deb-src archives"
    printf '%s\n' "$targets" | sed 's/^/#   /'
fi

# 2. Debian's own default (deb822, deb.debian.org), with deb-src already there, the security
#    archive listed first: one stanza per URI, the release's own archive first (apt takes a
#    version that several archives list from the first one).
new_config default
cat >"$cfg/parts/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main

Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm-updates bookworm
Components: main
EOF
run_script "$cfg"
expected=$(stanza http://deb.debian.org/debian/ "bookworm bookworm-updates"; echo
           stanza http://deb.debian.org/debian-security/ bookworm-security)
if [ "$status" -eq 0 ] && [ "$out" = "$expected" ]; then
    ok "Debian's default sources: one stanza per URI, the release first, security last"
else
    not_ok "Debian's default sources: one stanza per URI, the release first, security last"
    printf '%s\n' "$out" "$err" | sed 's/^/#   /'
fi

# 3. No security suite: the list is printed, and a warning says what that means.
new_config nosecurity
echo 'deb http://mirror.corp.test/debian bookworm main' >"$cfg/sources.list"
run_script "$cfg"
if [ "$status" -eq 0 ] && [ "$out" = "$(stanza http://mirror.corp.test/debian/ bookworm)" ] &&
   printf '%s' "$err" | grep -q "no 'bookworm-security' entry.*security updates"; then
    ok "without bookworm-security: the list, and a warning about security updates"
else
    not_ok "without bookworm-security: the list, and a warning about security updates"
    printf '%s\n' "$out" "$err" | sed 's/^/#   /'
fi

# 4. No Debian archive at all (only a vendor's repository): fail, naming the files read and
#    what to add.
new_config none
echo 'deb https://vendor.example.test/debian/12/prod bookworm main' >"$cfg/sources.list"
downloaded_release "$cfg" vendor.example.test_debian_12_prod bookworm vendor
run_script "$cfg"
if [ "$status" -ne 0 ] && [ -z "$out" ] &&
   printf '%s' "$err" | grep -q "names no Debian archive for 'bookworm'" &&
   printf '%s' "$err" | grep -qF "$cfg/sources.list" &&
   printf '%s' "$err" | grep -q 'Suites: bookworm bookworm-updates'; then
    ok "no Debian archive configured: fails, names the files read and what to add"
else
    not_ok "no Debian archive configured: fails, names the files read and what to add (status $status)"
    printf '%s\n' "$out" "$err" | sed 's/^/#   /'
fi

exit $((failures > 0))
