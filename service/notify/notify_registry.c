/* The callback sinks of the jobs: the one registered with SetNotifyInterface and, when a job has
 * none, the object activated from its NOTIFICATION_CLSID (kept until it disconnects or a
 * registration replaces it). COM pointers live in the service's memory only (BITS and DO never
 * persist them; clients register again after a restart). */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"

typedef struct sink {
    GUID job;
    IUnknown *callback;  /* SetNotifyInterface; NULL when only an activated object is kept */
    IUnknown *activated; /* from the NOTIFICATION_CLSID; NULL while a callback is registered */
    struct sink *next;
} sink_t;

static sink_t *sinks;
static SRWLOCK sinks_lock = SRWLOCK_INIT;

static sink_t **find(const GUID *job)
{
    sink_t **link = &sinks;
    while (*link && !IsEqualGUID(&(*link)->job, job))
        link = &(*link)->next;
    return link;
}

/* Unlinks the job's entry (lock held); its pointers go to *gone for release outside the lock. */
static void unlink_entry(sink_t **link, IUnknown *gone[2])
{
    sink_t *entry = *link;
    gone[0] = entry->callback;
    gone[1] = entry->activated;
    *link = entry->next;
    free(entry);
}

/* Releases outside the lock: each may be a cross-process call. */
static void release_all(IUnknown *gone[2])
{
    for (int i = 0; i < 2; i++)
        if (gone[i])
            IUnknown_Release(gone[i]);
}

/* Replaces the job's sinks by callback (NULL removes them); the last caller to register wins.
 * A registered job that is already TRANSFERRED or in ERROR gets its callback now (BITS calls
 * a sink registered after the event too). */
HRESULT notify_registry_set(const GUID *job, IUnknown *callback)
{
    sink_t *fresh = NULL;
    if (callback && !(fresh = calloc(1, sizeof *fresh)))
        return E_OUTOFMEMORY;
    IUnknown *gone[2] = {NULL, NULL};
    AcquireSRWLockExclusive(&sinks_lock);
    sink_t **link = find(job);
    if (*link)
        unlink_entry(link, gone);
    if (fresh) {
        fresh->job = *job;
        fresh->callback = callback;
        IUnknown_AddRef(callback);
        fresh->next = sinks;
        sinks = fresh;
    }
    ReleaseSRWLockExclusive(&sinks_lock);
    release_all(gone);
    if (callback)
        job_events_notification_set(job);
    return S_OK;
}

/* The member at offset of the job's entry, AddRef'd, or NULL. */
static IUnknown *get_member(const GUID *job, size_t offset)
{
    AcquireSRWLockShared(&sinks_lock);
    sink_t *sink = *find(job);
    IUnknown *object = sink ? *(IUnknown **)((char *)sink + offset) : NULL;
    if (object)
        IUnknown_AddRef(object);
    ReleaseSRWLockShared(&sinks_lock);
    return object;
}

/* The job's registered sink, AddRef'd, or NULL. */
IUnknown *notify_registry_get(const GUID *job)
{
    return get_member(job, offsetof(sink_t, callback));
}

/* The object activated from the job's NOTIFICATION_CLSID, AddRef'd, or NULL. */
IUnknown *notify_registry_get_activated(const GUID *job)
{
    return get_member(job, offsetof(sink_t, activated));
}

/* Keeps an activated object for the job, unless a sink was registered meanwhile (S_FALSE: the
 * object is not kept). */
HRESULT notify_registry_keep_activated(const GUID *job, IUnknown *object)
{
    sink_t *fresh = calloc(1, sizeof *fresh);
    if (!fresh)
        return E_OUTOFMEMORY;
    IUnknown *gone[2] = {NULL, NULL};
    HRESULT hr = S_OK;
    AcquireSRWLockExclusive(&sinks_lock);
    sink_t *entry = *find(job);
    if (entry && entry->callback) {
        hr = S_FALSE;
    } else if (entry) {
        gone[1] = entry->activated;
        entry->activated = object;
        IUnknown_AddRef(object);
    } else {
        fresh->job = *job;
        fresh->activated = object;
        IUnknown_AddRef(object);
        fresh->next = sinks;
        sinks = fresh;
        fresh = NULL;
    }
    ReleaseSRWLockExclusive(&sinks_lock);
    free(fresh);
    release_all(gone);
    return hr;
}

/* Forgets object (a sink that disconnected) wherever the job's entry still holds it. */
void notify_registry_drop(const GUID *job, IUnknown *object)
{
    IUnknown *gone[2] = {NULL, NULL};
    AcquireSRWLockExclusive(&sinks_lock);
    sink_t **link = find(job);
    sink_t *entry = *link;
    if (entry && entry->callback == object) {
        gone[0] = object;
        entry->callback = NULL;
    } else if (entry && entry->activated == object) {
        gone[1] = object;
        entry->activated = NULL;
    }
    if (entry && !entry->callback && !entry->activated) {
        *link = entry->next;
        free(entry);
    }
    ReleaseSRWLockExclusive(&sinks_lock);
    release_all(gone);
}
