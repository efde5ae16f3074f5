/* What differs between the DO classes and the BITS classes, in one place (docs/bits.md): the
 * core speaks DO (DO_E_* codes); an object of a BITS class reports each DO code that has a BITS
 * counterpart as BITS does (bits.md §3.3). */
#include "dosvc.h"

typedef struct code_pair {
    HRESULT do_code, bits_code;
} code_pair_t;

static const code_pair_t bits_codes[] = {
    {DO_E_JOB_NOT_FOUND, (HRESULT)0x80200001L},                 /* BG_E_NOT_FOUND */
    {DO_E_INVALID_STATE, (HRESULT)0x80200002L},                 /* BG_E_INVALID_STATE */
    {DO_E_JOB_EMPTY, (HRESULT)0x80200003L},                     /* BG_E_EMPTY */
    {DO_E_FILE_NOT_AVAILABLE, (HRESULT)0x80200004L},            /* BG_E_FILE_NOT_AVAILABLE */
    {DO_E_ERROR_INFORMATION_UNAVAILABLE, (HRESULT)0x8020000FL}, /* BG_E_ERROR_INFORMATION_UNAVAILABLE */
    {DO_E_INVALID_RANGE, (HRESULT)0x8020002BL},                 /* BG_E_INVALID_RANGE */
    {DO_E_OVERLAPPING_RANGES, (HRESULT)0x8020002CL},            /* BG_E_OVERLAPPING_RANGES */
    {DO_E_INSUFFICIENT_RANGE_SUPPORT, (HRESULT)0x80200013L},    /* BG_E_INSUFFICIENT_RANGE_SUPPORT */
    {DO_E_BLOCKED_BY_COST_TRANSFER_POLICY, (HRESULT)0x80200059L},
    {DO_E_UNKNOWN_PROPERTY_ID, (HRESULT)0x80200057L},           /* BG_E_UNKNOWN_PROPERTY_ID */
    {DO_E_READ_ONLY_PROPERTY, (HRESULT)0x80200058L},            /* BG_E_READ_ONLY_PROPERTY */
    {DO_E_DOWNLOAD_NO_PROGRESS, (HRESULT)0x80200024L},          /* BG_E_NO_PROGRESS */
    {DO_E_BLOCKED_BY_NO_NETWORK, (HRESULT)0x80200010L},         /* BG_E_NETWORK_DISCONNECTED */
};

HRESULT api_result(api_personality_t api, HRESULT hr)
{
    if (api != API_BITS || SUCCEEDED(hr))
        return hr;
    for (size_t i = 0; i < ARRAYSIZE(bits_codes); i++)
        if (bits_codes[i].do_code == hr)
            return bits_codes[i].bits_code;
    return hr;
}

api_personality_t api_of_job(const GUID *job_id)
{
    store_job_t job = {0};
    int bits = jobs_get(dosvc_jobs, &jobs_service_caller, (const store_guid_t *)job_id, &job) == HR_OK &&
               job.kind == STORE_KIND_BITS;
    store_job_clear(&job);
    return bits ? API_BITS : API_DO;
}
