#include <stdlib.h>

#include "dosvc.h"

char *utf8_from_wide(LPCWSTR text)
{
    int size = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, text, -1, NULL, 0, NULL, NULL);
    if (size <= 0)
        return NULL;
    char *out = malloc((size_t)size);
    if (out && WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, text, -1, out, size, NULL, NULL) != size) {
        free(out);
        out = NULL;
    }
    return out;
}

HRESULT cotaskmem_from_utf8(const char *text, LPWSTR *out)
{
    *out = NULL;
    if (!text)
        text = "";
    int units = MultiByteToWideChar(CP_UTF8, 0, text, -1, NULL, 0);
    if (units <= 0)
        return E_FAIL;
    LPWSTR copy = CoTaskMemAlloc((size_t)units * sizeof(WCHAR));
    if (!copy)
        return E_OUTOFMEMORY;
    MultiByteToWideChar(CP_UTF8, 0, text, -1, copy, units);
    *out = copy;
    return S_OK;
}

WCHAR *wide_from_utf8(const char *text)
{
    int count = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, NULL, 0);
    if (count <= 0)
        return NULL;
    WCHAR *wide = malloc((size_t)count * sizeof *wide);
    if (wide && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, wide, count) != count) {
        free(wide);
        wide = NULL;
    }
    return wide;
}
