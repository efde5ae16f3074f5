/* IClassFactory for the service's classes, per API: DeliveryOptimization (IBackgroundCopyManager,
 * IDOManager) and OpendoAdmin (IOpendoAdmin) for API_DO, served by DoSvc; the ten BITS classes
 * (BackgroundCopyManager and its versioned CLSIDs, one manager of API_BITS behind all of them)
 * for API_BITS, served by the BITS service. Static objects (the service process owns them for its whole life),
 * registered with REGCLS_MULTIPLEUSE so that every client gets an object of its own. */
#include "dosvc.h"

typedef struct class_factory {
    IClassFactory iface;
    api_personality_t api;
    const CLSID *clsid;
    HRESULT (*create)(REFIID riid, void **out);
    DWORD cookie;
} class_factory_t;

static HRESULT STDMETHODCALLTYPE factory_query_interface(IClassFactory *iface, REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
        *out = iface;
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE factory_add_ref(IClassFactory *iface)
{
    (void)iface;
    return 2;
}

static ULONG STDMETHODCALLTYPE factory_release(IClassFactory *iface)
{
    (void)iface;
    return 1;
}

static HRESULT STDMETHODCALLTYPE factory_create_instance(IClassFactory *iface, IUnknown *outer,
                                                         REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    *out = NULL;
    if (outer)
        return CLASS_E_NOAGGREGATION;
    return ((class_factory_t *)iface)->create(riid, out);
}

static HRESULT STDMETHODCALLTYPE factory_lock_server(IClassFactory *iface, BOOL lock)
{
    (void)iface, (void)lock;
    return S_OK; /* the service's lifetime is governed by the SCM, not by client locks */
}

static IClassFactoryVtbl factory_vtbl = {
    factory_query_interface, factory_add_ref, factory_release, factory_create_instance,
    factory_lock_server,
};

#define FACTORY(api, clsid, create) {{&factory_vtbl}, api, clsid, create, 0}
/* The DO classes, then the BITS classes (filled in from bits_classes). */
static class_factory_t factories[2 + BITS_CLASS_COUNT] = {
    FACTORY(API_DO, &CLSID_DeliveryOptimization, background_copy_manager_create),
    FACTORY(API_DO, &CLSID_OpendoAdmin, opendo_admin_create),
};

static void fill_bits_factories(void)
{
    for (size_t i = 0; i < BITS_CLASS_COUNT; i++)
        if (!factories[2 + i].clsid)
            factories[2 + i] = (class_factory_t)FACTORY(API_BITS, bits_classes[i],
                                                        background_copy_manager_create_bits);
}

HRESULT class_factories_register(api_personality_t api)
{
    fill_bits_factories();
    HRESULT hr = S_OK;
    for (size_t i = 0; SUCCEEDED(hr) && i < ARRAYSIZE(factories); i++)
        if (factories[i].api == api)
            hr = CoRegisterClassObject(factories[i].clsid, (IUnknown *)&factories[i].iface,
                                       CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE, &factories[i].cookie);
    if (FAILED(hr))
        class_factories_revoke(api);
    return hr;
}

void class_factories_revoke(api_personality_t api)
{
    for (size_t i = 0; i < ARRAYSIZE(factories); i++)
        if (factories[i].api == api && factories[i].cookie) {
            CoRevokeClassObject(factories[i].cookie);
            factories[i].cookie = 0;
        }
}
