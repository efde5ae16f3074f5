/* Shared between echosrv.exe (the out-of-process echo server) and marshal_test.exe (its client).
 * The echo server implements every interface of idl/deliveryoptimization.idl by storing what it
 * is given and handing it back (or values derived from it), so that the client can check that
 * every parameter crossed the process boundary, in both directions, through doproxy.dll. */
#ifndef OPENDO_TESTS_ECHO_H
#define OPENDO_TESTS_ECHO_H

#ifndef CONST_VTABLE
#define CONST_VTABLE /* const vtables (lpVtbl is a pointer to const) */
#endif
#include <windows.h>
#include <ole2.h>
#include "deliveryoptimization.h"

/* Test-only class, registered as LocalServer32 in the test prefix by tests/e2e/marshal.sh. */
/* {1B16FAB0-D10A-458C-BCD6-CDC95B729D81} */
static const CLSID CLSID_OpendoEchoServer =
    {0x1b16fab0, 0xd10a, 0x458c, {0xbc, 0xd6, 0xcd, 0xc9, 0x5b, 0x72, 0x9d, 0x81}};
#define ECHO_CLSID_STRING L"{1B16FAB0-D10A-458C-BCD6-CDC95B729D81}"

/* The proxy/stub class of doproxy.dll (PROXY_CLSID_IS in proxy-stub/module.mk). */
/* {52E1DB2B-FAD4-429F-8815-13C04CD8152A} */
static const CLSID CLSID_OpendoProxyStub =
    {0x52e1db2b, 0xfad4, 0x429f, {0x88, 0x15, 0x13, 0xc0, 0x4c, 0xd8, 0x15, 0x2a}};
#define PROXY_CLSID_STRING L"{52E1DB2B-FAD4-429F-8815-13C04CD8152A}"

/* Side channel: IBackgroundCopyManager::GetErrorDescription(hResult, ...) with these "HRESULTs"
 * runs a test command instead of describing an error. */
#define ECHO_CMD_LASTCALL ((HRESULT)0x0EC00001) /* returns the log line of the last setter
                                                   without a getter (SetCredentials...) */
#define ECHO_CMD_OBJECTS  ((HRESULT)0x0EC00002) /* returns L"objects=<live objects> pid=<pid>" */
#define ECHO_CMD_DIE      ((HRESULT)0x0EC0DEAD) /* returns, then the server kills itself */

/* Deterministic values the server derives from its inputs. */
#define ECHO_OWNER          L"S-1-5-21-0-0-0-1000"
#define ECHO_OWNER_TAKEN    L"S-1-5-21-0-0-0-1000-taken"
#define ECHO_PROTOCOL       L"https"
#define ECHO_INTEGRITY      0x3000u
#define ECHO_ERROR_CODE     ((HRESULT)0x80D02010)
#define ECHO_ERROR_CONTEXT  BG_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK
#define ECHO_REPLY_LEN      1000u
#define ECHO_REPLY_BYTE(i)  ((BYTE)((i) * 7u + 3u))
#define ECHO_JOBMOD_RESERVED 0x5EEDu
#define ECHO_FROM_ORIGIN(n) (0x100000000ull + (n))
#define ECHO_FROM_PEERS(n)  (0x200000000ull + 3u * (n))
#define ECHO_BG_E_NOT_FOUND     ((HRESULT)0x80200001)
#define ECHO_BG_E_INVALID_STATE ((HRESULT)0x8020000E)
#define ECHO_BG_S_PARTIAL_COMPLETE ((HRESULT)0x00200017)
#define ECHO_DO_E_UNKNOWN_PROPERTY_ID ((HRESULT)0x80D02011)
#define ECHO_DO_E_FILE_NOT_AVAILABLE  ((HRESULT)0x80D02010)
/* IBackgroundCopyJobHttpOptions: the SHA-1 hash blob's size, and what GetClientCertificate
 * returns without a certificate (BITS documents RPC_X_BAD_STUB_DATA, which a marshalling failure
 * gives too: the echo server uses a code of its own, so that only its answer can match). */
#define ECHO_CERT_HASH_SIZE 20
#define ECHO_E_NO_CERTIFICATE ((HRESULT)0x80EC0CE7)
/* What the client's callbacks return; the server checks them and reports from Resume(). */
#define ECHO_CB_TRANSFERRED_HR S_OK
#define ECHO_CB_ERROR_HR       ((HRESULT)0x80004004) /* E_ABORT: DO calls JobError again later */
#define ECHO_CB_MODIFIED_HR    S_FALSE
#define ECHO_CB_FILE_HR        S_OK
/* Resume() returns this when every callback returned what was expected. */
#define ECHO_RESUME_CALLBACKS_OK ((HRESULT)0x00EC0001)
/* IOpendoAdmin (the manager object answers it): fixed reports, and ExplainJob's long one. */
#define ECHO_ADMIN_PERFSNAP L"FilesDownloaded : 7\r\n\u4e2d\u6587 \U0001F600"
#define ECHO_ADMIN_CONFIG   L"DownloadMode: 99\nDownloadModeProvider: Default"
#define ECHO_ADMIN_VERSION  L"Service : opendo echo"
#define ECHO_ADMIN_LONG     300000u
#define ECHO_ADMIN_FILL(i)  ((WCHAR)(L'a' + (i) % 26))

/* IDOManager / IDODownload (the manager object answers IDOManager too, as the coclass lists
 * both).  Codes are the DO_E_* values; E_NOT_SET is HRESULT_FROM_WIN32(ERROR_NOT_FOUND). */
#define ECHO_DO_E_NO_DOWNLOADS        ((HRESULT)0x80D02005)
#define ECHO_DO_E_READ_ONLY_PROPERTY  ((HRESULT)0x80D02012)
#define ECHO_DO_E_INVALID_STATE       ((HRESULT)0x80D02013)
#define ECHO_E_NOT_SET                ((HRESULT)0x80070490)
/* What the client's IDODownloadStatusCallback returns; Start and Pause return
 * ECHO_NOTIFY_OK when the callback returned it and the stream took every byte, S_OK when no
 * callback or stream is set, 0x80EC01xx (bit mask of what failed) otherwise. */
#define ECHO_CB_STATUS_HR  ((HRESULT)0x00EC0003)
#define ECHO_NOTIFY_OK     ((HRESULT)0x00EC0002)
/* Start writes ECHO_STREAM_LEN bytes (ECHO_STREAM_BYTE) to the StreamInterface, in two Writes. */
#define ECHO_STREAM_LEN     70001u
#define ECHO_STREAM_BYTE(i) ((BYTE)((i) * 13u + 5u))
/* Read-only properties the server fills in itself. */
#define ECHO_HTTP_REDIRECT  L"https://redirected.example/\u00e9?a=1&b=2"
#define ECHO_HTTP_HEADERS   L"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-99/1000\r\n"
#define ECHO_HTTP_SERVER_IP L"::1"
#define ECHO_HTTP_STATUS    206u

/* The BITS-only interfaces.  IBackgroundCopyJobHttpOptions2: the method each job type starts
 * with.  IBackgroundCopyJobHttpOptions3: GetCustomHeaders after MakeCustomHeadersWriteOnly
 * answers E_ACCESSDENIED and NULL (as opendo does).  From Resume, the server calls the client's
 * IBackgroundCopyServerCertificateValidationCallback with a certificate and a store of these
 * sizes and bytes, and IBackgroundCopyCallback3::FileRangesTransferred with the ranges the
 * client asked for on the job's first file; the client's callbacks answer these codes. */
#define ECHO_METHOD_DOWNLOAD L"GET"
#define ECHO_METHOD_UPLOAD   L"BITS_POST"
#define ECHO_CERT_LEN        1337u
#define ECHO_CERT_BYTE(i)    ((BYTE)((i) * 11u + 1u))
#define ECHO_CERT_ENCODING   0x00010001u /* X509_ASN_ENCODING | PKCS_7_ASN_ENCODING */
#define ECHO_STORE_LEN       4099u
#define ECHO_STORE_BYTE(i)   ((BYTE)((i) * 5u + 0x80u))
#define ECHO_CB_CERT_HR      ((HRESULT)0x800B0109) /* CERT_E_UNTRUSTEDROOT: any code must cross */
#define ECHO_CB_RANGES_HR    S_OK
/* IBitsPeerCacheAdministration: the manager's starting values, its records and peers. */
#define ECHO_PEER_CACHE_SIZE   1u
#define ECHO_PEER_CONTENT_AGE  (90u * 24u * 3600u)
#define ECHO_PEER_CONFIG_FLAGS (BG_ENABLE_PEERCACHING_CLIENT | BG_DISABLE_BRANCH_CACHE)
#define ECHO_NRECORDS          3u
#define ECHO_NPEERS            2u

#endif
