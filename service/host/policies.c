/* Delivery Optimization's cache-host policies as the service applies them (docs/fleet.md):
 * where the cache hosts come from (DOCacheHost, DHCP option 235 per DOCacheHostSource), whether a
 * VPN switches them off (DODisallowCacheServerDownloadsOnVPN, DOVpnKeywords). Computed at each
 * settings load (service/host/settings.c: at start-up and when a policy changes). */
#include <winsock2.h>
#include <iphlpapi.h>
#include <dhcpcsdk.h>
#include <stdio.h>
#include <string.h>

#include "dosvc.h"
#include "log.h"

#define DHCP_OPTION_CACHE_HOST 235
#define VPN_KEYWORDS_MAX 512

/* Case-insensitive: does text contain word? */
static int contains_word(const WCHAR *text, const WCHAR *word)
{
    size_t n = wcslen(word);
    for (; text && *text; text++)
        if (n && _wcsnicmp(text, word, n) == 0)
            return 1;
    return 0;
}

/* The adapters that are up (NULL when none can be listed); free() the result. */
static IP_ADAPTER_ADDRESSES *adapters_up(void)
{
    ULONG size = 16 * 1024;
    for (int attempt = 0; attempt < 3; attempt++) {
        IP_ADAPTER_ADDRESSES *list = malloc(size);
        if (!list)
            return NULL;
        ULONG rc = GetAdaptersAddresses(AF_UNSPEC, GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST |
                                       GAA_FLAG_SKIP_DNS_SERVER, NULL, list, &size);
        if (rc == ERROR_SUCCESS)
            return list;
        free(list);
        if (rc != ERROR_BUFFER_OVERFLOW)
            return NULL;
    }
    return NULL;
}

/* A VPN adapter of list is up: its description or name holds "VPN", "Secure", "Virtual Private
 * Network" or one of DOVpnKeywords (comma list). *which names it. */
static int vpn_is_up(const IP_ADAPTER_ADDRESSES *list, const char *extra_keywords, char *which, size_t size)
{
    WCHAR words[VPN_KEYWORDS_MAX] = L"VPN,Secure,Virtual Private Network";
    if (extra_keywords && *extra_keywords) {
        size_t used = wcslen(words);
        words[used++] = L',';
        MultiByteToWideChar(CP_UTF8, 0, extra_keywords, -1, words + used, (int)(VPN_KEYWORDS_MAX - used));
        words[VPN_KEYWORDS_MAX - 1] = 0;
    }
    int found = 0;
    for (const IP_ADAPTER_ADDRESSES *a = list; a && !found; a = a->Next) {
        if (a->OperStatus != IfOperStatusUp || a->IfType == IF_TYPE_SOFTWARE_LOOPBACK)
            continue;
        WCHAR copy[VPN_KEYWORDS_MAX];
        wcscpy(copy, words);
        for (WCHAR *w = copy; w && !found;) {
            WCHAR *comma = wcschr(w, L',');
            if (comma)
                *comma = 0;
            found = *w && (contains_word(a->Description, w) || contains_word(a->FriendlyName, w));
            w = comma ? comma + 1 : NULL;
        }
        if (found)
            snprintf(which, size, "%ls", a->FriendlyName ? a->FriendlyName : L"?");
    }
    return found;
}

/* DHCP option 235 (a text: a comma list of cache hosts) of the first adapter of list that is up
 * and not loopback, into out; 0 when read, else *why says what was missing. */
static int dhcp_cache_host(const IP_ADAPTER_ADDRESSES *list, char *out, size_t size, char *why, size_t why_size)
{
    const IP_ADAPTER_ADDRESSES *a = list;
    while (a && (a->OperStatus != IfOperStatusUp || a->IfType == IF_TYPE_SOFTWARE_LOOPBACK))
        a = a->Next;
    if (!a) {
        snprintf(why, why_size, "no network adapter is up");
        return -1;
    }
    WCHAR adapter[MAX_ADAPTER_NAME_LENGTH + 4];
    MultiByteToWideChar(CP_ACP, 0, a->AdapterName, -1, adapter, ARRAYSIZE(adapter));
    BYTE buffer[1024];
    DWORD bytes = sizeof buffer;
    DHCPCAPI_PARAMS option = {0, DHCP_OPTION_CACHE_HOST, FALSE, NULL, 0};
    DHCPCAPI_PARAMS_ARRAY send = {0, NULL}, receive = {1, &option};
    DWORD rc = DhcpRequestParams(DHCPCAPI_REQUEST_SYNCHRONOUS, NULL, adapter, NULL, send, receive,
                                 buffer, &bytes, NULL);
    int ok = rc == ERROR_SUCCESS && option.nBytesData && option.Data;
    if (ok) {
        size_t n = option.nBytesData < size - 1 ? option.nBytesData : size - 1;
        memcpy(out, option.Data, n);
        out[n] = '\0';
        while (n && out[n - 1] == '\0') /* a trailing NUL is not part of the text */
            out[--n] = '\0';
        ok = n > 0;
    }
    if (!ok)
        snprintf(why, why_size, "DHCP option 235 cannot be read on adapter %ls (%s)",
                 a->FriendlyName ? a->FriendlyName : L"?",
                 rc == ERROR_SUCCESS ? "the lease has no such option" : "DhcpRequestParams failed");
    return ok ? 0 : -1;
}

/* The hosts' text per DOCacheHostSource: 0 DOCacheHost; 1 DOCacheHost, else option 235;
 * 2 option 235, else DOCacheHost. note says where they came from. */
static const char *cache_host_text(const settings_t *s, const IP_ADAPTER_ADDRESSES *adapters, char *dhcp,
                                   size_t dhcp_size, char *note, size_t note_size)
{
    uint32_t source = settings_get(s, SETTING_CACHE_HOST_SOURCE);
    const char *configured = s->cache_host;
    if (source == 0 || (source == 1 && *configured)) {
        snprintf(note, note_size, "%s", *configured ? "from DOCacheHost" : "no cache host configured (DOCacheHost)");
        return configured;
    }
    char why[200];
    if (dhcp_cache_host(adapters, dhcp, dhcp_size, why, sizeof why) == 0) {
        snprintf(note, note_size, "from DHCP option 235 (DOCacheHostSource %u)", source);
        return dhcp;
    }
    snprintf(note, note_size, "%s: %s (DOCacheHostSource %u)", why,
             *configured ? "DOCacheHost is used instead" : "and DOCacheHost is not set: no cache host", source);
    return configured;
}

void policies_cache_policy(settings_t *s, cache_policy_t *policy)
{
    memset(policy, 0, sizeof *policy);
    char dhcp[SETTING_TEXT_MAX] = "", note[SETTING_NOTE_MAX], bad[300], vpn[128];
    /* One list for DHCP option 235 and the VPN check, only when a policy needs it. */
    int needed = settings_get(s, SETTING_CACHE_HOST_SOURCE) != 0 || settings_get(s, SETTING_NO_CACHE_ON_VPN);
    IP_ADAPTER_ADDRESSES *adapters = needed ? adapters_up() : NULL;
    const char *text = cache_host_text(s, adapters, dhcp, sizeof dhcp, note, sizeof note);
    cache_policy_parse_hosts(policy, text, bad, sizeof bad);
    if (*bad)
        log_service(LOG_WARN, "service.settings", "cache hosts: %s not taken (not host[:port], or more than %d "
                    "hosts)", bad, CACHE_HOSTS_MAX);
    policy->delay_foreground_s = settings_get(s, SETTING_CACHE_FALLBACK_FOREGROUND);
    policy->delay_background_s = settings_get(s, SETTING_CACHE_FALLBACK_BACKGROUND);
    if (policy->host_count && settings_get(s, SETTING_NO_CACHE_ON_VPN) &&
        vpn_is_up(adapters, s->vpn_keywords, vpn, sizeof vpn)) {
        snprintf(policy->disabled_why, sizeof policy->disabled_why, "the VPN adapter \"%s\" is up and "
                 "DODisallowCacheServerDownloadsOnVPN is 1", vpn);
        policy->host_count = 0;
    }
    free(adapters);
    char hosts[CACHE_HOSTS_MAX * CACHE_HOST_NAME_MAX] = "";
    for (size_t i = 0; i < policy->host_count; i++)
        snprintf(hosts + strlen(hosts), sizeof hosts - strlen(hosts), "%s%s", i ? "," : "", policy->hosts[i]);
    if (policy->host_count)
        snprintf(s->cache_host_note, SETTING_NOTE_MAX, "in use: %s (%s)", hosts, note);
    else if (*policy->disabled_why)
        snprintf(s->cache_host_note, SETTING_NOTE_MAX, "none in use: %s (%s)", policy->disabled_why, note);
    else
        snprintf(s->cache_host_note, SETTING_NOTE_MAX, "none in use (%s)", note);
}
