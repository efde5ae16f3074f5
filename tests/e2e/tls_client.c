/* Windows test of the transfer engine's certificate check (service/security/tls_verify.c) against real
 * servers; tests/e2e/tls.sh builds the PKI and nginx and runs it. Checks in the tests/check.h
 * format, named "tls: <label>: ...".
 *
 * Usage: tls_client COMMAND...
 *   import-ca FILE.pem      puts the PEM CA into LocalMachine\Root (idempotent), checks one copy
 *   remove-ca FILE.pem      removes it again (the test's clean-up)
 * or a sequence of cases, all run in order on one transfer engine with
 * verify_tls = tls_verify_schannel (through a counter):
 *   ok LABEL URL SHA256     TRANSFER_OK, the file's SHA-256, the hook called for https (and not for
 *                           http), no refusal recorded
 *   reuse LABEL URL SHA256  the same, and the request went out on a reused connection, which the
 *                           hook checked again
 *   refused LABEL URL TEXT  TRANSFER_FATAL_REMOTE with DO_E_HTTP_CERT_VALIDATION, nothing written,
 *                           the hook called, and tls_verify_last_error() contains TEXT
 *   nosession LABEL         tls_verify_schannel on a handle without a TLS session refuses */
#include <winsock2.h>
#include <windows.h>
#include <wincrypt.h>
#include <bcrypt.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <curl/curl.h>

#include "../check.h"
#include "tls_verify.h"
#include "transfer.h"

static char label[128];

static const char *name_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *name_of(const char *fmt, ...)
{
    static char buf[512];
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(buf, sizeof buf, "tls: %s: %s", label, what);
    return buf;
}

/* ---- the hook, counted and timed --------------------------------------------------------- */

static volatile LONG hook_calls;
static LONGLONG hook_ticks;
static LONG hook_timed;

static uint32_t tls_ignore; /* TRANSFER_TLS_IGNORE_* of the next requests ("ignore" command) */

static hr_t counting_hook(void *ctx, void *easy, const char *url, uint32_t ignore)
{
    LARGE_INTEGER a, b;
    QueryPerformanceCounter(&a);
    hr_t hr = tls_verify_schannel(ctx, easy, url, ignore);
    QueryPerformanceCounter(&b);
    hook_ticks += b.QuadPart - a.QuadPart; /* engine thread only */
    hook_timed++;
    InterlockedIncrement(&hook_calls);
    return hr;
}

/* ---- one download ------------------------------------------------------------------------ */

typedef struct outcome {
    transfer_class_t result;
    hr_t code;
    uint32_t connections;
    uint64_t written_bytes;
    char detail[600];
    char tls_error[600]; /* tls_verify_last_error(), read on the engine thread in on_done */
    hr_t tls_status;
} outcome_t;

static outcome_t last;
static HANDLE done_event;

static void on_response(void *ctx, uint64_t token, const transfer_response_t *r)
{
    (void)ctx, (void)token, (void)r;
}

static void on_checkpoint(void *ctx, uint64_t token, uint64_t written)
{
    (void)ctx, (void)token, (void)written;
}

static void on_done(void *ctx, uint64_t token, const transfer_result_t *r)
{
    (void)ctx, (void)token;
    last.result = r->result;
    last.code = r->code;
    last.connections = r->connections;
    last.written_bytes = r->written_bytes;
    snprintf(last.detail, sizeof last.detail, "%s", r->detail ? r->detail : "");
    snprintf(last.tls_error, sizeof last.tls_error, "%s", tls_verify_last_error());
    last.tls_status = tls_verify_last_status();
    if (!r->flush_pending) /* else the file is read once its last flush let go of it */
        SetEvent(done_event);
}

static void on_flushed(void *ctx, uint64_t token, const transfer_flush_t *flush)
{
    (void)ctx, (void)token;
    if (flush->final)
        SetEvent(done_event);
}

static char temp_dir[MAX_PATH * 3];
static unsigned temp_seq;

/* Downloads url into a new temp file (its UTF-8 path in path); 0 when on_done came. */
static int fetch(transfer_engine_t *engine, const char *url, char *path, size_t size)
{
    snprintf(path, size, "%sopendo-tls-%lu-%u.tmp", temp_dir, (unsigned long)GetCurrentProcessId(), ++temp_seq);
    transfer_request_t req;
    transfer_request_init(&req);
    req.token = temp_seq;
    req.url = url;
    req.temp_path = path;
    req.proxy = "";
    req.connect_timeout_s = 20;
    req.tls_ignore = tls_ignore;
    memset(&last, 0, sizeof last);
    ResetEvent(done_event);
    hr_t hr = transfer_submit(engine, &req);
    if (HR_FAILED(hr)) {
        printf("# transfer_submit failed: 0x%08lx\n", (unsigned long)(uint32_t)hr);
        return -1;
    }
    if (WaitForSingleObject(done_event, 60000) != WAIT_OBJECT_0) {
        printf("# no on_done within 60 s\n");
        transfer_cancel(engine, req.token);
        WaitForSingleObject(done_event, 10000);
        return -1;
    }
    return 0;
}

static WCHAR *wide_of(const char *utf8)
{
    static WCHAR buf[MAX_PATH * 2];
    if (!MultiByteToWideChar(CP_UTF8, 0, utf8, -1, buf, MAX_PATH * 2))
        buf[0] = 0;
    return buf;
}

/* Lower-case hex SHA-256 of a file (BCrypt), or "" on error; size in *length. */
static void file_sha256(const char *path, char hex[65], uint64_t *length)
{
    hex[0] = 0;
    *length = 0;
    HANDLE f = CreateFileW(wide_of(path), GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (f == INVALID_HANDLE_VALUE)
        return;
    BCRYPT_ALG_HANDLE alg = NULL;
    BCRYPT_HASH_HANDLE h = NULL;
    unsigned char digest[32];
    static unsigned char buf[1 << 16];
    DWORD got;
    int ok = BCRYPT_SUCCESS(BCryptOpenAlgorithmProvider(&alg, BCRYPT_SHA256_ALGORITHM, NULL, 0)) &&
             BCRYPT_SUCCESS(BCryptCreateHash(alg, &h, NULL, 0, NULL, 0, 0));
    while (ok && ReadFile(f, buf, sizeof buf, &got, NULL) && got) {
        ok = BCRYPT_SUCCESS(BCryptHashData(h, buf, got, 0));
        *length += got;
    }
    if (ok && BCRYPT_SUCCESS(BCryptFinishHash(h, digest, sizeof digest, 0)))
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    if (h)
        BCryptDestroyHash(h);
    if (alg)
        BCryptCloseAlgorithmProvider(alg, 0);
    CloseHandle(f);
}

static void show_outcome(void)
{
    printf("#   result %s, code 0x%08lx, connections %lu: %s\n", transfer_class_name(last.result),
           (unsigned long)(uint32_t)last.code, (unsigned long)last.connections, last.detail);
    if (last.tls_error[0])
        printf("#   tls_verify: %s\n", last.tls_error);
}

/* ---- the cases ---------------------------------------------------------------------------- */

static void case_ok(transfer_engine_t *engine, const char *url, const char *sha, int want_reuse)
{
    char path[MAX_PATH * 3], hex[65];
    uint64_t length;
    int https = _strnicmp(url, "https:", 6) == 0;
    LONG calls_before = hook_calls;
    if (!CHECK(fetch(engine, url, path, sizeof path) == 0, name_of("the transfer ends")))
        return;
    LONG calls = hook_calls - calls_before;
    if (!CHECK(last.result == TRANSFER_OK && last.code == HR_OK, name_of("TRANSFER_OK")))
        show_outcome();
    file_sha256(path, hex, &length);
    if (!CHECK(_stricmp(hex, sha) == 0, name_of("the file's SHA-256 matches")))
        printf("#   got %s (%llu bytes), want %s\n", hex, (unsigned long long)length, sha);
    if (https) {
        if (!CHECK(calls >= 1, name_of("the certificate hook checked the https request")))
            printf("#   hook calls: %ld\n", (long)calls);
        if (!CHECK(last.tls_error[0] == 0 && last.tls_status == HR_OK, name_of("no refusal recorded")))
            printf("#   %s\n", last.tls_error);
    } else if (!CHECK(calls == 0, name_of("the hook is not called for http"))) {
        printf("#   hook calls: %ld\n", (long)calls);
    }
    if (want_reuse && !CHECK(last.connections == 0 && calls >= 1,
                             name_of("a reused connection is checked again by the hook")))
        printf("#   connections %lu, hook calls %ld\n", (unsigned long)last.connections, (long)calls);
    DeleteFileW(wide_of(path));
}

static void case_refused(transfer_engine_t *engine, const char *url, const char *text)
{
    char path[MAX_PATH * 3], hex[65];
    uint64_t length;
    LONG calls_before = hook_calls;
    if (!CHECK(fetch(engine, url, path, sizeof path) == 0, name_of("the transfer ends")))
        return;
    LONG calls = hook_calls - calls_before;
    int ok = CHECK(last.result == TRANSFER_FATAL_REMOTE, name_of("TRANSFER_FATAL_REMOTE"));
    CHECK_HR(last.code, DO_E_HTTP_CERT_VALIDATION, name_of("code DO_E_HTTP_CERT_VALIDATION (0x80D05002)"));
    if (!CHECK(calls >= 1, name_of("the certificate hook was called")))
        ok = 0;
    file_sha256(path, hex, &length);
    if (!CHECK(length == 0 && last.written_bytes == 0, name_of("nothing written")))
        printf("#   %llu bytes in the file, %llu durable\n", (unsigned long long)length,
               (unsigned long long)last.written_bytes);
    if (!CHECK(strstr(last.tls_error, text) != NULL, name_of("the reason names \"%s\"", text)))
        ok = 0;
    if (!ok || last.code != DO_E_HTTP_CERT_VALIDATION)
        show_outcome();
    else
        printf("#   reason: %s\n", last.tls_error);
    DeleteFileW(wide_of(path));
}

static void case_nosession(void)
{
    CURL *easy = curl_easy_init();
    if (!CHECK(easy != NULL, name_of("curl_easy_init")))
        return;
    CHECK_HR(tls_verify_schannel(NULL, easy, "https://localhost/x", 0), DO_E_HTTP_CERT_VALIDATION,
             name_of("a handle without a TLS session is refused"));
    if (!CHECK(strstr(tls_verify_last_error(), "no Schannel session") != NULL,
               name_of("the reason says there is no Schannel session")))
        printf("#   %s\n", tls_verify_last_error());
    curl_easy_cleanup(easy);
}

/* ---- the CA in LocalMachine\Root ---------------------------------------------------------- */

/* The DER bytes of the first certificate in a PEM file (malloc'ed), or NULL. */
static BYTE *read_pem_cert(const char *path, DWORD *der_len)
{
    FILE *f = _wfopen(wide_of(path), L"rb");
    if (!f)
        return NULL;
    static char pem[64 * 1024];
    size_t n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    pem[n] = 0;
    DWORD len = 0;
    if (!CryptStringToBinaryA(pem, 0, CRYPT_STRING_BASE64HEADER, NULL, &len, NULL, NULL) || !len)
        return NULL;
    BYTE *der = malloc(len);
    if (der && !CryptStringToBinaryA(pem, 0, CRYPT_STRING_BASE64HEADER, der, &len, NULL, NULL)) {
        free(der);
        return NULL;
    }
    *der_len = len;
    return der;
}

static HCERTSTORE open_machine_root(void)
{
    return CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, CERT_SYSTEM_STORE_LOCAL_MACHINE, L"Root");
}

/* How many copies of cert the store holds. */
static int count_copies(HCERTSTORE store, PCCERT_CONTEXT cert)
{
    int n = 0;
    PCCERT_CONTEXT c = NULL;
    while ((c = CertFindCertificateInStore(store, X509_ASN_ENCODING, 0, CERT_FIND_EXISTING, cert, c)))
        n++;
    return n;
}

static int ca_command(int import, const char *path)
{
    snprintf(label, sizeof label, "%s", import ? "import-ca" : "remove-ca");
    DWORD der_len = 0;
    BYTE *der = read_pem_cert(path, &der_len);
    if (!CHECK(der != NULL, name_of("%s is a PEM certificate", path)))
        return 1;
    PCCERT_CONTEXT cert = CertCreateCertificateContext(X509_ASN_ENCODING, der, der_len);
    HCERTSTORE store = open_machine_root();
    if (CHECK(cert && store, name_of("LocalMachine\\Root opens"))) {
        if (import) {
            BOOL added = CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, der, der_len,
                                                          CERT_STORE_ADD_USE_EXISTING, NULL);
            if (!CHECK(added, name_of("CertAddEncodedCertificateToStore")))
                printf("#   error %lu\n", (unsigned long)GetLastError());
            int n = count_copies(store, cert);
            if (!CHECK(n == 1, name_of("exactly one copy of the CA in LocalMachine\\Root")))
                printf("#   %d copies\n", n);
        } else {
            PCCERT_CONTEXT c;
            while ((c = CertFindCertificateInStore(store, X509_ASN_ENCODING, 0, CERT_FIND_EXISTING, cert, NULL)))
                CertDeleteCertificateFromStore(c); /* frees c */
            CHECK(count_copies(store, cert) == 0, name_of("the CA is gone from LocalMachine\\Root"));
            /* Wine 8 forgets the deletion: the certificate stays in the registry store behind
             * LocalMachine\Root (HKLM\...\SystemCertificates\Root\Certificates\<SHA-1>), where
             * it is read again by the next process. Delete the key too (also right on Windows). */
            BYTE sha1[20];
            DWORD sha1_len = sizeof sha1;
            WCHAR key[160];
            int at = swprintf(key, 160, L"Software\\Microsoft\\SystemCertificates\\Root\\Certificates\\");
            if (CertGetCertificateContextProperty(cert, CERT_HASH_PROP_ID, sha1, &sha1_len) && sha1_len == 20) {
                for (int k = 0; k < 20; k++)
                    at += swprintf(key + at, 160 - (size_t)at, L"%02X", sha1[k]);
                LSTATUS ls = RegDeleteKeyW(HKEY_LOCAL_MACHINE, key);
                HKEY h;
                int gone = RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_READ, &h) != ERROR_SUCCESS;
                if (!gone)
                    RegCloseKey(h);
                if (!CHECK(gone, name_of("the CA is gone from the registry store")))
                    printf("#   RegDeleteKeyW: %ld\n", (long)ls);
            }
        }
    }
    if (store)
        CertCloseStore(store, 0);
    if (cert)
        CertFreeCertificateContext(cert);
    free(der);
    return CHECK_EXIT_CODE();
}

/* ---- main --------------------------------------------------------------------------------- */

static char *utf8_of(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *s = malloc(n > 0 ? (size_t)n : 1);
    if (s && !WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL))
        s[0] = 0;
    return s;
}

static int usage(void)
{
    fprintf(stderr, "usage: tls_client import-ca|remove-ca FILE.pem\n"
                    "       tls_client {ok|reuse LABEL URL SHA256 | refused LABEL URL TEXT | nosession LABEL}...\n");
    return 2;
}

int wmain(int argc, wchar_t **wargv)
{
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    for (int i = 0; i < argc; i++)
        argv[i] = utf8_of(wargv[i]);
    if (argc < 2)
        return usage();
    if (!strcmp(argv[1], "import-ca") || !strcmp(argv[1], "remove-ca")) {
        if (argc != 3)
            return usage();
        return ca_command(!strcmp(argv[1], "import-ca"), argv[2]);
    }

    WCHAR wtemp[MAX_PATH];
    if (!GetTempPathW(MAX_PATH, wtemp) ||
        !WideCharToMultiByte(CP_UTF8, 0, wtemp, -1, temp_dir, sizeof temp_dir, NULL, NULL))
        snprintf(temp_dir, sizeof temp_dir, "C:\\");
    done_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    transfer_callbacks_t cb = {on_response, on_checkpoint, on_done, on_flushed};
    transfer_options_t opt;
    memset(&opt, 0, sizeof opt);
    opt.verify_tls = counting_hook;
    opt.verify_tls_ctx = NULL;
    transfer_engine_t *engine = NULL;
    snprintf(label, sizeof label, "engine");
    if (!CHECK(HR_SUCCEEDED(transfer_engine_start(&cb, NULL, &opt, &engine)),
               name_of("transfer engine starts with verify_tls = tls_verify_schannel")))
        return 1;

    int i = 1;
    while (i < argc) {
        const char *cmd = argv[i];
        if ((!strcmp(cmd, "ok") || !strcmp(cmd, "reuse")) && i + 3 < argc) {
            snprintf(label, sizeof label, "%s", argv[i + 1]);
            case_ok(engine, argv[i + 2], argv[i + 3], !strcmp(cmd, "reuse"));
            i += 4;
        } else if (!strcmp(cmd, "refused") && i + 3 < argc) {
            snprintf(label, sizeof label, "%s", argv[i + 1]);
            case_refused(engine, argv[i + 2], argv[i + 3]);
            i += 4;
        } else if (!strcmp(cmd, "ignore") && i + 1 < argc) {
            tls_ignore = (uint32_t)strtoul(argv[i + 1], NULL, 0);
            i += 2;
        } else if (!strcmp(cmd, "nosession") && i + 1 < argc) {
            snprintf(label, sizeof label, "%s", argv[i + 1]);
            case_nosession();
            i += 2;
        } else {
            transfer_engine_stop(engine);
            return usage();
        }
    }
    transfer_engine_stop(engine);
    LARGE_INTEGER freq;
    QueryPerformanceFrequency(&freq);
    if (hook_timed && freq.QuadPart)
        printf("# certificate hook: %ld calls, %.2f ms each on average\n", (long)hook_timed,
               (double)hook_ticks * 1000.0 / (double)freq.QuadPart / (double)hook_timed);
    CloseHandle(done_event);
    for (int k = 0; k < argc; k++)
        free(argv[k]);
    free(argv);
    return CHECK_EXIT_CODE();
}
