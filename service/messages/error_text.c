/* error_text: texts for error codes and error contexts, from the service's message table
 * (service/messages/messages.mc) and the system's. See error_text.h. */
#include "error_text.h"

#include <objbase.h>
#include <stdlib.h>
#include <string.h>

/* Formats message id from source (FORMAT_MESSAGE_FROM_HMODULE: our module, or
 * FORMAT_MESSAGE_FROM_SYSTEM) in language_id, else in the default language (0). S_OK with *out
 * set; S_FALSE when there is no (non-blank) text; E_OUTOFMEMORY. */
static HRESULT format_id(DWORD source, DWORD id, DWORD language_id, LPWSTR *out)
{
    HMODULE module = source == FORMAT_MESSAGE_FROM_HMODULE ? GetModuleHandleW(NULL) : NULL;
    DWORD languages[2] = { language_id, 0 };

    for (int i = 0; i < (language_id ? 2 : 1); i++) {
        WCHAR *text = NULL;
        DWORD len = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_IGNORE_INSERTS |
                                       source, module, id, languages[i], (LPWSTR)&text, 0, NULL);
        while (len > 0 && wcschr(L"\r\n \t", text[len - 1]))
            len--;
        if (len > 0) {
            *out = CoTaskMemAlloc((len + 1) * sizeof(WCHAR));
            if (*out) {
                memcpy(*out, text, len * sizeof(WCHAR));
                (*out)[len] = L'\0';
            }
            LocalFree(text);
            return *out ? S_OK : E_OUTOFMEMORY;
        }
        LocalFree(text);
    }
    return S_FALSE;
}

HRESULT error_text_describe(HRESULT code, DWORD language_id, LPWSTR *out)
{
    HRESULT hr;

    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    hr = format_id(FORMAT_MESSAGE_FROM_HMODULE, (DWORD)code, language_id, out);
    if (hr == S_FALSE)
        hr = format_id(FORMAT_MESSAGE_FROM_SYSTEM, (DWORD)code, language_id, out);
    if (hr == S_FALSE && HRESULT_FACILITY(code) == FACILITY_WIN32)
        hr = format_id(FORMAT_MESSAGE_FROM_SYSTEM, HRESULT_CODE(code), language_id, out);
    return hr == S_FALSE ? HRESULT_FROM_WIN32(ERROR_MR_MID_NOT_FOUND) : hr;
}

HRESULT error_text_describe_context(int context, DWORD language_id, LPWSTR *out)
{
    HRESULT hr;

    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    if (context < 0 || context >= ERROR_TEXT_CONTEXT_COUNT)
        return E_INVALIDARG;
    hr = format_id(FORMAT_MESSAGE_FROM_HMODULE, ERROR_TEXT_CONTEXT_ID(context), language_id, out);
    return hr == S_FALSE ? HRESULT_FROM_WIN32(ERROR_MR_MID_NOT_FOUND) : hr;
}

/* A CoTaskMem UTF-16 text as malloc'ed UTF-8 (freed here), or NULL. */
static char *utf8_of(HRESULT hr, LPWSTR text)
{
    char *out = NULL;
    int size = SUCCEEDED(hr) ? WideCharToMultiByte(CP_UTF8, 0, text, -1, NULL, 0, NULL, NULL) : 0;
    if (size > 0 && (out = malloc((size_t)size)))
        WideCharToMultiByte(CP_UTF8, 0, text, -1, out, size, NULL, NULL);
    CoTaskMemFree(text);
    return out;
}

char *error_text_utf8(uint32_t code)
{
    LPWSTR text = NULL;
    HRESULT hr = error_text_describe((HRESULT)code, 0, &text);
    return utf8_of(hr, text);
}

char *error_text_context_utf8(int32_t context)
{
    LPWSTR text = NULL;
    HRESULT hr = error_text_describe_context(context, 0, &text);
    return utf8_of(hr, text);
}
