/* IBitsTokenOptions: a part of the job object (background_copy_job.c) of BITS jobs (api_offers).
 * The flags go to the core (persisted); the helper token itself stays in the service's memory
 * (service/security/helper_tokens.c). Each method first checks the job as every call does
 * (owner or administrator, not final). docs/bits.md. */
#include "dosvc.h"

static bits_token_options_part_t *impl(IBitsTokenOptions *iface)
{
    return (bits_token_options_part_t *)iface;
}

#define JOB_ID(iface) ((const store_guid_t *)impl(iface)->job_id)

static HRESULT STDMETHODCALLTYPE token_options_query_interface(IBitsTokenOptions *iface, REFIID riid, void **out)
{
    return IUnknown_QueryInterface(impl(iface)->outer, riid, out);
}

static ULONG STDMETHODCALLTYPE token_options_add_ref(IBitsTokenOptions *iface)
{
    return IUnknown_AddRef(impl(iface)->outer);
}

static ULONG STDMETHODCALLTYPE token_options_release(IBitsTokenOptions *iface)
{
    return IUnknown_Release(impl(iface)->outer);
}

/* The caller, and the job as the caller sees it (store_job_clear it). */
static HRESULT load(IBitsTokenOptions *iface, caller_t *caller, store_job_t *job)
{
    memset(job, 0, sizeof *job);
    HRESULT hr = caller_identify(caller);
    return FAILED(hr) ? hr : jobs_get(dosvc_jobs, caller, JOB_ID(iface), job);
}

static HRESULT STDMETHODCALLTYPE token_options_set_helper_token_flags(IBitsTokenOptions *iface, DWORD flags)
{
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_set_helper_token_flags(dosvc_jobs, &caller, JOB_ID(iface), flags);
    if (SUCCEEDED(hr))
        helper_tokens_set_flags(impl(iface)->job_id, flags);
    return api_result(API_BITS, hr);
}

static HRESULT STDMETHODCALLTYPE token_options_get_helper_token_flags(IBitsTokenOptions *iface, DWORD *flags)
{
    if (!flags)
        return E_INVALIDARG;
    caller_t caller;
    store_job_t job;
    HRESULT hr = load(iface, &caller, &job);
    if (SUCCEEDED(hr))
        *flags = job.helper_token_flags;
    store_job_clear(&job);
    return api_result(API_BITS, hr);
}

static HRESULT STDMETHODCALLTYPE token_options_set_helper_token(IBitsTokenOptions *iface)
{
    caller_t caller;
    store_job_t job;
    HRESULT hr = load(iface, &caller, &job);
    if (SUCCEEDED(hr))
        hr = helper_tokens_capture(&caller, impl(iface)->job_id, job.helper_token_flags);
    store_job_clear(&job);
    return api_result(API_BITS, hr);
}

/* Drops the token, keeps the flags. */
static HRESULT STDMETHODCALLTYPE token_options_clear_helper_token(IBitsTokenOptions *iface)
{
    caller_t caller;
    store_job_t job;
    HRESULT hr = load(iface, &caller, &job);
    if (SUCCEEDED(hr))
        helper_tokens_clear(impl(iface)->job_id);
    store_job_clear(&job);
    return api_result(API_BITS, hr);
}

/* The token's user SID, or NULL without a token (S_OK both ways). */
static HRESULT STDMETHODCALLTYPE token_options_get_helper_token_sid(IBitsTokenOptions *iface, LPWSTR *sid)
{
    if (!sid)
        return E_INVALIDARG;
    *sid = NULL;
    caller_t caller;
    store_job_t job;
    HRESULT hr = load(iface, &caller, &job);
    if (SUCCEEDED(hr))
        hr = helper_tokens_sid(impl(iface)->job_id, sid);
    store_job_clear(&job);
    return api_result(API_BITS, hr);
}

static IBitsTokenOptionsVtbl token_options_vtbl = {
    token_options_query_interface, token_options_add_ref, token_options_release,
    token_options_set_helper_token_flags, token_options_get_helper_token_flags,
    token_options_set_helper_token, token_options_clear_helper_token, token_options_get_helper_token_sid,
};

void bits_token_options_init(bits_token_options_part_t *part, IUnknown *outer, const GUID *job_id)
{
    part->iface.lpVtbl = &token_options_vtbl;
    part->outer = outer;
    part->job_id = job_id;
}
