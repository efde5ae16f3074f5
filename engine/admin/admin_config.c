/* doadmin /config: every effective setting in Get-DOConfig's form, "Name: value" and then
 * "NameProvider: where it came from" (Default, or the registry value that set it), the
 * settings of engine/settings first, then the fixed values an administrator also needs. */
#include "admin_internal.h"

static void setting(text_t *text, const char *name, const char *provider, const char *fmt,
                    unsigned long long value)
{
    text_printf(text, "%s: ", name);
    text_printf(text, fmt, value);
    text_printf(text, "\n%sProvider: %s\n", name, provider);
}

hr_t admin_config(const admin_sources_t *src, const caller_t *caller, char **report)
{
    hr_t hr = admin_check(caller, report);
    if (HR_FAILED(hr))
        return hr;
    text_t text = {0};
    static const char fixed[] = "Default (fixed in this version)";
    const settings_t *s = src->settings;
    for (int id = 0; id < SETTING_COUNT; id++) {
        const setting_info_t *info = setting_info(id);
        uint32_t value = settings_get(s, id);
        if (value == SETTING_NEVER && info->choice_count && info->choices[0] == SETTING_NEVER)
            text_printf(&text, "%s: -1 (never)\n%sProvider: %s\n", info->name, info->name, s->provider[id]);
        else
            setting(&text, info->name, s->provider[id], "%llu", value);
    }
    text_printf(&text, "DownloadModeInEffect: %s\n",
                settings_download_mode_text(settings_get(s, SETTING_DOWNLOAD_MODE)));
    text_printf(&text, "CacheHost: %s\nCacheHostProvider: %s\nCacheHostInEffect: %s\n", s->cache_host,
                s->cache_host_provider, *s->cache_host_note ? s->cache_host_note : "none");
    setting(&text, "DefaultMinRetryDelay", "Default (each job may set its own: /setminretrydelay)",
            "%llu", JOB_DEFAULT_MIN_RETRY_DELAY);
    setting(&text, "DefaultNoProgressTimeout", "Default (background jobs; each job may set its own: "
                                               "/setnoprogresstimeout)",
            "%llu", JOB_DEFAULT_NO_PROGRESS_TIMEOUT);
    setting(&text, "DefaultForegroundNoProgressTimeout", "Default (foreground jobs)", "%llu",
            JOB_FOREGROUND_NO_PROGRESS_TIMEOUT);
    setting(&text, "BitsDefaultNoProgressTimeout", "Default (BITS jobs, whatever the priority; each "
                                                   "job may set its own)", "%llu",
            BITS_DEFAULT_NO_PROGRESS_TIMEOUT);
    setting(&text, "JobMaxAgeDays", "Default (fixed in this version: DO jobs and downloads; BITS "
                                    "jobs follow BitsJobInactivityTimeout)", "%llu", JOB_MAX_AGE_DAYS);
    text_printf(&text, "DatabasePath: %s\nDatabasePathProvider: %s\n", src->db_path, fixed);
    text_printf(&text, "LogPath: %s\nLogPathProvider: %s\n", src->log_path, fixed);
    return admin_finish(HR_OK, &text, report);
}
