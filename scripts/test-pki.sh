# Sourced by the end-to-end tests that need a throw-away PKI (the openssl CLI). Every function
# works in the current directory:
#   pki_ca NAME CN                 a self-signed CA (CA:TRUE, keyCertSign): NAME.pem, NAME.key
#   pki_leaf HOST CA OUT [START END]
#                                  a server certificate (CA:FALSE, serverAuth, DNS:HOST) signed by
#                                  CA: OUT.pem, OUT.key; valid 2 days from now, or from START to
#                                  END (openssl ca dates, e.g. 20200101000000Z: only openssl ca
#                                  can backdate)
# Test certificates are issued for host names (Wine rejects IP-address names; docs/tls.md).

pki_ca() {
    local name=$1 cn=$2
    cat >"$name.cnf" <<CNF
[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
CN = $cn
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CNF
    openssl req -x509 -config "$name.cnf" -newkey rsa:2048 -nodes -sha256 -days 2 \
        -keyout "$name.key" -out "$name.pem"
}

# The openssl ca configuration and database pki_leaf needs for backdated certificates.
pki_signer() {
    [ -f sign.cnf ] && return 0
    cat >sign.cnf <<CNF
[ca]
default_ca = signer
[signer]
database = $PWD/index.txt
new_certs_dir = $PWD
serial = $PWD/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
CNF
    : >index.txt
    openssl rand -hex 8 >serial
}

pki_leaf() {
    local name=$1 ca=$2 out=$3
    printf '%s\n' "basicConstraints = CA:FALSE" "keyUsage = critical, digitalSignature, keyEncipherment" \
        "extendedKeyUsage = serverAuth" "subjectAltName = DNS:$name" \
        "subjectKeyIdentifier = hash" "authorityKeyIdentifier = keyid" >"$out.ext"
    openssl req -new -newkey rsa:2048 -nodes -keyout "$out.key" -out "$out.csr" -subj "/CN=$name" || return 1
    if [ $# -gt 3 ]; then
        pki_signer &&
            openssl ca -batch -notext -config sign.cnf -cert "$ca.pem" -keyfile "$ca.key" -in "$out.csr" \
                -out "$out.pem" -extfile "$out.ext" -startdate "$4" -enddate "$5"
    else
        openssl x509 -req -in "$out.csr" -CA "$ca.pem" -CAkey "$ca.key" -set_serial "0x$(openssl rand -hex 8)" \
            -days 2 -sha256 -extfile "$out.ext" -out "$out.pem"
    fi
}
