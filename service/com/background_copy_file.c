/* The file object: IBackgroundCopyFile..File6 (one vtable: each version extends the last; File6
 * for the files of BITS jobs only) plus IDeliveryOptimizationFile and IDeliveryOptimizationFile2.
 * It holds only (job id, file index) and the API of the job's kind: every call establishes the
 * caller and goes through the core, so a file looks the same to every object and before and after
 * a service restart; its results and interfaces are its API's (api_personality.c). */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"

typedef struct file {
    IBackgroundCopyFile6 iface;
    IDeliveryOptimizationFile do_file;
    IDeliveryOptimizationFile2 do_file2;
    LONG refs;
    GUID job_id;
    ULONG index;
    api_personality_t api;
} file_t;

#define IMPL(iface, member) ((file_t *)((char *)(iface) - offsetof(file_t, member)))
#define JOB_ID(self) ((const store_guid_t *)&(self)->job_id)
typedef IBackgroundCopyFile6 file5_t; /* the newest file interface (the name predates File6) */

static file_t *impl(file5_t *iface)
{
    return IMPL(iface, iface);
}

/* ---- IUnknown ---------------------------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE file_query_interface(file5_t *iface, REFIID riid, void **out)
{
    file_t *self = impl(iface);
    if (!out)
        return E_POINTER;
    *out = NULL;
    if (!api_offers(self->api, riid))
        return E_NOINTERFACE;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IBackgroundCopyFile) ||
        IsEqualIID(riid, &IID_IBackgroundCopyFile2) || IsEqualIID(riid, &IID_IBackgroundCopyFile3) ||
        IsEqualIID(riid, &IID_IBackgroundCopyFile4) || IsEqualIID(riid, &IID_IBackgroundCopyFile5) ||
        IsEqualIID(riid, &IID_IBackgroundCopyFile6))
        *out = &self->iface;
    else if (IsEqualIID(riid, &IID_IDeliveryOptimizationFile))
        *out = &self->do_file;
    else if (IsEqualIID(riid, &IID_IDeliveryOptimizationFile2))
        *out = &self->do_file2;
    else
        return E_NOINTERFACE;
    InterlockedIncrement(&self->refs);
    return S_OK;
}

static ULONG STDMETHODCALLTYPE file_add_ref(file5_t *iface)
{
    return (ULONG)InterlockedIncrement(&impl(iface)->refs);
}

static ULONG STDMETHODCALLTYPE file_release(file5_t *iface)
{
    LONG refs = InterlockedDecrement(&impl(iface)->refs);
    if (!refs)
        free(impl(iface));
    return (ULONG)refs;
}

/* The DO interfaces derive from IUnknown alone: their IUnknown methods forward to the above. */
COM_FORWARD_IUNKNOWN(do_file, IDeliveryOptimizationFile, file_t, do_file, file)
COM_FORWARD_IUNKNOWN(do_file2, IDeliveryOptimizationFile2, file_t, do_file2, file)

/* ---- helpers: every call is "who is calling" + one core call ------------------------------------ */

/* What a call returns to the client: the core's result as the file's API reports it. */
static HRESULT reply(const file_t *self, HRESULT hr)
{
    return api_result(self->api, hr);
}

static HRESULT load(file_t *self, store_file_t *file)
{
    memset(file, 0, sizeof *file);
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    return reply(self, FAILED(hr) ? hr : jobs_get_file(dosvc_jobs, &caller, JOB_ID(self), self->index, file));
}

/* Copies a text member of the file row to the client. An unset text (the local and temporary
 * names of a DO file whose sink is not set yet, a fileId or response headers not known yet)
 * comes back as an empty string: BITS never has such a file, and an empty string is what a
 * BITS client can handle; GetStats/DOFile2 report the DO specifics. */
static HRESULT get_text(file_t *self, size_t member_offset, LPWSTR *out)
{
    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    store_file_t file;
    HRESULT hr = load(self, &file);
    if (SUCCEEDED(hr))
        hr = cotaskmem_from_utf8(*(char **)((char *)&file + member_offset), out);
    store_file_clear(&file);
    return hr;
}

#define MEMBER(name) offsetof(store_file_t, name)

/* ---- IBackgroundCopyFile ----------------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE file_get_remote_name(file5_t *iface, LPWSTR *value)
{
    return get_text(impl(iface), MEMBER(remote_name), value);
}

static HRESULT STDMETHODCALLTYPE file_get_local_name(file5_t *iface, LPWSTR *value)
{
    return get_text(impl(iface), MEMBER(local_name), value);
}

static HRESULT STDMETHODCALLTYPE file_get_progress(file5_t *iface, BG_FILE_PROGRESS *value)
{
    if (!value)
        return E_INVALIDARG;
    memset(value, 0, sizeof *value);
    store_file_t file;
    HRESULT hr = load(impl(iface), &file);
    if (SUCCEEDED(hr)) {
        value->BytesTotal = file.bytes_total; /* JOB_SIZE_UNKNOWN == BG_SIZE_UNKNOWN */
        value->BytesTransferred = file.bytes_transferred;
        value->Completed = file.completed ? TRUE : FALSE;
    }
    store_file_clear(&file);
    return hr;
}

/* ---- IBackgroundCopyFile2 ---------------------------------------------------------------------- */

/* A core read of a file's ranges, handed to the client as a CoTaskMem array; `none` is the answer
 * when there are none (GetFileRanges: S_FALSE, the whole file). */
typedef hr_t (*ranges_read_fn)(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t index,
                               store_range_t **ranges, size_t *count);

static HRESULT read_ranges(file_t *self, ranges_read_fn read, HRESULT none, DWORD *count, BG_FILE_RANGE **ranges)
{
    if (!count || !ranges)
        return E_INVALIDARG;
    *count = 0;
    *ranges = NULL;
    caller_t caller;
    store_range_t *stored = NULL;
    size_t stored_count = 0;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = read(dosvc_jobs, &caller, JOB_ID(self), self->index, &stored, &stored_count);
    if (SUCCEEDED(hr) && !stored_count)
        hr = none;
    else if (SUCCEEDED(hr) && !(*ranges = CoTaskMemAlloc(stored_count * sizeof **ranges)))
        hr = E_OUTOFMEMORY;
    else if (SUCCEEDED(hr)) {
        for (size_t i = 0; i < stored_count; i++) {
            (*ranges)[i].InitialOffset = stored[i].offset;
            (*ranges)[i].Length = stored[i].length;
        }
        *count = (DWORD)stored_count;
    }
    free(stored);
    return reply(self, hr);
}

static HRESULT STDMETHODCALLTYPE file_get_file_ranges(file5_t *iface, DWORD *count, BG_FILE_RANGE **ranges)
{
    return read_ranges(impl(iface), jobs_get_file_ranges, S_FALSE, count, ranges);
}

static HRESULT STDMETHODCALLTYPE file_set_remote_name(file5_t *iface, LPCWSTR value)
{
    if (!value)
        return E_INVALIDARG;
    char *text = utf8_from_wide(value);
    caller_t caller;
    /* The job first (access, state): no probe of a source for a job the caller cannot change. */
    HRESULT hr = text ? job_answer_after_check(&impl(iface)->job_id, impl(iface)->api, S_OK) : E_INVALIDARG;
    if (SUCCEEDED(hr))
        hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = local_source_check(value); /* with the caller's identity, as AddFile */
    if (SUCCEEDED(hr))
        hr = jobs_set_remote_name(dosvc_jobs, &caller, JOB_ID(impl(iface)), impl(iface)->index, text);
    free(text);
    return reply(impl(iface), hr);
}

/* ---- IBackgroundCopyFile3 / File4 -------------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE file_get_temporary_name(file5_t *iface, LPWSTR *value)
{
    return get_text(impl(iface), MEMBER(temp_name), value);
}

static HRESULT STDMETHODCALLTYPE file_set_validation_state(file5_t *iface, BOOL valid)
{
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    return reply(impl(iface), FAILED(hr) ? hr : jobs_set_file_validation(dosvc_jobs, &caller, JOB_ID(impl(iface)),
                                                                         impl(iface)->index, valid ? 1 : 0));
}

static HRESULT STDMETHODCALLTYPE file_get_validation_state(file5_t *iface, BOOL *valid)
{
    if (!valid)
        return E_INVALIDARG;
    *valid = FALSE;
    store_file_t file;
    HRESULT hr = load(impl(iface), &file);
    if (SUCCEEDED(hr))
        *valid = file.validation_state ? TRUE : FALSE;
    store_file_clear(&file);
    return hr;
}

/* opendo never uses peers: every byte comes from the origin server. The row is still read, so
 * access and existence are checked as for every other call. */
static HRESULT STDMETHODCALLTYPE file_is_downloaded_from_peer(file5_t *iface, BOOL *value)
{
    if (!value)
        return E_INVALIDARG;
    *value = FALSE;
    store_file_t file;
    HRESULT hr = load(impl(iface), &file);
    store_file_clear(&file);
    return hr;
}

static HRESULT STDMETHODCALLTYPE file_get_peer_download_stats(file5_t *iface, UINT64 *from_origin,
                                                              UINT64 *from_peers)
{
    if (!from_origin || !from_peers)
        return E_INVALIDARG;
    *from_origin = *from_peers = 0; /* never anything from peers */
    store_file_t file;
    HRESULT hr = load(impl(iface), &file);
    if (SUCCEEDED(hr))
        *from_origin = file.bytes_transferred;
    store_file_clear(&file);
    return hr;
}

/* ---- IBackgroundCopyFile5 ---------------------------------------------------------------------- */

/* The one file property, the server's last response headers, is recorded by the transfer
 * engine: clients can only read it. */
static HRESULT STDMETHODCALLTYPE file_set_property(file5_t *iface, BITS_FILE_PROPERTY_ID id,
                                                   BITS_FILE_PROPERTY_VALUE value)
{
    (void)value;
    return reply(impl(iface), id == BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS ? DO_E_READ_ONLY_PROPERTY
                                                                                : DO_E_UNKNOWN_PROPERTY_ID);
}

static HRESULT STDMETHODCALLTYPE file_get_property(file5_t *iface, BITS_FILE_PROPERTY_ID id,
                                                   BITS_FILE_PROPERTY_VALUE *value)
{
    if (!value)
        return E_INVALIDARG;
    value->String = NULL;
    if (id != BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS)
        return reply(impl(iface), DO_E_UNKNOWN_PROPERTY_ID);
    return get_text(impl(iface), MEMBER(response_headers), &value->String); /* "" before any */
}

/* ---- IBackgroundCopyFile6 (on-demand jobs, engine/jobs/job_on_demand.c) --------------------------- */

static HRESULT STDMETHODCALLTYPE file_update_download_position(file5_t *iface, UINT64 offset)
{
    file_t *self = impl(iface);
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_update_download_position(dosvc_jobs, &caller, JOB_ID(self), self->index, offset);
    return reply(self, hr);
}

static HRESULT STDMETHODCALLTYPE file_request_file_ranges(file5_t *iface, DWORD count, const BG_FILE_RANGE *ranges)
{
    file_t *self = impl(iface);
    if (!count || !ranges)
        return E_INVALIDARG;
    store_range_t *copy = malloc(count * sizeof *copy);
    if (!copy)
        return E_OUTOFMEMORY;
    for (DWORD i = 0; i < count; i++)
        copy[i] = (store_range_t){ranges[i].InitialOffset, ranges[i].Length};
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_request_file_ranges(dosvc_jobs, &caller, JOB_ID(self), self->index, copy, count);
    free(copy);
    return reply(self, hr);
}

static HRESULT STDMETHODCALLTYPE file_get_filled_file_ranges(file5_t *iface, DWORD *count, BG_FILE_RANGE **ranges)
{
    return read_ranges(impl(iface), jobs_get_filled_ranges, S_OK, count, ranges);
}

static IBackgroundCopyFile6Vtbl file_vtbl = {
    file_query_interface, file_add_ref, file_release,
    /* IBackgroundCopyFile */
    file_get_remote_name, file_get_local_name, file_get_progress,
    /* IBackgroundCopyFile2 */
    file_get_file_ranges, file_set_remote_name,
    /* IBackgroundCopyFile3 */
    file_get_temporary_name, file_set_validation_state, file_get_validation_state,
    file_is_downloaded_from_peer,
    /* IBackgroundCopyFile4 */
    file_get_peer_download_stats,
    /* IBackgroundCopyFile5 */
    file_set_property, file_get_property,
    /* IBackgroundCopyFile6 */
    file_update_download_position, file_request_file_ranges, file_get_filled_file_ranges,
};

/* ---- IDeliveryOptimizationFile ----------------------------------------------------------------- */

/* Whether the file's job runs a transfer through a cache host now. */
static int running_via_cache(file_t *self)
{
    jobs_job_activity_t activity;
    return SUCCEEDED(jobs_job_activity(dosvc_jobs, JOB_ID(self), &activity)) && activity.running &&
           activity.file_index == self->index && activity.cache_host[0];
}

static HRESULT STDMETHODCALLTYPE do_file_get_stats(IDeliveryOptimizationFile *iface, DOSwarmStats *stats)
{
    file_t *self = IMPL(iface, do_file);
    if (!stats)
        return E_INVALIDARG;
    memset(stats, 0, sizeof *stats);
    caller_t caller;
    store_file_t file = {0};
    store_job_t job = {0};
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_get_file(dosvc_jobs, &caller, JOB_ID(self), self->index, &file);
    if (SUCCEEDED(hr))
        hr = jobs_get(dosvc_jobs, &caller, JOB_ID(self), &job);
    if (SUCCEEDED(hr))
        hr = cotaskmem_from_utf8(file.file_id, &stats->fileId); /* "" for a BITS-style file */
    if (SUCCEEDED(hr) && FAILED(hr = cotaskmem_from_utf8(file.remote_name, &stats->sourceURL))) {
        CoTaskMemFree(stats->fileId);
        stats->fileId = NULL;
    }
    if (SUCCEEDED(hr)) {
        stats->fileSize = file.bytes_total;
        /* Bytes come from the origin (HTTP) or from cache hosts (DOINC): opendo has no peers, so
         * every peer and upload counter stays 0. The figures are the file row's totals over
         * every transfer, recorded when each ends (re-fetched bytes count); the bytes are never
         * below those already checkpointed by a transfer still running, which count for its
         * source. */
        uint64_t from_http = file.bytes_from_http, from_cache = file.bytes_from_cache;
        if (file.bytes_transferred > from_http + from_cache)
            *(running_via_cache(self) ? &from_cache : &from_http) += file.bytes_transferred - from_http - from_cache;
        stats->totalBytesDownloaded = from_http + from_cache;
        stats->bytesFromHttp = from_http;
        stats->bytesFromDoinc = from_cache;
        stats->httpConnectionCount = file.http_connections;
        stats->doincConnectionCount = file.cache_connections;
        stats->downloadDuration = file.download_ms > UINT_MAX ? UINT_MAX : (UINT)file.download_ms; /* ms */
        stats->downloadMode = DownloadMode_Simple; /* no peering and no DO cloud services */
        if (file.bytes_total != JOB_SIZE_UNKNOWN && file.bytes_transferred == file.bytes_total)
            stats->status = SwarmStatus_Complete;
        else if (job.state == JOB_STATE_SUSPENDED || job.state == JOB_STATE_ERROR ||
                 job.state == JOB_STATE_TRANSIENT_ERROR)
            stats->status = SwarmStatus_Paused;
        else
            stats->status = SwarmStatus_Downloading;
        stats->isBackground = job.priority != JOB_PRIORITY_FOREGROUND;
    }
    store_file_clear(&file);
    store_job_clear(&job);
    return hr;
}

static IDeliveryOptimizationFileVtbl do_file_vtbl = {
    do_file_query_interface, do_file_add_ref, do_file_release, do_file_get_stats,
};

/* ---- IDeliveryOptimizationFile2 ---------------------------------------------------------------- */

/* The VARIANT type of each DOFilePropertyId (do-api.md §5.9); the core takes and gives the values
 * as text (booleans "0"/"1", sizes in decimal). VT_EMPTY: no value travels (ids the core
 * refuses whatever the value, and ids it does not know). */
static VARTYPE property_type(DOFilePropertyId id)
{
    switch (id) {
    case DOFilePropertyId_DecryptionInfo:
    case DOFilePropertyId_IntegrityCheckInfo:
    case DOFilePropertyId_DownloadSinkFilePath:
        return VT_BSTR;
    case DOFilePropertyId_IntegrityCheckMandatory:
        return VT_BOOL;
    case DOFilePropertyId_DownloadSinkInterface:
        return VT_UNKNOWN;
    case DOFilePropertyId_TotalSizeBytes:
        return VT_UI8;
    default:
        return VT_EMPTY;
    }
}

static HRESULT variant_from_text(VARTYPE type, const char *text, VARIANT *out)
{
    LPWSTR wide = NULL;
    HRESULT hr = S_OK;
    switch (type) {
    case VT_BSTR:
        if (SUCCEEDED(hr = cotaskmem_from_utf8(text, &wide))) {
            V_BSTR(out) = SysAllocString(wide);
            hr = V_BSTR(out) ? S_OK : E_OUTOFMEMORY;
        }
        CoTaskMemFree(wide);
        break;
    case VT_BOOL:
        V_BOOL(out) = text && !strcmp(text, "1") ? VARIANT_TRUE : VARIANT_FALSE;
        break;
    case VT_UI8:
        V_UI8(out) = text ? strtoull(text, NULL, 10) : 0;
        break;
    default:
        hr = E_UNEXPECTED; /* the core gave a value for an id that has no VARIANT form */
    }
    if (SUCCEEDED(hr))
        V_VT(out) = type;
    return hr;
}

static HRESULT STDMETHODCALLTYPE do_file2_get_property(IDeliveryOptimizationFile2 *iface,
                                                       DOFilePropertyId id, VARIANT *value)
{
    file_t *self = IMPL(iface, do_file2);
    if (!value)
        return E_INVALIDARG;
    VariantInit(value); /* VT_EMPTY, also on every failure */
    caller_t caller;
    char *text = NULL;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = jobs_get_file_property(dosvc_jobs, &caller, JOB_ID(self), self->index, id, &text);
    if (SUCCEEDED(hr))
        hr = variant_from_text(property_type(id), text, value);
    free(text);
    return hr;
}

/* Text of a VARIANT of the expected type (*text stays NULL for ids without a value). */
static HRESULT text_from_variant(VARTYPE type, const VARIANT *value, char **text)
{
    char number[24];
    *text = NULL;
    if (type == VT_EMPTY)
        return S_OK;
    if (V_VT(value) != type)
        return E_INVALIDARG;
    switch (type) {
    case VT_BSTR:
        *text = utf8_from_wide(V_BSTR(value) ? V_BSTR(value) : L""); /* NULL BSTR == "" */
        return *text ? S_OK : E_INVALIDARG;
    case VT_BOOL:
        *text = strdup(V_BOOL(value) ? "1" : "0");
        break;
    case VT_UI8:
        snprintf(number, sizeof number, "%" PRIu64, (uint64_t)V_UI8(value));
        *text = strdup(number);
        break;
    default:
        /* VT_UNKNOWN (DownloadSinkInterface): the sink would be a stream living in the client's
         * process, and every write to it a cross-process call back into the client for the
         * service; opendo writes downloads to files only. */
        return E_NOTIMPL;
    }
    return *text ? S_OK : E_OUTOFMEMORY;
}

static HRESULT STDMETHODCALLTYPE do_file2_set_property(IDeliveryOptimizationFile2 *iface,
                                                       DOFilePropertyId id, const VARIANT *value)
{
    file_t *self = IMPL(iface, do_file2);
    if (!value)
        return E_INVALIDARG;
    char *text = NULL;
    caller_t caller;
    HRESULT hr = text_from_variant(property_type(id), value, &text);
    if (SUCCEEDED(hr))
        hr = caller_identify(&caller);
    if (SUCCEEDED(hr) && id == DOFilePropertyId_DownloadSinkFilePath)
        hr = local_path_check(V_BSTR(value)); /* with the caller's identity, as AddFile */
    if (SUCCEEDED(hr))
        hr = jobs_set_file_property(dosvc_jobs, &caller, JOB_ID(self), self->index, id, text);
    free(text);
    return hr;
}

static IDeliveryOptimizationFile2Vtbl do_file2_vtbl = {
    do_file2_query_interface, do_file2_add_ref, do_file2_release, do_file2_get_property,
    do_file2_set_property,
};

HRESULT background_copy_file_create(const GUID *job_id, api_personality_t api, ULONG index, REFIID riid,
                                    void **out)
{
    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    file_t *file = calloc(1, sizeof *file);
    if (!file)
        return E_OUTOFMEMORY;
    file->iface.lpVtbl = &file_vtbl;
    file->do_file.lpVtbl = &do_file_vtbl;
    file->do_file2.lpVtbl = &do_file2_vtbl;
    file->refs = 1;
    file->job_id = *job_id;
    file->index = index;
    file->api = api;
    HRESULT hr = file_query_interface(&file->iface, riid, out);
    file_release(&file->iface); /* the caller's reference is the one QueryInterface took */
    return hr;
}
