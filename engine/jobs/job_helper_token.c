/* The helper-token flags of a job (IBitsTokenOptions::SetHelperTokenFlags, BITS 4.0): which of
 * its operations use the helper token the service keeps in memory (service/security/
 * helper_tokens.c). The flags are persisted; the token never is. docs/bits.md. */
#include "jobs_internal.h"

static hr_t apply_flags(jobs_t *jobs, store_job_t *job, void *context)
{
    (void)jobs;
    job->helper_token_flags = *(const uint32_t *)context;
    return HR_OK;
}

hr_t jobs_set_helper_token_flags(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                                 uint32_t flags)
{
    if (flags & ~(JOB_HELPER_TOKEN_LOCAL_FILE | JOB_HELPER_TOKEN_NETWORK))
        return HR_E_INVALIDARG;
    if (flags & JOB_HELPER_TOKEN_NETWORK) {
        /* The network helper token would answer NTLM/Kerberos challenges with the token's
         * identity; opendo's transfers run on one engine thread for every job and, under Wine,
         * have no implicit NTLM/Kerberos to use it with. Refused rather than silently ignored. */
        log_event(LOG_WARN, id, NULL, "job.helper_token",
                  "SetHelperTokenFlags(0x%x) by %s refused with E_NOTIMPL: BG_TOKEN_NETWORK is not "
                  "supported (no implicit NTLM/Kerberos for the transfers)", (unsigned)flags, caller->sid);
        return HR_E_NOTIMPL;
    }
    char owner[CALLER_SID_MAX];
    hr_t hr = change_job(jobs, caller, id, apply_flags, &flags, owner);
    if (HR_SUCCEEDED(hr))
        log_event(LOG_INFO, id, owner, "job.helper_token", "helper-token flags set to 0x%x by %s",
                  (unsigned)flags, caller->sid);
    return hr;
}
