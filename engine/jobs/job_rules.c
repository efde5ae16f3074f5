/* What differs between the kinds of job, in one table (docs/bits.md): the jobs of the DO class
 * (its jobs and its downloads) and the jobs of the BITS classes share the store, the scheduler
 * and the transfer engine; their limits, who is exempt from them, their default timeouts and how
 * they expire come from here. The COM side's table (codes, interfaces) is
 * service/com/api_personality.c. */
#include "jobs_internal.h"

#include <string.h>

static const job_rules_t rules[] = {
    [STORE_KIND_JOB] = {"DO job", JOBS_LIMITS_DO, 0, JOB_EXPIRES_AFTER_CREATION,
                        "DO_E_JOB_TOO_OLD 0x80d0200c",
                        JOB_DEFAULT_NO_PROGRESS_TIMEOUT, JOB_FOREGROUND_NO_PROGRESS_TIMEOUT,
                        JOB_DEFAULT_MIN_RETRY_DELAY},
    /* downloads_create sets a download's own timeouts (engine/downloads) over these */
    [STORE_KIND_DOWNLOAD] = {"DO download", JOBS_LIMITS_DO, 0, JOB_EXPIRES_AFTER_CREATION,
                             "DO_E_JOB_TOO_OLD 0x80d0200c",
                             JOB_DEFAULT_NO_PROGRESS_TIMEOUT, JOB_FOREGROUND_NO_PROGRESS_TIMEOUT,
                             JOB_DEFAULT_MIN_RETRY_DELAY},
    [STORE_KIND_BITS] = {"BITS job", JOBS_LIMITS_BITS, 1, JOB_EXPIRES_AFTER_INACTIVITY,
                         "JobInactivityTimeout, as BITS_MC_JOB_SCAVENGED",
                         BITS_DEFAULT_NO_PROGRESS_TIMEOUT, BITS_DEFAULT_NO_PROGRESS_TIMEOUT,
                         JOB_DEFAULT_MIN_RETRY_DELAY},
};

const job_rules_t *job_rules_of(int32_t kind)
{
    return kind >= 0 && (size_t)kind < sizeof rules / sizeof rules[0] ? &rules[kind]
                                                                      : &rules[STORE_KIND_JOB];
}

const jobs_limits_t jobs_default_limits[JOBS_LIMIT_SETS] = {
    [JOBS_LIMITS_DO] = {JOBS_DEFAULT_MAX_JOBS_PER_USER, JOBS_DEFAULT_MAX_JOBS_PER_MACHINE,
                        JOBS_DEFAULT_MAX_FILES_PER_JOB, JOBS_DEFAULT_MAX_RANGES_PER_FILE},
    [JOBS_LIMITS_BITS] = {BITS_DEFAULT_MAX_JOBS_PER_USER, BITS_DEFAULT_MAX_JOBS_PER_MACHINE,
                          BITS_DEFAULT_MAX_FILES_PER_JOB, BITS_DEFAULT_MAX_RANGES_PER_FILE},
};

void jobs_set_kind_limits(jobs_t *jobs, jobs_limit_set_t set, const jobs_limits_t *limits)
{
    if (!jobs || !limits || (unsigned)set >= JOBS_LIMIT_SETS)
        return;
    uv_mutex_lock(&jobs->lock);
    jobs->limits[set] = *limits;
    uv_mutex_unlock(&jobs->lock);
}

/* LocalSystem, LocalService, NetworkService. */
static int is_service_account(const char *sid)
{
    return !strcmp(sid, "S-1-5-18") || !strcmp(sid, "S-1-5-19") || !strcmp(sid, "S-1-5-20");
}

jobs_limits_t job_limits_for(const jobs_t *jobs, int32_t kind, const caller_t *caller)
{
    static const jobs_limits_t none = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
    const job_rules_t *r = job_rules_of(kind);
    if (r->admins_exempt && (caller->is_admin || is_service_account(caller->sid)))
        return none;
    return jobs->limits[r->limit_set];
}
