/* IEnumBackgroundCopyJobs: a snapshot of job ids taken at EnumJobs; each Next hands out job
 * objects whose properties are live (read through the core on every call). */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"
#include "enum_cursor.h"

typedef struct enum_jobs {
    IEnumBackgroundCopyJobs iface;
    LONG refs;
    enum_cursor_t cursor;
    GUID *ids;
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
        enum_cursor_destroy(&self->cursor);
        free(self->ids);
        free(self);
    }
    return (ULONG)refs;
}

static HRESULT make_job(void *context, ULONG index, void **item)
{
    return background_copy_job_create(&((enum_jobs_t *)context)->ids[index], (IBackgroundCopyJob **)item);
}

static HRESULT STDMETHODCALLTYPE enum_next(IEnumBackgroundCopyJobs *iface, ULONG celt,
                                           IBackgroundCopyJob **jobs, ULONG *fetched)
{
    return enum_cursor_next(&impl(iface)->cursor, celt, (void **)jobs, fetched, make_job, impl(iface));
}

static HRESULT STDMETHODCALLTYPE enum_skip(IEnumBackgroundCopyJobs *iface, ULONG celt)
{
    return enum_cursor_skip(&impl(iface)->cursor, celt);
}

static HRESULT STDMETHODCALLTYPE enum_reset(IEnumBackgroundCopyJobs *iface)
{
    return enum_cursor_reset(&impl(iface)->cursor);
}

static HRESULT STDMETHODCALLTYPE enum_clone(IEnumBackgroundCopyJobs *iface,
                                            IEnumBackgroundCopyJobs **out)
{
    enum_jobs_t *self = impl(iface);
    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    ULONG count = self->cursor.count;
    GUID *ids = malloc(count ? count * sizeof *ids : 1);
    if (!ids)
        return E_OUTOFMEMORY;
    if (count)
        memcpy(ids, self->ids, count * sizeof *ids);
    HRESULT hr = enum_background_copy_jobs_create(ids, count, out);
    if (SUCCEEDED(hr))
        enum_cursor_copy_position(&self->cursor, &impl(*out)->cursor);
    return hr;
}

static HRESULT STDMETHODCALLTYPE enum_get_count(IEnumBackgroundCopyJobs *iface, ULONG *count)
{
    return enum_cursor_get_count(&impl(iface)->cursor, count);
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
    enum_cursor_init(&self->cursor, count);
    self->ids = ids;
    *out = &self->iface;
    return S_OK;
}
