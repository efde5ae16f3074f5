/* Native tests of cache hosts in the scheduler (engine/scheduler + engine/cache_hosts): jobs with
 * transfers enabled and a cache policy, against tests/fault_server.py playing both the cache host
 * and the origin (/via/ROUTE: a request in the cache host form is answered as /ROUTE, any other
 * as the plain file). What is checked: the bytes on disk, the file's cache and origin figures,
 * the job's cache host and fallback reason, the cache hosts' statistics and bans, and what each
 * role of the server sent (bytes, requests, where each response's body started). */
#include <time.h>

#include "admin.h"
#include "cache_policy_fixture.h"
#include "guid.h"
#include "http_fixture.h"
#include "jobs.h"
#include "log.h"

static testfile_t f_via = {"via.bin", 1 * MiB, NULL, {0}};
static testfile_t f_drop = {"drop.bin", 1 * MiB, NULL, {0}};
static testfile_t f_etag = {"etag.bin", 1 * MiB, NULL, {0}};
static testfile_t f_delay = {"delay.bin", 300000, NULL, {0}};
static testfile_t f_closed = {"closed.bin", 300000, NULL, {0}};
static testfile_t f_404 = {"404.bin", 300000, NULL, {0}};
static testfile_t f_other = {"other.bin", 300000, NULL, {0}};
static testfile_t f_banned = {"banned.bin", 300000, NULL, {0}};
static testfile_t f_cred = {"cred.bin", 300000, NULL, {0}};
static testfile_t f_bits = {"bits.bin", 300000, NULL, {0}};
static testfile_t *const files[] = {&f_via, &f_drop, &f_etag, &f_delay, &f_closed, &f_404, &f_other, &f_banned,
                                    &f_cred, &f_bits};

static jobs_t *jobs;
static char db[400], logpath[400], cache_host[64];
static const transfer_options_t options = {.checkpoint_bytes = 64 * KiB, .checkpoint_ms = 200};
static caller_t alice_c = {"S-1-5-21-1-1-1-1001", 0}, admin_c = {"S-1-5-21-1-1-1-500", 1};
static settings_t settings;
static admin_sources_t sources;
static const caller_t *alice = &alice_c;

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void set_policy(const char *hosts, uint32_t delay_foreground_s, uint32_t delay_background_s)
{
    cache_policy_t policy = policy_of(hosts, delay_foreground_s, delay_background_s);
    CHECK_HR(jobs_set_cache_policy(jobs, &policy), HR_OK, "set the cache policy");
}

static int32_t state_of(const store_guid_t *id)
{
    int32_t state = -1;
    jobs_state(jobs, alice, id, &state);
    return state;
}

static int wait_state(const store_guid_t *id, int32_t state, int timeout_ms)
{
    for (int t = 0; t < timeout_ms; t += 10) {
        if (state_of(id) == state)
            return 1;
        sleep_ms(10);
    }
    printf("#   state %d, wanted %d\n", state_of(id), state);
    return 0;
}

/* A one-file job from origin path (on the fault server, or on origin_host when given). */
static store_guid_t new_job(const char *origin_host, const char *path, const char *local, int32_t priority)
{
    char remote[300];
    snprintf(remote, sizeof remote, "http://%s:%d%s", origin_host, fault_port, path);
    store_guid_t id = {{0}};
    CHECK_HR(jobs_create(jobs, alice, local, JOB_TYPE_DOWNLOAD, &id), HR_OK, "create job");
    job_file_spec_t spec = {remote, local, NULL, JOB_SIZE_UNKNOWN, NULL, 0};
    CHECK_HR(jobs_add_files(jobs, alice, &id, &spec, 1, NULL), HR_OK, "add the file");
    job_value_t value = {.number = (uint32_t)priority};
    CHECK_HR(jobs_set(jobs, alice, &id, JOB_PROP_PRIORITY, &value), HR_OK, "set the priority");
    CHECK_HR(jobs_resume(jobs, alice, &id), HR_OK, "resume");
    return id;
}

/* What the job and its file recorded once TRANSFERRED; then Complete and the bytes on disk. */
typedef struct outcome {
    int transferred, content_right;
    store_job_t job;
    store_file_t file;
    char *status; /* doadmin /status of the job */
} outcome_t;

static void finish(const store_guid_t *id, const testfile_t *t, const char *local, outcome_t *out)
{
    memset(out, 0, sizeof *out);
    out->transferred = wait_state(id, JOB_STATE_TRANSFERRED, 30000);
    admin_status(&sources, &admin_c, id, &out->status);
    jobs_get(jobs, alice, id, &out->job);
    jobs_get_file(jobs, alice, id, 0, &out->file);
    jobs_complete(jobs, alice, id);
    uint8_t h[32];
    uint64_t size = 0;
    out->content_right = sha256_file(local, h, &size) == 0 && size == t->size && !memcmp(h, t->hash, 32);
}

static void outcome_clear(outcome_t *o)
{
    store_job_clear(&o->job);
    store_file_clear(&o->file);
    free(o->status);
}

/* The file offsets at which the fault server's responses for key started (at most max). */
static size_t fault_starts(const char *key, ull *starts, size_t max)
{
    char *text = fault_stats_text(), pattern[300];
    snprintf(pattern, sizeof pattern, "\"%s\": {", key);
    char *p = text ? strstr(text, pattern) : NULL;
    p = p ? strstr(p, "\"starts\": [") : NULL;
    size_t n = 0;
    for (p = p ? p + strlen("\"starts\": [") : NULL; p && *p != ']' && n < max; n++) {
        char *end;
        starts[n] = strtoull(p, &end, 10);
        if (end == p)
            break;
        p = end + (*end == ',') + (end[1] == ' ');
    }
    free(text);
    return n;
}

/* The cache host entry for host in jobs_cache_host_stats (zeroed when absent). */
static cache_host_stats_t host_stats(const char *host)
{
    cache_host_stats_t all[CACHE_HOSTS_MAX * 2], found;
    memset(&found, 0, sizeof found);
    size_t n = jobs_cache_host_stats(jobs, all, CACHE_HOSTS_MAX * 2);
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i].host, host) == 0)
            found = all[i];
    return found;
}

/* A background job of path on origin_host, with the one cache host, run to its end (its local
 * name: C:/dl/<file name>). */
static void download(const char *origin_host, const char *path, const testfile_t *t, outcome_t *o)
{
    char local[64];
    snprintf(local, sizeof local, "C:/dl/%s", t->name);
    set_policy(cache_host, 0, 0);
    store_guid_t id = new_job(origin_host, path, local, JOB_PRIORITY_NORMAL);
    finish(&id, t, local, o);
}

static void test_policy_checked(void)
{
    cache_policy_t bad = {.hosts = {"c"}, .host_count = CACHE_HOSTS_MAX + 1};
    CHECK_HR(jobs_set_cache_policy(jobs, &bad), HR_E_INVALIDARG, "policy: too many hosts");
    bad.host_count = 2; /* the second host is empty */
    CHECK_HR(jobs_set_cache_policy(jobs, &bad), HR_E_INVALIDARG, "policy: an empty host");
    bad.host_count = 1;
    memset(bad.hosts[0], 'a', sizeof bad.hosts[0]);
    CHECK_HR(jobs_set_cache_policy(jobs, &bad), HR_E_INVALIDARG, "policy: a host without its NUL");
    snprintf(bad.hosts[0], sizeof bad.hosts[0], "c");
    bad.delay_background_s = CACHE_DELAY_MAX_S + 1;
    CHECK_HR(jobs_set_cache_policy(jobs, &bad), HR_E_INVALIDARG, "policy: a delay out of range");
    bad.delay_background_s = CACHE_DELAY_NEVER;
    bad.delay_foreground_s = CACHE_DELAY_MAX_S;
    CHECK_HR(jobs_set_cache_policy(jobs, &bad), HR_OK, "policy: the largest delay and -1 (never)");
    CHECK_HR(jobs_set_cache_policy(NULL, &bad), HR_E_INVALIDARG, "policy: no job manager");
    CHECK_HR(jobs_set_cache_policy(jobs, NULL), HR_OK, "policy: NULL is no cache host");
    CHECK(jobs_cache_host_stats(jobs, NULL, 4) == 0, "cache host statistics: NULL out");
}

static void test_via_cache(void)
{
    outcome_t o;
    download("127.0.0.1", "/via/file/via.bin", &f_via, &o);
    CHECK(o.transferred && o.content_right, "via cache: the job downloads, content right");
    CHECK(o.file.bytes_from_cache == f_via.size && o.file.cache_connections >= 1 && o.file.bytes_from_http == 0 &&
              o.file.http_connections == 0, "via cache: bytes_from_cache = size, nothing from the origin");
    CHECK(o.job.cache_host && strcmp(o.job.cache_host, cache_host) == 0 && !o.job.cache_fallback,
          "via cache: job.cache_host is the host, no fallback");
    CHECK(o.file.remote_name && strstr(o.file.remote_name, "cacheHostOrigin") == NULL &&
              o.file.final_url && strstr(o.file.final_url, "cacheHostOrigin=127.0.0.1:") != NULL,
          "via cache: the remote name is unchanged; the final URL is the cache form");
    ull requests, bytes, cache_requests, cache_bytes;
    fault_stats("/via/file/via.bin", &requests, &bytes);
    fault_stats("cache:/via/file/via.bin", &cache_requests, &cache_bytes);
    CHECK(requests == 0 && cache_requests == 1 && cache_bytes == f_via.size, "via cache: the origin got nothing");
    cache_host_stats_t st = host_stats(cache_host);
    CHECK(st.bytes >= f_via.size && st.connections >= 1 && st.failures == 0, "via cache: the host's statistics");
    char line[200];
    snprintf(line, sizeof line, "CacheHost            : %s\n", cache_host);
    CHECK(o.status && strstr(o.status, "BytesFromCacheServer : 1048576\n") &&
              strstr(o.status, "BytesFromHttp        : 0\n") && strstr(o.status, line),
          "via cache: /status shows BytesFromCacheServer, BytesFromHttp and CacheHost");
    char *perfsnap = NULL;
    snprintf(line, sizeof line, "CacheHost                  : %s: ", cache_host);
    CHECK(admin_perfsnap(&sources, &admin_c, &perfsnap) == HR_OK && strstr(perfsnap, line) &&
              strstr(perfsnap, " bytes, 0 failure(s), 0 fallback(s), banned for: none\n") &&
              !strstr(perfsnap, "CacheHostConnections       : 0\n"),
          "via cache: /perfsnap shows the host's figures and its connections");
    free(perfsnap);
    outcome_clear(&o);
}

static void test_dies_mid_body(void)
{
    outcome_t o;
    download("127.0.0.1", "/via/drop/300000/drop.bin", &f_drop, &o);
    CHECK(o.transferred && o.content_right, "cache dies mid-body: the job ends right");
    ull starts[4], requests, bytes, cache_requests, cache_bytes;
    size_t n = fault_starts("/via/drop/300000/drop.bin", starts, 4);
    fault_stats("/via/drop/300000/drop.bin", &requests, &bytes);
    fault_stats("cache:/via/drop/300000/drop.bin", &cache_requests, &cache_bytes);
    CHECK(cache_requests == 1 && cache_bytes == 300000, "cache dies mid-body: the cache sent 300000 bytes once");
    CHECK(requests == 1 && n == 1 && starts[0] > 0 && starts[0] <= 300000 && bytes == f_drop.size - starts[0],
          "cache dies mid-body: the origin resumed with Range and served only the rest");
    printf("#   resumed at %llu\n", n ? starts[0] : 0ull);
    CHECK(o.file.bytes_from_cache == 300000 && o.file.bytes_from_http == f_drop.size - starts[0],
          "cache dies mid-body: the file's figures split between the cache and the origin");
    CHECK(o.job.cache_fallback && strstr(o.job.cache_fallback, "falling back to the origin") &&
              o.job.cache_host && strcmp(o.job.cache_host, cache_host) == 0,
          "cache dies mid-body: job.cache_fallback says why");
    CHECK(host_stats(cache_host).failures >= 1 && !host_stats(cache_host).banned_for_all,
          "cache dies mid-body: counted as a failure, no ban");
    outcome_clear(&o);
}

static void test_validator_differs(void)
{
    outcome_t o;
    download("127.0.0.1", "/via/etag-drop/300000/etag.bin", &f_etag, &o);
    CHECK(o.transferred && o.content_right, "cache ETag differs: the file ends right");
    ull starts[4], requests, bytes;
    size_t n = fault_starts("/via/etag-drop/300000/etag.bin", starts, 4);
    fault_stats("/via/etag-drop/300000/etag.bin", &requests, &bytes);
    CHECK(requests == 1 && n == 1 && starts[0] == 0 && bytes == f_etag.size,
          "cache ETag differs: If-Range did not match, the origin sent the whole file");
    CHECK(o.file.bytes_from_http == f_etag.size && o.file.bytes_from_cache == 300000,
          "cache ETag differs: the figures count both");
    outcome_clear(&o);
}

/* The "transfer.start" lines of job in the service log, in order, joined by '|'. */
static void start_lines(const store_guid_t *id, char *out, size_t size)
{
    char guid[GUID_STRING_SIZE], line[2000];
    guid_format(id, guid);
    out[0] = '\0';
    FILE *f = fopen(logpath, "r");
    while (f && fgets(line, sizeof line, f)) {
        char *source = strstr(line, ") via cache host ");
        if (!source)
            source = strstr(line, ") from the origin");
        if (strstr(line, guid) && strstr(line, "transfer.start") && source) {
            source[strcspn(source, "\r\n")] = '\0';
            size_t used = strlen(out);
            snprintf(out + used, size - used, "%s%s", used ? "|" : "", source + 2);
        }
    }
    if (f)
        fclose(f);
}

static void test_delay(void)
{
    char hosts[200], second[64];
    snprintf(second, sizeof second, "localhost:%d", fault_port);
    snprintf(hosts, sizeof hosts, "%s, %s", cache_host, second);
    set_policy(hosts, 2, 0);
    store_guid_t id = new_job("127.0.0.1", "/via/status/503/delay.bin", "C:/dl/delay.bin", JOB_PRIORITY_FOREGROUND);
    int waited = wait_state(&id, JOB_STATE_TRANSIENT_ERROR, 10000);
    store_job_t job = {0};
    jobs_get(jobs, alice, &id, &job);
    CHECK(waited && job.error_detail && strstr(job.error_detail, "waiting for the cache hosts") &&
              job.error_code == 0x801901F7u, "delay: after a round of both hosts the job waits for the cache (503)");
    store_job_clear(&job);
    outcome_t o;
    finish(&id, &f_delay, "C:/dl/delay.bin", &o);
    CHECK(o.transferred && o.content_right, "delay: then the origin, content right");
    char order[1500], want[600];
    start_lines(&id, order, sizeof order);
    snprintf(want, sizeof want,
             "via cache host %s|via cache host %s|"
             "from the origin: the cache fallback delay (2 s) has passed since the job's first cache attempt",
             cache_host, second);
    CHECK(strcmp(order, want) == 0, "delay: the first host, the second, then (the delay over) the origin");
    if (strcmp(order, want) != 0)
        printf("#   got %s\n", order);
    ull requests, bytes, cache_requests, cache_bytes;
    fault_stats("/via/status/503/delay.bin", &requests, &bytes);
    fault_stats("cache:/via/status/503/delay.bin", &cache_requests, &cache_bytes);
    CHECK(cache_requests == 2 && requests == 1 && bytes == f_delay.size, "delay: two cache requests, one to the origin");
    CHECK(o.file.bytes_from_http == f_delay.size && o.file.bytes_from_cache == 0 && o.file.cache_connections >= 1,
          "delay: the figures (cache connections without bytes)");
    outcome_clear(&o);
}

/* A job that never goes through a cache host, whatever the policy: one of kind (credentials
 * set when with_credentials) downloads t from the origin, and the log says why (want). */
static void origin_only_job(const char *what, int32_t kind, int with_credentials, const testfile_t *t,
                            const char *want)
{
    char name[200], remote[300], local[64], key[300];
    set_policy(cache_host, 0, 0);
    store_guid_t id = {{0}};
    snprintf(name, sizeof name, "%s: create job", what);
    CHECK_HR(jobs_create_kind(jobs, alice, kind, what, JOB_TYPE_DOWNLOAD, &id), HR_OK, name);
    snprintf(remote, sizeof remote, "http://127.0.0.1:%d/via/file/%s", fault_port, t->name);
    snprintf(local, sizeof local, "C:/dl/%s", t->name);
    job_file_spec_t spec = {remote, local, NULL, JOB_SIZE_UNKNOWN, NULL, 0};
    snprintf(name, sizeof name, "%s: add the file", what);
    CHECK_HR(jobs_add_files(jobs, alice, &id, &spec, 1, NULL), HR_OK, name);
    if (with_credentials)
        CHECK_HR(jobs_set_credentials(jobs, alice, &id, 1, 1, "alice", "s3cret", 6), HR_OK,
                 "credentials: server, Basic");
    snprintf(name, sizeof name, "%s: resume", what);
    CHECK_HR(jobs_resume(jobs, alice, &id), HR_OK, name);
    outcome_t o;
    finish(&id, t, local, &o);
    char order[600];
    start_lines(&id, order, sizeof order);
    ull cache_requests, cache_bytes;
    snprintf(key, sizeof key, "cache:/via/file/%s", t->name);
    fault_stats(key, &cache_requests, &cache_bytes);
    snprintf(name, sizeof name, "%s: the origin only (%s)", what, want);
    CHECK(o.transferred && o.content_right && cache_requests == 0 && o.file.bytes_from_http == t->size &&
              strcmp(order, want) == 0, name);
    if (strcmp(order, want) != 0)
        printf("#   transfer.start says: %s\n", order);
    outcome_clear(&o);
}

/* Server credentials are the origin's; a BITS job downloads as BITS does. */
static void test_origin_only(void)
{
    origin_only_job("credentials", STORE_KIND_JOB, 1, &f_cred,
                    "from the origin: the job's server credentials go to the origin only");
    origin_only_job("BITS job", STORE_KIND_BITS, 0, &f_bits,
                    "from the origin: a BITS job does not use Delivery Optimization's cache hosts");
}

static void test_closed_port(void)
{
    char closed[64];
    snprintf(closed, sizeof closed, "127.0.0.1:%d", free_port());
    set_policy(closed, 0, 0);
    store_guid_t id = new_job("127.0.0.1", "/via/file/closed.bin", "C:/dl/closed.bin", JOB_PRIORITY_NORMAL);
    outcome_t o;
    finish(&id, &f_closed, "C:/dl/closed.bin", &o);
    CHECK(o.transferred && o.content_right, "closed cache port: the origin at once, content right");
    CHECK(o.file.bytes_from_http == f_closed.size && o.file.bytes_from_cache == 0 && !o.job.cache_host,
          "closed cache port: everything from the origin, no cache host recorded");
    CHECK(o.job.cache_fallback && strstr(o.job.cache_fallback, "could not be reached") &&
              strstr(o.job.cache_fallback, "banned for every origin"), "closed cache port: job.cache_fallback says why");
    cache_host_stats_t st = host_stats(closed);
    CHECK(st.banned_for_all && st.ban_left_ms > 0 && st.ban_left_ms <= CACHE_BAN_MS && st.failures == 1,
          "closed cache port: the host is banned for every origin");
    outcome_clear(&o);
}

static void test_404(void)
{
    outcome_t o;
    download("127.0.0.1", "/via/status/404/404.bin", &f_404, &o);
    CHECK(o.transferred && o.content_right, "cache 404: the origin, content right");
    CHECK(o.job.cache_fallback && strstr(o.job.cache_fallback, "HTTP 404") &&
              strstr(o.job.cache_fallback, "banned for that origin"), "cache 404: job.cache_fallback says why");
    cache_host_stats_t st = host_stats(cache_host);
    CHECK(st.origins_banned == 1 && !st.banned_for_all, "cache 404: banned for that origin only");
    outcome_clear(&o);

    download("localhost", "/via/file/other.bin", &f_other, &o);
    CHECK(o.transferred && o.content_right && o.file.bytes_from_cache == f_other.size,
          "cache 404: another origin still goes through the cache");
    outcome_clear(&o);

    download("127.0.0.1", "/via/file/banned.bin", &f_banned, &o);
    ull cache_requests, cache_bytes;
    fault_stats("cache:/via/file/banned.bin", &cache_requests, &cache_bytes);
    CHECK(o.transferred && o.content_right && o.file.bytes_from_http == f_banned.size && cache_requests == 0,
          "cache 404: the banned origin goes straight to the origin");
    outcome_clear(&o);
}

int main(void)
{
    if (http_fixture_setup("cache") != 0)
        return 2;
    snprintf(logpath, sizeof logpath, "%s/service.log", dir);
    log_open(logpath);
    int files_ok = 1;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        files_ok &= make_file(files[i]) == 0;
    CHECK(files_ok, "test files written");
    int server = CHECK(start_fault_server(), "fault server started on a loopback port");
    snprintf(cache_host, sizeof cache_host, "127.0.0.1:%d", fault_port);
    snprintf(db, sizeof db, "%s/jobs.db", dir);
    if (server && files_ok && http_fixture_enter_drive())
        CHECK_HR(jobs_open(db, &jobs, NULL), HR_OK, "jobs_open");
    settings_init(&settings);
    sources = (admin_sources_t){jobs, &settings, db, logpath, NULL, NULL};
    if (jobs && CHECK(jobs_enable_transfers(jobs, &options, NULL, 4) == HR_OK, "transfers enabled")) {
        test_policy_checked();
        test_via_cache();
        test_dies_mid_body();
        test_validator_differs();
        test_delay();
        test_origin_only();
        test_closed_port();
        test_404(); /* last: it bans the cache host for the origin 127.0.0.1 */
    }
    jobs_close(jobs);
    log_close();
    http_fixture_teardown();
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        free(files[i]->data);
    return CHECK_EXIT_CODE();
}
