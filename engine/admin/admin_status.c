/* doadmin /status [job]: one block per file, with the fields of Get-DeliveryOptimizationStatus
 * that opendo can fill (peer figures are 0: no peers; the origin's and the cache hosts' apart), and
 * the job's id, name, state, owner and the file's local path. IDODownload downloads are listed
 * too, with their DownloadState. */
#include "admin_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "downloads.h"
#include "guid.h"

#define WIDTH 20 /* strlen("TotalBytesDownloaded") */

static const char *job_state_text(int32_t state)
{
    static const char *names[] = {"QUEUED", "CONNECTING", "TRANSFERRING", "SUSPENDED", "ERROR",
                                  "TRANSIENT_ERROR", "TRANSFERRED", "ACKNOWLEDGED", "CANCELLED"};
    return (uint32_t)state < sizeof names / sizeof *names ? names[state] : "?";
}

/* DO's Status: Downloading (its transfer runs), Complete (all bytes), else Paused. */
static const char *file_status(const store_file_t *file, const jobs_job_activity_t *activity)
{
    if (file->bytes_total != JOB_SIZE_UNKNOWN && file->bytes_transferred == file->bytes_total &&
        (file->bytes_total > 0 || file->response_headers))
        return "Complete";
    return activity->running && activity->file_index == file->index ? "Downloading" : "Paused";
}

static void job_fields(text_t *text, const store_job_t *job)
{
    char id[GUID_STRING_SIZE];
    guid_format(&job->id, id);
    admin_field(text, WIDTH, "JobId", "%s", id);
    admin_field(text, WIDTH, "JobName", "%s", job->display_name ? job->display_name : "");
    admin_field(text, WIDTH, "JobState", "%s", job_state_text(job->state));
    if (job->kind == STORE_KIND_DOWNLOAD) /* the state its IDODownload client sees */
        admin_field(text, WIDTH, "DownloadState", "%s", downloads_state_name(downloads_state_of(job)));
    admin_field(text, WIDTH, "Owner", "%s", job->owner_sid ? job->owner_sid : "-");
}

/* The file's statistics so far: its ended transfers (the file row), and the running one. */
static void file_fields(const admin_sources_t *src, text_t *text, const store_job_t *job,
                        const store_file_t *file, const jobs_job_activity_t *activity)
{
    char id[GUID_STRING_SIZE], expires[40];
    int running = activity->running && activity->file_index == file->index;
    int via_cache = running && activity->cache_host[0]; /* the running transfer's bytes go there */
    guid_format(&job->id, id);
    if (file->file_id)
        admin_field(text, WIDTH, "FileId", "%s", file->file_id);
    else
        admin_field(text, WIDTH, "FileId", "%s:%u", id, file->index);
    if (file->bytes_total == JOB_SIZE_UNKNOWN)
        admin_field(text, WIDTH, "FileSize", "UNKNOWN");
    else
        admin_field(text, WIDTH, "FileSize", "%llu", (unsigned long long)file->bytes_total);
    admin_field(text, WIDTH, "TotalBytesDownloaded", "%llu", (unsigned long long)file->bytes_transferred);
    admin_field(text, WIDTH, "PercentPeerCaching", "0");
    admin_field(text, WIDTH, "BytesFromPeers", "0");
    admin_field(text, WIDTH, "BytesFromHttp", "%llu",
                (unsigned long long)(file->bytes_from_http + (running && !via_cache ? activity->transfer_bytes : 0)));
    admin_field(text, WIDTH, "BytesFromCacheServer", "%llu",
                (unsigned long long)(file->bytes_from_cache + (via_cache ? activity->transfer_bytes : 0)));
    admin_field(text, WIDTH, "CacheHost", "%s", job->cache_host ? job->cache_host : "-");
    admin_field(text, WIDTH, "Status", "%s", file_status(file, activity));
    admin_field(text, WIDTH, "Priority", "%s",
                job->priority == JOB_PRIORITY_FOREGROUND ? "Foreground" : "Background");
    uint64_t ms = file->download_ms + (running ? activity->transfer_ms : 0);
    admin_field(text, WIDTH, "DownloadDuration", "%02llu:%02llu:%02llu.%03llu",
                (unsigned long long)(ms / 3600000), (unsigned long long)(ms / 60000 % 60),
                (unsigned long long)(ms / 1000 % 60), (unsigned long long)(ms % 1000));
    admin_field(text, WIDTH, "HttpConnectionCount", "%u", file->http_connections + (running && !via_cache ? 1u : 0u));
    admin_field(text, WIDTH, "DownloadMode", "%s", admin_download_mode(src));
    admin_field(text, WIDTH, "SourceURL", "%s", file->remote_name ? file->remote_name : "");
    admin_field(text, WIDTH, "LocalPath", "%s", file->local_name ? file->local_name : "(not set)");
    int days;
    admin_expiry(src, job, expires, sizeof expires, &days);
    admin_field(text, WIDTH, "ExpireOn", "%s", expires);
}

/* The blocks of one job: one per file (a job without files: its job fields alone). */
static hr_t job_blocks(const admin_sources_t *src, const caller_t *caller, const store_guid_t *id,
                       text_t *text)
{
    store_job_t job = {0};
    uint32_t count = 0;
    hr_t hr = jobs_get(src->jobs, caller, id, &job);
    if (HR_SUCCEEDED(hr))
        hr = jobs_file_count(src->jobs, caller, id, &count);
    jobs_job_activity_t activity;
    if (HR_SUCCEEDED(hr))
        hr = jobs_job_activity(src->jobs, id, &activity);
    for (uint32_t i = 0; HR_SUCCEEDED(hr) && i < count; i++) {
        store_file_t file = {0};
        hr = jobs_get_file(src->jobs, caller, id, i, &file);
        if (HR_SUCCEEDED(hr)) {
            job_fields(text, &job);
            file_fields(src, text, &job, &file, &activity);
            text_puts(text, "\n");
        }
        store_file_clear(&file);
    }
    if (HR_SUCCEEDED(hr) && count == 0) {
        job_fields(text, &job);
        admin_field(text, WIDTH, "Files", "0");
        text_puts(text, "\n");
    }
    store_job_clear(&job);
    return hr;
}

hr_t admin_status(const admin_sources_t *src, const caller_t *caller, const store_guid_t *job,
                  char **report)
{
    hr_t hr = admin_check(caller, report);
    if (HR_FAILED(hr))
        return hr;
    text_t text = {0};
    if (job) {
        hr = job_blocks(src, caller, job, &text);
    } else {
        store_guid_t *ids = NULL;
        size_t count = 0;
        hr = jobs_list_with_downloads(src->jobs, caller, JOB_ENUM_ALL_USERS, &ids, &count);
        for (size_t i = 0; HR_SUCCEEDED(hr) && i < count && i < ADMIN_STATUS_MAX_JOBS; i++) {
            hr = job_blocks(src, caller, &ids[i], &text);
            if (hr == DO_E_JOB_NOT_FOUND || hr == DO_E_INVALID_STATE)
                hr = HR_OK; /* ended while the report was made */
        }
        if (count > ADMIN_STATUS_MAX_JOBS)
            text_printf(&text, "(%llu more job(s) not shown: doadmin /status <job> shows one)\n",
                        (unsigned long long)(count - ADMIN_STATUS_MAX_JOBS));
        free(ids);
    }
    return admin_finish(hr, &text, report);
}
