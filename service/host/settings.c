/* Administrator settings read from the registry at start-up:
 *   HKLM\SOFTWARE\opendo\Limits  MaxJobsPerUser, MaxJobsPerMachine, MaxFilesPerJob,
 *                                MaxRangesPerFile (REG_DWORD; absent or 0 = the default)
 *   HKLM\SOFTWARE\opendo\Transfers MaxBackgroundTransfers (REG_DWORD; absent or 0 = 4)
 *                                   MaxBackgroundDownloadBandwidth (REG_DWORD, KiB/s, like DO's
 *                                   DOMaxBackgroundDownloadBandwidth policy; absent or 0 = none) */
#include "dosvc.h"
#include "log.h"

#define LIMITS_KEY L"SOFTWARE\\opendo\\Limits"
#define TRANSFERS_KEY L"SOFTWARE\\opendo\\Transfers"

static void read_limit(HKEY key, LPCWSTR name, uint32_t *limit)
{
    DWORD value = 0, size = sizeof value;
    if (key && RegQueryValueExW(key, name, NULL, NULL, (BYTE *)&value, &size) == ERROR_SUCCESS &&
        size == sizeof value && value)
        *limit = value;
}

void settings_apply_limits(jobs_t *jobs)
{
    jobs_limits_t limits = {JOBS_DEFAULT_MAX_JOBS_PER_USER, JOBS_DEFAULT_MAX_JOBS_PER_MACHINE,
                            JOBS_DEFAULT_MAX_FILES_PER_JOB, JOBS_DEFAULT_MAX_RANGES_PER_FILE};
    HKEY key = NULL;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, LIMITS_KEY, 0, KEY_READ, &key) != ERROR_SUCCESS)
        key = NULL;
    read_limit(key, L"MaxJobsPerUser", &limits.max_jobs_per_user);
    read_limit(key, L"MaxJobsPerMachine", &limits.max_jobs_per_machine);
    read_limit(key, L"MaxFilesPerJob", &limits.max_files_per_job);
    read_limit(key, L"MaxRangesPerFile", &limits.max_ranges_per_file);
    if (key)
        RegCloseKey(key);
    jobs_set_limits(jobs, &limits);
    log_service(LOG_INFO, "service.settings", "limits: %u jobs per user, %u per machine, %u files per job, "
              "%u ranges per file", limits.max_jobs_per_user, limits.max_jobs_per_machine,
              limits.max_files_per_job, limits.max_ranges_per_file);
}

/* One REG_DWORD of the Transfers key, or fallback when absent or 0. */
static uint32_t transfers_setting(LPCWSTR name, uint32_t fallback)
{
    uint32_t value = fallback;
    HKEY key = NULL;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, TRANSFERS_KEY, 0, KEY_READ, &key) != ERROR_SUCCESS)
        key = NULL;
    read_limit(key, name, &value);
    if (key)
        RegCloseKey(key);
    return value;
}

uint32_t settings_max_background_transfers(void)
{
    uint32_t max_background =
        transfers_setting(L"MaxBackgroundTransfers", DOSVC_DEFAULT_MAX_BACKGROUND_TRANSFERS);
    log_service(LOG_INFO, "service.settings", "transfers: at most %u background transfer(s) at a time",
              max_background);
    return max_background;
}

uint64_t settings_background_bandwidth(void)
{
    return (uint64_t)transfers_setting(L"MaxBackgroundDownloadBandwidth", 0) * 1024;
}
