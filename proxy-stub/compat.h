/* Force-included (-include) into the widl-generated proxy sources of doproxy.dll only.
 * mingw-w64 10's <unknwn.h> declares the IUnknown_*_Proxy helpers only for C++ (inside its
 * "#if defined(__cplusplus) && !defined(CINTERFACE)" block); widl's C proxy code refers to them in
 * every proxy vtable, so C needs the declarations too.  rpcrt4 exports the implementations. */
#ifndef OPENDO_PROXY_STUB_COMPAT_H
#define OPENDO_PROXY_STUB_COMPAT_H

#include <unknwn.h>

#ifndef __cplusplus
HRESULT STDMETHODCALLTYPE IUnknown_QueryInterface_Proxy(IUnknown *This, REFIID riid, void **ppvObject);
ULONG STDMETHODCALLTYPE IUnknown_AddRef_Proxy(IUnknown *This);
ULONG STDMETHODCALLTYPE IUnknown_Release_Proxy(IUnknown *This);
#endif

#endif
