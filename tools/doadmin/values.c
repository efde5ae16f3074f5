/* values.c: the words and numbers of the command line and of the output (bitsadmin's names for
 * states, priorities, proxy usages, ACL flags; its time format). */
#include "doadmin.h"

#include <stdlib.h>
#include <wctype.h>

const wchar_t *const priority_names[4] = { L"FOREGROUND", L"HIGH", L"NORMAL", L"LOW" };
const wchar_t *const proxy_usage_names[4] = { L"PRECONFIG", L"NO_PROXY", L"OVERRIDE",
                                              L"AUTODETECT" };
static const wchar_t *const state_names[] = { L"QUEUED",      L"CONNECTING",   L"TRANSFERRING",
                                              L"SUSPENDED",   L"ERROR",        L"TRANSIENT_ERROR",
                                              L"TRANSFERRED", L"ACKNOWLEDGED", L"CANCELED" };
static const wchar_t *const type_names[] = { L"DOWNLOAD", L"UPLOAD", L"UPLOAD-REPLY" };
static const wchar_t acl_letters[] = L"ogds"; /* BG_COPY_FILE_OWNER, _GROUP, _DACL, _SACL */

int parse_number(const wchar_t *text, UINT64 max, UINT64 *value)
{
    int hex = text[0] == L'0' && (text[1] == L'x' || text[1] == L'X');
    const wchar_t *digits = hex ? text + 2 : text;
    UINT64 base = hex ? 16 : 10, result = 0;
    if (!*digits)
        return 0;
    for (const wchar_t *p = digits; *p; p++) {
        UINT64 digit;
        if (*p >= L'0' && *p <= L'9')
            digit = (UINT64)(*p - L'0');
        else if (hex && towlower(*p) >= L'a' && towlower(*p) <= L'f')
            digit = (UINT64)(towlower(*p) - L'a' + 10);
        else
            return 0;
        if (result > (max - digit) / base)
            return 0;
        result = result * base + digit;
    }
    *value = result;
    return 1;
}

int parse_ulong(const wchar_t *text, ULONG *value)
{
    UINT64 number;
    if (!parse_number(text, 0xFFFFFFFFu, &number))
        return 0;
    *value = (ULONG)number;
    return 1;
}

int parse_name(const wchar_t *text, const wchar_t *const *names, int count, int *index)
{
    for (int i = 0; i < count; i++)
        if (_wcsicmp(text, names[i]) == 0) {
            *index = i;
            return 1;
        }
    return 0;
}

const wchar_t *enum_name(const wchar_t *const *names, int count, int value)
{
    return value >= 0 && value < count ? names[value] : L"UNKNOWN";
}

const wchar_t *state_caps(BG_JOB_STATE state)
{
    return enum_name(state_names, ARRAYSIZE(state_names), (int)state);
}

const wchar_t *type_name(BG_JOB_TYPE type)
{
    return enum_name(type_names, ARRAYSIZE(type_names), (int)type);
}

void title_case(const wchar_t *caps, wchar_t *buf, size_t size)
{
    size_t i = 0;
    for (; caps[i] && i + 1 < size; i++)
        buf[i] = i == 0 || caps[i - 1] == L'_' ? caps[i] : towlower(caps[i]);
    buf[i] = L'\0';
}

int parse_acl_flags(const wchar_t *text, DWORD *flags)
{
    *flags = 0;
    for (const wchar_t *p = text; *p; p++) {
        const wchar_t *letter = wcschr(acl_letters, towlower(*p));
        if (!letter)
            return 0;
        *flags |= 1u << (letter - acl_letters);
    }
    return *flags != 0;
}

void acl_flags_text(DWORD flags, wchar_t *buf, size_t size)
{
    size_t n = 0;
    for (int bit = 0; bit < 4 && n + 1 < size; bit++)
        if (flags & (1u << bit))
            buf[n++] = acl_letters[bit];
    buf[n] = L'\0';
    if (n == 0)
        swprintf(buf, size, L"none");
}

void time_text(FILETIME ft, wchar_t *buf, size_t size)
{
    SYSTEMTIME utc, local;
    if ((ft.dwLowDateTime | ft.dwHighDateTime) == 0 || !FileTimeToSystemTime(&ft, &utc) ||
        !SystemTimeToTzSpecificLocalTime(NULL, &utc, &local)) {
        swprintf(buf, size, L"UNKNOWN");
        return;
    }
    unsigned hour12 = local.wHour % 12 ? local.wHour % 12 : 12;
    swprintf(buf, size, L"%u/%u/%u %u:%02u:%02u %ls", local.wMonth, local.wDay, local.wYear, hour12,
             local.wMinute, local.wSecond, local.wHour < 12 ? L"AM" : L"PM");
}

void bytes_total_text(UINT64 total, wchar_t *buf, size_t size)
{
    if (total == BG_SIZE_UNKNOWN)
        swprintf(buf, size, L"UNKNOWN");
    else
        swprintf(buf, size, L"%llu", (unsigned long long)total);
}

void guid_text(const GUID *id, wchar_t buf[39])
{
    StringFromGUID2(id, buf, 39);
}

/* Only the braced form {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}, as bitsadmin prints it. */
int parse_guid(const wchar_t *text, GUID *id)
{
    if (wcslen(text) != 38 || text[0] != L'{' || text[37] != L'}')
        return 0;
    for (int i = 1; i < 37; i++) {
        int dash = i == 9 || i == 14 || i == 19 || i == 24;
        if (dash ? text[i] != L'-' : !iswxdigit(text[i]))
            return 0;
    }
    return SUCCEEDED(IIDFromString(text, id));
}

wchar_t *text_join(wchar_t **parts, int count, const wchar_t *separator, int trailing)
{
    size_t size = 1;
    for (int i = 0; i < count; i++)
        size += wcslen(parts[i]) + wcslen(separator);
    wchar_t *joined = malloc(size * sizeof *joined);
    if (!joined)
        return NULL;
    joined[0] = L'\0';
    for (int i = 0; i < count; i++) {
        wcscat(joined, parts[i]);
        if (trailing || i + 1 < count)
            wcscat(joined, separator);
    }
    return joined;
}
