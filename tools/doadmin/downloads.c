/* The downloads of the IDOManager API in /list: the BITS-style API (and so bitsadmin's job
 * lines) does not see them, so /list asks IDOManager::EnumDownloads and prints one line each
 * after the jobs: "{GUID} name DOWNLOAD state transferred / total". EnumDownloads gives the
 * caller's downloads, and an administrator everyone's. */
#include "doadmin.h"

#include <stdlib.h>

static const wchar_t *download_state_text(DODownloadState state)
{
    static const wchar_t *const names[] = {L"Created", L"Transferring", L"Transferred",
                                           L"Finalized", L"Aborted", L"Paused"};
    return (unsigned)state < ARRAYSIZE(names) ? names[state] : L"?";
}

static HRESULT text_property(IDODownload *download, DODownloadProperty property, VARIANT *out)
{
    VariantInit(out);
    HRESULT hr = IDODownload_GetProperty(download, property, out);
    return SUCCEEDED(hr) && V_VT(out) != VT_BSTR ? E_UNEXPECTED : hr;
}

/* One line; the Id property has no braces and is lowercase: /list shows the GUID as for jobs. */
static HRESULT print_download(IUnknown *item)
{
    IDODownload *download = NULL;
    DO_DOWNLOAD_STATUS status;
    VARIANT id, name;
    VariantInit(&id);
    VariantInit(&name);
    HRESULT hr = IUnknown_QueryInterface(item, &IID_IDODownload, (void **)&download);
    if (SUCCEEDED(hr))
        hr = IDODownload_GetStatus(download, &status);
    if (SUCCEEDED(hr))
        hr = text_property(download, DODownloadProperty_Id, &id);
    if (SUCCEEDED(hr) && FAILED(text_property(download, DODownloadProperty_DisplayName, &name)))
        VariantInit(&name); /* never named */
    if (SUCCEEDED(hr)) {
        wchar_t braced[40];
        swprintf(braced, ARRAYSIZE(braced), L"{%ls}", V_BSTR(&id));
        _wcsupr(braced);
        out_printf(L"%ls %ls DOWNLOAD %ls %llu / %llu\n", braced, V_VT(&name) == VT_BSTR ? V_BSTR(&name) : L"",
                   download_state_text(status.State), (unsigned long long)status.BytesTransferred,
                   (unsigned long long)status.BytesTotal);
    }
    VariantClear(&id);
    VariantClear(&name);
    if (download)
        IDODownload_Release(download);
    return hr;
}

HRESULT list_downloads(const session *s, ULONG *listed)
{
    IDOManager *manager = NULL;
    IEnumUnknown *downloads = NULL;
    *listed = 0;
    HRESULT hr = IBackgroundCopyManager_QueryInterface(s->manager, &IID_IDOManager, (void **)&manager);
    if (hr == E_NOINTERFACE)
        return S_OK; /* a BITS class (doadmin run as bitsadmin): that API has no downloads */
    if (SUCCEEDED(hr))
        hr = IDOManager_EnumDownloads(manager, NULL, &downloads);
    if (hr == DO_E_NO_DOWNLOADS)
        hr = S_OK;
    IUnknown *item = NULL;
    ULONG fetched = 0;
    while (downloads && SUCCEEDED(hr) && IEnumUnknown_Next(downloads, 1, &item, &fetched) == S_OK) {
        HRESULT one = print_download(item);
        IUnknown_Release(item);
        *listed += SUCCEEDED(one);
        if (FAILED(one) && one != DO_E_INVALID_STATE && one != DO_E_JOB_NOT_FOUND)
            hr = one; /* a download that ended meanwhile is just not listed */
    }
    if (downloads)
        IEnumUnknown_Release(downloads);
    if (manager)
        IDOManager_Release(manager);
    return hr;
}
