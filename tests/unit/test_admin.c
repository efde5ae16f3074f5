/* The admin reports (engine/admin): refused to every caller that is not an administrator, and
 * what /status, /why, /perfsnap, /config and /log say about real jobs: suspended, failed
 * (a missing file:// source), retrying (a refused connection), finished, unknown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs_fixture.h" /* check.h, jobs.h, log.h, the callers alice/bob/admin */
#include "admin.h"
#include "downloads.h"
#include "guid.h"

static fixture_t f;
static settings_t settings;
static admin_sources_t sources;

static char *describe_error(uint32_t code)
{
    char *text = malloc(64);
    if (text)
        snprintf(text, 64, "text of 0x%08X", (unsigned)code);
    return text;
}

static char *describe_context(int32_t context)
{
    char *text = malloc(64);
    if (text)
        snprintf(text, 64, "context text %d", (int)context);
    return text;
}

static int has(const char *report, const char *part)
{
    int found = report && strstr(report, part) != NULL;
    if (!found)
        printf("#   missing \"%s\"\n", part);
    return found;
}

static store_guid_t new_job(const char *name, const char *remote, const char *local)
{
    store_guid_t id = {{0}};
    CHECK_HR(jobs_create(f.jobs, alice(), name, JOB_TYPE_DOWNLOAD, &id), HR_OK, name);
    if (remote) {
        job_file_spec_t file = {.remote_name = remote, .local_name = local, .file_size = JOB_SIZE_UNKNOWN};
        CHECK_HR(jobs_add_files(f.jobs, alice(), &id, &file, 1, NULL), HR_OK, "its file is added");
    }
    return id;
}

/* Waits (at most 10 s) until the job is in state. */
static int wait_state(const store_guid_t *id, int32_t state)
{
    for (int i = 0; i < 200; i++) {
        int32_t now = -1;
        jobs_state(f.jobs, admin(), id, &now);
        if (now == state)
            return 1;
        sleep_ms(50);
    }
    return 0;
}

static void test_refused(void)
{
    store_guid_t id = new_job("refusal", NULL, NULL);
    char *report = (char *)1;
    log_query_t query = {0};
    const caller_t *users[] = {alice(), bob()};
    for (int i = 0; i < 2; i++) {
        int refused = admin_status(&sources, users[i], NULL, &report) == HR_E_ACCESSDENIED && !report;
        report = (char *)1;
        refused &= admin_status(&sources, users[i], &id, &report) == HR_E_ACCESSDENIED && !report;
        report = (char *)1;
        refused &= admin_explain(&sources, users[i], &id, &report) == HR_E_ACCESSDENIED && !report;
        report = (char *)1;
        refused &= admin_perfsnap(&sources, users[i], &report) == HR_E_ACCESSDENIED && !report;
        report = (char *)1;
        refused &= admin_config(&sources, users[i], &report) == HR_E_ACCESSDENIED && !report;
        report = (char *)1;
        refused &= admin_read_log(users[i], &query, &report) == HR_E_ACCESSDENIED && !report;
        CHECK(refused, i ? "every report is E_ACCESSDENIED for another ordinary user (bob)"
                         : "every report is E_ACCESSDENIED for an ordinary user, even about her own job");
    }
    CHECK_HR(admin_status(&sources, admin(), &id, NULL), HR_E_INVALIDARG, "a NULL report is E_INVALIDARG");
    CHECK_HR(admin_explain(&sources, admin(), NULL, &report), HR_E_INVALIDARG, "/why of no job is E_INVALIDARG");
    jobs_cancel(f.jobs, admin(), &id);
}

static void test_status(void)
{
    store_guid_t id = new_job("status job", "http://example.invalid/a.bin", "C:/dl/a.bin");
    job_file_spec_t second = {.remote_name = "http://example.invalid/b.bin", .local_name = "C:/dl/b.bin",
                              .file_size = JOB_SIZE_UNKNOWN};
    jobs_add_files(f.jobs, alice(), &id, &second, 1, NULL);
    char id_text[GUID_STRING_SIZE], *report = NULL;
    guid_format(&id, id_text);
    CHECK_HR(admin_status(&sources, admin(), &id, &report), HR_OK, "/status job: S_OK for an administrator");
    char line[120];
    snprintf(line, sizeof line, "JobId                : %s\n", id_text);
    int blocks = 0;
    for (const char *p = report; p && (p = strstr(p, line)); p++)
        blocks++;
    CHECK(blocks == 2, "/status job: one block per file");
    snprintf(line, sizeof line, "FileId               : %s:1\n", id_text);
    CHECK(has(report, "JobState             : SUSPENDED\n") && has(report, "Owner                : S-1-5-21-1-1-1-1001\n") &&
              has(report, "FileSize             : UNKNOWN\n") && has(report, "TotalBytesDownloaded : 0\n") &&
              has(report, "Status               : Paused\n") && has(report, "Priority             : Background\n") &&
              has(report, "DownloadMode         : 99 (Simple: the origin and cache hosts, no peers)\n") &&
              has(report, "BytesFromPeers       : 0\n") && has(report, "BytesFromCacheServer : 0\n") &&
              has(report, "BytesFromHttp        : 0\n") && has(report, "CacheHost            : -\n") &&
              has(report, "SourceURL            : http://example.invalid/b.bin\n") && has(report, line) &&
              has(report, "DownloadDuration     : 00:00:00.000\n") && has(report, "ExpireOn             : 20"),
          "/status job: the DO status fields, with the values of the job and its files");
    free(report);

    store_guid_t other = new_job("another", NULL, NULL);
    CHECK_HR(admin_status(&sources, admin(), NULL, &report), HR_OK, "/status: every job of every user");
    guid_format(&other, id_text);
    CHECK(has(report, id_text) && has(report, "Files                : 0\n"), "/status: a job without files has one block");
    CHECK(!strstr(report, "more job(s) not shown"), "/status: every job of a short queue");
    free(report);

    /* A long queue: the oldest ADMIN_STATUS_MAX_JOBS jobs, then how many more there are. */
    store_guid_t *extra = calloc(ADMIN_STATUS_MAX_JOBS, sizeof *extra);
    for (unsigned i = 0; extra && i < ADMIN_STATUS_MAX_JOBS; i++)
        jobs_create(f.jobs, bob(), "many", JOB_TYPE_DOWNLOAD, &extra[i]);
    CHECK_HR(admin_status(&sources, admin(), NULL, &report), HR_OK, "/status of a long queue");
    CHECK(has(report, "\n(2 more job(s) not shown: doadmin /status <job> shows one)\n"),
          "/status of a long queue: 1000 jobs, then how many more (2) and how to see one");
    free(report);
    for (unsigned i = 0; extra && i < ADMIN_STATUS_MAX_JOBS; i++)
        jobs_cancel(f.jobs, admin(), &extra[i]);
    free(extra);
    jobs_cancel(f.jobs, admin(), &id);
    jobs_cancel(f.jobs, admin(), &other);
}

/* A damaged row (found by fuzz_store_rows): times at the end of the int64 range overflowed the
 * expiry date's sum. The reports show no date for it, and the rest as usual. Last: the job
 * manager is reopened (without transfers) around the change made through the store itself. */
static void test_damaged_times(void)
{
    store_guid_t id = new_job("damaged times", "http://example.invalid/d.bin", "C:/dl/d.bin");
    store_t *store = fixture_open_store(&f);
    store_job_t job = {0};
    int damaged = store && store_job_get(store, &id, &job) == STORE_OK;
    job.creation_time = job.modification_time = INT64_MAX;
    damaged = damaged && store_job_update(store, &job) == STORE_OK;
    store_job_clear(&job);
    CHECK(fixture_close_store(&f, store) && damaged, "damaged row: its times set to the largest int64");
    sources.jobs = f.jobs;
    char *report = NULL;
    CHECK_HR(admin_status(&sources, admin(), &id, &report), HR_OK, "damaged row: /status answers");
    CHECK(has(report, "ExpireOn             : -\n") && has(report, "JobState             : SUSPENDED\n"),
          "damaged row: /status shows no expiry date, and the job's other fields");
    free(report);
    report = NULL;
    CHECK_HR(admin_explain(&sources, admin(), &id, &report), HR_OK, "damaged row: /why answers");
    free(report);
    jobs_cancel(f.jobs, admin(), &id);
}

/* IDODownload downloads: /status lists them among the jobs with their DownloadState; /why says
 * what they are and that their client drives them. */
static void test_downloads(void)
{
    store_guid_t id = {{0}};
    CHECK_HR(downloads_create(f.jobs, alice(), &id), HR_OK, "a download");
    download_value_t name = {.type = DL_VALUE_TEXT, .text = "a download"};
    downloads_set_property(f.jobs, alice(), &id, DL_DISPLAY_NAME, &name);
    char id_text[GUID_STRING_SIZE], line[120], *report = NULL;
    guid_format(&id, id_text);
    snprintf(line, sizeof line, "JobId                : %s\n", id_text);
    CHECK_HR(admin_status(&sources, admin(), NULL, &report), HR_OK, "/status with a download");
    CHECK(has(report, line) && has(report, "DownloadState        : Created\n") &&
              has(report, "LocalPath            : (not set)\n"),
          "/status: the download is listed, with its DownloadState");
    free(report);
    report = NULL;
    CHECK_HR(admin_explain(&sources, admin(), &id, &report), HR_OK, "/why of a download");
    CHECK(has(report, "Download ") && has(report, "\"a download\" (IDODownload, Created, lost if the service restarts)") &&
              has(report, "its client drives it through IDODownload") &&
              has(report, "it is not NonVolatile: restarting the service"),
          "/why of a download: what it is, its state, that its client drives it, that a restart drops it");
    free(report);
    downloads_abort(f.jobs, alice(), &id);
}

static void test_why_suspended(void)
{
    char *report = NULL;
    store_guid_t empty = new_job("empty", NULL, NULL);
    CHECK_HR(admin_explain(&sources, admin(), &empty, &report), HR_OK, "/why of a new job");
    CHECK(has(report, "It is SUSPENDED") && has(report, "it has no files yet") &&
              has(report, "doadmin /addfile") && has(report, "owner S-1-5-21-1-1-1-1001, priority NORMAL") &&
              has(report, "0 of 0 file(s)"),
          "/why: a new job is suspended and has no files: add them");
    free(report);
    store_guid_t with_file = new_job("suspended", "http://example.invalid/x", "C:/dl/x");
    CHECK_HR(admin_explain(&sources, admin(), &with_file, &report), HR_OK, "/why of a suspended job with a file");
    CHECK(has(report, "doadmin /resume <job> queues it") && !strstr(report, "no files yet"),
          "/why: a suspended job with files: resume it");
    CHECK(has(report, "Networks it may use (cost flags 0x8000007F): TRANSFER_NOT_ROAMING: any network but a "
                      "roaming one.\n") && has(report, "it transfers on any network, whatever these flags say"),
          "/why: the default cost flags by name, and that opendo does not apply them");
    free(report);
    job_value_t cost = {.number = 0x00000014u}; /* OVERCAP_CHARGED | BELOW_CAP */
    CHECK_HR(jobs_set(f.jobs, alice(), &with_file, JOB_PROP_COST_FLAGS, &cost), HR_OK, "set cost flags 0x14");
    CHECK_HR(admin_explain(&sources, admin(), &with_file, &report), HR_OK, "/why after the cost flags changed");
    CHECK(has(report, "Networks it may use (cost flags 0x00000014): BELOW_CAP, OVERCAP_CHARGED.\n"),
          "/why: other cost flags by their states");
    free(report);
    jobs_cancel(f.jobs, admin(), &empty);
    jobs_cancel(f.jobs, admin(), &with_file);
}

static void test_why_error(void)
{
    char remote[300], local[300], *report = NULL;
    snprintf(remote, sizeof remote, "file://%s/no-such-source.bin", f.dir);
    snprintf(local, sizeof local, "C:/dl/out.bin");
    store_guid_t id = new_job("missing source", remote, local);
    CHECK_HR(jobs_resume(f.jobs, alice(), &id), HR_OK, "resume the job with a missing source");
    CHECK(wait_state(&id, JOB_STATE_ERROR), "it ends in ERROR");
    CHECK_HR(admin_explain(&sources, admin(), &id, &report), HR_OK, "/why of the failed job");
    CHECK(has(report, "It is in ERROR: it stopped and will not try again by itself.") &&
              has(report, "Last error (errors so far: 1):") &&
              has(report, "  code:    0x80070002 - text of 0x80070002\n") &&
              has(report, "  context: ") && has(report, " - context text ") &&
              has(report, "  file:    0: file://") && has(report, "doadmin /resume <job> tries again") &&
              has(report, "Recent log lines:") && has(report, "transfer.error"),
          "/why of a failed job: its state, the error with its text, context and file, the log, what to do");
    free(report);
    jobs_cancel(f.jobs, admin(), &id);
}

static void test_why_retrying(void)
{
    char local[300], *report = NULL;
    snprintf(local, sizeof local, "C:/dl/retry.bin");
    /* Port 1 on loopback: nothing listens, the connection is refused at once (transient). */
    store_guid_t id = new_job("server down", "http://127.0.0.1:1/file.bin", local);
    job_value_t delay = {.number = 120};
    jobs_set(f.jobs, alice(), &id, JOB_PROP_MIN_RETRY_DELAY, &delay);
    CHECK_HR(jobs_resume(f.jobs, alice(), &id), HR_OK, "resume a job whose server is down");
    CHECK(wait_state(&id, JOB_STATE_TRANSIENT_ERROR), "it goes to TRANSIENT_ERROR");
    CHECK_HR(admin_explain(&sources, admin(), &id, &report), HR_OK, "/why of the retrying job");
    CHECK(has(report, "It is in TRANSIENT_ERROR") && has(report, "Next retry: in 1 min") &&
              has(report, "minimum retry delay is 120 s") && has(report, "code:    0x80072EFD") &&
              has(report, "the server was not reachable from this machine") &&
              has(report, "doadmin /resume <job> retries now") &&
              has(report, "(since it started in this run). If none is made within 23 h 59 min more (its no-progress timeout is 1 d 0 h)"),
          "/why of a retrying job: when the next retry is, the error, the no-progress clock, what to do");
    free(report);

    jobs_activity_t activity;
    CHECK_HR(jobs_activity(f.jobs, &activity), HR_OK, "jobs_activity");
    CHECK(activity.transfers_enabled && activity.background_waiting == 1 && activity.background_running == 0,
          "jobs_activity: the retrying job waits, nothing runs");
    CHECK_HR(admin_perfsnap(&sources, admin(), &report), HR_OK, "/perfsnap for an administrator");
    CHECK(has(report, "TransfersEnabled           : yes\n") && has(report, "BackgroundDownloadsPending : 1\n") &&
              has(report, "BackgroundDownloadCount    : 0\n") && has(report, "MaxBackgroundTransfers     : 2\n") &&
              has(report, "JobCount                   : 1\n") && has(report, "DatabasePath               : ") &&
              has(report, f.dir) && has(report, " (C:/)\n") && has(report, "MemUsageKB"),
          "/perfsnap: pending and running downloads, limits, jobs, database, disk space where downloads land");
    free(report);
    jobs_cancel(f.jobs, admin(), &id);
}

/* A cache host that refuses connections: the job falls back to its origin (down too, so it
 * retries); /why says when and why it left the cache host, /perfsnap shows the host banned for
 * every origin, and the download mode follows DODownloadMode. */
static void test_cache_host_reports(void)
{
    cache_policy_t policy = {.hosts = {"127.0.0.1:1"}, .host_count = 1};
    CHECK_HR(jobs_set_cache_policy(f.jobs, &policy), HR_OK, "a cache host that refuses connections");
    settings_offer(&settings, SETTING_DOWNLOAD_MODE, 0, "Policy DODownloadMode");
    char *report = NULL;
    store_guid_t id = new_job("cache down", "http://127.0.0.1:1/cached.bin", "C:/dl/cached.bin");
    job_value_t delay = {.number = 120};
    jobs_set(f.jobs, alice(), &id, JOB_PROP_MIN_RETRY_DELAY, &delay);
    CHECK_HR(jobs_resume(f.jobs, alice(), &id), HR_OK, "resume a job behind the cache host");
    CHECK(wait_state(&id, JOB_STATE_TRANSIENT_ERROR), "cache and origin down: TRANSIENT_ERROR");
    CHECK_HR(admin_explain(&sources, admin(), &id, &report), HR_OK, "/why of a job that left the cache host");
    CHECK(has(report, "It last left a cache host because cache host 127.0.0.1:1 could not be reached (0x80072EFD): "
                      "banned for every origin for 15 min; falling back to the origin.\n") &&
              has(report, "  when: 20") && has(report, " WARN  ") && has(report, " transfer.fallback file 0: cache host"),
          "/why: when and why the job left the cache host");
    free(report);
    CHECK_HR(admin_status(&sources, admin(), &id, &report), HR_OK, "/status of that job");
    CHECK(has(report, "CacheHost            : -\n") && has(report, "BytesFromCacheServer : 0\n") &&
              has(report, "DownloadMode         : 0 (HTTP only: the origin and cache hosts)\n"),
          "/status: no cache host answered; DownloadMode from the policy");
    free(report);
    CHECK_HR(admin_perfsnap(&sources, admin(), &report), HR_OK, "/perfsnap with a cache host");
    CHECK(has(report, "CacheHostConnections       : 0\n") &&
              has(report, "CacheHost                  : 127.0.0.1:1: 0 connection(s), 0 bytes, 1 failure(s), "
                          "1 fallback(s), banned for: every origin (14 min ") &&
              has(report, "DownloadMode               : 0 (HTTP only"),
          "/perfsnap: cache host connections, the host's figures and its ban; DownloadMode");
    free(report);
    jobs_cancel(f.jobs, admin(), &id);
    jobs_set_cache_policy(f.jobs, NULL);
    settings_offer(&settings, SETTING_DOWNLOAD_MODE, 99, "Default");
}

static void test_why_gone(void)
{
    char *report = NULL;
    store_guid_t id = new_job("short-lived", NULL, NULL);
    jobs_cancel(f.jobs, alice(), &id);
    CHECK_HR(admin_explain(&sources, admin(), &id, &report), HR_OK, "/why of a cancelled job");
    CHECK(has(report, "is not in the queue") && has(report, "job.cancel cancelled by S-1-5-21-1-1-1-1001"),
          "/why of a cancelled job: not in the queue, and its last log lines");
    free(report);
    store_guid_t unknown;
    guid_generate(&unknown);
    report = (char *)1;
    CHECK_HR(admin_explain(&sources, admin(), &unknown, &report), DO_E_JOB_NOT_FOUND,
             "/why of an id never seen is DO_E_JOB_NOT_FOUND");
    CHECK(report == NULL, "... with no report");
}

static void test_config(void)
{
    char *report = NULL;
    CHECK_HR(admin_config(&sources, admin(), &report), HR_OK, "/config for an administrator");
    CHECK(has(report, "MaxJobsPerUser: 200000\nMaxJobsPerUserProvider: Default\n") &&
              has(report, "MaxBackgroundTransfers: 2\nMaxBackgroundTransfersProvider: Registry HKLM\\SOFTWARE\\opendo\\Transfers\\MaxBackgroundTransfers\n") &&
              has(report, "DownloadMode: 99\n") && has(report, "MaxLogSizeKB: 4096\n") &&
              has(report, "DefaultNoProgressTimeout: 86400\n") && has(report, "DatabasePath: ") &&
              has(report, "LogPathProvider: "),
          "/config: every setting with its value and its provider");
    free(report);

    settings_t s;
    settings_init(&s);
    CHECK(settings_offer(&s, SETTING_MAX_BACKGROUND_TRANSFERS, 0, "Registry X") != 0 &&
              settings_get(&s, SETTING_MAX_BACKGROUND_TRANSFERS) == 4 && strcmp(s.provider[SETTING_MAX_BACKGROUND_TRANSFERS], "Default") == 0,
          "settings: a value out of range is refused and the default stays");
    char *log = NULL;
    log_query_t query = {.problems_only = 1, .max_lines = 1};
    CHECK(admin_read_log(admin(), &query, &log) == HR_OK &&
              has(log, "WARN  - - service.settings MaxBackgroundTransfers = 0 (Registry X) is out of range 1..1000: 4 is used"),
          "settings: ... and the refusal is logged, read back with /log /errors");
    free(log);
}

int main(void)
{
    if (!fixture_open(&f, "admin"))
        return 1;
    /* Local names are Windows paths: "C:/dl/..." lands in the fixture's directory. */
    if (chdir(f.dir) != 0 || mkdir("C:", 0700) != 0 || mkdir("C:/dl", 0700) != 0)
        return 1;
    settings_init(&settings);
    settings_offer(&settings, SETTING_MAX_BACKGROUND_TRANSFERS, 2,
                   "Registry HKLM\\SOFTWARE\\opendo\\Transfers\\MaxBackgroundTransfers");
    sources = (admin_sources_t){f.jobs, &settings, f.db, f.log, describe_error, describe_context};
    CHECK_HR(jobs_enable_transfers(f.jobs, NULL, NULL, 2), HR_OK, "transfers enabled (at most 2 background)");
    test_refused();
    test_status();
    test_downloads();
    test_why_suspended();
    test_why_error();
    test_why_retrying();
    test_why_gone();
    test_cache_host_reports();
    test_config();
    test_damaged_times();
    return fixture_finish(&f);
}
