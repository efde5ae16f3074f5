/* Credentials passwords are stored encrypted with DPAPI (machine scope, only this machine can
 * decrypt them); the core and the store only ever see the opaque blob. */
#include "dosvc.h"

#include <string.h>
#include <wincrypt.h>

HRESULT secret_protect(LPCWSTR password, BYTE **blob, DWORD *size)
{
    *blob = NULL;
    *size = 0;
    if (!password)
        return S_OK;
    DATA_BLOB in = {(DWORD)((wcslen(password) + 1) * sizeof(WCHAR)), (BYTE *)password};
    DATA_BLOB out = {0, NULL};
    if (!CryptProtectData(&in, L"opendo job credentials", NULL, NULL, NULL,
                          CRYPTPROTECT_UI_FORBIDDEN | CRYPTPROTECT_LOCAL_MACHINE, &out))
        return HRESULT_FROM_WIN32(GetLastError());
    *blob = out.pbData; /* LocalFree it */
    *size = out.cbData;
    return S_OK;
}

/* The transfer engine's way back to the password (jobs_file_ops_t.reveal_secret): malloc'ed
 * UTF-8, or NULL when the blob cannot be decrypted (another machine's, or damaged). */
char *secret_reveal(void *ctx, const void *secret, size_t size)
{
    (void)ctx;
    DATA_BLOB in = {(DWORD)size, (BYTE *)secret};
    DATA_BLOB out = {0, NULL};
    if (size > MAXDWORD || !CryptUnprotectData(&in, NULL, NULL, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &out))
        return NULL;
    char *text = NULL;
    size_t units = out.cbData / sizeof(WCHAR);
    if (units && ((WCHAR *)out.pbData)[units - 1] == L'\0') /* secret_protect kept the terminator */
        text = utf8_from_wide((WCHAR *)out.pbData);
    SecureZeroMemory(out.pbData, out.cbData);
    LocalFree(out.pbData);
    return text;
}
