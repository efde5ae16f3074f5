/* The interface pointers each download's client handed over, in the service's memory only (as
 * DO, which never persists them): its IDODownloadStatusCallback and its IStream, each with the
 * bookkeeping of the code that calls it (download_callbacks.c, download_streams.c). Pointers are
 * released outside the lock: a Release may be a cross-process call. */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"

typedef struct entry {
    GUID id;
    IUnknown *pointers[DOWNLOAD_SINK_KINDS];
    download_sink_marks_t marks[DOWNLOAD_SINK_KINDS];
    struct entry *next;
} entry_t;

static entry_t *entries;
static SRWLOCK entries_lock = SRWLOCK_INIT;

static entry_t **find(const GUID *id)
{
    entry_t **link = &entries;
    while (*link && !IsEqualGUID(&(*link)->id, id))
        link = &(*link)->next;
    return link;
}

/* Frees an entry that holds no pointer any more (lock held). */
static void drop_if_empty(entry_t **link)
{
    entry_t *entry = *link;
    for (int kind = 0; kind < DOWNLOAD_SINK_KINDS; kind++)
        if (entry->pointers[kind])
            return;
    *link = entry->next;
    free(entry);
}

HRESULT download_sinks_set(const GUID *id, download_sink_kind_t kind, IUnknown *pointer)
{
    AcquireSRWLockExclusive(&entries_lock);
    entry_t **link = find(id);
    if (!*link && pointer && (*link = calloc(1, sizeof **link)))
        (*link)->id = *id;
    IUnknown *old = NULL;
    HRESULT hr = *link || !pointer ? S_OK : E_OUTOFMEMORY;
    if (*link) {
        old = (*link)->pointers[kind];
        (*link)->pointers[kind] = pointer;
        memset(&(*link)->marks[kind], 0, sizeof (*link)->marks[kind]);
        (*link)->marks[kind].state = -1;
        if (pointer)
            IUnknown_AddRef(pointer);
        drop_if_empty(link);
    }
    ReleaseSRWLockExclusive(&entries_lock);
    if (old)
        IUnknown_Release(old);
    return hr;
}

IUnknown *download_sinks_get(const GUID *id, download_sink_kind_t kind, download_sink_marks_t *marks)
{
    AcquireSRWLockShared(&entries_lock);
    entry_t *entry = *find(id);
    IUnknown *pointer = entry ? entry->pointers[kind] : NULL;
    if (pointer) {
        IUnknown_AddRef(pointer);
        if (marks)
            *marks = entry->marks[kind];
    }
    ReleaseSRWLockShared(&entries_lock);
    return pointer;
}

void download_sinks_mark(const GUID *id, download_sink_kind_t kind, IUnknown *pointer,
                         const download_sink_marks_t *marks)
{
    AcquireSRWLockExclusive(&entries_lock);
    entry_t *entry = *find(id);
    if (entry && entry->pointers[kind] == pointer) /* not replaced meanwhile */
        entry->marks[kind] = *marks;
    ReleaseSRWLockExclusive(&entries_lock);
}

void download_sinks_clear(void)
{
    AcquireSRWLockExclusive(&entries_lock);
    entry_t *all = entries;
    entries = NULL;
    ReleaseSRWLockExclusive(&entries_lock);
    while (all) {
        entry_t *next = all->next;
        for (int kind = 0; kind < DOWNLOAD_SINK_KINDS; kind++)
            if (all->pointers[kind])
                IUnknown_Release(all->pointers[kind]);
        free(all);
        all = next;
    }
}
