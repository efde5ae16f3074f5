/* The scheduler: makes queued jobs download through the transfer engine (engine/transfer/transfer.h).
 * See docs/scheduler.md. One scheduler thread picks jobs to start (on a kick or when a retry is
 * due); the engine thread's callbacks record progress and results and start a job's next file.
 * Locks: jobs->lock (the store lock) is always taken before s->mu; the engine is never stopped
 * while either is held. */
#include "scheduler_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "downloads.h"
#include "guid.h"

#define FILETIME_PER_MS 10000
#define IDLE_WAKE_MS 30000u      /* a look at the store at least this often */
#define HR_BG_E_MAXDOWNLOAD_TIMEOUT ((hr_t)0x80200054)
#define END_WAIT_MS 30000u       /* Cancel/Complete wait at most this long for a transfer's end */

static const scheduler_hooks_t hooks;

uint64_t scheduler_now_ms(void)
{
    return uv_hrtime() / 1000000u;
}

static int same_id(const store_guid_t *a, const store_guid_t *b)
{
    return !memcmp(a, b, sizeof *a);
}

/* ---- native file operations ------------------------------------------------------------------- */

static int hr_from_errno(int e)
{
    switch (e) {
    case 0: return 0;
    case ENOENT: return (int)0x80070002;
    case ENOTDIR: return (int)0x80070003;
    case EACCES: case EPERM: case EROFS: return (int)0x80070005;
    case EBUSY: return (int)0x80070020; /* ERROR_SHARING_VIOLATION */
    case ENOSPC: return (int)0x80070070;
    case EXDEV: return (int)0x80070011; /* ERROR_NOT_SAME_DEVICE */
    default: return (int)HR_E_FAIL;
    }
}

static int native_rename(void *ctx, const store_guid_t *job, const char *from, const char *to)
{
    (void)ctx, (void)job;
    return rename(from, to) == 0 ? 0 : hr_from_errno(errno);
}

static int native_remove(void *ctx, const store_guid_t *job, const char *path)
{
    (void)ctx, (void)job;
    return remove(path) == 0 || errno == ENOENT ? 0 : hr_from_errno(errno);
}

/* Natively there are no helper tokens (the service holds them). */
static int native_has_helper_token(void *ctx, const store_guid_t *job)
{
    (void)ctx, (void)job;
    return 0;
}

/* Natively the store holds the password itself (tests); the service stores DPAPI blobs. */
static char *native_reveal_secret(void *ctx, const void *secret, size_t size)
{
    (void)ctx;
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, secret, size);
        text[size] = '\0';
    }
    return text;
}

static int missing_file(int rc)
{
    return rc == 0 || rc == (int)0x80070002 || rc == (int)0x80070003;
}

/* ---- in-memory tables (s->mu held) ------------------------------------------------------------- */

active_t *scheduler_active_by_token(struct scheduler *s, uint64_t token)
{
    for (size_t i = 0; i < s->active_count; i++)
        if (s->active[i].token == token)
            return &s->active[i];
    return NULL;
}

active_t *scheduler_active_by_job(struct scheduler *s, const store_guid_t *id)
{
    for (size_t i = 0; i < s->active_count; i++)
        if (same_id(&s->active[i].job, id))
            return &s->active[i];
    return NULL;
}

/* array (count used of *cap elements) with room for one more: the same or a grown block, or
 * NULL when out of memory (array is then unchanged). */
static void *make_room(void *array, size_t *cap, size_t count, size_t element_size)
{
    if (count < *cap)
        return array;
    size_t grown = *cap ? *cap * 2 : 16;
    void *p = realloc(array, grown * element_size);
    if (p)
        *cap = grown;
    return p;
}

static int active_add(struct scheduler *s, const active_t *a)
{
    active_t *room = make_room(s->active, &s->active_cap, s->active_count, sizeof *room);
    if (!room)
        return -1;
    s->active = room;
    s->active[s->active_count++] = *a;
    return 0;
}

static void active_remove(struct scheduler *s, active_t *a)
{
    *a = s->active[--s->active_count];
}

size_t scheduler_background_running(const struct scheduler *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->active_count; i++)
        n += !s->active[i].foreground;
    return n;
}

job_clock_t *scheduler_clock_find(struct scheduler *s, const store_guid_t *id)
{
    for (size_t i = 0; i < s->clock_count; i++)
        if (same_id(&s->clocks[i].job, id))
            return &s->clocks[i];
    return NULL;
}

static job_clock_t *clock_get(struct scheduler *s, const store_guid_t *id)
{
    job_clock_t *c = scheduler_clock_find(s, id);
    if (c)
        return c;
    job_clock_t *room = make_room(s->clocks, &s->clock_cap, s->clock_count, sizeof *room);
    if (!room)
        return NULL;
    s->clocks = room;
    c = &s->clocks[s->clock_count++];
    memset(c, 0, sizeof *c);
    c->job = *id;
    c->first_ms = scheduler_now_ms();
    return c;
}

static void clock_forget(struct scheduler *s, const store_guid_t *id)
{
    job_clock_t *c = scheduler_clock_find(s, id);
    if (c)
        *c = s->clocks[--s->clock_count];
}

static int cancel_transfer_locked(struct scheduler *s, const store_guid_t *id);

static void kick_locked(struct scheduler *s)
{
    s->kicked = 1;
    uv_cond_signal(&s->wake);
}

static void kick(struct scheduler *s)
{
    uv_mutex_lock(&s->mu);
    kick_locked(s);
    uv_mutex_unlock(&s->mu);
}

/* ---- starting a job (store lock held) ----------------------------------------------------------- */

static int file_done(const store_file_t *f)
{
    return f->bytes_total != JOB_SIZE_UNKNOWN && f->bytes_transferred == f->bytes_total &&
           (f->bytes_total > 0 || f->response_headers != NULL);
}

/* Writes the job row (modification time now). */
static hr_t write_job(jobs_t *jobs, store_job_t *job)
{
    job->modification_time = store_now_filetime();
    store_status_t status = store_job_update(jobs->store, job);
    return status == STORE_OK ? HR_OK : store_failure(jobs, &job->id, "update job", status);
}

static void set_error(store_job_t *job, int32_t context, hr_t code, int32_t file_index, const char *detail)
{
    job->error_context = context;
    job->error_code = (uint32_t)code;
    job->error_file_index = file_index;
    job->error_count++;
    replace_text(&job->error_detail, detail);
}

/* The job has nothing left to fetch: TRANSFERRED when every file is whole, or SUSPENDED (an
 * on-demand job whose requested ranges are all on disk waits for the application, as BITS). */
static void set_nothing_to_fetch(struct scheduler *s, store_job_t *job, int all_done)
{
    job->state = all_done ? JOB_STATE_TRANSFERRED : JOB_STATE_SUSPENDED;
    if (all_done)
        job->transfer_completion_time = store_now_filetime();
    write_job(s->jobs, job);
    uv_mutex_lock(&s->mu);
    clock_forget(s, &job->id);
    uv_mutex_unlock(&s->mu);
    if (all_done)
        log_job(LOG_INFO, job, "job.transferred", "TRANSFERRED: every file downloaded");
    else
        log_job(LOG_INFO, job, "job.suspended", "SUSPENDED: every requested range downloaded");
    jobs_emit(s->jobs, job, all_done ? JOBS_EVENT_TRANSFERRED : JOBS_EVENT_MODIFIED, JOBS_NO_FILE);
}

/* Whether file needs a transfer now (store lock held): a whole file until done; an on-demand
 * one while ranges are pending or its size is unknown (*demand: what to fetch). */
static hr_t file_needs_transfer(struct scheduler *s, const store_job_t *job, const store_file_t *file,
                                range_set_t *demand, int *probe)
{
    if (!demand_file(s->jobs, job, file))
        return !file_done(file);
    return demand_plan(s->jobs, file, demand, probe);
}

/* ---- credentials (store lock held) -------------------------------------------------------------- */

#define AUTH_TARGET_SERVER 1 /* BG_AUTH_TARGET */
#define AUTH_TARGET_PROXY 2

static uint32_t transfer_scheme(int32_t bg_auth_scheme)
{
    switch (bg_auth_scheme) {
    case 1: return TRANSFER_AUTH_BASIC;
    case 2: return TRANSFER_AUTH_DIGEST;
    case 3: return TRANSFER_AUTH_NTLM;
    case 4: return TRANSFER_AUTH_NEGOTIATE;
    default: return 0; /* PASSPORT: not spoken */
    }
}

static int same_secret(const store_credential_t *a, const store_credential_t *b)
{
    return a->secret_size == b->secret_size && (!a->secret_size || !memcmp(a->secret, b->secret, a->secret_size)) &&
           ((!a->user_name && !b->user_name) || (a->user_name && b->user_name && !strcmp(a->user_name, b->user_name)));
}

/* The target's credentials for the request: the first usable one (schemes in BG order), with the
 * schemes of every other one holding the same user name and password. *password is revealed
 * (malloc'ed) for the transfer only. */
static void pick_credentials(struct scheduler *s, const store_credential_t *list, size_t count, int32_t target,
                             transfer_auth_t *auth, char **password)
{
    const store_credential_t *chosen = NULL;
    for (size_t i = 0; i < count; i++) {
        if (list[i].target != target || !transfer_scheme(list[i].scheme) || !list[i].user_name)
            continue;
        if (!chosen)
            chosen = &list[i];
        if (same_secret(chosen, &list[i]))
            auth->schemes |= transfer_scheme(list[i].scheme);
    }
    if (!chosen)
        return;
    *password = chosen->secret_size ? s->ops.reveal_secret(s->ops.ctx, chosen->secret, chosen->secret_size)
                                    : strdup("");
    auth->user_name = *password ? chosen->user_name : NULL;
    auth->password = *password;
}

static void free_password(char *password)
{
    if (password)
        memset(password, 0, strlen(password));
    free(password);
}

/* IBackgroundCopyJobHttpOptions::SetSecurityFlags: the redirect policy (0x700) and
 * BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP. ALLOW_REPORT follows like ALLOW_SILENT, and the
 * file's remote name then becomes the final URL (on_response), as BITS reports it. */
#define REDIRECT_POLICY_MASK 0x0700u
#define REDIRECT_POLICY_REPORT 0x0100u
#define REDIRECT_POLICY_DISALLOW 0x0200u
#define REDIRECT_ALLOW_HTTPS_TO_HTTP 0x0800u

static void apply_redirect_policy(uint32_t security_flags, transfer_request_t *req)
{
    if ((security_flags & REDIRECT_POLICY_MASK) == REDIRECT_POLICY_DISALLOW)
        req->max_redirects = 0;
    if (security_flags & REDIRECT_ALLOW_HTTPS_TO_HTTP)
        req->flags |= TRANSFER_FLAG_HTTPS_TO_HTTP;
}

static void fill_proxy(const store_job_t *job, transfer_request_t *req)
{
    switch (job->proxy_usage) {
    case 1: /* BG_JOB_PROXY_USAGE_NO_PROXY */
        req->proxy = "";
        break;
    case 2: /* BG_JOB_PROXY_USAGE_OVERRIDE */
        req->proxy = job->proxy_list;
        req->proxy_bypass = job->proxy_bypass_list;
        break;
    default: /* PRECONFIG, AUTODETECT: the environment's */
        break;
    }
}

/* Why an attempt of job must go to the origin whatever the cache policy, or NULL: what is
 * meant for the origin alone (a custom HTTP method, credentials) never goes to a cache host, and
 * a job of the BITS classes downloads as BITS does (BITS never uses Delivery Optimization's
 * cache hosts). */
static const char *origin_only(const store_job_t *job, const transfer_request_t *req)
{
    return job->kind == STORE_KIND_BITS ? "a BITS job does not use Delivery Optimization's cache hosts"
           : job_has_custom_http_method(job) ? "a custom HTTP method goes to the origin"
           : req->server_auth.user_name || req->auth_headers ? "the job's server credentials go to the origin only"
                                                              : NULL;
}

/* The source of the next attempt at file (store lock held): a cache host or the origin
 * (engine/cache_hosts decides), from the job's walk through the cache hosts in this run and
 * what the job itself rules out (origin_only). */
static hr_t choose_source(struct scheduler *s, const store_job_t *job, const store_file_t *file,
                          const transfer_request_t *req, cache_route_t *route)
{
    uv_mutex_lock(&s->mu);
    job_clock_t *c = clock_get(s, &job->id);
    cache_progress_t progress = c ? c->cache : (cache_progress_t){0};
    hr_t hr = cache_hosts_route(s->jobs->cache_hosts, file->remote_name, origin_only(job, req),
                                job->priority == JOB_PRIORITY_FOREGROUND, &progress, scheduler_now_ms(), route);
    if (c)
        c->cache = progress;
    uv_mutex_unlock(&s->mu);
    return hr;
}

/* The certificate errors an https attempt of job ignores: its BG_SSL_IGNORE_* flags when the
 * administrator allows them (AllowJobCertificateErrors), else none. Logged either way, as a
 * warning every time: a check skipped must never go unseen. */
static uint32_t tls_errors_ignored(jobs_t *jobs, const store_job_t *job, uint32_t index, const char *url)
{
    uint32_t asked = job->security_flags & TRANSFER_TLS_IGNORE_MASK;
    if (!asked || !url || strncasecmp(url, "https:", 6) != 0)
        return 0;
    char names[200] = "";
    static const struct { uint32_t bit; const char *name; } flags[] = {
        {TRANSFER_TLS_IGNORE_NAME, "BG_SSL_IGNORE_CERT_CN_INVALID"}, {TRANSFER_TLS_IGNORE_DATE, "BG_SSL_IGNORE_CERT_DATE_INVALID"},
        {TRANSFER_TLS_IGNORE_UNKNOWN_CA, "BG_SSL_IGNORE_UNKNOWN_CA"}, {TRANSFER_TLS_IGNORE_USAGE, "BG_SSL_IGNORE_CERT_WRONG_USAGE"}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (asked & flags[i].bit) /* named as the client's API names them */
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", names[0] ? ", " : "",
                     job->kind == STORE_KIND_DOWNLOAD ? downloads_security_flag_name(flags[i].bit) : flags[i].name);
    int allowed = atomic_load(&jobs->tls_errors_allowed);
    log_job(LOG_WARN, job, "tls.ignore", allowed ? "file %u: the job's security flags (%s) let these certificate errors "
            "pass for %s" : "file %u: the job's security flags (%s) are not honoured (HKLM\\SOFTWARE\\opendo\\Security\\"
            "AllowJobCertificateErrors is 0): %s is checked in full", index, names, url);
    return allowed ? asked : 0;
}

/* "via cache host H" or "from the origin: why", for the log. */
static void source_text(const cache_route_t *route, char *out, size_t size)
{
    if (route->via_cache)
        snprintf(out, size, "via cache host %s", route->host);
    else
        snprintf(out, size, "from the origin: %s", route->why);
}

/* Submits the first unfinished file of job (index order), or makes the job TRANSFERRED when
 * every file is done. The job row is written. */
static void start_job(struct scheduler *s, store_job_t *job)
{
    jobs_t *jobs = s->jobs;
    uint32_t count = 0;
    store_status_t status = store_file_count(jobs->store, &job->id, &count);
    store_file_t file = {0};
    uint32_t index = 0;
    hr_t found = 0;
    int all_done = 1, probe = 0;
    range_set_t demand = {0};
    for (; status == STORE_OK && index < count; index++) {
        status = store_file_get(jobs->store, &job->id, index, &file);
        if (status == STORE_OK && (found = file_needs_transfer(s, job, &file, &demand, &probe)) != 0)
            break;
        all_done &= status == STORE_OK && file_done(&file);
        store_file_clear(&file);
    }
    if (status != STORE_OK || HR_FAILED(found)) {
        store_failure(jobs, &job->id, "read files to transfer", status != STORE_OK ? status : STORE_NOMEM);
        store_file_clear(&file);
        return;
    }
    if (!found) {
        set_nothing_to_fetch(s, job, all_done);
        return;
    }
    store_range_t *ranges = NULL;
    size_t range_count = 0;
    int on_demand = demand.count > 0; /* the file's missing bytes, or its first byte */
    if (on_demand) {
        ranges = demand.items, range_count = demand.count;
        demand = (range_set_t){0};
    } else {
        status = store_file_ranges(jobs->store, &job->id, index, &ranges, &range_count);
    }
    transfer_range_t *tr = range_count ? calloc(range_count, sizeof *tr) : NULL;
    for (size_t i = 0; tr && i < range_count; i++) {
        tr[i].offset = ranges[i].offset;
        tr[i].length = ranges[i].length;
    }
    transfer_request_t req;
    transfer_request_init(&req);
    req.temp_path = file.temp_name;
    int custom_method = job_has_custom_http_method(job);
    if (custom_method) { /* every attempt from byte 0, without ranges (jobs_set_http_method) */
        req.method = job->http_method;
        file.bytes_transferred = 0;
    } else
        req.validator = file.validator;
    req.offset_done = on_demand ? 0 : file.bytes_transferred; /* on demand: only missing bytes */
    req.durable_done = on_demand ? 0 : file.bytes_durable;
    req.ranges = tr;
    req.range_count = tr ? range_count : 0;
    char *download_headers = NULL, *auth_headers = NULL;
    if (job->kind == STORE_KIND_DOWNLOAD)
        downloads_request_headers(jobs, job, &download_headers, &auth_headers);
    req.custom_headers = download_headers ? download_headers : job->custom_headers;
    req.auth_headers = auth_headers;
    char job_text[GUID_STRING_SIZE], tls_tag[GUID_STRING_SIZE + 12];
    guid_format(&job->id, job_text);
    snprintf(tls_tag, sizeof tls_tag, "%s %u", job_text, (unsigned)index);
    if (job->kind == STORE_KIND_BITS) /* "{job} file": its client's certificate callback (verify_peer) */
        req.tls_tag = tls_tag;
    req.flags = TRANSFER_FLAG_CREATE_HIDDEN |
                (job->priority == JOB_PRIORITY_FOREGROUND ? TRANSFER_FLAG_FOREGROUND : 0) |
                (job->kind == STORE_KIND_DOWNLOAD || on_demand ? TRANSFER_FLAG_RANGES_AT_OFFSETS : 0);
    apply_redirect_policy(job->security_flags, &req);
    fill_proxy(job, &req);
    store_credential_t *credentials = NULL;
    size_t credential_count = 0;
    char *server_password = NULL, *proxy_password = NULL;
    if (store_credentials_list(jobs->store, &job->id, &credentials, &credential_count) == STORE_OK) {
        pick_credentials(s, credentials, credential_count, AUTH_TARGET_SERVER, &req.server_auth, &server_password);
        pick_credentials(s, credentials, credential_count, AUTH_TARGET_PROXY, &req.proxy_auth, &proxy_password);
    }
    cache_route_t route = {0};
    hr_t routed = choose_source(s, job, &file, &req, &route);
    req.url = route.url;
    req.tls_ignore = tls_errors_ignored(jobs, job, index, route.url);
    if (route.via_cache) /* a cache host that does not answer soon is left for the next source */
        req.connect_timeout_s = CACHE_CONNECT_TIMEOUT_S;

    hr_t hr = status != STORE_OK || (range_count && !tr) || HR_FAILED(routed) ? HR_E_OUTOFMEMORY
            : !file.temp_name ? DO_E_FILE_DOWNLOADSINK_UNSPECIFIED
            : custom_method && range_count ? HR_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD
            : job->helper_token_flags && !s->ops.has_helper_token(s->ops.ctx, &job->id) ? HR_BG_E_TOKEN_REQUIRED
            : HR_OK;
    uv_mutex_lock(&s->mu);
    if (HR_SUCCEEDED(hr)) {
        req.token = ++s->next_token;
        active_t a = {req.token, job->id, index, job->priority == JOB_PRIORITY_FOREGROUND,
                      scheduler_now_ms(), 0, {NULL, 0}, 0, on_demand, probe, route,
                      (job->security_flags & REDIRECT_POLICY_MASK) == REDIRECT_POLICY_REPORT,
                      (uint64_t)job->max_download_time * 1000, 0};
        a.route.url = NULL; /* transfer_submit copies the request; route.url is freed below */
        if (on_demand) /* the active entry keeps the submitted ranges */
            a.demand = (range_set_t){ranges, range_count}, ranges = NULL;
        if (s->engine_closed)
            hr = DO_E_NO_SERVICE;
        else if (active_add(s, &a) != 0)
            hr = HR_E_OUTOFMEMORY;
        else if (HR_FAILED(hr = transfer_submit(s->engine, &req)))
            s->active_count--;
        if (HR_FAILED(hr))
            range_set_free(&a.demand);
        if (HR_SUCCEEDED(hr)) {
            clock_get(s, &job->id);
            durability_forget(s, &job->id, index); /* flushes of earlier transfers of the file */
        }
    }
    uv_mutex_unlock(&s->mu);
    if (hr == DO_E_NO_SERVICE) {
        /* stopping: the job keeps its state for the next enable */
    } else if (HR_SUCCEEDED(hr)) {
        int was = job->state;
        job->state = JOB_STATE_TRANSFERRING;
        write_job(jobs, job);
        char source[CACHE_WHY_MAX + CACHE_HOST_NAME_MAX];
        source_text(&route, source, sizeof source);
        log_job(LOG_INFO, job, "transfer.start", "file %u: transfer started (%s -> TRANSFERRING, from byte %llu) %s",
                index, job_state_name(was), (unsigned long long)file.bytes_transferred, source);
        if (was != JOB_STATE_TRANSFERRING)
            jobs_emit(jobs, job, JOBS_EVENT_MODIFIED, JOBS_NO_FILE);
    } else {
        int no_token = hr == HR_BG_E_TOKEN_REQUIRED;
        job->state = JOB_STATE_ERROR;
        set_error(job, no_token ? JOB_ERROR_CONTEXT_LOCAL_FILE : JOB_ERROR_CONTEXT_REMOTE_FILE, hr, (int32_t)index,
                  no_token ? "the job's helper token is gone (it lives in the service's memory only): "
                             "set it again (IBitsTokenOptions::SetHelperToken) or clear the flags, then Resume"
                           : "the transfer could not be started");
        write_job(jobs, job);
        log_job(LOG_ERROR, job, "transfer.error", "file %u: transfer not started: 0x%08x%s; job ERROR",
                index, (unsigned)hr, no_token ? " (helper token required)" : "");
        jobs_emit(jobs, job, JOBS_EVENT_ERROR, index);
    }
    free(tr);
    cache_route_clear(&route);
    free(download_headers);
    free(auth_headers);
    free_password(server_password);
    free_password(proxy_password);
    store_credentials_free(credentials, credential_count);
    free(ranges);
    store_file_clear(&file);
}

/* ---- the scheduler thread ---------------------------------------------------------------------- */

typedef struct candidate {
    store_guid_t id;
    int32_t priority;
    size_t order; /* position in the store's list: oldest first */
} candidate_t;

static int compare_candidates(const void *a, const void *b)
{
    const candidate_t *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* When a TRANSIENT_ERROR job is due (0: now); sets its clock when first seen (after a restart:
 * from the job's ModificationTime). */
static uint64_t retry_due(struct scheduler *s, const store_job_brief_t *job, uint64_t now)
{
    uv_mutex_lock(&s->mu);
    job_clock_t *c = clock_get(s, &job->id);
    if (c && !c->retry_at_ms) {
        /* A time before 1601 (a damaged row) has waited long enough, and must not overflow. */
        int64_t waited = job->modification_time > 0
                             ? (store_now_filetime() - job->modification_time) / FILETIME_PER_MS
                             : INT64_MAX;
        int64_t left = (int64_t)job->min_retry_delay * 1000 - (waited > 0 ? waited : 0);
        c->retry_at_ms = now + (uint64_t)(left > 0 ? left : 0);
    }
    uint64_t at = c ? c->retry_at_ms : now;
    uv_mutex_unlock(&s->mu);
    return at > now ? at : 0;
}

/* The jobs that may want to transfer, from the store's state index: the pass costs what these
 * jobs cost, whatever the number of jobs in the store (store lock held). */
static const int32_t schedulable_states[] = {JOB_STATE_QUEUED, JOB_STATE_TRANSFERRING,
                                             JOB_STATE_TRANSIENT_ERROR};

/* Lists the jobs that may start now, best first, into *out; returns ms until the next retry is
 * due (at most IDLE_WAKE_MS). */
static uint64_t list_candidates(struct scheduler *s, candidate_t **out, size_t *count)
{
    uint64_t next = IDLE_WAKE_MS, now = scheduler_now_ms();
    store_job_brief_t *jobs = NULL;
    size_t listed = 0;
    *out = NULL;
    *count = 0;
    store_status_t status = store_job_list_in_states(s->jobs->store, schedulable_states,
                                                     sizeof schedulable_states / sizeof *schedulable_states,
                                                     &jobs, &listed);
    if (status != STORE_OK)
        store_failure(s->jobs, NULL, "list the jobs to schedule", status);
    candidate_t *cands = listed ? calloc(listed, sizeof *cands) : NULL;
    for (size_t i = 0; cands && i < listed; i++) {
        uv_mutex_lock(&s->mu);
        int running = scheduler_active_by_job(s, &jobs[i].id) != NULL;
        uv_mutex_unlock(&s->mu);
        int ready = !running && jobs[i].state != JOB_STATE_TRANSIENT_ERROR;
        if (!running && jobs[i].state == JOB_STATE_TRANSIENT_ERROR) {
            uint64_t due = retry_due(s, &jobs[i], now);
            ready = due == 0;
            if (due && due - now < next)
                next = due - now;
        }
        if (ready)
            cands[(*count)++] = (candidate_t){jobs[i].id, jobs[i].priority, i};
    }
    if (*count)
        qsort(cands, *count, sizeof *cands, compare_candidates);
    free(jobs);
    *out = cands;
    return next;
}

/* A running job whose MaximumDownloadTime has run out: ERROR with BG_E_MAXDOWNLOAD_TIMEOUT for the
 * file it was transferring, the transfer cancelled (its bytes stay: Resume goes on, with the clock
 * at zero, as BITS). Store lock held. */
static void end_download_time(struct scheduler *s, const store_guid_t *id, uint32_t index, uint64_t limit_ms)
{
    store_job_t job = {0};
    if (store_job_get(s->jobs->store, id, &job) == STORE_OK && job.state == JOB_STATE_TRANSFERRING) {
        char detail[96];
        snprintf(detail, sizeof detail, "the job's maximum download time (%llu s) ran out",
                 (unsigned long long)(limit_ms / 1000));
        job.state = JOB_STATE_ERROR;
        set_error(&job, JOB_ERROR_CONTEXT_QUEUE_MANAGER, HR_BG_E_MAXDOWNLOAD_TIMEOUT, (int32_t)index, detail);
        write_job(s->jobs, &job);
        uv_mutex_lock(&s->mu);
        cancel_transfer_locked(s, id);
        clock_forget(s, id);
        uv_mutex_unlock(&s->mu);
        log_job(LOG_ERROR, &job, "transfer.error", "0x80200054 BG_E_MAXDOWNLOAD_TIMEOUT (%s); ERROR", detail);
        jobs_emit(s->jobs, &job, JOBS_EVENT_ERROR, JOBS_NO_FILE);
    }
    store_job_clear(&job);
}

/* Ends the running jobs whose MaximumDownloadTime ran out; returns ms until the next one would
 * (at most `next`). Store lock held. */
static uint64_t enforce_download_times(struct scheduler *s, uint64_t next)
{
    uint64_t now = scheduler_now_ms();
    for (;;) {
        store_guid_t expired;
        uint32_t index = 0;
        uint64_t limit = 0;
        uv_mutex_lock(&s->mu);
        for (size_t i = 0; i < s->active_count && !limit; i++) {
            const active_t *a = &s->active[i];
            if (!a->max_download_ms || a->timed_out)
                continue;
            const job_clock_t *c = scheduler_clock_find(s, &a->job);
            uint64_t used = (c ? c->transfer_ms : 0) + (now - a->started_ms);
            if (used >= a->max_download_ms)
                expired = a->job, index = a->index, limit = a->max_download_ms, s->active[i].timed_out = 1;
            else if (a->max_download_ms - used < next)
                next = a->max_download_ms - used;
        }
        uv_mutex_unlock(&s->mu);
        if (!limit)
            return next;
        end_download_time(s, &expired, index, limit);
    }
}

/* One look at the jobs that want to transfer: start what may start. Returns ms until the next
 * retry (or download-time limit) is due. */
static uint64_t schedule_pass(struct scheduler *s)
{
    jobs_t *jobs = s->jobs;
    if (HR_FAILED(lock_store(jobs)))
        return IDLE_WAKE_MS;
    candidate_t *cands;
    size_t ncand;
    uint64_t next = list_candidates(s, &cands, &ncand);
    for (size_t i = 0; i < ncand; i++) {
        uv_mutex_lock(&s->mu);
        int may = !s->stopping &&
                  (cands[i].priority == JOB_PRIORITY_FOREGROUND || scheduler_background_running(s) < s->max_background);
        uv_mutex_unlock(&s->mu);
        if (!may)
            continue;
        store_job_t job = {0};
        if (store_job_get(jobs->store, &cands[i].id, &job) == STORE_OK)
            start_job(s, &job);
        store_job_clear(&job);
    }
    next = enforce_download_times(s, next); /* the transfers just started included */
    unlock_store(jobs);
    free(cands);
    return next;
}

static void scheduler_thread(void *arg)
{
    struct scheduler *s = arg;
    uint64_t wait_ms = 0;
    uv_mutex_lock(&s->mu);
    while (!s->stopping) {
        if (!s->kicked && wait_ms)
            uv_cond_timedwait(&s->wake, &s->mu, wait_ms * 1000000u);
        if (s->stopping)
            break;
        s->kicked = 0;
        uv_mutex_unlock(&s->mu);
        wait_ms = schedule_pass(s);
        if (!wait_ms)
            wait_ms = 1;
        uv_mutex_lock(&s->mu);
    }
    uv_mutex_unlock(&s->mu);
}

/* ---- engine callbacks (engine thread) ---------------------------------------------------------- */

/* Looks up the transfer (store lock held); 0 when it is not (or no longer) ours. */
static int find_transfer(struct scheduler *s, uint64_t token, active_t *out, int remove)
{
    uv_mutex_lock(&s->mu);
    active_t *a = scheduler_active_by_token(s, token);
    job_clock_t *c = a && remove ? scheduler_clock_find(s, &a->job) : NULL;
    if (c) /* MaximumDownloadTime counts the time spent transferring */
        c->transfer_ms += scheduler_now_ms() - a->started_ms;
    if (a) {
        *out = *a;
        if (remove)
            active_remove(s, a);
    }
    uv_mutex_unlock(&s->mu);
    return a != NULL;
}

/* A cache host answered an attempt with the file's body (store lock held): the job's round
 * through the hosts starts again, and the job records the host as its cache host. */
static void cache_answered(struct scheduler *s, const active_t *a)
{
    uv_mutex_lock(&s->mu);
    job_clock_t *c = scheduler_clock_find(s, &a->job);
    if (c)
        cache_hosts_worked(s->jobs->cache_hosts, &a->route, &c->cache);
    uv_mutex_unlock(&s->mu);
    store_job_t job = {0};
    if (store_job_get(s->jobs->store, &a->job, &job) == STORE_OK &&
        (!job.cache_host || strcmp(job.cache_host, a->route.host) != 0) &&
        HR_SUCCEEDED(replace_text(&job.cache_host, a->route.host)))
        write_job(s->jobs, &job);
    store_job_clear(&job);
}

/* ALLOW_REPORT: the file's remote name becomes the URL that answered (a later attempt goes
 * there directly, as with BITS). */
static void report_redirect(const active_t *a, store_file_t *file, const char *final_url)
{
    char *old = file->remote_name;
    if (HR_FAILED(file_check_remote_name(final_url)) || !(file->remote_name = strdup(final_url))) {
        file->remote_name = old;
        return;
    }
    log_event(LOG_INFO, &a->job, NULL, "job.remote", "file %u: redirected; its remote name is now \"%s\" "
              "(was \"%s\"; BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT)", (unsigned)a->index, final_url, old);
    free(old);
}

static void on_response(void *ctx, uint64_t token, const transfer_response_t *response)
{
    struct scheduler *s = ctx;
    jobs_t *jobs = s->jobs;
    active_t a;
    if (HR_FAILED(lock_store(jobs)))
        return;
    store_file_t file = {0};
    if (find_transfer(s, token, &a, 0) &&
        store_file_get(jobs->store, &a.job, a.index, &file) == STORE_OK) {
        store_range_t *ranges = NULL;
        size_t range_count = 0;
        store_file_ranges(jobs->store, &a.job, a.index, &ranges, &range_count);
        free(ranges);
        if (!range_count && response->total_size != TRANSFER_SIZE_UNKNOWN)
            file.bytes_total = response->total_size;
        replace_text(&file.validator, response->validator);
        replace_text(&file.response_headers, response->headers);
        replace_text(&file.final_url, response->effective_url);
        if (a.report_redirect && !a.route.via_cache && response->effective_url &&
            strcmp(response->effective_url, file.remote_name) != 0)
            report_redirect(&a, &file, response->effective_url);
        replace_text(&file.server_ip, response->primary_ip);
        file.http_status = response->status;
        if (response->restarted)
            file.bytes_transferred = 0;
        if (response->restarted && a.on_demand)
            demand_mark(jobs, &file, DEMAND_FORGET_FILLED);
        store_status_t status = store_file_update(jobs->store, &file);
        if (status != STORE_OK)
            store_failure(jobs, &a.job, "record response", status);
        if (a.route.via_cache)
            cache_answered(s, &a);
    }
    store_file_clear(&file);
    unlock_store(jobs);
}

static void rate_meter_add(rate_meter_t *meter, uint64_t bytes, uint64_t now)
{
    if (!meter->window_start_ms)
        meter->window_start_ms = now;
    meter->window_bytes += bytes;
    if (now - meter->window_start_ms >= RATE_WINDOW_MS) {
        meter->rate = meter->window_bytes * 1000 / (now - meter->window_start_ms);
        meter->measured_ms = now;
        meter->window_start_ms = now;
        meter->window_bytes = 0;
    }
}

uint64_t rate_meter_now(const rate_meter_t *meter, uint64_t now)
{
    return meter->measured_ms && now - meter->measured_ms <= RATE_STALE_MS ? meter->rate : 0;
}

/* The job progressed by bytes now (no-progress clock, rates, totals); 1 when a progress event is
 * due (at most one per JOBS_PROGRESS_EVENT_MS per job). */
static int record_progress(struct scheduler *s, const store_guid_t *id, uint64_t bytes)
{
    uint64_t now = scheduler_now_ms();
    int due = 0;
    uv_mutex_lock(&s->mu);
    s->bytes_downloaded += bytes;
    rate_meter_add(&s->rate, bytes, now);
    active_t *a = scheduler_active_by_job(s, id);
    if (a)
        a->progressed += bytes;
    job_clock_t *c = clock_get(s, id);
    if (c) {
        rate_meter_add(&c->rate, bytes, now);
        c->last_progress_ms = now;
        due = !c->progress_event_ms || now - c->progress_event_ms >= JOBS_PROGRESS_EVENT_MS;
        if (due)
            c->progress_event_ms = now;
    }
    uv_mutex_unlock(&s->mu);
    return due;
}

static void on_checkpoint(void *ctx, uint64_t token, uint64_t written_bytes)
{
    struct scheduler *s = ctx;
    jobs_t *jobs = s->jobs;
    active_t a;
    if (HR_FAILED(lock_store(jobs)))
        return;
    store_file_t file = {0};
    store_job_t job = {0};
    if (find_transfer(s, token, &a, 0) &&
        store_file_get(jobs->store, &a.job, a.index, &file) == STORE_OK &&
        store_job_get(jobs->store, &a.job, &job) == STORE_OK) {
        uint64_t progress = written_bytes > file.bytes_transferred ? written_bytes - file.bytes_transferred : 0;
        store_status_t status = store_begin(jobs->store);
        if (!a.on_demand)
            file.bytes_transferred = written_bytes;
        else if (status == STORE_OK && HR_FAILED(demand_checkpoint(s, token, &file, written_bytes, &progress)))
            status = STORE_IO;
        if (file.bytes_durable > file.bytes_transferred) /* a restart from zero */
            file.bytes_durable = file.bytes_transferred;
        if (status == STORE_OK && (status = store_file_update(jobs->store, &file)) == STORE_OK) {
            job.modification_time = store_now_filetime();
            status = store_job_update(jobs->store, &job);
        }
        status = status == STORE_OK ? store_commit(jobs->store) : (store_rollback(jobs->store), status);
        if (status != STORE_OK)
            store_failure(jobs, &a.job, "record checkpoint", status);
        if (progress && record_progress(s, &a.job, progress) && status == STORE_OK)
            jobs_emit(jobs, &job, JOBS_EVENT_MODIFIED, JOBS_NO_FILE);
        if (a.on_demand && progress && status == STORE_OK) /* spaced by the service (notify) */
            jobs_emit(jobs, &job, JOBS_EVENT_FILE_RANGES_TRANSFERRED, a.index);
    }
    store_job_clear(&job);
    store_file_clear(&file);
    unlock_store(jobs);
}

/* A failed transfer (store lock held): TRANSIENT_ERROR with a retry time, or ERROR. cache_wait_ms
 * (not 0): a failed cache attempt that waits that long for the cache hosts (TRANSIENT_ERROR
 * whatever the failure, detail saying so) instead of the job's retry delay. */
static void record_failure(struct scheduler *s, store_job_t *job, const active_t *a,
                           const transfer_result_t *result, uint64_t cache_wait_ms, const char *detail)
{
    /* A temporary file that cannot be written is the local file's failure; every other failure
     * of a transfer is the remote file's (BITS reports a refused connection that way too), and
     * so is the no-progress verdict below, which ends a run of them. */
    int32_t context = result->error_context                     ? result->error_context
                      : result->result == TRANSFER_FATAL_LOCAL ? JOB_ERROR_CONTEXT_LOCAL_FILE
                                                               : JOB_ERROR_CONTEXT_REMOTE_FILE;
    hr_t code = result->code, behind = 0; /* behind: the failure under a no-progress timeout */
    /* A job with a custom HTTP method is not retried on its own (bits.md §2.3). */
    int32_t state = (result->result == TRANSFER_TRANSIENT && !job_has_custom_http_method(job)) || cache_wait_ms
                        ? JOB_STATE_TRANSIENT_ERROR : JOB_STATE_ERROR;
    uint64_t now = scheduler_now_ms(), delay_s = job->min_retry_delay;
    if (result->retry_after_seconds > delay_s)
        delay_s = result->retry_after_seconds;
    uint64_t delay_ms = cache_wait_ms ? cache_wait_ms : delay_s * 1000;
    uv_mutex_lock(&s->mu);
    job_clock_t *c = clock_get(s, &job->id);
    if (state == JOB_STATE_TRANSIENT_ERROR && c) {
        uint64_t since = c->last_progress_ms ? c->last_progress_ms : c->first_ms;
        if (now - since >= (uint64_t)job->no_progress_timeout * 1000) {
            state = JOB_STATE_ERROR;
            behind = code;
            code = DO_E_DOWNLOAD_NO_PROGRESS;
        } else {
            c->retry_at_ms = now + delay_ms;
        }
    }
    if (state == JOB_STATE_ERROR)
        clock_forget(s, &job->id);
    uv_mutex_unlock(&s->mu);
    job->state = state;
    set_error(job, context, code, (int32_t)a->index, detail);
    job->error_extended = (uint32_t)behind;
    write_job(s->jobs, job);
    char in[32]; /* whole seconds as such ("600 s"), a wait for the cache hosts in ms */
    if (delay_ms % 1000)
        snprintf(in, sizeof in, "%llu ms", (unsigned long long)delay_ms);
    else
        snprintf(in, sizeof in, "%llu s", (unsigned long long)(delay_ms / 1000));
    if (state == JOB_STATE_TRANSIENT_ERROR)
        log_job(LOG_WARN, job, "transfer.retry", "file %u: %s 0x%08x (%s); TRANSIENT_ERROR, retry in %s",
                a->index, transfer_class_name(result->result), (unsigned)code, detail, in);
    else
        log_job(LOG_ERROR, job, "transfer.error", "file %u: %s 0x%08x (%s); ERROR", a->index,
                transfer_class_name(result->result), (unsigned)code,
                code == DO_E_DOWNLOAD_NO_PROGRESS ? "no progress within the job's timeout" : detail);
    jobs_emit(s->jobs, job, state == JOB_STATE_ERROR ? JOBS_EVENT_ERROR : JOBS_EVENT_MODIFIED,
              state == JOB_STATE_ERROR ? a->index : JOBS_NO_FILE);
}

/* The file row at the end of a transfer (store lock held): durable bytes, the size once known,
 * what the transfer cost (GetStats), and a FILE_TRANSFERRED event when it completed the file. An
 * on-demand transfer's bytes were counted by its checkpoints, its file is complete only when whole,
 * and a server that refused a range ends File6 for the file. */
static void record_transfer_end(jobs_t *jobs, const store_job_t *job, store_file_t *file,
                                const transfer_result_t *result, const active_t *a)
{
    int on_demand = a->on_demand;
    int ok = result->result == TRANSFER_OK;
    if (!on_demand) { /* an on-demand file's count is by ranges: its final on_flushed says */
        file->bytes_transferred = result->written_bytes;
        file->bytes_durable = result->durable_bytes;
    } else if (result->code == DO_E_INSUFFICIENT_RANGE_SUPPORT) {
        demand_mark(jobs, file, DEMAND_NO_RANGES);
    }
    if (file->bytes_durable > file->bytes_transferred)
        file->bytes_durable = file->bytes_transferred;
    if (result->headers) /* the server's answer to a failed request: doadmin /why shows it */
        replace_text(&file->response_headers, result->headers);
    if (result->http_status)
        file->http_status = result->http_status;
    if (ok && file->bytes_total == JOB_SIZE_UNKNOWN)
        file->bytes_total = file->bytes_transferred;
    if (ok && !file->response_headers)
        replace_text(&file->response_headers, "");
    /* Connections used: those opened, or the cached one that carried an HTTP exchange. */
    uint32_t connections = result->connections ? result->connections : result->http_status != 0;
    if (a->route.via_cache) {
        file->bytes_from_cache += result->bytes_received;
        file->cache_connections += connections;
        cache_hosts_count(jobs->cache_hosts, &a->route, connections, result->bytes_received);
    } else {
        file->bytes_from_http += result->bytes_received;
        file->http_connections += connections;
    }
    file->download_ms += result->duration_ms;
    store_status_t status = store_file_update(jobs->store, file);
    if (status != STORE_OK)
        store_failure(jobs, &file->job_id, "record transfer end", status);
    else if (ok && (!on_demand || file_done(file)))
        jobs_emit(jobs, job, JOBS_EVENT_FILE_TRANSFERRED, file->index);
}

/* A cache attempt that failed on the cache's side: not the local file, not a cancel. */
static int cache_attempt_failed(const transfer_result_t *result)
{
    return result->result == TRANSFER_TRANSIENT || result->result == TRANSFER_FATAL_REMOTE;
}

/* A cache attempt failed (store lock held): the ban rule, then the next source at once (another
 * cache host or the origin; the job stays TRANSFERRING), or TRANSIENT_ERROR while the job waits
 * for the cache hosts. The reason is the job's cache_fallback (doadmin /why). */
static void leave_cache(struct scheduler *s, store_job_t *job, const active_t *a, const transfer_result_t *result)
{
    uint64_t now = scheduler_now_ms(), wait_ms = 0;
    char why[CACHE_WHY_MAX];
    uv_mutex_lock(&s->mu);
    job_clock_t *c = clock_get(s, &job->id);
    cache_progress_t progress = c ? c->cache : (cache_progress_t){0};
    cache_hosts_failed(s->jobs->cache_hosts, &a->route, result->http_status, result->code, result->bytes_received,
                       a->foreground, &progress, now, &wait_ms, why, sizeof why);
    if (c)
        c->cache = progress;
    uv_mutex_unlock(&s->mu);
    replace_text(&job->cache_fallback, why);
    log_job(LOG_WARN, job, "transfer.fallback", "file %u: %s (0x%08x: %s)", a->index, why, (unsigned)result->code,
            result->detail);
    if (!wait_ms) {
        start_job(s, job); /* the same file from the next source, resuming from its durable bytes */
        return;
    }
    char detail[CACHE_WHY_MAX + 64];
    snprintf(detail, sizeof detail, "waiting for the cache hosts: %s", why);
    record_failure(s, job, a, result, wait_ms, detail);
}

static void on_done(void *ctx, uint64_t token, const transfer_result_t *result)
{
    struct scheduler *s = ctx;
    jobs_t *jobs = s->jobs;
    active_t a;
    int ours = 0;
    if (HR_SUCCEEDED(lock_store(jobs))) {
        ours = find_transfer(s, token, &a, 1);
        if (ours && result->flush_pending) { /* its last flush reports later (on_flushed) */
            uv_mutex_lock(&s->mu);
            durability_expect(s, token, &a.job, a.index);
            uv_mutex_unlock(&s->mu);
        }
        store_file_t file = {0};
        store_job_t job = {0};
        int loaded = ours && store_job_get(jobs->store, &a.job, &job) == STORE_OK;
        if (loaded && store_file_get(jobs->store, &a.job, a.index, &file) == STORE_OK)
            record_transfer_end(jobs, &job, &file, result, &a);
        /* The job changes only if nothing else (Suspend, Cancel, ...) moved it meanwhile. */
        if (loaded && job.state == JOB_STATE_TRANSFERRING && a.route.via_cache && cache_attempt_failed(result)) {
            leave_cache(s, &job, &a, result);
        } else if (loaded && job.state == JOB_STATE_TRANSFERRING) {
            switch (result->result) {
            case TRANSFER_OK:
                uv_mutex_lock(&s->mu);
                s->files_downloaded++;
                uv_mutex_unlock(&s->mu);
                log_job(LOG_INFO, &job, "transfer.done", "file %u: downloaded (%llu bytes)", a.index,
                        (unsigned long long)result->written_bytes);
                start_job(s, &job); /* the next file, or TRANSFERRED */
                break;
            case TRANSFER_CANCELLED:
                if (!result->stopping) { /* SetRemoteName: start again */
                    job.state = JOB_STATE_QUEUED;
                    write_job(jobs, &job);
                    log_job(LOG_INFO, &job, "transfer.requeue", "file %u: transfer cancelled; QUEUED again",
                            a.index);
                    jobs_emit(jobs, &job, JOBS_EVENT_MODIFIED, JOBS_NO_FILE);
                }
                break;
            default:
                record_failure(s, &job, &a, result, 0, result->detail);
                break;
            }
        }
        store_job_clear(&job);
        store_file_clear(&file);
        unlock_store(jobs);
        if (ours)
            range_set_free(&a.demand);
    }
    uv_mutex_lock(&s->mu);
    uv_cond_broadcast(&s->ended);
    if (ours)
        kick_locked(s);
    uv_mutex_unlock(&s->mu);
}

/* ---- enable / disable -------------------------------------------------------------------------- */

/* After a restart nothing is moving: TRANSFERRING jobs are QUEUED again (lock held). */
static hr_t requeue_transferring(jobs_t *jobs)
{
    static const int32_t transferring = JOB_STATE_TRANSFERRING;
    store_job_brief_t *briefs = NULL;
    size_t count = 0;
    store_status_t status = store_job_list_in_states(jobs->store, &transferring, 1, &briefs, &count);
    for (size_t i = 0; status == STORE_OK && i < count; i++) {
        store_job_t job = {0};
        status = store_job_get(jobs->store, &briefs[i].id, &job);
        if (status == STORE_OK) {
            job.state = JOB_STATE_QUEUED;
            status = store_job_update(jobs->store, &job);
            log_job(LOG_INFO, &job, "transfer.requeue", "TRANSFERRING at start-up: QUEUED again");
        }
        store_job_clear(&job);
    }
    free(briefs);
    return status == STORE_OK ? HR_OK : store_failure(jobs, NULL, "requeue jobs", status);
}

static void free_scheduler(struct scheduler *s)
{
    uv_cond_destroy(&s->ended);
    uv_cond_destroy(&s->wake);
    uv_mutex_destroy(&s->mu);
    free(s->active);
    free(s->clocks);
    free(s->flushes);
    free(s);
}

hr_t jobs_enable_transfers(jobs_t *jobs, const transfer_options_t *options, const jobs_file_ops_t *ops,
                           uint32_t max_background_transfers)
{
    if (!jobs)
        return HR_E_INVALIDARG;
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    if (jobs->scheduler) {
        unlock_store(jobs);
        return HR_FALSE;
    }
    hr = durability_recover(jobs);
    if (HR_SUCCEEDED(hr))
        hr = requeue_transferring(jobs);
    unlock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    struct scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return HR_E_OUTOFMEMORY;
    s->jobs = jobs;
    s->max_background = max_background_transfers;
    s->enabled_ms = scheduler_now_ms();
    s->ops.rename_replace = ops && ops->rename_replace ? ops->rename_replace : native_rename;
    s->ops.remove = ops && ops->remove ? ops->remove : native_remove;
    s->ops.reveal_secret = ops && ops->reveal_secret ? ops->reveal_secret : native_reveal_secret;
    s->ops.has_helper_token = ops && ops->has_helper_token ? ops->has_helper_token : native_has_helper_token;
    s->ops.ctx = ops ? ops->ctx : NULL;
    uv_mutex_init(&s->mu);
    uv_cond_init(&s->wake);
    uv_cond_init(&s->ended);
    static const transfer_callbacks_t callbacks = {on_response, on_checkpoint, on_done, scheduler_on_flushed};
    hr = transfer_engine_start(&callbacks, s, options, &s->engine);
    if (HR_FAILED(hr)) {
        free_scheduler(s);
        return hr;
    }
    if (HR_SUCCEEDED(hr = lock_store(jobs))) {
        jobs->scheduler = s;
        jobs->scheduler_hooks = &hooks;
        unlock_store(jobs);
    }
    if (HR_SUCCEEDED(hr) && uv_thread_create(&s->thread, scheduler_thread, s) != 0) {
        uv_mutex_lock(&jobs->lock);
        jobs->scheduler = NULL;
        uv_mutex_unlock(&jobs->lock);
        hr = HR_E_FAIL;
    }
    if (HR_FAILED(hr)) {
        transfer_engine_stop(s->engine);
        free_scheduler(s);
        return hr;
    }
    log_service(LOG_INFO, "service.transfers", "transfers enabled (at most %u background jobs at once)",
                max_background_transfers);
    kick(s);
    return HR_OK;
}

void jobs_disable_transfers(jobs_t *jobs)
{
    if (!jobs)
        return;
    uv_mutex_lock(&jobs->lock);
    struct scheduler *s = jobs->scheduler;
    uv_mutex_unlock(&jobs->lock);
    if (!s)
        return;
    uv_mutex_lock(&s->mu);
    s->stopping = 1;
    uv_cond_signal(&s->wake);
    uv_mutex_unlock(&s->mu);
    uv_thread_join(&s->thread);
    uv_mutex_lock(&s->mu);
    s->engine_closed = 1; /* no submit or cancel from here on */
    uv_mutex_unlock(&s->mu);
    transfer_engine_stop(s->engine); /* on_done (stopping) for each transfer: checkpoints kept */
    uv_mutex_lock(&jobs->lock);
    jobs->scheduler = NULL;
    uv_mutex_unlock(&jobs->lock);
    uv_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->active_count; i++) /* transfers whose on_done found no store */
        range_set_free(&s->active[i].demand);
    s->active_count = 0;
    uv_cond_broadcast(&s->ended);
    while (s->waiters)
        uv_cond_wait(&s->ended, &s->mu);
    uv_mutex_unlock(&s->mu);
    free_scheduler(s);
    log_service(LOG_INFO, "service.transfers", "transfers disabled");
}

hr_t jobs_set_bandwidth(jobs_t *jobs, transfer_cap_t which, uint64_t bytes_per_second)
{
    if (!jobs || (unsigned)which >= TRANSFER_CAP_COUNT)
        return HR_E_INVALIDARG;
    hr_t hr = HR_FALSE;
    uv_mutex_lock(&jobs->lock);
    struct scheduler *s = jobs->scheduler;
    if (s) {
        uv_mutex_lock(&s->mu);
        hr = s->engine_closed ? HR_FALSE : transfer_set_bandwidth_limit(s->engine, which, bytes_per_second);
        if (hr == HR_OK)
            s->caps[which] = bytes_per_second <= TRANSFER_BANDWIDTH_MAX ? bytes_per_second : 0;
        uv_mutex_unlock(&s->mu);
    }
    uv_mutex_unlock(&jobs->lock);
    if (hr == HR_OK && bytes_per_second)
        log_service(LOG_INFO, "service.transfers", "%s downloads capped at %llu bytes/s",
                    which == TRANSFER_CAP_FOREGROUND ? "foreground" : "background",
                    (unsigned long long)bytes_per_second);
    return hr;
}

/* ---- hooks from the API ------------------------------------------------------------------------ */

/* Cancels the job's transfer, if any (s->mu held); 1 when one was running. */
static int cancel_transfer_locked(struct scheduler *s, const store_guid_t *id)
{
    active_t *a = scheduler_active_by_job(s, id);
    if (a && !s->engine_closed)
        transfer_cancel(s->engine, a->token);
    return a != NULL;
}

static void hook_job_changed(jobs_t *jobs, const store_guid_t *id, int stop_transfer)
{
    uv_mutex_lock(&jobs->lock);
    struct scheduler *s = jobs->scheduler;
    if (s) {
        uv_mutex_lock(&s->mu);
        if (stop_transfer)
            cancel_transfer_locked(s, id);
        else
            clock_forget(s, id); /* Resume: the no-progress clock starts again */
        kick_locked(s);
        uv_mutex_unlock(&s->mu);
    }
    uv_mutex_unlock(&jobs->lock);
}

static void hook_job_removed(jobs_t *jobs, const store_guid_t *id)
{
    struct scheduler *s = jobs->scheduler;
    if (!s)
        return;
    uv_mutex_lock(&s->mu);
    cancel_transfer_locked(s, id);
    clock_forget(s, id);
    uv_mutex_unlock(&s->mu);
}

/* Temp files to delete once the store lock is released. */
typedef struct path_list {
    char **paths;
    size_t count;
} path_list_t;

static void path_add(path_list_t *list, const char *path)
{
    char **p = path ? realloc(list->paths, (list->count + 1) * sizeof *p) : NULL;
    if (p && (p[list->count] = strdup(path)))
        list->count++;
    if (p)
        list->paths = p;
}

static void remove_paths(struct scheduler *s, const store_guid_t *id, path_list_t *list, int really)
{
    for (size_t i = 0; i < list->count; i++) {
        int rc = really ? s->ops.remove(s->ops.ctx, id, list->paths[i]) : 0;
        if (!missing_file(rc))
            log_event(LOG_WARN, id, NULL, "file.cleanup", "cannot remove temporary file \"%s\": 0x%08x",
                      list->paths[i], (unsigned)rc);
        free(list->paths[i]);
    }
    free(list->paths);
    list->paths = NULL;
    list->count = 0;
}

/* Complete (lock held): every finished file renamed into place, the others' temp files listed
 * for removal. A failed rename stops here, job kept (Complete may be retried). */
static hr_t complete_files(struct scheduler *s, store_job_t *job, path_list_t *remove_list)
{
    jobs_t *jobs = s->jobs;
    uint32_t count = 0;
    store_status_t status = store_file_count(jobs->store, &job->id, &count);
    hr_t hr = status == STORE_OK ? HR_OK : store_failure(jobs, &job->id, "count files", status);
    for (uint32_t i = 0; HR_SUCCEEDED(hr) && i < count; i++) {
        store_file_t file = {0};
        status = store_file_get(jobs->store, &job->id, i, &file);
        if (status != STORE_OK)
            hr = store_failure(jobs, &job->id, "read file", status);
        else if (file_done(&file) && !file.completed && file.temp_name && file.local_name) {
            int rc = s->ops.rename_replace(s->ops.ctx, &job->id, file.temp_name, file.local_name);
            if (rc) {
                hr = (hr_t)rc;
                log_job(LOG_ERROR, job, "job.complete", "Complete: file %u cannot be renamed to \"%s\": "
                        "0x%08x; job kept", i, file.local_name, (unsigned)rc);
            } else {
                file.completed = 1;
                if ((status = store_file_update(jobs->store, &file)) != STORE_OK)
                    hr = store_failure(jobs, &job->id, "update file", status);
                else
                    durability_note_completed(jobs, job, &file);
            }
        } else if (!file.completed) {
            path_add(remove_list, file.temp_name);
        }
        store_file_clear(&file);
    }
    return hr;
}

static void list_temp_files(jobs_t *jobs, const store_job_t *job, path_list_t *list)
{
    uint32_t count = 0;
    if (store_file_count(jobs->store, &job->id, &count) != STORE_OK)
        return;
    for (uint32_t i = 0; i < count; i++) {
        store_file_t file = {0};
        if (store_file_get(jobs->store, &job->id, i, &file) == STORE_OK && !file.completed)
            path_add(list, file.temp_name);
        store_file_clear(&file);
    }
}

static int hook_end_job(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                      int32_t final_state, hr_t *out)
{
    if (!jobs || !caller_is_valid(caller) || !id)
        return 0;
    if (final_state == JOB_STATE_ACKNOWLEDGED) /* Complete renames files whose last flush is over */
        durability_wait_for_job(jobs, caller, id);
    if (HR_FAILED(lock_store(jobs)))
        return 0;
    struct scheduler *s = jobs->scheduler;
    if (!s) {
        unlock_store(jobs);
        return 0;
    }
    store_job_t job;
    hr_t hr = load_job(jobs, caller, id, &job);
    if (HR_FAILED(hr)) {
        unlock_store(jobs);
        *out = hr;
        return 1;
    }
    int32_t seen_state = job.state; /* what the caller saw, for the log */
    uv_mutex_lock(&s->mu);
    s->waiters++;
    int running = cancel_transfer_locked(s, id);
    uv_mutex_unlock(&s->mu);
    if (running) {
        /* Nothing may start it again while the lock is released: SUSPENDED until it ends. */
        if (job.state != JOB_STATE_SUSPENDED) {
            job.state = JOB_STATE_SUSPENDED;
            write_job(jobs, &job);
        }
        store_job_clear(&job);
        unlock_store(jobs);
        uv_mutex_lock(&s->mu);
        uint64_t deadline = scheduler_now_ms() + END_WAIT_MS;
        while (scheduler_active_by_job(s, id) && scheduler_now_ms() < deadline)
            uv_cond_timedwait(&s->ended, &s->mu, 100 * 1000000u);
        uv_mutex_unlock(&s->mu);
        hr = lock_store(jobs);
        if (HR_SUCCEEDED(hr))
            hr = load_job(jobs, caller, id, &job);
        if (HR_FAILED(hr) && hr != DO_E_NO_SERVICE)
            unlock_store(jobs);
    }
    path_list_t remove_list = {0};
    if (HR_SUCCEEDED(hr)) {
        if (final_state == JOB_STATE_ACKNOWLEDGED)
            hr = complete_files(s, &job, &remove_list);
        else
            list_temp_files(jobs, &job, &remove_list);
        if (HR_SUCCEEDED(hr))
            hr = end_loaded_job(jobs, &job, final_state, seen_state, caller);
        uv_mutex_lock(&s->mu);
        clock_forget(s, id);
        uv_mutex_unlock(&s->mu);
        store_job_clear(&job);
        unlock_store(jobs);
    }
    remove_paths(s, id, &remove_list, HR_SUCCEEDED(hr)); /* a job that stays keeps its files */
    uv_mutex_lock(&s->mu);
    s->waiters--;
    uv_cond_broadcast(&s->ended);
    kick_locked(s);
    uv_mutex_unlock(&s->mu);
    *out = hr;
    return 1;
}

/* Until the job's transfer (cancelled by the caller) has ended and its last bytes are recorded,
 * END_WAIT_MS at most. */
static void hook_wait_stopped(jobs_t *jobs, const store_guid_t *id)
{
    if (HR_FAILED(lock_store(jobs)))
        return;
    struct scheduler *s = jobs->scheduler;
    if (s) {
        uv_mutex_lock(&s->mu);
        s->waiters++;
        uv_mutex_unlock(&s->mu);
    }
    unlock_store(jobs);
    if (!s)
        return;
    uv_mutex_lock(&s->mu);
    uint64_t deadline = scheduler_now_ms() + END_WAIT_MS;
    while (scheduler_active_by_job(s, id) && scheduler_now_ms() < deadline)
        uv_cond_timedwait(&s->ended, &s->mu, 100 * 1000000u);
    s->waiters--;
    uv_cond_broadcast(&s->ended);
    uv_mutex_unlock(&s->mu);
}

static const scheduler_hooks_t hooks = {hook_job_changed, hook_job_removed, hook_end_job,
                                        jobs_disable_transfers, scheduler_job_activity,
                                        scheduler_activity, hook_wait_stopped};
