/* doadmin /perfsnap: service-wide totals and live figures, named like
 * Get-DeliveryOptimizationPerfSnap's where one exists: files and bytes downloaded since the
 * service started, running and pending downloads, the download rate now, connections, memory,
 * free disk space where downloads land and where the database lives, uptime, the database's
 * size and job count. */
#include "admin_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define WIDTH 26        /* strlen("ForegroundDownloadsPending") */
#define MAX_VOLUMES 8   /* volumes shown: the database's, then those of waiting downloads */
#define VOLUME_MAX 520

typedef struct volumes {
    char names[MAX_VOLUMES][VOLUME_MAX];
    int count;
} volumes_t;

static void volume_add(volumes_t *v, const char *path)
{
    char volume[VOLUME_MAX];
    if (!path || v->count == MAX_VOLUMES)
        return;
    admin_volume_of(path, volume, sizeof volume);
    for (int i = 0; i < v->count; i++)
        if (strcmp(v->names[i], volume) == 0)
            return;
    snprintf(v->names[v->count++], VOLUME_MAX, "%s", volume);
}

/* The volumes of the files of every job that wants to transfer. */
static void download_volumes(const admin_sources_t *src, const caller_t *caller, volumes_t *v)
{
    store_guid_t *ids = NULL;
    size_t count = 0;
    if (HR_FAILED(jobs_list_wanting_transfer(src->jobs, &ids, &count)))
        return;
    for (size_t i = 0; i < count && v->count < MAX_VOLUMES; i++) {
        uint32_t files = 0;
        if (HR_FAILED(jobs_file_count(src->jobs, caller, &ids[i], &files)))
            continue;
        for (uint32_t f = 0; f < files; f++) {
            store_file_t file = {0};
            if (HR_SUCCEEDED(jobs_get_file(src->jobs, caller, &ids[i], f, &file)))
                volume_add(v, file.local_name);
            store_file_clear(&file);
        }
    }
    free(ids);
}

static void disk_fields(text_t *text, const volumes_t *v)
{
    for (int i = 0; i < v->count; i++) {
        uv_fs_t req;
        if (uv_fs_statfs(uv_default_loop(), &req, v->names[i], NULL) == 0) {
            const uv_statfs_t *fs = req.ptr;
            admin_field(text, WIDTH, "TotalDiskBytes", "%llu (%s)",
                        (unsigned long long)(fs->f_blocks * fs->f_bsize), v->names[i]);
            admin_field(text, WIDTH, "AvailableDiskBytes", "%llu (%s)",
                        (unsigned long long)(fs->f_bavail * fs->f_bsize), v->names[i]);
        } else {
            admin_field(text, WIDTH, "AvailableDiskBytes", "unknown (%s: %s)", v->names[i],
                        uv_strerror((int)req.result));
        }
        uv_fs_req_cleanup(&req);
    }
}

static uint64_t file_size(const char *path)
{
    uv_fs_t req;
    uint64_t size = uv_fs_stat(uv_default_loop(), &req, path, NULL) == 0 ? req.statbuf.st_size : 0;
    uv_fs_req_cleanup(&req);
    return size;
}

static void database_fields(text_t *text, const admin_sources_t *src, size_t jobs)
{
    char wal[1100];
    snprintf(wal, sizeof wal, "%s-wal", src->db_path);
    admin_field(text, WIDTH, "JobCount", "%llu", (unsigned long long)jobs);
    admin_field(text, WIDTH, "DatabasePath", "%s", src->db_path);
    admin_field(text, WIDTH, "DatabaseSizeBytes", "%llu",
                (unsigned long long)(file_size(src->db_path) + file_size(wal)));
    admin_field(text, WIDTH, "LogPath", "%s", src->log_path);
}

static void bandwidth_cap(text_t *text, const char *name, uint64_t bytes_per_second)
{
    if (bytes_per_second)
        admin_field(text, WIDTH, name, "%llu bytes/s", (unsigned long long)bytes_per_second);
    else
        admin_field(text, WIDTH, name, "none");
}

static void transfer_fields(text_t *text, const jobs_activity_t *a)
{
    admin_field(text, WIDTH, "FilesDownloaded", "%llu", (unsigned long long)a->files_downloaded);
    admin_field(text, WIDTH, "TotalBytesDownloaded", "%llu", (unsigned long long)a->bytes_downloaded);
    admin_field(text, WIDTH, "AverageDownloadSize", "%llu",
                (unsigned long long)(a->files_downloaded ? a->bytes_downloaded / a->files_downloaded : 0));
    admin_field(text, WIDTH, "DownloadMode", "%d", DO_DOWNLOAD_MODE_SIMPLE);
    admin_field(text, WIDTH, "ForegroundDownloadCount", "%u", a->foreground_running);
    admin_field(text, WIDTH, "ForegroundDownloadsPending", "%u", a->foreground_waiting);
    admin_field(text, WIDTH, "BackgroundDownloadCount", "%u", a->background_running);
    admin_field(text, WIDTH, "BackgroundDownloadsPending", "%u", a->background_waiting);
    admin_field(text, WIDTH, "MaxBackgroundTransfers", "%u", a->max_background);
    bandwidth_cap(text, "BackgroundBandwidthCap", a->background_cap);
    bandwidth_cap(text, "ForegroundBandwidthCap", a->foreground_cap);
    admin_field(text, WIDTH, "DownloadRateBytesPerSec", "%llu", (unsigned long long)a->rate);
    admin_field(text, WIDTH, "DownlinkUsageBps", "%llu", (unsigned long long)a->rate * 8);
    admin_field(text, WIDTH, "HttpConnections", "%u", a->foreground_running + a->background_running);
}

hr_t admin_perfsnap(const admin_sources_t *src, const caller_t *caller, char **report)
{
    jobs_activity_t activity;
    hr_t hr = admin_check_activity(src, caller, report, &activity);
    if (HR_FAILED(hr))
        return hr;
    text_t text = {0};
    char uptime[40];
    admin_format_duration(activity.enabled_ms, uptime, sizeof uptime);
    admin_field(&text, WIDTH, "TransfersEnabled", "%s", activity.transfers_enabled ? "yes" : "no");
    admin_field(&text, WIDTH, "Uptime", "%s", uptime);
    transfer_fields(&text, &activity);
    size_t rss = 0;
    if (uv_resident_set_memory(&rss) == 0)
        admin_field(&text, WIDTH, "MemUsageKB", "%llu", (unsigned long long)(rss / 1024));
    database_fields(&text, src, activity.job_count);
    volumes_t volumes = {.count = 0};
    volume_add(&volumes, src->db_path);
    download_volumes(src, caller, &volumes);
    disk_fields(&text, &volumes);
    return admin_finish(HR_OK, &text, report);
}
