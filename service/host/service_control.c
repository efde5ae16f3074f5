/* SCM glue: dosvc.exe is the image of two services (SERVICE_WIN32_SHARE_PROCESS, one ImagePath):
 * DoSvc serves the DO classes; BITS (once `dosvc install --bits` made opendo the prefix's BITS
 * service) has DoSvc's process serve the ten BITS classes while it runs (bits_relay.c: Wine gives
 * each service a process of its own). Each service has its own status and stop event; the
 * server (server.c) starts with the first API served and stops after the last. The control
 * handler only signals (STOP and SHUTDOWN flush and stop cleanly). A console mode runs the same
 * server without the SCM (for debugging). */
#include <stdio.h>

#include "dosvc.h"
#include "log.h"

typedef struct hosted_service hosted_service_t;
struct hosted_service {
    const WCHAR *name;
    HRESULT (*start)(hosted_service_t *service);
    void (*stop)(hosted_service_t *service);
    SERVICE_STATUS_HANDLE status_handle;
    SERVICE_STATUS status;
    DWORD checkpoint;
    HANDLE stop_event;
    HANDLE host_process, running; /* BITS: DoSvc's process, and the relay's token (bits_relay.c) */
};

/* DoSvc: the server with the DO classes, and the relay that serves the BITS classes while the
 * BITS service runs. */
static HRESULT start_do(hosted_service_t *service)
{
    (void)service;
    HRESULT hr = server_start(API_DO);
    if (SUCCEEDED(hr) && FAILED(hr = bits_relay_host_start()))
        server_stop(API_DO);
    return hr;
}

static void stop_do(hosted_service_t *service)
{
    (void)service;
    bits_relay_host_stop();
    server_stop(API_DO);
}

/* BITS: DoSvc's process serves its classes for as long as this service runs. */
static HRESULT start_bits(hosted_service_t *service)
{
    return bits_relay_guest_attach(&service->host_process, &service->running);
}

static void stop_bits(hosted_service_t *service)
{
    bits_relay_guest_detach(service->host_process, service->running);
    service->host_process = service->running = NULL;
}

static hosted_service_t hosted[] = {
    {DOSVC_SERVICE_NAME, start_do, stop_do, NULL, {.dwServiceType = SERVICE_WIN32_SHARE_PROCESS}, 1, NULL, NULL, NULL},
    {BITS_SERVICE_NAME, start_bits, stop_bits, NULL, {.dwServiceType = SERVICE_WIN32_SHARE_PROCESS}, 1, NULL, NULL, NULL},
};

static void report_status(hosted_service_t *service, DWORD state, DWORD exit_code, DWORD wait_hint)
{
    SERVICE_STATUS *status = &service->status;
    status->dwCurrentState = state;
    status->dwWin32ExitCode = exit_code;
    status->dwWaitHint = wait_hint;
    status->dwControlsAccepted =
        state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    status->dwCheckPoint =
        (state == SERVICE_RUNNING || state == SERVICE_STOPPED) ? 0 : service->checkpoint++;
    SetServiceStatus(service->status_handle, status);
}

static DWORD WINAPI control_handler(DWORD control, DWORD event_type, LPVOID event_data,
                                    LPVOID context)
{
    (void)event_type, (void)event_data;
    hosted_service_t *service = context;
    switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
        log_service(LOG_INFO, "service.control", "%s of %ls requested",
                    control == SERVICE_CONTROL_STOP ? "stop" : "shutdown", service->name);
        report_status(service, SERVICE_STOP_PENDING, NO_ERROR, 5000);
        SetEvent(service->stop_event);
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

/* Hosted services of this process that reported RUNNING and not yet STOPPED. */
static LONG services_running;

/* The life of one hosted service, on the thread the SCM dispatcher gave it: until STOP (or, for
 * BITS, until DoSvc's process ends). Once the last one has reported STOPPED, the process ends
 * at once: the SCM may end it from then on anyway, and COM is not torn down (server_stop). */
static void run_service(hosted_service_t *service)
{
    service->status_handle = RegisterServiceCtrlHandlerExW(service->name, control_handler, service);
    if (!service->status_handle)
        return;
    report_status(service, SERVICE_START_PENDING, NO_ERROR, 10000);
    service->stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    HRESULT hr = service->stop_event ? service->start(service) : HRESULT_FROM_WIN32(GetLastError());
    if (FAILED(hr)) {
        service->status.dwServiceSpecificExitCode = (DWORD)hr;
        report_status(service, SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR, 0);
        return;
    }
    InterlockedIncrement(&services_running);
    report_status(service, SERVICE_RUNNING, NO_ERROR, 0);
    HANDLE ends[] = {service->stop_event, service->host_process};
    WaitForMultipleObjects(service->host_process ? 2 : 1, ends, FALSE, INFINITE);
    service->stop(service);
    CloseHandle(service->stop_event);
    service->stop_event = NULL;
    report_status(service, SERVICE_STOPPED, NO_ERROR, 0);
    if (InterlockedDecrement(&services_running) == 0)
        ExitProcess(0);
}

static void WINAPI do_service_main(DWORD argc, LPWSTR *argv)
{
    (void)argc, (void)argv;
    run_service(&hosted[0]);
}

static void WINAPI bits_service_main(DWORD argc, LPWSTR *argv)
{
    (void)argc, (void)argv;
    run_service(&hosted[1]);
}

int service_dispatch(void)
{
    SERVICE_TABLE_ENTRYW table[] = {{(LPWSTR)DOSVC_SERVICE_NAME, do_service_main},
                                    {(LPWSTR)BITS_SERVICE_NAME, bits_service_main},
                                    {NULL, NULL}};
    if (!StartServiceCtrlDispatcherW(table)) {
        fprintf(stderr, "dosvc: not started by the service control manager (error %lu).\n"
                        "Use 'dosvc install', then 'sc start DoSvc' (or run 'dosvc console').\n",
                GetLastError());
        return 1;
    }
    return 0;
}

static HANDLE console_stop;

static BOOL WINAPI console_handler(DWORD type)
{
    (void)type;
    SetEvent(console_stop);
    return TRUE;
}

/* The DO classes, and with bits the BITS classes too, until Ctrl+C. */
int service_run_console(int bits)
{
    console_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!console_stop || FAILED(server_start(API_DO)))
        return 1;
    if (bits && FAILED(server_start(API_BITS))) {
        server_stop(API_DO);
        return 1;
    }
    SetConsoleCtrlHandler(console_handler, TRUE);
    printf("dosvc: serving the DO classes%s in console mode; press Ctrl+C to stop.\n",
           bits ? " and the BITS classes" : "");
    fflush(stdout);
    WaitForSingleObject(console_stop, INFINITE);
    if (bits)
        server_stop(API_BITS);
    server_stop(API_DO);
    return 0;
}
