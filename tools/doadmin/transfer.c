/* transfer.c: /transfer, bitsadmin's one-shot download: create a job, add the files, resume,
 * show the progress, complete it when TRANSFERRED. A fatal error (ERROR) is shown and the job
 * cancelled; TRANSIENT_ERROR is shown and waited out (the service retries); Ctrl+C cancels the
 * job. When the service goes away (stopped, restarted), /transfer waits for it and finds the
 * job again: the job lives on in the service's database and resumes where it was. Nothing is
 * created when an argument is malformed. */
#include "doadmin.h"

#define POLL_MS 250

/* The parts of the command line beyond the name, checked before anything is created. */
typedef struct {
    int set_priority, set_acl_flags;
    BG_JOB_PRIORITY priority;
    DWORD acl_flags;
    wchar_t **pairs; /* remote, local, remote, local... */
    int pair_count;
} transfer_request;

static int parse_request(const session *s, const invocation *inv, transfer_request *req)
{
    const wchar_t *priority = inv->value[OPT_PRIORITY], *acl = inv->value[OPT_ACLFLAGS];
    int index;
    req->set_priority = priority != NULL;
    req->set_acl_flags = acl != NULL;
    req->pairs = inv->argv + 1;
    req->pair_count = (inv->argc - 1) / 2;
    if ((inv->argc - 1) % 2)
        return fail(s, EXIT_USAGE, L"remote and local names come in pairs: '%ls' has no local name",
                    inv->argv[inv->argc - 1]);
    if (priority && !parse_name(priority, priority_names, 4, &index))
        return fail(s, EXIT_USAGE, L"'%ls' is not a priority: FOREGROUND, HIGH, NORMAL or LOW",
                    priority);
    req->priority = priority ? (BG_JOB_PRIORITY)index : BG_JOB_PRIORITY_NORMAL;
    if (acl && !parse_acl_flags(acl, &req->acl_flags))
        return fail(s, EXIT_USAGE, L"'%ls' is not ACL flags: one or more of O, G, D, S", acl);
    return EXIT_OK;
}

static HRESULT prepare(IBackgroundCopyJob5 *job, const transfer_request *req)
{
    HRESULT hr = S_OK;
    if (req->set_priority)
        hr = IBackgroundCopyJob5_SetPriority(job, req->priority);
    if (SUCCEEDED(hr) && req->set_acl_flags)
        hr = IBackgroundCopyJob5_SetFileACLFlags(job, req->acl_flags);
    if (SUCCEEDED(hr))
        hr = add_file_pairs(job, req->pairs, req->pair_count);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_Resume(job);
    return hr;
}

static void show_progress(progress_meter *meter, const job_summary *summary)
{
    if (out_is_console()) {
        wchar_t bar[512];
        progress_bar_text(meter, summary, out_console_width() - 1, bar, ARRAYSIZE(bar));
        out_redraw_line(bar);
    } else {
        progress_print_change(meter, summary);
    }
}

/* Ends the console's live line before other output. */
static void end_live_line(void)
{
    if (out_is_console())
        out_printf(L"\n");
}

/* The job failed: its error lines, then it is cancelled. */
static int fail_transfer(const session *s, IBackgroundCopyJob5 *job, const wchar_t *id)
{
    HRESULT code = S_OK;
    wchar_t text[1024];
    end_live_line();
    HRESULT hr = print_job_error(job, &code);
    IBackgroundCopyJob5_Cancel(job);
    out_done(s, L"Job %ls canceled.", id);
    hr_text(s, FAILED(hr) ? hr : code, text, ARRAYSIZE(text));
    return fail(s, EXIT_FAILED, L"the transfer failed, the job was canceled: %ls", text);
}

static int finish(const session *s, IBackgroundCopyJob5 *job)
{
    end_live_line();
    HRESULT hr = IBackgroundCopyJob5_Complete(job);
    return FAILED(hr) ? fail_hr(s, hr) : out_done(s, L"Transfer complete.");
}

/* The service went away under the job's proxy: waits for it (it starts on demand) and finds
 * the job again; *job is then the new proxy. */
static HRESULT find_job_again(session *s, const GUID *guid, const wchar_t *id, HRESULT why,
                              IBackgroundCopyJob5 **job)
{
    end_live_line();
    out_printf(L"The service went away (0x%08lX); waiting for it to find job %ls again...\n",
               (unsigned long)why, id);
    IBackgroundCopyJob5_Release(*job);
    *job = NULL;
    HRESULT hr = reconnect_service(s, guid, job);
    if (SUCCEEDED(hr))
        out_printf(L"Found job %ls again; the transfer goes on where it was.\n", id);
    return hr;
}

/* Polls the job until it is TRANSFERRED (then completes it), fails, ends elsewhere, or Ctrl+C. */
static int watch_transfer(session *s, IBackgroundCopyJob5 **job_ref, const GUID *guid,
                          const wchar_t *id)
{
    progress_meter meter = { 0 };
    for (;;) {
        job_summary summary;
        IBackgroundCopyJob5 *job = *job_ref;
        HRESULT hr = job_summary_read(job, &summary);
        if (FAILED(hr) && service_gone(hr) && SUCCEEDED(hr = find_job_again(s, guid, id, hr, job_ref)))
            continue;
        if (FAILED(hr)) { /* the job ended outside this command, or the service did not come back */
            end_live_line();
            return fail_hr(s, hr);
        }
        progress_sample(&meter, &summary);
        show_progress(&meter, &summary);
        BG_JOB_STATE state = summary.state;
        job_summary_free(&summary);
        if (state == BG_JOB_STATE_TRANSFERRED)
            return finish(s, job);
        if (state == BG_JOB_STATE_ERROR)
            return fail_transfer(s, job, id);
        if (interrupted(POLL_MS)) {
            end_live_line();
            IBackgroundCopyJob5_Cancel(job);
            return fail(s, EXIT_INTERRUPTED, L"stopped by Ctrl+C, job %ls canceled", id);
        }
    }
}

/* /transfer name [/download | /upload] [/priority P] [/aclflags F] remote local [...] */
int run_transfer(session *s, const command *cmd, const invocation *inv)
{
    transfer_request req;
    GUID guid;
    wchar_t id[39];
    IBackgroundCopyJob5 *job = NULL;
    (void)cmd;
    int status = parse_request(s, inv, &req);
    if (status == EXIT_OK)
        status = create_job(s, inv->argv[0], inv, &guid, &job);
    if (status != EXIT_OK)
        return status;
    guid_text(&guid, id);
    interrupted(0); /* from here Ctrl+C cancels the job instead of ending the process */
    HRESULT hr = prepare(job, &req);
    if (FAILED(hr)) {
        IBackgroundCopyJob5_Cancel(job);
        status = fail_hr(s, hr);
    } else {
        out_done(s, L"Created job %ls with %d file(s); Ctrl+C cancels it.", id, req.pair_count);
        status = watch_transfer(s, &job, &guid, id);
    }
    if (job)
        IBackgroundCopyJob5_Release(job);
    return status;
}
