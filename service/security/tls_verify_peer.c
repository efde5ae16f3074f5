/* tls_verify_peer (tls_verify.h): a BITS job's server certificate callback, after the system's
 * check. The engine thread joins the MTA to call the client. docs/bits.md. */
#define SECURITY_WIN32
#include <winsock2.h> /* before windows.h (curl.h includes it) */
#include <windows.h>
#include <wincrypt.h>

#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "dosvc.h"
#include "guid.h"
#include "tls_verify.h"

/* The certificates the server sent, as a serialized store (CERT_STORE_PROV_SERIALIZED), malloc'ed;
 * NULL and 0 when it cannot be made. */
static BYTE *serialized_store(HCERTSTORE store, DWORD *length)
{
    CRYPT_DATA_BLOB blob = {0, NULL};
    *length = 0;
    if (!CertSaveStore(store, X509_ASN_ENCODING | PKCS_7_ASN_ENCODING, CERT_STORE_SAVE_AS_STORE,
                       CERT_STORE_SAVE_TO_MEMORY, &blob, 0) || !blob.cbData ||
        !(blob.pbData = malloc(blob.cbData)))
        return NULL;
    if (!CertSaveStore(store, X509_ASN_ENCODING | PKCS_7_ASN_ENCODING, CERT_STORE_SAVE_AS_STORE,
                       CERT_STORE_SAVE_TO_MEMORY, &blob, 0)) {
        free(blob.pbData);
        return NULL;
    }
    *length = blob.cbData;
    return blob.pbData;
}

/* "host:port" of the connection (curl's primary port). */
static void server_name(CURL *easy, const char *url, char *buf, size_t size)
{
    WCHAR *host = tls_url_host(url);
    char host8[256] = "?";
    long port = 0;
    if (host && !WideCharToMultiByte(CP_UTF8, 0, host, -1, host8, sizeof host8, NULL, NULL))
        snprintf(host8, sizeof host8, "?");
    curl_easy_getinfo(easy, CURLINFO_PRIMARY_PORT, &port);
    snprintf(buf, size, "%s:%ld", host8, port);
    if (host)
        HeapFree(GetProcessHeap(), 0, host);
}

hr_t tls_verify_peer(void *verify_ctx, void *curl_easy, const char *url, const char *tls_tag, int *transient,
                     int32_t *context)
{
    (void)verify_ctx;
    static _Thread_local int com_ready; /* the engine thread joins the MTA to call clients */
    if (!com_ready)
        com_ready = SUCCEEDED(CoInitializeEx(NULL, COINIT_MULTITHREADED));
    char job_text[GUID_STRING_SIZE];
    unsigned file_index = 0;
    store_guid_t job;
    if (sscanf(tls_tag, "%38s %u", job_text, &file_index) != 2 || guid_parse(job_text, &job) != 0)
        return HR_OK; /* not a job's tag */
    PCCERT_CONTEXT cert = NULL;
    int curl_rc, backend;
    if (tls_server_certificate(curl_easy, &cert, &curl_rc, &backend) != SEC_E_OK || !cert)
        return HR_OK; /* tls_verify_schannel, which refuses that, ran first */
    char server[300];
    server_name(curl_easy, url, server, sizeof server);
    DWORD store_length;
    BYTE *store = serialized_store(cert->hCertStore, &store_length);
    certificate_check_t check = {server, cert->pbCertEncoded, cert->cbCertEncoded, cert->dwCertEncodingType,
                                 store, store_length};
    hr_t hr = (hr_t)certificate_callbacks_check((const GUID *)&job, file_index, &check, transient, context);
    free(store);
    CertFreeCertificateContext(cert);
    return hr;
}
