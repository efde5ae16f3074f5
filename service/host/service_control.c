/* SCM glue: ServiceMain, the control handler (STOP and SHUTDOWN flush and stop cleanly), and a
 * console mode that runs the same server without the SCM (for debugging). */
#include <stdio.h>

#include "dosvc.h"
#include "log.h"

static SERVICE_STATUS_HANDLE status_handle;
static SERVICE_STATUS status = {.dwServiceType = SERVICE_WIN32_OWN_PROCESS};
static HANDLE stop_event;

static void report_status(DWORD state, DWORD exit_code, DWORD wait_hint)
{
    static DWORD checkpoint = 1;
    status.dwCurrentState = state;
    status.dwWin32ExitCode = exit_code;
    status.dwWaitHint = wait_hint;
    status.dwControlsAccepted =
        state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    status.dwCheckPoint = (state == SERVICE_RUNNING || state == SERVICE_STOPPED) ? 0 : checkpoint++;
    SetServiceStatus(status_handle, &status);
}

static DWORD WINAPI control_handler(DWORD control, DWORD event_type, LPVOID event_data,
                                    LPVOID context)
{
    (void)event_type, (void)event_data, (void)context;
    switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
        log_service(LOG_INFO, "service.control", "%s requested", control == SERVICE_CONTROL_STOP ? "stop" : "shutdown");
        report_status(SERVICE_STOP_PENDING, NO_ERROR, 5000);
        SetEvent(stop_event);
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

static void WINAPI service_main(DWORD argc, LPWSTR *argv)
{
    (void)argc, (void)argv;
    status_handle = RegisterServiceCtrlHandlerExW(DOSVC_SERVICE_NAME, control_handler, NULL);
    if (!status_handle)
        return;
    report_status(SERVICE_START_PENDING, NO_ERROR, 10000);
    stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    HRESULT hr = stop_event ? server_start() : HRESULT_FROM_WIN32(GetLastError());
    if (FAILED(hr)) {
        status.dwServiceSpecificExitCode = (DWORD)hr;
        report_status(SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR, 0);
        return;
    }
    report_status(SERVICE_RUNNING, NO_ERROR, 0);
    WaitForSingleObject(stop_event, INFINITE);
    server_stop();
    report_status(SERVICE_STOPPED, NO_ERROR, 0);
}

int service_dispatch(void)
{
    SERVICE_TABLE_ENTRYW table[] = {{(LPWSTR)DOSVC_SERVICE_NAME, service_main}, {NULL, NULL}};
    if (!StartServiceCtrlDispatcherW(table)) {
        fprintf(stderr, "dosvc: not started by the service control manager (error %lu).\n"
                        "Use 'dosvc install', then 'sc start DoSvc' (or run 'dosvc console').\n",
                GetLastError());
        return 1;
    }
    return 0;
}

static BOOL WINAPI console_handler(DWORD type)
{
    (void)type;
    SetEvent(stop_event);
    return TRUE;
}

int service_run_console(void)
{
    stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!stop_event || FAILED(server_start()))
        return 1;
    SetConsoleCtrlHandler(console_handler, TRUE);
    printf("dosvc: serving in console mode; press Ctrl+C to stop.\n");
    fflush(stdout);
    WaitForSingleObject(stop_event, INFINITE);
    server_stop();
    return 0;
}
