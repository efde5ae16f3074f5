/* `dosvc install --bits` / `dosvc uninstall --bits`: opendo becomes the prefix's BITS service,
 * and gives it back (docs/bits.md, "Switching a prefix to opendo's BITS").
 *
 * Wine registers BITS as the service BITS (svchost -k netsvcs loading qmgr.dll), the AppID
 * {69AD4AEE-...} with LocalService=BITS, and CLSID_BackgroundCopyManager with that AppID. The
 * switch makes BITS a second service of dosvc.exe (DoSvc's process then serves the ten BITS
 * classes while it runs, service/host/bits_relay.c), takes BITS out of svchost's netsvcs group
 * (a group member without its DLL would fail the whole group), and registers all ten BITS
 * classes with that AppID. Before the first change it saves, under HKLM\Software\opendo\BITS\
 * Saved, everything it changes (only if no snapshot exists and the registration is not already
 * opendo's: the snapshot is always Wine's), and `uninstall --bits` puts all of it back exactly.
 * HKLM\Software\opendo\BITS\Switched records that the switch was asked for, so that
 * `doadmin /util /repairservice` re-applies it after a Wine update reset it. */
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include <shlobj.h>

#include "dosvc.h"

#define BITS_APPID L"{69AD4AEE-51BE-439B-A92C-86AE490E8B30}"
#define SERVICE_KEY L"System\\CurrentControlSet\\Services\\" BITS_SERVICE_NAME
#define SVCHOST_KEY L"Software\\Microsoft\\Windows NT\\CurrentVersion\\SvcHost"
#define SVCHOST_GROUP L"netsvcs"
#define APPID_KEY L"Software\\Classes\\AppID\\" BITS_APPID
#define APPID_NAME_KEY L"Software\\Classes\\AppID\\BITS"
#define CLASS_KEY_FORMAT L"Software\\Classes\\CLSID\\%ls"
#define OPENDO_KEY L"Software\\opendo"
#define SWITCH_KEY OPENDO_KEY L"\\BITS"
#define SNAPSHOT_KEY SWITCH_KEY L"\\Saved"
#define BITS_DISPLAY_NAME L"Background Intelligent Transfer Service (opendo)"
#define BITS_DESCRIPTION \
    L"BITS for the applications of this prefix, served by opendo's Delivery Optimization service (DoSvc)."
#define BITSADMIN L"bitsadmin.exe"

/* ---- what is ours ------------------------------------------------------------------------- */

static int key_exists(LPCWSTR path)
{
    HKEY key;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ, &key))
        return 0;
    RegCloseKey(key);
    return 1;
}

/* Whether the BITS service is dosvc.exe (this one). */
static int service_is_ours(void)
{
    WCHAR ours[MAX_PATH + 2], image[MAX_PATH + 2];
    DWORD size = sizeof image;
    if (registration_service_command(ours, ARRAYSIZE(ours)) ||
        RegGetValueW(HKEY_LOCAL_MACHINE, SERVICE_KEY, L"ImagePath", RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND,
                     NULL, image, &size))
        return 0;
    return _wcsicmp(ours, image) == 0;
}

static int snapshot_exists(void)
{
    DWORD complete = 0, size = sizeof complete;
    return RegGetValueW(HKEY_LOCAL_MACHINE, SNAPSHOT_KEY, L"Complete", RRF_RT_REG_DWORD, NULL,
                        &complete, &size) == ERROR_SUCCESS && complete == 1;
}

/* "{4991D34B-...}" */
static void class_text(int index, WCHAR *out, int size)
{
    StringFromGUID2(bits_classes[index], out, size);
}

static void class_key(int index, WCHAR *out, size_t size)
{
    WCHAR clsid[40];
    class_text(index, clsid, ARRAYSIZE(clsid));
    _snwprintf(out, size, CLASS_KEY_FORMAT, clsid);
    out[size - 1] = L'\0';
}

/* system32\bitsadmin.exe, and where Wine's own copy (if any) is kept meanwhile. */
static DWORD bitsadmin_paths(WCHAR *installed, WCHAR *saved, size_t size)
{
    WCHAR system[MAX_PATH];
    PWSTR data = NULL;
    UINT length = GetSystemDirectoryW(system, MAX_PATH);
    if (!length || length >= MAX_PATH || FAILED(SHGetKnownFolderPath(&FOLDERID_ProgramData, KF_FLAG_CREATE, NULL, &data)))
        return ERROR_PATH_NOT_FOUND;
    int a = _snwprintf(installed, size, L"%ls\\" BITSADMIN, system);
    int b = _snwprintf(saved, size, L"%ls\\opendo\\saved-" BITSADMIN, data);
    CoTaskMemFree(data);
    return a < 0 || b < 0 || (size_t)a >= size || (size_t)b >= size ? ERROR_BUFFER_OVERFLOW : NO_ERROR;
}

/* ---- the snapshot ------------------------------------------------------------------------- */

static DWORD save_bitsadmin(HKEY snapshot)
{
    WCHAR installed[MAX_PATH], saved[MAX_PATH];
    DWORD error = bitsadmin_paths(installed, saved, MAX_PATH);
    int existed = !error && GetFileAttributesW(installed) != INVALID_FILE_ATTRIBUTES;
    if (!error && existed && !CopyFileW(installed, saved, FALSE))
        error = GetLastError();
    if (!error)
        error = RegSetKeyValueW(snapshot, L"bitsadmin", L"Existed", REG_DWORD, &existed, sizeof existed);
    return error;
}

/* Everything the switch changes, saved once (never over a snapshot, never opendo's state). */
static DWORD take_snapshot(void)
{
    HKEY snapshot;
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, SNAPSHOT_KEY); /* an incomplete one from an interrupted run */
    DWORD error = RegCreateKeyExW(HKEY_LOCAL_MACHINE, SNAPSHOT_KEY, 0, NULL, 0, KEY_ALL_ACCESS, NULL,
                                  &snapshot, NULL);
    if (error)
        return error;
    error = snapshot_save_key(snapshot, L"service", SERVICE_KEY);
    if (!error)
        error = snapshot_save_value(snapshot, L"netsvcs", SVCHOST_KEY, SVCHOST_GROUP);
    if (!error)
        error = snapshot_save_key(snapshot, L"appid", APPID_KEY);
    if (!error)
        error = snapshot_save_key(snapshot, L"appid-name", APPID_NAME_KEY);
    for (int i = 0; !error && i < BITS_CLASS_COUNT; i++) {
        WCHAR slot[48], key[96];
        class_text(i, slot, ARRAYSIZE(slot));
        class_key(i, key, ARRAYSIZE(key));
        error = snapshot_save_key(snapshot, slot, key);
    }
    if (!error)
        error = save_bitsadmin(snapshot);
    DWORD complete = 1;
    if (!error)
        error = RegSetValueExW(snapshot, L"Complete", 0, REG_DWORD, (const BYTE *)&complete, sizeof complete);
    RegCloseKey(snapshot);
    return error;
}

/* ---- the switch --------------------------------------------------------------------------- */

/* BITS removed from svchost's netsvcs group; every other member stays, in order. */
static DWORD remove_from_netsvcs(void)
{
    WCHAR list[2048], kept[2048], *out = kept;
    DWORD size = sizeof list;
    DWORD error = RegGetValueW(HKEY_LOCAL_MACHINE, SVCHOST_KEY, SVCHOST_GROUP, RRF_RT_REG_MULTI_SZ, NULL,
                               list, &size);
    if (error)
        return error == ERROR_FILE_NOT_FOUND ? NO_ERROR : error;
    for (WCHAR *name = list; (char *)name < (char *)list + size && *name; name += wcslen(name) + 1)
        if (_wcsicmp(name, BITS_SERVICE_NAME)) {
            wcscpy(out, name);
            out += wcslen(name) + 1;
        }
    *out++ = L'\0';
    return RegSetKeyValueW(HKEY_LOCAL_MACHINE, SVCHOST_KEY, SVCHOST_GROUP, REG_MULTI_SZ, kept,
                           (DWORD)((char *)out - (char *)kept));
}

/* The BITS service: stopped (Wine's, or ours being repaired), then dosvc.exe's second service. */
static DWORD switch_service(SC_HANDLE manager)
{
    WCHAR command[MAX_PATH + 2];
    DWORD error = registration_service_command(command, ARRAYSIZE(command));
    if (error)
        return error;
    SC_HANDLE service = OpenServiceW(manager, BITS_SERVICE_NAME, SERVICE_ALL_ACCESS);
    if (service) {
        registration_stop_service(service);
        if (!ChangeServiceConfigW(service, SERVICE_WIN32_SHARE_PROCESS, SERVICE_DEMAND_START,
                                  SERVICE_ERROR_NORMAL, command, NULL, NULL, NULL, NULL, NULL,
                                  BITS_DISPLAY_NAME))
            error = GetLastError();
    } else if (!(service = CreateServiceW(manager, BITS_SERVICE_NAME, BITS_DISPLAY_NAME, SERVICE_ALL_ACCESS,
                                          SERVICE_WIN32_SHARE_PROCESS, SERVICE_DEMAND_START,
                                          SERVICE_ERROR_NORMAL, command, NULL, NULL, NULL, NULL, NULL))) {
        return GetLastError();
    }
    SERVICE_DESCRIPTIONW description = {(LPWSTR)BITS_DESCRIPTION};
    if (!error && !ChangeServiceConfig2W(service, SERVICE_CONFIG_DESCRIPTION, &description))
        error = GetLastError();
    CloseServiceHandle(service);
    return error;
}

/* All ten classes started through the AppID whose LocalService is BITS. */
static DWORD register_bits_classes(void)
{
    DWORD error = registration_set_string(HKEY_LOCAL_MACHINE, APPID_KEY, L"LocalService", BITS_SERVICE_NAME);
    for (int i = 0; !error && i < BITS_CLASS_COUNT; i++) {
        WCHAR key[96];
        class_key(i, key, ARRAYSIZE(key));
        error = registration_set_string(HKEY_LOCAL_MACHINE, key, L"AppID", BITS_APPID);
    }
    return error;
}

/* bitsadmin.exe in system32: a copy of doadmin.exe, which then speaks to the BITS classes. */
static DWORD install_bitsadmin(void)
{
    WCHAR doadmin[MAX_PATH], installed[MAX_PATH], saved[MAX_PATH];
    DWORD error = registration_sibling_path(L"doadmin.exe", doadmin, MAX_PATH);
    if (!error)
        error = bitsadmin_paths(installed, saved, MAX_PATH);
    if (!error && GetFileAttributesW(doadmin) == INVALID_FILE_ATTRIBUTES) {
        fprintf(stderr, "dosvc: doadmin.exe is not next to dosvc.exe: no bitsadmin.exe installed\n");
        return NO_ERROR;
    }
    if (!error && !CopyFileW(doadmin, installed, FALSE))
        error = GetLastError();
    return error;
}

static int require_dosvc(SC_HANDLE manager)
{
    SC_HANDLE dosvc = OpenServiceW(manager, DOSVC_SERVICE_NAME, SERVICE_QUERY_STATUS);
    if (!dosvc) {
        fprintf(stderr, "dosvc: the DoSvc service is not installed: run 'dosvc install' first\n");
        return 0;
    }
    CloseServiceHandle(dosvc);
    return 1;
}

int registration_install_bits(void)
{
    SC_HANDLE manager = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS);
    if (!manager)
        return registration_fail("OpenSCManager", GetLastError());
    if (!require_dosvc(manager)) {
        CloseServiceHandle(manager);
        return 1;
    }
    DWORD error = NO_ERROR, switched = 1;
    if (snapshot_exists())
        printf("dosvc: keeping the snapshot of Wine's BITS taken at the first 'install --bits'\n");
    else if (service_is_ours())
        fprintf(stderr, "dosvc: BITS is already opendo's and no snapshot of Wine's BITS exists: "
                        "'uninstall --bits' will not be able to restore it ('wineboot -u' does)\n");
    else
        error = take_snapshot();
    const char *step = "saving Wine's BITS registration";
    if (!error) {
        step = "making BITS a service of dosvc.exe";
        error = RegSetKeyValueW(HKEY_LOCAL_MACHINE, SWITCH_KEY, L"Switched", REG_DWORD, &switched,
                                sizeof switched);
    }
    if (!error)
        error = switch_service(manager);
    CloseServiceHandle(manager);
    if (error)
        return registration_fail(step, error);
    if ((error = remove_from_netsvcs()))
        return registration_fail("taking BITS out of svchost's netsvcs group", error);
    if ((error = register_bits_classes()))
        return registration_fail("registering the BITS classes", error);
    if ((error = install_bitsadmin()))
        return registration_fail("installing bitsadmin.exe", error);
    printf("dosvc: BITS is now served by opendo: service BITS (dosvc.exe), %d BITS classes, "
           "bitsadmin.exe; 'dosvc uninstall --bits' gives BITS back to Wine\n", BITS_CLASS_COUNT);
    return 0;
}

/* ---- giving BITS back ---------------------------------------------------------------------- */

/* A value of the saved service key (the snapshot's copy of Services\BITS). */
static DWORD saved_service_value(LPCWSTR name, DWORD flags, void *out, DWORD size)
{
    return RegGetValueW(HKEY_LOCAL_MACHINE, SNAPSHOT_KEY L"\\service\\Tree", name, flags | RRF_NOEXPAND,
                        NULL, out, &size);
}

/* The SCM's record of BITS as it was (the SCM keeps it in memory: the registry alone would not
 * do); a service that did not exist is deleted. */
static DWORD restore_service_config(SC_HANDLE manager)
{
    SC_HANDLE service = OpenServiceW(manager, BITS_SERVICE_NAME, SERVICE_ALL_ACCESS);
    if (!service)
        return GetLastError() == ERROR_SERVICE_DOES_NOT_EXIST ? NO_ERROR : GetLastError();
    registration_stop_service(service);
    DWORD type, start, error_control, error;
    WCHAR image[MAX_PATH + 64], display[256], description[512];
    error = saved_service_value(L"Type", RRF_RT_REG_DWORD, &type, sizeof type);
    if (error == ERROR_FILE_NOT_FOUND) { /* there was no BITS service */
        error = DeleteService(service) ? NO_ERROR : GetLastError();
        CloseServiceHandle(service);
        return error;
    }
    if (!error)
        error = saved_service_value(L"Start", RRF_RT_REG_DWORD, &start, sizeof start);
    if (!error)
        error = saved_service_value(L"ErrorControl", RRF_RT_REG_DWORD, &error_control, sizeof error_control);
    if (!error)
        error = saved_service_value(L"ImagePath", RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ, image, sizeof image);
    if (!error && saved_service_value(L"DisplayName", RRF_RT_REG_SZ, display, sizeof display))
        display[0] = L'\0';
    if (!error && !ChangeServiceConfigW(service, type, start, error_control, image, NULL, NULL, NULL,
                                        NULL, NULL, display))
        error = GetLastError();
    SERVICE_DESCRIPTIONW saved = {description};
    if (saved_service_value(L"Description", RRF_RT_REG_SZ, description, sizeof description))
        description[0] = L'\0';
    if (!error && !ChangeServiceConfig2W(service, SERVICE_CONFIG_DESCRIPTION, &saved))
        error = GetLastError();
    CloseServiceHandle(service);
    return error;
}

static DWORD restore_bitsadmin(void)
{
    WCHAR installed[MAX_PATH], saved[MAX_PATH];
    DWORD existed = 0, size = sizeof existed;
    DWORD error = bitsadmin_paths(installed, saved, MAX_PATH);
    if (!error)
        error = RegGetValueW(HKEY_LOCAL_MACHINE, SNAPSHOT_KEY L"\\bitsadmin", L"Existed", RRF_RT_REG_DWORD,
                             NULL, &existed, &size);
    if (error)
        return error;
    if (existed) {
        if (!CopyFileW(saved, installed, FALSE))
            return GetLastError();
        DeleteFileW(saved);
    } else if (!DeleteFileW(installed) && GetLastError() != ERROR_FILE_NOT_FOUND) {
        return GetLastError();
    }
    return NO_ERROR;
}

/* Every saved key and value back as it was. */
static DWORD restore_registry(void)
{
    HKEY snapshot;
    DWORD error = RegOpenKeyExW(HKEY_LOCAL_MACHINE, SNAPSHOT_KEY, 0, KEY_READ, &snapshot);
    if (error)
        return error;
    WCHAR slot[64];
    for (DWORD i = 0, length = ARRAYSIZE(slot);
         !error && RegEnumKeyExW(snapshot, i, slot, &length, NULL, NULL, NULL, NULL) == ERROR_SUCCESS;
         i++, length = ARRAYSIZE(slot))
        if (wcscmp(slot, L"bitsadmin"))
            error = snapshot_restore(snapshot, slot);
    RegCloseKey(snapshot);
    return error;
}

/* HKLM\Software\opendo\BITS goes; Software\opendo too when nothing else is left in it. */
static void forget_switch(void)
{
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, SWITCH_KEY);
    HKEY opendo;
    DWORD subkeys = 1, values = 1;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, OPENDO_KEY, 0, KEY_READ, &opendo))
        return;
    RegQueryInfoKeyW(opendo, NULL, NULL, NULL, &subkeys, NULL, NULL, &values, NULL, NULL, NULL, NULL);
    RegCloseKey(opendo);
    if (!subkeys && !values)
        RegDeleteKeyW(HKEY_LOCAL_MACHINE, OPENDO_KEY);
}

int registration_uninstall_bits(void)
{
    if (!snapshot_exists()) {
        int ours = service_is_ours();
        forget_switch();
        if (!ours) {
            printf("dosvc: BITS is not switched to opendo: nothing to give back\n");
            return 0;
        }
        fprintf(stderr, "dosvc: BITS is opendo's but no snapshot of Wine's BITS exists: run "
                        "'wineboot -u' to register Wine's BITS again\n");
        return 1;
    }
    SC_HANDLE manager = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS);
    if (!manager)
        return registration_fail("OpenSCManager", GetLastError());
    DWORD error = restore_service_config(manager);
    CloseServiceHandle(manager);
    if (error)
        return registration_fail("restoring the BITS service", error);
    if ((error = restore_registry()))
        return registration_fail("restoring Wine's BITS registration", error);
    if ((error = restore_bitsadmin()))
        return registration_fail("restoring bitsadmin.exe", error);
    forget_switch();
    printf("dosvc: BITS given back to Wine: its service, svchost group, classes and AppID are as "
           "they were before 'install --bits'\n");
    return 0;
}

int registration_bits_switched(void)
{
    return key_exists(SWITCH_KEY);
}
