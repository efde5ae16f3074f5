/* Periodic housekeeping on a thread-pool timer, once at start-up and then every hour: DO jobs
 * and downloads older than 30 days are cancelled and removed (DO's rule), BITS jobs unchanged for
 * the BITS policy JobInactivityTimeout (BITS's rule; job_rules.c says which applies to whom). */
#include "dosvc.h"
#include "log.h"

#define MAINTENANCE_PERIOD_MS (60u * 60u * 1000u)

static HANDLE timer;

static void report(hr_t hr, size_t expired, const char *what, uint32_t days)
{
    if (HR_FAILED(hr))
        log_service(LOG_ERROR, "job.expire", "expiry of %s failed: 0x%08x", what, (unsigned)hr);
    else if (expired)
        log_service(LOG_INFO, "job.expire", "%lu of the %s removed after %u days", (unsigned long)expired,
                    what, days);
}

static void CALLBACK expire_old_jobs(void *context, BOOLEAN fired)
{
    (void)context, (void)fired;
    size_t expired = 0;
    hr_t hr = jobs_expire(dosvc_jobs, JOB_MAX_AGE_DAYS * FILETIME_PER_DAY, &expired);
    report(hr, expired, "DO jobs and downloads", JOB_MAX_AGE_DAYS);
    uint32_t days = settings_bits_job_inactivity_days();
    hr = jobs_expire_kind(dosvc_jobs, STORE_KIND_BITS, days * FILETIME_PER_DAY, &expired);
    report(hr, expired, "BITS jobs", days);
}

HRESULT maintenance_start(void)
{
    expire_old_jobs(NULL, FALSE);
    if (!CreateTimerQueueTimer(&timer, NULL, expire_old_jobs, NULL, MAINTENANCE_PERIOD_MS,
                               MAINTENANCE_PERIOD_MS, WT_EXECUTEDEFAULT))
        return HRESULT_FROM_WIN32(GetLastError());
    return S_OK;
}

void maintenance_stop(void)
{
    if (timer)
        DeleteTimerQueueTimer(NULL, timer, INVALID_HANDLE_VALUE); /* waits for a running pass */
    timer = NULL;
}
