/* IEnumUnknown of EnumDownloads: the download ids that matched when it was called; each Next
 * hands out live IDODownload objects (clients QI them for IDODownload). */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"
#include "enum_cursor.h"

typedef struct enum_downloads {
    IEnumUnknown iface;
    LONG refs;
    enum_cursor_t cursor;
    GUID *ids;
} enum_downloads_t;

static enum_downloads_t *impl(IEnumUnknown *iface)
{
    return (enum_downloads_t *)iface;
}

static HRESULT STDMETHODCALLTYPE enum_query_interface(IEnumUnknown *iface, REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    *out = IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IEnumUnknown) ? iface : NULL;
    if (!*out)
        return E_NOINTERFACE;
    IEnumUnknown_AddRef(iface);
    return S_OK;
}

static ULONG STDMETHODCALLTYPE enum_add_ref(IEnumUnknown *iface)
{
    return (ULONG)InterlockedIncrement(&impl(iface)->refs);
}

static ULONG STDMETHODCALLTYPE enum_release(IEnumUnknown *iface)
{
    enum_downloads_t *self = impl(iface);
    LONG refs = InterlockedDecrement(&self->refs);
    if (!refs) {
        enum_cursor_destroy(&self->cursor);
        free(self->ids);
        free(self);
    }
    return (ULONG)refs;
}

static HRESULT make_download(void *context, ULONG index, void **item)
{
    return do_download_create(&((enum_downloads_t *)context)->ids[index], (IDODownload **)item);
}

static HRESULT STDMETHODCALLTYPE enum_next(IEnumUnknown *iface, ULONG celt, IUnknown **items, ULONG *fetched)
{
    return enum_cursor_next(&impl(iface)->cursor, celt, (void **)items, fetched, make_download, impl(iface));
}

static HRESULT STDMETHODCALLTYPE enum_skip(IEnumUnknown *iface, ULONG celt)
{
    return enum_cursor_skip(&impl(iface)->cursor, celt);
}

static HRESULT STDMETHODCALLTYPE enum_reset(IEnumUnknown *iface)
{
    return enum_cursor_reset(&impl(iface)->cursor);
}

static HRESULT STDMETHODCALLTYPE enum_clone(IEnumUnknown *iface, IEnumUnknown **out)
{
    enum_downloads_t *self = impl(iface);
    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    ULONG count = self->cursor.count;
    GUID *ids = malloc(count ? count * sizeof *ids : 1);
    if (!ids)
        return E_OUTOFMEMORY;
    memcpy(ids, self->ids, count * sizeof *ids);
    HRESULT hr = enum_downloads_create(ids, count, out);
    if (SUCCEEDED(hr))
        enum_cursor_copy_position(&self->cursor, &impl(*out)->cursor);
    return hr;
}

static IEnumUnknownVtbl enum_vtbl = {
    enum_query_interface, enum_add_ref, enum_release, enum_next, enum_skip, enum_reset, enum_clone,
};

HRESULT enum_downloads_create(GUID *ids, ULONG count, IEnumUnknown **out)
{
    enum_downloads_t *self = calloc(1, sizeof *self);
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
