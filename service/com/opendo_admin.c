/* IOpendoAdmin (class OpendoAdmin): the diagnostics of doadmin.exe. Each method establishes the
 * caller and hands the question to the core's reports (engine/admin), which refuse everyone but
 * administrators (E_ACCESSDENIED); the UTF-8 report goes back as CoTaskMem UTF-16. */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"

typedef struct opendo_admin {
    IOpendoAdmin iface;
    LONG refs;
} opendo_admin_t;

static HRESULT STDMETHODCALLTYPE admin_query_interface(IOpendoAdmin *iface, REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IOpendoAdmin)) {
        *out = iface;
        IOpendoAdmin_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE admin_add_ref(IOpendoAdmin *iface)
{
    return (ULONG)InterlockedIncrement(&((opendo_admin_t *)iface)->refs);
}

static ULONG STDMETHODCALLTYPE admin_release(IOpendoAdmin *iface)
{
    LONG refs = InterlockedDecrement(&((opendo_admin_t *)iface)->refs);
    if (!refs)
        free(iface);
    return (ULONG)refs;
}

/* What one report needs: the question (job, log query) and which report answers it. */
typedef struct question {
    hr_t (*report)(const struct question *q, const caller_t *caller, char **out);
    const store_guid_t *job;
    log_query_t log;
} question_t;

/* Establishes the caller, asks the core, and hands the answer back as CoTaskMem UTF-16. */
static HRESULT answer(const question_t *q, LPWSTR *out)
{
    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    caller_t caller;
    HRESULT hr = caller_identify(&caller);
    if (FAILED(hr))
        return hr;
    char *report = NULL;
    hr = q->report(q, &caller, &report);
    if (SUCCEEDED(hr))
        hr = cotaskmem_from_utf8(report, out);
    free(report);
    return hr;
}

static hr_t status_report(const question_t *q, const caller_t *caller, char **out)
{
    return admin_status(&dosvc_admin_sources, caller, q->job, out);
}

static hr_t explain_report(const question_t *q, const caller_t *caller, char **out)
{
    return admin_explain(&dosvc_admin_sources, caller, q->job, out);
}

static hr_t perfsnap_report(const question_t *q, const caller_t *caller, char **out)
{
    (void)q;
    return admin_perfsnap(&dosvc_admin_sources, caller, out);
}

static hr_t config_report(const question_t *q, const caller_t *caller, char **out)
{
    (void)q;
    return admin_config(&dosvc_admin_sources, caller, out);
}

static hr_t log_report(const question_t *q, const caller_t *caller, char **out)
{
    return admin_read_log(caller, &q->log, out);
}

static hr_t version_report(const question_t *q, const caller_t *caller, char **out)
{
    (void)q;
    return admin_version(&dosvc_admin_sources, caller, out);
}

static HRESULT STDMETHODCALLTYPE admin_get_status(IOpendoAdmin *iface, const GUID *job, LPWSTR *report)
{
    (void)iface;
    question_t q = {status_report, (const store_guid_t *)job, {0}};
    return answer(&q, report);
}

static HRESULT STDMETHODCALLTYPE admin_explain_job(IOpendoAdmin *iface, REFGUID job, LPWSTR *report)
{
    (void)iface;
    if (!job)
        return E_INVALIDARG;
    question_t q = {explain_report, (const store_guid_t *)job, {0}};
    return answer(&q, report);
}

static HRESULT STDMETHODCALLTYPE admin_get_perf_snap(IOpendoAdmin *iface, LPWSTR *report)
{
    (void)iface;
    question_t q = {perfsnap_report, NULL, {0}};
    return answer(&q, report);
}

static HRESULT STDMETHODCALLTYPE admin_get_config(IOpendoAdmin *iface, LPWSTR *report)
{
    (void)iface;
    question_t q = {config_report, NULL, {0}};
    return answer(&q, report);
}

static HRESULT STDMETHODCALLTYPE admin_read_log_lines(IOpendoAdmin *iface, const GUID *job,
                                                      LPCWSTR since, DWORD flags, DWORD max_lines,
                                                      LPWSTR *lines)
{
    (void)iface;
    if (lines)
        *lines = NULL;
    if (flags & ~(DWORD)OPENDO_LOG_PROBLEMS_ONLY)
        return E_INVALIDARG;
    char *since_utf8 = since ? utf8_from_wide(since) : NULL;
    if (since && !since_utf8)
        return E_INVALIDARG;
    question_t q = {log_report, NULL,
                    {(const store_guid_t *)job, since_utf8, (flags & OPENDO_LOG_PROBLEMS_ONLY) != 0,
                     max_lines}};
    HRESULT hr = answer(&q, lines);
    free(since_utf8);
    return hr;
}

static HRESULT STDMETHODCALLTYPE admin_get_version(IOpendoAdmin *iface, LPWSTR *report)
{
    (void)iface;
    question_t q = {version_report, NULL, {0}};
    return answer(&q, report);
}

static IOpendoAdminVtbl admin_vtbl = {
    admin_query_interface, admin_add_ref, admin_release, admin_get_status, admin_explain_job,
    admin_get_perf_snap, admin_get_config, admin_read_log_lines, admin_get_version,
};

HRESULT opendo_admin_create(REFIID riid, void **out)
{
    opendo_admin_t *admin = calloc(1, sizeof *admin);
    if (!admin)
        return E_OUTOFMEMORY;
    admin->iface.lpVtbl = &admin_vtbl;
    admin->refs = 1;
    HRESULT hr = IOpendoAdmin_QueryInterface(&admin->iface, riid, out);
    IOpendoAdmin_Release(&admin->iface);
    return hr;
}
