/* What differs between the DO class and the BITS classes, in one place (docs/bits.md): which
 * jobs an API sees (its kind), which interfaces its objects answer, and the codes it reports.
 * The core speaks DO (DO_E_* codes); an object of a BITS class reports each DO code that has a
 * BITS counterpart as BITS does (bits.md §3.3). The core's per-kind rules (limits, defaults,
 * expiry) are engine/jobs/job_rules.c. */
#include "dosvc.h"

/* ---- classes ----------------------------------------------------------------------------------- */

/* The BITS classes, oldest first: each is served by the same manager of API_BITS. */
const CLSID *const bits_classes[BITS_CLASS_COUNT] = BITS_CLASSES;

/* ---- codes ------------------------------------------------------------------------------------- */

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
    {DO_E_BLOCKED_BY_POWER_STATE, (HRESULT)0x80200067L},        /* BG_E_BLOCKED_BY_BATTERY_POLICY */
    {DO_E_FILE_SIZE_UNKNOWN_HTTP_200, (HRESULT)0x80200011L},    /* BG_E_MISSING_FILE_SIZE */
    {DO_E_FILE_SIZE_UNKNOWN_HTTP_206, (HRESULT)0x80200011L},
    {DO_E_FILE_SIZE_UNKNOWN_HTTP_2XX, (HRESULT)0x80200011L},
    {DO_E_NO_DOWNLOAD_EXTSETTINGS, (HRESULT)0x8020003EL},       /* BG_E_BLOCKED_BY_POLICY */
    /* a short or inconsistent answer, an unexpected 2xx status: what BITS calls an invalid
     * server response (its texts for such statuses say so) */
    {DO_E_HTTP_BLOCKSIZE_MISMATCH, (HRESULT)0x8020001BL},       /* BG_E_INVALID_SERVER_RESPONSE */
    {DO_E_UNEXPECTED_HTTP_STATUS_2XX, (HRESULT)0x8020001BL},
    /* BITS reports certificate failures as the WinHTTP error */
    {DO_E_HTTP_CERT_VALIDATION, (HRESULT)0x80072F8FL},          /* ERROR_WINHTTP_SECURE_FAILURE */
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

/* IBackgroundCopyError::GetProtocol of an error tied to no file: BITS has a code of its own for
 * it (bits.md §3.2), DO only DO_E_FILE_NOT_AVAILABLE. */
HRESULT api_no_protocol(api_personality_t api)
{
    return api == API_BITS ? (HRESULT)0x80200005L /* BG_E_PROTOCOL_NOT_AVAILABLE */ : DO_E_FILE_NOT_AVAILABLE;
}

/* ---- jobs ------------------------------------------------------------------------------------- */

api_personality_t api_of_kind(int32_t kind)
{
    return kind == STORE_KIND_BITS ? API_BITS : API_DO;
}

int32_t api_job_kind(api_personality_t api)
{
    return api == API_BITS ? STORE_KIND_BITS : STORE_KIND_JOB;
}

/* ---- interfaces -------------------------------------------------------------------------------- */

/* The interfaces only one API's objects answer; every other interface an object implements is
 * answered by both. An object that does not implement an interface answers E_NOINTERFACE
 * whatever this says. */
typedef struct interface_rule {
    const IID *iid;
    api_personality_t only;
} interface_rule_t;

static const interface_rule_t interface_rules[] = {
    {&IID_IDOManager, API_DO},                     /* manager */
    {&IID_IDeliveryOptimizationJob, API_DO},       /* job */
    {&IID_IDeliveryOptimizationJob2, API_DO},
    {&IID_IDeliveryOptimizationFile, API_DO},      /* file */
    {&IID_IDeliveryOptimizationFile2, API_DO},
    {&IID_IBitsPeerCacheAdministration, API_BITS}, /* manager */
    {&IID_IBackgroundCopyJobHttpOptions2, API_BITS}, /* job */
    {&IID_IBackgroundCopyJobHttpOptions3, API_BITS},
    {&IID_IBitsTokenOptions, API_BITS},
    {&IID_IBackgroundCopyFile6, API_BITS},         /* file */
};

int api_offers(api_personality_t api, REFIID riid)
{
    for (size_t i = 0; i < ARRAYSIZE(interface_rules); i++)
        if (IsEqualIID(riid, interface_rules[i].iid))
            return interface_rules[i].only == api;
    return 1;
}
