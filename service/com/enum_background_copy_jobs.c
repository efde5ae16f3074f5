/* IEnumBackgroundCopyJobs: a snapshot of job ids taken at EnumJobs; each Next hands out job
 * objects whose properties are live (read through the core on every call). */
#include "dosvc.h"
#include "enum_ids.h"

typedef IEnumBackgroundCopyJobs enum_t;

static HRESULT make_do_job(const GUID *id, void **item)
{
    return background_copy_job_create(id, API_DO, (IBackgroundCopyJob **)item);
}

static HRESULT make_bits_job(const GUID *id, void **item)
{
    return background_copy_job_create(id, API_BITS, (IBackgroundCopyJob **)item);
}

static HRESULT STDMETHODCALLTYPE query_interface(enum_t *e, REFIID riid, void **out) { return enum_ids_query_interface(e, riid, out); }
static ULONG STDMETHODCALLTYPE add_ref(enum_t *e) { return enum_ids_add_ref(e); }
static ULONG STDMETHODCALLTYPE release(enum_t *e) { return enum_ids_release(e); }
static HRESULT STDMETHODCALLTYPE next(enum_t *e, ULONG n, IBackgroundCopyJob **jobs, ULONG *fetched) { return enum_ids_next(e, n, (void **)jobs, fetched); }
static HRESULT STDMETHODCALLTYPE skip(enum_t *e, ULONG n) { return enum_ids_skip(e, n); }
static HRESULT STDMETHODCALLTYPE reset(enum_t *e) { return enum_ids_reset(e); }
static HRESULT STDMETHODCALLTYPE clone(enum_t *e, enum_t **out) { return enum_ids_clone(e, (void **)out); }
static HRESULT STDMETHODCALLTYPE get_count(enum_t *e, ULONG *count) { return enum_ids_get_count(e, count); }

static IEnumBackgroundCopyJobsVtbl vtbl = {query_interface, add_ref, release, next, skip, reset, clone, get_count};

HRESULT enum_background_copy_jobs_create(api_personality_t api, GUID *ids, ULONG count,
                                         IEnumBackgroundCopyJobs **out)
{
    return enum_ids_create(&vtbl, &IID_IEnumBackgroundCopyJobs,
                           api == API_BITS ? make_bits_job : make_do_job, ids, count, (void **)out);
}
