/* IBackgroundCopyJobHttpOptions, ...2 and ...3: a part of the job object
 * (background_copy_job.c), which answers the first for every job and the other two for BITS jobs
 * only (api_offers). Every call establishes the caller and goes through the core, like the job
 * object's own methods. docs/bits.md: the HTTP method, write-only headers and the server
 * certificate callback. */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"

typedef IBackgroundCopyJobHttpOptions3 options_t;

static job_http_options_part_t *impl(options_t *iface)
{
    return (job_http_options_part_t *)iface;
}

#define JOB_ID(iface) ((const store_guid_t *)impl(iface)->job_id)

static HRESULT STDMETHODCALLTYPE options_query_interface(options_t *iface, REFIID riid, void **out)
{
    return IUnknown_QueryInterface(impl(iface)->outer, riid, out);
}

static ULONG STDMETHODCALLTYPE options_add_ref(options_t *iface)
{
    return IUnknown_AddRef(impl(iface)->outer);
}

static ULONG STDMETHODCALLTYPE options_release(options_t *iface)
{
    return IUnknown_Release(impl(iface)->outer);
}

/* ---- helpers: "who is calling" + one core call ------------------------------------------------- */

/* What a call returns to the client: the core's result as the job's API reports it. */
static HRESULT reply(options_t *iface, HRESULT hr)
{
    return api_result(impl(iface)->api, hr);
}

static HRESULT load(options_t *iface, store_job_t *job)
{
    return job_load_as_caller(impl(iface)->job_id, impl(iface)->api, job);
}

static HRESULT answer_after_check(options_t *iface, HRESULT answer)
{
    return job_answer_after_check(impl(iface)->job_id, impl(iface)->api, answer);
}

static HRESULT set_value(options_t *iface, job_property_t property, const job_value_t *value)
{
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    return reply(iface, FAILED(hr) ? hr : jobs_set(dosvc_jobs, &caller, JOB_ID(iface), property, value));
}

/* ---- IBackgroundCopyJobHttpOptions ------------------------------------------------------------- */

/* opendo's transfers present no client certificate yet: after the job check, the four
 * certificate methods are E_NOTIMPL, with every out-parameter set to a safe value. */
static HRESULT STDMETHODCALLTYPE options_set_client_certificate_by_id(options_t *iface,
                                                                      BG_CERT_STORE_LOCATION location,
                                                                      LPCWSTR store_name, byte *hash)
{
    (void)location, (void)store_name, (void)hash;
    return answer_after_check(iface, E_NOTIMPL);
}

static HRESULT STDMETHODCALLTYPE options_set_client_certificate_by_name(options_t *iface,
                                                                        BG_CERT_STORE_LOCATION location,
                                                                        LPCWSTR store_name,
                                                                        LPCWSTR subject_name)
{
    (void)location, (void)store_name, (void)subject_name;
    return answer_after_check(iface, E_NOTIMPL);
}

static HRESULT STDMETHODCALLTYPE options_remove_client_certificate(options_t *iface)
{
    return answer_after_check(iface, E_NOTIMPL);
}

static HRESULT STDMETHODCALLTYPE options_get_client_certificate(options_t *iface,
                                                                BG_CERT_STORE_LOCATION *location,
                                                                LPWSTR *store_name, byte **hash,
                                                                LPWSTR *subject_name)
{
    if (location)
        *location = BG_CERT_STORE_LOCATION_CURRENT_USER;
    if (store_name)
        *store_name = NULL;
    if (hash)
        *hash = NULL;
    if (subject_name)
        *subject_name = NULL;
    return answer_after_check(iface, E_NOTIMPL);
}

/* NULL removes the headers; the core checks the lines and the length. */
static HRESULT STDMETHODCALLTYPE options_set_custom_headers(options_t *iface, LPCWSTR headers)
{
    job_value_t value = {0};
    char *text = headers ? utf8_from_wide(headers) : NULL;
    if (headers && !text)
        return E_INVALIDARG;
    value.text = text;
    HRESULT hr = set_value(iface, JOB_PROP_CUSTOM_HEADERS, &value);
    free(text);
    return hr;
}

/* S_FALSE and NULL when the job has no custom headers, as BITS; E_ACCESSDENIED and NULL once
 * they were made write-only (they are still sent). */
static HRESULT STDMETHODCALLTYPE options_get_custom_headers(options_t *iface, LPWSTR *headers)
{
    if (!headers)
        return E_INVALIDARG;
    *headers = NULL;
    store_job_t job;
    HRESULT hr = load(iface, &job);
    if (SUCCEEDED(hr) && job.custom_headers_write_only)
        hr = E_ACCESSDENIED;
    else if (SUCCEEDED(hr))
        hr = job.custom_headers ? cotaskmem_from_utf8(job.custom_headers, headers) : S_FALSE;
    store_job_clear(&job);
    return hr;
}

static HRESULT STDMETHODCALLTYPE options_set_security_flags(options_t *iface, ULONG flags)
{
    job_value_t value = {.number = flags};
    return set_value(iface, JOB_PROP_SECURITY_FLAGS, &value);
}

static HRESULT STDMETHODCALLTYPE options_get_security_flags(options_t *iface, ULONG *flags)
{
    if (!flags)
        return E_INVALIDARG;
    store_job_t job;
    HRESULT hr = load(iface, &job);
    if (SUCCEEDED(hr))
        *flags = job.security_flags;
    store_job_clear(&job);
    return hr;
}

/* ---- IBackgroundCopyJobHttpOptions2 (BITS jobs) ------------------------------------------------ */

static HRESULT STDMETHODCALLTYPE options_set_http_method(options_t *iface, LPCWSTR method)
{
    if (!method)
        return E_INVALIDARG;
    char *text = utf8_from_wide(method);
    caller_t caller;
    HRESULT hr = !text ? E_INVALIDARG : caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_set_http_method(dosvc_jobs, &caller, JOB_ID(iface), text);
    free(text);
    return reply(iface, hr);
}

/* The job's method, or its type's default ("GET"). */
static HRESULT STDMETHODCALLTYPE options_get_http_method(options_t *iface, LPWSTR *method)
{
    if (!method)
        return E_INVALIDARG;
    *method = NULL;
    store_job_t job;
    HRESULT hr = load(iface, &job);
    if (SUCCEEDED(hr))
        hr = cotaskmem_from_utf8(job_http_method(&job), method);
    store_job_clear(&job);
    return reply(iface, hr);
}

/* ---- IBackgroundCopyJobHttpOptions3 (BITS jobs) ------------------------------------------------ */

static HRESULT STDMETHODCALLTYPE options_set_server_certificate_validation_interface(options_t *iface,
                                                                                     IUnknown *callback)
{
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = certificate_callbacks_set(&caller, impl(iface)->job_id, callback);
    return reply(iface, hr);
}

/* Always S_OK for a job the caller may change (BITS: "always S_OK"), and for good. */
static HRESULT STDMETHODCALLTYPE options_make_custom_headers_write_only(options_t *iface)
{
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_make_custom_headers_write_only(dosvc_jobs, &caller, JOB_ID(iface));
    return reply(iface, hr);
}

static IBackgroundCopyJobHttpOptions3Vtbl options_vtbl = {
    options_query_interface, options_add_ref, options_release,
    /* IBackgroundCopyJobHttpOptions */
    options_set_client_certificate_by_id, options_set_client_certificate_by_name,
    options_remove_client_certificate, options_get_client_certificate, options_set_custom_headers,
    options_get_custom_headers, options_set_security_flags, options_get_security_flags,
    /* IBackgroundCopyJobHttpOptions2 */
    options_set_http_method, options_get_http_method,
    /* IBackgroundCopyJobHttpOptions3 */
    options_set_server_certificate_validation_interface, options_make_custom_headers_write_only,
};

void job_http_options_init(job_http_options_part_t *part, IUnknown *outer, const GUID *job_id,
                           api_personality_t api)
{
    part->iface.lpVtbl = &options_vtbl;
    part->outer = outer;
    part->job_id = job_id;
    part->api = api;
}
