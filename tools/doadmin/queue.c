/* queue.c: the switches over all of the caller's jobs (or everyone's with /allusers, which the
 * service allows administrators only): /list (which shows the IDOManager downloads too, see
 * downloads.c), /reset and /monitor. */
#include "doadmin.h"

#include <stdlib.h>

static DWORD enum_flags(const invocation *inv)
{
    return inv->present & OPTION(OPT_ALLUSERS) ? BG_JOB_ENUM_ALL_USERS : 0;
}

/* A job that became final since EnumJobs took its snapshot: it is no longer listed. */
static int finished_meanwhile(HRESULT hr)
{
    return hr == DO_E_INVALID_STATE || hr == DO_E_JOB_NOT_FOUND;
}

/* /list [/allusers] [/verbose] */
int run_list(session *s, const command *cmd, const invocation *inv)
{
    job_list jobs;
    int verbose = (inv->present & OPTION(OPT_VERBOSE)) != 0;
    ULONG listed = 0;
    (void)cmd;
    HRESULT hr = list_jobs(s, enum_flags(inv), &jobs);
    for (ULONG i = 0; SUCCEEDED(hr) && i < jobs.count; i++) {
        HRESULT one = print_job_info(jobs.jobs[i], verbose);
        if (SUCCEEDED(one) && verbose)
            out_printf(L"\n");
        listed += SUCCEEDED(one);
        if (FAILED(one) && !finished_meanwhile(one))
            hr = one;
    }
    job_list_free(&jobs);
    ULONG downloads = 0;
    if (SUCCEEDED(hr))
        hr = list_downloads(s, &downloads);
    if (FAILED(hr))
        return fail_hr(s, hr);
    if (!s->raw && downloads)
        out_printf(L"%lsListed %lu job(s) and %lu download(s).\n", verbose ? L"" : L"\n",
                   (unsigned long)listed, (unsigned long)downloads);
    else if (!s->raw)
        out_printf(verbose ? L"Listed %lu job(s).\n" : L"\nListed %lu job(s).\n",
                   (unsigned long)listed);
    return EXIT_OK;
}

/* /reset [/allusers]: cancels every job; "{GUID} canceled." each, then "N out of M jobs
 * canceled." */
int run_reset(session *s, const command *cmd, const invocation *inv)
{
    job_list jobs;
    ULONG canceled = 0;
    (void)cmd;
    HRESULT hr = list_jobs(s, enum_flags(inv), &jobs);
    if (FAILED(hr))
        return fail_hr(s, hr);
    for (ULONG i = 0; i < jobs.count; i++) {
        GUID id;
        wchar_t id_text[39] = L"{?}", text[1024];
        HRESULT one = IBackgroundCopyJob5_GetId(jobs.jobs[i], &id);
        if (SUCCEEDED(one)) {
            guid_text(&id, id_text);
            one = IBackgroundCopyJob5_Cancel(jobs.jobs[i]);
        }
        if (SUCCEEDED(one)) {
            out_printf(L"%ls canceled.\n", id_text);
            canceled++;
        } else {
            hr_text(s, one, text, ARRAYSIZE(text));
            out_printf(L"%ls not canceled: %ls\n", id_text, text);
        }
    }
    out_printf(L"%lu out of %lu jobs canceled.\n", (unsigned long)canceled,
               (unsigned long)jobs.count);
    ULONG total = jobs.count;
    job_list_free(&jobs);
    return canceled == total ? EXIT_OK
                             : fail(s, EXIT_FAILED, L"%lu job(s) could not be canceled",
                                    (unsigned long)(total - canceled));
}

/* ---- /monitor -------------------------------------------------------------------------------- */

typedef struct {
    IBackgroundCopyJob5 *job; /* held: a job that leaves the list still tells its final state */
    job_summary summary;
    progress_meter meter;
    int listed; /* in the latest round */
} watched_job;

typedef struct {
    watched_job *jobs;
    size_t count, capacity;
} watch_list;

/* The entry of the job (added when new); it keeps the job object of the latest listing (after
 * a service restart the earlier one is dead). */
static watched_job *watch(watch_list *w, IBackgroundCopyJob5 *job, const wchar_t *id)
{
    for (size_t i = 0; i < w->count; i++)
        if (wcscmp(w->jobs[i].summary.id, id) == 0) {
            IBackgroundCopyJob5_AddRef(job);
            IBackgroundCopyJob5_Release(w->jobs[i].job);
            w->jobs[i].job = job;
            return &w->jobs[i];
        }
    if (w->count == w->capacity) {
        size_t capacity = w->capacity ? w->capacity * 2 : 16;
        watched_job *grown = realloc(w->jobs, capacity * sizeof *grown);
        if (!grown)
            return NULL;
        w->jobs = grown;
        w->capacity = capacity;
    }
    watched_job *added = &w->jobs[w->count++];
    memset(added, 0, sizeof *added);
    IBackgroundCopyJob5_AddRef(job);
    added->job = job;
    return added;
}

static void unwatch(watch_list *w, size_t index)
{
    IBackgroundCopyJob5_Release(w->jobs[index].job);
    job_summary_free(&w->jobs[index].summary);
    w->jobs[index] = w->jobs[--w->count];
}

/* Reads every listed job into w. */
static HRESULT monitor_round(const session *s, DWORD flags, watch_list *w)
{
    job_list jobs;
    HRESULT hr = list_jobs(s, flags, &jobs);
    if (FAILED(hr))
        return hr;
    for (size_t i = 0; i < w->count; i++)
        w->jobs[i].listed = 0;
    for (ULONG i = 0; i < jobs.count; i++) {
        job_summary summary;
        if (FAILED(job_summary_read(jobs.jobs[i], &summary)))
            continue; /* finished since EnumJobs: seen as gone below */
        watched_job *entry = watch(w, jobs.jobs[i], summary.id);
        if (!entry) {
            job_summary_free(&summary);
            continue;
        }
        job_summary_free(&entry->summary);
        entry->summary = summary;
        entry->listed = 1;
        progress_sample(&entry->meter, &entry->summary);
    }
    job_list_free(&jobs);
    return S_OK;
}

static int active_state(BG_JOB_STATE state)
{
    return state == BG_JOB_STATE_QUEUED || state == BG_JOB_STATE_CONNECTING ||
           state == BG_JOB_STATE_TRANSFERRING || state == BG_JOB_STATE_TRANSIENT_ERROR;
}

/* The header, each job's /list line and, while it moves, its progress bar. */
static void draw_console(const wchar_t *header, const watch_list *w)
{
    typedef wchar_t row_text[1024];
    size_t most = 2 * w->count + 1;
    row_text *rows = malloc(most * sizeof *rows);
    wchar_t **lines = malloc(most * sizeof *lines);
    int count = 0;
    if (rows && lines) {
        swprintf(rows[count++], ARRAYSIZE(rows[0]), L"%ls", header);
        for (size_t i = 0; i < w->count; i++) {
            const watched_job *entry = &w->jobs[i];
            job_summary_line(&entry->summary, rows[count++], ARRAYSIZE(rows[0]));
            if (active_state(entry->summary.state)) {
                wchar_t bar[1000];
                progress_bar_text(&entry->meter, &entry->summary, out_console_width() - 3, bar,
                                  ARRAYSIZE(bar));
                swprintf(rows[count++], ARRAYSIZE(rows[0]), L"  %ls", bar);
            }
        }
        for (int i = 0; i < count; i++)
            lines[i] = rows[i];
        out_redraw_block(lines, count);
    }
    free(lines);
    free(rows);
}

/* Redirected: a plain line for every job that changed; a job that left the list gets one last
 * line with its final state (CANCELED or ACKNOWLEDGED). */
static void print_changes(watch_list *w)
{
    for (size_t i = 0; i < w->count; i++) {
        watched_job *entry = &w->jobs[i];
        if (!entry->listed &&
            FAILED(IBackgroundCopyJob5_GetState(entry->job, &entry->summary.state)))
            continue;
        progress_print_change(&entry->meter, &entry->summary);
    }
}

static void forget_gone(watch_list *w)
{
    for (size_t i = w->count; i-- > 0;)
        if (!w->jobs[i].listed)
            unwatch(w, i);
}

/* /monitor [/allusers] [/refresh seconds]: until Ctrl+C. */
int run_monitor(session *s, const command *cmd, const invocation *inv)
{
    ULONG refresh = 5;
    const wchar_t *given = inv->value[OPT_REFRESH];
    (void)cmd;
    if (given && (!parse_ulong(given, &refresh) || refresh == 0 || refresh > 86400))
        return fail(s, EXIT_USAGE, L"'%ls' is not a refresh interval: 1 to 86400 seconds", given);
    wchar_t header[80];
    swprintf(header, ARRAYSIZE(header), L"MONITORING BACKGROUND COPY MANAGER(%lu second refresh)",
             (unsigned long)refresh);
    watch_list w = { NULL, 0, 0 };
    int console = out_is_console();
    HRESULT hr = S_OK;
    interrupted(0); /* Ctrl+C ends the loop below instead of the process */
    if (!console)
        out_printf(L"%ls\n", header);
    do {
        hr = monitor_round(s, enum_flags(inv), &w);
        if (FAILED(hr) && service_gone(hr)) { /* stopped or restarted: watch the new one */
            if (!console)
                out_printf(L"The service went away (0x%08lX); waiting for it...\n", (unsigned long)hr);
            hr = reconnect_service(s, NULL, NULL);
            if (SUCCEEDED(hr))
                continue;
        }
        if (FAILED(hr))
            break;
        if (console) {
            forget_gone(&w);
            draw_console(header, &w);
        } else {
            print_changes(&w); /* the jobs that left the list too, one last time */
            forget_gone(&w);
        }
    } while (!interrupted(refresh * 1000));
    while (w.count)
        unwatch(&w, w.count - 1);
    free(w.jobs);
    return FAILED(hr) ? fail_hr(s, hr) : EXIT_OK;
}
