/* Windows certificate verification for the transfer engine (docs/tls.md).
 *
 * Wine 8.0's Schannel accepts any server certificate (untrusted CA, wrong host name), so the
 * service checks the certificate itself: set transfer_options_t.verify_tls = tls_verify_schannel
 * (verify_tls_ctx unused, NULL). Called by the engine on its thread after each TLS handshake and
 * before every request on an https connection (also a reused one), it takes the Schannel context
 * curl used, builds the server certificate's chain in the machine's trust (HCCE_LOCAL_MACHINE,
 * server-authentication usage, soft-fail revocation) and checks it with the SSL policy for the
 * URL's host name. Correct on Windows too, where it repeats (cheaply, cached) what Schannel did. */
#ifndef OPENDO_TLS_VERIFY_H
#define OPENDO_TLS_VERIFY_H

#include "hresult.h"

#ifdef __WINCRYPT_H__ /* for tls_verify.c and tls_verify_peer.c */
/* The server certificate of the Schannel session curl negotiated on this connection
 * (CertFreeCertificateContext it): SEC_E_OK, SEC_E_INVALID_HANDLE without a Schannel session
 * (curl's code and backend then in *curl_rc, *backend), or QueryContextAttributesW's failure. */
SECURITY_STATUS tls_server_certificate(void *curl_easy, PCCERT_CONTEXT *cert, int *curl_rc, int *backend);
/* The URL's host name as UTF-16 (brackets of an IPv6 literal removed; HeapFree it); NULL on failure. */
WCHAR *tls_url_host(const char *url);
#endif

/* A transfer_verify_tls_fn. curl_easy: the transfer's CURL *; url: the URL being requested (NULL:
 * CURLINFO_EFFECTIVE_URL). Returns HR_OK, or DO_E_HTTP_CERT_VALIDATION (0x80D05002) when the
 * chain is not trusted (any CERT_TRUST_* error bit except "revocation status unknown/offline"),
 * the SSL policy fails (host name mismatch, ...), or there is no Schannel session to check. The
 * errors named by ignore (TRANSFER_TLS_IGNORE_*: BITS' BG_SSL_IGNORE_* a job set) are not
 * refusals: a wrong host name, a date out of validity, an unknown or untrusted CA (an incomplete
 * chain too), a certificate not meant for server authentication. Every refusal is also logged
 * (log_event LOG_WARN: URL + reason). */
hr_t tls_verify_schannel(void *verify_ctx, void *curl_easy, const char *url, uint32_t ignore);

/* A transfer_verify_peer_fn (transfer_options_t.verify_peer, the same NULL ctx): after
 * tls_verify_schannel passed, hands the server certificate of a BITS job's request (tls_tag
 * "{job} file") to the job's server certificate callback, if its client registered one
 * (certificate_callbacks_check in service/notify/certificate_callbacks.c; bits.md §2.4). */
hr_t tls_verify_peer(void *verify_ctx, void *curl_easy, const char *url, const char *tls_tag, int *transient,
                     int32_t *context);

/* The reason for this thread's last refusal by tls_verify_schannel, e.g.
 * "localhost: certificate \"otherhost\" issued by \"opendo test CA\": host name mismatch
 * (CERT_E_CN_NO_MATCH 0x800B010F)"; "" after a success. Thread-local: read it on the engine
 * thread, e.g. in on_done of the refused transfer -- but another https transfer verified on that
 * thread in between overwrites it, so the log line is the reliable record. */
const char *tls_verify_last_error(void);

/* The chain/policy error the last refusal on this thread was based on (e.g. 0x800B0109
 * CERT_E_UNTRUSTEDROOT, 0x800B010F CERT_E_CN_NO_MATCH), HR_OK after a success. */
hr_t tls_verify_last_status(void);

#endif
