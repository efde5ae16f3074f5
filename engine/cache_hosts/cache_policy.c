/* DOCacheHost's value: a comma list of host[:port], each checked with libcurl's URL parser (a
 * host name, an IPv4 address or a bracketed IPv6 literal, an optional port 1..65535, nothing
 * else). */
#include "cache_hosts.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

/* Is entry exactly "host" or "host:port", as libcurl reads it in http://entry/ ? */
static int host_entry_valid(const char *entry)
{
    char url[CACHE_HOST_NAME_MAX + 16];
    snprintf(url, sizeof url, "http://%s/", entry);
    CURLU *u = curl_url();
    char *user = NULL, *query = NULL, *path = NULL, *port = NULL;
    int ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER &&
             curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_NO_QUERY &&
             curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && strcmp(path, "/") == 0;
    if (ok && curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
        ok = strcmp(port, "0") != 0; /* curl refuses ports above 65535 itself */
    curl_free(user);
    curl_free(query);
    curl_free(path);
    curl_free(port);
    curl_url_cleanup(u);
    return ok;
}

static void note_bad(char *bad, size_t bad_size, const char *entry)
{
    size_t used = strlen(bad);
    if (used + 1 < bad_size)
        snprintf(bad + used, bad_size - used, "%s\"%s\"", used ? ", " : "", entry);
}

size_t cache_policy_parse_hosts(cache_policy_t *policy, const char *value, char *bad, size_t bad_size)
{
    policy->host_count = 0;
    if (bad_size)
        bad[0] = '\0';
    const char *p = value ? value : "";
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *start = p, *end = p + len;
        while (start < end && (*start == ' ' || *start == '\t'))
            start++;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        char entry[CACHE_HOST_NAME_MAX];
        size_t n = (size_t)(end - start);
        if (n) {
            snprintf(entry, sizeof entry, "%.*s", (int)(n < sizeof entry ? n : sizeof entry - 1), start);
            if (n >= sizeof entry || !host_entry_valid(entry))
                note_bad(bad, bad_size, entry);
            else if (policy->host_count == CACHE_HOSTS_MAX)
                note_bad(bad, bad_size, entry); /* more than CACHE_HOSTS_MAX */
            else
                snprintf(policy->hosts[policy->host_count++], CACHE_HOST_NAME_MAX, "%s", entry);
        }
        p += len + (p[len] == ',');
    }
    return policy->host_count;
}
