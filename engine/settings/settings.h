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
    SETTING_COUNT
} setting_id_t;

typedef struct setting_info {
    const char *name;    /* the name /config shows */
    const char *key;     /* below HKLM: "SOFTWARE\\opendo\\Limits" */
    const char *value;   /* the registry value's name; NULL: the same as name */
    uint32_t default_value, min, max;
    const char *meaning; /* a short explanation with the unit */
} setting_info_t;

#define SETTING_PROVIDER_MAX 160

typedef struct settings {
    uint32_t value[SETTING_COUNT];
    char provider[SETTING_COUNT][SETTING_PROVIDER_MAX];
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
