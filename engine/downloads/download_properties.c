/* download_properties.c: SetProperty and GetProperty of every DODownloadProperty (0-29), with
 * the type, read/write and state rules of idomanager.md §3 and what each one does. Values with
 * a column of the job or of its file live there; the others in file 0's property rows
 * (download_row). Each SetProperty is one committed change. */
#include "downloads_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T DL_VALUE_TEXT
#define U32 DL_VALUE_U32
#define U64 DL_VALUE_U64
#define B DL_VALUE_BOOL
#define I DL_VALUE_INTERFACE
#define RO DL_READ_ONLY
#define WO DL_WRITE_ONLY
#define CR DL_CREATED_ONLY
#define NT DL_NOT_TRANSFERRING

static const download_property_info_t properties[DL_PROPERTY_COUNT] = {
    [DL_ID] = {"Id", T, RO},
    [DL_URI] = {"Uri", T, NT},
    [DL_CONTENT_ID] = {"ContentId", T, CR},
    [DL_DISPLAY_NAME] = {"DisplayName", T, 0},
    [DL_LOCAL_PATH] = {"LocalPath", T, CR},
    [DL_HTTP_CUSTOM_HEADERS] = {"HttpCustomHeaders", T, 0},
    [DL_COST_POLICY] = {"CostPolicy", U32, 0},
    [DL_SECURITY_FLAGS] = {"SecurityFlags", U32, 0},
    [DL_CALLBACK_FREQ_PERCENT] = {"CallbackFreqPercent", U32, 0},
    [DL_CALLBACK_FREQ_SECONDS] = {"CallbackFreqSeconds", U32, 0},
    [DL_NO_PROGRESS_TIMEOUT] = {"NoProgressTimeoutSeconds", U32, 0},
    [DL_FOREGROUND_PRIORITY] = {"ForegroundPriority", B, 0},
    [DL_BLOCKING_MODE] = {"BlockingMode", B, 0},
    [DL_CALLBACK_INTERFACE] = {"CallbackInterface", I, 0},
    [DL_STREAM_INTERFACE] = {"StreamInterface", I, CR},
    [DL_SECURITY_CONTEXT] = {"SecurityContext", DL_VALUE_BYTES, WO | CR},
    [DL_NETWORK_TOKEN] = {"NetworkToken", B, WO | CR},
    [DL_CORRELATION_VECTOR] = {"CorrelationVector", T, 0},
    [DL_DECRYPTION_INFO] = {"DecryptionInfo", T, WO | CR},
    [DL_INTEGRITY_CHECK_INFO] = {"IntegrityCheckInfo", T, WO | CR},
    [DL_INTEGRITY_CHECK_MANDATORY] = {"IntegrityCheckMandatory", B, CR},
    [DL_TOTAL_SIZE_BYTES] = {"TotalSizeBytes", U64, CR},
    [DL_DISALLOW_ON_CELLULAR] = {"DisallowOnCellular", B, 0},
    [DL_HTTP_CUSTOM_AUTH_HEADERS] = {"HttpCustomAuthHeaders", T, 0},
    [DL_HTTP_ALLOW_SECURE_TO_NONSECURE_REDIRECT] = {"HttpAllowSecureToNonSecureRedirect", B, 0},
    [DL_NON_VOLATILE] = {"NonVolatile", B, CR},
    [DL_HTTP_REDIRECTION_TARGET] = {"HttpRedirectionTarget", T, RO},
    [DL_HTTP_RESPONSE_HEADERS] = {"HttpResponseHeaders", T, RO},
    [DL_HTTP_SERVER_IP] = {"HttpServerIPAddress", T, RO},
    [DL_HTTP_STATUS_CODE] = {"HttpStatusCode", U32, RO},
};

const download_property_info_t *downloads_property_info(int32_t property)
{
    return property >= 0 && property < DL_PROPERTY_COUNT ? &properties[property] : NULL;
}

/* SecurityFlags holds WinHTTP's SECURITY_FLAG_IGNORE_* flags; the job keeps the certificate
 * errors they let pass as the BG_SSL_IGNORE_* bits a BITS job's SetSecurityFlags sets, so that one
 * scheduler rule (AllowJobCertificateErrors, the WARN tls.ignore line) applies to both APIs. */
static const struct {
    uint32_t winhttp;
    uint32_t tls;
    const char *name;
} security_flags[] = {
    {0x0100u, TRANSFER_TLS_IGNORE_UNKNOWN_CA, "SECURITY_FLAG_IGNORE_UNKNOWN_CA"},
    {0x0200u, TRANSFER_TLS_IGNORE_USAGE, "SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE"},
    {0x1000u, TRANSFER_TLS_IGNORE_NAME, "SECURITY_FLAG_IGNORE_CERT_CN_INVALID"},
    {0x2000u, TRANSFER_TLS_IGNORE_DATE, "SECURITY_FLAG_IGNORE_CERT_DATE_INVALID"},
};
#define SECURITY_FLAG_COUNT (sizeof security_flags / sizeof security_flags[0])

static uint32_t tls_ignore_of(uint64_t winhttp)
{
    uint32_t tls = 0;
    for (size_t i = 0; i < SECURITY_FLAG_COUNT; i++)
        tls |= winhttp & security_flags[i].winhttp ? security_flags[i].tls : 0;
    return tls;
}

static uint32_t winhttp_flags_of(uint32_t job_security_flags)
{
    uint32_t winhttp = 0;
    for (size_t i = 0; i < SECURITY_FLAG_COUNT; i++)
        winhttp |= job_security_flags & security_flags[i].tls ? security_flags[i].winhttp : 0;
    return winhttp;
}

const char *downloads_security_flag_name(uint32_t tls_ignore_bit)
{
    for (size_t i = 0; i < SECURITY_FLAG_COUNT; i++)
        if (security_flags[i].tls == tls_ignore_bit)
            return security_flags[i].name;
    return NULL;
}

/* ---- value checks (before anything is loaded) ---------------------------------------------- */

static int is_http_url(const char *text)
{
    return (strncmp(text, "http://", 7) == 0 || strncmp(text, "https://", 8) == 0) &&
           HR_SUCCEEDED(file_check_remote_name(text));
}

/* An MS-CV: base64 characters and dots, 1 to 128 of them. */
static int is_correlation_vector(const char *text)
{
    size_t length = strlen(text);
    if (length == 0 || length > DOWNLOAD_CORRELATION_VECTOR_MAX)
        return 0;
    return strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=.") == length;
}

static hr_t check_local_path(const char *path)
{
    long units = utf8_utf16_length(path);
    if (units > JOB_LOCAL_NAME_MAX)
        return HR_FILENAME_TOO_LONG;
    return HR_SUCCEEDED(file_check_local_name(path)) ? HR_OK : HR_INVALID_NAME;
}

static hr_t check_text(int32_t property, const char *text)
{
    switch (property) {
    case DL_URI:
        return text_fits(text, JOB_REMOTE_NAME_MAX, 0) && is_http_url(text) ? HR_OK : HR_E_INVALIDARG;
    case DL_LOCAL_PATH:
        return check_local_path(text);
    case DL_DISPLAY_NAME:
        return text_fits(text, JOB_DISPLAY_NAME_MAX, 0) ? HR_OK : HR_E_INVALIDARG;
    case DL_CONTENT_ID:
        return text[0] && text_fits(text, JOB_REMOTE_NAME_MAX, 0) ? HR_OK : HR_E_INVALIDARG;
    case DL_HTTP_CUSTOM_HEADERS:
    case DL_HTTP_CUSTOM_AUTH_HEADERS:
        return text_fits(text, JOB_CUSTOM_HEADERS_MAX, 0) ? HR_OK : HR_E_INVALIDARG;
    case DL_CORRELATION_VECTOR:
        return is_correlation_vector(text) ? HR_OK : HR_E_INVALIDARG;
    default: /* DecryptionInfo, IntegrityCheckInfo: JSON, checked against the store */
        return strlen(text) <= DOWNLOAD_JSON_MAX ? HR_OK : HR_E_INVALIDARG;
    }
}

static hr_t check_number(int32_t property, uint64_t number)
{
    switch (property) {
    case DL_COST_POLICY:
        return number <= 5 ? HR_OK : HR_E_INVALIDARG; /* DODownloadCostPolicy */
    case DL_SECURITY_FLAGS: /* only the flags of the table: any other bit is lost on the way back */
        return winhttp_flags_of(tls_ignore_of(number)) == number ? HR_OK : HR_E_INVALIDARG;
    case DL_CALLBACK_FREQ_PERCENT:
        return number <= 100 ? HR_OK : HR_E_INVALIDARG;
    case DL_NO_PROGRESS_TIMEOUT:
        return number == 0 || number >= DOWNLOAD_MIN_NO_PROGRESS_TIMEOUT ? HR_OK : HR_E_INVALIDARG;
    default:
        return HR_OK;
    }
}

/* What cannot be honoured is refused, never ignored (docs/api-conformance.md). */
static hr_t check_supported(int32_t property, const download_value_t *value)
{
    switch (property) {
    case DL_SECURITY_CONTEXT: /* a client certificate: the service parsed it; none are used */
    case DL_DECRYPTION_INFO:  /* encrypted content: no decryption */
    case DL_INTEGRITY_CHECK_INFO: /* piece hashes: no content service to check them against */
        return HR_E_NOTIMPL;
    case DL_NETWORK_TOKEN: /* the caller's network token: FALSE (none) is what opendo does */
        return value->number ? HR_E_NOTIMPL : HR_OK;
    default:
        return HR_OK;
    }
}

static hr_t check_value(int32_t property, const download_value_t *value)
{
    const download_property_info_t *info = downloads_property_info(property);
    if (!info)
        return DO_E_UNKNOWN_PROPERTY_ID;
    if (info->rules & DL_READ_ONLY)
        return DO_E_READ_ONLY_PROPERTY;
    if (!value || value->type != info->type)
        return HR_E_INVALIDARG;
    switch (info->type) {
    case DL_VALUE_TEXT:
        return value->text ? check_text(property, value->text) : HR_E_INVALIDARG;
    case DL_VALUE_BOOL:
    case DL_VALUE_INTERFACE:
        return value->number <= 1 ? HR_OK : HR_E_INVALIDARG;
    case DL_VALUE_U32:
        return value->number <= UINT32_MAX ? check_number(property, value->number) : HR_E_INVALIDARG;
    case DL_VALUE_BYTES:
        return value->size && value->bytes ? HR_OK : HR_E_INVALIDARG;
    default:
        return HR_OK;
    }
}

/* ---- the change (store lock held) ------------------------------------------------------------ */

typedef struct property_call {
    int32_t property;
    const download_value_t *value;
    store_file_t file; /* file 0, loaded by apply_set */
} property_call_t;

static int state_allows(unsigned rules, int32_t state)
{
    if (rules & DL_CREATED_ONLY)
        return state == DOWNLOAD_CREATED;
    if (rules & DL_NOT_TRANSFERRING)
        return state == DOWNLOAD_CREATED || state == DOWNLOAD_PAUSED;
    return 1;
}

static hr_t put_row(jobs_t *jobs, const store_guid_t *id, int32_t property, const char *text)
{
    store_status_t status = store_file_property_set(jobs->store, id, 0, download_row(property), text);
    return status == STORE_OK ? HR_OK : store_failure(jobs, id, "store a download property", status);
}

static hr_t put_number_row(jobs_t *jobs, const store_guid_t *id, int32_t property, uint64_t number)
{
    char text[24];
    snprintf(text, sizeof text, "%" PRIu64, number);
    return put_row(jobs, id, property, text);
}

static int row_is(jobs_t *jobs, const store_guid_t *id, int32_t property, const char *want)
{
    char *value = NULL;
    int same = store_file_property_get(jobs->store, id, 0, download_row(property), &value) == STORE_OK &&
               strcmp(value, want) == 0;
    free(value);
    return same;
}

/* A new Uri while Paused: the old bytes belong to another resource, progress starts over. */
static hr_t set_uri(jobs_t *jobs, store_file_t *file, const char *uri)
{
    hr_t hr = replace_text(&file->remote_name, uri);
    if (HR_SUCCEEDED(hr) && file->bytes_transferred) {
        file->bytes_transferred = 0;
        file->completed = 0;
        hr = replace_text(&file->validator, NULL);
    }
    (void)jobs;
    return hr;
}

static hr_t set_local_path(jobs_t *jobs, store_file_t *file, const char *path)
{
    if (row_is(jobs, &file->job_id, DL_STREAM_INTERFACE, "1"))
        return DO_E_FILE_DOWNLOADSINK_ALREADY_SET;
    free(file->temp_name);
    file->temp_name = NULL;
    hr_t hr = replace_text(&file->local_name, path);
    return HR_SUCCEEDED(hr) ? file_temp_name(path, &file->job_id, 0, &file->temp_name) : hr;
}

/* The spool file of a stream download: "<stream directory>/<id>.stream". */
static hr_t spool_name(const jobs_t *jobs, const store_guid_t *id, char **out)
{
    char text[DOWNLOAD_ID_SIZE];
    download_id_text(id, text);
    size_t size = strlen(jobs->stream_directory) + DOWNLOAD_ID_SIZE + 16;
    if (!(*out = malloc(size)))
        return HR_E_OUTOFMEMORY;
    snprintf(*out, size, "%s%c%s.stream", jobs->stream_directory,
             strchr(jobs->stream_directory, '\\') ? '\\' : '/', text);
    return HR_OK;
}

/* The stream row holds the generation of the bytes (downloads_stream_source): 1 when set. */
static hr_t set_stream(jobs_t *jobs, store_job_t *job, store_file_t *file, uint64_t set)
{
    if (set && file->local_name)
        return DO_E_FILE_DOWNLOADSINK_ALREADY_SET;
    if (set && job->non_volatile)
        return HR_E_INVALIDARG; /* a stream cannot outlive the client's process */
    if (set && !jobs->stream_directory)
        return DO_E_MEMORYSTREAM_DOWNLOAD_NOT_SUPPORTED;
    free(file->temp_name);
    file->temp_name = NULL;
    hr_t hr = set ? spool_name(jobs, &job->id, &file->temp_name) : HR_OK;
    return HR_SUCCEEDED(hr) ? put_row(jobs, &job->id, DL_STREAM_INTERFACE, set ? "1" : NULL) : hr;
}

static hr_t set_non_volatile(jobs_t *jobs, store_job_t *job, uint64_t set)
{
    if (set && row_is(jobs, &job->id, DL_STREAM_INTERFACE, "1"))
        return HR_E_INVALIDARG;
    job->non_volatile = (int32_t)set;
    return HR_OK;
}

static uint32_t default_timeout(int32_t priority)
{
    return priority == JOB_PRIORITY_FOREGROUND ? DOWNLOAD_NO_PROGRESS_TIMEOUT_FOREGROUND
                                               : DOWNLOAD_NO_PROGRESS_TIMEOUT_BACKGROUND;
}

/* The timeout follows the priority until the client sets one (a stored non-zero value). */
static hr_t set_priority(jobs_t *jobs, store_job_t *job, uint64_t foreground)
{
    job->priority = foreground ? JOB_PRIORITY_FOREGROUND : JOB_PRIORITY_NORMAL;
    char *explicit_value = NULL;
    int explicit_set = store_file_property_get(jobs->store, &job->id, 0,
                                               download_row(DL_NO_PROGRESS_TIMEOUT), &explicit_value) == STORE_OK &&
                       strcmp(explicit_value, "0") != 0;
    free(explicit_value);
    if (!explicit_set)
        job->no_progress_timeout = default_timeout(job->priority);
    return HR_OK;
}

static hr_t set_timeout(jobs_t *jobs, store_job_t *job, uint64_t seconds)
{
    job->no_progress_timeout = seconds ? (uint32_t)seconds : default_timeout(job->priority);
    return put_number_row(jobs, &job->id, DL_NO_PROGRESS_TIMEOUT, seconds);
}

static hr_t check_json(jobs_t *jobs, const char *text)
{
    return store_json_is_object(jobs->store, text) ? HR_OK : HR_E_INVALIDARG;
}

static hr_t apply_value(jobs_t *jobs, store_job_t *job, property_call_t *call)
{
    const download_value_t *v = call->value;
    switch (call->property) {
    case DL_URI: return set_uri(jobs, &call->file, v->text);
    case DL_LOCAL_PATH: return set_local_path(jobs, &call->file, v->text);
    case DL_DISPLAY_NAME: return replace_text(&job->display_name, v->text);
    case DL_HTTP_CUSTOM_HEADERS: return replace_text(&job->custom_headers, v->text);
    case DL_FOREGROUND_PRIORITY: return set_priority(jobs, job, v->number);
    case DL_NO_PROGRESS_TIMEOUT: return set_timeout(jobs, job, v->number);
    case DL_NON_VOLATILE: return set_non_volatile(jobs, job, v->number);
    case DL_STREAM_INTERFACE: return set_stream(jobs, job, &call->file, v->number);
    case DL_CALLBACK_INTERFACE: return put_row(jobs, &job->id, call->property, v->number ? "1" : NULL);
    case DL_HTTP_ALLOW_SECURE_TO_NONSECURE_REDIRECT:
        job->security_flags = v->number ? job->security_flags | JOB_REDIRECT_ALLOW_HTTPS_TO_HTTP
                                        : job->security_flags & ~JOB_REDIRECT_ALLOW_HTTPS_TO_HTTP;
        return HR_OK;
    case DL_SECURITY_FLAGS:
        job->security_flags = (job->security_flags & ~TRANSFER_TLS_IGNORE_MASK) | tls_ignore_of(v->number);
        return HR_OK;
    case DL_DECRYPTION_INFO:
    case DL_INTEGRITY_CHECK_INFO: {
        hr_t hr = check_json(jobs, v->text);
        return HR_FAILED(hr) ? hr : check_supported(call->property, v);
    }
    default:
        break;
    }
    switch (v->type) {
    case DL_VALUE_TEXT: return put_row(jobs, &job->id, call->property, v->text);
    case DL_VALUE_BYTES: return check_supported(call->property, v);
    default: {
        hr_t hr = check_supported(call->property, v);
        return HR_FAILED(hr) ? hr : put_number_row(jobs, &job->id, call->property, v->number);
    }
    }
}

static hr_t apply_set(jobs_t *jobs, store_job_t *job, void *context)
{
    property_call_t *call = context;
    if (!state_allows(downloads_property_info(call->property)->rules, downloads_state_of(job)))
        return DO_E_INVALID_STATE;
    store_status_t status = store_file_get(jobs->store, &job->id, 0, &call->file);
    if (status != STORE_OK)
        return store_failure(jobs, &job->id, "read the download's file", status);
    hr_t hr = apply_value(jobs, job, call);
    if (HR_SUCCEEDED(hr) &&
        (call->property == DL_URI || call->property == DL_LOCAL_PATH || call->property == DL_STREAM_INTERFACE)) {
        status = store_file_update(jobs->store, &call->file);
        if (status != STORE_OK)
            hr = store_failure(jobs, &job->id, "update the download's file", status);
    }
    return hr;
}

hr_t downloads_set_property(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                            int32_t property, const download_value_t *value)
{
    property_call_t call;
    memset(&call, 0, sizeof call);
    call.property = property;
    call.value = value;
    hr_t hr = check_value(property, value);
    if (HR_SUCCEEDED(hr)) /* a final download refuses every change: DO_E_INVALID_STATE */
        hr = downloads_lookup(jobs, caller, id);
    if (HR_SUCCEEDED(hr))
        hr = change_job(jobs, caller, id, apply_set, &call, NULL);
    store_file_clear(&call.file);
    if (hr == HR_E_NOTIMPL)
        log_event(LOG_WARN, id, NULL, "download.property",
                  "SetProperty(%s) by %s refused: opendo cannot honour it", properties[property].name,
                  caller->sid);
    else if (HR_SUCCEEDED(hr))
        log_event(LOG_INFO, id, NULL, "download.property", "%s set by %s", properties[property].name,
                  caller->sid);
    return hr;
}

/* ---- GetProperty ------------------------------------------------------------------------------- */

typedef struct get_call {
    int32_t property;
    download_value_t *out;
} get_call_t;

static hr_t give_text(const char *text, download_value_t *out)
{
    if (!text)
        return HR_E_NOT_SET;
    out->text = strdup(text);
    return out->text ? HR_OK : HR_E_OUTOFMEMORY;
}

/* The values with a default (idomanager.md §3: real dosvc reads them back unset). */
static int default_number(const store_job_t *job, int32_t property, uint64_t *number)
{
    switch (property) {
    case DL_COST_POLICY:
        *number = job->priority == JOB_PRIORITY_FOREGROUND ? 0 /* Always */ : 2 /* Standard */;
        return 1;
    case DL_CALLBACK_FREQ_SECONDS:
        *number = DOWNLOAD_CALLBACK_FREQ_SECONDS_DEFAULT;
        return 1;
    case DL_BLOCKING_MODE:
    case DL_INTEGRITY_CHECK_MANDATORY:
    case DL_DISALLOW_ON_CELLULAR:
        *number = 0;
        return 1;
    default:
        return 0;
    }
}

static hr_t read_row(jobs_t *jobs, const store_job_t *job, int32_t property, download_value_t *out)
{
    char *text = NULL;
    store_status_t status = store_file_property_get(jobs->store, &job->id, 0, download_row(property), &text);
    hr_t hr = HR_OK;
    if (status == STORE_OK && out->type == DL_VALUE_TEXT)
        out->text = text, text = NULL;
    else if (status == STORE_OK)
        out->number = strtoull(text, NULL, 10);
    else if (status != STORE_NOT_FOUND)
        hr = store_failure(jobs, &job->id, "read a download property", status);
    else if (!default_number(job, property, &out->number))
        hr = HR_E_NOT_SET;
    free(text);
    return hr;
}

/* TotalSizeBytes: the client's value, else the file's size once known. */
static hr_t read_total_size(jobs_t *jobs, const store_job_t *job, const store_file_t *file,
                            download_value_t *out)
{
    hr_t hr = read_row(jobs, job, DL_TOTAL_SIZE_BYTES, out);
    if (hr == HR_E_NOT_SET && file->bytes_total != JOB_SIZE_UNKNOWN) {
        out->number = file->bytes_total;
        hr = HR_OK;
    }
    return hr;
}

static hr_t read_value(jobs_t *jobs, const store_job_t *job, const store_file_t *file, int32_t property,
                       download_value_t *out)
{
    char id_text[DOWNLOAD_ID_SIZE];
    switch (property) {
    case DL_ID: download_id_text(&job->id, id_text); return give_text(id_text, out);
    case DL_URI: return give_text(file->remote_name, out);
    case DL_LOCAL_PATH: return give_text(file->local_name, out);
    case DL_DISPLAY_NAME: return give_text(job->display_name, out);
    case DL_HTTP_CUSTOM_HEADERS: return give_text(job->custom_headers, out);
    case DL_HTTP_REDIRECTION_TARGET: return give_text(file->final_url, out);
    case DL_HTTP_RESPONSE_HEADERS: return give_text(file->response_headers, out);
    case DL_HTTP_SERVER_IP: return give_text(file->server_ip, out);
    case DL_HTTP_STATUS_CODE:
        out->number = (uint64_t)file->http_status;
        return file->http_status ? HR_OK : HR_E_NOT_SET;
    case DL_NO_PROGRESS_TIMEOUT: out->number = job->no_progress_timeout; return HR_OK;
    case DL_FOREGROUND_PRIORITY: out->number = job->priority == JOB_PRIORITY_FOREGROUND; return HR_OK;
    case DL_NON_VOLATILE: out->number = job->non_volatile != 0; return HR_OK;
    case DL_HTTP_ALLOW_SECURE_TO_NONSECURE_REDIRECT:
        out->number = (job->security_flags & JOB_REDIRECT_ALLOW_HTTPS_TO_HTTP) != 0;
        return HR_OK;
    case DL_SECURITY_FLAGS: out->number = winhttp_flags_of(job->security_flags); return HR_OK;
    case DL_TOTAL_SIZE_BYTES: return read_total_size(jobs, job, file, out);
    default: return read_row(jobs, job, property, out);
    }
}

/* A final download's rows are gone: its values as they were when it ended answer, when they
 * were kept (Finalize, Abort); else only its Id does. */
static hr_t read_final(const finished_job_t *final, int32_t property, download_value_t *out)
{
    char id_text[DOWNLOAD_ID_SIZE];
    download_id_text(&final->id, id_text);
    if (property == DL_ID)
        return give_text(id_text, out);
    if (!final->values || (size_t)property >= final->value_count)
        return DO_E_INVALID_STATE;
    const char *value = final->values[property];
    if (out->type == DL_VALUE_TEXT)
        return give_text(value, out);
    out->number = value ? strtoull(value, NULL, 10) : 0;
    return value ? HR_OK : HR_E_NOT_SET;
}

static hr_t read_property(jobs_t *jobs, store_job_t *job, const finished_job_t *final, void *context)
{
    get_call_t *call = context;
    if (final)
        return read_final(final, call->property, call->out);
    store_file_t file = {0};
    store_status_t status = store_file_get(jobs->store, &job->id, 0, &file);
    hr_t hr = status == STORE_OK ? read_value(jobs, job, &file, call->property, call->out)
                                 : store_failure(jobs, &job->id, "read the download's file", status);
    store_file_clear(&file);
    return hr;
}

/* Every readable value of a live download, read under one lock (download_values_snapshot). */
static hr_t take_values(jobs_t *jobs, store_job_t *job, const finished_job_t *final, void *context)
{
    char **values = context;
    store_file_t file = {0};
    if (final)
        return DO_E_INVALID_STATE;
    store_status_t status = store_file_get(jobs->store, &job->id, 0, &file);
    if (status != STORE_OK)
        return store_failure(jobs, &job->id, "read the download's file", status);
    for (int32_t p = 0; p < DL_PROPERTY_COUNT; p++) {
        download_value_t v = {.type = properties[p].type};
        if (properties[p].rules & DL_WRITE_ONLY || v.type == DL_VALUE_INTERFACE ||
            read_value(jobs, job, &file, p, &v) != HR_OK)
            continue;
        if (v.type == DL_VALUE_TEXT)
            values[p] = (char *)v.text;
        else if ((values[p] = malloc(24)))
            snprintf(values[p], 24, "%" PRIu64, v.number);
    }
    store_file_clear(&file);
    return HR_OK;
}

void download_values_free(char **values)
{
    for (int32_t p = 0; values && p < DL_PROPERTY_COUNT; p++)
        free(values[p]);
    free(values);
}

char **download_values_snapshot(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    char **values = calloc(DL_PROPERTY_COUNT, sizeof *values);
    if (values && HR_FAILED(with_download(jobs, caller, id, take_values, values))) {
        download_values_free(values);
        values = NULL;
    }
    return values;
}

hr_t downloads_get_property(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                            int32_t property, download_value_t *out)
{
    const download_property_info_t *info = downloads_property_info(property);
    if (!out)
        return HR_E_INVALIDARG;
    memset(out, 0, sizeof *out);
    if (!info)
        return DO_E_UNKNOWN_PROPERTY_ID;
    if (info->rules & DL_WRITE_ONLY)
        return DO_E_WRITE_ONLY_PROPERTY;
    out->type = info->type;
    get_call_t call = {property, out};
    hr_t hr = with_download(jobs, caller, id, read_property, &call);
    if (HR_FAILED(hr)) {
        free((char *)out->text);
        out->text = NULL;
    }
    return hr;
}

int downloads_flag(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, int32_t property)
{
    download_value_t value;
    hr_t hr = downloads_get_property(jobs, caller, id, property, &value);
    return HR_SUCCEEDED(hr) && value.type == DL_VALUE_BOOL && value.number;
}
