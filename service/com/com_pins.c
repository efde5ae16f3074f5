/* Keeps the COM runtime's RPC registration of every interface the service hands out alive for
 * the life of the process.
 *
 * Why: Wine 8's combase registers one RPC interface per IID while a stub for that IID exists and
 * unregisters it when the last one goes (the client released the last object of that interface),
 * with RpcServerUnregisterIf(..., WaitForCallsToComplete = TRUE), holding its interface-list lock.
 * rpcrt4 sends a call's reply before it counts the call as finished, so a client that calls a
 * method and at once releases the object can make that unregistration race the end of its own
 * call; if it loses (the call ends between "Delete = TRUE" and the completion event being set),
 * it waits forever with the lock held, and from then on every activation and every call that
 * marshals an interface hangs too: the whole service is stuck (seen in tests/e2e/transfers.sh:
 * GetRemoteName then Release on the only IBackgroundCopyFile object).
 *
 * A table-strong marshal of one pin object per IID, never released, keeps each registration's
 * count above zero, so it is never unregistered while the service runs. The pin is never
 * reachable by a client (its marshal data stays in this process's stream), so none of its
 * interfaces' methods is ever called: it only answers QueryInterface. Harmless on Windows. */
#include "dosvc.h"
#include "log.h"

static ULONG STDMETHODCALLTYPE pin_add_ref(IUnknown *iface)
{
    (void)iface;
    return 2; /* static object */
}

static ULONG STDMETHODCALLTYPE pin_release(IUnknown *iface)
{
    (void)iface;
    return 1;
}

/* Every interface a client can obtain from the service (and QueryInterface for). */
static const IID *const pinned_iids[] = {
    &IID_IUnknown, &IID_IClassFactory, &IID_IBackgroundCopyManager,
    &IID_IBackgroundCopyJob, &IID_IBackgroundCopyJob2, &IID_IBackgroundCopyJob3,
    &IID_IBackgroundCopyJob4, &IID_IBackgroundCopyJob5, &IID_IBackgroundCopyJobHttpOptions,
    &IID_IDeliveryOptimizationJob, &IID_IDeliveryOptimizationJob2,
    &IID_IBackgroundCopyFile, &IID_IBackgroundCopyFile2, &IID_IBackgroundCopyFile3,
    &IID_IBackgroundCopyFile4, &IID_IBackgroundCopyFile5,
    &IID_IDeliveryOptimizationFile, &IID_IDeliveryOptimizationFile2,
    &IID_IBackgroundCopyError, &IID_IEnumBackgroundCopyJobs, &IID_IEnumBackgroundCopyFiles,
};

/* The pinned IIDs only: never IMarshal, IExternalConnection or the like, which COM would call. */
static HRESULT STDMETHODCALLTYPE pin_query_interface(IUnknown *iface, REFIID riid, void **out)
{
    *out = NULL;
    for (size_t i = 0; i < sizeof pinned_iids / sizeof *pinned_iids; i++)
        if (IsEqualIID(riid, pinned_iids[i])) {
            *out = iface;
            return S_OK;
        }
    return E_NOINTERFACE;
}

static IUnknownVtbl pin_vtbl = {pin_query_interface, pin_add_ref, pin_release};
static IUnknown pin = {&pin_vtbl};
static IStream *pin_stream;

void com_pins_hold(void)
{
    HRESULT hr = pin_stream ? S_OK : CreateStreamOnHGlobal(NULL, TRUE, &pin_stream);
    for (size_t i = 0; SUCCEEDED(hr) && i < sizeof pinned_iids / sizeof *pinned_iids; i++)
        hr = CoMarshalInterface(pin_stream, pinned_iids[i], &pin, MSHCTX_LOCAL, NULL, MSHLFLAGS_TABLESTRONG);
    if (FAILED(hr))
        log_service(LOG_WARN, "service.start", "cannot keep the interfaces' RPC registrations (0x%08lx): a client "
                  "releasing an object may hang the service under Wine", (unsigned long)hr);
}
