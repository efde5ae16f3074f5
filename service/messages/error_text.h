/* error_text: English text for error codes, for IBackgroundCopyError::GetErrorDescription and
 * GetErrorContextDescription. The texts come from the message-table resource compiled from
 * service/messages/messages.mc (linked into dosvc.exe, see service/messages/messages.mk), so plain FormatMessageW
 * on dosvc.exe works too; codes not in it come from the system's message table. */
#ifndef OPENDO_SERVICE_ERROR_TEXT_H
#define OPENDO_SERVICE_ERROR_TEXT_H

#include <stdint.h>
#include <windows.h>

/* Message ids of the BG_ERROR_CONTEXT descriptions in the catalog: 0x00D0F000 + context, for
 * contexts 0 (NONE) .. 8 (SERVER_CERTIFICATE_CALLBACK). A private range: success severity,
 * facility DO (0xD0), zone 0xF000, which no DO_E_* code uses. */
#define ERROR_TEXT_CONTEXT_ID_BASE 0x00D0F000UL
#define ERROR_TEXT_CONTEXT_COUNT   9
#define ERROR_TEXT_CONTEXT_ID(context) (ERROR_TEXT_CONTEXT_ID_BASE + (DWORD)(context))

/* Describes code in *out (CoTaskMemAlloc'ed, trailing CR/LF and blanks trimmed; the caller frees
 * it with CoTaskMemFree). Looks in the service's message table (the module of the process,
 * GetModuleHandleW(NULL)), then in the system's message table: the code itself and, for
 * FACILITY_WIN32 HRESULTs, its Win32 error (low word).
 * language_id: 0 = default. A language with no text (the catalog is English only) falls back to
 * language 0, FormatMessage's default search (neutral, thread, user, system default, then US
 * English): our codes then come in English, system codes in the system's default language.
 * Returns S_OK; E_INVALIDARG for a NULL out; E_OUTOFMEMORY; and, for a code nobody describes,
 * HRESULT_FROM_WIN32(ERROR_MR_MID_NOT_FOUND) (0x8007013D) as FormatMessage itself would (no
 * made-up "unknown error" text). On failure *out is NULL. */
HRESULT error_text_describe(HRESULT code, DWORD language_id, LPWSTR *out);

/* Describes a BG_ERROR_CONTEXT (0..8) the same way; E_INVALIDARG for any other context. */
HRESULT error_text_describe_context(int context, DWORD language_id, LPWSTR *out);

/* The same texts in the default language as malloc'ed UTF-8, or NULL when there is none: for
 * the core's reports (admin_sources_t). */
char *error_text_utf8(uint32_t code);
char *error_text_context_utf8(int32_t context);

#endif
