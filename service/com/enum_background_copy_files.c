/* IEnumBackgroundCopyFiles: the files of one job, counted when EnumFiles is called; each Next
 * hands out file objects (job id, index) whose values are live (read through the core on every
 * call). */
#include <stdlib.h>

#include "dosvc.h"
#include "enum_cursor.h"

typedef struct enum_files {
    IEnumBackgroundCopyFiles iface;
    LONG refs;
    enum_cursor_t cursor;
    GUID job_id;
    api_personality_t api;
} enum_files_t;

static enum_files_t *impl(IEnumBackgroundCopyFiles *iface)
{
    return (enum_files_t *)iface;
}

static HRESULT STDMETHODCALLTYPE enum_query_interface(IEnumBackgroundCopyFiles *iface, REFIID riid,
                                                      void **out)
{
    if (!out)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IEnumBackgroundCopyFiles)) {
        *out = iface;
        IEnumBackgroundCopyFiles_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE enum_add_ref(IEnumBackgroundCopyFiles *iface)
{
    return (ULONG)InterlockedIncrement(&impl(iface)->refs);
}

static ULONG STDMETHODCALLTYPE enum_release(IEnumBackgroundCopyFiles *iface)
{
    enum_files_t *self = impl(iface);
    LONG refs = InterlockedDecrement(&self->refs);
    if (!refs) {
        enum_cursor_destroy(&self->cursor);
        free(self);
    }
    return (ULONG)refs;
}

static HRESULT make_file(void *context, ULONG index, void **item)
{
    const enum_files_t *self = context;
    return background_copy_file_create(&self->job_id, self->api, index, &IID_IBackgroundCopyFile, item);
}

static HRESULT STDMETHODCALLTYPE enum_next(IEnumBackgroundCopyFiles *iface, ULONG celt,
                                           IBackgroundCopyFile **files, ULONG *fetched)
{
    return enum_cursor_next(&impl(iface)->cursor, celt, (void **)files, fetched, make_file, impl(iface));
}

static HRESULT STDMETHODCALLTYPE enum_skip(IEnumBackgroundCopyFiles *iface, ULONG celt)
{
    return enum_cursor_skip(&impl(iface)->cursor, celt);
}

static HRESULT STDMETHODCALLTYPE enum_reset(IEnumBackgroundCopyFiles *iface)
{
    return enum_cursor_reset(&impl(iface)->cursor);
}

static HRESULT STDMETHODCALLTYPE enum_clone(IEnumBackgroundCopyFiles *iface,
                                            IEnumBackgroundCopyFiles **out)
{
    enum_files_t *self = impl(iface);
    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    HRESULT hr = enum_background_copy_files_create(&self->job_id, self->api, self->cursor.count, out);
    if (SUCCEEDED(hr))
        enum_cursor_copy_position(&self->cursor, &impl(*out)->cursor);
    return hr;
}

static HRESULT STDMETHODCALLTYPE enum_get_count(IEnumBackgroundCopyFiles *iface, ULONG *count)
{
    return enum_cursor_get_count(&impl(iface)->cursor, count);
}

static IEnumBackgroundCopyFilesVtbl enum_vtbl = {
    enum_query_interface, enum_add_ref, enum_release, enum_next, enum_skip, enum_reset,
    enum_clone, enum_get_count,
};

HRESULT enum_background_copy_files_create(const GUID *job_id, api_personality_t api, ULONG count,
                                          IEnumBackgroundCopyFiles **out)
{
    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    enum_files_t *self = calloc(1, sizeof *self);
    if (!self)
        return E_OUTOFMEMORY;
    self->iface.lpVtbl = &enum_vtbl;
    self->refs = 1;
    enum_cursor_init(&self->cursor, count);
    self->job_id = *job_id;
    self->api = api;
    *out = &self->iface;
    return S_OK;
}
