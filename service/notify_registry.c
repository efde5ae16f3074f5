/* The callback sinks registered with SetNotifyInterface. COM pointers live in the service's
 * memory only (BITS and DO never persist them; clients register again after a restart). */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"

typedef struct sink {
    GUID job;
    IUnknown *callback;
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

/* Replaces the job's sink (NULL removes it); the last caller to register wins. */
HRESULT notify_registry_set(const GUID *job, IUnknown *callback)
{
    sink_t *fresh = NULL;
    if (callback && !(fresh = calloc(1, sizeof *fresh)))
        return E_OUTOFMEMORY;
    IUnknown *old = NULL;
    AcquireSRWLockExclusive(&sinks_lock);
    sink_t **link = find(job);
    if (*link) {
        sink_t *gone = *link;
        old = gone->callback;
        *link = gone->next;
        free(gone);
    }
    if (fresh) {
        fresh->job = *job;
        fresh->callback = callback;
        IUnknown_AddRef(callback);
        fresh->next = sinks;
        sinks = fresh;
    }
    ReleaseSRWLockExclusive(&sinks_lock);
    if (old)
        IUnknown_Release(old); /* outside the lock: it may be a cross-process call */
    return S_OK;
}

/* The job's sink, AddRef'd, or NULL. */
IUnknown *notify_registry_get(const GUID *job)
{
    AcquireSRWLockShared(&sinks_lock);
    sink_t *sink = *find(job);
    IUnknown *callback = sink ? sink->callback : NULL;
    if (callback)
        IUnknown_AddRef(callback);
    ReleaseSRWLockShared(&sinks_lock);
    return callback;
}
