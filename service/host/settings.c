/* Administrator settings from the registry, read at start-up into dosvc_settings (the table of
 * engine/settings: defaults, ranges and providers): for each setting, the REG_DWORD
 * HKLM\<its key>\<its name>, e.g. HKLM\SOFTWARE\opendo\Limits\MaxJobsPerUser. A value of
 * another type or out of range is logged and the default stays. doadmin /config shows them. */
#include <stdio.h>

#include "dosvc.h"
#include "log.h"

settings_t dosvc_settings;

/* Offers the registry value of one setting, if there is one. */
static void read_setting(setting_id_t id)
{
    const setting_info_t *info = setting_info(id);
    WCHAR key[160], name[80];
    char provider[SETTING_PROVIDER_MAX];
    MultiByteToWideChar(CP_UTF8, 0, info->key, -1, key, ARRAYSIZE(key));
    MultiByteToWideChar(CP_UTF8, 0, setting_value_name(info), -1, name, ARRAYSIZE(name));
    snprintf(provider, sizeof provider, "Registry HKLM\\%s\\%s", info->key, setting_value_name(info));
    DWORD value = 0, size = sizeof value, type = 0;
    LSTATUS status = RegGetValueW(HKEY_LOCAL_MACHINE, key, name, RRF_RT_ANY, &type, &value, &size);
    if (status == ERROR_FILE_NOT_FOUND)
        return; /* not set: the default */
    if (status == ERROR_SUCCESS && type == REG_DWORD && size == sizeof value)
        settings_offer(&dosvc_settings, id, value, provider);
    else
        log_service(LOG_WARN, "service.settings", "%s is not a REG_DWORD (type %lu, %lu bytes): "
                    "the default %u is used", provider, type, size, info->default_value);
}

void settings_load(void)
{
    settings_init(&dosvc_settings);
    for (int id = 0; id < SETTING_COUNT; id++)
        read_setting(id);
    log_set_limits((uint64_t)settings_get(&dosvc_settings, SETTING_LOG_MAX_SIZE_KB) * 1024,
                   settings_get(&dosvc_settings, SETTING_LOG_MAX_FILES));
}

/* One limit set from its four settings (in jobs_limits_t's order). */
static void apply_limit_set(jobs_t *jobs, jobs_limit_set_t set, setting_id_t first, const char *whose)
{
    jobs_limits_t limits = {settings_get(&dosvc_settings, first),
                            settings_get(&dosvc_settings, first + 1),
                            settings_get(&dosvc_settings, first + 2),
                            settings_get(&dosvc_settings, first + 3)};
    jobs_set_kind_limits(jobs, set, &limits);
    log_service(LOG_INFO, "service.settings", "%slimits: %u jobs per user, %u per machine, %u files "
                "per job, %u ranges per file", whose, limits.max_jobs_per_user,
                limits.max_jobs_per_machine, limits.max_files_per_job, limits.max_ranges_per_file);
}

void settings_apply_limits(jobs_t *jobs)
{
    apply_limit_set(jobs, JOBS_LIMITS_DO, SETTING_MAX_JOBS_PER_USER, "");
    apply_limit_set(jobs, JOBS_LIMITS_BITS, SETTING_BITS_MAX_JOBS_PER_USER,
                    "BITS jobs (administrators and service accounts exempt): ");
}

uint32_t settings_bits_job_inactivity_days(void)
{
    return settings_get(&dosvc_settings, SETTING_BITS_JOB_INACTIVITY_TIMEOUT);
}

uint32_t settings_max_background_transfers(void)
{
    uint32_t max_background = settings_get(&dosvc_settings, SETTING_MAX_BACKGROUND_TRANSFERS);
    log_service(LOG_INFO, "service.settings", "transfers: at most %u background transfer(s) at a time",
                max_background);
    return max_background;
}

uint64_t settings_background_bandwidth(void)
{
    return (uint64_t)settings_get(&dosvc_settings, SETTING_MAX_BACKGROUND_BANDWIDTH) * 1024;
}
