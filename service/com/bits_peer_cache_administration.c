/* IBitsPeerCacheAdministration: a part of the manager object of the BITS classes
 * (background_copy_manager.c; the DO class does not answer it). BITS 3.0's peer cache was
 * replaced by BranchCache in BITS 4.0, where every method of this interface answers S_FALSE;
 * opendo has no peer cache either and answers the same way, with out-parameters a client can use
 * safely: 0 for the numbers, an empty enumerator for EnumRecords and EnumPeers (never NULL, so
 * that a client that only checks SUCCEEDED(hr) walks an empty list), and no record from
 * GetRecord (NULL: an id can only come from EnumRecords, which lists nothing). docs/bits.md. */
#include "dosvc.h"

static bits_peer_cache_part_t *impl(IBitsPeerCacheAdministration *iface)
{
    return (bits_peer_cache_part_t *)iface;
}

static HRESULT STDMETHODCALLTYPE peer_cache_query_interface(IBitsPeerCacheAdministration *iface,
                                                            REFIID riid, void **out)
{
    return IUnknown_QueryInterface(impl(iface)->outer, riid, out);
}

static ULONG STDMETHODCALLTYPE peer_cache_add_ref(IBitsPeerCacheAdministration *iface)
{
    return IUnknown_AddRef(impl(iface)->outer);
}

static ULONG STDMETHODCALLTYPE peer_cache_release(IBitsPeerCacheAdministration *iface)
{
    return IUnknown_Release(impl(iface)->outer);
}

/* The three settings (cache size, content age, configuration flags; all DWORD-sized, so one
 * function serves each pair of slots) read as 0 (no cache) and cannot be changed. */
static HRESULT STDMETHODCALLTYPE peer_cache_get_setting(IBitsPeerCacheAdministration *iface, DWORD *value)
{
    (void)iface;
    if (!value)
        return E_INVALIDARG;
    *value = 0;
    return S_FALSE;
}

static HRESULT STDMETHODCALLTYPE peer_cache_set_setting(IBitsPeerCacheAdministration *iface, DWORD value)
{
    (void)iface, (void)value;
    return S_FALSE;
}

/* An empty enumerator of riid; S_FALSE as every method of this interface. */
static HRESULT empty_enumerator(REFIID riid, void **out)
{
    if (!out)
        return E_INVALIDARG;
    HRESULT hr = enum_bits_peer_cache_create(riid, out);
    return SUCCEEDED(hr) ? S_FALSE : hr;
}

static HRESULT STDMETHODCALLTYPE peer_cache_enum_records(IBitsPeerCacheAdministration *iface,
                                                         IEnumBitsPeerCacheRecords **records)
{
    (void)iface;
    return empty_enumerator(&IID_IEnumBitsPeerCacheRecords, (void **)records);
}

static HRESULT STDMETHODCALLTYPE peer_cache_get_record(IBitsPeerCacheAdministration *iface, REFGUID id,
                                                       IBitsPeerCacheRecord **record)
{
    (void)iface;
    (void)id;
    if (!record)
        return E_INVALIDARG;
    *record = NULL;
    return S_FALSE;
}

static HRESULT STDMETHODCALLTYPE peer_cache_clear_records(IBitsPeerCacheAdministration *iface)
{
    (void)iface;
    return S_FALSE;
}

static HRESULT STDMETHODCALLTYPE peer_cache_delete_record(IBitsPeerCacheAdministration *iface, REFGUID id)
{
    (void)iface;
    (void)id;
    return S_FALSE;
}

static HRESULT STDMETHODCALLTYPE peer_cache_delete_url(IBitsPeerCacheAdministration *iface, LPCWSTR url)
{
    (void)iface;
    (void)url;
    return S_FALSE;
}

static HRESULT STDMETHODCALLTYPE peer_cache_enum_peers(IBitsPeerCacheAdministration *iface,
                                                       IEnumBitsPeers **peers)
{
    (void)iface;
    return empty_enumerator(&IID_IEnumBitsPeers, (void **)peers);
}

static HRESULT STDMETHODCALLTYPE peer_cache_clear_peers(IBitsPeerCacheAdministration *iface)
{
    (void)iface;
    return S_FALSE;
}

static HRESULT STDMETHODCALLTYPE peer_cache_discover_peers(IBitsPeerCacheAdministration *iface)
{
    (void)iface;
    return S_FALSE;
}

static IBitsPeerCacheAdministrationVtbl peer_cache_vtbl = {
    peer_cache_query_interface,
    peer_cache_add_ref,
    peer_cache_release,
    peer_cache_get_setting,
    peer_cache_set_setting,
    peer_cache_get_setting,
    peer_cache_set_setting,
    peer_cache_get_setting,
    peer_cache_set_setting,
    peer_cache_enum_records,
    peer_cache_get_record,
    peer_cache_clear_records,
    peer_cache_delete_record,
    peer_cache_delete_url,
    peer_cache_enum_peers,
    peer_cache_clear_peers,
    peer_cache_discover_peers,
};

void bits_peer_cache_init(bits_peer_cache_part_t *part, IUnknown *outer)
{
    part->iface.lpVtbl = &peer_cache_vtbl;
    part->outer = outer;
}
