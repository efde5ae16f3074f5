/* The jobs' server certificate callbacks (IBackgroundCopyJobHttpOptions3::
 * SetServerCertificateValidationInterface, bits.md §2.3/§2.4): one per job, in the service's
 * memory only (never persisted: a client registers again after a restart), the last caller
 * winning, each with the job's cache of certificates its callback accepted (cleared by every
 * registration). docs/bits.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"

#define HR_BG_E_READ_ONLY_WHEN_JOB_ACTIVE ((HRESULT)0x80200075L)

typedef struct certificate_callback {
    GUID job;
    IBackgroundCopyServerCertificateValidationCallback *callback;
    char **accepted; /* "host:port sha256-hex" of certificates the callback accepted */
    size_t accepted_count;
    struct certificate_callback *next;
} certificate_callback_t;

static certificate_callback_t *entries;
static SRWLOCK entries_lock = SRWLOCK_INIT;

static certificate_callback_t **find(const GUID *job)
{
    certificate_callback_t **link = &entries;
    while (*link && !IsEqualGUID(&(*link)->job, job))
        link = &(*link)->next;
    return link;
}

/* Unlinks and frees an entry (lock held); returns its callback for release outside the lock. */
static IUnknown *unlink_entry(certificate_callback_t **link)
{
    certificate_callback_t *entry = *link;
    IUnknown *callback = (IUnknown *)entry->callback;
    *link = entry->next;
    for (size_t i = 0; i < entry->accepted_count; i++)
        free(entry->accepted[i]);
    free(entry->accepted);
    free(entry);
    return callback;
}

/* Only while the job is not moving: SUSPENDED, ERROR or TRANSFERRED (BG_E_READ_ONLY_WHEN_JOB_ACTIVE
 * otherwise); access as every call on the job. */
static HRESULT check_job(const caller_t *caller, const GUID *job_id)
{
    store_job_t job = {0};
    HRESULT hr = jobs_get(dosvc_jobs, caller, (const store_guid_t *)job_id, &job);
    if (SUCCEEDED(hr) && job.state != JOB_STATE_SUSPENDED && job.state != JOB_STATE_ERROR &&
        job.state != JOB_STATE_TRANSFERRED)
        hr = HR_BG_E_READ_ONLY_WHEN_JOB_ACTIVE;
    store_job_clear(&job);
    return hr;
}

void certificate_callbacks_drop(const GUID *job)
{
    IUnknown *gone = NULL;
    AcquireSRWLockExclusive(&entries_lock);
    certificate_callback_t **link = find(job);
    if (*link)
        gone = unlink_entry(link);
    ReleaseSRWLockExclusive(&entries_lock);
    if (gone)
        IUnknown_Release(gone);
}

HRESULT certificate_callbacks_set(const caller_t *caller, const GUID *job, IUnknown *object)
{
    HRESULT hr = check_job(caller, job);
    if (FAILED(hr))
        return hr;
    IBackgroundCopyServerCertificateValidationCallback *callback = NULL;
    if (object && FAILED(IUnknown_QueryInterface(object, &IID_IBackgroundCopyServerCertificateValidationCallback,
                                                 (void **)&callback)))
        return E_NOINTERFACE;
    certificate_callback_t *fresh = NULL;
    if (callback && !(fresh = calloc(1, sizeof *fresh))) {
        IUnknown_Release((IUnknown *)callback);
        return E_OUTOFMEMORY;
    }
    /* The job remembers that its client checks servers, so that after a restart it waits for
     * the callback instead of going on with the system's check alone. */
    job_value_t registered = {.number = callback != NULL};
    hr = jobs_set(dosvc_jobs, caller, (const store_guid_t *)job, JOB_PROP_CERTIFICATE_CALLBACK, &registered);
    if (FAILED(hr)) {
        free(fresh);
        if (callback)
            IUnknown_Release((IUnknown *)callback);
        return hr;
    }
    IUnknown *gone = NULL;
    AcquireSRWLockExclusive(&entries_lock);
    certificate_callback_t **link = find(job);
    if (*link)
        gone = unlink_entry(link);
    if (fresh) {
        fresh->job = *job;
        fresh->callback = callback; /* the reference QueryInterface took */
        fresh->next = entries;
        entries = fresh;
    }
    ReleaseSRWLockExclusive(&entries_lock);
    if (gone)
        IUnknown_Release(gone);
    log_event(LOG_INFO, (const store_guid_t *)job, NULL, "job.certificate_callback", "%s by %s",
              callback ? "server certificate callback registered" : "server certificate callback removed",
              caller->sid);
    return S_OK;
}

/* ---- the check, on the transfer engine's thread (tls_verify_peer) ------------------------------ */

#define HR_BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED ((HRESULT)0x80200074L)

/* Whether the entry's cache holds this server and certificate (lock held). */
static int accepted(const certificate_callback_t *entry, const char *key)
{
    for (size_t i = 0; i < entry->accepted_count; i++)
        if (!strcmp(entry->accepted[i], key))
            return 1;
    return 0;
}

/* Remembers an accepted certificate, unless the callback was replaced meanwhile. */
static void remember(const GUID *job, IBackgroundCopyServerCertificateValidationCallback *callback, const char *key)
{
    AcquireSRWLockExclusive(&entries_lock);
    certificate_callback_t *entry = *find(job);
    char **grown = entry && entry->callback == callback
                       ? realloc(entry->accepted, (entry->accepted_count + 1) * sizeof *grown) : NULL;
    if (grown) {
        entry->accepted = grown;
        if ((grown[entry->accepted_count] = _strdup(key)))
            entry->accepted_count++;
    }
    ReleaseSRWLockExclusive(&entries_lock);
}

/* The job's callback (AddRef'd) unless none is set or the key is cached; *cached says which. */
static IBackgroundCopyServerCertificateValidationCallback *callback_for(const GUID *job, const char *key, int *cached)
{
    IBackgroundCopyServerCertificateValidationCallback *callback = NULL;
    AcquireSRWLockShared(&entries_lock);
    certificate_callback_t *entry = *find(job);
    *cached = entry && accepted(entry, key);
    if (entry && !*cached) {
        callback = entry->callback;
        IUnknown_AddRef((IUnknown *)callback);
    }
    ReleaseSRWLockShared(&entries_lock);
    return callback;
}

/* The client's verdict through the job and file objects it knows. */
static HRESULT ask(IBackgroundCopyServerCertificateValidationCallback *callback, const GUID *job, uint32_t file_index,
                   const certificate_check_t *check)
{
    IBackgroundCopyJob *job_object = NULL;
    IBackgroundCopyFile *file_object = NULL;
    HRESULT hr = background_copy_job_create(job, API_BITS, &job_object); /* callbacks are BITS jobs' */
    if (SUCCEEDED(hr))
        hr = background_copy_file_create(job, API_BITS, file_index, &IID_IBackgroundCopyFile, (void **)&file_object);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyServerCertificateValidationCallback_ValidateServerCertificate(
            callback, job_object, file_object, check->cert_length, check->cert, check->encoding,
            check->store_length, check->store);
    if (file_object)
        IBackgroundCopyFile_Release(file_object);
    if (job_object)
        IBackgroundCopyJob_Release(job_object);
    return hr;
}

/* No callback in memory: S_OK when the job never had one; when its client registered one before
 * the service restarted, the job cannot go on until the client registers it again. */
static HRESULT callback_missing(const GUID *job, const char *server, int *transient, int32_t *context)
{
    store_job_t row = {0};
    HRESULT hr = jobs_get(dosvc_jobs, &jobs_service_caller, (const store_guid_t *)job, &row);
    int required = SUCCEEDED(hr) && row.certificate_callback;
    store_job_clear(&row);
    if (!required)
        return S_OK;
    log_event(LOG_WARN, (const store_guid_t *)job, NULL, "tls.callback",
              "the job's certificate callback for %s was registered before the service restarted: "
              "register it again and Resume", server);
    *transient = 0;
    *context = BG_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK;
    return HR_BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED;
}

HRESULT certificate_callbacks_check(const GUID *job, uint32_t file_index, const certificate_check_t *check,
                                    int *transient, int32_t *context)
{
    /* The cache key: the server and the whole encoded certificate, in hex. */
    size_t key_size = strlen(check->server) + 2 + 2 * (size_t)check->cert_length;
    char *key = malloc(key_size);
    if (!key)
        return E_OUTOFMEMORY;
    int n = snprintf(key, key_size, "%s ", check->server);
    for (DWORD i = 0; i < check->cert_length; i++)
        n += snprintf(key + n, key_size - (size_t)n, "%02x", check->cert[i]);
    int cached;
    IBackgroundCopyServerCertificateValidationCallback *callback = callback_for(job, key, &cached);
    if (!callback) {
        free(key);
        return cached ? S_OK : callback_missing(job, check->server, transient, context);
    }
    HRESULT hr = ask(callback, job, file_index, check);
    *context = BG_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK;
    if (hr == S_OK) {
        remember(job, callback, key);
    } else if (client_disconnected(hr)) {
        log_event(LOG_WARN, (const store_guid_t *)job, NULL, "tls.callback",
                  "the certificate callback of %s cannot be reached (0x%08lx): register it again and Resume",
                  check->server, (unsigned long)hr);
        hr = HR_BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED;
        *transient = 0;
    } else {
        log_event(LOG_WARN, (const store_guid_t *)job, NULL, "tls.callback",
                  "the client's certificate callback refused %s: 0x%08lx", check->server, (unsigned long)hr);
        hr = FAILED(hr) ? hr : E_FAIL; /* a success code other than S_OK refuses too */
        *transient = 1;
    }
    IUnknown_Release((IUnknown *)callback);
    free(key);
    return hr;
}
