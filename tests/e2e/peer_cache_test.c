/* peer_cache_test.exe (run by tests/e2e/peer_cache.sh under Wine): the BITS manager's
 * IBitsPeerCacheAdministration part (service/com/bits_peer_cache_administration.c) and its empty
 * enumerators (enum_bits_peer_cache.c), called in process through their vtables, and the
 * per-API interface table (api_offers, service/com/api_personality.c). Every method must answer
 * S_FALSE as BITS >= 4.0 does, with out-parameters a careless client can use: 0, an empty
 * enumerator, no record. The manager that embeds the part is simulated by a minimal outer object
 * (the real one needs the whole service); the class-level QueryInterface goes through api_offers,
 * which is checked here too. */
#include <stdio.h>

#include "check.h"
#include "dosvc.h"

#define PC(cond, name) CHECK(cond, "peer cache: " name)

/* The outer object: counts references, answers IUnknown and the part's interface. */
typedef struct outer {
    IUnknown iface;
    bits_peer_cache_part_t part;
    LONG refs;
} outer_t;

static HRESULT STDMETHODCALLTYPE outer_query_interface(IUnknown *iface, REFIID riid, void **out)
{
    outer_t *o = (outer_t *)iface;
    if (IsEqualIID(riid, &IID_IUnknown))
        *out = iface;
    else if (IsEqualIID(riid, &IID_IBitsPeerCacheAdministration))
        *out = &o->part.iface;
    else {
        *out = NULL;
        return E_NOINTERFACE;
    }
    InterlockedIncrement(&o->refs);
    return S_OK;
}
static ULONG STDMETHODCALLTYPE outer_add_ref(IUnknown *iface) { return (ULONG)InterlockedIncrement(&((outer_t *)iface)->refs); }
static ULONG STDMETHODCALLTYPE outer_release(IUnknown *iface) { return (ULONG)InterlockedDecrement(&((outer_t *)iface)->refs); }
static IUnknownVtbl outer_vtbl = {outer_query_interface, outer_add_ref, outer_release};

static void test_api_offers(void)
{
    PC(api_offers(API_BITS, &IID_IBitsPeerCacheAdministration), "api_offers: the BITS manager answers IBitsPeerCacheAdministration");
    PC(!api_offers(API_DO, &IID_IBitsPeerCacheAdministration), "api_offers: the DO manager does not");
    PC(api_offers(API_DO, &IID_IDOManager) && !api_offers(API_BITS, &IID_IDOManager),
          "api_offers: IDOManager is the DO manager's only");
    PC(api_offers(API_DO, &IID_IBackgroundCopyManager) && api_offers(API_BITS, &IID_IBackgroundCopyManager),
          "api_offers: both answer IBackgroundCopyManager");
}

static void test_settings(IBitsPeerCacheAdministration *a)
{
    DWORD v = 77;
    ULONG age = 77;
    PC(IBitsPeerCacheAdministration_GetMaximumCacheSize(a, &v) == S_FALSE && v == 0, "GetMaximumCacheSize: S_FALSE, 0");
    PC(IBitsPeerCacheAdministration_SetMaximumCacheSize(a, 10) == S_FALSE, "SetMaximumCacheSize: S_FALSE");
    v = 77;
    PC(IBitsPeerCacheAdministration_GetMaximumCacheSize(a, &v) == S_FALSE && v == 0, "GetMaximumCacheSize after a Set: still 0");
    PC(IBitsPeerCacheAdministration_GetMaximumContentAge(a, &age) == S_FALSE && age == 0, "GetMaximumContentAge: S_FALSE, 0");
    PC(IBitsPeerCacheAdministration_SetMaximumContentAge(a, 3600) == S_FALSE, "SetMaximumContentAge: S_FALSE");
    v = 77;
    PC(IBitsPeerCacheAdministration_GetConfigurationFlags(a, &v) == S_FALSE && v == 0,
          "GetConfigurationFlags: S_FALSE, 0 (neither client nor server)");
    PC(IBitsPeerCacheAdministration_SetConfigurationFlags(a, BG_ENABLE_PEERCACHING_CLIENT | BG_ENABLE_PEERCACHING_SERVER) == S_FALSE,
          "SetConfigurationFlags: S_FALSE");
    PC(IBitsPeerCacheAdministration_GetMaximumCacheSize(a, NULL) == E_INVALIDARG, "GetMaximumCacheSize(NULL): E_INVALIDARG");
}

static void test_records(IBitsPeerCacheAdministration *a)
{
    IEnumBitsPeerCacheRecords *e = NULL, *clone = NULL;
    IBitsPeerCacheRecord *r = (IBitsPeerCacheRecord *)(ULONG_PTR)1;
    ULONG n = 77;
    PC(IBitsPeerCacheAdministration_EnumRecords(a, &e) == S_FALSE && e, "EnumRecords: S_FALSE and an enumerator (not NULL)");
    if (!e)
        return;
    PC(IEnumBitsPeerCacheRecords_GetCount(e, &n) == S_FALSE && n == 0, "IEnumBitsPeerCacheRecords::GetCount: S_FALSE, 0");
    n = 77;
    PC(IEnumBitsPeerCacheRecords_Next(e, 1, &r, &n) == S_FALSE && n == 0, "IEnumBitsPeerCacheRecords::Next: S_FALSE, 0 fetched");
    PC(IEnumBitsPeerCacheRecords_Next(e, 1, &r, NULL) == S_FALSE, "IEnumBitsPeerCacheRecords::Next(1, NULL fetched): S_FALSE");
    PC(IEnumBitsPeerCacheRecords_Next(e, 2, &r, NULL) == E_INVALIDARG, "IEnumBitsPeerCacheRecords::Next(2, NULL fetched): E_INVALIDARG");
    PC(IEnumBitsPeerCacheRecords_Skip(e, 1) == S_FALSE && IEnumBitsPeerCacheRecords_Reset(e) == S_FALSE,
          "IEnumBitsPeerCacheRecords::Skip, Reset: S_FALSE");
    PC(IEnumBitsPeerCacheRecords_Clone(e, &clone) == S_FALSE && clone, "IEnumBitsPeerCacheRecords::Clone: S_FALSE, an empty enumerator");
    IUnknown *other = NULL;
    PC(IEnumBitsPeerCacheRecords_QueryInterface(e, &IID_IEnumBitsPeers, (void **)&other) == E_NOINTERFACE && !other,
          "the records enumerator is not a peers enumerator");
    if (clone)
        PC(IEnumBitsPeerCacheRecords_Release(clone) == 0, "the clone is released");
    PC(IEnumBitsPeerCacheRecords_Release(e) == 0, "the records enumerator is released");
    GUID id = IID_IBitsPeer;
    PC(IBitsPeerCacheAdministration_GetRecord(a, &id, &r) == S_FALSE && r == NULL, "GetRecord: S_FALSE and NULL (no record)");
    PC(IBitsPeerCacheAdministration_DeleteRecord(a, &id) == S_FALSE, "DeleteRecord: S_FALSE");
    PC(IBitsPeerCacheAdministration_DeleteUrl(a, L"http://example.test/a") == S_FALSE, "DeleteUrl: S_FALSE");
    PC(IBitsPeerCacheAdministration_ClearRecords(a) == S_FALSE, "ClearRecords: S_FALSE");
}

static void test_peers(IBitsPeerCacheAdministration *a)
{
    IEnumBitsPeers *e = NULL, *clone = NULL;
    IBitsPeer *p = NULL;
    ULONG n = 77;
    PC(IBitsPeerCacheAdministration_EnumPeers(a, &e) == S_FALSE && e, "EnumPeers: S_FALSE and an enumerator (not NULL)");
    if (!e)
        return;
    PC(IEnumBitsPeers_GetCount(e, &n) == S_FALSE && n == 0, "IEnumBitsPeers::GetCount: S_FALSE, 0");
    n = 77;
    PC(IEnumBitsPeers_Next(e, 3, &p, &n) == S_FALSE && n == 0, "IEnumBitsPeers::Next: S_FALSE, 0 fetched");
    PC(IEnumBitsPeers_Skip(e, 2) == S_FALSE && IEnumBitsPeers_Reset(e) == S_FALSE, "IEnumBitsPeers::Skip, Reset: S_FALSE");
    PC(IEnumBitsPeers_Clone(e, &clone) == S_FALSE && clone, "IEnumBitsPeers::Clone: S_FALSE, an empty enumerator");
    if (clone)
        IEnumBitsPeers_Release(clone);
    PC(IEnumBitsPeers_Release(e) == 0, "the peers enumerator is released");
    PC(IBitsPeerCacheAdministration_ClearPeers(a) == S_FALSE, "ClearPeers: S_FALSE");
    PC(IBitsPeerCacheAdministration_DiscoverPeers(a) == S_FALSE, "DiscoverPeers: S_FALSE");
}

int wmain(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    test_api_offers();
    outer_t outer = {.iface.lpVtbl = &outer_vtbl, .refs = 1};
    bits_peer_cache_init(&outer.part, &outer.iface);
    IBitsPeerCacheAdministration *a = &outer.part.iface;
    IUnknown *back = NULL;
    PC(IBitsPeerCacheAdministration_QueryInterface(a, &IID_IUnknown, (void **)&back) == S_OK && back == &outer.iface,
          "QueryInterface goes to the manager object");
    if (back)
        IUnknown_Release(back);
    test_settings(a);
    test_records(a);
    test_peers(a);
    PC(outer.refs == 1, "no reference to the manager is left behind");
    return CHECK_EXIT_CODE();
}
