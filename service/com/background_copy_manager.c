/* The manager object of CLSID_DeliveryOptimization and of the BITS classes:
 * IBackgroundCopyManager (CreateJob, GetJob, EnumJobs) here, and for the DO class IDOManager
 * (do_manager.c). Each client gets its own manager object; all of them share the process's job
 * manager (dosvc_jobs). Its api decides the kind of job it makes and sees, and its codes. */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"
#include "error_text.h"

typedef struct manager {
    IBackgroundCopyManager iface;
    do_manager_part_t do_manager;
    api_personality_t api;
    LONG refs;
} manager_t;

static manager_t *impl(IBackgroundCopyManager *iface)
{
    return (manager_t *)iface;
}

static HRESULT STDMETHODCALLTYPE manager_query_interface(IBackgroundCopyManager *iface,
                                                         REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    if (!api_offers(impl(iface)->api, riid)) {
        *out = NULL;
        return E_NOINTERFACE;
    }
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IBackgroundCopyManager))
        *out = iface;
    else if (IsEqualIID(riid, &IID_IDOManager))
        *out = &impl(iface)->do_manager.iface;
    else {
        *out = NULL;
        return E_NOINTERFACE;
    }
    IBackgroundCopyManager_AddRef(iface);
    return S_OK;
}

static ULONG STDMETHODCALLTYPE manager_add_ref(IBackgroundCopyManager *iface)
{
    return (ULONG)InterlockedIncrement(&impl(iface)->refs);
}

static ULONG STDMETHODCALLTYPE manager_release(IBackgroundCopyManager *iface)
{
    LONG refs = InterlockedDecrement(&impl(iface)->refs);
    if (!refs)
        free(impl(iface));
    return (ULONG)refs;
}

static HRESULT STDMETHODCALLTYPE manager_create_job(IBackgroundCopyManager *iface,
                                                    LPCWSTR display_name, BG_JOB_TYPE type,
                                                    GUID *job_id, IBackgroundCopyJob **job)
{
    api_personality_t api = impl(iface)->api;
    if (!job_id || !job)
        return E_INVALIDARG;
    *job = NULL;
    memset(job_id, 0, sizeof *job_id);
    if (!display_name)
        return E_INVALIDARG;
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    if (FAILED(hr))
        return hr;
    char *name = utf8_from_wide(display_name);
    if (!name)
        return E_INVALIDARG; /* not valid UTF-16 */
    store_guid_t id;
    hr = jobs_create_kind(dosvc_jobs, &caller, api_job_kind(api), name, (int32_t)type, &id);
    free(name);
    if (SUCCEEDED(hr))
        hr = background_copy_job_create((const GUID *)&id, api, job);
    if (SUCCEEDED(hr))
        memcpy(job_id, &id, sizeof *job_id);
    return api_result(api, hr);
}

static HRESULT STDMETHODCALLTYPE manager_get_job(IBackgroundCopyManager *iface, REFGUID job_id,
                                                 IBackgroundCopyJob **job)
{
    api_personality_t api = impl(iface)->api;
    if (!job)
        return E_INVALIDARG;
    *job = NULL;
    if (!job_id)
        return E_INVALIDARG;
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    if (FAILED(hr))
        return hr;
    hr = jobs_lookup_kind(dosvc_jobs, &caller, api_job_kind(api), (const store_guid_t *)job_id);
    return api_result(api, SUCCEEDED(hr) ? background_copy_job_create(job_id, api, job) : hr);
}

static HRESULT STDMETHODCALLTYPE manager_enum_jobs(IBackgroundCopyManager *iface, DWORD flags,
                                                   IEnumBackgroundCopyJobs **enum_jobs)
{
    api_personality_t api = impl(iface)->api;
    if (!enum_jobs)
        return E_INVALIDARG;
    *enum_jobs = NULL;
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    if (FAILED(hr))
        return hr;
    store_guid_t *ids = NULL;
    size_t count = 0;
    hr = jobs_list_kind(dosvc_jobs, &caller, api_job_kind(api), flags, &ids, &count);
    if (SUCCEEDED(hr) && count > ULONG_MAX)
        hr = E_OUTOFMEMORY;
    if (FAILED(hr)) {
        free(ids);
        return api_result(api, hr);
    }
    return enum_background_copy_jobs_create(api, (GUID *)ids, (ULONG)count, enum_jobs);
}

static HRESULT STDMETHODCALLTYPE manager_get_error_description(IBackgroundCopyManager *iface,
                                                               HRESULT code, DWORD language,
                                                               LPWSTR *description)
{
    (void)iface;
    return error_text_describe(code, language, description);
}

static IBackgroundCopyManagerVtbl manager_vtbl = {
    manager_query_interface, manager_add_ref, manager_release, manager_create_job,
    manager_get_job, manager_enum_jobs, manager_get_error_description,
};

static HRESULT manager_create(api_personality_t api, REFIID riid, void **out)
{
    manager_t *manager = calloc(1, sizeof *manager);
    if (!manager)
        return E_OUTOFMEMORY;
    manager->iface.lpVtbl = &manager_vtbl;
    manager->api = api;
    do_manager_init(&manager->do_manager, (IUnknown *)&manager->iface);
    manager->refs = 1;
    HRESULT hr = IBackgroundCopyManager_QueryInterface(&manager->iface, riid, out);
    IBackgroundCopyManager_Release(&manager->iface);
    return hr;
}

HRESULT background_copy_manager_create(REFIID riid, void **out)
{
    return manager_create(API_DO, riid, out);
}

HRESULT background_copy_manager_create_bits(REFIID riid, void **out)
{
    return manager_create(API_BITS, riid, out);
}
