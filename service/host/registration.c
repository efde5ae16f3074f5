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

static int fail(const char *what, DWORD error)
{
    fprintf(stderr, "dosvc: %s failed (error %lu)\n", what, error);
    return 1;
}

static DWORD set_string_value(HKEY root, LPCWSTR key, LPCWSTR name, LPCWSTR value)
{
    return RegSetKeyValueW(root, key, name, REG_SZ, value,
                           (DWORD)((wcslen(value) + 1) * sizeof(WCHAR)));
}

static DWORD register_com_classes(void)
{
    DWORD error = set_string_value(HKEY_LOCAL_MACHINE, CLASS_KEY, NULL, L"DeliveryOptimization");
    if (!error)
        error = set_string_value(HKEY_LOCAL_MACHINE, CLASS_KEY, L"AppID", DOSVC_APPID_STRING);
    if (!error)
        error = set_string_value(HKEY_LOCAL_MACHINE, ADMIN_CLASS_KEY, NULL, L"OpendoAdmin");
    if (!error)
        error = set_string_value(HKEY_LOCAL_MACHINE, ADMIN_CLASS_KEY, L"AppID", DOSVC_APPID_STRING);
    if (!error)
        error = set_string_value(HKEY_LOCAL_MACHINE, APPID_KEY, NULL, DOSVC_DISPLAY_NAME);
    if (!error)
        error = set_string_value(HKEY_LOCAL_MACHINE, APPID_KEY, L"LocalService", DOSVC_SERVICE_NAME);
    return error;
}

/* Path of a file that sits next to dosvc.exe. */
static DWORD sibling_path(LPCWSTR name, WCHAR *out, DWORD size)
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

static DWORD call_proxy_registration(const char *export_name)
{
    WCHAR path[MAX_PATH];
    DWORD error = sibling_path(PROXY_DLL_NAME, path, MAX_PATH);
    if (error)
        return error;
    HMODULE dll = LoadLibraryW(path);
    if (!dll)
        return GetLastError();
    HRESULT(STDAPICALLTYPE * entry)(void) = (HRESULT(STDAPICALLTYPE *)(void))(void (*)(void))
        GetProcAddress(dll, export_name);
    HRESULT hr = entry ? entry() : HRESULT_FROM_WIN32(GetLastError());
    FreeLibrary(dll);
    return SUCCEEDED(hr) ? NO_ERROR : (DWORD)hr;
}

static DWORD create_or_update_service(SC_HANDLE manager)
{
    WCHAR exe[MAX_PATH], command[MAX_PATH + 2];
    if (!GetModuleFileNameW(NULL, exe, MAX_PATH))
        return GetLastError();
    _snwprintf(command, MAX_PATH + 2, L"\"%ls\"", exe);
    command[MAX_PATH + 1] = L'\0';
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
        return fail("OpenSCManager", GetLastError());
    DWORD error = create_or_update_service(manager);
    CloseServiceHandle(manager);
    if (error)
        return fail("creating the DoSvc service", error);
    if ((error = register_com_classes()))
        return fail("registering the COM classes", error);
    if ((error = register_event_source()))
        return fail("registering the event log source", error);
    if ((error = call_proxy_registration("DllRegisterServer")))
        return fail("registering doproxy.dll", error);
    printf("dosvc: service DoSvc installed; classes DeliveryOptimization and OpendoAdmin, proxy/stub "
           "and event log source registered\n");
    return 0;
}

static void stop_service(SC_HANDLE service)
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
    SC_HANDLE manager = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS);
    if (!manager)
        return fail("OpenSCManager", GetLastError());
    SC_HANDLE service = OpenServiceW(manager, DOSVC_SERVICE_NAME, SERVICE_ALL_ACCESS);
    if (service) {
        stop_service(service);
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
    printf("dosvc: service DoSvc and its registration removed\n");
    return 0;
}
