/* One event of a job to the client, on a pool thread in the MTA (service/notify/job_events.c decides
 * whether and when). The sink is the interface registered with SetNotifyInterface, else the
 * object activated from the job's NOTIFICATION_CLSID (kept for the next events); a sink that has
 * disconnected is dropped and the next one tried. For TRANSFERRED and ERROR the notify command
 * line runs when no sink took the call (none, or its method failed), as BITS does; a program
 * that exits with a non-zero code is run again after the job's minimum retry delay. The job and
 * error objects handed to the client are new service objects for the job. */
#include "dosvc.h"
#include "guid.h"
#include "log.h"

typedef struct program_watch {
    GUID job;
    jobs_event_t event;
    uint32_t retry_delay_s;
    HANDLE process;
} program_watch_t;

static const char *event_name(jobs_event_t event)
{
    static const char *const names[] = {"JobModification", "FileTransferred", "JobTransferred", "JobError",
                                        "FileRangesTransferred"};
    return (unsigned)event < sizeof names / sizeof *names ? names[event] : "?";
}

static int is_final_event(jobs_event_t event)
{
    return event == JOBS_EVENT_TRANSFERRED || event == JOBS_EVENT_ERROR;
}

int client_disconnected(HRESULT hr)
{
    return hr == RPC_E_DISCONNECTED || hr == CO_E_OBJNOTCONNECTED || hr == RPC_E_SERVER_DIED ||
           hr == RPC_E_SERVER_DIED_DNE || hr == HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) ||
           hr == HRESULT_FROM_WIN32(RPC_S_CALL_FAILED) || hr == HRESULT_FROM_WIN32(RPC_S_CALL_FAILED_DNE);
}

/* ---- the calls --------------------------------------------------------------------------------- */

static HRESULT call_job_error(IBackgroundCopyCallback *callback, IBackgroundCopyJob *object,
                              const store_job_t *job)
{
    IBackgroundCopyError *error = NULL;
    HRESULT hr = background_copy_error_create(job, &error);
    if (SUCCEEDED(hr)) {
        hr = IBackgroundCopyCallback_JobError(callback, object, error);
        IBackgroundCopyError_Release(error);
    }
    return hr;
}

static HRESULT call_file_transferred(IBackgroundCopyCallback2 *callback, IBackgroundCopyJob *object,
                                     const store_job_t *job, uint32_t file_index)
{
    IBackgroundCopyFile *file = NULL;
    HRESULT hr = background_copy_file_create((const GUID *)&job->id, api_of_kind(job->kind), file_index,
                                             &IID_IBackgroundCopyFile, (void **)&file);
    if (SUCCEEDED(hr)) {
        hr = IBackgroundCopyCallback2_FileTransferred(callback, object, file);
        IBackgroundCopyFile_Release(file);
    }
    return hr;
}

/* The requested ranges that arrived since the last call (none: no call), taken from the store. */
static HRESULT call_file_ranges_transferred(IBackgroundCopyCallback3 *callback, IBackgroundCopyJob *object,
                                            const store_job_t *job, uint32_t file_index)
{
    store_range_t *ranges = NULL;
    size_t count = 0;
    HRESULT hr = jobs_take_transferred_ranges(dosvc_jobs, &job->id, file_index, &ranges, &count);
    BG_FILE_RANGE *list = hr == S_OK ? calloc(count, sizeof *list) : NULL;
    IBackgroundCopyFile *file = NULL;
    if (hr == S_OK && !list)
        hr = E_OUTOFMEMORY;
    for (size_t i = 0; list && i < count; i++)
        list[i] = (BG_FILE_RANGE){ranges[i].offset, ranges[i].length};
    if (hr == S_OK)
        hr = background_copy_file_create((const GUID *)&job->id, api_of_kind(job->kind), file_index,
                                         &IID_IBackgroundCopyFile, (void **)&file);
    if (hr == S_OK)
        hr = IBackgroundCopyCallback3_FileRangesTransferred(callback, object, file, (DWORD)count, list);
    if (file)
        IBackgroundCopyFile_Release(file);
    free(list);
    free(ranges);
    return hr == S_FALSE ? S_OK : hr; /* S_FALSE: nothing arrived since the last call */
}

static HRESULT invoke(IBackgroundCopyCallback *callback, IBackgroundCopyJob *object, const store_job_t *job,
                      jobs_event_t event, uint32_t file_index)
{
    switch (event) {
    case JOBS_EVENT_TRANSFERRED:
        return IBackgroundCopyCallback_JobTransferred(callback, object);
    case JOBS_EVENT_ERROR:
        return call_job_error(callback, object, job);
    case JOBS_EVENT_MODIFIED:
        return IBackgroundCopyCallback_JobModification(callback, object, 0);
    case JOBS_EVENT_FILE_TRANSFERRED:
        return call_file_transferred((IBackgroundCopyCallback2 *)callback, object, job, file_index);
    case JOBS_EVENT_FILE_RANGES_TRANSFERRED:
        return call_file_ranges_transferred((IBackgroundCopyCallback3 *)callback, object, job, file_index);
    }
    return E_UNEXPECTED;
}

/* The interface of the sink an event's call is on. */
static REFIID callback_iid(jobs_event_t event)
{
    if (event == JOBS_EVENT_FILE_TRANSFERRED)
        return &IID_IBackgroundCopyCallback2;
    if (event == JOBS_EVENT_FILE_RANGES_TRANSFERRED)
        return &IID_IBackgroundCopyCallback3;
    return &IID_IBackgroundCopyCallback;
}

/* One call on sink. FileTransferred needs IBackgroundCopyCallback2, FileRangesTransferred
 * IBackgroundCopyCallback3: a sink without it has nothing to call (S_OK, *called 0). */
static HRESULT call_sink(IUnknown *sink, const store_job_t *job, jobs_event_t event, uint32_t file_index,
                         int *called)
{
    IBackgroundCopyCallback *callback = NULL;
    IBackgroundCopyJob *object = NULL;
    REFIID riid = callback_iid(event);
    HRESULT hr = IUnknown_QueryInterface(sink, riid, (void **)&callback);
    *called = !(hr == E_NOINTERFACE && riid != &IID_IBackgroundCopyCallback);
    if (!*called)
        return S_OK;
    if (SUCCEEDED(hr))
        hr = background_copy_job_create((const GUID *)&job->id, api_of_kind(job->kind), &object);
    if (SUCCEEDED(hr))
        hr = invoke(callback, object, job, event, file_index);
    if (object)
        IBackgroundCopyJob_Release(object);
    if (callback)
        IBackgroundCopyCallback_Release(callback);
    return hr;
}

/* ---- which sink -------------------------------------------------------------------------------- */

/* The job's NOTIFICATION_CLSID object: kept from an earlier event, or activated now (as the
 * owner, service/security/owner_session.c). NULL without a CLSID, or when activation fails (*hr). */
static IUnknown *activated_sink(const store_job_t *job, HRESULT *hr)
{
    const GUID *id = (const GUID *)&job->id;
    IUnknown *object = notify_registry_get_activated(id);
    *hr = S_OK;
    if (object || guid_is_null(&job->notify_clsid))
        return object;
    *hr = owner_activate(job, (const CLSID *)&job->notify_clsid, &IID_IUnknown, (void **)&object);
    if (FAILED(*hr)) {
        char clsid[GUID_STRING_SIZE];
        guid_format(&job->notify_clsid, clsid);
        log_job(LOG_WARN, job, "callback.failed", "notification CLSID %s not activated: 0x%08lx", clsid,
                  (unsigned long)*hr);
        return NULL;
    }
    notify_registry_keep_activated(id, object);
    return object;
}

/* The registered sink, else the activated one (AddRef'd), or NULL (*hr: S_OK when the job has
 * neither, else why the CLSID could not be activated). */
static IUnknown *current_sink(const store_job_t *job, HRESULT *hr)
{
    IUnknown *sink = notify_registry_get((const GUID *)&job->id);
    *hr = S_OK;
    return sink ? sink : activated_sink(job, hr);
}

/* Calls the current sink, dropping one that has disconnected and trying the next (at most the
 * registered one, then the CLSID's). *called: whether a sink was there and had the event's
 * interface (a CLSID that could not be activated counts, with its failure). */
static HRESULT call_current_sink(const store_job_t *job, jobs_event_t event, uint32_t file_index, int *called)
{
    HRESULT hr = S_OK;
    *called = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        HRESULT found;
        IUnknown *sink = current_sink(job, &found);
        if (!sink) {
            if (FAILED(found)) {
                *called = 1;
                hr = found;
            }
            break;
        }
        hr = call_sink(sink, job, event, file_index, called);
        if (client_disconnected(hr)) {
            log_job(LOG_WARN, job, "callback.dropped", "%s: the client's sink is gone (0x%08lx); dropped",
                      event_name(event), (unsigned long)hr);
            notify_registry_drop((const GUID *)&job->id, sink);
        }
        IUnknown_Release(sink);
        if (!client_disconnected(hr))
            break;
    }
    return hr;
}

/* ---- the notify command line ------------------------------------------------------------------- */

static void CALLBACK program_exited(PTP_CALLBACK_INSTANCE instance, void *context, PTP_WAIT wait,
                                    TP_WAIT_RESULT result)
{
    (void)instance, (void)result;
    program_watch_t *watch = context;
    DWORD code = 0;
    if (GetExitCodeProcess(watch->process, &code) && code != 0) {
        log_event(LOG_WARN, (const store_guid_t *)&watch->job, NULL, "callback.failed",
                  "notify command line exited with %lu: run again in %u s", code, watch->retry_delay_s);
        job_events_retry(&watch->job, watch->event, watch->retry_delay_s);
    }
    CloseHandle(watch->process);
    free(watch);
    CloseThreadpoolWait(wait);
}

/* Watches the program: a non-zero exit code means "run it again later". */
static void watch_program(const store_job_t *job, jobs_event_t event, HANDLE process)
{
    program_watch_t *watch = calloc(1, sizeof *watch);
    PTP_WAIT wait = watch ? CreateThreadpoolWait(program_exited, watch, NULL) : NULL;
    if (!wait) {
        free(watch);
        CloseHandle(process);
        return;
    }
    watch->job = *(const GUID *)&job->id;
    watch->event = event;
    watch->retry_delay_s = job->min_retry_delay;
    watch->process = process;
    SetThreadpoolWait(wait, process, NULL);
}

static HRESULT run_command_line(const store_job_t *job, jobs_event_t event)
{
    HANDLE process = NULL;
    HRESULT hr = owner_run_program(job, &process);
    if (FAILED(hr)) {
        log_job(LOG_WARN, job, "callback.failed", "notify command line \"%s\" not run: 0x%08lx", job->notify_program,
                  (unsigned long)hr);
        return hr;
    }
    log_job(LOG_INFO, job, "callback.cmdline", "notify command line \"%s\" started (%s)", job->notify_program,
              event_name(event));
    watch_program(job, event, process);
    return S_OK;
}

HRESULT notify_deliver(const store_job_t *job, jobs_event_t event, uint32_t file_index)
{
    int called;
    HRESULT hr = call_current_sink(job, event, file_index, &called);
    if (called && hr != S_OK)
        log_job(LOG_WARN, job, "callback.failed", "%s returned 0x%08lx", event_name(event), (unsigned long)hr);
    else if (called && event != JOBS_EVENT_MODIFIED)
        log_job(LOG_INFO, job, "callback.delivered", "%s delivered", event_name(event));
    if (!is_final_event(event))
        return S_OK; /* modifications and file notices are not repeated */
    if ((!called || hr != S_OK) && job->notify_program)
        return run_command_line(job, event);
    return !called || hr == S_OK ? S_OK : FAILED(hr) ? hr : E_FAIL;
}
