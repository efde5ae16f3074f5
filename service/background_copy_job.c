/* The job object: IBackgroundCopyJob. It holds only the job id; every call establishes the
 * caller and reads or changes the job through the core, so a job looks the same before and
 * after a service restart. */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"

typedef struct job {
    IBackgroundCopyJob iface;
    LONG refs;
    GUID id;
} job_t;

static job_t *impl(IBackgroundCopyJob *iface)
{
    return (job_t *)iface;
}

static const store_guid_t *job_id(IBackgroundCopyJob *iface)
{
    return (const store_guid_t *)&impl(iface)->id;
}

/* A snapshot of the job as the calling client may see it. */
static HRESULT load_job(IBackgroundCopyJob *iface, store_job_t *out)
{
    memset(out, 0, sizeof *out);
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    return FAILED(hr) ? hr : jobs_get(dosvc_jobs, &caller, job_id(iface), out);
}

static HRESULT STDMETHODCALLTYPE job_query_interface(IBackgroundCopyJob *iface, REFIID riid,
                                                     void **out)
{
    if (!out)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IBackgroundCopyJob)) {
        *out = iface;
        IBackgroundCopyJob_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE job_add_ref(IBackgroundCopyJob *iface)
{
    return (ULONG)InterlockedIncrement(&impl(iface)->refs);
}

static ULONG STDMETHODCALLTYPE job_release(IBackgroundCopyJob *iface)
{
    LONG refs = InterlockedDecrement(&impl(iface)->refs);
    if (!refs)
        free(impl(iface));
    return (ULONG)refs;
}

static HRESULT STDMETHODCALLTYPE job_get_id(IBackgroundCopyJob *iface, GUID *value)
{
    if (!value)
        return E_INVALIDARG;
    store_job_t job;
    HRESULT hr = load_job(iface, &job);
    if (SUCCEEDED(hr))
        memcpy(value, &job.id, sizeof *value);
    store_job_clear(&job);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_get_type(IBackgroundCopyJob *iface, BG_JOB_TYPE *value)
{
    if (!value)
        return E_INVALIDARG;
    store_job_t job;
    HRESULT hr = load_job(iface, &job);
    if (SUCCEEDED(hr))
        *value = (BG_JOB_TYPE)job.type;
    store_job_clear(&job);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_get_state(IBackgroundCopyJob *iface, BG_JOB_STATE *value)
{
    if (!value)
        return E_INVALIDARG;
    store_job_t job;
    HRESULT hr = load_job(iface, &job);
    if (SUCCEEDED(hr))
        *value = (BG_JOB_STATE)job.state;
    store_job_clear(&job);
    return hr;
}

static FILETIME filetime_from(int64_t value)
{
    FILETIME ft = {(DWORD)((uint64_t)value & 0xFFFFFFFFu), (DWORD)((uint64_t)value >> 32)};
    return ft;
}

static HRESULT STDMETHODCALLTYPE job_get_times(IBackgroundCopyJob *iface, BG_JOB_TIMES *value)
{
    if (!value)
        return E_INVALIDARG;
    store_job_t job;
    HRESULT hr = load_job(iface, &job);
    if (SUCCEEDED(hr)) {
        value->CreationTime = filetime_from(job.creation_time);
        value->ModificationTime = filetime_from(job.modification_time);
        value->TransferCompletionTime = filetime_from(job.transfer_completion_time);
    }
    store_job_clear(&job);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_get_progress(IBackgroundCopyJob *iface,
                                                  BG_JOB_PROGRESS *value)
{
    if (!value)
        return E_INVALIDARG;
    caller_t caller;
    job_progress_t progress;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_progress(dosvc_jobs, &caller, job_id(iface), &progress);
    if (SUCCEEDED(hr)) {
        value->BytesTotal = progress.bytes_total;
        value->BytesTransferred = progress.bytes_transferred;
        value->FilesTotal = progress.files_total;
        value->FilesTransferred = progress.files_transferred;
    }
    return hr;
}

/* Shared by the string getters: copies one text member of the snapshot to the client. */
static HRESULT get_job_text(IBackgroundCopyJob *iface, size_t member_offset, LPWSTR *value)
{
    if (!value)
        return E_INVALIDARG;
    *value = NULL;
    store_job_t job;
    HRESULT hr = load_job(iface, &job);
    if (SUCCEEDED(hr))
        hr = cotaskmem_from_utf8(*(char **)((char *)&job + member_offset), value);
    store_job_clear(&job);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_get_owner(IBackgroundCopyJob *iface, LPWSTR *value)
{
    return get_job_text(iface, offsetof(store_job_t, owner_sid), value);
}

static HRESULT STDMETHODCALLTYPE job_get_display_name(IBackgroundCopyJob *iface, LPWSTR *value)
{
    return get_job_text(iface, offsetof(store_job_t, display_name), value);
}

/* Methods whose behaviour arrives with the API issue (#3): explicit E_NOTIMPL, never a silent
 * success. Each clears its out-parameters so clients never read garbage. */
static HRESULT STDMETHODCALLTYPE job_add_file_set(IBackgroundCopyJob *iface, ULONG count, BG_FILE_INFO *files)
{ (void)iface, (void)count, (void)files; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_add_file(IBackgroundCopyJob *iface, LPCWSTR remote, LPCWSTR local)
{ (void)iface, (void)remote, (void)local; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_enum_files(IBackgroundCopyJob *iface, IEnumBackgroundCopyFiles **out)
{ (void)iface; if (out) *out = NULL; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_suspend(IBackgroundCopyJob *iface)
{ (void)iface; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_resume(IBackgroundCopyJob *iface)
{ (void)iface; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_cancel(IBackgroundCopyJob *iface)
{ (void)iface; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_complete(IBackgroundCopyJob *iface)
{ (void)iface; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_get_error(IBackgroundCopyJob *iface, IBackgroundCopyError **out)
{ (void)iface; if (out) *out = NULL; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_set_display_name(IBackgroundCopyJob *iface, LPCWSTR value)
{ (void)iface, (void)value; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_set_description(IBackgroundCopyJob *iface, LPCWSTR value)
{ (void)iface, (void)value; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_get_description(IBackgroundCopyJob *iface, LPWSTR *out)
{ (void)iface; if (out) *out = NULL; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_set_priority(IBackgroundCopyJob *iface, BG_JOB_PRIORITY value)
{ (void)iface, (void)value; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_get_priority(IBackgroundCopyJob *iface, BG_JOB_PRIORITY *out)
{ (void)iface, (void)out; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_set_notify_flags(IBackgroundCopyJob *iface, ULONG value)
{ (void)iface, (void)value; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_get_notify_flags(IBackgroundCopyJob *iface, ULONG *out)
{ (void)iface, (void)out; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_set_notify_interface(IBackgroundCopyJob *iface, IUnknown *value)
{ (void)iface, (void)value; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_get_notify_interface(IBackgroundCopyJob *iface, IUnknown **out)
{ (void)iface; if (out) *out = NULL; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_set_minimum_retry_delay(IBackgroundCopyJob *iface, ULONG value)
{ (void)iface, (void)value; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_get_minimum_retry_delay(IBackgroundCopyJob *iface, ULONG *out)
{ (void)iface, (void)out; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_set_no_progress_timeout(IBackgroundCopyJob *iface, ULONG value)
{ (void)iface, (void)value; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_get_no_progress_timeout(IBackgroundCopyJob *iface, ULONG *out)
{ (void)iface, (void)out; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_get_error_count(IBackgroundCopyJob *iface, ULONG *out)
{ (void)iface, (void)out; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_set_proxy_settings(IBackgroundCopyJob *iface, BG_JOB_PROXY_USAGE usage,
                                                        const WCHAR *list, const WCHAR *bypass)
{ (void)iface, (void)usage, (void)list, (void)bypass; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE job_get_proxy_settings(IBackgroundCopyJob *iface, BG_JOB_PROXY_USAGE *usage,
                                                        LPWSTR *list, LPWSTR *bypass)
{
    (void)iface, (void)usage;
    if (list) *list = NULL;
    if (bypass) *bypass = NULL;
    return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE job_take_ownership(IBackgroundCopyJob *iface)
{ (void)iface; return E_NOTIMPL; }

static IBackgroundCopyJobVtbl job_vtbl = {
    job_query_interface, job_add_ref, job_release,
    job_add_file_set, job_add_file, job_enum_files, job_suspend, job_resume, job_cancel,
    job_complete, job_get_id, job_get_type, job_get_progress, job_get_times, job_get_state,
    job_get_error, job_get_owner, job_set_display_name, job_get_display_name,
    job_set_description, job_get_description, job_set_priority, job_get_priority,
    job_set_notify_flags, job_get_notify_flags, job_set_notify_interface,
    job_get_notify_interface, job_set_minimum_retry_delay, job_get_minimum_retry_delay,
    job_set_no_progress_timeout, job_get_no_progress_timeout, job_get_error_count,
    job_set_proxy_settings, job_get_proxy_settings, job_take_ownership,
};

HRESULT background_copy_job_create(const GUID *id, IBackgroundCopyJob **out)
{
    job_t *job = calloc(1, sizeof *job);
    if (!job)
        return E_OUTOFMEMORY;
    job->iface.lpVtbl = &job_vtbl;
    job->refs = 1;
    job->id = *id;
    *out = &job->iface;
    return S_OK;
}
