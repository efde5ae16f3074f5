/* The jobs' server certificate callbacks (IBackgroundCopyJobHttpOptions3::
 * SetServerCertificateValidationInterface, bits.md §2.3/§2.4): one per job, in the service's
 * memory only (never persisted: a client registers again after a restart), the last caller
 * winning, each with the job's cache of certificates its callback accepted (cleared by every
 * registration). docs/bits.md. */
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
