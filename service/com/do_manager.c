/* IDOManager: CreateDownload and EnumDownloads, the second interface of the manager object
 * (background_copy_manager.c), so that CLSID_DeliveryOptimization answers both APIs. */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"

static do_manager_part_t *impl(IDOManager *iface)
{
    return (do_manager_part_t *)iface;
}

static HRESULT STDMETHODCALLTYPE do_manager_query_interface(IDOManager *iface, REFIID riid, void **out)
{
    return IUnknown_QueryInterface(impl(iface)->outer, riid, out);
}

static ULONG STDMETHODCALLTYPE do_manager_add_ref(IDOManager *iface)
{
    return IUnknown_AddRef(impl(iface)->outer);
}

static ULONG STDMETHODCALLTYPE do_manager_release(IDOManager *iface)
{
    return IUnknown_Release(impl(iface)->outer);
}

static HRESULT STDMETHODCALLTYPE do_manager_create_download(IDOManager *iface, IDODownload **download)
{
    (void)iface;
    if (!download)
        return E_INVALIDARG;
    *download = NULL;
    caller_t caller;
    store_guid_t id;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = downloads_create(dosvc_jobs, &caller, &id);
    if (SUCCEEDED(hr))
        hr = do_download_create((const GUID *)&id, download);
    return hr;
}

static HRESULT STDMETHODCALLTYPE do_manager_enum_downloads(IDOManager *iface,
                                                          const DO_DOWNLOAD_ENUM_CATEGORY *category,
                                                          IEnumUnknown **downloads)
{
    (void)iface;
    if (!downloads)
        return E_INVALIDARG;
    *downloads = NULL;
    char *value = NULL;
    if (category && (!category->Value || !(value = utf8_from_wide(category->Value))))
        return E_INVALIDARG;
    caller_t caller;
    store_guid_t *ids = NULL;
    size_t count = 0;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = downloads_list(dosvc_jobs, &caller, category ? (int32_t)category->Property : -1, value, &ids, &count);
    free(value);
    if (SUCCEEDED(hr) && count > ULONG_MAX)
        hr = E_OUTOFMEMORY;
    if (FAILED(hr)) {
        free(ids);
        return hr;
    }
    return enum_downloads_create((GUID *)ids, (ULONG)count, downloads);
}

static IDOManagerVtbl do_manager_vtbl = {
    do_manager_query_interface, do_manager_add_ref, do_manager_release, do_manager_create_download,
    do_manager_enum_downloads,
};

void do_manager_init(do_manager_part_t *part, IUnknown *outer)
{
    part->iface.lpVtbl = &do_manager_vtbl;
    part->outer = outer;
}
