/* `dosvc install` / `dosvc uninstall`: the service entry, the COM classes (DeliveryOptimization
 * and OpendoAdmin) and the AppID keys that let CoCreateInstance(CLSCTX_LOCAL_SERVER) start the
 * service on demand, the proxy/stub DLL that ships next to dosvc.exe, and the event log source
 * whose messages are in dosvc.exe. Installing again repairs all of it (doadmin /util
 * /repairservice). */
#include <stdio.h>
#include <wchar.h>

#include "dosvc.h"

#define CLASS_KEY L"Software\\Classes\\CLSID\\" DOSVC_APPID_STRING
#define ADMIN_CLASS_KEY L"Software\\Classes\\CLSID\\" DOSVC_ADMIN_CLSID_STRING
#define APPID_KEY L"Software\\Classes\\AppID\\" DOSVC_APPID_STRING
#define EVENT_SOURCE_KEY \
    L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\" DOSVC_EVENT_SOURCE
#define PROXY_DLL_NAME L"doproxy.dll"
#define SYSTEM_BITS_PROXY_DLL L"qmgrprxy.dll" /* in system32 (Wine's, and Windows') */

int registration_fail(const char *what, DWORD error)
{
    fprintf(stderr, "dosvc: %s failed (error %lu)\n", what, error);
    return 1;
}

DWORD registration_set_string(HKEY root, LPCWSTR key, LPCWSTR name, LPCWSTR value)
{
    return RegSetKeyValueW(root, key, name, REG_SZ, value,
                           (DWORD)((wcslen(value) + 1) * sizeof(WCHAR)));
}

static DWORD register_com_classes(void)
{
    DWORD error = registration_set_string(HKEY_LOCAL_MACHINE, CLASS_KEY, NULL, L"DeliveryOptimization");
    if (!error)
        error = registration_set_string(HKEY_LOCAL_MACHINE, CLASS_KEY, L"AppID", DOSVC_APPID_STRING);
    if (!error)
        error = registration_set_string(HKEY_LOCAL_MACHINE, ADMIN_CLASS_KEY, NULL, L"OpendoAdmin");
    if (!error)
        error = registration_set_string(HKEY_LOCAL_MACHINE, ADMIN_CLASS_KEY, L"AppID", DOSVC_APPID_STRING);
    if (!error)
        error = registration_set_string(HKEY_LOCAL_MACHINE, APPID_KEY, NULL, DOSVC_DISPLAY_NAME);
    if (!error)
        error = registration_set_string(HKEY_LOCAL_MACHINE, APPID_KEY, L"LocalService", DOSVC_SERVICE_NAME);
    return error;
}

DWORD registration_sibling_path(LPCWSTR name, WCHAR *out, DWORD size)
{
    DWORD length = GetModuleFileNameW(NULL, out, size);
    if (!length || length >= size)
        return ERROR_BUFFER_OVERFLOW;
    WCHAR *slash = wcsrchr(out, L'\\');
    if (!slash || (size_t)(slash - out) + 1 + wcslen(name) + 1 > size)
        return ERROR_BUFFER_OVERFLOW;
    wcscpy(slash + 1, name);
    return NO_ERROR;
}

/* The event log source: its messages are dosvc.exe's message table. */
static DWORD register_event_source(void)
{
    WCHAR exe[MAX_PATH];
    DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
    if (!GetModuleFileNameW(NULL, exe, MAX_PATH))
        return GetLastError();
    DWORD error = RegSetKeyValueW(HKEY_LOCAL_MACHINE, EVENT_SOURCE_KEY, L"EventMessageFile",
                                  REG_EXPAND_SZ, exe, (DWORD)((wcslen(exe) + 1) * sizeof(WCHAR)));
    if (!error)
        error = RegSetKeyValueW(HKEY_LOCAL_MACHINE, EVENT_SOURCE_KEY, L"TypesSupported", REG_DWORD,
                                &types, sizeof types);
    return error;
}

/* Calls DllRegisterServer or DllUnregisterServer of a DLL. */
static DWORD call_dll_registration(LPCWSTR path, const char *export_name)
{
    HMODULE dll = LoadLibraryW(path);
    if (!dll)
        return GetLastError();
    HRESULT(STDAPICALLTYPE * entry)(void) = (HRESULT(STDAPICALLTYPE *)(void))(void (*)(void))
        GetProcAddress(dll, export_name);
    HRESULT hr = entry ? entry() : HRESULT_FROM_WIN32(GetLastError());
    FreeLibrary(dll);
    return SUCCEEDED(hr) ? NO_ERROR : (DWORD)hr;
}

static DWORD call_proxy_registration(const char *export_name)
{
    WCHAR path[MAX_PATH];
    DWORD error = registration_sibling_path(PROXY_DLL_NAME, path, MAX_PATH);
    return error ? error : call_dll_registration(path, export_name);
}

DWORD registration_service_command(WCHAR *command, size_t size)
{
    WCHAR exe[MAX_PATH];
    DWORD length = GetModuleFileNameW(NULL, exe, MAX_PATH);
    if (!length || length >= MAX_PATH)
        return ERROR_BUFFER_OVERFLOW;
    int written = _snwprintf(command, size, L"\"%ls\"", exe);
    return written < 0 || (size_t)written >= size ? ERROR_BUFFER_OVERFLOW : NO_ERROR;
}

static DWORD create_or_update_service(SC_HANDLE manager)
{
    WCHAR command[MAX_PATH + 2];
    DWORD error = registration_service_command(command, ARRAYSIZE(command));
    if (error)
        return error;
    SC_HANDLE service = CreateServiceW(manager, DOSVC_SERVICE_NAME, DOSVC_DISPLAY_NAME,
                                       SERVICE_ALL_ACCESS, SERVICE_WIN32_SHARE_PROCESS,
                                       SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL, command, NULL,
                                       NULL, NULL, NULL, NULL);
    if (!service && GetLastError() == ERROR_SERVICE_EXISTS) {
        service = OpenServiceW(manager, DOSVC_SERVICE_NAME, SERVICE_ALL_ACCESS);
        if (service && !ChangeServiceConfigW(service, SERVICE_WIN32_SHARE_PROCESS,
                                             SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL, command,
                                             NULL, NULL, NULL, NULL, NULL, DOSVC_DISPLAY_NAME)) {
            CloseServiceHandle(service);
            return GetLastError();
        }
    }
    if (!service)
        return GetLastError();
    SERVICE_DESCRIPTIONW description = {(LPWSTR)DOSVC_DESCRIPTION};
    ChangeServiceConfig2W(service, SERVICE_CONFIG_DESCRIPTION, &description);
    CloseServiceHandle(service);
    return NO_ERROR;
}

int registration_install(void)
{
    SC_HANDLE manager = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS);
    if (!manager)
        return registration_fail("OpenSCManager", GetLastError());
    DWORD error = create_or_update_service(manager);
    CloseServiceHandle(manager);
    if (error)
        return registration_fail("creating the DoSvc service", error);
    if ((error = register_com_classes()))
        return registration_fail("registering the COM classes", error);
    if ((error = register_event_source()))
        return registration_fail("registering the event log source", error);
    if ((error = call_proxy_registration("DllRegisterServer")))
        return registration_fail("registering doproxy.dll", error);
    printf("dosvc: service DoSvc installed; classes DeliveryOptimization and OpendoAdmin, proxy/stub "
           "and event log source registered\n");
    return 0;
}

void registration_stop_service(SC_HANDLE service)
{
    SERVICE_STATUS state;
    if (!ControlService(service, SERVICE_CONTROL_STOP, &state))
        return;
    for (int i = 0; i < 100 && QueryServiceStatus(service, &state) &&
                    state.dwCurrentState != SERVICE_STOPPED; i++)
        Sleep(100);
}

int registration_uninstall(void)
{
    if (registration_bits_switched())
        registration_uninstall_bits(); /* says what it could not give back; DoSvc goes anyway */
    SC_HANDLE manager = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS);
    if (!manager)
        return registration_fail("OpenSCManager", GetLastError());
    SC_HANDLE service = OpenServiceW(manager, DOSVC_SERVICE_NAME, SERVICE_ALL_ACCESS);
    if (service) {
        registration_stop_service(service);
        if (!DeleteService(service))
            fprintf(stderr, "dosvc: DeleteService failed (error %lu)\n", GetLastError());
        CloseServiceHandle(service);
    }
    CloseServiceHandle(manager);
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, CLASS_KEY);
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, ADMIN_CLASS_KEY);
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, APPID_KEY);
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, EVENT_SOURCE_KEY);
    call_proxy_registration("DllUnregisterServer");
    /* That removed the Interface keys of the BITS interfaces too, which Wine's BITS shares:
     * the system's own BITS proxy/stub registers its interfaces again (where there is one). */
    call_dll_registration(SYSTEM_BITS_PROXY_DLL, "DllRegisterServer");
    printf("dosvc: service DoSvc and its registration removed\n");
    return 0;
}
