/* Start-up and shutdown of the COM server, shared by the SCM path and the console mode:
 * data directory, log (and its copy to the event log), settings, job store (with its integrity
 * check); then the class objects of each API a hosted service asks for (service_control.c). */
#include <shlobj.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "dosvc.h"
#include "error_text.h"
#include "log.h"
#include "tls_verify.h"

jobs_t *dosvc_jobs;
static char db_path[MAX_PATH * 3 + 32], log_path[MAX_PATH * 3 + 32];
admin_sources_t dosvc_admin_sources = {NULL, NULL, db_path, log_path,
                                       error_text_utf8, error_text_context_utf8};

/* %ProgramData%\opendo, created if needed, as UTF-8. */
static HRESULT data_directory(char *out, size_t size)
{
    PWSTR base = NULL;
    HRESULT hr = SHGetKnownFolderPath(&FOLDERID_ProgramData, KF_FLAG_CREATE, NULL, &base);
    if (FAILED(hr))
        return hr;
    WCHAR dir[MAX_PATH];
    int written = _snwprintf(dir, MAX_PATH, L"%ls\\opendo", base);
    CoTaskMemFree(base);
    if (written < 0 || written >= MAX_PATH)
        return HRESULT_FROM_WIN32(ERROR_BUFFER_OVERFLOW);
    if (!CreateDirectoryW(dir, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
        return HRESULT_FROM_WIN32(GetLastError());
    if (!WideCharToMultiByte(CP_UTF8, 0, dir, -1, out, (int)size, NULL, NULL))
        return HRESULT_FROM_WIN32(GetLastError());
    return S_OK;
}

static void log_store_report(const char *db_path, const store_open_report_t *report)
{
    log_service(LOG_INFO, "store.open", "job store %s: schema v%d%s%s, integrity %s", db_path,
              report->schema_version, report->created ? ", created" : "",
              report->migrated_from && report->migrated_from != report->schema_version
                  ? ", migrated" : "",
              report->integrity_ok ? "ok" : "FAILED");
    if (report->quarantined)
        log_service(LOG_ERROR, "store.damaged",
                  "job store was damaged (%s); kept aside as %s; salvaged %ld job(s), %ld file(s)",
                  report->detail, report->quarantine_path, report->salvaged_jobs,
                  report->salvaged_files);
}

/* Jobs download from here on: the scheduler and the transfer engine (docs/scheduler.md), with
 * Windows certificate checks (docs/tls.md) and the caller-impersonating file operations. */
static HRESULT enable_transfers(void)
{
    transfer_options_t options = {0};
    options.verify_tls = tls_verify_schannel;
    options.verify_peer = tls_verify_peer;
    uint32_t max_background = settings_max_background_transfers();
    HRESULT hr = jobs_enable_transfers(dosvc_jobs, &options, &dosvc_file_ops, max_background);
    if (SUCCEEDED(hr)) {
        settings_apply_transfers(dosvc_jobs);
        settings_watch_start(dosvc_jobs);
    }
    if (FAILED(hr))
        log_service(LOG_ERROR, "service.transfers", "cannot enable transfers: 0x%08lx", (unsigned long)hr);
    return hr;
}

/* IDODownload downloads that are not NonVolatile do not outlive the service (idomanager.md §5);
 * nobody is calling at start-up, so their temporary files go with the service's identity. */
static void drop_volatile_downloads(void)
{
    size_t dropped = 0;
    HRESULT hr = downloads_drop_volatile(dosvc_jobs, NULL, &dropped);
    if (FAILED(hr))
        log_service(LOG_ERROR, "service.downloads", "cannot drop the volatile downloads of the last run: 0x%08lx",
                    (unsigned long)hr);
    else if (dropped)
        log_service(LOG_INFO, "service.downloads", "%lu download(s) of the last run were not NonVolatile: dropped",
                    (unsigned long)dropped);
}

/* Stream downloads spool under <data>\streams (the service's own files). */
static HRESULT set_stream_directory(const char *data)
{
    char dir[MAX_PATH * 3];
    snprintf(dir, sizeof dir, "%s\\streams", data);
    WCHAR *wide = wide_from_utf8(dir);
    HRESULT hr = wide && (CreateDirectoryW(wide, NULL) || GetLastError() == ERROR_ALREADY_EXISTS)
                     ? downloads_set_stream_directory(dosvc_jobs, dir)
                     : HRESULT_FROM_WIN32(GetLastError());
    if (SUCCEEDED(hr))
        file_ops_own_directory(dir);
    free(wide);
    return hr;
}

static HRESULT open_job_store(void)
{
    char dir[MAX_PATH * 3];
    HRESULT hr = data_directory(dir, sizeof dir);
    if (FAILED(hr))
        return hr;
    snprintf(log_path, sizeof log_path, "%s\\dosvc.log", dir);
    if (log_open(log_path) != 0)
        return HRESULT_FROM_WIN32(ERROR_OPEN_FAILED);
    event_log_start();
    settings_load();
    snprintf(db_path, sizeof db_path, "%s\\jobs.db", dir);
    store_open_report_t report = {0};
    hr = jobs_open(db_path, &dosvc_jobs, &report);
    dosvc_admin_sources.jobs = dosvc_jobs;
    if (SUCCEEDED(hr)) {
        log_store_report(db_path, &report);
        settings_apply_limits(dosvc_jobs);
        drop_volatile_downloads();
        hr = set_stream_directory(dir);
        if (SUCCEEDED(hr))
            hr = job_events_start(); /* before transfers: no event of a starting job is missed */
        if (SUCCEEDED(hr))
            hr = enable_transfers();
    }
    return hr;
}

/* A crash says why in the log before the process goes: an unhandled exception (its code and
 * address) or an abort (a library's failed internal check). */
static LONG WINAPI log_unhandled_exception(EXCEPTION_POINTERS *info)
{
    log_service(LOG_ERROR, "service.crash", "unhandled exception 0x%08lx at %p in thread %lu: the service ends",
                (unsigned long)info->ExceptionRecord->ExceptionCode, info->ExceptionRecord->ExceptionAddress,
                GetCurrentThreadId());
    return EXCEPTION_CONTINUE_SEARCH;
}

static void log_abort(int signal_number)
{
    (void)signal_number;
    log_service(LOG_ERROR, "service.crash", "abort() in thread %lu: the service ends", GetCurrentThreadId());
}

/* The core under the classes: COM security, the store, the engine, the expiry. */
static HRESULT core_start(void)
{
    /* Identify-level impersonation is all the service needs: it reads the caller's token. */
    CoInitializeSecurity(NULL, -1, NULL, NULL, RPC_C_AUTHN_LEVEL_DEFAULT,
                         RPC_C_IMP_LEVEL_IDENTIFY, NULL, EOAC_NONE, NULL);
    com_pins_hold();
    SetUnhandledExceptionFilter(log_unhandled_exception);
    signal(SIGABRT, log_abort);
    HRESULT hr = open_job_store();
    if (SUCCEEDED(hr))
        hr = maintenance_start();
    if (SUCCEEDED(hr))
        log_service(LOG_INFO, "service.start", "service started, pid %lu", GetCurrentProcessId());
    return hr;
}

static void core_stop(void)
{
    maintenance_stop();
    settings_watch_stop();
    job_events_stop(); /* no callback after this: the clients' sinks are released with the process */
    download_sinks_clear();
    if (dosvc_jobs) {
        /* Every change is already committed; jobs_shutdown first stops the scheduler and the
         * transfer engine (last checkpoints recorded), then closes the store (checkpointing the
         * WAL). Calls still in flight on RPC threads get DO_E_NO_SERVICE from here on; the
         * process exits right after. */
        jobs_shutdown(dosvc_jobs);
        log_service(LOG_INFO, "service.stop", "service stopped cleanly");
    }
    event_log_stop();
    log_close();
}

/* How many APIs the process serves now (DoSvc and BITS start and stop on their own threads). */
static SRWLOCK served_lock = SRWLOCK_INIT;
static int served_apis;

static const char *api_name(api_personality_t api)
{
    return api == API_BITS ? "BITS" : "DO";
}

HRESULT server_start(api_personality_t api)
{
    HRESULT hr = CoInitializeEx(NULL, COINIT_MULTITHREADED); /* this thread, in the MTA */
    if (FAILED(hr))
        return hr;
    AcquireSRWLockExclusive(&served_lock);
    hr = served_apis ? S_OK : core_start();
    if (SUCCEEDED(hr))
        hr = class_factories_register(api);
    if (SUCCEEDED(hr)) {
        served_apis++;
        log_service(LOG_INFO, "service.start", "serving the %s classes, pid %lu", api_name(api),
                    GetCurrentProcessId());
    } else {
        log_service(LOG_ERROR, "service.start", "cannot serve the %s classes: 0x%08lx", api_name(api),
                    (unsigned long)hr);
        if (!served_apis)
            core_stop();
    }
    ReleaseSRWLockExclusive(&served_lock);
    if (FAILED(hr))
        CoUninitialize();
    return hr;
}

void server_stop(api_personality_t api)
{
    AcquireSRWLockExclusive(&served_lock);
    class_factories_revoke(api);
    log_service(LOG_INFO, "service.stop", "no longer serving the %s classes", api_name(api));
    int last = --served_apis == 0;
    if (last)
        core_stop();
    ReleaseSRWLockExclusive(&served_lock);
    /* After the last API the process ends (service_control.c) and takes COM with it. Tearing the
     * multithreaded apartment down here would wait for RPC calls still completing, and under
     * Wine it can wait forever (RpcServerUnregisterIf misses a call that completes at that
     * moment): the service would never report STOPPED, and could not be started again. */
    if (!last)
        CoUninitialize();
}
