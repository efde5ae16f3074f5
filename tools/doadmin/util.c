/* util.c: /util /version and /util /repairservice [/force]. /version reads the installation
 * from the machine (the SCM's record of DoSvc; the class, AppID, proxy/stub and event log
 * registrations; the binaries' versions; who answers BITS) and then asks the service itself
 * (IOpendoAdmin::GetVersion) when it answers. /repairservice runs `dosvc.exe install`, which
 * writes every registration again (idempotent), and `dosvc.exe install --bits` when the prefix
 * was switched to opendo's BITS (a Wine update resets that switch); /force removes the service
 * first, as bitsadmin's does. Both run without the service (the switch is "offline"). */
#include "doadmin.h"
#include "bits_classes.h"

#include <stdlib.h>

#define SERVICE_NAME L"DoSvc"
#define BITS_SERVICE_NAME L"BITS"
#define BITS_APPID L"{69AD4AEE-51BE-439B-A92C-86AE490E8B30}"
#define BITS_SWITCH_KEY L"Software\\opendo\\BITS" /* dosvc install --bits was asked for */
#define APPID L"{5B99FA76-721C-423C-ADAC-56D03C8A8007}"
#define PROXY_CLSID L"{52E1DB2B-FAD4-429F-8815-13C04CD8152A}"
#define MANAGER_IID L"{5CE34C0D-0DC9-4C1F-897C-DAA1B78CEE7C}"
#define ADMIN_IID L"{D9E317DB-3D54-4692-967E-CF8E646A6482}"
#define EVENT_SOURCE_KEY L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\opendo"
#define WIDTH 16 /* strlen("Event log source") */

/* A registry string, or "" when it is missing or not a string. */
static void reg_text(HKEY root, const wchar_t *key, const wchar_t *name, wchar_t *out, DWORD size)
{
    DWORD bytes = size * sizeof(wchar_t);
    if (RegGetValueW(root, key, name, RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, NULL,
                     out, &bytes) != ERROR_SUCCESS)
        out[0] = L'\0';
}

/* Whether the registry string equals want (case-insensitive). */
static int reg_is(HKEY root, const wchar_t *key, const wchar_t *name, const wchar_t *want)
{
    wchar_t value[MAX_PATH];
    reg_text(root, key, name, value, ARRAYSIZE(value));
    return _wcsicmp(value, want) == 0;
}

/* "0.9.0 (path)" from a binary's VERSIONINFO, or why there is none. */
static void file_version(const wchar_t *path, wchar_t *out, size_t size)
{
    DWORD handle = 0, bytes = path[0] ? GetFileVersionInfoSizeW(path, &handle) : 0;
    void *data = bytes ? malloc(bytes) : NULL;
    VS_FIXEDFILEINFO *info = NULL;
    UINT length = 0;
    if (data && GetFileVersionInfoW(path, 0, bytes, data) &&
        VerQueryValueW(data, L"\\", (void **)&info, &length) && length >= sizeof *info)
        swprintf(out, size, L"%u.%u.%u (%ls)", HIWORD(info->dwFileVersionMS),
                 LOWORD(info->dwFileVersionMS), HIWORD(info->dwFileVersionLS), path);
    else if (path[0] && GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES)
        swprintf(out, size, L"no version information (%ls)", path);
    else
        swprintf(out, size, path[0] ? L"MISSING (%ls)" : L"not found", path);
    free(data);
}

/* The SCM's record of DoSvc: its binary (unquoted), and a line about its state. */
typedef struct {
    int registered, can_start;
    wchar_t binary[MAX_PATH];
    wchar_t line[160];
} service_record;

static void read_service(const wchar_t *name, service_record *r)
{
    static const wchar_t *states[] = {L"?", L"STOPPED", L"START_PENDING", L"STOP_PENDING",
                                      L"RUNNING", L"CONTINUE_PENDING", L"PAUSE_PENDING", L"PAUSED"};
    memset(r, 0, sizeof *r);
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE service = scm ? OpenServiceW(scm, name, SERVICE_QUERY_CONFIG | SERVICE_QUERY_STATUS) : NULL;
    union { QUERY_SERVICE_CONFIGW config; BYTE bytes[8192]; } buffer;
    DWORD needed = 0;
    SERVICE_STATUS status = { 0 };
    r->registered = service && QueryServiceConfigW(service, &buffer.config, sizeof buffer, &needed);
    if (r->registered) {
        QueryServiceStatus(service, &status);
        const wchar_t *path = buffer.config.lpBinaryPathName;
        size_t n = wcslen(path);
        if (path[0] == L'"' && n >= 2)
            swprintf(r->binary, ARRAYSIZE(r->binary), L"%.*ls", (int)(n - 2), path + 1);
        else
            swprintf(r->binary, ARRAYSIZE(r->binary), L"%ls", path);
        int disabled = buffer.config.dwStartType == SERVICE_DISABLED;
        int present = GetFileAttributesW(r->binary) != INVALID_FILE_ATTRIBUTES;
        r->can_start = !disabled && present;
        swprintf(r->line, ARRAYSIZE(r->line), L"registered, %ls; can start: %ls",
                 states[status.dwCurrentState < 8 ? status.dwCurrentState : 0],
                 disabled ? L"no (disabled)" : present ? L"yes" : L"no (its binary is missing)");
    } else {
        swprintf(r->line, ARRAYSIZE(r->line), L"NOT registered");
    }
    if (service)
        CloseServiceHandle(service);
    if (scm)
        CloseServiceHandle(scm);
}

static void print_line(const wchar_t *name, const wchar_t *value)
{
    out_printf(L"%-*ls : %ls\n", WIDTH, name, value);
}

static int print_registration(const wchar_t *name, int ok, const wchar_t *what)
{
    print_line(name, ok ? what : L"NOT registered");
    return !ok;
}

static int bits_switch_requested(void)
{
    HKEY key;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, BITS_SWITCH_KEY, 0, KEY_READ, &key))
        return 0;
    RegCloseKey(key);
    return 1;
}

/* Whether all ten BITS classes are started as the BITS service. */
static int bits_classes_registered(void)
{
    static const CLSID *const classes[BITS_CLASS_COUNT] = BITS_CLASSES;
    int ok = reg_is(HKEY_CLASSES_ROOT, L"AppID\\" BITS_APPID, L"LocalService", BITS_SERVICE_NAME);
    for (int i = 0; ok && i < BITS_CLASS_COUNT; i++) {
        wchar_t clsid[40], key[64];
        StringFromGUID2(classes[i], clsid, ARRAYSIZE(clsid));
        swprintf(key, ARRAYSIZE(key), L"CLSID\\%ls", clsid);
        ok = reg_is(HKEY_CLASSES_ROOT, key, L"AppID", BITS_APPID);
    }
    return ok;
}

/* Who answers BITS in this prefix: opendo (the BITS service is dosvc.exe), Wine's qmgr (svchost),
 * or a switch to opendo that a Wine update undid. Returns 1 when the switch is broken. */
static int print_bits(const service_record *dosvc)
{
    service_record bits;
    wchar_t text[MAX_PATH + 160];
    read_service(BITS_SERVICE_NAME, &bits);
    int ours = bits.registered && dosvc->registered && _wcsicmp(bits.binary, dosvc->binary) == 0;
    int broken = 0;
    if (ours && bits_classes_registered())
        swprintf(text, ARRAYSIZE(text), L"opendo (service BITS -> dosvc.exe), %ls", bits.line);
    else if (ours || bits_switch_requested()) {
        swprintf(text, ARRAYSIZE(text), L"%ls: run doadmin /util /repairservice",
                 ours ? L"opendo, but the BITS classes are not registered"
                      : L"switched to opendo but reset (a Wine update re-ran wine.inf)");
        broken = 1;
    } else if (bits.registered)
        swprintf(text, ARRAYSIZE(text), L"%ls (%ls)",
                 wcsstr(bits.binary, L"svchost") ? L"Wine's qmgr" : L"not opendo", bits.binary);
    else
        swprintf(text, ARRAYSIZE(text), L"no BITS service");
    print_line(L"BITS", text);
    return broken;
}

/* The machine's side; returns how many parts are missing or broken. */
static int print_installation(void)
{
    wchar_t path[MAX_PATH], text[MAX_PATH + 64];
    service_record service;
    int broken = 0;
    GetModuleFileNameW(NULL, path, MAX_PATH);
    file_version(path, text, ARRAYSIZE(text));
    print_line(L"doadmin", text);
    read_service(SERVICE_NAME, &service);
    file_version(service.binary, text, ARRAYSIZE(text));
    print_line(L"dosvc.exe", text);
    reg_text(HKEY_CLASSES_ROOT, L"CLSID\\" PROXY_CLSID L"\\InprocServer32", NULL, path, ARRAYSIZE(path));
    file_version(path, text, ARRAYSIZE(text));
    print_line(L"doproxy.dll", text);
    print_line(L"Service DoSvc", service.line);
    broken += !service.registered || !service.can_start;

    int classes = reg_is(HKEY_CLASSES_ROOT, L"CLSID\\" APPID, L"AppID", APPID) &&
                  reg_is(HKEY_CLASSES_ROOT, L"CLSID\\{6DA97CEB-34DE-4ADA-8415-25444291C60D}", L"AppID", APPID) &&
                  reg_is(HKEY_CLASSES_ROOT, L"AppID\\" APPID, L"LocalService", SERVICE_NAME);
    broken += print_registration(L"COM classes", classes,
                                 L"DeliveryOptimization and OpendoAdmin, started as DoSvc");
    int proxy = path[0] && reg_is(HKEY_CLASSES_ROOT, L"Interface\\" MANAGER_IID L"\\ProxyStubClsid32", NULL, PROXY_CLSID) &&
                reg_is(HKEY_CLASSES_ROOT, L"Interface\\" ADMIN_IID L"\\ProxyStubClsid32", NULL, PROXY_CLSID);
    broken += print_registration(L"Proxy/stub", proxy, L"doproxy.dll, for the manager and admin interfaces");
    reg_text(HKEY_LOCAL_MACHINE, EVENT_SOURCE_KEY, L"EventMessageFile", path, ARRAYSIZE(path));
    broken += print_registration(L"Event log source", path[0] != L'\0', L"opendo (Application)");
    broken += print_bits(&service);
    return broken;
}

static int util_version(session *s)
{
    int broken = print_installation();
    IOpendoAdmin *admin = NULL;
    LPWSTR report = NULL;
    HRESULT hr = CoCreateInstance(&CLSID_OpendoAdmin, NULL, CLSCTX_LOCAL_SERVER, &IID_IOpendoAdmin,
                                  (void **)&admin);
    if (SUCCEEDED(hr)) {
        hr = IOpendoAdmin_GetVersion(admin, &report);
        IOpendoAdmin_Release(admin);
    }
    out_printf(L"\n");
    int status = SUCCEEDED(hr) || hr == E_ACCESSDENIED ? print_report(s, hr, report) : EXIT_NO_SERVICE;
    if (FAILED(hr) && hr != E_ACCESSDENIED) {
        wchar_t text[1024];
        hr_text(s, hr, text, ARRAYSIZE(text));
        out_printf(L"The service does not answer: %ls\n", text);
    }
    if (broken)
        return fail(s, EXIT_FAILED, L"%d part(s) of the installation are missing or broken: "
                                    L"doadmin /util /repairservice repairs them", broken);
    return status;
}

/* Runs dosvc.exe with one argument and waits for it; its output goes where doadmin's does. */
static int run_dosvc(session *s, const wchar_t *dosvc, const wchar_t *argument)
{
    wchar_t command[MAX_PATH + 32];
    swprintf(command, ARRAYSIZE(command), L"\"%ls\" %ls", dosvc, argument);
    STARTUPINFOW si = { .cb = sizeof si };
    PROCESS_INFORMATION pi;
    if (!CreateProcessW(dosvc, command, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
        return fail_hr(s, HRESULT_FROM_WIN32(GetLastError()));
    DWORD code = 1;
    WaitForSingleObject(pi.hProcess, INFINITE);
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return code == 0 ? EXIT_OK
                     : fail(s, EXIT_FAILED, L"'dosvc.exe %ls' failed (exit %lu): run doadmin as an "
                                            L"administrator", argument, code);
}

/* dosvc.exe: where the SCM says it is, else next to doadmin.exe. */
static int find_dosvc(session *s, wchar_t *path, size_t size)
{
    service_record service;
    read_service(SERVICE_NAME, &service);
    if (service.registered && GetFileAttributesW(service.binary) != INVALID_FILE_ATTRIBUTES) {
        swprintf(path, size, L"%ls", service.binary);
        return EXIT_OK;
    }
    wchar_t self[MAX_PATH];
    DWORD n = GetModuleFileNameW(NULL, self, MAX_PATH);
    wchar_t *slash = n && n < MAX_PATH ? wcsrchr(self, L'\\') : NULL;
    if (slash)
        swprintf(path, size, L"%.*lsdosvc.exe", (int)(slash - self + 1), self);
    if (!slash || GetFileAttributesW(path) == INVALID_FILE_ATTRIBUTES)
        return fail(s, EXIT_FAILED, L"dosvc.exe not found (not where the service was registered, "
                                    L"nor next to doadmin.exe): install opendo again");
    return EXIT_OK;
}

static int util_repair(session *s, int force)
{
    wchar_t dosvc[MAX_PATH];
    int bits = bits_switch_requested(); /* before /force's uninstall gives BITS back */
    int status = find_dosvc(s, dosvc, ARRAYSIZE(dosvc));
    if (status == EXIT_OK && force)
        status = run_dosvc(s, dosvc, L"uninstall");
    if (status == EXIT_OK)
        status = run_dosvc(s, dosvc, L"install");
    if (status == EXIT_OK && bits)
        status = run_dosvc(s, dosvc, L"install --bits");
    if (status != EXIT_OK)
        return status;
    int broken = print_installation();
    return broken ? fail(s, EXIT_FAILED, L"%d part(s) still missing or broken after the repair", broken)
                  : out_done(s, L"The service's registration is complete.");
}

int run_util(session *s, const command *cmd, const invocation *inv)
{
    int version = (inv->present & OPTION(OPT_VERSION)) != 0;
    int repair = (inv->present & OPTION(OPT_REPAIRSERVICE)) != 0;
    int force = (inv->present & OPTION(OPT_FORCE)) != 0;
    if (version == repair || (force && !repair) || inv->argc)
        return fail(s, EXIT_USAGE, L"usage: doadmin %ls %ls", cmd->name, cmd->syntax);
    return version ? util_version(s) : util_repair(s, force);
}
