/* The IDODownloadStatusCallback of each download (SetProperty(CallbackInterface)) and the
 * OnStatusChange calls made for the core's events. Events reach here through job_events.c's
 * lanes: one pool callback per download at a time, in order, so a slow or hung client holds up
 * its own download only. No lock is held while the client is called: it may call GetStatus,
 * Pause or Finalize on the download from inside OnStatusChange (idomanager.md §5).
 *
 * A state change is always reported; progress (the core reports it at most 4 times a second)
 * at most once per CallbackFreqSeconds, or, when CallbackFreqPercent is set, whenever that share
 * of BytesTotal has arrived since the last call. A client that has gone away (the call fails
 * with a disconnection) loses its registration; so does every download that became final. */
#include <stdlib.h>

#include "dosvc.h"
#include "log.h"

typedef struct registration {
    GUID id;
    IDODownloadStatusCallback *callback;
    int32_t last_state;          /* -1 before the first call */
    ULONGLONG last_call_ms;
    uint64_t last_bytes;
    struct registration *next;
} registration_t;

static registration_t *registrations;
static SRWLOCK registrations_lock = SRWLOCK_INIT;

static const caller_t service_caller = {"S-1-5-18", 1};

static registration_t **find(const GUID *id)
{
    registration_t **link = &registrations;
    while (*link && !IsEqualGUID(&(*link)->id, id))
        link = &(*link)->next;
    return link;
}

/* Unlinks id's registration (lock held) and returns its callback, to release unlocked. */
static IDODownloadStatusCallback *unlink_registration(const GUID *id)
{
    registration_t **link = find(id), *gone = *link;
    if (!gone)
        return NULL;
    IDODownloadStatusCallback *callback = gone->callback;
    *link = gone->next;
    free(gone);
    return callback;
}

HRESULT download_callbacks_set(const GUID *id, IDODownloadStatusCallback *callback)
{
    registration_t *fresh = NULL;
    if (callback && !(fresh = calloc(1, sizeof *fresh)))
        return E_OUTOFMEMORY;
    AcquireSRWLockExclusive(&registrations_lock);
    IDODownloadStatusCallback *old = unlink_registration(id);
    if (fresh) {
        fresh->id = *id;
        fresh->callback = callback;
        fresh->last_state = -1;
        IDODownloadStatusCallback_AddRef(callback);
        fresh->next = registrations;
        registrations = fresh;
    }
    ReleaseSRWLockExclusive(&registrations_lock);
    if (old)
        IDODownloadStatusCallback_Release(old); /* a cross-process call: never under the lock */
    return S_OK;
}

IUnknown *download_callbacks_get(const GUID *id)
{
    AcquireSRWLockShared(&registrations_lock);
    registration_t *entry = *find(id);
    IUnknown *callback = entry ? (IUnknown *)entry->callback : NULL;
    if (callback)
        IUnknown_AddRef(callback);
    ReleaseSRWLockShared(&registrations_lock);
    return callback;
}

void download_callbacks_clear(void)
{
    AcquireSRWLockExclusive(&registrations_lock);
    registration_t *all = registrations;
    registrations = NULL;
    ReleaseSRWLockExclusive(&registrations_lock);
    while (all) {
        registration_t *next = all->next;
        IDODownloadStatusCallback_Release(all->callback);
        free(all);
        all = next;
    }
}

/* ---- delivery (pool threads) ------------------------------------------------------------------ */

static uint32_t property_number(const GUID *id, int32_t property, uint32_t fallback)
{
    download_value_t value;
    HRESULT hr = downloads_get_property(dosvc_jobs, &service_caller, (const store_guid_t *)id, property, &value);
    return hr == S_OK ? (uint32_t)value.number : fallback;
}

/* Whether progress without a state change is due for a call (lock held for entry). */
static int progress_due(const registration_t *entry, const download_status_t *status, uint32_t seconds,
                        uint32_t percent, ULONGLONG now)
{
    if (percent && status->bytes_total)
        return (status->bytes_transferred - entry->last_bytes) * 100 >= (uint64_t)percent * status->bytes_total;
    return now - entry->last_call_ms >= (ULONGLONG)seconds * 1000;
}

/* Takes id's callback (AddRef'd) when a call is due now, recording it as made. */
static IDODownloadStatusCallback *take_due(const GUID *id, const download_status_t *status, uint32_t seconds,
                                           uint32_t percent)
{
    ULONGLONG now = GetTickCount64();
    IDODownloadStatusCallback *callback = NULL;
    AcquireSRWLockExclusive(&registrations_lock);
    registration_t *entry = *find(id);
    if (entry && (entry->last_state != status->state || progress_due(entry, status, seconds, percent, now))) {
        entry->last_state = status->state;
        entry->last_call_ms = now;
        entry->last_bytes = status->bytes_transferred;
        callback = entry->callback;
        IDODownloadStatusCallback_AddRef(callback);
    }
    ReleaseSRWLockExclusive(&registrations_lock);
    return callback;
}

static int registered(const GUID *id)
{
    AcquireSRWLockShared(&registrations_lock);
    int found = *find(id) != NULL;
    ReleaseSRWLockShared(&registrations_lock);
    return found;
}

static int client_gone(HRESULT hr)
{
    return hr == RPC_E_DISCONNECTED || hr == RPC_E_SERVER_DIED || hr == RPC_E_SERVER_DIED_DNE ||
           hr == HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) || hr == HRESULT_FROM_WIN32(RPC_S_CALL_FAILED) ||
           hr == CO_E_OBJNOTCONNECTED;
}

static void forget(const GUID *id)
{
    AcquireSRWLockExclusive(&registrations_lock);
    IDODownloadStatusCallback *gone = unlink_registration(id);
    ReleaseSRWLockExclusive(&registrations_lock);
    if (gone)
        IDODownloadStatusCallback_Release(gone);
}

int download_callbacks_deliver(const GUID *id, jobs_event_t event)
{
    (void)event; /* every event is a status change or progress; the status says which */
    if (!registered(id))
        return 0;
    download_status_t status;
    if (FAILED(download_status_for_client(&service_caller, id, &status))) {
        forget(id); /* gone (dropped, or older than this run's memory of final downloads) */
        return 1;
    }
    int final = status.state == DOWNLOAD_FINALIZED || status.state == DOWNLOAD_ABORTED;
    uint32_t seconds = property_number(id, DL_CALLBACK_FREQ_SECONDS, DOWNLOAD_CALLBACK_FREQ_SECONDS_DEFAULT);
    uint32_t percent = property_number(id, DL_CALLBACK_FREQ_PERCENT, 0);
    IDODownloadStatusCallback *callback = take_due(id, &status, seconds, percent);
    IDODownload *download = NULL;
    if (callback && SUCCEEDED(do_download_create(id, &download))) {
        DO_DOWNLOAD_STATUS wire = {status.bytes_total, status.bytes_transferred, (DODownloadState)status.state,
                                   status.error, status.extended_error};
        HRESULT hr = IDODownloadStatusCallback_OnStatusChange(callback, download, &wire);
        IDODownload_Release(download);
        if (client_gone(hr)) {
            log_event(LOG_WARN, (const store_guid_t *)id, NULL, "callback.gone",
                      "OnStatusChange failed with 0x%08lx: the client is gone, its callback is dropped",
                      (unsigned long)hr);
            final = 1;
        }
    }
    if (callback)
        IDODownloadStatusCallback_Release(callback);
    if (final)
        forget(id);
    return 1;
}
