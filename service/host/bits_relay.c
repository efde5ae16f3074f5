/* How the BITS service comes to be served by DoSvc's process.
 *
 * The store and the engine live in one process only (the store is opened exclusively), so the
 * BITS classes must be registered by the process that runs DoSvc. Wine 8's services.exe starts
 * every SERVICE_WIN32_SHARE_PROCESS service in a process of its own (it shares a process only
 * among drivers, in winedevice.exe): `sc start BITS` therefore gives a second dosvc.exe process
 * even while DoSvc runs. That process is the BITS service's *guest*: it starts DoSvc if needed,
 * asks DoSvc's process (the *host*) to serve the BITS classes, reports RUNNING once they are
 * registered, and on STOP lets the host revoke them. The host serves them exactly while the
 * guest lives (a crashed guest releases them too); stopping DoSvc ends both.
 *
 * The handshake uses three named objects of the prefix: the guest holds RUNNING_MUTEX for its
 * whole life, sets REQUEST_EVENT, and waits for SERVED_EVENT; the host's relay thread waits for
 * REQUEST_EVENT, registers the classes, sets SERVED_EVENT, and revokes them when it acquires
 * RUNNING_MUTEX (released or abandoned by the guest). Were the SCM to start BITS inside DoSvc's
 * process (Windows does, for shared services of one image), the same handshake runs between
 * two threads of one process. */
#include "dosvc.h"
#include "log.h"

#define REQUEST_EVENT L"Global\\opendo-bits-request"
#define SERVED_EVENT L"Global\\opendo-bits-served"
#define RUNNING_MUTEX L"Global\\opendo-bits-running"
#define HOST_WAIT_MS 30000 /* as long as a COM client waits for a class object */

/* ---- the host: a thread of DoSvc's process ------------------------------------------------ */

static HANDLE relay_thread, relay_quit, relay_request, relay_served;

/* Serves the BITS classes until the guest that asked for them is gone (1) or the host quits (0). */
static int serve_guest(void)
{
    HANDLE running = OpenMutexW(SYNCHRONIZE, FALSE, RUNNING_MUTEX);
    if (!running)
        return 1; /* the guest is already gone */
    HRESULT hr = server_start(API_BITS);
    if (SUCCEEDED(hr))
        SetEvent(relay_served);
    HANDLE ends[] = {relay_quit, running};
    DWORD end = WaitForMultipleObjects(2, ends, FALSE, INFINITE);
    if (end == WAIT_OBJECT_0 + 1 || end == WAIT_ABANDONED_0 + 1)
        ReleaseMutex(running);
    if (SUCCEEDED(hr))
        server_stop(API_BITS);
    CloseHandle(running);
    return end != WAIT_OBJECT_0;
}

static DWORD WINAPI relay_main(void *unused)
{
    (void)unused;
    HANDLE waits[] = {relay_quit, relay_request};
    while (WaitForMultipleObjects(2, waits, FALSE, INFINITE) == WAIT_OBJECT_0 + 1 && serve_guest())
        ;
    return 0;
}

static void close_relay_handles(void)
{
    HANDLE *handles[] = {&relay_thread, &relay_quit, &relay_request, &relay_served};
    for (size_t i = 0; i < ARRAYSIZE(handles); i++)
        if (*handles[i]) {
            CloseHandle(*handles[i]);
            *handles[i] = NULL;
        }
}

HRESULT bits_relay_host_start(void)
{
    relay_quit = CreateEventW(NULL, TRUE, FALSE, NULL);
    relay_request = CreateEventW(NULL, FALSE, FALSE, REQUEST_EVENT);
    relay_served = CreateEventW(NULL, FALSE, FALSE, SERVED_EVENT);
    if (relay_quit && relay_request && relay_served)
        relay_thread = CreateThread(NULL, 0, relay_main, NULL, 0, NULL);
    if (relay_thread)
        return S_OK;
    HRESULT hr = HRESULT_FROM_WIN32(GetLastError());
    close_relay_handles();
    return hr;
}

void bits_relay_host_stop(void)
{
    if (!relay_thread)
        return;
    SetEvent(relay_quit);
    WaitForSingleObject(relay_thread, INFINITE);
    close_relay_handles();
}

/* ---- the guest: the BITS service's own process ------------------------------------------- */

/* Starts DoSvc unless it runs, waits until it does, and opens its process (to notice its end). */
static HRESULT open_running_host(HANDLE *process)
{
    SC_HANDLE manager = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE service = manager ? OpenServiceW(manager, DOSVC_SERVICE_NAME,
                                               SERVICE_START | SERVICE_QUERY_STATUS) : NULL;
    HRESULT hr = service ? S_OK : HRESULT_FROM_WIN32(GetLastError());
    if (SUCCEEDED(hr) && !StartServiceW(service, 0, NULL) &&
        GetLastError() != ERROR_SERVICE_ALREADY_RUNNING)
        hr = HRESULT_FROM_WIN32(GetLastError());
    SERVICE_STATUS_PROCESS status = {0};
    DWORD needed;
    for (int waited = 0; SUCCEEDED(hr) && waited < HOST_WAIT_MS; waited += 100) {
        if (!QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, (BYTE *)&status, sizeof status, &needed))
            hr = HRESULT_FROM_WIN32(GetLastError());
        else if (status.dwCurrentState == SERVICE_RUNNING || status.dwCurrentState == SERVICE_STOPPED)
            break;
        Sleep(100);
    }
    if (SUCCEEDED(hr) && status.dwCurrentState != SERVICE_RUNNING)
        hr = HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE);
    if (SUCCEEDED(hr) && !(*process = OpenProcess(SYNCHRONIZE, FALSE, status.dwProcessId)))
        hr = HRESULT_FROM_WIN32(GetLastError());
    if (service)
        CloseServiceHandle(service);
    if (manager)
        CloseServiceHandle(manager);
    return hr;
}

/* Asks the host to serve the BITS classes; on success the caller's thread holds *running until
 * bits_relay_guest_detach. */
HRESULT bits_relay_guest_attach(HANDLE *host_process, HANDLE *running)
{
    *host_process = *running = NULL;
    HRESULT hr = open_running_host(host_process);
    if (FAILED(hr))
        return hr;
    HANDLE request = CreateEventW(NULL, FALSE, FALSE, REQUEST_EVENT);
    HANDLE served = CreateEventW(NULL, FALSE, FALSE, SERVED_EVENT);
    *running = CreateMutexW(NULL, FALSE, RUNNING_MUTEX);
    if (!request || !served || !*running || WaitForSingleObject(*running, 0) != WAIT_OBJECT_0)
        hr = HRESULT_FROM_WIN32(ERROR_SERVICE_ALREADY_RUNNING);
    if (SUCCEEDED(hr)) {
        ResetEvent(served); /* nothing left over from a guest that died while asking */
        SetEvent(request);
        HANDLE waits[] = {served, *host_process};
        DWORD answer = WaitForMultipleObjects(2, waits, FALSE, HOST_WAIT_MS);
        if (answer != WAIT_OBJECT_0)
            hr = answer == WAIT_TIMEOUT ? HRESULT_FROM_WIN32(ERROR_SERVICE_REQUEST_TIMEOUT)
                                        : HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE);
    }
    if (request)
        CloseHandle(request);
    if (served)
        CloseHandle(served);
    if (FAILED(hr)) {
        bits_relay_guest_detach(*host_process, *running);
        *host_process = *running = NULL;
    }
    return hr;
}

void bits_relay_guest_detach(HANDLE host_process, HANDLE running)
{
    if (running) {
        ReleaseMutex(running); /* the host revokes the classes */
        CloseHandle(running);
    }
    if (host_process)
        CloseHandle(host_process);
}
