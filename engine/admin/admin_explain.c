/* doadmin /why job: what the job waits for, in plain words, and what an administrator can do
 * about it. It joins the job's row and files (state, last error, HTTP status and the server's
 * last response headers), what the scheduler knows (running transfer, rate, retry and
 * no-progress clocks, slots and the bandwidth cap) and the job's last log lines. */
#include "admin_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "downloads.h"
#include "guid.h"

#define RECENT_LOG_LINES 5
#define TRANSFER_STALL_S 120 /* the engine drops a connection that carries nothing this long */

typedef struct why {
    const admin_sources_t *src;
    const caller_t *caller;
    store_job_t job;
    store_file_t *files;
    uint32_t file_count;
    jobs_job_activity_t activity;
    jobs_activity_t service;
    text_t text;
    text_t advice; /* "What you can do" lines */
} why_t;

/* BITS' cost flags (IBackgroundCopyJob5 COST_FLAGS): the named sets first, else the states. */
static const struct { uint32_t flags; const char *name; } cost_sets[] = {
    {0x800000FFu, "TRANSFER_ALWAYS: any network"},
    {0x8000007Fu, "TRANSFER_NOT_ROAMING: any network but a roaming one"},
    {0x80000067u, "TRANSFER_STANDARD: unrestricted, capped below the cap, or capped with unknown usage"},
    {0x80000027u, "TRANSFER_NO_SURCHARGE: no network that charges beyond its cap"},
    {0x80000021u, "TRANSFER_UNRESTRICTED: unrestricted networks only"},
};
static const char *const cost_states[] = {"UNRESTRICTED", "CAPPED_USAGE_UNKNOWN", "BELOW_CAP", "NEAR_CAP",
                                          "OVERCAP_CHARGED", "OVERCAP_THROTTLED", "USAGE_BASED", "ROAMING"};

static void advise(why_t *w, const char *fmt, const char *arg)
{
    text_puts(&w->advice, "  * ");
    text_printf(&w->advice, fmt, arg);
    text_puts(&w->advice, "\n");
}

static uint64_t bytes_done(const why_t *w, uint64_t *total, uint32_t *files_done)
{
    uint64_t done = 0;
    *total = 0;
    *files_done = 0;
    for (uint32_t i = 0; i < w->file_count; i++) {
        const store_file_t *f = &w->files[i];
        done += f->bytes_transferred;
        if (f->bytes_total == JOB_SIZE_UNKNOWN)
            *total = JOB_SIZE_UNKNOWN;
        else if (*total != JOB_SIZE_UNKNOWN)
            *total += f->bytes_total;
        *files_done += f->bytes_total != JOB_SIZE_UNKNOWN && f->bytes_transferred == f->bytes_total;
    }
    return done;
}

static void header(why_t *w, const char *id)
{
    char created[40], changed[40], done_text[64], total_text[64];
    admin_format_time(w->job.creation_time, created, sizeof created);
    admin_format_time(w->job.modification_time, changed, sizeof changed);
    uint64_t total;
    uint32_t files_done;
    admin_format_bytes(bytes_done(w, &total, &files_done), done_text, sizeof done_text);
    if (total == JOB_SIZE_UNKNOWN)
        snprintf(total_text, sizeof total_text, "a size not known yet");
    else
        admin_format_bytes(total, total_text, sizeof total_text);
    if (w->job.kind == STORE_KIND_DOWNLOAD)
        text_printf(&w->text, "Download %s \"%s\" (IDODownload, %s%s)\n", id,
                    w->job.display_name ? w->job.display_name : "",
                    downloads_state_name(downloads_state_of(&w->job)),
                    w->job.non_volatile ? ", NonVolatile" : ", lost if the service restarts");
    else
        text_printf(&w->text, "Job %s \"%s\"\n", id, w->job.display_name ? w->job.display_name : "");
    text_printf(&w->text, "  owner %s, priority %s, created %s, last changed %s\n",
                w->job.owner_sid ? w->job.owner_sid : "-", admin_priority_name(w->job.priority),
                created, changed);
    text_printf(&w->text, "  %u of %u file(s) and %s of %s downloaded\n\n", files_done,
                w->file_count, done_text, total_text);
}

/* ---- the no-progress timeout, the bandwidth cap, the slots ---------------------------------------- */

static void no_progress_clock(why_t *w)
{
    char idle[40], left[40], timeout[40];
    admin_format_duration((uint64_t)w->job.no_progress_timeout * 1000, timeout, sizeof timeout);
    if (w->activity.idle_ms < 0) {
        text_printf(&w->text, "No-progress timeout: %s once it transfers (/setnoprogresstimeout).\n",
                    timeout);
        return;
    }
    uint64_t limit = (uint64_t)w->job.no_progress_timeout * 1000, idle_ms = (uint64_t)w->activity.idle_ms;
    admin_format_duration(idle_ms, idle, sizeof idle);
    if (idle_ms < 2000 && w->activity.progressed) {
        text_printf(&w->text, "No-progress timeout: %s; its last progress was just now.\n", timeout);
        return;
    }
    admin_format_duration(idle_ms < limit ? limit - idle_ms : 0, left, sizeof left);
    text_printf(&w->text,
                "No progress for %s (%s). If none is made within %s more (its no-progress "
                "timeout is %s), the next failure ends the job in ERROR with "
                "DO_E_DOWNLOAD_NO_PROGRESS.\n",
                idle, w->activity.progressed ? "since its last progress" : "since it started in this run",
                left, timeout);
}

static void bandwidth_cap(why_t *w)
{
    int foreground = w->job.priority == JOB_PRIORITY_FOREGROUND;
    uint64_t bytes = foreground ? w->service.foreground_cap : w->service.background_cap;
    if (!bytes)
        return;
    char cap[64];
    admin_format_bytes(bytes, cap, sizeof cap);
    if (foreground) {
        text_printf(&w->text, "Foreground downloads share a cap of %s per second "
                              "(DOMaxForegroundDownloadBandwidth); %u of them run now.\n",
                    cap, w->service.foreground_running);
        advise(w, "%s", "lift or raise the policy HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\"
                        "DeliveryOptimization\\DOMaxForegroundDownloadBandwidth (KiB/s, 0 = none); "
                        "the service applies it at once");
        return;
    }
    text_printf(&w->text, "Background downloads share a cap of %s per second "
                          "(MaxBackgroundDownloadBandwidth or DOMaxBackgroundDownloadBandwidth, the "
                          "lower); %u of them run now.\n",
                cap, w->service.background_running);
    advise(w, "%s", "lift or raise the cap: HKLM\\SOFTWARE\\opendo\\Transfers\\"
                    "MaxBackgroundDownloadBandwidth and the policy DOMaxBackgroundDownloadBandwidth "
                    "(KiB/s, 0 = none; the service applies them at once); or make this job "
                    "FOREGROUND (doadmin /setpriority <job> FOREGROUND), which has its own cap");
}

static void waiting_for_slot(why_t *w)
{
    const jobs_activity_t *s = &w->service;
    if (w->job.priority == JOB_PRIORITY_FOREGROUND || s->background_running < s->max_background) {
        text_puts(&w->text, "It is about to start: a slot is free, and the scheduler looks at the "
                            "queue whenever a job changes and at least every 30 s.\n");
        return;
    }
    text_printf(&w->text,
                "It waits for a free slot: %u background download(s) run, the most allowed at once "
                "(MaxBackgroundTransfers = %u), and %u background job(s) wait in all. Higher "
                "priorities go first, then older jobs.\n",
                s->background_running, s->max_background, s->background_waiting);
    advise(w, "%s", "raise HKLM\\SOFTWARE\\opendo\\Transfers\\MaxBackgroundTransfers, then restart "
                    "the service; or give this job a higher priority (doadmin /setpriority <job> "
                    "HIGH or FOREGROUND)");
}

/* ---- the last error --------------------------------------------------------------------------- */

static void response_headers(why_t *w, const store_file_t *file)
{
    if (!file || !file->response_headers || !file->response_headers[0])
        return;
    text_puts(&w->text, "  The server's last response headers:\n");
    const char *line = file->response_headers;
    while (*line) {
        size_t len = strcspn(line, "\r\n");
        if (len)
            text_printf(&w->text, "    %.*s\n", (int)len, line);
        line += len;
        line += strspn(line, "\r\n");
    }
}

static void advise_error(why_t *w, uint32_t code, int32_t context)
{
    int status = admin_http_status(code);
    if (status == 404 || status == 410)
        advise(w, "%s", "the server says the file does not exist: check the URL (doadmin "
                        "/listfiles <job>), correct it (doadmin /replaceremoteprefix <job> <old> "
                        "<new>, or the program's SetRemoteName), then doadmin /resume <job>");
    else if (status == 401 || status == 403 || status == 407)
        advise(w, "the %s refuses access: give the job credentials (doadmin /setcredentials <job> "
                  "SERVER|PROXY ...) or fix the permission, then doadmin /resume <job>",
               status == 407 ? "proxy" : "server");
    else if (status >= 500)
        advise(w, "%s", "the server failed: when it works again, doadmin /resume <job>");
    else if (code == (uint32_t)DO_E_DOWNLOAD_NO_PROGRESS || (code >= 0x80072EE2u && code <= 0x80072EFFu))
        advise(w, "%s", "the server was not reachable from this machine: check the network, the "
                        "name and the proxy (doadmin /setproxysettings), then doadmin /resume "
                        "<job>; a slow network may need a longer /setnoprogresstimeout");
    else if ((code & 0xFFFF0000u) == 0x800B0000u || code == 0x80072F8Fu ||
             code == (uint32_t)DO_E_HTTP_CERT_VALIDATION)
        advise(w, "%s", "the server's certificate was refused (see the tls.refused log line): "
                        "fix the certificate, or trust its CA on this machine");
    else if (code == 0x80070002u || code == 0x80070003u)
        advise(w, "%s", context == JOB_ERROR_CONTEXT_LOCAL_FILE
                            ? "the folder of the local file does not exist: create it, then doadmin "
                              "/resume <job>"
                            : "the source file does not exist: check its path (doadmin /listfiles "
                              "<job>), then doadmin /resume <job>");
    else if (context == JOB_ERROR_CONTEXT_LOCAL_FILE)
        advise(w, "%s", "the local file cannot be written: check free space and permissions where "
                        "the file goes, then doadmin /resume <job>");
}

static void last_error(why_t *w)
{
    if (!w->job.error_code)
        return;
    const store_file_t *file = w->job.error_file_index >= 0 &&
                               (uint32_t)w->job.error_file_index < w->file_count
                                   ? &w->files[w->job.error_file_index] : NULL;
    text_printf(&w->text, "Last error (errors so far: %u):\n", w->job.error_count);
    admin_error_line(w->src, &w->text, "  code:    ", w->job.error_code);
    char *context = w->src->describe_context ? w->src->describe_context(w->job.error_context) : NULL;
    text_printf(&w->text, "  context: %d%s%s\n", w->job.error_context, context ? " - " : "",
                context ? context : "");
    free(context);
    if (file)
        text_printf(&w->text, "  file:    %u: %s -> %s\n", file->index,
                    file->remote_name ? file->remote_name : "", file->local_name ? file->local_name : "");
    if (w->job.error_detail && w->job.error_detail[0])
        text_printf(&w->text, "  detail:  %s\n", w->job.error_detail);
    int status = admin_http_status(w->job.error_code);
    if (status)
        text_printf(&w->text, "  HTTP status: %d\n", status);
    response_headers(w, file);
    advise_error(w, w->job.error_code, w->job.error_context);
}

/* ---- per state ------------------------------------------------------------------------------ */

static void explain_suspended(why_t *w)
{
    text_puts(&w->text, "It is SUSPENDED: nothing happens until its owner or an administrator "
                        "resumes it. Jobs are created suspended; Suspend puts them back.\n");
}

static void explain_queued(why_t *w)
{
    text_puts(&w->text, "It is QUEUED: it waits to download.\n");
    waiting_for_slot(w);
}

static void explain_transferring(why_t *w)
{
    const jobs_job_activity_t *a = &w->activity;
    if (a->running && a->file_index < w->file_count) {
        const store_file_t *f = &w->files[a->file_index];
        char rate[64];
        admin_format_bytes(a->rate, rate, sizeof rate);
        text_printf(&w->text, "It is TRANSFERRING file %u of %u: %s -> %s, now at %s per second.\n",
                    a->file_index + 1, w->file_count, f->remote_name ? f->remote_name : "",
                    f->local_name ? f->local_name : "", rate);
        if (!a->rate && a->idle_ms > 10000)
            text_printf(&w->text, "No byte has arrived for a while; a connection that carries "
                                  "nothing for %d s is dropped and retried.\n", TRANSFER_STALL_S);
    } else {
        text_puts(&w->text, "It is TRANSFERRING, between two files or just starting.\n");
    }
    bandwidth_cap(w);
    no_progress_clock(w);
}

static void explain_transient(why_t *w)
{
    char in[40];
    text_puts(&w->text, "It is in TRANSIENT_ERROR: the last attempt failed, and the service will "
                        "try again by itself, resuming where it stopped.\n");
    if (w->activity.retry_in_ms >= 0) {
        admin_format_duration((uint64_t)w->activity.retry_in_ms, in, sizeof in);
        text_printf(&w->text, "Next retry: in %s (its minimum retry delay is %u s; a server's "
                              "Retry-After can make it longer).\n", in, w->job.min_retry_delay);
    } else {
        text_printf(&w->text, "Next retry: %u s (its minimum retry delay) after its last change.\n",
                    w->job.min_retry_delay);
    }
    no_progress_clock(w);
}

static void explain_error(why_t *w)
{
    text_puts(&w->text, "It is in ERROR: it stopped and will not try again by itself.\n");
}

static void explain_transferred(why_t *w)
{
    char expires[40];
    int days;
    admin_expiry(w->src, &w->job, expires, sizeof expires, &days);
    text_printf(&w->text,
                "It is TRANSFERRED: every byte is here, in hidden temporary files next to the "
                "destinations. It waits for its owner's program to call %s, which makes the "
                "files visible. Uncompleted %s are removed %d days after %s (%s).\n",
                w->job.kind == STORE_KIND_DOWNLOAD ? "Finalize" : "Complete",
                w->job.kind == STORE_KIND_BITS ? "BITS jobs" : "jobs", days,
                w->job.kind == STORE_KIND_BITS ? "their last change (JobInactivityTimeout)" : "creation",
                expires);
}

static void explain_state(why_t *w)
{
    if (!w->activity.transfers_enabled && w->job.state != JOB_STATE_SUSPENDED)
        text_puts(&w->text, "Transfers are not enabled in this service process: nothing "
                            "downloads (see the service.transfers lines of the log).\n");
    switch (w->job.state) {
    case JOB_STATE_SUSPENDED: explain_suspended(w); break;
    case JOB_STATE_QUEUED: case JOB_STATE_CONNECTING: explain_queued(w); break;
    case JOB_STATE_TRANSFERRING: explain_transferring(w); break;
    case JOB_STATE_TRANSIENT_ERROR: explain_transient(w); break;
    case JOB_STATE_ERROR: explain_error(w); break;
    case JOB_STATE_TRANSFERRED: explain_transferred(w); break;
    default: text_printf(&w->text, "State %d.\n", w->job.state); break;
    }
}

/* What an administrator can always do in this state (after any advice about the error). A
 * download is its client's to drive: the BITS-style API, and so doadmin's job switches, do not
 * see it (docs/architecture.md). */
/* The network costs the job accepts (BITS' cost flags), and what opendo makes of them. */
static void network_cost(why_t *w)
{
    uint32_t flags = w->job.cost_flags;
    text_printf(&w->text, "Networks it may use (cost flags 0x%08X): ", flags);
    size_t named = 0;
    while (named < sizeof cost_sets / sizeof cost_sets[0] && cost_sets[named].flags != flags)
        named++;
    if (named < sizeof cost_sets / sizeof cost_sets[0])
        text_puts(&w->text, cost_sets[named].name);
    else
        for (size_t bit = 0, first = 1; bit < sizeof cost_states / sizeof cost_states[0]; bit++)
            if (flags & (1u << bit)) {
                text_printf(&w->text, "%s%s", first ? "" : ", ", cost_states[bit]);
                first = 0;
            }
    text_puts(&w->text, flags & 0xFFu ? ".\n" : "none of the network states: it would never transfer on Windows.\n");
    text_puts(&w->text, "  opendo cannot learn what a network costs (no metered networks under Wine): it transfers "
                        "on any network, whatever these flags say.\n");
}

static void advise_state(why_t *w)
{
    if (w->job.kind == STORE_KIND_DOWNLOAD) {
        advise(w, "%s", "its client drives it through IDODownload (Start, Pause, Finalize, Abort); "
                        "doadmin's job switches do not reach downloads");
        if (!w->job.non_volatile)
            advise(w, "%s", "it is not NonVolatile: restarting the service (sc stop DoSvc, "
                            "sc start DoSvc) removes it and its temporary file");
        return;
    }
    switch (w->job.state) {
    case JOB_STATE_SUSPENDED:
        advise(w, "%s", w->file_count ? "doadmin /resume <job> queues it"
                                      : "it has no files yet: add them (doadmin /addfile <job> <url> "
                                        "<local>), then doadmin /resume <job>");
        break;
    case JOB_STATE_TRANSIENT_ERROR:
        advise(w, "%s", "doadmin /resume <job> retries now");
        break;
    case JOB_STATE_ERROR:
        advise(w, "%s", "doadmin /resume <job> tries again; doadmin /cancel <job> gives up (the "
                        "temporary files are deleted)");
        break;
    case JOB_STATE_TRANSFERRED:
        advise(w, "%s", "doadmin /complete <job> puts the files in place now");
        break;
    default:
        break;
    }
}

/* ---- cache hosts ------------------------------------------------------------------------------ */

#define FALLBACK_LOG_LINES 50 /* of the job's WARN/ERROR lines, searched for its last fallback */

/* The job's newest transfer.fallback log line (when it last left a cache host), malloc'ed, or
 * NULL. */
static char *last_fallback_line(const store_guid_t *id)
{
    char *lines = NULL, *copy = NULL;
    log_query_t query = {.job = id, .problems_only = 1, .max_lines = FALLBACK_LOG_LINES};
    if (log_read(&query, &lines) != 0)
        return NULL;
    const char *found = NULL;
    size_t found_len = 0;
    for (char *p = lines; *p;) {
        size_t len = strcspn(p, "\n");
        char end = p[len];
        p[len] = '\0';
        if (strstr(p, " transfer.fallback "))
            found = p, found_len = len;
        p[len] = end;
        p += len + (end != '\0');
    }
    if (found && (copy = malloc(found_len + 1))) {
        memcpy(copy, found, found_len);
        copy[found_len] = '\0';
    }
    free(lines);
    return copy;
}

/* Which source the job uses: the cache host of its running transfer, the last one it used, and
 * when and why it last left a cache host. */
static void cache_source(why_t *w)
{
    if (w->activity.cache_host[0])
        text_printf(&w->text, "It downloads through cache host %s (DOCacheHost).\n", w->activity.cache_host);
    else if (w->job.cache_host)
        text_printf(&w->text, "The last cache host it used: %s.\n", w->job.cache_host);
    if (!w->job.cache_fallback)
        return;
    text_printf(&w->text, "It last left a cache host because %s.\n", w->job.cache_fallback);
    char *line = last_fallback_line(&w->job.id);
    if (line)
        text_printf(&w->text, "  when: %s\n", line);
    free(line);
}

/* ---- the whole report ------------------------------------------------------------------------- */

static void recent_log(why_t *w, const store_guid_t *id, const char *title)
{
    char *lines = NULL;
    log_query_t query = {.job = id, .max_lines = RECENT_LOG_LINES};
    if (log_read(&query, &lines) == 0 && lines[0])
        text_printf(&w->text, "\n%s\n%s", title, lines);
    free(lines);
}

static hr_t load(why_t *w, const store_guid_t *id)
{
    hr_t hr = jobs_get(w->src->jobs, w->caller, id, &w->job);
    if (HR_SUCCEEDED(hr))
        hr = jobs_file_count(w->src->jobs, w->caller, id, &w->file_count);
    if (HR_SUCCEEDED(hr) && w->file_count && !(w->files = calloc(w->file_count, sizeof *w->files)))
        hr = HR_E_OUTOFMEMORY;
    for (uint32_t i = 0; HR_SUCCEEDED(hr) && i < w->file_count; i++)
        hr = jobs_get_file(w->src->jobs, w->caller, id, i, &w->files[i]);
    if (HR_SUCCEEDED(hr))
        hr = jobs_job_activity(w->src->jobs, id, &w->activity);
    if (HR_SUCCEEDED(hr))
        hr = jobs_activity(w->src->jobs, &w->service);
    return hr;
}

/* A job no longer in the queue: what the log remembers of it. */
static hr_t explain_gone(why_t *w, const store_guid_t *id, const char *id_text)
{
    text_printf(&w->text, "Job %s is not in the queue: it was completed, cancelled or removed "
                          "by the expiry (DO jobs after %d days, BITS jobs after JobInactivityTimeout).\n",
                id_text, JOB_MAX_AGE_DAYS);
    size_t before = w->text.len;
    recent_log(w, id, "Its last log lines:");
    return w->text.len > before ? HR_OK : DO_E_JOB_NOT_FOUND;
}

hr_t admin_explain(const admin_sources_t *src, const caller_t *caller, const store_guid_t *id,
                   char **report)
{
    hr_t hr = admin_check(caller, report);
    if (HR_FAILED(hr))
        return hr;
    if (!id)
        return HR_E_INVALIDARG;
    why_t w = {.src = src, .caller = caller};
    char id_text[GUID_STRING_SIZE];
    guid_format(id, id_text);
    hr = load(&w, id);
    if (hr == DO_E_JOB_NOT_FOUND || hr == DO_E_INVALID_STATE) {
        hr = explain_gone(&w, id, id_text);
    } else if (HR_SUCCEEDED(hr)) {
        header(&w, id_text);
        explain_state(&w);
        cache_source(&w);
        network_cost(&w);
        last_error(&w);
        advise_state(&w);
        text_puts(&w.text, "The owner need not be logged on: opendo downloads with the service's "
                           "own network access; Complete renames the files as its caller.\n");
        recent_log(&w, id, "Recent log lines:");
        if (w.advice.len) {
            text_puts(&w.text, "\nWhat you can do:\n");
            text_append(&w.text, w.advice.data, w.advice.len);
        }
    }
    hr = admin_finish(hr, &w.text, report);
    text_free(&w.advice);
    store_job_clear(&w.job);
    for (uint32_t i = 0; w.files && i < w.file_count; i++)
        store_file_clear(&w.files[i]);
    free(w.files);
    return hr;
}
