/* Checks on a client's local file name, made with the client's own identity: its directory must
 * exist and the client must be allowed to create a file there. The service never relies on its
 * own (more powerful) identity for this. */
#include "dosvc.h"

#include <shlwapi.h>
#include <wchar.h>

/* Tries to create (and at once delete) a file in path's directory while impersonating. */
static HRESULT probe_directory(LPCWSTR path)
{
    WCHAR probe[MAX_PATH + 64];
    const WCHAR *slash = wcsrchr(path, L'\\');
    const WCHAR *forward = wcsrchr(path, L'/');
    if (forward > slash)
        slash = forward;
    if (!slash || slash - path >= MAX_PATH)
        return E_INVALIDARG;
    _snwprintf(probe, ARRAYSIZE(probe), L"%.*ls\\~opendo-probe-%lu.tmp", (int)(slash - path), path,
               GetCurrentThreadId());
    probe[ARRAYSIZE(probe) - 1] = L'\0';
    HANDLE file = CreateFileW(probe, GENERIC_WRITE, 0, NULL, CREATE_NEW,
                              FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE,
                              NULL);
    if (file == INVALID_HANDLE_VALUE) {
        DWORD error = GetLastError();
        if (error == ERROR_PATH_NOT_FOUND || error == ERROR_FILE_NOT_FOUND || error == ERROR_INVALID_NAME ||
            error == ERROR_BAD_NETPATH || error == ERROR_DIRECTORY)
            return E_INVALIDARG; /* the directory does not exist */
        return E_ACCESSDENIED; /* denied, write-protected, or otherwise not usable by the caller */
    }
    CloseHandle(file);
    return S_OK;
}

/* check(path) while impersonating the caller; E_ACCESSDENIED when that cannot be done. */
static HRESULT as_caller(HRESULT (*check)(LPCWSTR), LPCWSTR path)
{
    if (!path || !path[0])
        return E_INVALIDARG;
    int used_rpc;
    HRESULT hr = caller_impersonate(&used_rpc);
    if (FAILED(hr))
        return E_ACCESSDENIED;
    hr = check(path);
    caller_revert(used_rpc);
    return hr;
}

HRESULT local_path_check(LPCWSTR path)
{
    return as_caller(probe_directory, path);
}

/* Opens the source for reading (as the impersonated caller) and closes it again. */
static HRESULT probe_source(LPCWSTR path)
{
    HANDLE file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                              OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (file != INVALID_HANDLE_VALUE) {
        CloseHandle(file);
        return S_OK;
    }
    DWORD error = GetLastError();
    return error == ERROR_ACCESS_DENIED ? E_ACCESSDENIED : S_OK;
}

HRESULT local_source_check(LPCWSTR remote)
{
    if (!remote || !remote[0])
        return E_INVALIDARG;
    int file_url = _wcsnicmp(remote, L"file:", 5) == 0;
    if (!file_url && wcsstr(remote, L"://"))
        return S_OK; /* http(s): nothing local to open */
    char *text = utf8_from_wide(remote);
    int well_formed = text && HR_SUCCEEDED(file_check_remote_name(text));
    free(text);
    if (!well_formed)
        return S_OK; /* nothing is opened for a name the core refuses with its own answer */
    WCHAR path[MAX_PATH * 4];
    DWORD length = ARRAYSIZE(path);
    if (file_url)
        return SUCCEEDED(PathCreateFromUrlW(remote, path, &length, 0)) ? as_caller(probe_source, path) : S_OK;
    return as_caller(probe_source, remote);
}

/* Creates every missing directory above path (as the caller is impersonated). */
static HRESULT create_directories(LPCWSTR path)
{
    WCHAR dir[MAX_PATH + 1];
    size_t length = wcslen(path);
    if (length > MAX_PATH)
        return HRESULT_FROM_WIN32(ERROR_FILENAME_EXCED_RANGE);
    wcscpy(dir, path);
    for (size_t i = 3; i < length; i++) { /* past "C:\" (or the first characters of a UNC path) */
        if (dir[i] != L'\\' && dir[i] != L'/')
            continue;
        dir[i] = L'\0';
        if (!CreateDirectoryW(dir, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
            return HRESULT_FROM_WIN32(GetLastError());
        dir[i] = L'\\';
    }
    return S_OK;
}

static HRESULT prepare_new_file(LPCWSTR path)
{
    if (GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES)
        return HRESULT_FROM_WIN32(ERROR_FILE_EXISTS); /* DO never overwrites a file */
    return create_directories(path);
}

HRESULT local_path_prepare(LPCWSTR path)
{
    return as_caller(prepare_new_file, path);
}
