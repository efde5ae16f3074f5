/* IClassFactory for CLSID_DeliveryOptimization: a static object (the service process owns it
 * for its whole life), registered with REGCLS_MULTIPLEUSE so every client gets a manager. */
#include "dosvc.h"

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
    (void)iface;
    if (!out)
        return E_POINTER;
    *out = NULL;
    if (outer)
        return CLASS_E_NOAGGREGATION;
    return background_copy_manager_create(riid, out);
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

static IClassFactory factory = {&factory_vtbl};

HRESULT class_factory_register(DWORD *cookie)
{
    return CoRegisterClassObject(&CLSID_DeliveryOptimization, (IUnknown *)&factory,
                                 CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE, cookie);
}
