/* jobs.c: the connection to the service, and finding jobs and files the way bitsadmin does:
 * a job is named by its GUID or by its display name among the caller's jobs. */
#include "doadmin.h"

#include <sddl.h>
#include <stdlib.h>

/* The class whose jobs doadmin manages, chosen here only: run as bitsadmin(.exe) (the copy that
 * `dosvc install --bits` puts in system32), the BITS class, so that the jobs of bitsadmin scripts
 * are BITS jobs; else the DO class. The diagnostics always ask IOpendoAdmin. */
static const CLSID *manager_class(void)
{
    wchar_t path[MAX_PATH];
    DWORD length = GetModuleFileNameW(NULL, path, MAX_PATH);
    if (!length || length >= MAX_PATH)
        return &CLSID_DeliveryOptimization;
    const wchar_t *slash = wcsrchr(path, L'\\'), *name = slash ? slash + 1 : path;
    return _wcsicmp(name, L"bitsadmin.exe") == 0 || _wcsicmp(name, L"bitsadmin") == 0
               ? &CLSID_BackgroundCopyManager
               : &CLSID_DeliveryOptimization;
}

/* A manager object of the service (which starts it on demand); s->manager on success. */
static HRESULT activate_manager(session *s)
{
    HRESULT hr = CoCreateInstance(manager_class(), NULL, CLSCTX_LOCAL_SERVER,
                                  &IID_IBackgroundCopyManager, (void **)&s->manager);
    if (FAILED(hr))
        s->manager = NULL;
    return hr;
}

int connect_service(session *s)
{
    HRESULT hr = activate_manager(s);
    if (SUCCEEDED(hr))
        return EXIT_OK;
    wchar_t text[1024];
    hr_text(s, hr, text, ARRAYSIZE(text));
    return fail(s, EXIT_NO_SERVICE, L"cannot reach the Delivery Optimization service: %ls", text);
}

/* Takes over job (released) and returns its IBackgroundCopyJob5, the interface doadmin uses. */
static HRESULT as_job5(IBackgroundCopyJob *job, IBackgroundCopyJob5 **job5)
{
    HRESULT hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)job5);
    IBackgroundCopyJob_Release(job);
    return hr;
}

int service_gone(HRESULT hr)
{
    switch ((unsigned long)hr) {
    case 0x800706B5ul: /* RPC_S_UNKNOWN_IF: the service is stopping, its interfaces are gone */
    case 0x800706BAul: /* RPC_S_SERVER_UNAVAILABLE */
    case 0x800706BBul: /* RPC_S_SERVER_TOO_BUSY */
    case 0x800706BEul: /* RPC_S_CALL_FAILED */
    case 0x800706BFul: /* RPC_S_CALL_FAILED_DNE */
    case 0x80010007ul: /* RPC_E_SERVER_DIED */
    case 0x80010012ul: /* RPC_E_SERVER_DIED_DNE */
    case 0x80010108ul: /* RPC_E_DISCONNECTED */
    case 0x800401FDul: /* CO_E_OBJNOTCONNECTED */
    case 0x80004025ul: /* CO_E_SERVER_STOPPING */
    case 0x80D01001ul: /* DO_E_NO_SERVICE: it is stopping */
        return 1;
    default:
        return 0;
    }
}

HRESULT reconnect_service(session *s, const GUID *job_id, IBackgroundCopyJob5 **job)
{
    HRESULT hr;
    ULONGLONG deadline = GetTickCount64() + RECONNECT_MS;
    do {
        if (s->manager)
            IBackgroundCopyManager_Release(s->manager); /* a dead proxy: releasing is local */
        hr = activate_manager(s);
        IBackgroundCopyJob *found = NULL;
        if (SUCCEEDED(hr) && job_id)
            hr = IBackgroundCopyManager_GetJob(s->manager, job_id, &found);
        if (found)
            hr = as_job5(found, job);
        if (SUCCEEDED(hr) || !service_gone(hr))
            return hr;
    } while (GetTickCount64() < deadline && !interrupted(RECONNECT_PAUSE_MS));
    return hr;
}

static HRESULT append_jobs(job_list *list, IBackgroundCopyJob **batch, ULONG fetched)
{
    HRESULT hr = S_OK;
    for (ULONG i = 0; i < fetched; i++) {
        IBackgroundCopyJob5 *job5 = NULL;
        HRESULT one = as_job5(batch[i], &job5);
        if (SUCCEEDED(one))
            list->jobs[list->count++] = job5;
        else if (SUCCEEDED(hr))
            hr = one;
    }
    return hr;
}

HRESULT list_jobs(const session *s, DWORD flags, job_list *list)
{
    IEnumBackgroundCopyJobs *jobs = NULL;
    ULONG total = 0;
    list->jobs = NULL;
    list->count = 0;
    HRESULT hr = IBackgroundCopyManager_EnumJobs(s->manager, flags, &jobs);
    if (SUCCEEDED(hr))
        hr = IEnumBackgroundCopyJobs_GetCount(jobs, &total);
    if (SUCCEEDED(hr) && !(list->jobs = calloc(total ? total : 1, sizeof *list->jobs)))
        hr = E_OUTOFMEMORY;
    while (SUCCEEDED(hr) && list->count < total) {
        IBackgroundCopyJob *batch[64];
        ULONG fetched = 0, want = total - list->count < 64 ? total - list->count : 64;
        hr = IEnumBackgroundCopyJobs_Next(jobs, want, batch, &fetched);
        if (SUCCEEDED(hr))
            hr = append_jobs(list, batch, fetched);
        if (hr == S_FALSE || fetched == 0)
            break; /* the snapshot held fewer jobs than counted */
    }
    if (jobs)
        IEnumBackgroundCopyJobs_Release(jobs);
    if (FAILED(hr))
        job_list_free(list);
    return FAILED(hr) ? hr : S_OK;
}

void job_list_free(job_list *list)
{
    for (ULONG i = 0; i < list->count; i++)
        IBackgroundCopyJob5_Release(list->jobs[i]);
    free(list->jobs);
    list->jobs = NULL;
    list->count = 0;
}

/* "{GUID} name, {GUID} name" for the message about an ambiguous name. */
static int fail_ambiguous(session *s, const wchar_t *name, IBackgroundCopyJob5 **matches,
                          ULONG count)
{
    size_t size = count * (40 + wcslen(name) + 2) + 1;
    wchar_t *candidates = calloc(size, sizeof *candidates);
    if (!candidates)
        return fail_hr(s, E_OUTOFMEMORY);
    for (ULONG i = 0; i < count; i++) {
        GUID id;
        wchar_t id_text[39] = L"{?}";
        if (SUCCEEDED(IBackgroundCopyJob5_GetId(matches[i], &id)))
            guid_text(&id, id_text);
        size_t used = wcslen(candidates);
        swprintf(candidates + used, size - used, L"%ls%ls %ls", i ? L", " : L"", id_text, name);
    }
    int status = fail(s, EXIT_FAILED, L"%lu jobs have this name, give one of their GUIDs: %ls",
                      (unsigned long)count, candidates);
    free(candidates);
    return status;
}

/* Among the caller's jobs, those whose display name is exactly name (case-sensitive). A job
 * that finished since EnumJobs (its name can no longer be read) does not match. */
static int find_by_name(session *s, const wchar_t *name, IBackgroundCopyJob5 **job)
{
    job_list all;
    HRESULT hr = list_jobs(s, 0, &all);
    if (FAILED(hr))
        return fail_hr(s, hr);
    ULONG matches = 0;
    for (ULONG i = 0; i < all.count; i++) {
        IBackgroundCopyJob5 *candidate = all.jobs[i];
        LPWSTR display = NULL;
        all.jobs[i] = NULL;
        if (SUCCEEDED(IBackgroundCopyJob5_GetDisplayName(candidate, &display)) &&
            wcscmp(display, name) == 0)
            all.jobs[matches++] = candidate; /* matches <= i: the matches gather at the front */
        else
            IBackgroundCopyJob5_Release(candidate);
        CoTaskMemFree(display);
    }
    all.count = matches;
    int status = matches == 0  ? fail_hr(s, DO_E_JOB_NOT_FOUND)
                 : matches > 1 ? fail_ambiguous(s, name, all.jobs, matches)
                               : EXIT_OK;
    if (status == EXIT_OK) {
        *job = all.jobs[0];
        all.count = 0;
    }
    job_list_free(&all);
    return status;
}

int find_job(session *s, const wchar_t *spec, IBackgroundCopyJob5 **job)
{
    GUID id;
    *job = NULL;
    if (!parse_guid(spec, &id))
        return find_by_name(s, spec, job);
    IBackgroundCopyJob *found = NULL;
    HRESULT hr = IBackgroundCopyManager_GetJob(s->manager, &id, &found);
    if (SUCCEEDED(hr))
        hr = as_job5(found, job);
    return FAILED(hr) ? fail_hr(s, hr) : EXIT_OK;
}

int call_file_at(job_call *call, IBackgroundCopyFile3 **file)
{
    ULONG index, count = 0;
    *file = NULL;
    if (!parse_ulong(call->argv[0], &index))
        return fail(call->s, EXIT_USAGE, L"'%ls' is not a file index (0, 1, 2...)", call->argv[0]);
    IEnumBackgroundCopyFiles *files = NULL;
    IBackgroundCopyFile *found = NULL;
    HRESULT hr = IBackgroundCopyJob5_EnumFiles(call->job, &files);
    if (SUCCEEDED(hr))
        hr = IEnumBackgroundCopyFiles_GetCount(files, &count);
    if (SUCCEEDED(hr) && index >= count) {
        IEnumBackgroundCopyFiles_Release(files);
        return fail(call->s, EXIT_FAILED, L"there is no file %lu: the job has %lu file(s)",
                    (unsigned long)index, (unsigned long)count);
    }
    if (SUCCEEDED(hr) && index > 0)
        hr = IEnumBackgroundCopyFiles_Skip(files, index);
    if (SUCCEEDED(hr))
        hr = IEnumBackgroundCopyFiles_Next(files, 1, &found, NULL);
    if (hr == S_OK) {
        hr = IBackgroundCopyFile_QueryInterface(found, &IID_IBackgroundCopyFile3, (void **)file);
        IBackgroundCopyFile_Release(found);
    } else if (SUCCEEDED(hr)) {
        hr = DO_E_FILE_NOT_AVAILABLE; /* the file left the job since GetCount */
    }
    if (files)
        IEnumBackgroundCopyFiles_Release(files);
    return FAILED(hr) ? fail_hr(call->s, hr) : EXIT_OK;
}

HRESULT job_http_options(IBackgroundCopyJob5 *job, IBackgroundCopyJobHttpOptions **options)
{
    return IBackgroundCopyJob5_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions,
                                              (void **)options);
}

void owner_text(const wchar_t *sid_text, wchar_t *buf, size_t size)
{
    PSID sid = NULL;
    wchar_t name[256], domain[256];
    DWORD name_size = ARRAYSIZE(name), domain_size = ARRAYSIZE(domain);
    SID_NAME_USE use;
    if (ConvertStringSidToSidW(sid_text, &sid) &&
        LookupAccountSidW(NULL, sid, name, &name_size, domain, &domain_size, &use))
        swprintf(buf, size, domain[0] ? L"%ls\\%ls" : L"%ls%ls", domain, name);
    else
        swprintf(buf, size, L"%ls", sid_text);
    LocalFree(sid);
}
