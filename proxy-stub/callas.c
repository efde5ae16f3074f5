/* [call_as] glue of doproxy.dll (see idl/deliveryoptimization.idl and docs/proxy-stub.md).
 *
 * IBackgroundCopyFile5::SetProperty/GetProperty carry a BITS_FILE_PROPERTY_VALUE, a
 * non-encapsulated union (switch_is(PropertyId)) whose only arm is a string pointer.  Wine's
 * rpcrt4 cannot marshal such a union as a top-level parameter (the pointee is never sized, the
 * call fails with RPC_X_BAD_STUB_DATA), so the methods are [local] in the IDL and travel as
 * RemoteSetProperty(PropertyId, Discriminant, [string, unique] String) and
 * RemoteGetProperty(PropertyId, [out] Discriminant, [out] String).  Those parameters put on the
 * wire exactly what MIDL's union would: the ENUM16 discriminant, then the arm's unique pointer
 * (referent id, then the conformant string).
 *
 * *_Proxy run in the client (they are the vtable entries of the proxy); *_Stub run in the server
 * (called by the widl thunks with the unmarshalled Remote* parameters). */
#include <windows.h>
#include <ole2.h>
#include "deliveryoptimization.h"

/* What the NDR engine would have done with an arm that does not exist: raise RPC_S_INVALID_TAG,
 * which an object proxy turns into this HRESULT. */
#define HR_INVALID_TAG HRESULT_FROM_WIN32(RPC_S_INVALID_TAG)

HRESULT CALLBACK IBackgroundCopyFile5_SetProperty_Proxy(IBackgroundCopyFile5 *This, BITS_FILE_PROPERTY_ID PropertyId,
                                                        BITS_FILE_PROPERTY_VALUE PropertyValue)
{
    if (PropertyId != BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS)
        return HR_INVALID_TAG;
    return IBackgroundCopyFile5_RemoteSetProperty_Proxy(This, PropertyId, PropertyId, PropertyValue.String);
}

HRESULT __RPC_STUB IBackgroundCopyFile5_SetProperty_Stub(IBackgroundCopyFile5 *This, BITS_FILE_PROPERTY_ID PropertyId,
                                                         BITS_FILE_PROPERTY_ID Discriminant, LPCWSTR String)
{
    BITS_FILE_PROPERTY_VALUE value;
    if (Discriminant != PropertyId || PropertyId != BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS)
        return HR_INVALID_TAG;
    value.String = (LPWSTR)String;
    return IBackgroundCopyFile5_SetProperty(This, PropertyId, value);
}

HRESULT CALLBACK IBackgroundCopyFile5_GetProperty_Proxy(IBackgroundCopyFile5 *This, BITS_FILE_PROPERTY_ID PropertyId,
                                                        BITS_FILE_PROPERTY_VALUE *PropertyValue)
{
    BITS_FILE_PROPERTY_ID discriminant = PropertyId;
    LPWSTR string = NULL;
    HRESULT hr;
    if (!PropertyValue) /* a [ref] pointer */
        return HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER);
    if (PropertyId != BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS)
        return HR_INVALID_TAG;
    hr = IBackgroundCopyFile5_RemoteGetProperty_Proxy(This, PropertyId, &discriminant, &string);
    if (SUCCEEDED(hr) && discriminant != PropertyId) {
        CoTaskMemFree(string);
        string = NULL;
        hr = HR_INVALID_TAG;
    }
    PropertyValue->String = string;
    return hr;
}

HRESULT __RPC_STUB IBackgroundCopyFile5_GetProperty_Stub(IBackgroundCopyFile5 *This, BITS_FILE_PROPERTY_ID PropertyId,
                                                         BITS_FILE_PROPERTY_ID *Discriminant, LPWSTR *String)
{
    BITS_FILE_PROPERTY_VALUE value;
    HRESULT hr;
    value.String = NULL;
    *Discriminant = PropertyId;
    *String = NULL;
    if (PropertyId != BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS)
        return HR_INVALID_TAG;
    hr = IBackgroundCopyFile5_GetProperty(This, PropertyId, &value);
    *String = value.String; /* the stub frees it after marshalling */
    return hr;
}

/* IBackgroundCopyManager::CreateJob, IDeliveryOptimizationJob2::AddFile and
 * IDOManager::CreateDownload: Wine's NDR engine sends these even when an [out] pointer is NULL
 * and fails only on the reply, after the service created the job or download or added the file. The proxy refuses NULL [ref] pointers before sending, as
 * Windows' NDR does; the stub side just calls the object. */
#define HR_NULL_REF HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER)

HRESULT CALLBACK IBackgroundCopyManager_CreateJob_Proxy(IBackgroundCopyManager *This, LPCWSTR DisplayName,
                                                        BG_JOB_TYPE Type, GUID *pJobId,
                                                        IBackgroundCopyJob **ppJob)
{
    if (!DisplayName || !pJobId || !ppJob)
        return HR_NULL_REF;
    return IBackgroundCopyManager_RemoteCreateJob_Proxy(This, DisplayName, Type, pJobId, ppJob);
}

HRESULT __RPC_STUB IBackgroundCopyManager_CreateJob_Stub(IBackgroundCopyManager *This, LPCWSTR DisplayName,
                                                         BG_JOB_TYPE Type, GUID *pJobId,
                                                         IBackgroundCopyJob **ppJob)
{
    return IBackgroundCopyManager_CreateJob(This, DisplayName, Type, pJobId, ppJob);
}

HRESULT CALLBACK IDeliveryOptimizationJob2_AddFile_Proxy(IDeliveryOptimizationJob2 *This, LPCWSTR fileId,
                                                         LPCWSTR remoteUrl, DWORD rangeCount,
                                                         BG_FILE_RANGE *ranges, REFIID riid, void **object)
{
    if (!fileId || !riid || !object)
        return HR_NULL_REF;
    return IDeliveryOptimizationJob2_RemoteAddFile_Proxy(This, fileId, remoteUrl, rangeCount, ranges, riid,
                                                         object);
}

HRESULT __RPC_STUB IDeliveryOptimizationJob2_AddFile_Stub(IDeliveryOptimizationJob2 *This, LPCWSTR fileId,
                                                          LPCWSTR remoteUrl, DWORD rangeCount,
                                                          BG_FILE_RANGE *ranges, REFIID riid, void **object)
{
    return IDeliveryOptimizationJob2_AddFile(This, fileId, remoteUrl, rangeCount, ranges, riid, object);
}

HRESULT CALLBACK IDOManager_CreateDownload_Proxy(IDOManager *This, IDODownload **download)
{
    if (!download)
        return HR_NULL_REF;
    return IDOManager_RemoteCreateDownload_Proxy(This, download);
}

HRESULT __RPC_STUB IDOManager_CreateDownload_Stub(IDOManager *This, IDODownload **download)
{
    return IDOManager_CreateDownload(This, download);
}
