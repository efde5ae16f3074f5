/* Administrator settings and Delivery Optimization's policies from the registry, into a
 * settings_t (the table of engine/settings: defaults, ranges and providers): for each setting
 * the REG_DWORD HKLM\<its key>\<its name>, e.g. HKLM\SOFTWARE\opendo\Limits\MaxJobsPerUser, and
 * the texts DOCacheHost and DOVpnKeywords. A value of another type or out of range is logged and
 * the default stays. Read at start-up and again whenever one of the keys changes (a watcher
 * thread): what can change while the service runs (limits, bandwidth caps, cache hosts, log
 * limits) is applied at once. doadmin /config shows them. */
#include <stdio.h>

#include "dosvc.h"
#include "log.h"

#define DO_POLICY_KEY L"SOFTWARE\\Policies\\Microsoft\\Windows\\DeliveryOptimization"
#define DO_POLICY_KEY_UTF8 "SOFTWARE\\Policies\\Microsoft\\Windows\\DeliveryOptimization"
#define OPENDO_KEY L"SOFTWARE\\opendo"

/* The settings in force. Readers (doadmin's reports through dosvc_admin_sources) may hold the
 * pointer while a reload publishes a new copy, so a replaced copy is kept until the service
 * stops (changes of policy are rare). */
typedef struct settings_copy {
    settings_t settings;
    cache_policy_t cache_policy; /* what the cache-host policies come to (service/host/policies.c) */
    struct settings_copy *older;
} settings_copy_t;
static settings_copy_t initial, *current;
static CRITICAL_SECTION reload_lock;

static const settings_t *settings(void)
{
    return &current->settings;
}

/* Offers the registry value of one setting, if there is one. */
static void read_setting(settings_t *s, setting_id_t id)
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
        settings_offer(s, id, value, provider);
    else
        log_service(LOG_WARN, "service.settings", "%s is not a REG_DWORD (type %lu, %lu bytes): "
                    "the default %u is used", provider, type, size, info->default_value);
}

/* A REG_SZ policy text into out (UTF-8); provider set when it is there. */
static void read_policy_text(const WCHAR *name, char *out, size_t size, char *provider)
{
    WCHAR value[SETTING_TEXT_MAX];
    DWORD bytes = sizeof value;
    LSTATUS status = RegGetValueW(HKEY_LOCAL_MACHINE, DO_POLICY_KEY, name, RRF_RT_REG_SZ, NULL, value, &bytes);
    if (status == ERROR_FILE_NOT_FOUND)
        return;
    if (status != ERROR_SUCCESS ||
        !WideCharToMultiByte(CP_UTF8, 0, value, -1, out, (int)size, NULL, NULL)) {
        out[0] = '\0';
        log_service(LOG_WARN, "service.settings", "HKLM\\%s\\%ls is not a text of at most %d characters "
                    "(error %ld): not used", DO_POLICY_KEY_UTF8, name, SETTING_TEXT_MAX - 1, (long)status);
        return;
    }
    if (provider)
        snprintf(provider, SETTING_PROVIDER_MAX, "Registry HKLM\\%s\\%ls", DO_POLICY_KEY_UTF8, name);
}

/* Reads every setting into a new copy, the one in force from now on (published to doadmin's
 * reports by publish, once it is applied). */
static void load(void)
{
    settings_copy_t *copy = current ? calloc(1, sizeof *copy) : &initial;
    if (!copy) {
        log_service(LOG_ERROR, "service.settings", "out of memory reading the settings: the ones in force stay");
        return;
    }
    settings_t *s = &copy->settings;
    settings_init(s);
    for (int id = 0; id < SETTING_COUNT; id++)
        read_setting(s, id);
    read_policy_text(L"DOCacheHost", s->cache_host, sizeof s->cache_host, s->cache_host_provider);
    read_policy_text(L"DOVpnKeywords", s->vpn_keywords, sizeof s->vpn_keywords, NULL);
    policies_cache_policy(s, &copy->cache_policy);
    copy->older = current;
    current = copy;
    log_set_limits((uint64_t)settings_get(s, SETTING_LOG_MAX_SIZE_KB) * 1024,
                   settings_get(s, SETTING_LOG_MAX_FILES));
}

/* Shows the settings in force to doadmin's reports: after they are applied, so that what /config
 * shows is what /perfsnap and the transfers already use. */
static void publish(void)
{
    dosvc_admin_sources.settings = &current->settings;
}

/* One limit set from its four settings (in jobs_limits_t's order). */
static void apply_limit_set(jobs_t *jobs, jobs_limit_set_t set, setting_id_t first, const char *whose)
{
    jobs_limits_t limits = {settings_get(settings(), first),
                            settings_get(settings(), first + 1),
                            settings_get(settings(), first + 2),
                            settings_get(settings(), first + 3)};
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

/* The lower of two caps in KiB/s (0: none), in bytes/s. */
static uint64_t lower_cap(uint32_t a_kib, uint32_t b_kib)
{
    uint32_t kib = !a_kib ? b_kib : !b_kib ? a_kib : a_kib < b_kib ? a_kib : b_kib;
    return (uint64_t)kib * 1024;
}

/* The bandwidth caps, the cache hosts and whether jobs may ignore certificate errors (after
 * jobs_enable_transfers, and on every change). */
void settings_apply_transfers(jobs_t *jobs)
{
    const settings_t *s = settings();
    jobs_set_bandwidth(jobs, TRANSFER_CAP_BACKGROUND,
                       lower_cap(settings_get(s, SETTING_MAX_BACKGROUND_BANDWIDTH),
                                 settings_get(s, SETTING_MAX_BACKGROUND_BANDWIDTH_POLICY)));
    jobs_set_bandwidth(jobs, TRANSFER_CAP_FOREGROUND,
                       lower_cap(settings_get(s, SETTING_MAX_FOREGROUND_BANDWIDTH_POLICY), 0));
    jobs_set_cache_policy(jobs, &current->cache_policy);
    jobs_allow_certificate_errors(jobs, (int)settings_get(s, SETTING_ALLOW_JOB_CERTIFICATE_ERRORS));
    log_service(LOG_INFO, "service.settings", "cache hosts: %s; download mode %s", s->cache_host_note,
                settings_download_mode_text(settings_get(s, SETTING_DOWNLOAD_MODE)));
}

uint32_t settings_bits_job_inactivity_days(void)
{
    return settings_get(settings(), SETTING_BITS_JOB_INACTIVITY_TIMEOUT);
}

uint32_t settings_max_background_transfers(void)
{
    uint32_t max_background = settings_get(settings(), SETTING_MAX_BACKGROUND_TRANSFERS);
    log_service(LOG_INFO, "service.settings", "transfers: at most %u background transfer(s) at a time",
                max_background);
    return max_background;
}

/* ---- the watcher: re-reads and re-applies when a key changes -------------------------------- */

static HKEY watched[2];     /* the policy key and opendo's own key (NULL: cannot be watched) */
static HANDLE changed;      /* signalled at a change under either (auto-reset) */
static HANDLE watch_thread, watch_stop;

/* Opens (creating when missing, as Windows has them) a key to watch; NULL on failure. */
static HKEY watched_key(const WCHAR *path)
{
    HKEY key = NULL;
    LSTATUS rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, KEY_NOTIFY | KEY_READ, NULL, &key, NULL);
    if (rc != ERROR_SUCCESS) {
        log_service(LOG_WARN, "service.settings", "cannot watch HKLM\\%ls (error %ld): a change there takes "
                    "effect at the next start", path, (long)rc);
        return NULL;
    }
    return key;
}

/* Asks for one signal of `changed` at the next change under either key. A notification fires
 * once, so it is asked for again before every read: no change goes unseen. */
static void arm(void)
{
    for (int i = 0; i < 2; i++)
        if (watched[i] && changed)
            RegNotifyChangeKeyValue(watched[i], TRUE, REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET,
                                    changed, TRUE);
}

/* At start-up: the keys are watched from before the first read, so that a change made while the
 * service starts is read by the watcher as soon as it runs. */
void settings_load(void)
{
    InitializeCriticalSection(&reload_lock);
    watched[0] = watched_key(DO_POLICY_KEY);
    watched[1] = watched_key(OPENDO_KEY);
    changed = CreateEventW(NULL, FALSE, FALSE, NULL);
    arm();
    load();
    publish();
}

static DWORD WINAPI watch(void *arg)
{
    jobs_t *jobs = arg;
    HANDLE waits[2] = {watch_stop, changed};
    while (WaitForMultipleObjects(2, waits, FALSE, INFINITE) == WAIT_OBJECT_0 + 1) {
        arm(); /* a change made while this one is read is read again after it */
        Sleep(200); /* a policy tool writes several values: read them together */
        EnterCriticalSection(&reload_lock);
        log_service(LOG_INFO, "service.settings", "settings or policies changed: read again");
        load();
        settings_apply_limits(jobs);
        settings_apply_transfers(jobs);
        publish();
        LeaveCriticalSection(&reload_lock);
    }
    return 0;
}

void settings_watch_start(jobs_t *jobs)
{
    watch_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    watch_thread = watch_stop && changed ? CreateThread(NULL, 0, watch, jobs, 0, NULL) : NULL;
    if (!watch_thread)
        log_service(LOG_WARN, "service.settings", "cannot watch the settings (error %lu): a change takes "
                    "effect at the next start", GetLastError());
}

void settings_watch_stop(void)
{
    if (watch_thread) {
        SetEvent(watch_stop);
        WaitForSingleObject(watch_thread, INFINITE);
        CloseHandle(watch_thread);
        watch_thread = NULL;
    }
    if (watch_stop)
        CloseHandle(watch_stop);
    watch_stop = NULL;
    for (int i = 0; i < 2; i++) {
        if (watched[i])
            RegCloseKey(watched[i]);
        watched[i] = NULL;
    }
    if (changed)
        CloseHandle(changed);
    changed = NULL;
}
