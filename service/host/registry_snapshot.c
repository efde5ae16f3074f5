/* A snapshot of registry keys and values (all below HKLM), kept in the registry itself, so that
 * what an installer changes can be put back exactly: values with their types, subkeys, and the
 * absence of what did not exist. Each saved item is one slot, a subkey of the snapshot key:
 *   Key      REG_SZ     the saved key's path below HKLM
 *   Value    REG_SZ     for a single value: its name (absent for a whole key)
 *   Existed  REG_DWORD  whether the key (or value) existed
 *   Tree     subkey     a whole key: a copy of it (RegCopyTree)
 *   Data     any type   a single value: a copy of it, with its type */
#include <stdlib.h>

#include "dosvc.h"

static DWORD open_slot(HKEY snapshot, LPCWSTR slot, HKEY *out)
{
    RegDeleteTreeW(snapshot, slot); /* a slot is written whole, never merged */
    return RegCreateKeyExW(snapshot, slot, 0, NULL, 0, KEY_ALL_ACCESS, NULL, out, NULL);
}

static DWORD set_dword(HKEY key, LPCWSTR name, DWORD value)
{
    return RegSetValueExW(key, name, 0, REG_DWORD, (const BYTE *)&value, sizeof value);
}

DWORD snapshot_save_key(HKEY snapshot, LPCWSTR slot, LPCWSTR path)
{
    HKEY item, source = NULL, copy = NULL;
    DWORD error = open_slot(snapshot, slot, &item);
    if (error)
        return error;
    error = registration_set_string(item, NULL, L"Key", path);
    int existed = RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ, &source) == ERROR_SUCCESS;
    if (!error)
        error = set_dword(item, L"Existed", existed);
    if (!error && existed)
        error = RegCreateKeyExW(item, L"Tree", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &copy, NULL);
    if (!error && existed)
        error = RegCopyTreeW(source, NULL, copy);
    if (copy)
        RegCloseKey(copy);
    if (source)
        RegCloseKey(source);
    RegCloseKey(item);
    return error;
}

/* A value's raw bytes and type (*data malloc'ed); ERROR_FILE_NOT_FOUND when it (or its key) is
 * missing. */
static DWORD read_value(HKEY root, LPCWSTR path, LPCWSTR name, DWORD *type, BYTE **data, DWORD *size)
{
    HKEY key;
    *data = NULL;
    DWORD error = RegOpenKeyExW(root, path, 0, KEY_QUERY_VALUE, &key);
    if (error)
        return error;
    *size = 0;
    error = RegQueryValueExW(key, name, NULL, type, NULL, size);
    if (!error && !(*data = malloc(*size ? *size : 1)))
        error = ERROR_OUTOFMEMORY;
    if (!error)
        error = RegQueryValueExW(key, name, NULL, type, *data, size);
    RegCloseKey(key);
    if (error) {
        free(*data);
        *data = NULL;
    }
    return error;
}

DWORD snapshot_save_value(HKEY snapshot, LPCWSTR slot, LPCWSTR path, LPCWSTR name)
{
    HKEY item;
    DWORD error = open_slot(snapshot, slot, &item);
    if (error)
        return error;
    DWORD type = 0, size = 0;
    BYTE *data;
    error = read_value(HKEY_LOCAL_MACHINE, path, name, &type, &data, &size);
    int existed = !error;
    if (error == ERROR_FILE_NOT_FOUND)
        error = NO_ERROR;
    if (!error)
        error = registration_set_string(item, NULL, L"Key", path);
    if (!error)
        error = registration_set_string(item, NULL, L"Value", name);
    if (!error)
        error = set_dword(item, L"Existed", existed);
    if (!error && existed)
        error = RegSetValueExW(item, L"Data", 0, type, data, size);
    free(data);
    RegCloseKey(item);
    return error;
}

/* A REG_SZ of a slot, malloc'ed (NULL when missing). */
static WCHAR *slot_text(HKEY item, LPCWSTR name)
{
    DWORD type, size;
    BYTE *data;
    if (read_value(item, NULL, name, &type, &data, &size))
        return NULL;
    if (type != REG_SZ || size < sizeof(WCHAR) || ((WCHAR *)data)[size / sizeof(WCHAR) - 1]) {
        free(data);
        return NULL;
    }
    return (WCHAR *)data;
}

static DWORD restore_value(HKEY item, LPCWSTR path, LPCWSTR name, DWORD existed)
{
    if (!existed) {
        DWORD error = RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, path, name);
        return error == ERROR_FILE_NOT_FOUND ? NO_ERROR : error;
    }
    DWORD type = 0, size = 0;
    BYTE *data;
    DWORD error = read_value(item, NULL, L"Data", &type, &data, &size);
    if (!error)
        error = RegSetKeyValueW(HKEY_LOCAL_MACHINE, path, name, type, data, size);
    free(data);
    return error;
}

static DWORD restore_key(HKEY item, LPCWSTR path, DWORD existed)
{
    DWORD error = RegDeleteTreeW(HKEY_LOCAL_MACHINE, path);
    if (error == ERROR_FILE_NOT_FOUND)
        error = NO_ERROR;
    if (error || !existed)
        return error;
    HKEY target, copy;
    if ((error = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &target, NULL)))
        return error;
    if (!(error = RegOpenKeyExW(item, L"Tree", 0, KEY_READ, &copy))) {
        error = RegCopyTreeW(copy, NULL, target);
        RegCloseKey(copy);
    }
    RegCloseKey(target);
    return error;
}

DWORD snapshot_restore(HKEY snapshot, LPCWSTR slot)
{
    HKEY item;
    DWORD error = RegOpenKeyExW(snapshot, slot, 0, KEY_READ, &item);
    if (error)
        return error;
    WCHAR *path = slot_text(item, L"Key"), *name = slot_text(item, L"Value");
    DWORD existed = 0, size = sizeof existed;
    error = path ? RegGetValueW(item, NULL, L"Existed", RRF_RT_REG_DWORD, NULL, &existed, &size)
                 : ERROR_INVALID_DATA;
    if (!error)
        error = name ? restore_value(item, path, name, existed) : restore_key(item, path, existed);
    free(path);
    free(name);
    RegCloseKey(item);
    return error;
}
