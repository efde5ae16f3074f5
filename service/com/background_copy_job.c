/* The job object: IBackgroundCopyJob..Job5 (one vtable: each version extends the last) plus
 * IDeliveryOptimizationJob, IDeliveryOptimizationJob2, IBackgroundCopyJobHttpOptions..3
 * (job_http_options.c) and IBitsTokenOptions (bits_token_options.c). It holds only the job id and
 * the API of the job's kind: every call establishes the caller and goes through the core, so a
 * job looks the same to every object and before and after a service restart; its results and
 * interfaces are its API's (api_personality.c). */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"

typedef struct job {
    IBackgroundCopyJob5 iface;
    IDeliveryOptimizationJob do_job;
    IDeliveryOptimizationJob2 do_job2;
    job_http_options_part_t http_options;
    bits_token_options_part_t token_options;
    LONG refs;
    GUID id;
    api_personality_t api;
    struct job *next; /* in live_jobs */
} job_t;

/* The job objects alive in the service, one per job id: GetJob and CreateJob hand out the
 * object a client already holds, as BITS does, so COM reuses its stub (and the client its
 * proxy) instead of marshalling a new object. Holds no reference: an object leaves the list
 * in its last Release. */
static job_t *live_jobs;
static SRWLOCK live_jobs_lock = SRWLOCK_INIT;

#define IMPL(iface, member) ((job_t *)((char *)(iface) - offsetof(job_t, member)))
#define JOB_ID(self) ((const store_guid_t *)&(self)->id)
typedef IBackgroundCopyJob5 job5_t;

static job_t *impl(job5_t *iface)
{
    return IMPL(iface, iface);
}

/* ---- IUnknown (shared by the four vtables) ---------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE job_query_interface(job5_t *iface, REFIID riid, void **out)
{
    job_t *self = impl(iface);
    if (!out)
        return E_POINTER;
    *out = NULL;
    if (!api_offers(self->api, riid))
        return E_NOINTERFACE;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IBackgroundCopyJob) ||
        IsEqualIID(riid, &IID_IBackgroundCopyJob2) || IsEqualIID(riid, &IID_IBackgroundCopyJob3) ||
        IsEqualIID(riid, &IID_IBackgroundCopyJob4) || IsEqualIID(riid, &IID_IBackgroundCopyJob5))
        *out = &self->iface;
    else if (IsEqualIID(riid, &IID_IDeliveryOptimizationJob))
        *out = &self->do_job;
    else if (IsEqualIID(riid, &IID_IDeliveryOptimizationJob2))
        *out = &self->do_job2;
    else if (IsEqualIID(riid, &IID_IBackgroundCopyJobHttpOptions) ||
             IsEqualIID(riid, &IID_IBackgroundCopyJobHttpOptions2) ||
             IsEqualIID(riid, &IID_IBackgroundCopyJobHttpOptions3))
        *out = &self->http_options.iface;
    else if (IsEqualIID(riid, &IID_IBitsTokenOptions))
        *out = &self->token_options.iface;
    if (!*out)
        return E_NOINTERFACE;
    InterlockedIncrement(&self->refs);
    return S_OK;
}

static ULONG STDMETHODCALLTYPE job_add_ref(job5_t *iface)
{
    return (ULONG)InterlockedIncrement(&impl(iface)->refs);
}

/* Unlinks self unless a lookup revived it meanwhile (lock held); 1 when it may be freed. */
static int unlink_if_dead(job_t *self)
{
    if (self->refs)
        return 0;
    job_t **link = &live_jobs;
    while (*link && *link != self)
        link = &(*link)->next;
    if (*link)
        *link = self->next;
    return 1;
}

static ULONG STDMETHODCALLTYPE job_release(job5_t *iface)
{
    job_t *self = impl(iface);
    LONG refs = InterlockedDecrement(&self->refs);
    if (!refs) {
        AcquireSRWLockExclusive(&live_jobs_lock);
        int dead = unlink_if_dead(self);
        ReleaseSRWLockExclusive(&live_jobs_lock);
        if (dead)
            free(self);
    }
    return (ULONG)refs;
}

/* ---- helpers: every call is "who is calling" + one core call -------------------------------------- */

/* What a call returns to the client: the core's result as the job's API reports it. */
static HRESULT reply(const job_t *self, HRESULT hr)
{
    return api_result(self->api, hr);
}

HRESULT job_load_as_caller(const GUID *id, api_personality_t api, store_job_t *job)
{
    memset(job, 0, sizeof *job);
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    return api_result(api, FAILED(hr) ? hr : jobs_get(dosvc_jobs, &caller, (const store_guid_t *)id, job));
}

HRESULT job_answer_after_check(const GUID *id, api_personality_t api, HRESULT answer)
{
    store_job_t job;
    HRESULT hr = job_load_as_caller(id, api, &job);
    store_job_clear(&job);
    return FAILED(hr) ? hr : answer;
}

static HRESULT load(job_t *self, store_job_t *job)
{
    return job_load_as_caller(&self->id, self->api, job);
}

static HRESULT answer_after_check(job_t *self, HRESULT answer)
{
    return job_answer_after_check(&self->id, self->api, answer);
}

/* Copies a 32-bit member of the job row (ULONG, DWORD or an enum) to the client. */
static HRESULT get_u32(job5_t *iface, size_t member_offset, void *out)
{
    if (!out)
        return E_INVALIDARG;
    store_job_t job;
    HRESULT hr = load(impl(iface), &job);
    if (SUCCEEDED(hr))
        memcpy(out, (char *)&job + member_offset, sizeof(uint32_t));
    store_job_clear(&job);
    return hr;
}

/* Copies a text member of the job row; with allow_null, an unset text comes back as NULL. */
static HRESULT get_text(job5_t *iface, size_t member_offset, int allow_null, LPWSTR *out)
{
    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    store_job_t job;
    HRESULT hr = load(impl(iface), &job);
    const char *text = SUCCEEDED(hr) ? *(char **)((char *)&job + member_offset) : NULL;
    if (SUCCEEDED(hr) && (text || !allow_null))
        hr = cotaskmem_from_utf8(text, out);
    store_job_clear(&job);
    return hr;
}

static HRESULT set_value(job5_t *iface, job_property_t property, const job_value_t *value)
{
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    return reply(impl(iface), FAILED(hr) ? hr : jobs_set(dosvc_jobs, &caller, JOB_ID(impl(iface)),
                                                         property, value));
}

static HRESULT set_number(job5_t *iface, job_property_t property, uint32_t number)
{
    job_value_t value = {.number = number};
    return set_value(iface, property, &value);
}

/* Up to two strings (NULL allowed: the core decides whether NULL is acceptable). */
static HRESULT set_texts(job5_t *iface, job_property_t property, uint32_t number, LPCWSTR text,
                         LPCWSTR text2)
{
    job_value_t value = {.number = number};
    char *first = text ? utf8_from_wide(text) : NULL, *second = text2 ? utf8_from_wide(text2) : NULL;
    HRESULT hr = (text && !first) || (text2 && !second) ? E_INVALIDARG : S_OK;
    if (SUCCEEDED(hr)) {
        value.text = first;
        value.text2 = second;
        hr = set_value(iface, property, &value);
    }
    free(first);
    free(second);
    return hr;
}

typedef hr_t (*job_action_fn)(jobs_t *, const caller_t *, const store_guid_t *);

static HRESULT act(job5_t *iface, job_action_fn action)
{
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    return reply(impl(iface), FAILED(hr) ? hr : action(dosvc_jobs, &caller, JOB_ID(impl(iface))));
}

#define MEMBER(name) offsetof(store_job_t, name)

/* ---- files ------------------------------------------------------------------------------------ */

/* Converts and checks one BITS/DO file description and adds it (with its ranges) to the job. */
typedef struct file_args {
    LPCWSTR file_id, remote, local;
    DWORD range_count;
    const BG_FILE_RANGE *ranges;
    UINT64 size;
    int local_required;
} file_args_t;

static HRESULT add_files(job_t *self, const file_args_t *args, ULONG count, uint32_t *first_index)
{
    caller_t caller;
    /* The job first (access, state): no probe of the caller's directories for a job they
     * cannot change. */
    HRESULT hr = answer_after_check(self, S_OK);
    if (SUCCEEDED(hr))
        hr = caller_identify(&caller);
    job_file_spec_t *specs = calloc(count ? count : 1, sizeof *specs);
    char **texts = calloc(count ? count * 3 : 1, sizeof *texts);
    if (!specs || !texts)
        hr = E_OUTOFMEMORY;
    for (ULONG i = 0; SUCCEEDED(hr) && i < count; i++) {
        const file_args_t *a = &args[i];
        if (!a->remote || (a->local_required && (!a->local || !a->local[0])))
            hr = E_INVALIDARG;
        else if ((a->local && FAILED(hr = local_path_check(a->local))) || FAILED(hr = local_source_check(a->remote)))
            break;
        char **t = &texts[i * 3];
        if ((a->remote && !(t[0] = utf8_from_wide(a->remote))) ||
            (a->local && !(t[1] = utf8_from_wide(a->local))) ||
            (a->file_id && !(t[2] = utf8_from_wide(a->file_id))))
            hr = E_INVALIDARG;
        specs[i] = (job_file_spec_t){t[0], t[1], t[2], a->size, (const store_range_t *)a->ranges,
                                     a->range_count};
    }
    if (SUCCEEDED(hr))
        hr = jobs_add_files(dosvc_jobs, &caller, JOB_ID(self), specs, count, first_index);
    for (ULONG i = 0; texts && i < count * 3; i++)
        free(texts[i]);
    free(texts);
    free(specs);
    return reply(self, hr);
}

static HRESULT STDMETHODCALLTYPE job_add_file_set(job5_t *iface, ULONG count, BG_FILE_INFO *files)
{
    if (!count || !files)
        return E_INVALIDARG;
    file_args_t *args = calloc(count, sizeof *args);
    if (!args)
        return E_OUTOFMEMORY;
    for (ULONG i = 0; i < count; i++)
        args[i] = (file_args_t){NULL, files[i].RemoteName, files[i].LocalName, 0, NULL,
                                BG_SIZE_UNKNOWN, 1};
    HRESULT hr = add_files(impl(iface), args, count, NULL);
    free(args);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_add_file(job5_t *iface, LPCWSTR remote, LPCWSTR local)
{
    file_args_t args = {NULL, remote, local, 0, NULL, BG_SIZE_UNKNOWN, 1};
    return add_files(impl(iface), &args, 1, NULL);
}

static HRESULT STDMETHODCALLTYPE job_add_file_with_ranges(job5_t *iface, LPCWSTR remote,
                                                          LPCWSTR local, DWORD count,
                                                          BG_FILE_RANGE ranges[])
{
    if (!count || !ranges)
        return E_INVALIDARG;
    file_args_t args = {NULL, remote, local, count, ranges, BG_SIZE_UNKNOWN, 1};
    return add_files(impl(iface), &args, 1, NULL);
}

static HRESULT STDMETHODCALLTYPE job_enum_files(job5_t *iface, IEnumBackgroundCopyFiles **out)
{
    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    caller_t caller;
    uint32_t count = 0;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_file_count(dosvc_jobs, &caller, JOB_ID(impl(iface)), &count);
    return reply(impl(iface), SUCCEEDED(hr) ? enum_background_copy_files_create(&impl(iface)->id,
                                                                                impl(iface)->api, count, out)
                                            : hr);
}

static HRESULT STDMETHODCALLTYPE job_replace_remote_prefix(job5_t *iface, LPCWSTR old_prefix,
                                                           LPCWSTR new_prefix)
{
    if (!old_prefix || !new_prefix)
        return E_INVALIDARG;
    char *old_text = utf8_from_wide(old_prefix), *new_text = utf8_from_wide(new_prefix);
    caller_t caller;
    HRESULT hr = !old_text || !new_text ? E_INVALIDARG : caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_replace_remote_prefix(dosvc_jobs, &caller, JOB_ID(impl(iface)), old_text, new_text);
    free(old_text);
    free(new_text);
    return reply(impl(iface), hr);
}

/* ---- state ------------------------------------------------------------------------------------ */

static HRESULT STDMETHODCALLTYPE job_suspend(job5_t *iface)
{
    return act(iface, jobs_suspend);
}

static HRESULT STDMETHODCALLTYPE job_resume(job5_t *iface)
{
    return act(iface, jobs_resume);
}

void job_memory_forget(const GUID *job)
{
    notify_registry_set(job, NULL);
    certificate_callbacks_drop(job);
    helper_tokens_clear(job);
}

/* Cancel and Complete end the job; what the service kept in memory for it goes with it (after
 * Complete's renames, which may need the helper token). */
static HRESULT end_job(job5_t *iface, job_action_fn action)
{
    HRESULT hr = act(iface, action);
    if (SUCCEEDED(hr))
        job_memory_forget(&impl(iface)->id);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_cancel(job5_t *iface)
{
    return end_job(iface, jobs_cancel);
}

static HRESULT STDMETHODCALLTYPE job_complete(job5_t *iface)
{
    return end_job(iface, jobs_complete);
}

static HRESULT STDMETHODCALLTYPE job_take_ownership(job5_t *iface)
{
    return act(iface, jobs_take_ownership);
}

static HRESULT STDMETHODCALLTYPE job_get_state(job5_t *iface, BG_JOB_STATE *value)
{
    if (!value)
        return E_INVALIDARG;
    caller_t caller;
    int32_t state = 0;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_state(dosvc_jobs, &caller, JOB_ID(impl(iface)), &state);
    if (SUCCEEDED(hr))
        *value = (BG_JOB_STATE)state;
    return reply(impl(iface), hr);
}

static HRESULT STDMETHODCALLTYPE job_get_error(job5_t *iface, IBackgroundCopyError **out)
{
    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    store_job_t job;
    HRESULT hr = load(impl(iface), &job);
    if (SUCCEEDED(hr))
        hr = (job.state == JOB_STATE_ERROR || job.state == JOB_STATE_TRANSIENT_ERROR) && job.error_code
                 ? background_copy_error_create(&job, out)
                 : DO_E_ERROR_INFORMATION_UNAVAILABLE;
    store_job_clear(&job);
    return reply(impl(iface), hr);
}

/* ---- identity, times, progress -------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE job_get_id(job5_t *iface, GUID *value)
{
    if (!value)
        return E_INVALIDARG;
    store_job_t job;
    HRESULT hr = load(impl(iface), &job);
    if (SUCCEEDED(hr))
        memcpy(value, &job.id, sizeof *value);
    store_job_clear(&job);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_get_type(job5_t *iface, BG_JOB_TYPE *value)
{
    return get_u32(iface, MEMBER(type), value);
}

static FILETIME filetime_from(int64_t value)
{
    FILETIME ft = {(DWORD)((uint64_t)value & 0xFFFFFFFFu), (DWORD)((uint64_t)value >> 32)};
    return ft;
}

static HRESULT STDMETHODCALLTYPE job_get_times(job5_t *iface, BG_JOB_TIMES *value)
{
    if (!value)
        return E_INVALIDARG;
    store_job_t job;
    HRESULT hr = load(impl(iface), &job);
    if (SUCCEEDED(hr)) {
        value->CreationTime = filetime_from(job.creation_time);
        value->ModificationTime = filetime_from(job.modification_time);
        value->TransferCompletionTime = filetime_from(job.transfer_completion_time);
    }
    store_job_clear(&job);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_get_progress(job5_t *iface, BG_JOB_PROGRESS *value)
{
    if (!value)
        return E_INVALIDARG;
    caller_t caller;
    job_progress_t progress;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_progress(dosvc_jobs, &caller, JOB_ID(impl(iface)), &progress);
    if (SUCCEEDED(hr)) {
        value->BytesTotal = progress.bytes_total;
        value->BytesTransferred = progress.bytes_transferred;
        value->FilesTotal = progress.files_total;
        value->FilesTransferred = progress.files_transferred;
    }
    return reply(impl(iface), hr);
}

static HRESULT STDMETHODCALLTYPE job_get_owner(job5_t *iface, LPWSTR *value)
{
    return get_text(iface, MEMBER(owner_sid), 0, value);
}

static HRESULT STDMETHODCALLTYPE job_get_error_count(job5_t *iface, ULONG *value)
{
    return get_u32(iface, MEMBER(error_count), value);
}

/* ---- properties ------------------------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE job_set_display_name(job5_t *iface, LPCWSTR value)
{
    return value ? set_texts(iface, JOB_PROP_DISPLAY_NAME, 0, value, NULL) : E_INVALIDARG;
}

static HRESULT STDMETHODCALLTYPE job_get_display_name(job5_t *iface, LPWSTR *value)
{
    if (!value)
        return E_INVALIDARG;
    *value = NULL;
    caller_t caller;
    char *name = NULL;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_display_name(dosvc_jobs, &caller, JOB_ID(impl(iface)), &name);
    if (SUCCEEDED(hr))
        hr = cotaskmem_from_utf8(name, value);
    free(name);
    return reply(impl(iface), hr);
}

static HRESULT STDMETHODCALLTYPE job_set_description(job5_t *iface, LPCWSTR value)
{
    return value ? set_texts(iface, JOB_PROP_DESCRIPTION, 0, value, NULL) : E_INVALIDARG;
}

static HRESULT STDMETHODCALLTYPE job_get_description(job5_t *iface, LPWSTR *value)
{
    return get_text(iface, MEMBER(description), 0, value);
}

static HRESULT STDMETHODCALLTYPE job_set_priority(job5_t *iface, BG_JOB_PRIORITY value)
{
    return set_number(iface, JOB_PROP_PRIORITY, (uint32_t)value);
}

static HRESULT STDMETHODCALLTYPE job_get_priority(job5_t *iface, BG_JOB_PRIORITY *value)
{
    return get_u32(iface, MEMBER(priority), value);
}

static HRESULT STDMETHODCALLTYPE job_set_notify_flags(job5_t *iface, ULONG value)
{
    return set_number(iface, JOB_PROP_NOTIFY_FLAGS, value);
}

static HRESULT STDMETHODCALLTYPE job_get_notify_flags(job5_t *iface, ULONG *value)
{
    return get_u32(iface, MEMBER(notify_flags), value);
}

static HRESULT STDMETHODCALLTYPE job_set_notify_interface(job5_t *iface, IUnknown *value)
{
    store_job_t job;
    HRESULT hr = load(impl(iface), &job); /* owner or administrator, job not final */
    store_job_clear(&job);
    IUnknown *callback = NULL;
    if (SUCCEEDED(hr) && value)
        hr = IUnknown_QueryInterface(value, &IID_IBackgroundCopyCallback, (void **)&callback);
    if (SUCCEEDED(hr))
        hr = notify_registry_set(&impl(iface)->id, callback);
    if (callback)
        IUnknown_Release(callback);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_get_notify_interface(job5_t *iface, IUnknown **value)
{
    if (!value)
        return E_INVALIDARG;
    *value = NULL;
    store_job_t job;
    HRESULT hr = load(impl(iface), &job);
    store_job_clear(&job);
    if (SUCCEEDED(hr))
        *value = notify_registry_get(&impl(iface)->id);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_set_minimum_retry_delay(job5_t *iface, ULONG seconds)
{
    return set_number(iface, JOB_PROP_MIN_RETRY_DELAY, seconds);
}

static HRESULT STDMETHODCALLTYPE job_get_minimum_retry_delay(job5_t *iface, ULONG *seconds)
{
    return get_u32(iface, MEMBER(min_retry_delay), seconds);
}

static HRESULT STDMETHODCALLTYPE job_set_no_progress_timeout(job5_t *iface, ULONG seconds)
{
    return set_number(iface, JOB_PROP_NO_PROGRESS_TIMEOUT, seconds);
}

static HRESULT STDMETHODCALLTYPE job_get_no_progress_timeout(job5_t *iface, ULONG *seconds)
{
    return get_u32(iface, MEMBER(no_progress_timeout), seconds);
}

static HRESULT STDMETHODCALLTYPE job_set_proxy_settings(job5_t *iface, BG_JOB_PROXY_USAGE usage,
                                                        const WCHAR *list, const WCHAR *bypass)
{
    return set_texts(iface, JOB_PROP_PROXY, (uint32_t)usage, list, bypass);
}

/* Two text members at once (proxy lists, notify command line); unset ones come back NULL. */
static HRESULT get_text_pair(job5_t *iface, size_t first, size_t second, LPWSTR *out1, LPWSTR *out2)
{
    if (!out1 || !out2)
        return E_INVALIDARG;
    HRESULT hr = get_text(iface, first, 1, out1);
    if (SUCCEEDED(hr) && FAILED(hr = get_text(iface, second, 1, out2))) {
        CoTaskMemFree(*out1);
        *out1 = NULL;
    }
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_get_proxy_settings(job5_t *iface, BG_JOB_PROXY_USAGE *usage,
                                                        LPWSTR *list, LPWSTR *bypass)
{
    HRESULT hr = get_u32(iface, MEMBER(proxy_usage), usage);
    return SUCCEEDED(hr) ? get_text_pair(iface, MEMBER(proxy_list), MEMBER(proxy_bypass_list),
                                         list, bypass) : hr;
}

/* ---- IBackgroundCopyJob2 ------------------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE job_set_notify_cmd_line(job5_t *iface, LPCWSTR program,
                                                         LPCWSTR parameters)
{
    HRESULT hr = set_texts(iface, JOB_PROP_NOTIFY_CMDLINE, 0, program, parameters);
    if (hr == S_OK && program)
        job_events_notification_set(&impl(iface)->id);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_get_notify_cmd_line(job5_t *iface, LPWSTR *program,
                                                         LPWSTR *parameters)
{
    return get_text_pair(iface, MEMBER(notify_program), MEMBER(notify_parameters), program,
                         parameters);
}

/* Upload jobs are not part of Delivery Optimization: the reply methods have nothing to serve. */
static HRESULT STDMETHODCALLTYPE job_get_reply_progress(job5_t *iface, BG_JOB_REPLY_PROGRESS *progress)
{
    (void)progress;
    return answer_after_check(impl(iface), E_NOTIMPL);
}

static HRESULT STDMETHODCALLTYPE job_get_reply_data(job5_t *iface, byte **buffer, UINT64 *length)
{
    if (buffer)
        *buffer = NULL;
    if (length)
        *length = 0;
    return answer_after_check(impl(iface), E_NOTIMPL);
}

static HRESULT STDMETHODCALLTYPE job_set_reply_file_name(job5_t *iface, LPCWSTR name)
{
    (void)name;
    return answer_after_check(impl(iface), E_NOTIMPL);
}

static HRESULT STDMETHODCALLTYPE job_get_reply_file_name(job5_t *iface, LPWSTR *name)
{
    if (name)
        *name = NULL;
    return answer_after_check(impl(iface), E_NOTIMPL);
}

static HRESULT STDMETHODCALLTYPE job_set_credentials(job5_t *iface, BG_AUTH_CREDENTIALS *credentials)
{
    if (!credentials)
        return E_INVALIDARG;
    /* The union has a Basic arm only for schemes 1..5 ([default] is empty): for any other scheme
     * that memory was never unmarshalled, so it is not read; the core refuses the scheme. */
    static const BG_BASIC_CREDENTIALS no_credentials = {NULL, NULL};
    const BG_BASIC_CREDENTIALS *basic =
        credentials->Scheme >= BG_AUTH_SCHEME_BASIC && credentials->Scheme <= BG_AUTH_SCHEME_PASSPORT
            ? &credentials->Credentials.Basic : &no_credentials;
    char *user = basic->UserName ? utf8_from_wide(basic->UserName) : NULL;
    BYTE *secret = NULL;
    DWORD secret_size = 0;
    caller_t caller;
    HRESULT hr = basic->UserName && !user ? E_INVALIDARG : caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = secret_protect(basic->Password, &secret, &secret_size);
    if (SUCCEEDED(hr))
        hr = jobs_set_credentials(dosvc_jobs, &caller, JOB_ID(impl(iface)), credentials->Target,
                                  credentials->Scheme, user, secret, secret_size);
    LocalFree(secret);
    free(user);
    return reply(impl(iface), hr);
}

static HRESULT STDMETHODCALLTYPE job_remove_credentials(job5_t *iface, BG_AUTH_TARGET target,
                                                        BG_AUTH_SCHEME scheme)
{
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    return reply(impl(iface), FAILED(hr) ? hr : jobs_remove_credentials(dosvc_jobs, &caller,
                                                                        JOB_ID(impl(iface)), target, scheme));
}

/* ---- IBackgroundCopyJob3 / Job4 ---------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE job_set_file_acl_flags(job5_t *iface, DWORD flags)
{
    return set_number(iface, JOB_PROP_ACL_FLAGS, flags);
}

static HRESULT STDMETHODCALLTYPE job_get_file_acl_flags(job5_t *iface, DWORD *flags)
{
    return get_u32(iface, MEMBER(acl_flags), flags);
}

static HRESULT STDMETHODCALLTYPE job_set_peer_caching_flags(job5_t *iface, DWORD flags)
{
    return set_number(iface, JOB_PROP_PEER_CACHING_FLAGS, flags);
}

static HRESULT STDMETHODCALLTYPE job_get_peer_caching_flags(job5_t *iface, DWORD *flags)
{
    return get_u32(iface, MEMBER(peer_caching_flags), flags);
}

/* opendo records the owner's SID only, not the integrity level or elevation of the token that
 * created the job (DO documents neither method). */
static HRESULT STDMETHODCALLTYPE job_get_owner_integrity_level(job5_t *iface, ULONG *level)
{
    (void)level;
    return answer_after_check(impl(iface), E_NOTIMPL);
}

static HRESULT STDMETHODCALLTYPE job_get_owner_elevation_state(job5_t *iface, BOOL *elevated)
{
    (void)elevated;
    return answer_after_check(impl(iface), E_NOTIMPL);
}

static HRESULT STDMETHODCALLTYPE job_set_maximum_download_time(job5_t *iface, ULONG seconds)
{
    return set_number(iface, JOB_PROP_MAX_DOWNLOAD_TIME, seconds);
}

static HRESULT STDMETHODCALLTYPE job_get_maximum_download_time(job5_t *iface, ULONG *seconds)
{
    return get_u32(iface, MEMBER(max_download_time), seconds);
}

/* ---- IBackgroundCopyJob5 ----------------------------------------------------------------------- */

/* The properties only the BITS classes' jobs have (IBackgroundCopyFile6's on-demand mode and the
 * spacing of FileRangesTransferred): 1 when id is one of them and the object is a BITS one, with
 * *hr the answer; 0 otherwise (the DO class does not know them: DO_E_UNKNOWN_PROPERTY_ID). */
static int bits_property(job_t *self, BITS_JOB_PROPERTY_ID id, BITS_JOB_PROPERTY_VALUE *value, int set,
                         HRESULT *hr)
{
    if ((id != BITS_JOB_PROPERTY_ON_DEMAND_MODE && id != BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS) ||
        self->api != API_BITS)
        return 0; /* the DO class's answer, before the job is read */
    store_job_t job;
    caller_t caller;
    *hr = load(self, &job);
    if (SUCCEEDED(*hr))
        *hr = caller_identify(&caller);
    if (SUCCEEDED(*hr) && id == BITS_JOB_PROPERTY_ON_DEMAND_MODE && set)
        *hr = set_number(&self->iface, JOB_PROP_ON_DEMAND, value->Enable ? 1 : 0);
    else if (SUCCEEDED(*hr) && id == BITS_JOB_PROPERTY_ON_DEMAND_MODE)
        value->Enable = job.on_demand ? TRUE : FALSE;
    else if (SUCCEEDED(*hr) && set)
        *hr = jobs_set_notification_interval(dosvc_jobs, &caller, JOB_ID(self), value->Dword);
    else if (SUCCEEDED(*hr))
        *hr = jobs_notification_interval(dosvc_jobs, &caller, JOB_ID(self), (uint32_t *)&value->Dword);
    *hr = reply(self, *hr);
    store_job_clear(&job);
    return 1;
}

static HRESULT STDMETHODCALLTYPE job_set_property(job5_t *iface, BITS_JOB_PROPERTY_ID id,
                                                  BITS_JOB_PROPERTY_VALUE value)
{
    HRESULT hr;
    if (bits_property(impl(iface), id, &value, 1, &hr))
        return hr;
    if (id == BITS_JOB_PROPERTY_ID_COST_FLAGS)
        return set_number(iface, JOB_PROP_COST_FLAGS, value.Dword);
    if (id == BITS_JOB_PROPERTY_NOTIFICATION_CLSID) {
        job_value_t v;
        memcpy(&v.guid, &value.ClsID, sizeof v.guid);
        return set_value(iface, JOB_PROP_NOTIFY_CLSID, &v);
    }
    return reply(impl(iface), DO_E_UNKNOWN_PROPERTY_ID); /* DO supports only these two */
}

static HRESULT STDMETHODCALLTYPE job_get_property(job5_t *iface, BITS_JOB_PROPERTY_ID id,
                                                  BITS_JOB_PROPERTY_VALUE *value)
{
    if (!value)
        return E_INVALIDARG;
    HRESULT bits_hr;
    if (bits_property(impl(iface), id, value, 0, &bits_hr))
        return bits_hr;
    if (id != BITS_JOB_PROPERTY_ID_COST_FLAGS && id != BITS_JOB_PROPERTY_NOTIFICATION_CLSID)
        return reply(impl(iface), DO_E_UNKNOWN_PROPERTY_ID);
    store_job_t job;
    HRESULT hr = load(impl(iface), &job);
    if (SUCCEEDED(hr) && id == BITS_JOB_PROPERTY_ID_COST_FLAGS)
        value->Dword = job.cost_flags;
    else if (SUCCEEDED(hr))
        memcpy(&value->ClsID, &job.notify_clsid, sizeof value->ClsID);
    store_job_clear(&job);
    return hr;
}

static IBackgroundCopyJob5Vtbl job_vtbl = {
    job_query_interface, job_add_ref, job_release,
    /* IBackgroundCopyJob */
    job_add_file_set, job_add_file, job_enum_files, job_suspend, job_resume, job_cancel,
    job_complete, job_get_id, job_get_type, job_get_progress, job_get_times, job_get_state,
    job_get_error, job_get_owner, job_set_display_name, job_get_display_name,
    job_set_description, job_get_description, job_set_priority, job_get_priority,
    job_set_notify_flags, job_get_notify_flags, job_set_notify_interface,
    job_get_notify_interface, job_set_minimum_retry_delay, job_get_minimum_retry_delay,
    job_set_no_progress_timeout, job_get_no_progress_timeout, job_get_error_count,
    job_set_proxy_settings, job_get_proxy_settings, job_take_ownership,
    /* IBackgroundCopyJob2 */
    job_set_notify_cmd_line, job_get_notify_cmd_line, job_get_reply_progress, job_get_reply_data,
    job_set_reply_file_name, job_get_reply_file_name, job_set_credentials, job_remove_credentials,
    /* IBackgroundCopyJob3 */
    job_replace_remote_prefix, job_add_file_with_ranges, job_set_file_acl_flags,
    job_get_file_acl_flags,
    /* IBackgroundCopyJob4 */
    job_set_peer_caching_flags, job_get_peer_caching_flags, job_get_owner_integrity_level,
    job_get_owner_elevation_state, job_set_maximum_download_time, job_get_maximum_download_time,
    /* IBackgroundCopyJob5 */
    job_set_property, job_get_property,
};

/* ---- IDeliveryOptimizationJob ----------------------------------------------------------------- */

COM_FORWARD_IUNKNOWN(do_job, IDeliveryOptimizationJob, job_t, do_job, job)

static HRESULT STDMETHODCALLTYPE do_job_add_file_with_ranges(IDeliveryOptimizationJob *iface,
                                                             LPCWSTR file_id, LPCWSTR remote,
                                                             LPCWSTR local, DWORD count,
                                                             BG_FILE_RANGE *ranges, UINT64 size)
{
    file_args_t args = {file_id, remote, local, count, ranges, size, 1};
    return add_files(IMPL(iface, do_job), &args, 1, NULL);
}

static IDeliveryOptimizationJobVtbl do_job_vtbl = {
    do_job_query_interface, do_job_add_ref, do_job_release, do_job_add_file_with_ranges,
};

/* ---- IDeliveryOptimizationJob2 ---------------------------------------------------------------- */

COM_FORWARD_IUNKNOWN(do_job2, IDeliveryOptimizationJob2, job_t, do_job2, job)

/* Adds a file without a local name (its sink comes later through IDeliveryOptimizationFile2)
 * and hands back the file object in the interface asked for. */
static HRESULT STDMETHODCALLTYPE do_job2_add_file(IDeliveryOptimizationJob2 *iface, LPCWSTR file_id,
                                                  LPCWSTR remote, DWORD count, BG_FILE_RANGE *ranges,
                                                  REFIID riid, void **object)
{
    job_t *self = IMPL(iface, do_job2);
    if (!object || !riid)
        return E_INVALIDARG;
    *object = NULL;
    IUnknown *probe = NULL; /* refuse an interface the file object lacks before adding anything */
    HRESULT hr = background_copy_file_create(&self->id, self->api, 0, riid, (void **)&probe);
    if (FAILED(hr))
        return hr;
    IUnknown_Release(probe);
    file_args_t args = {file_id, remote, NULL, count, ranges, BG_SIZE_UNKNOWN, 0};
    uint32_t index = 0;
    hr = add_files(self, &args, 1, &index);
    return SUCCEEDED(hr) ? background_copy_file_create(&self->id, self->api, index, riid, object) : hr;
}

/* DOJobPropertyId_ExtendedErrorInfo: the explanation recorded with the job's last error. */
static HRESULT STDMETHODCALLTYPE do_job2_get_property(IDeliveryOptimizationJob2 *iface,
                                                      DOJobPropertyId id, VARIANT *value)
{
    if (!value)
        return E_INVALIDARG;
    VariantInit(value);
    if (id != DOJobPropertyId_ExtendedErrorInfo)
        return DO_E_UNKNOWN_PROPERTY_ID;
    store_job_t job;
    HRESULT hr = load(IMPL(iface, do_job2), &job);
    LPWSTR text = NULL;
    if (SUCCEEDED(hr))
        hr = cotaskmem_from_utf8(job.error_detail, &text);
    if (SUCCEEDED(hr)) {
        V_VT(value) = VT_BSTR;
        V_BSTR(value) = SysAllocString(text);
        hr = V_BSTR(value) ? S_OK : E_OUTOFMEMORY;
    }
    CoTaskMemFree(text);
    store_job_clear(&job);
    return hr;
}

static HRESULT STDMETHODCALLTYPE do_job2_set_property(IDeliveryOptimizationJob2 *iface,
                                                      DOJobPropertyId id, const VARIANT *value)
{
    (void)value;
    return answer_after_check(IMPL(iface, do_job2), id == DOJobPropertyId_ExtendedErrorInfo
                                                         ? DO_E_READ_ONLY_PROPERTY
                                                         : DO_E_UNKNOWN_PROPERTY_ID);
}

static IDeliveryOptimizationJob2Vtbl do_job2_vtbl = {
    do_job2_query_interface, do_job2_add_ref, do_job2_release, do_job2_add_file,
    do_job2_get_property, do_job2_set_property,
};

/* The live object of job id with a new reference, or NULL (lock held). An object whose count
 * reached 0 is being released: its Release unlinks it once it gets the lock, so it is skipped. */
static job_t *live_job(const GUID *id)
{
    for (job_t *job = live_jobs; job; job = job->next)
        if (IsEqualGUID(&job->id, id) && job->refs > 0) {
            InterlockedIncrement(&job->refs);
            return job;
        }
    return NULL;
}

HRESULT background_copy_job_create(const GUID *id, api_personality_t api, IBackgroundCopyJob **out)
{
    AcquireSRWLockExclusive(&live_jobs_lock);
    job_t *job = live_job(id);
    if (!job && (job = calloc(1, sizeof *job))) {
        job->iface.lpVtbl = &job_vtbl;
        job->do_job.lpVtbl = &do_job_vtbl;
        job->do_job2.lpVtbl = &do_job2_vtbl;
        job_http_options_init(&job->http_options, (IUnknown *)&job->iface, &job->id, api);
        bits_token_options_init(&job->token_options, (IUnknown *)&job->iface, &job->id);
        job->refs = 1;
        job->id = *id;
        job->api = api;
        job->next = live_jobs;
        live_jobs = job;
    }
    ReleaseSRWLockExclusive(&live_jobs_lock);
    *out = (IBackgroundCopyJob *)&job->iface;
    return job ? S_OK : E_OUTOFMEMORY;
}
