/* The service's settings: each with its default, its allowed range, its effective value and
 * where that value came from ("Default", or the registry value that set it), which doadmin
 * /config shows in Get-DOConfig's form (Name: value, NameProvider: ...). The platform reads its
 * sources (the Windows service: HKLM\SOFTWARE\opendo\<key>\<name>, REG_DWORD) and offers each
 * value it finds; a value out of range is refused: logged once, and the default stays. */
#ifndef OPENDO_SETTINGS_H
#define OPENDO_SETTINGS_H

#include <stdint.h>

typedef enum setting_id {
    SETTING_MAX_JOBS_PER_USER,
    SETTING_MAX_JOBS_PER_MACHINE,
    SETTING_MAX_FILES_PER_JOB,
    SETTING_MAX_RANGES_PER_FILE,
    SETTING_MAX_BACKGROUND_TRANSFERS,
    SETTING_MAX_BACKGROUND_BANDWIDTH, /* KiB/s, 0: no cap */
    SETTING_LOG_MAX_SIZE_KB,
    SETTING_LOG_MAX_FILES,
    /* the BITS policies (HKLM\Software\Policies\Microsoft\Windows\BITS): the BITS classes' jobs */
    SETTING_BITS_JOB_INACTIVITY_TIMEOUT, /* days */
    SETTING_BITS_MAX_JOBS_PER_USER,
    SETTING_BITS_MAX_JOBS_PER_MACHINE,
    SETTING_BITS_MAX_FILES_PER_JOB,
    SETTING_BITS_MAX_RANGES_PER_FILE,
    /* Delivery Optimization's policies (HKLM\SOFTWARE\Policies\Microsoft\Windows\
     * DeliveryOptimization, docs/fleet.md); DOCacheHost, a text, is settings_t.cache_host */
    SETTING_DOWNLOAD_MODE,            /* 0, 1, 2, 3, 99, 100: peers are never used (like 99) */
    SETTING_CACHE_HOST_SOURCE,        /* 0: DOCacheHost; 1, 2: DHCP option 235 first */
    SETTING_CACHE_FALLBACK_FOREGROUND, /* seconds; SETTING_NEVER (-1): never fall back */
    SETTING_CACHE_FALLBACK_BACKGROUND,
    SETTING_NO_CACHE_ON_VPN,          /* 1: no cache host while a VPN is up */
    SETTING_MAX_FOREGROUND_BANDWIDTH_POLICY, /* KiB/s, 0: no cap */
    SETTING_MAX_BACKGROUND_BANDWIDTH_POLICY, /* KiB/s, 0: no cap (with MaxBackgroundDownloadBandwidth: the lower) */
    SETTING_ALLOW_JOB_CERTIFICATE_ERRORS, /* 1: a job's BG_SSL_IGNORE_* flags are honoured; 0: never */
    SETTING_COUNT
} setting_id_t;

typedef struct setting_info {
    const char *name;    /* the name /config shows */
    const char *key;     /* below HKLM: "SOFTWARE\\opendo\\Limits" */
    const char *value;   /* the registry value's name; NULL: the same as name */
    uint32_t default_value, min, max;
    const char *meaning; /* a short explanation with the unit */
    /* Values accepted besides min..max (e.g. DODownloadMode's 99 and 100, -1 for "never"). */
    uint32_t choices[2];
    uint32_t choice_count;
} setting_info_t;

#define SETTING_NEVER UINT32_MAX /* a REG_DWORD of -1 */

/* DODownloadMode's values, and what each means here. */
#define DOWNLOAD_MODE_SIMPLE 99
#define DOWNLOAD_MODE_BYPASS 100
/* "99 (Simple: HTTP and cache hosts, no peers)", "1 (LAN: no peers are used, as 99)", ... */
const char *settings_download_mode_text(uint32_t mode);

#define SETTING_PROVIDER_MAX 160

#define SETTING_TEXT_MAX 1024
#define SETTING_NOTE_MAX 400

typedef struct settings {
    uint32_t value[SETTING_COUNT];
    char provider[SETTING_COUNT][SETTING_PROVIDER_MAX];
    char cache_host[SETTING_TEXT_MAX];           /* DOCacheHost as set ("" when not) */
    char cache_host_provider[SETTING_PROVIDER_MAX];
    char vpn_keywords[SETTING_TEXT_MAX];         /* DOVpnKeywords: more words that name a VPN adapter */
    /* What the service made of the cache-host policies: the hosts in use and why (DHCP option
     * 235 unreadable, a VPN, entries refused); /config and /status show it. */
    char cache_host_note[SETTING_NOTE_MAX];
} settings_t;

const setting_info_t *setting_info(setting_id_t id);
/* The registry value's name of a setting. */
const char *setting_value_name(const setting_info_t *info);
/* Every setting at its default ("Default"). */
void settings_init(settings_t *settings);
/* A value found for a setting: taken when within range (provider records where it came from),
 * else logged (WARN, service.settings) and the current value kept. Returns 0 when taken. */
int settings_offer(settings_t *settings, setting_id_t id, uint64_t value, const char *provider);
uint32_t settings_get(const settings_t *settings, setting_id_t id);

#endif
