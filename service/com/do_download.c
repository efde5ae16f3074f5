/* IDODownload: one download of the IDOManager API. Like the job object it holds only the id:
 * every call establishes the caller and goes through the core (engine/downloads), which owns
 * the rules; this file converts VARIANTs and keeps the interface pointers a client hands over
 * (the callback and the stream: service/notify/download_sinks.c). */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"

#include <wincrypt.h>

#define BLOCKING_POLL_MS 100
#define HR_OPERATION_ABORTED HRESULT_FROM_WIN32(ERROR_OPERATION_ABORTED)
#define HR_CRYPT_E_FILE_ERROR ((HRESULT)0x80092003)

typedef struct download {
    IDODownload iface;
    LONG refs;
    GUID id;
} download_t;

#define DOWNLOAD_ID(self) ((const store_guid_t *)&(self)->id)

static download_t *impl(IDODownload *iface)
{
    return (download_t *)iface;
}

static HRESULT STDMETHODCALLTYPE download_query_interface(IDODownload *iface, REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDODownload)) {
        *out = iface;
        IDODownload_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE download_add_ref(IDODownload *iface)
{
    return (ULONG)InterlockedIncrement(&impl(iface)->refs);
}

static ULONG STDMETHODCALLTYPE download_release(IDODownload *iface)
{
    LONG refs = InterlockedDecrement(&impl(iface)->refs);
    if (!refs)
        free(impl(iface));
    return (ULONG)refs;
}

/* ---- the state machine ---------------------------------------------------------------------- */

/* BlockingMode: Start returns when the download ends (idomanager.md §5): S_OK once Transferred
 * (or Finalized), its Error when it stops on one, ERROR_OPERATION_ABORTED when it is aborted,
 * S_FALSE when someone pauses it meanwhile. */
static HRESULT wait_for_end(const caller_t *caller, const store_guid_t *id)
{
    for (;;) {
        download_status_t status;
        HRESULT hr = download_status_for_client(caller, (const GUID *)id, &status);
        if (FAILED(hr))
            return hr;
        switch (status.state) {
        case DOWNLOAD_TRANSFERRED:
        case DOWNLOAD_FINALIZED:
            return S_OK;
        case DOWNLOAD_ABORTED:
            return HR_OPERATION_ABORTED;
        case DOWNLOAD_PAUSED:
            return status.error ? status.error : S_FALSE;
        default:
            Sleep(BLOCKING_POLL_MS);
        }
    }
}

/* The first Start of a download to a LocalPath: the file must not exist yet ("DO will not
 * overwrite"), and missing directories are created, both as the caller. */
static HRESULT prepare_local_path(const caller_t *caller, const store_guid_t *id)
{
    download_status_t status;
    download_value_t path;
    HRESULT hr = downloads_status(dosvc_jobs, caller, id, &status);
    if (FAILED(hr) || status.state != DOWNLOAD_CREATED)
        return hr;
    if (downloads_get_property(dosvc_jobs, caller, id, DL_LOCAL_PATH, &path) != S_OK)
        return S_OK; /* no path: Start itself says what is missing */
    WCHAR *wide = wide_from_utf8(path.text);
    free((char *)path.text);
    if (!wide)
        return E_OUTOFMEMORY;
    hr = local_path_prepare(wide);
    free(wide);
    return hr;
}

static HRESULT STDMETHODCALLTYPE download_start(IDODownload *iface, const DO_DOWNLOAD_RANGES_INFO *ranges)
{
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = prepare_local_path(&caller, DOWNLOAD_ID(impl(iface)));
    if (FAILED(hr))
        return hr;
    C_ASSERT(sizeof(DO_DOWNLOAD_RANGE) == sizeof(download_range_t));
    hr = downloads_start(dosvc_jobs, &caller, DOWNLOAD_ID(impl(iface)),
                         ranges ? (const download_range_t *)ranges->Ranges : NULL,
                         ranges ? ranges->RangeCount : 0, ranges != NULL);
    if (SUCCEEDED(hr) && downloads_flag(dosvc_jobs, &caller, DOWNLOAD_ID(impl(iface)), DL_BLOCKING_MODE))
        hr = wait_for_end(&caller, DOWNLOAD_ID(impl(iface)));
    return hr;
}

typedef hr_t (*download_call_fn)(jobs_t *, const caller_t *, const store_guid_t *);

static HRESULT call_core(IDODownload *iface, download_call_fn call)
{
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    return SUCCEEDED(hr) ? call(dosvc_jobs, &caller, DOWNLOAD_ID(impl(iface))) : hr;
}

static HRESULT STDMETHODCALLTYPE download_pause(IDODownload *iface)
{
    return call_core(iface, downloads_pause);
}

static HRESULT STDMETHODCALLTYPE download_abort(IDODownload *iface)
{
    return call_core(iface, downloads_abort);
}

static HRESULT STDMETHODCALLTYPE download_finalize(IDODownload *iface)
{
    return call_core(iface, downloads_finalize);
}

static HRESULT STDMETHODCALLTYPE download_get_status(IDODownload *iface, DO_DOWNLOAD_STATUS *out)
{
    if (!out)
        return E_INVALIDARG;
    memset(out, 0, sizeof *out);
    caller_t caller;
    download_status_t status;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = download_status_for_client(&caller, &impl(iface)->id, &status);
    if (SUCCEEDED(hr)) {
        out->BytesTotal = status.bytes_total;
        out->BytesTransferred = status.bytes_transferred;
        out->State = (DODownloadState)status.state;
        out->Error = status.error;
        out->ExtendedError = status.extended_error;
    }
    return hr;
}

/* ---- properties --------------------------------------------------------------------------------- */

/* The core's value of a VARIANT, when its type is the property's (else E_INVALIDARG, as dosvc:
 * a callback sent as VT_DISPATCH is refused). *text is the UTF-8 copy to free. */
static HRESULT value_of(const VARIANT *v, download_value_type_t type, download_value_t *out, char **text)
{
    memset(out, 0, sizeof *out);
    *text = NULL;
    out->type = type;
    switch (type) {
    case DL_VALUE_TEXT:
        if (V_VT(v) != VT_BSTR)
            return E_INVALIDARG;
        *text = utf8_from_wide(V_BSTR(v) ? V_BSTR(v) : L"");
        out->text = *text;
        return *text ? S_OK : E_INVALIDARG;
    case DL_VALUE_U32:
        out->number = V_UI4(v);
        return V_VT(v) == VT_UI4 ? S_OK : E_INVALIDARG;
    case DL_VALUE_U64:
        out->number = V_UI8(v);
        return V_VT(v) == VT_UI8 ? S_OK : E_INVALIDARG;
    case DL_VALUE_BOOL:
        if (V_VT(v) != VT_BOOL || (V_BOOL(v) != VARIANT_TRUE && V_BOOL(v) != VARIANT_FALSE))
            return E_INVALIDARG;
        out->number = V_BOOL(v) == VARIANT_TRUE;
        return S_OK;
    case DL_VALUE_INTERFACE: /* VT_EMPTY clears (a .NET null) */
        out->number = V_VT(v) == VT_UNKNOWN && V_UNKNOWN(v);
        return V_VT(v) == VT_EMPTY || out->number ? S_OK : E_INVALIDARG;
    default: /* DL_VALUE_BYTES */
        if (V_VT(v) != (VT_ARRAY | VT_UI1) || !V_ARRAY(v) || SafeArrayGetDim(V_ARRAY(v)) != 1)
            return E_INVALIDARG;
        out->size = V_ARRAY(v)->rgsabound[0].cElements;
        out->bytes = V_ARRAY(v)->pvData;
        return out->size ? S_OK : E_INVALIDARG;
    }
}

/* SecurityContext holds a serialized CERT_CONTEXT; bytes that are not one are refused as
 * dosvc refuses them (CRYPT_E_FILE_ERROR), before the core says that none can be used. */
static HRESULT check_certificate(const download_value_t *value)
{
    const CERT_CONTEXT *cert = NULL;
    if (!CertAddSerializedElementToStore(NULL, value->bytes, (DWORD)value->size, CERT_STORE_ADD_ALWAYS, 0,
                                         CERT_STORE_CERTIFICATE_CONTEXT_FLAG, NULL, (const void **)&cert))
        return HR_CRYPT_E_FILE_ERROR;
    CertFreeCertificateContext(cert);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE download_set_property(IDODownload *iface, DODownloadProperty id,
                                                       const VARIANT *value)
{
    int32_t property = (int32_t)id;
    const download_property_info_t *info = downloads_property_info(property);
    if (!info)
        return DO_E_UNKNOWN_PROPERTY_ID;
    if (info->rules & DL_READ_ONLY)
        return DO_E_READ_ONLY_PROPERTY;
    if (!value)
        return E_INVALIDARG;
    caller_t caller;
    download_value_t core;
    char *text = NULL;
    IDODownloadStatusCallback *callback = NULL;
    IStream *stream = NULL;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = value_of(value, info->type, &core, &text);
    if (SUCCEEDED(hr) && property == DL_SECURITY_CONTEXT)
        hr = check_certificate(&core);
    if (SUCCEEDED(hr) && property == DL_CALLBACK_INTERFACE && core.number)
        hr = IUnknown_QueryInterface(V_UNKNOWN(value), &IID_IDODownloadStatusCallback, (void **)&callback);
    if (SUCCEEDED(hr) && property == DL_STREAM_INTERFACE && core.number) /* DO QIs for IStream */
        hr = IUnknown_QueryInterface(V_UNKNOWN(value), &IID_IStream, (void **)&stream);
    if (SUCCEEDED(hr))
        hr = downloads_set_property(dosvc_jobs, &caller, DOWNLOAD_ID(impl(iface)), property, &core);
    if (SUCCEEDED(hr) && property == DL_CALLBACK_INTERFACE)
        hr = download_sinks_set(&impl(iface)->id, DOWNLOAD_SINK_CALLBACK, (IUnknown *)callback);
    if (SUCCEEDED(hr) && property == DL_STREAM_INTERFACE)
        hr = download_sinks_set(&impl(iface)->id, DOWNLOAD_SINK_STREAM, (IUnknown *)stream);
    if (callback)
        IDODownloadStatusCallback_Release(callback);
    if (stream)
        IStream_Release(stream);
    free(text);
    return hr;
}

static HRESULT variant_of(const download_value_t *value, const GUID *id, int32_t property, VARIANT *out)
{
    switch (value->type) {
    case DL_VALUE_TEXT: {
        WCHAR *wide = wide_from_utf8(value->text);
        V_VT(out) = VT_BSTR;
        V_BSTR(out) = wide ? SysAllocString(wide) : NULL;
        free(wide);
        return V_BSTR(out) ? S_OK : E_OUTOFMEMORY;
    }
    case DL_VALUE_U32:
        V_VT(out) = VT_UI4;
        V_UI4(out) = (ULONG)value->number;
        return S_OK;
    case DL_VALUE_U64:
        V_VT(out) = VT_UI8;
        V_UI8(out) = value->number;
        return S_OK;
    case DL_VALUE_BOOL:
        V_VT(out) = VT_BOOL;
        V_BOOL(out) = value->number ? VARIANT_TRUE : VARIANT_FALSE;
        return S_OK;
    default: { /* the callback or the stream the client handed over */
        IUnknown *pointer = download_sinks_get(id, property == DL_CALLBACK_INTERFACE ? DOWNLOAD_SINK_CALLBACK
                                                                                     : DOWNLOAD_SINK_STREAM, NULL);
        V_VT(out) = VT_UNKNOWN;
        V_UNKNOWN(out) = pointer;
        return pointer ? S_OK : HR_E_NOT_SET;
    }
    }
}

static HRESULT STDMETHODCALLTYPE download_get_property(IDODownload *iface, DODownloadProperty id,
                                                       VARIANT *out)
{
    int32_t property = (int32_t)id;
    if (!out)
        return E_INVALIDARG;
    VariantInit(out);
    caller_t caller;
    download_value_t value;
    HRESULT hr = caller_identify(&caller);
    if (SUCCEEDED(hr))
        hr = downloads_get_property(dosvc_jobs, &caller, DOWNLOAD_ID(impl(iface)), property, &value);
    if (SUCCEEDED(hr)) {
        hr = variant_of(&value, &impl(iface)->id, property, out);
        free((char *)value.text);
    }
    if (FAILED(hr))
        VariantInit(out);
    return hr;
}

static IDODownloadVtbl download_vtbl = {
    download_query_interface, download_add_ref, download_release, download_start, download_pause,
    download_abort, download_finalize, download_get_status, download_get_property, download_set_property,
};

HRESULT do_download_create(const GUID *id, IDODownload **out)
{
    download_t *self = calloc(1, sizeof *self);
    if (!self)
        return E_OUTOFMEMORY;
    self->iface.lpVtbl = &download_vtbl;
    self->refs = 1;
    self->id = *id;
    *out = &self->iface;
    return S_OK;
}
