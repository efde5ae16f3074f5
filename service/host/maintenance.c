/* Periodic housekeeping on a thread-pool timer: jobs older than 30 days are cancelled and
 * removed (DO's rule), once at start-up and then every hour. */
#include "dosvc.h"
#include "log.h"

#define MAINTENANCE_PERIOD_MS (60u * 60u * 1000u)
#define FILETIME_PER_DAY (24LL * 60 * 60 * 10000000)

static HANDLE timer;

static void CALLBACK expire_old_jobs(void *context, BOOLEAN fired)
{
    (void)context, (void)fired;
    size_t expired = 0;
    hr_t hr = jobs_expire(dosvc_jobs, JOB_MAX_AGE_DAYS * FILETIME_PER_DAY, &expired);
    if (HR_FAILED(hr))
        log_service(LOG_ERROR, "job.expire", "expiry of old jobs failed: 0x%08x", (unsigned)hr);
    else if (expired)
        log_service(LOG_INFO, "job.expire", "%lu job(s) older than %d days removed", (unsigned long)expired,
                  JOB_MAX_AGE_DAYS);
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
