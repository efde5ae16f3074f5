/* Windows certificate verification for the transfer engine: see tls_verify.h and docs/tls.md. */
#define SECURITY_WIN32
#include <winsock2.h> /* before windows.h (curl.h includes it) */
#include <windows.h>
#include <wincrypt.h>
#include <security.h>
#include <schannel.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "log.h"
#include "tls_verify.h"
#include "transfer.h"

/* Chain building never goes to the network from the engine thread: issuers and revocation data
 * come from the stores and the URL cache only (on Windows, Schannel's own check during the
 * handshake has just filled that cache). Revocation is soft-fail: "unknown"/"offline" are
 * accepted, "revoked" is not. */
#define TLS_VERIFY_CHAIN_FLAGS                                                                     \
    (CERT_CHAIN_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT | CERT_CHAIN_REVOCATION_CHECK_CACHE_ONLY |     \
     CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL)

#ifndef SECURITY_FLAG_IGNORE_REVOCATION /* <wininet.h> */
#define SECURITY_FLAG_IGNORE_REVOCATION 0x00000080
#define SECURITY_FLAG_IGNORE_UNKNOWN_CA 0x00000100
#define SECURITY_FLAG_IGNORE_WRONG_USAGE 0x00000200
#define SECURITY_FLAG_IGNORE_CERT_CN_INVALID 0x00001000
#define SECURITY_FLAG_IGNORE_CERT_DATE_INVALID 0x00002000
#endif

#define TLS_VERIFY_IGNORED_BITS (CERT_TRUST_REVOCATION_STATUS_UNKNOWN | CERT_TRUST_IS_OFFLINE_REVOCATION)

static _Thread_local char last_error[512];
static _Thread_local hr_t last_status;

const char *tls_verify_last_error(void)
{
    return last_error;
}

hr_t tls_verify_last_status(void)
{
    return last_status;
}

/* ---- names for statuses ------------------------------------------------------------------- */

typedef struct status_name {
    uint32_t code;
    const char *symbol;
    const char *text;
} status_name_t;

static const status_name_t policy_errors[] = {
    {0x800B010F, "CERT_E_CN_NO_MATCH", "host name mismatch"},
    {0x800B0109, "CERT_E_UNTRUSTEDROOT", "untrusted root"},
    {0x800B010A, "CERT_E_CHAINING", "incomplete chain"},
    {0x800B0101, "CERT_E_EXPIRED", "expired or not yet valid"},
    {0x800B0102, "CERT_E_VALIDITYPERIODNESTING", "validity periods not nested"},
    {0x800B0103, "CERT_E_ROLE", "a CA certificate used as an end certificate"},
    {0x800B0105, "CERT_E_CRITICAL", "unknown critical extension"},
    {0x800B0106, "CERT_E_PURPOSE", "not valid for this purpose"},
    {0x800B010D, "CERT_E_UNTRUSTEDTESTROOT", "untrusted test root"},
    {0x800B0110, "CERT_E_WRONG_USAGE", "not valid for server authentication"},
    {0x800B0111, "TRUST_E_EXPLICIT_DISTRUST", "explicitly distrusted"},
    {0x800B0113, "CERT_E_INVALID_POLICY", "invalid certificate policy"},
    {0x800B0114, "CERT_E_INVALID_NAME", "name constraints violated"},
    {0x800B010C, "CERT_E_REVOKED", "revoked"},
    {0x800B010E, "CERT_E_REVOCATION_FAILURE", "revocation could not be checked"},
    {0x80092010, "CRYPT_E_REVOKED", "revoked"},
    {0x80092012, "CRYPT_E_NO_REVOCATION_CHECK", "revocation not checkable"},
    {0x80092013, "CRYPT_E_REVOCATION_OFFLINE", "revocation server offline"},
    {0x80096004, "TRUST_E_CERT_SIGNATURE", "bad signature"},
    {0x80096019, "TRUST_E_BASIC_CONSTRAINTS", "invalid basic constraints"},
};

/* What each TRANSFER_TLS_IGNORE_* bit lets pass: chain error bits, the SSL policy's check flags
 * and the policy errors. */
typedef struct ignored_error {
    uint32_t ignore;
    DWORD chain_bits;
    DWORD policy_checks;
    uint32_t policy_errors[2];
} ignored_error_t;

static const ignored_error_t ignored_errors[] = {
    {TRANSFER_TLS_IGNORE_NAME, 0, SECURITY_FLAG_IGNORE_CERT_CN_INVALID, {0x800B010F, 0x800B0114}},
    {TRANSFER_TLS_IGNORE_DATE, CERT_TRUST_IS_NOT_TIME_VALID | CERT_TRUST_IS_NOT_TIME_NESTED,
     SECURITY_FLAG_IGNORE_CERT_DATE_INVALID, {0x800B0101, 0x800B0102}},
    {TRANSFER_TLS_IGNORE_UNKNOWN_CA, CERT_TRUST_IS_UNTRUSTED_ROOT | CERT_TRUST_IS_PARTIAL_CHAIN,
     SECURITY_FLAG_IGNORE_UNKNOWN_CA, {0x800B0109, 0x800B010A}},
    {TRANSFER_TLS_IGNORE_USAGE, CERT_TRUST_IS_NOT_VALID_FOR_USAGE, SECURITY_FLAG_IGNORE_WRONG_USAGE,
     {0x800B0110, 0x800B0106}},
};

/* The chain bits, policy checks and policy errors that ignore lets pass. */
static void ignored_by(uint32_t ignore, DWORD *chain_bits, DWORD *policy_checks, uint32_t policy_error,
                       int *policy_error_ignored)
{
    *chain_bits = *policy_checks = 0;
    *policy_error_ignored = 0;
    for (size_t i = 0; i < sizeof ignored_errors / sizeof ignored_errors[0]; i++) {
        const ignored_error_t *e = &ignored_errors[i];
        if (!(ignore & e->ignore))
            continue;
        *chain_bits |= e->chain_bits;
        *policy_checks |= e->policy_checks;
        *policy_error_ignored |= policy_error == e->policy_errors[0] || policy_error == e->policy_errors[1];
    }
}

/* Chain error bits, most telling first: the first one set names the failure. */
typedef struct chain_bit {
    DWORD bit;
    uint32_t code;
    const char *text;
} chain_bit_t;

static const chain_bit_t chain_bits[] = {
    {CERT_TRUST_IS_UNTRUSTED_ROOT, 0x800B0109, "untrusted root"},
    {CERT_TRUST_IS_PARTIAL_CHAIN, 0x800B010A, "incomplete chain (issuer not found)"},
    {CERT_TRUST_IS_EXPLICIT_DISTRUST, 0x800B0111, "explicitly distrusted"},
    {CERT_TRUST_IS_REVOKED, 0x80092010, "revoked"},
    {CERT_TRUST_IS_NOT_TIME_VALID, 0x800B0101, "expired or not yet valid"},
    {CERT_TRUST_IS_NOT_SIGNATURE_VALID, 0x80096004, "bad signature"},
    {CERT_TRUST_IS_NOT_VALID_FOR_USAGE, 0x800B0110, "not valid for server authentication"},
    {CERT_TRUST_IS_CYCLIC, 0x800B010A, "cyclic chain"},
    {CERT_TRUST_INVALID_BASIC_CONSTRAINTS, 0x80096019, "invalid basic constraints"},
    {CERT_TRUST_HAS_NOT_SUPPORTED_CRITICAL_EXT, 0x800B0105, "unsupported critical extension"},
    {CERT_TRUST_INVALID_EXTENSION, 0x800B0105, "invalid extension"},
    {CERT_TRUST_INVALID_POLICY_CONSTRAINTS, 0x800B0113, "invalid policy constraints"},
    {CERT_TRUST_NO_ISSUANCE_CHAIN_POLICY, 0x800B0113, "no issuance chain policy"},
    {CERT_TRUST_INVALID_NAME_CONSTRAINTS | CERT_TRUST_HAS_NOT_SUPPORTED_NAME_CONSTRAINT |
         CERT_TRUST_HAS_NOT_DEFINED_NAME_CONSTRAINT | CERT_TRUST_HAS_NOT_PERMITTED_NAME_CONSTRAINT |
         CERT_TRUST_HAS_EXCLUDED_NAME_CONSTRAINT,
     0x800B0114, "name constraints violated"},
    {CERT_TRUST_IS_NOT_TIME_NESTED, 0x800B0102, "validity periods not nested"},
    {CERT_TRUST_HAS_WEAK_SIGNATURE, 0x80096004, "weak signature"},
    {CERT_TRUST_CTL_IS_NOT_TIME_VALID | CERT_TRUST_CTL_IS_NOT_SIGNATURE_VALID |
         CERT_TRUST_CTL_IS_NOT_VALID_FOR_USAGE,
     0x800B010A, "invalid trust list"},
};

static const status_name_t *policy_error_name(uint32_t code)
{
    for (size_t i = 0; i < sizeof policy_errors / sizeof policy_errors[0]; i++)
        if (policy_errors[i].code == code)
            return &policy_errors[i];
    return NULL;
}

/* "untrusted root (CERT_E_UNTRUSTEDROOT 0x800B0109)" */
static void describe_code(char *buf, size_t size, const char *text, uint32_t code)
{
    const status_name_t *n = policy_error_name(code);
    if (n)
        snprintf(buf, size, "%s (%s 0x%08lX)", text ? text : n->text, n->symbol, (unsigned long)code);
    else
        snprintf(buf, size, "%s (0x%08lX)", text ? text : "error", (unsigned long)code);
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* Refuses: records the reason (thread-local and log), returns DO_E_HTTP_CERT_VALIDATION. */
static hr_t refuse(const char *url, uint32_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static hr_t refuse(const char *url, uint32_t status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    last_status = (hr_t)status;
    log_service(LOG_WARN, "tls.refused", "TLS certificate of %s refused: %s", url ? url : "(unknown URL)", last_error);
    return DO_E_HTTP_CERT_VALIDATION;
}

WCHAR *tls_url_host(const char *url)
{
    WCHAR *wide = NULL;
    char *host = NULL;
    CURLU *u = curl_url();
    if (!u)
        return NULL;
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host)
        goto done;
    const char *start = host;
    size_t len = strlen(host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        start++;
        len -= 2;
    }
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, start, (int)len, NULL, 0);
    if (n <= 0)
        goto done;
    wide = HeapAlloc(GetProcessHeap(), 0, ((size_t)n + 1) * sizeof(WCHAR));
    if (!wide)
        goto done;
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, start, (int)len, wide, n);
    wide[n] = 0;
done:
    curl_free(host);
    curl_url_cleanup(u);
    return wide;
}

/* A certificate's subject (or issuer) display name, UTF-8. */
static void cert_name(PCCERT_CONTEXT cert, DWORD flags, char *buf, size_t size)
{
    WCHAR wide[256];
    buf[0] = 0;
    if (CertGetNameStringW(cert, CERT_NAME_SIMPLE_DISPLAY_TYPE, flags, NULL, wide, 256) > 1)
        WideCharToMultiByte(CP_UTF8, 0, wide, -1, buf, (int)size, NULL, NULL);
    if (!buf[0])
        snprintf(buf, size, "?");
}

SECURITY_STATUS tls_server_certificate(void *curl_easy, PCCERT_CONTEXT *cert, int *curl_rc, int *backend)
{
    struct curl_tlssessioninfo *info = NULL;
    CURLcode rc = curl_easy_getinfo((CURL *)curl_easy, CURLINFO_TLS_SSL_PTR, &info);
    *cert = NULL;
    *curl_rc = (int)rc;
    *backend = info ? (int)info->backend : -1;
    if (rc != CURLE_OK || !info || info->backend != CURLSSLBACKEND_SCHANNEL || !info->internals)
        return SEC_E_INVALID_HANDLE;
    return QueryContextAttributesW((CtxtHandle *)info->internals, SECPKG_ATTR_REMOTE_CERT_CONTEXT, (void *)cert);
}

/* ---- the hook ----------------------------------------------------------------------------- */

hr_t tls_verify_schannel(void *verify_ctx, void *curl_easy, const char *url, uint32_t ignore)
{
    (void)verify_ctx;
    CURL *easy = curl_easy;
    PCCERT_CONTEXT cert = NULL;
    PCCERT_CHAIN_CONTEXT chain = NULL;
    WCHAR *host = NULL;
    hr_t hr;

    last_error[0] = 0;
    last_status = HR_OK;
    if (!url) {
        char *eff = NULL;
        if (easy && curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK)
            url = eff;
    }
    if (!easy || !url)
        return refuse(url, (uint32_t)HR_E_INVALIDARG, "no transfer or URL to check");

    int curl_rc = 0, backend = -1;
    SECURITY_STATUS ss = tls_server_certificate(easy, &cert, &curl_rc, &backend);
    if (ss == SEC_E_INVALID_HANDLE)
        return refuse(url, (uint32_t)HR_E_FAIL, "no Schannel session on this connection (curl %d, backend %d)",
                      curl_rc, backend);
    if (ss != SEC_E_OK || !cert)
        return refuse(url, ss != SEC_E_OK ? (uint32_t)ss : (uint32_t)HR_E_FAIL,
                      "the server's certificate is not available (0x%08lX)",
                      (unsigned long)(uint32_t)ss);

    host = tls_url_host(url);
    if (!host) {
        hr = refuse(url, (uint32_t)HR_E_INVALIDARG, "no host name in the URL");
        goto out;
    }

    /* Chain in the machine's trust (LocalMachine Root), for server authentication. */
    static LPSTR server_auth[] = {szOID_PKIX_KP_SERVER_AUTH};
    CERT_CHAIN_PARA chain_para;
    memset(&chain_para, 0, sizeof chain_para);
    chain_para.cbSize = sizeof chain_para;
    chain_para.RequestedUsage.dwType = USAGE_MATCH_TYPE_AND;
    chain_para.RequestedUsage.Usage.cUsageIdentifier = 1;
    chain_para.RequestedUsage.Usage.rgpszUsageIdentifier = server_auth;
    if (!CertGetCertificateChain(HCCE_LOCAL_MACHINE, cert, NULL, cert->hCertStore, &chain_para,
                                 TLS_VERIFY_CHAIN_FLAGS, NULL, &chain)) {
        DWORD err = GetLastError();
        hr = refuse(url, (uint32_t)HRESULT_FROM_WIN32(err), "CertGetCertificateChain failed (%lu)",
                    (unsigned long)err);
        goto out;
    }

    /* The SSL policy for the host name (Wine's passes an incomplete chain, hence the bits). */
    SSL_EXTRA_CERT_CHAIN_POLICY_PARA ssl_para;
    memset(&ssl_para, 0, sizeof ssl_para);
    ssl_para.cbSize = sizeof ssl_para;
    ssl_para.dwAuthType = AUTHTYPE_SERVER;
    /* Revocation is judged from the chain bits below. Without this flag Wine's policy stops at
     * "revocation offline" (CERT_E_REVOCATION_FAILURE) and never compares the host name. */
    DWORD ignored_bits, ignored_checks;
    int unused;
    ignored_by(ignore, &ignored_bits, &ignored_checks, 0, &unused);
    ssl_para.fdwChecks = SECURITY_FLAG_IGNORE_REVOCATION | ignored_checks;
    ssl_para.pwszServerName = host;
    CERT_CHAIN_POLICY_PARA policy_para;
    memset(&policy_para, 0, sizeof policy_para);
    policy_para.cbSize = sizeof policy_para;
    policy_para.dwFlags = CERT_CHAIN_POLICY_IGNORE_ALL_REV_UNKNOWN_FLAGS;
    policy_para.pvExtraPolicyPara = &ssl_para;
    CERT_CHAIN_POLICY_STATUS policy_status;
    memset(&policy_status, 0, sizeof policy_status);
    policy_status.cbSize = sizeof policy_status;
    uint32_t policy_error;
    if (!CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, chain, &policy_para, &policy_status))
        policy_error = (uint32_t)HRESULT_FROM_WIN32(GetLastError());
    else
        policy_error = policy_status.dwError;

    int policy_error_ignored;
    ignored_by(ignore, &ignored_bits, &ignored_checks, policy_error, &policy_error_ignored);
    if (policy_error_ignored)
        policy_error = 0;
    DWORD bits = chain->TrustStatus.dwErrorStatus & ~(DWORD)TLS_VERIFY_IGNORED_BITS & ~ignored_bits;
    if (!bits && !policy_error) {
        hr = HR_OK;
        goto out;
    }

    char subject[160], issuer[160], chain_text[200] = "", policy_text[160] = "";
    cert_name(cert, 0, subject, sizeof subject);
    cert_name(cert, CERT_NAME_ISSUER_FLAG, issuer, sizeof issuer);
    uint32_t status = policy_error;
    if (bits) {
        const chain_bit_t *first = NULL;
        for (size_t i = 0; i < sizeof chain_bits / sizeof chain_bits[0] && !first; i++)
            if (bits & chain_bits[i].bit)
                first = &chain_bits[i];
        char what[160];
        if (first) {
            describe_code(what, sizeof what, first->text, first->code);
            status = first->code;
        } else {
            snprintf(what, sizeof what, "error");
            status = 0x800B010Au;
        }
        snprintf(chain_text, sizeof chain_text, "certificate chain: %s [status bits 0x%08lX]", what,
                 (unsigned long)bits);
    }
    if (policy_error && policy_error != status) {
        char what[160];
        describe_code(what, sizeof what, NULL, policy_error);
        snprintf(policy_text, sizeof policy_text, "%s%s", bits ? "; SSL policy: " : "", what);
    } else if (policy_error && !bits) {
        describe_code(policy_text, sizeof policy_text, NULL, policy_error);
    }
    char host8[256];
    if (!WideCharToMultiByte(CP_UTF8, 0, host, -1, host8, sizeof host8, NULL, NULL))
        snprintf(host8, sizeof host8, "?");
    hr = refuse(url, status, "%s: certificate \"%s\" issued by \"%s\": %s%s", host8, subject, issuer,
                chain_text, policy_text);

out:
    if (chain)
        CertFreeCertificateChain(chain);
    if (cert)
        CertFreeCertificateContext(cert);
    if (host)
        HeapFree(GetProcessHeap(), 0, host);
    return hr;
}

