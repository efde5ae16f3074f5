/* enum_ids.h: the snapshot-of-ids enumerators' common object. */
#include <stdlib.h>
#include <string.h>

#include "enum_ids.h"

static enum_ids_t *impl(void *iface)
{
    return (enum_ids_t *)iface;
}

HRESULT enum_ids_create(const void *vtbl, const IID *iid, enum_ids_make_fn make, GUID *ids, ULONG count,
                        void **out)
{
    enum_ids_t *self = calloc(1, sizeof *self);
    if (!self) {
        free(ids);
        return E_OUTOFMEMORY;
    }
    self->vtbl = vtbl;
    self->refs = 1;
    self->iid = iid;
    self->make = make;
    enum_cursor_init(&self->cursor, count);
    self->ids = ids;
    *out = self;
    return S_OK;
}

HRESULT enum_ids_query_interface(void *iface, REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    *out = IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, impl(iface)->iid) ? iface : NULL;
    if (!*out)
        return E_NOINTERFACE;
    enum_ids_add_ref(iface);
    return S_OK;
}

ULONG enum_ids_add_ref(void *iface)
{
    return (ULONG)InterlockedIncrement(&impl(iface)->refs);
}

ULONG enum_ids_release(void *iface)
{
    enum_ids_t *self = impl(iface);
    LONG refs = InterlockedDecrement(&self->refs);
    if (!refs) {
        enum_cursor_destroy(&self->cursor);
        free(self->ids);
        free(self);
    }
    return (ULONG)refs;
}

static HRESULT make_item(void *context, ULONG index, void **item)
{
    enum_ids_t *self = context;
    return self->make(&self->ids[index], item);
}

HRESULT enum_ids_next(void *iface, ULONG celt, void **items, ULONG *fetched)
{
    return enum_cursor_next(&impl(iface)->cursor, celt, items, fetched, make_item, impl(iface));
}

HRESULT enum_ids_skip(void *iface, ULONG celt)
{
    return enum_cursor_skip(&impl(iface)->cursor, celt);
}

HRESULT enum_ids_reset(void *iface)
{
    return enum_cursor_reset(&impl(iface)->cursor);
}

HRESULT enum_ids_clone(void *iface, void **out)
{
    enum_ids_t *self = impl(iface);
    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    ULONG count = self->cursor.count;
    GUID *ids = malloc(count ? count * sizeof *ids : 1);
    if (!ids)
        return E_OUTOFMEMORY;
    memcpy(ids, self->ids, count * sizeof *ids);
    HRESULT hr = enum_ids_create(self->vtbl, self->iid, self->make, ids, count, out);
    if (SUCCEEDED(hr))
        enum_cursor_copy_position(&self->cursor, &impl(*out)->cursor);
    return hr;
}

HRESULT enum_ids_get_count(void *iface, ULONG *count)
{
    return enum_cursor_get_count(&impl(iface)->cursor, count);
}
