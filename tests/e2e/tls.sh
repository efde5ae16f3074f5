#!/usr/bin/env bash
# The certificate check of the transfer engine on Windows (service/security/tls_verify.c, docs/tls.md):
# a throw-away PKI made with the openssl CLI, nginx serving it on 127.0.0.1, and
# build/win/tests/tls_client.exe (the engine with verify_tls = tls_verify_schannel) downloading
# from each server: trusted -> ok, everything else -> DO_E_HTTP_CERT_VALIDATION.
. "$(dirname "$0")/lib.sh"
. "$top/scripts/test-pki.sh"

tls_exe="$top/build/win/tests/tls_client.exe"
if [ ! -f "$tls_exe" ]; then
    not_ok "tls: build/win/tests/tls_client.exe is built (make all)"
    e2e_exit
fi
for tool in openssl nginx python3; do
    command -v "$tool" >/dev/null || { not_ok "tls: $tool is installed"; e2e_exit; }
done

tmp=$(mktemp -d /tmp/opendo-tls.XXXXXX)
ca_imported=
cleanup() {
    if [ -n "$ca_imported" ]; then
        wine "$tls_exe" remove-ca "$(winepath -w "$tmp/ca.pem" 2>/dev/null)" </dev/null >/dev/null 2>&1
    fi
    loopback_nginx_stop
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs tls_client.exe; its check lines go to stdout, its stderr (the log lines of every refusal)
# to $tmp/client.err; returns its exit status.
tls_client() {
    wine "$tls_exe" "$@" </dev/null 2>"$tmp/client.err" | tr -d '\r'
    return "${PIPESTATUS[0]}"
}

# ---- the PKI: two CAs, five server certificates --------------------------------------------
pki() {
    cd "$tmp" || return 1
    pki_ca ca "opendo test CA $$" && pki_ca other "opendo untrusted CA $$" || return 1
    pki_leaf localhost ca trusted &&
        pki_leaf localhost other untrusted &&
        cat untrusted.pem other.pem >untrusted-chain.pem &&     # the server sends its CA too
        pki_leaf localhost other unknown &&                     # the server sends the leaf only
        pki_leaf otherhost ca wrongname &&
        pki_leaf localhost ca expired 20200101000000Z 20200201000000Z
}
if (pki) >"$tmp/pki.log" 2>&1; then
    ok "tls: a test PKI made with openssl (2 CAs, 5 server certificates)"
else
    not_ok "tls: a test PKI made with openssl (2 CAs, 5 server certificates)" "$(tail -n 3 "$tmp/pki.log")"
    e2e_exit
fi

# ---- nginx on 127.0.0.1: one http and five https servers -------------------------------------
mkdir -p "$tmp/www"
head -c 3000000 /dev/urandom >"$tmp/www/data.bin"
sha=$(sha256sum "$tmp/www/data.bin" | awk '{print $1}')

start_nginx() {
    local attempt p blocks
    for attempt in 1 2 3 4 5; do
        read -r http_port p_trusted p_untrusted p_unknown p_wrongname p_expired <<<"$(loopback_free_ports 6)"
        blocks="  server { listen 127.0.0.1:$http_port; root $tmp/www; }"
        for p in trusted:trusted untrusted:untrusted-chain unknown:unknown wrongname:wrongname expired:expired; do
            local var="p_${p%%:*}" cert=${p#*:}
            blocks+=$'\n'"  server { listen 127.0.0.1:${!var} ssl; root $tmp/www;"
            blocks+=" ssl_certificate $tmp/$cert.pem; ssl_certificate_key $tmp/${p%%:*}.key; }"
        done
        loopback_nginx_start "$tmp" "$blocks" && return 0
    done
    return 1
}
if ! start_nginx; then
    not_ok "tls: nginx serves the test servers on 127.0.0.1" "$(tail -n 3 "$tmp/nginx-error.log" 2>/dev/null)"
    e2e_exit
fi
ok "tls: nginx serves the test servers on 127.0.0.1"

url() { echo "https://localhost:$1/data.bin"; }
ca_win=$(winepath -w "$tmp/ca.pem" 2>/dev/null)

# ---- before the CA is trusted, the right server is refused too -------------------------------
tls_client refused "before import-ca" "$(url "$p_trusted")" CERT_E_CHAINING
rc=$?
check "tls: before import-ca: tls_client exits cleanly" [ "$rc" -eq 0 ]

# ---- trust the test CA in the prefix (twice: idempotent) -------------------------------------
ca_imported=1
tls_client import-ca "$ca_win"
tls_client import-ca "$ca_win"

# ---- the cases ---------------------------------------------------------------------------------
tls_client nosession "no TLS session" \
    ok "trusted server" "$(url "$p_trusted")" "$sha" \
    reuse "trusted server, reused connection" "$(url "$p_trusted")" "$sha" \
    refused "untrusted CA (chain sent)" "$(url "$p_untrusted")" CERT_E_UNTRUSTEDROOT \
    refused "unknown issuer (leaf only)" "$(url "$p_unknown")" CERT_E_CHAINING \
    refused "certificate for otherhost reached as localhost" "$(url "$p_wrongname")" CERT_E_CN_NO_MATCH \
    refused "expired certificate" "$(url "$p_expired")" CERT_E_EXPIRED \
    ok "plain http" "http://127.0.0.1:$http_port/data.bin" "$sha" \
    ok "trusted server after the refusals" "$(url "$p_trusted")" "$sha" \
    ignore 0x8 ok "untrusted CA, BG_SSL_IGNORE_UNKNOWN_CA" "$(url "$p_untrusted")" "$sha" \
    ok "unknown issuer, BG_SSL_IGNORE_UNKNOWN_CA" "$(url "$p_unknown")" "$sha" \
    refused "wrong name, only BG_SSL_IGNORE_UNKNOWN_CA" "$(url "$p_wrongname")" CERT_E_CN_NO_MATCH \
    refused "expired, only BG_SSL_IGNORE_UNKNOWN_CA" "$(url "$p_expired")" CERT_E_EXPIRED \
    ignore 0x2 ok "wrong name, BG_SSL_IGNORE_CERT_CN_INVALID" "$(url "$p_wrongname")" "$sha" \
    ignore 0x4 ok "expired, BG_SSL_IGNORE_CERT_DATE_INVALID" "$(url "$p_expired")" "$sha" \
    refused "untrusted CA, only BG_SSL_IGNORE_CERT_DATE_INVALID" "$(url "$p_untrusted")" CERT_E_UNTRUSTEDROOT \
    ignore 0 refused "untrusted CA, nothing ignored again" "$(url "$p_untrusted")" CERT_E_UNTRUSTEDROOT
rc=$?
check "tls: tls_client exits cleanly" [ "$rc" -eq 0 ]
check "tls: every refusal is logged with its URL and reason" \
    bash -c "[ \$(grep -c 'TLS certificate of https://localhost:.*refused: .*0x800B01' '$tmp/client.err') -ge 4 ] &&
             grep -q 'localhost:$p_wrongname/data.bin refused: localhost: certificate \"otherhost\"' '$tmp/client.err'"

# ---- remove the CA again: the trusted server is refused once more ----------------------------
tls_client remove-ca "$ca_win" && ca_imported=
tls_client refused "after remove-ca" "$(url "$p_trusted")" CERT_E_CHAINING

e2e_exit
