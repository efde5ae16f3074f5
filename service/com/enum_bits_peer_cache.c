/* The enumerators IBitsPeerCacheAdministration hands out (bits_peer_cache_administration.c):
 * IEnumBitsPeerCacheRecords and IEnumBitsPeers over an empty peer cache. One object answers the
 * interface it was made for; like every method of BITS ≥ 4.0's peer-cache interfaces, each method
 * answers S_FALSE: Next fetches nothing, Skip skips nothing, GetCount counts 0, Clone gives
 * another empty enumerator. */
#include <stdlib.h>

#include "dosvc.h"

typedef struct enum_peer_cache {
    IEnumBitsPeerCacheRecords records;
    IEnumBitsPeers peers;
    const IID *iid; /* the one enumerator interface this object answers */
    LONG refs;
} enum_peer_cache_t;

static enum_peer_cache_t *from_records(IEnumBitsPeerCacheRecords *iface)
{
    return (enum_peer_cache_t *)((char *)iface - offsetof(enum_peer_cache_t, records));
}

static enum_peer_cache_t *from_peers(IEnumBitsPeers *iface)
{
    return (enum_peer_cache_t *)((char *)iface - offsetof(enum_peer_cache_t, peers));
}

static HRESULT query_interface(enum_peer_cache_t *e, REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    *out = NULL;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, e->iid))
        return E_NOINTERFACE;
    *out = IsEqualIID(e->iid, &IID_IEnumBitsPeers) ? (void *)&e->peers : (void *)&e->records;
    InterlockedIncrement(&e->refs);
    return S_OK;
}

static ULONG release(enum_peer_cache_t *e)
{
    LONG refs = InterlockedDecrement(&e->refs);
    if (!refs)
        free(e);
    return (ULONG)refs;
}

/* Next on an empty list: nothing fetched; the NULL checks of IEnumXxx::Next. */
static HRESULT next_nothing(ULONG count, void *items, ULONG *fetched)
{
    if (!items || (!fetched && count != 1))
        return E_INVALIDARG;
    if (fetched)
        *fetched = 0;
    return S_FALSE;
}

static HRESULT count_nothing(ULONG *count)
{
    if (!count)
        return E_INVALIDARG;
    *count = 0;
    return S_FALSE;
}

static HRESULT clone_of(const IID *iid, void **out)
{
    if (!out)
        return E_INVALIDARG;
    HRESULT hr = enum_bits_peer_cache_create(iid, out);
    return SUCCEEDED(hr) ? S_FALSE : hr;
}

#define ENUM_PEER_CACHE_METHODS(prefix, type, item_t, from)                                        \
    static HRESULT STDMETHODCALLTYPE prefix##_query_interface(type *iface, REFIID riid, void **out) \
    {                                                                                              \
        return query_interface(from(iface), riid, out);                                            \
    }                                                                                              \
    static ULONG STDMETHODCALLTYPE prefix##_add_ref(type *iface)                                   \
    {                                                                                              \
        return (ULONG)InterlockedIncrement(&from(iface)->refs);                                    \
    }                                                                                              \
    static ULONG STDMETHODCALLTYPE prefix##_release(type *iface)                                   \
    {                                                                                              \
        return release(from(iface));                                                               \
    }                                                                                              \
    static HRESULT STDMETHODCALLTYPE prefix##_next(type *iface, ULONG count, item_t **items,       \
                                                   ULONG *fetched)                                 \
    {                                                                                              \
        (void)iface;                                                                               \
        return next_nothing(count, items, fetched);                                                \
    }                                                                                              \
    static HRESULT STDMETHODCALLTYPE prefix##_skip(type *iface, ULONG count)                       \
    {                                                                                              \
        (void)iface;                                                                               \
        (void)count;                                                                               \
        return S_FALSE;                                                                            \
    }                                                                                              \
    static HRESULT STDMETHODCALLTYPE prefix##_reset(type *iface)                                   \
    {                                                                                              \
        (void)iface;                                                                               \
        return S_FALSE;                                                                            \
    }                                                                                              \
    static HRESULT STDMETHODCALLTYPE prefix##_clone(type *iface, type **out)                       \
    {                                                                                              \
        return clone_of(from(iface)->iid, (void **)out);                                           \
    }                                                                                              \
    static HRESULT STDMETHODCALLTYPE prefix##_get_count(type *iface, ULONG *count)                 \
    {                                                                                              \
        (void)iface;                                                                               \
        return count_nothing(count);                                                               \
    }                                                                                              \
    static type##Vtbl prefix##_vtbl = {                                                            \
        prefix##_query_interface, prefix##_add_ref, prefix##_release, prefix##_next,               \
        prefix##_skip,            prefix##_reset,   prefix##_clone,   prefix##_get_count,          \
    };

ENUM_PEER_CACHE_METHODS(records, IEnumBitsPeerCacheRecords, IBitsPeerCacheRecord, from_records)
ENUM_PEER_CACHE_METHODS(peers, IEnumBitsPeers, IBitsPeer, from_peers)

HRESULT enum_bits_peer_cache_create(REFIID riid, void **out)
{
    *out = NULL;
    if (!IsEqualIID(riid, &IID_IEnumBitsPeerCacheRecords) && !IsEqualIID(riid, &IID_IEnumBitsPeers))
        return E_NOINTERFACE;
    enum_peer_cache_t *e = calloc(1, sizeof *e);
    if (!e)
        return E_OUTOFMEMORY;
    e->records.lpVtbl = &records_vtbl;
    e->peers.lpVtbl = &peers_vtbl;
    e->iid = IsEqualIID(riid, &IID_IEnumBitsPeers) ? &IID_IEnumBitsPeers : &IID_IEnumBitsPeerCacheRecords;
    e->refs = 1;
    *out = IsEqualIID(riid, &IID_IEnumBitsPeers) ? (void *)&e->peers : (void *)&e->records;
    return S_OK;
}
