/* IBackgroundCopyError: a snapshot of a job's error, taken when GetError is called while the
 * job is in ERROR or TRANSIENT_ERROR. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"
#include "error_text.h"

typedef struct error {
    IBackgroundCopyError iface;
    LONG refs;
    GUID job;
    BG_ERROR_CONTEXT context;
    HRESULT code;
    LONG file_index; /* -1 when the error is not tied to a file */
    api_personality_t api; /* of the job's kind */
} error_t;

static error_t *impl(IBackgroundCopyError *iface)
{
    return (error_t *)iface;
}

static HRESULT STDMETHODCALLTYPE error_query_interface(IBackgroundCopyError *iface, REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IBackgroundCopyError)) {
        *out = iface;
        IBackgroundCopyError_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE error_add_ref(IBackgroundCopyError *iface)
{
    return (ULONG)InterlockedIncrement(&impl(iface)->refs);
}

static ULONG STDMETHODCALLTYPE error_release(IBackgroundCopyError *iface)
{
    LONG refs = InterlockedDecrement(&impl(iface)->refs);
    if (!refs)
        free(impl(iface));
    return (ULONG)refs;
}

static HRESULT STDMETHODCALLTYPE error_get_error(IBackgroundCopyError *iface, BG_ERROR_CONTEXT *context,
                                                 HRESULT *code)
{
    if (!context || !code)
        return E_INVALIDARG;
    *context = impl(iface)->context;
    *code = impl(iface)->code;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE error_get_file(IBackgroundCopyError *iface, IBackgroundCopyFile **file)
{
    if (!file)
        return E_INVALIDARG;
    *file = NULL;
    error_t *self = impl(iface);
    if (self->file_index < 0)
        return api_result(self->api, DO_E_FILE_NOT_AVAILABLE);
    return background_copy_file_create(&self->job, self->api, (ULONG)self->file_index,
                                       &IID_IBackgroundCopyFile, (void **)file);
}

static HRESULT STDMETHODCALLTYPE error_get_error_description(IBackgroundCopyError *iface,
                                                             DWORD language, LPWSTR *text)
{
    return error_text_describe(impl(iface)->code, language, text);
}

static HRESULT STDMETHODCALLTYPE error_get_error_context_description(IBackgroundCopyError *iface,
                                                                    DWORD language, LPWSTR *text)
{
    return error_text_describe_context(impl(iface)->context, language, text);
}

/* The protocol of the failing file's remote name ("http", "https", "file"). */
static HRESULT STDMETHODCALLTYPE error_get_protocol(IBackgroundCopyError *iface, LPWSTR *protocol)
{
    if (!protocol)
        return E_INVALIDARG;
    *protocol = NULL;
    error_t *self = impl(iface);
    if (self->file_index < 0)
        return api_no_protocol(self->api);
    caller_t caller;
    store_file_t file = {0};
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_get_file(dosvc_jobs, &caller, (const store_guid_t *)&self->job,
                           (uint32_t)self->file_index, &file);
    if (SUCCEEDED(hr)) {
        char *end = strstr(file.remote_name, "://");
        if (end)
            *end = '\0'; /* keep the scheme only, in lower case as BITS reports it */
        for (char *p = file.remote_name; end && *p; p++)
            *p = (char)tolower((unsigned char)*p);
        hr = cotaskmem_from_utf8(end ? file.remote_name : "file", protocol);
    }
    store_file_clear(&file);
    return api_result(self->api, hr);
}

static IBackgroundCopyErrorVtbl error_vtbl = {
    error_query_interface, error_add_ref, error_release, error_get_error, error_get_file,
    error_get_error_description, error_get_error_context_description, error_get_protocol,
};

HRESULT background_copy_error_create(const store_job_t *job, IBackgroundCopyError **out)
{
    error_t *self = calloc(1, sizeof *self);
    if (!self)
        return E_OUTOFMEMORY;
    self->iface.lpVtbl = &error_vtbl;
    self->refs = 1;
    memcpy(&self->job, &job->id, sizeof self->job);
    self->context = (BG_ERROR_CONTEXT)job->error_context;
    self->code = (HRESULT)job->error_code;
    self->file_index = job->error_file_index;
    self->api = api_of_kind(job->kind);
    *out = &self->iface;
    return S_OK;
}
