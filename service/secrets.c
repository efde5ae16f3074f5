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
