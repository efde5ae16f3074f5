/* IEnumUnknown of EnumDownloads: the download ids that matched when it was called; each Next
 * hands out live IDODownload objects (clients QI them for IDODownload). */
#include "dosvc.h"
#include "enum_ids.h"

static HRESULT make_download(const GUID *id, void **item)
{
    return do_download_create(id, (IDODownload **)item);
}

static HRESULT STDMETHODCALLTYPE query_interface(IEnumUnknown *e, REFIID riid, void **out) { return enum_ids_query_interface(e, riid, out); }
static ULONG STDMETHODCALLTYPE add_ref(IEnumUnknown *e) { return enum_ids_add_ref(e); }
static ULONG STDMETHODCALLTYPE release(IEnumUnknown *e) { return enum_ids_release(e); }
static HRESULT STDMETHODCALLTYPE next(IEnumUnknown *e, ULONG n, IUnknown **items, ULONG *fetched) { return enum_ids_next(e, n, (void **)items, fetched); }
static HRESULT STDMETHODCALLTYPE skip(IEnumUnknown *e, ULONG n) { return enum_ids_skip(e, n); }
static HRESULT STDMETHODCALLTYPE reset(IEnumUnknown *e) { return enum_ids_reset(e); }
static HRESULT STDMETHODCALLTYPE clone(IEnumUnknown *e, IEnumUnknown **out) { return enum_ids_clone(e, (void **)out); }

static IEnumUnknownVtbl vtbl = {query_interface, add_ref, release, next, skip, reset, clone};

HRESULT enum_downloads_create(GUID *ids, ULONG count, IEnumUnknown **out)
{
    return enum_ids_create(&vtbl, &IID_IEnumUnknown, make_download, ids, count, (void **)out);
}
