/* IEnumBackgroundCopyJobs: a snapshot of job ids taken at EnumJobs; each Next hands out job
 * objects whose properties are live (read through the core on every call). */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"

typedef struct enum_jobs {
    IEnumBackgroundCopyJobs iface;
    LONG refs;
    CRITICAL_SECTION lock; /* guards position: MTA clients may share one enumerator */
    GUID *ids;
    ULONG count;
    ULONG position;
} enum_jobs_t;

static enum_jobs_t *impl(IEnumBackgroundCopyJobs *iface)
{
    return (enum_jobs_t *)iface;
}

static HRESULT STDMETHODCALLTYPE enum_query_interface(IEnumBackgroundCopyJobs *iface, REFIID riid,
                                                      void **out)
{
    if (!out)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IEnumBackgroundCopyJobs)) {
        *out = iface;
        IEnumBackgroundCopyJobs_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE enum_add_ref(IEnumBackgroundCopyJobs *iface)
{
    return (ULONG)InterlockedIncrement(&impl(iface)->refs);
}

static ULONG STDMETHODCALLTYPE enum_release(IEnumBackgroundCopyJobs *iface)
{
    enum_jobs_t *self = impl(iface);
    LONG refs = InterlockedDecrement(&self->refs);
    if (!refs) {
        DeleteCriticalSection(&self->lock);
        free(self->ids);
        free(self);
    }
    return (ULONG)refs;
}

static HRESULT STDMETHODCALLTYPE enum_next(IEnumBackgroundCopyJobs *iface, ULONG celt,
                                           IBackgroundCopyJob **jobs, ULONG *fetched)
{
    enum_jobs_t *self = impl(iface);
    if (!jobs || (!fetched && celt != 1))
        return E_INVALIDARG;
    HRESULT hr = S_OK;
    ULONG done = 0;
    EnterCriticalSection(&self->lock);
    while (done < celt && self->position < self->count && SUCCEEDED(hr)) {
        hr = background_copy_job_create(&self->ids[self->position], &jobs[done]);
        if (SUCCEEDED(hr))
            done++, self->position++;
    }
    LeaveCriticalSection(&self->lock);
    if (FAILED(hr)) {
        while (done) {
            done--;
            IBackgroundCopyJob_Release(jobs[done]);
            jobs[done] = NULL;
        }
    }
    if (fetched)
        *fetched = done;
    return FAILED(hr) ? hr : done == celt ? S_OK : S_FALSE;
}

static HRESULT STDMETHODCALLTYPE enum_skip(IEnumBackgroundCopyJobs *iface, ULONG celt)
{
    enum_jobs_t *self = impl(iface);
    EnterCriticalSection(&self->lock);
    ULONG left = self->count - self->position;
    ULONG skipped = celt < left ? celt : left;
    self->position += skipped;
    LeaveCriticalSection(&self->lock);
    return skipped == celt ? S_OK : S_FALSE;
}

static HRESULT STDMETHODCALLTYPE enum_reset(IEnumBackgroundCopyJobs *iface)
{
    enum_jobs_t *self = impl(iface);
    EnterCriticalSection(&self->lock);
    self->position = 0;
    LeaveCriticalSection(&self->lock);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE enum_clone(IEnumBackgroundCopyJobs *iface,
                                            IEnumBackgroundCopyJobs **out)
{
    enum_jobs_t *self = impl(iface);
    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    GUID *ids = malloc(self->count ? self->count * sizeof *ids : 1);
    if (!ids)
        return E_OUTOFMEMORY;
    if (self->count)
        memcpy(ids, self->ids, self->count * sizeof *ids);
    HRESULT hr = enum_background_copy_jobs_create(ids, self->count, out);
    if (SUCCEEDED(hr)) {
        EnterCriticalSection(&self->lock);
        impl(*out)->position = self->position;
        LeaveCriticalSection(&self->lock);
    }
    return hr;
}

static HRESULT STDMETHODCALLTYPE enum_get_count(IEnumBackgroundCopyJobs *iface, ULONG *count)
{
    if (!count)
        return E_INVALIDARG;
    *count = impl(iface)->count;
    return S_OK;
}

static IEnumBackgroundCopyJobsVtbl enum_vtbl = {
    enum_query_interface, enum_add_ref, enum_release, enum_next, enum_skip, enum_reset,
    enum_clone, enum_get_count,
};

HRESULT enum_background_copy_jobs_create(GUID *ids, ULONG count, IEnumBackgroundCopyJobs **out)
{
    enum_jobs_t *self = calloc(1, sizeof *self);
    if (!self) {
        free(ids);
        return E_OUTOFMEMORY;
    }
    self->iface.lpVtbl = &enum_vtbl;
    self->refs = 1;
    InitializeCriticalSection(&self->lock);
    self->ids = ids;
    self->count = count;
    *out = &self->iface;
    return S_OK;
}
