#!/usr/bin/env bash
# Print a deb822 sources list of the Debian *source* archives (Types: deb-src) for this machine's
# Debian release, on the archive URIs that the machine's own apt configuration uses for its binary
# packages: a company mirror, an apt proxy's URI, deb.debian.org, whatever is configured (apt's
# proxy settings apply as well, since scripts/build-deps.sh runs apt with the machine's apt.conf).
# apt itself reads the configuration (apt-get indextargets), so every form apt accepts works:
# /etc/apt/sources.list, sources.list.d/*.list and *.sources (APT_CONFIG is honoured, as by apt).
#
#   bash scripts/apt-deb-src.sh >sources.sources      (called by scripts/build-deps.sh)
#
# Taken: entries for <codename>, <codename>-updates and <codename>-security with component main,
# except those whose downloaded Release file names an origin other than Debian (a vendor's
# "bookworm main" repository) and cdrom: sources. Without an entry for <codename> itself, it says
# what to add and fails; without -security it warns (the sources would lack security updates).
set -euo pipefail
[ $# -eq 0 ] || { echo "apt-deb-src.sh: unexpected argument '$1'" >&2; echo "usage: bash scripts/apt-deb-src.sh >FILE.sources   (no arguments)" >&2; exit 2; }

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
codename=${OPENDO_DEBIAN_CODENAME:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}
[ -n "$codename" ] || { echo "bootstrap: error: no VERSION_CODENAME in /etc/os-release" >&2; exit 1; }

# "uri suite" of repositories whose Release file (already downloaded) names another origin.
foreign=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(ORIGIN)' |
          awk '$3 != "" && $3 != "Debian" { print $1, $2 }')
# "uri suite" of every other configured entry for this release, as apt parsed them: the release
# itself first, then -updates, then -security. For a version that several archives list, apt
# takes it from the first; a mirror may list a version in -security that only its main archive
# serves (seen: libuv1 1.44.2-1+deb12u1, a 404 from the security pool).
entries=$(apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' |
          awk -v c="$codename" 'NR == FNR { skip[$0]; next }
                                $3 != "main" || $1 ~ /^cdrom:/ || ($1 " " $2) in skip { next }
                                $2 == c { print 0, $1, $2 }
                                $2 == c "-updates" { print 1, $1, $2 }
                                $2 == c "-security" { print 2, $1, $2 }' <(printf '%s\n' "$foreign") - |
          sort -u -k1,1n -k2,2 | cut -d' ' -f2-)

if ! printf '%s\n' "$entries" | awk -v c="$codename" '$2 == c { found = 1 } END { exit !found }'; then
    eval "$(apt-config shell SOURCE_LIST Dir::Etc::sourcelist/f SOURCE_PARTS Dir::Etc::sourceparts/d)"
    cat >&2 <<EOF
bootstrap: error: this machine's apt configuration names no Debian archive for '$codename'
  (looked in ${SOURCE_LIST:-?} and ${SOURCE_PARTS:-?}*.list|*.sources for an entry with
  suite '$codename' and component 'main'). The Windows dependencies are built from Debian's
  source packages, fetched from the archive your binary packages come from. Add one, e.g. a file
  ${SOURCE_PARTS:-/etc/apt/sources.list.d/}debian.sources with the lines
      Types: deb
      URIs: http://deb.debian.org/debian        (or your mirror / proxy URI)
      Suites: $codename $codename-updates
      Components: main
      Signed-By: $KEYRING
  and run the command again.
EOF
    exit 1
fi
printf '%s\n' "$entries" | awk -v c="$codename" '$2 == c "-security" { found = 1 } END { exit !found }' ||
    echo "bootstrap: warning: no '$codename-security' entry in the apt configuration: the" \
         "dependencies are built without Debian's security updates" >&2

# One stanza per archive URI, with the suites it serves.
signed_by=
[ -f "$KEYRING" ] && signed_by="Signed-By: $KEYRING"
printf '%s\n' "$entries" | awk -v signed_by="$signed_by" '
    { if (!($1 in suites)) order[n++] = $1; suites[$1] = suites[$1] (suites[$1] ? " " : "") $2 }
    END {
        for (i = 0; i < n; i++)
            printf "%sTypes: deb-src\nURIs: %s\nSuites: %s\nComponents: main\n%s", (i ? "\n" : ""),
                   order[i], suites[order[i]], (signed_by ? signed_by "\n" : "")
    }'
