#include "settings.h"

#include <stdio.h>
#include <string.h>

#include "jobs.h"
#include "log.h"

#define LIMITS_KEY "SOFTWARE\\opendo\\Limits"
#define TRANSFERS_KEY "SOFTWARE\\opendo\\Transfers"
#define LOG_KEY "SOFTWARE\\opendo\\Log"
#define SECURITY_KEY "SOFTWARE\\opendo\\Security"
#define BITS_POLICY_KEY "SOFTWARE\\Policies\\Microsoft\\Windows\\BITS"
#define DO_POLICY_KEY "SOFTWARE\\Policies\\Microsoft\\Windows\\DeliveryOptimization"
#define DELAY_MAX_S 2592000u /* 30 days, the documented range of the fallback delays */

static const setting_info_t infos[SETTING_COUNT] = {
    [SETTING_MAX_JOBS_PER_USER] = {"MaxJobsPerUser", LIMITS_KEY, NULL, JOBS_DEFAULT_MAX_JOBS_PER_USER, 1,
                                   UINT32_MAX, "jobs one user may have"},
    [SETTING_MAX_JOBS_PER_MACHINE] = {"MaxJobsPerMachine", LIMITS_KEY, NULL, JOBS_DEFAULT_MAX_JOBS_PER_MACHINE,
                                      1, UINT32_MAX, "jobs on this machine"},
    [SETTING_MAX_FILES_PER_JOB] = {"MaxFilesPerJob", LIMITS_KEY, NULL, JOBS_DEFAULT_MAX_FILES_PER_JOB, 1,
                                   UINT32_MAX, "files in one job"},
    [SETTING_MAX_RANGES_PER_FILE] = {"MaxRangesPerFile", LIMITS_KEY, NULL, JOBS_DEFAULT_MAX_RANGES_PER_FILE,
                                     1, UINT32_MAX, "ranges of one file"},
    [SETTING_MAX_BACKGROUND_TRANSFERS] = {"MaxBackgroundTransfers", TRANSFERS_KEY, NULL, 4, 1, 1000,
                                          "background jobs that download at once"},
    [SETTING_MAX_BACKGROUND_BANDWIDTH] = {"MaxBackgroundDownloadBandwidth", TRANSFERS_KEY, NULL, 0, 0,
                                          UINT32_MAX / 1024,
                                          "KiB/s for all background jobs together; 0: no cap"},
    [SETTING_LOG_MAX_SIZE_KB] = {"MaxLogSizeKB", LOG_KEY, NULL, LOG_DEFAULT_MAX_BYTES / 1024,
                                 LOG_MIN_MAX_BYTES / 1024, 1024 * 1024,
                                 "KiB of dosvc.log before it is rotated"},
    [SETTING_LOG_MAX_FILES] = {"MaxLogFiles", LOG_KEY, NULL, LOG_DEFAULT_MAX_FILES, 0, LOG_MAX_MAX_FILES,
                               "rotated log files kept (dosvc.log.1 ...)"},
    /* BITS's policies, for the jobs of the BITS classes only (docs/bits.md): their names in
     * /config say so, the registry values keep BITS's names. Administrators and service
     * accounts are exempt from the four limits, as with BITS. */
    [SETTING_BITS_JOB_INACTIVITY_TIMEOUT] = {"BitsJobInactivityTimeout", BITS_POLICY_KEY,
                                             "JobInactivityTimeout", BITS_DEFAULT_JOB_INACTIVITY_DAYS,
                                             1, 999, "days a BITS job may stay unchanged before it "
                                             "is cancelled"},
    [SETTING_BITS_MAX_JOBS_PER_USER] = {"BitsMaxJobsPerUser", BITS_POLICY_KEY, "MaxJobsPerUser",
                                        BITS_DEFAULT_MAX_JOBS_PER_USER, 0, UINT32_MAX,
                                        "BITS jobs one user may have"},
    [SETTING_BITS_MAX_JOBS_PER_MACHINE] = {"BitsMaxJobsPerMachine", BITS_POLICY_KEY, "MaxJobsPerMachine",
                                           BITS_DEFAULT_MAX_JOBS_PER_MACHINE, 0, UINT32_MAX,
                                           "BITS jobs on this machine"},
    [SETTING_BITS_MAX_FILES_PER_JOB] = {"BitsMaxFilesPerJob", BITS_POLICY_KEY, "MaxFilesPerJob",
                                        BITS_DEFAULT_MAX_FILES_PER_JOB, 0, UINT32_MAX,
                                        "files in one BITS job"},
    [SETTING_BITS_MAX_RANGES_PER_FILE] = {"BitsMaxRangesPerFile", BITS_POLICY_KEY, "MaxRangesPerFile",
                                          BITS_DEFAULT_MAX_RANGES_PER_FILE, 0, UINT32_MAX,
                                          "ranges of one file of a BITS job"},
    /* Delivery Optimization's policies: /config shows Get-DOConfig's names, the registry values
     * keep the policies' DO-prefixed names. */
    [SETTING_DOWNLOAD_MODE] = {"DownloadMode", DO_POLICY_KEY, "DODownloadMode", DOWNLOAD_MODE_SIMPLE, 0, 3,
                               "0 HTTP only, 1 LAN, 2 Group, 3 Internet, 99 Simple, 100 Bypass; "
                               "opendo never uses peers: every mode downloads like 99",
                               {DOWNLOAD_MODE_SIMPLE, DOWNLOAD_MODE_BYPASS}, 2},
    [SETTING_CACHE_HOST_SOURCE] = {"CacheHostSource", DO_POLICY_KEY, "DOCacheHostSource", 0, 0, 2,
                                   "0 DOCacheHost, 1 DHCP option 235 then DOCacheHost, 2 DHCP option "
                                   "235 before DOCacheHost"},
    [SETTING_CACHE_FALLBACK_FOREGROUND] = {"DelayCacheServerFallbackForeground", DO_POLICY_KEY,
                                           "DODelayCacheServerFallbackForeground", 0, 0, DELAY_MAX_S,
                                           "seconds a foreground job stays on the cache hosts before "
                                           "the origin; 0: at the first failure; -1: never",
                                           {SETTING_NEVER}, 1},
    [SETTING_CACHE_FALLBACK_BACKGROUND] = {"DelayCacheServerFallbackBackground", DO_POLICY_KEY,
                                           "DODelayCacheServerFallbackBackground", 0, 0, DELAY_MAX_S,
                                           "seconds a background job stays on the cache hosts before "
                                           "the origin; 0: at the first failure; -1: never",
                                           {SETTING_NEVER}, 1},
    [SETTING_NO_CACHE_ON_VPN] = {"DisallowCacheServerDownloadsOnVPN", DO_POLICY_KEY,
                                 "DODisallowCacheServerDownloadsOnVPN", 0, 0, 1,
                                 "1: no cache host while a VPN connection is up"},
    [SETTING_MAX_FOREGROUND_BANDWIDTH_POLICY] = {"MaxForegroundDownloadBandwidth", DO_POLICY_KEY,
                                                 "DOMaxForegroundDownloadBandwidth", 0, 0, UINT32_MAX / 1024,
                                                 "KiB/s for all foreground jobs together; 0: no cap"},
    [SETTING_MAX_BACKGROUND_BANDWIDTH_POLICY] = {"MaxBackgroundDownloadBandwidthPolicy", DO_POLICY_KEY,
                                                 "DOMaxBackgroundDownloadBandwidth", 0, 0, UINT32_MAX / 1024,
                                                 "KiB/s for all background jobs together; 0: no cap; with "
                                                 "MaxBackgroundDownloadBandwidth the lower cap applies"},
    [SETTING_ALLOW_JOB_CERTIFICATE_ERRORS] = {"AllowJobCertificateErrors", SECURITY_KEY, NULL, 1, 0, 1,
                                              "1: a job's BG_SSL_IGNORE_* security flags are honoured (each "
                                              "use is logged); 0: every certificate is checked in full"},
};

const setting_info_t *setting_info(setting_id_t id)
{
    return (unsigned)id < SETTING_COUNT ? &infos[id] : NULL;
}

const char *setting_value_name(const setting_info_t *info)
{
    return info->value ? info->value : info->name;
}

const char *settings_download_mode_text(uint32_t mode)
{
    switch (mode) {
    case 0: return "0 (HTTP only: the origin and cache hosts)";
    case 1: return "1 (LAN: no peers are used by opendo, it downloads as in 99)";
    case 2: return "2 (Group: no peers are used by opendo, it downloads as in 99)";
    case 3: return "3 (Internet: no peers are used by opendo, it downloads as in 99)";
    case DOWNLOAD_MODE_SIMPLE: return "99 (Simple: the origin and cache hosts, no peers)";
    case DOWNLOAD_MODE_BYPASS: return "100 (Bypass: deprecated, downloads as in 99)";
    default: return "?";
    }
}

static int accepted(const setting_info_t *info, uint64_t value)
{
    for (uint32_t i = 0; i < info->choice_count; i++)
        if (value == info->choices[i])
            return 1;
    return value >= info->min && value <= info->max;
}

void settings_init(settings_t *settings)
{
    memset(settings, 0, sizeof *settings);
    snprintf(settings->cache_host_provider, SETTING_PROVIDER_MAX, "Default");
    for (int id = 0; id < SETTING_COUNT; id++) {
        settings->value[id] = infos[id].default_value;
        snprintf(settings->provider[id], SETTING_PROVIDER_MAX, "Default");
    }
}

int settings_offer(settings_t *settings, setting_id_t id, uint64_t value, const char *provider)
{
    const setting_info_t *info = setting_info(id);
    if (!info)
        return -1;
    if (!accepted(info, value)) {
        log_service(LOG_WARN, "service.settings",
                    "%s = %llu (%s) is out of range %u..%u%s: %u is used", info->name,
                    (unsigned long long)value, provider, info->min, info->max,
                    info->choice_count ? " (or one of the values it names)" : "", settings->value[id]);
        return -1;
    }
    settings->value[id] = (uint32_t)value;
    snprintf(settings->provider[id], SETTING_PROVIDER_MAX, "%s", provider);
    return 0;
}

uint32_t settings_get(const settings_t *settings, setting_id_t id)
{
    return (unsigned)id < SETTING_COUNT ? settings->value[id] : 0;
}
