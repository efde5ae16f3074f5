/* Files of a job: AddFile / AddFileSet / AddFileWithRanges, remote and local name rules, byte
 * ranges (DO_E_INVALID_RANGE, DO_E_OVERLAPPING_RANGES, kept in the order given), SetRemoteName, and the
 * DO file properties. */
#include "jobs_internal.h"

#include <ctype.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guid.h"

/* DOFilePropertyId values (do-api.md §5.9). */
enum {
    FILE_PROP_DECRYPTION_INFO, FILE_PROP_INTEGRITY_CHECK_INFO, FILE_PROP_INTEGRITY_CHECK_MANDATORY,
    FILE_PROP_DOWNLOAD_SINK_INTERFACE, FILE_PROP_DOWNLOAD_SINK_FILE_PATH,
    FILE_PROP_DOWNLOAD_SINK_MEMORY_STREAM, FILE_PROP_TOTAL_SIZE_BYTES,
};
#define FILE_PROPERTY_TEXT_MAX 65536 /* UTF-16 units of a DecryptionInfo / IntegrityCheckInfo */

/* ---- names -------------------------------------------------------------------------------------- */

static int is_drive_path(const char *p)
{
    return isalpha((unsigned char)p[0]) && p[1] == ':' && (p[2] == '\\' || p[2] == '/');
}

/* \\server\share\name...: a server, a share and a name in it, none of them empty. */
static int is_unc_path(const char *p)
{
    if (!(p[0] == '\\' && p[1] == '\\') || !p[2] || p[2] == '\\')
        return 0;
    const char *share = strchr(p + 2, '\\');
    if (!share || !share[1] || share[1] == '\\')
        return 0;
    const char *name = strchr(share + 1, '\\');
    return name && name[1] && name[1] != '\\';
}

static int has_control_chars(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return 1;
    return 0;
}

/* An absolute Windows path of a file (a directory ends with a separator), without characters
 * Windows forbids in names. The form is checked before path + 2 is read: only a drive or UNC
 * path is known to be longer than 2 characters. */
static int is_file_path(const char *path)
{
    size_t length = strlen(path);
    if (!length || path[length - 1] == '\\' || path[length - 1] == '/' || has_control_chars(path))
        return 0;
    if (is_drive_path(path))
        return !strpbrk(path + 2, "<>\"|?*:");
    return is_unc_path(path) && !strpbrk(path + 2, "<>\"|?*:");
}

/* RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static int is_scheme(const char *text, size_t length)
{
    if (!length || !isalpha((unsigned char)text[0]))
        return 0;
    for (size_t i = 1; i < length; i++)
        if (!isalnum((unsigned char)text[i]) && text[i] != '+' && text[i] != '-' && text[i] != '.')
            return 0;
    return 1;
}

/* Can libcurl request it? Its URL parser is the last word on an http(s) URL: what it refuses
 * (e.g. an unterminated IPv6 literal "http://[::1", a port above 65535) the transfer could
 * never fetch. */
static int curl_takes(const char *url)
{
    CURLU *u = curl_url();
    int ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK;
    curl_url_cleanup(u);
    return ok;
}

/* http://host[:port]/..., https://..., file://...; any other scheme before "://" is a protocol
 * opendo does not speak, and text that is not a scheme makes no URL at all. */
static hr_t check_url(const char *url, const char *scheme_end)
{
    size_t scheme_length = (size_t)(scheme_end - url);
    const char *rest = scheme_end + 3;
    if (scheme_length == 4 && !strncasecmp(url, "file", 4))
        return rest[0] ? HR_OK : HR_E_INVALIDARG;
    if (!is_scheme(url, scheme_length))
        return HR_E_INVALIDARG; /* not a URL at all */
    int http = (scheme_length == 4 && !strncasecmp(url, "http", 4)) ||
               (scheme_length == 5 && !strncasecmp(url, "https", 5));
    if (!http)
        return HR_E_INVALIDARG; /* BITS: "the remote file name uses an unsupported protocol" */
    if (!rest[0] || rest[0] == '/' || rest[0] == ':' || strpbrk(rest, " \\"))
        return HR_E_INVALIDARG; /* no host, or characters a URL cannot hold */
    return curl_takes(url) ? HR_OK : HR_E_INVALIDARG;
}

hr_t file_check_remote_name(const char *remote)
{
    if (!remote || !remote[0] || !text_fits(remote, JOB_REMOTE_NAME_MAX, 0) ||
        has_control_chars(remote))
        return HR_E_INVALIDARG;
    const char *scheme_end = strstr(remote, "://");
    if (scheme_end)
        return check_url(remote, scheme_end);
    return is_file_path(remote) ? HR_OK : HR_E_INVALIDARG;
}

hr_t file_check_local_name(const char *local)
{
    if (!local || !text_fits(local, JOB_LOCAL_NAME_MAX, 0))
        return HR_E_INVALIDARG;
    return is_file_path(local) ? HR_OK : HR_E_INVALIDARG;
}

/* The hidden temporary file beside the destination: "<dir>\~opendo-<job>-<index>.tmp". */
hr_t file_temp_name(const char *local, const store_guid_t *job, uint32_t index, char **out)
{
    *out = NULL;
    if (!local)
        return HR_OK;
    const char *slash = strrchr(local, '\\');
    const char *forward = strrchr(local, '/');
    if (!slash || (forward && forward > slash))
        slash = forward;
    char id[GUID_STRING_SIZE];
    guid_format(job, id);
    size_t dir_length = (size_t)(slash - local);
    size_t size = dir_length + 40;
    if (!(*out = malloc(size)))
        return HR_E_OUTOFMEMORY;
    snprintf(*out, size, "%.*s\\~opendo-%.8s-%" PRIu32 ".tmp", (int)dir_length, local, id + 1, index);
    return HR_OK;
}

/* ---- ranges ----------------------------------------------------------------------------------- */

/* By offset; ranges sharing an offset longest first, so that a repeated offset is always seen as
 * an overlap, whatever the input order and whatever qsort's stability (msvcrt's is unstable). */
static int compare_offsets(const void *a, const void *b)
{
    const store_range_t *x = a, *y = b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return x->length > y->length ? -1 : x->length < y->length;
}

/* Checks ranges in offset order (an overlap is judged there, whatever the input order); *checked
 * is a malloc'ed copy in the order given or, with by_offset, sorted (NULL when count is 0). */
hr_t file_check_ranges(const store_range_t *ranges, size_t count, uint64_t file_size, int by_offset,
                       store_range_t **checked)
{
    *checked = NULL;
    if (!count)
        return HR_OK;
    if (!ranges)
        return HR_E_INVALIDARG;
    store_range_t *copy = malloc(count * sizeof *copy);
    if (!copy)
        return HR_E_OUTOFMEMORY;
    memcpy(copy, ranges, count * sizeof *copy);
    qsort(copy, count, sizeof *copy, compare_offsets);
    hr_t hr = HR_OK;
    for (size_t i = 0; i < count && HR_SUCCEEDED(hr); i++) {
        const store_range_t *r = &copy[i];
        int to_eof = r->length == JOB_SIZE_UNKNOWN;
        if (i > 0 && (copy[i - 1].length == JOB_SIZE_UNKNOWN ||
                      copy[i - 1].offset + copy[i - 1].length > r->offset))
            hr = DO_E_OVERLAPPING_RANGES; /* also a repeated offset: (100,5) then (100,0) */
        else if (r->offset == JOB_SIZE_UNKNOWN || r->length == 0 || r->offset > INT64_MAX ||
                 (!to_eof && r->length > UINT64_MAX - r->offset))
            hr = DO_E_INVALID_RANGE;
        else if (file_size != JOB_SIZE_UNKNOWN &&
                 (r->offset >= file_size || (!to_eof && r->offset + r->length > file_size)))
            hr = DO_E_INVALID_RANGE; /* outside the file */
    }
    /* In the order given, a range to the end of the file comes last: the place of what would
     * follow it depends on a size not yet known. */
    for (size_t i = 0; !by_offset && HR_SUCCEEDED(hr) && i + 1 < count; i++)
        if (ranges[i].length == JOB_SIZE_UNKNOWN)
            hr = DO_E_INVALID_RANGE;
    if (HR_FAILED(hr)) {
        free(copy);
        return hr;
    }
    if (!by_offset)
        memcpy(copy, ranges, count * sizeof *copy);
    *checked = copy;
    return hr;
}

/* Bytes a ranged file will hold: the sum of its ranges (unknown if one runs to an unknown end). */
uint64_t file_ranges_total(const store_range_t *ranges, size_t count, uint64_t file_size)
{
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++) {
        if (ranges[i].length != JOB_SIZE_UNKNOWN)
            total += ranges[i].length;
        else if (file_size != JOB_SIZE_UNKNOWN)
            total += file_size - ranges[i].offset;
        else
            return JOB_SIZE_UNKNOWN;
    }
    return total;
}

/* ---- adding files ------------------------------------------------------------------------------ */

/* Everything checked and prepared for one batch of files, freed by free_batch. */
typedef struct file_batch {
    size_t count;
    store_file_t *rows;
    store_range_t **ranges;
    size_t *range_counts;
} file_batch_t;

static void free_batch(file_batch_t *batch)
{
    for (size_t i = 0; i < batch->count; i++) {
        free(batch->rows[i].temp_name);
        free(batch->ranges[i]);
    }
    free(batch->rows);
    free(batch->ranges);
    free(batch->range_counts);
}

static hr_t check_file_spec(const job_file_spec_t *spec, uint32_t max_ranges)
{
    hr_t hr = file_check_remote_name(spec->remote_name);
    if (HR_SUCCEEDED(hr) && spec->local_name)
        hr = file_check_local_name(spec->local_name);
    if (HR_SUCCEEDED(hr) && !text_fits(spec->file_id, JOB_REMOTE_NAME_MAX, 1))
        hr = HR_E_INVALIDARG;
    if (HR_SUCCEEDED(hr) && spec->range_count > max_ranges)
        hr = HR_BG_E_TOO_MANY_RANGES_IN_FILE;
    return hr;
}

static hr_t prepare_file(const store_guid_t *job, uint32_t index, const job_file_spec_t *spec,
                         uint32_t max_ranges, file_batch_t *batch, size_t slot)
{
    hr_t hr = check_file_spec(spec, max_ranges);
    if (HR_SUCCEEDED(hr))
        hr = file_check_ranges(spec->ranges, spec->range_count, spec->file_size, 0, &batch->ranges[slot]);
    if (HR_FAILED(hr))
        return hr;
    store_file_t *row = &batch->rows[slot];
    row->job_id = *job;
    row->index = index;
    row->file_id = (char *)spec->file_id;
    row->remote_name = (char *)spec->remote_name;
    row->local_name = (char *)spec->local_name;
    row->bytes_total = spec->range_count
                           ? file_ranges_total(batch->ranges[slot], spec->range_count, spec->file_size)
                           : spec->file_size;
    batch->range_counts[slot] = spec->range_count;
    return file_temp_name(spec->local_name, job, index, &row->temp_name);
}

static hr_t prepare_batch(const store_guid_t *job, uint32_t first_index, const job_file_spec_t *files,
                          size_t count, uint32_t max_ranges, file_batch_t *batch)
{
    batch->rows = calloc(count, sizeof *batch->rows);
    batch->ranges = calloc(count, sizeof *batch->ranges);
    batch->range_counts = calloc(count, sizeof *batch->range_counts);
    if (!batch->rows || !batch->ranges || !batch->range_counts)
        return HR_E_OUTOFMEMORY;
    batch->count = count;
    hr_t hr = HR_OK;
    for (size_t i = 0; i < count && HR_SUCCEEDED(hr); i++)
        hr = prepare_file(job, first_index + (uint32_t)i, &files[i], max_ranges, batch, i);
    return hr;
}

typedef struct add_files {
    const job_file_spec_t *files;
    size_t count;
    uint32_t first_index;
    const caller_t *caller;
} add_files_t;

static hr_t apply_add_files(jobs_t *jobs, store_job_t *job, void *context)
{
    add_files_t *add = context;
    for (size_t i = 0; job_has_custom_http_method(job) && i < add->count; i++)
        if (add->files[i].range_count) /* ranges need GET (job_http_method.c) */
            return HR_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD;
    store_status_t status = store_file_count(jobs->store, &job->id, &add->first_index);
    if (status != STORE_OK)
        return store_failure(jobs, &job->id, "count files", status);
    jobs_limits_t limits = job_limits_for(jobs, job->kind, add->caller);
    if (add->count > limits.max_files_per_job - add->first_index ||
        add->first_index > limits.max_files_per_job)
        return HR_BG_E_TOO_MANY_FILES_IN_JOB;
    file_batch_t batch = {0};
    hr_t hr = prepare_batch(&job->id, add->first_index, add->files, add->count,
                            limits.max_ranges_per_file, &batch);
    if (HR_SUCCEEDED(hr)) {
        status = store_files_insert(jobs->store, batch.rows, add->count,
                                    (const store_range_t *const *)batch.ranges, batch.range_counts);
        if (status != STORE_OK)
            hr = store_failure(jobs, &job->id, "add files", status);
    }
    free_batch(&batch);
    return hr;
}

hr_t jobs_add_files(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                    const job_file_spec_t *files, size_t count, uint32_t *first_index)
{
    if (!files || !count)
        return HR_E_INVALIDARG;
    add_files_t add = {files, count, 0, caller};
    char owner[CALLER_SID_MAX];
    hr_t hr = change_job(jobs, caller, id, apply_add_files, &add, owner);
    if (HR_SUCCEEDED(hr)) {
        log_event(LOG_INFO, id, owner, "job.files", "%lu file(s) added by %s, first \"%s\" -> \"%s\"",
                  (unsigned long)count, caller->sid, files[0].remote_name,
                  files[0].local_name ? files[0].local_name : "(sink not set)");
        if (first_index)
            *first_index = add.first_index;
    }
    return hr;
}

/* ---- reading files -------------------------------------------------------------------------------- */

typedef struct file_use {
    uint32_t index;
    file_change_fn use;
    void *context;
} file_use_t;

/* Loads one file of a loaded job and hands both to the file function. */
static hr_t use_file(jobs_t *jobs, store_job_t *job, void *context)
{
    file_use_t *fu = context;
    store_file_t file = {0};
    store_status_t status = store_file_get(jobs->store, &job->id, fu->index, &file);
    hr_t hr = status == STORE_NOT_FOUND ? HR_E_INVALIDARG
            : status != STORE_OK        ? store_failure(jobs, &job->id, "read file", status)
                                        : fu->use(jobs, job, &file, fu->context);
    store_file_clear(&file);
    return hr;
}

hr_t with_file(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t index,
               file_change_fn use, void *context)
{
    file_use_t fu = {index, use, context};
    return with_job(jobs, caller, id, use_file, &fu);
}

static hr_t take_file(jobs_t *jobs, store_job_t *job, store_file_t *file, void *context)
{
    (void)jobs, (void)job;
    *(store_file_t *)context = *file; /* hand the row over; nothing left to free here */
    memset(file, 0, sizeof *file);
    return HR_OK;
}

hr_t jobs_get_file(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t index,
                   store_file_t *out)
{
    if (!out)
        return HR_E_INVALIDARG;
    memset(out, 0, sizeof *out);
    return with_file(jobs, caller, id, index, take_file, out);
}

static hr_t count_files(jobs_t *jobs, store_job_t *job, void *context)
{
    store_status_t status = store_file_count(jobs->store, &job->id, context);
    return status == STORE_OK ? HR_OK : store_failure(jobs, &job->id, "count files", status);
}

hr_t jobs_file_count(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t *count)
{
    return count ? with_job(jobs, caller, id, count_files, count) : HR_E_INVALIDARG;
}

static hr_t read_ranges(jobs_t *jobs, store_job_t *job, store_file_t *file, void *context)
{
    range_list_t *list = context;
    store_status_t status = store_file_ranges(jobs->store, &job->id, file->index, list->ranges,
                                              list->count);
    return status == STORE_OK ? HR_OK : store_failure(jobs, &job->id, "read ranges", status);
}

hr_t jobs_get_file_ranges(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                          uint32_t index, store_range_t **ranges, size_t *count)
{
    if (!ranges || !count)
        return HR_E_INVALIDARG;
    *ranges = NULL;
    *count = 0;
    range_list_t list = {ranges, count};
    return with_file(jobs, caller, id, index, read_ranges, &list);
}

/* ---- changing files ------------------------------------------------------------------------------ */

/* A file change followed by the file's write-back. */
static hr_t change_and_store_file(jobs_t *jobs, store_job_t *job, store_file_t *file, void *context)
{
    const file_use_t *change = context;
    hr_t hr = change->use(jobs, job, file, change->context);
    if (hr != HR_OK)
        return hr;
    store_status_t status = store_file_update(jobs->store, file);
    return status == STORE_OK ? HR_OK : store_failure(jobs, &job->id, "update file", status);
}

hr_t change_file(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                 uint32_t index, file_change_fn change, void *context, char *owner)
{
    file_use_t inner = {index, change, context};
    file_use_t outer = {index, change_and_store_file, &inner};
    return change_job(jobs, caller, id, use_file, &outer, owner);
}

static hr_t apply_remote_name(jobs_t *jobs, store_job_t *job, store_file_t *file, void *context)
{
    (void)jobs, (void)job;
    return replace_text(&file->remote_name, context);
}

hr_t jobs_set_remote_name(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                          uint32_t index, const char *remote_name)
{
    char owner[CALLER_SID_MAX];
    hr_t hr = file_check_remote_name(remote_name);
    if (HR_SUCCEEDED(hr))
        hr = change_file(jobs, caller, id, index, apply_remote_name, (void *)remote_name, owner);
    if (HR_SUCCEEDED(hr)) {
        log_event(LOG_INFO, id, owner, "job.remote", "file %u remote name set to \"%s\" by %s",
                  index, remote_name, caller->sid);
        scheduler_job_changed(jobs, id, 1); /* a running transfer restarts with the new name */
    }
    return hr;
}

typedef struct prefix_change {
    const char *old_prefix, *new_prefix;
    unsigned replaced;
} prefix_change_t;

/* new_prefix + the rest of remote after old_prefix, or NULL (no match / no memory: *hr says). */
static char *replace_prefix(const char *remote, const prefix_change_t *change, hr_t *hr)
{
    size_t old_length = strlen(change->old_prefix);
    *hr = HR_OK;
    if (strncasecmp(remote, change->old_prefix, old_length))
        return NULL;
    size_t size = strlen(change->new_prefix) + strlen(remote + old_length) + 1;
    char *result = malloc(size);
    if (!result)
        *hr = HR_E_OUTOFMEMORY;
    else
        snprintf(result, size, "%s%s", change->new_prefix, remote + old_length);
    return result;
}

static hr_t rename_one_file(jobs_t *jobs, const store_guid_t *id, uint32_t index,
                            prefix_change_t *change)
{
    store_file_t file = {0};
    store_status_t status = store_file_get(jobs->store, id, index, &file);
    hr_t hr = status == STORE_OK ? HR_OK : store_failure(jobs, id, "read file", status);
    char *renamed = HR_SUCCEEDED(hr) ? replace_prefix(file.remote_name, change, &hr) : NULL;
    if (renamed && HR_SUCCEEDED(hr = file_check_remote_name(renamed))) {
        free(file.remote_name);
        file.remote_name = renamed;
        renamed = NULL;
        status = store_file_update(jobs->store, &file);
        hr = status == STORE_OK ? HR_OK : store_failure(jobs, id, "update file", status);
        change->replaced += HR_SUCCEEDED(hr);
    }
    free(renamed);
    store_file_clear(&file);
    return hr;
}

static hr_t apply_prefix(jobs_t *jobs, store_job_t *job, void *context)
{
    uint32_t count = 0;
    store_status_t status = store_file_count(jobs->store, &job->id, &count);
    hr_t hr = status == STORE_OK ? HR_OK : store_failure(jobs, &job->id, "count files", status);
    for (uint32_t i = 0; i < count && HR_SUCCEEDED(hr); i++)
        hr = rename_one_file(jobs, &job->id, i, context);
    return hr;
}

hr_t jobs_replace_remote_prefix(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                                const char *old_prefix, const char *new_prefix)
{
    if (!old_prefix || !old_prefix[0] || !new_prefix || !new_prefix[0] ||
        !text_fits(old_prefix, JOB_REMOTE_NAME_MAX, 0) || !text_fits(new_prefix, JOB_REMOTE_NAME_MAX, 0))
        return HR_E_INVALIDARG;
    prefix_change_t change = {old_prefix, new_prefix, 0};
    char owner[CALLER_SID_MAX];
    hr_t hr = change_job(jobs, caller, id, apply_prefix, &change, owner);
    if (HR_SUCCEEDED(hr)) {
        log_event(LOG_INFO, id, owner, "job.remote",
                  "remote prefix \"%s\" replaced by \"%s\" in %u file(s) by %s", old_prefix,
                  new_prefix, change.replaced, caller->sid);
        if (change.replaced)
            scheduler_job_changed(jobs, id, 1);
    }
    return hr;
}

/* IBackgroundCopyFile3::SetValidationState, as BITS: only once the file is whole (E_PENDING
 * before). FALSE (opendo has no peers: the bytes came from the origin or a cache host) puts the
 * job in ERROR with BG_E_VALIDATION_FAILED and the file's progress back to 0: Resume downloads it
 * again, and Complete cannot put the rejected bytes in place. */
static hr_t apply_validation(jobs_t *jobs, store_job_t *job, store_file_t *file, void *context)
{
    int valid = *(const int *)context != 0;
    if (file->bytes_total == UINT64_MAX || file->bytes_transferred < file->bytes_total)
        return HR_E_PENDING;
    file->validation_state = valid;
    if (valid)
        return HR_OK;
    file->bytes_transferred = 0;
    file->completed = 0;
    job->state = JOB_STATE_ERROR;
    job->error_context = JOB_ERROR_CONTEXT_REMOTE_FILE;
    job->error_code = (uint32_t)HR_BG_E_VALIDATION_FAILED;
    job->error_file_index = (int32_t)file->index;
    job->error_count++;
    replace_text(&job->error_detail, "the application declared the downloaded file invalid (SetValidationState(FALSE))");
    jobs_emit(jobs, job, JOBS_EVENT_ERROR, JOBS_NO_FILE);
    return HR_OK;
}

hr_t jobs_set_file_validation(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                              uint32_t index, int valid)
{
    char owner[CALLER_SID_MAX];
    hr_t hr = change_file(jobs, caller, id, index, apply_validation, &valid, owner);
    if (hr == HR_OK && !valid) {
        log_event(LOG_WARN, id, owner, "job.error", "file %u declared invalid by %s (SetValidationState(FALSE)): "
                  "ERROR 0x80200053 BG_E_VALIDATION_FAILED, its progress back to 0", (unsigned)index, caller->sid);
        scheduler_job_changed(jobs, id, 1); /* the job is in ERROR: a transfer of its next file stops */
    }
    return hr;
}

/* ---- DO file properties ------------------------------------------------------------------------- */

typedef struct file_property {
    int32_t id;
    const char *value;
} file_property_t;

static int parse_u64(const char *text, uint64_t *out)
{
    if (!text || !isdigit((unsigned char)text[0]))
        return 0;
    char *end;
    unsigned long long value = strtoull(text, &end, 10);
    *out = value;
    return *end == '\0' && value != ULLONG_MAX;
}

static hr_t apply_sink_path(jobs_t *jobs, store_job_t *job, store_file_t *file, const char *path)
{
    (void)jobs;
    hr_t hr = file_check_local_name(path);
    if (HR_SUCCEEDED(hr))
        hr = replace_text(&file->local_name, path);
    free(file->temp_name);
    file->temp_name = NULL;
    return HR_SUCCEEDED(hr) ? file_temp_name(path, &job->id, file->index, &file->temp_name) : hr;
}

static hr_t apply_file_property(jobs_t *jobs, store_job_t *job, store_file_t *file, void *context)
{
    const file_property_t *p = context;
    uint64_t size;
    if (job->state != JOB_STATE_SUSPENDED && job->state != JOB_STATE_ERROR &&
        job->state != JOB_STATE_TRANSIENT_ERROR)
        return DO_E_INVALID_STATE; /* not while the file is queued, moving or done */
    switch (p->id) {
    case FILE_PROP_DOWNLOAD_SINK_FILE_PATH:
        return apply_sink_path(jobs, job, file, p->value);
    case FILE_PROP_TOTAL_SIZE_BYTES:
        if (!parse_u64(p->value, &size))
            return HR_E_INVALIDARG;
        file->bytes_total = size;
        return HR_OK;
    default: {
        store_status_t status = store_file_property_set(jobs->store, &job->id, file->index, p->id, p->value);
        return status == STORE_OK ? HR_OK : store_failure(jobs, &job->id, "set file property", status);
    }
    }
}

static hr_t check_file_property_value(int32_t property, const char *value)
{
    switch (property) {
    case FILE_PROP_DECRYPTION_INFO:
    case FILE_PROP_INTEGRITY_CHECK_INFO:
        return text_fits(value, FILE_PROPERTY_TEXT_MAX, 0) ? HR_OK : HR_E_INVALIDARG;
    case FILE_PROP_INTEGRITY_CHECK_MANDATORY:
        return value && (!strcmp(value, "0") || !strcmp(value, "1")) ? HR_OK : HR_E_INVALIDARG;
    case FILE_PROP_DOWNLOAD_SINK_FILE_PATH:
    case FILE_PROP_TOTAL_SIZE_BYTES:
        return value ? HR_OK : HR_E_INVALIDARG;
    case FILE_PROP_DOWNLOAD_SINK_INTERFACE:
        return HR_E_NOTIMPL; /* a stream in the client's process cannot be a service's sink */
    case FILE_PROP_DOWNLOAD_SINK_MEMORY_STREAM:
        return DO_E_MEMORYSTREAM_DOWNLOAD_NOT_SUPPORTED;
    default:
        return DO_E_UNKNOWN_PROPERTY_ID;
    }
}

hr_t jobs_set_file_property(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                            uint32_t index, int32_t property, const char *value)
{
    hr_t hr = check_file_property_value(property, value);
    file_property_t p = {property, value};
    char owner[CALLER_SID_MAX];
    if (HR_SUCCEEDED(hr))
        hr = change_file(jobs, caller, id, index, apply_file_property, &p, owner);
    if (HR_SUCCEEDED(hr))
        log_event(LOG_INFO, id, owner, "job.change", "file %u property %d set by %s", index,
                  property, caller->sid);
    return hr;
}

static hr_t copy_text(const char *value, char **out)
{
    return value && (*out = strdup(value)) ? HR_OK : value ? HR_E_OUTOFMEMORY : HR_E_NOT_SET;
}

/* Reads one property of a loaded file (lock held). */
static hr_t read_file_property(jobs_t *jobs, const store_file_t *file, int32_t property, char **out)
{
    char number[24];
    switch (property) {
    case FILE_PROP_DECRYPTION_INFO:
    case FILE_PROP_INTEGRITY_CHECK_INFO:
        return DO_E_WRITE_ONLY_PROPERTY;
    case FILE_PROP_DOWNLOAD_SINK_FILE_PATH:
        return copy_text(file->local_name, out);
    case FILE_PROP_TOTAL_SIZE_BYTES:
        if (file->bytes_total == JOB_SIZE_UNKNOWN)
            return HR_E_NOT_SET;
        snprintf(number, sizeof number, "%" PRIu64, file->bytes_total);
        return copy_text(number, out);
    case FILE_PROP_INTEGRITY_CHECK_MANDATORY: {
        store_status_t status = store_file_property_get(jobs->store, &file->job_id, file->index, property, out);
        return status == STORE_OK ? HR_OK : status == STORE_NOT_FOUND ? HR_E_NOT_SET
                                  : store_failure(jobs, &file->job_id, "read file property", status);
    }
    case FILE_PROP_DOWNLOAD_SINK_INTERFACE:
        return HR_E_NOT_SET;
    case FILE_PROP_DOWNLOAD_SINK_MEMORY_STREAM:
        return DO_E_MEMORYSTREAM_DOWNLOAD_NOT_SUPPORTED;
    default:
        return DO_E_UNKNOWN_PROPERTY_ID;
    }
}

typedef struct property_read {
    int32_t property;
    char **value;
} property_read_t;

static hr_t read_property(jobs_t *jobs, store_job_t *job, store_file_t *file, void *context)
{
    (void)job;
    const property_read_t *read = context;
    return read_file_property(jobs, file, read->property, read->value);
}

hr_t jobs_get_file_property(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                            uint32_t index, int32_t property, char **value)
{
    if (!value)
        return HR_E_INVALIDARG;
    *value = NULL;
    property_read_t read = {property, value};
    return with_file(jobs, caller, id, index, read_property, &read);
}
