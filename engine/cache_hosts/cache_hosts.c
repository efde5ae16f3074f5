/* Cache hosts: routes, bans, fallback delays and statistics (cache_hosts.h has the rules). */
#include "cache_hosts.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "doerrors.h"
#include "transfer.h"

#define ORIGIN_BANS_MAX 32           /* per cache host; the one ending first makes room */
#define KNOWN_HOSTS_MAX (2 * CACHE_HOSTS_MAX) /* the policy's, and earlier policies' with figures */

typedef struct origin_ban {
    char origin[CACHE_HOST_NAME_MAX];
    uint64_t until_ms;
} origin_ban_t;

typedef struct host_entry {
    char host[CACHE_HOST_NAME_MAX];
    uint64_t connections, bytes, failures, fallbacks;
    uint64_t banned_all_until_ms;    /* no connection: every origin */
    uint64_t banned_https_until_ms;  /* its TLS check failed: every https origin */
    origin_ban_t origin_bans[ORIGIN_BANS_MAX];
} host_entry_t;

struct cache_hosts {
    uv_mutex_t mu;                   /* everything below */
    cache_policy_t policy;
    host_entry_t known[KNOWN_HOSTS_MAX];
    size_t known_count;
};

cache_hosts_t *cache_hosts_new(void)
{
    cache_hosts_t *ch = calloc(1, sizeof *ch);
    if (ch && uv_mutex_init(&ch->mu) != 0) {
        free(ch);
        ch = NULL;
    }
    return ch;
}

void cache_hosts_free(cache_hosts_t *ch)
{
    if (!ch)
        return;
    uv_mutex_destroy(&ch->mu);
    free(ch);
}

/* ---- the table of hosts (mu held) ---------------------------------------------------------- */

static host_entry_t *entry_find(cache_hosts_t *ch, const char *host)
{
    for (size_t i = 0; i < ch->known_count; i++)
        if (strcmp(ch->known[i].host, host) == 0)
            return &ch->known[i];
    return NULL;
}

static int in_policy(const cache_policy_t *policy, const char *host)
{
    for (size_t i = 0; i < policy->host_count; i++)
        if (strcmp(policy->hosts[i], host) == 0)
            return 1;
    return 0;
}

/* An entry for a host of the policy; when the table is full, a host no longer in the policy
 * gives up its place (and its figures). */
static void entry_ensure(cache_hosts_t *ch, const char *host)
{
    if (entry_find(ch, host))
        return;
    size_t slot = ch->known_count;
    if (slot == KNOWN_HOSTS_MAX) {
        for (slot = 0; slot < KNOWN_HOSTS_MAX && in_policy(&ch->policy, ch->known[slot].host); slot++)
            ;
        if (slot == KNOWN_HOSTS_MAX)
            return; /* cannot happen: the policy holds at most CACHE_HOSTS_MAX */
    } else {
        ch->known_count++;
    }
    memset(&ch->known[slot], 0, sizeof ch->known[slot]);
    snprintf(ch->known[slot].host, sizeof ch->known[slot].host, "%s", host);
}

void cache_hosts_set_policy(cache_hosts_t *ch, const cache_policy_t *policy)
{
    if (!ch || !policy)
        return;
    uv_mutex_lock(&ch->mu);
    ch->policy = *policy;
    if (ch->policy.host_count > CACHE_HOSTS_MAX)
        ch->policy.host_count = CACHE_HOSTS_MAX;
    for (size_t i = 0; i < ch->policy.host_count; i++)
        entry_ensure(ch, ch->policy.hosts[i]);
    uv_mutex_unlock(&ch->mu);
}

void cache_hosts_get_policy(cache_hosts_t *ch, cache_policy_t *out)
{
    if (!ch || !out)
        return;
    uv_mutex_lock(&ch->mu);
    *out = ch->policy;
    uv_mutex_unlock(&ch->mu);
}

/* ---- bans (mu held) ------------------------------------------------------------------------- */

static const origin_ban_t *origin_ban_find(const host_entry_t *e, const char *origin, uint64_t now_ms)
{
    for (size_t i = 0; i < ORIGIN_BANS_MAX; i++)
        if (e->origin_bans[i].until_ms > now_ms && strcmp(e->origin_bans[i].origin, origin) == 0)
            return &e->origin_bans[i];
    return NULL;
}

static void ban_origin(host_entry_t *e, const char *origin, uint64_t now_ms)
{
    origin_ban_t *slot = &e->origin_bans[0];
    for (size_t i = 0; i < ORIGIN_BANS_MAX; i++) {
        origin_ban_t *b = &e->origin_bans[i];
        if (strcmp(b->origin, origin) == 0 || b->until_ms <= now_ms) {
            slot = b;
            break;
        }
        if (b->until_ms < slot->until_ms)
            slot = b;
    }
    snprintf(slot->origin, sizeof slot->origin, "%s", origin);
    slot->until_ms = now_ms + CACHE_BAN_MS;
}

static int host_banned(cache_hosts_t *ch, const char *host, const char *origin, int https, uint64_t now_ms)
{
    const host_entry_t *e = entry_find(ch, host);
    return e && (e->banned_all_until_ms > now_ms || (https && e->banned_https_until_ms > now_ms) ||
                 origin_ban_find(e, origin, now_ms) != NULL);
}

/* ---- routes --------------------------------------------------------------------------------- */

static uint32_t delay_of(const cache_policy_t *policy, int foreground)
{
    return foreground ? policy->delay_foreground_s : policy->delay_background_s;
}

/* The delay of a job ran out (never for 0, which falls back on the first failure, nor for
 * CACHE_DELAY_NEVER). */
static int delay_expired(uint32_t delay_s, const cache_progress_t *progress, uint64_t now_ms)
{
    return delay_s != 0 && delay_s != CACHE_DELAY_NEVER && progress->first_cache_ms &&
           now_ms - progress->first_cache_ms >= (uint64_t)delay_s * 1000;
}

/* host[:port] of url's server (":port" only when not the scheme's default) and its scheme. */
static int url_origin(CURLU *u, char *origin, size_t origin_size, char *scheme, size_t scheme_size)
{
    char *s = NULL, *host = NULL, *port = NULL;
    int ok = curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK;
    if (ok) {
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
        snprintf(scheme, scheme_size, "%s", s);
        snprintf(origin, origin_size, "%s%s%s", host, port ? ":" : "", port ? port : "");
    }
    curl_free(s);
    curl_free(host);
    curl_free(port);
    return ok;
}

/* The cache form of the origin URL in u: host[:port] replaced by cache_host, cacheHostOrigin
 * appended to the query. */
static hr_t rewrite_for_cache(CURLU *u, const char *cache_host, const char *origin, char **url)
{
    char host_url[CACHE_HOST_NAME_MAX + 16], query[CACHE_HOST_NAME_MAX + 32];
    snprintf(host_url, sizeof host_url, "http://%s/", cache_host);
    snprintf(query, sizeof query, "cacheHostOrigin=%s", origin);
    CURLU *h = curl_url();
    char *host = NULL, *port = NULL;
    hr_t hr = HR_E_OUTOFMEMORY;
    if (h && curl_url_set(h, CURLUPART_URL, host_url, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        curl_url_get(h, CURLUPART_PORT, &port, 0);
        if (curl_url_set(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
            curl_url_set(u, CURLUPART_PORT, port, 0) == CURLUE_OK &&
            curl_url_set(u, CURLUPART_QUERY, query, CURLU_APPENDQUERY) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_URL, url, 0) == CURLUE_OK)
            hr = HR_OK;
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(h);
    return hr;
}

/* The next host of the policy (from progress->next_host, round robin) that is not banned for
 * origin; -1 when there is none. */
static int next_usable_host(cache_hosts_t *ch, const char *origin, int https, const cache_progress_t *progress,
                            uint64_t now_ms)
{
    size_t count = ch->policy.host_count;
    for (size_t k = 0; k < count; k++) {
        size_t i = (progress->next_host + k) % count;
        if (!host_banned(ch, ch->policy.hosts[i], origin, https, now_ms))
            return (int)i;
    }
    return -1;
}

/* Within a fallback delay (D s not yet passed, or never) the job stays on the cache hosts. */
static int within_delay(uint32_t delay_s, const cache_progress_t *progress, uint64_t now_ms)
{
    return delay_s != 0 && !delay_expired(delay_s, progress, now_ms);
}

/* Whether the job goes to the origin, and why (mu held). */
static int origin_only(cache_hosts_t *ch, int foreground, cache_progress_t *progress, uint64_t now_ms,
                       char *why, size_t why_size)
{
    uint32_t delay_s = delay_of(&ch->policy, foreground);
    if (ch->policy.host_count == 0)
        snprintf(why, why_size, "%s", ch->policy.disabled_why[0] ? ch->policy.disabled_why : "no cache host configured");
    else if (progress->on_origin)
        snprintf(why, why_size, "fell back from the cache hosts earlier in this run of the job");
    else if (delay_expired(delay_s, progress, now_ms)) {
        progress->on_origin = 1;
        snprintf(why, why_size, "the cache fallback delay (%" PRIu32 " s) has passed since the job's first cache attempt",
                 delay_s);
    } else
        return 0;
    return 1;
}

static hr_t route_locked(cache_hosts_t *ch, CURLU *u, int foreground, cache_progress_t *progress, uint64_t now_ms,
                         cache_route_t *out)
{
    char scheme[16] = "";
    int web = url_origin(u, out->origin_host, sizeof out->origin_host, scheme, sizeof scheme) &&
              (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
    if (!web) {
        out->origin_host[0] = '\0';
        snprintf(out->why, sizeof out->why, "not an http(s) URL");
        return HR_OK;
    }
    char *user = NULL;
    int credentials = curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK;
    curl_free(user);
    if (credentials) { /* meant for the origin alone */
        snprintf(out->why, sizeof out->why, "the URL carries credentials for the origin");
        return HR_OK;
    }
    if (origin_only(ch, foreground, progress, now_ms, out->why, sizeof out->why))
        return HR_OK;
    int https = out->https = strcmp(scheme, "https") == 0;
    int chosen = next_usable_host(ch, out->origin_host, https, progress, now_ms);
    if (chosen < 0 && within_delay(delay_of(&ch->policy, foreground), progress, now_ms))
        chosen = (int)(progress->next_host % ch->policy.host_count); /* bans only order the hosts here */
    if (chosen < 0) {
        snprintf(out->why, sizeof out->why, "every cache host is banned for %s%s", https ? "https origin " : "origin ",
                 out->origin_host);
        return HR_OK;
    }
    const char *host = ch->policy.hosts[chosen];
    char *url = NULL;
    if (rewrite_for_cache(u, host, out->origin_host, &url) != HR_OK)
        return HR_E_OUTOFMEMORY;
    free(out->url);
    out->url = strdup(url);
    curl_free(url);
    if (!out->url)
        return HR_E_OUTOFMEMORY;
    out->via_cache = 1;
    snprintf(out->host, sizeof out->host, "%s", host);
    progress->next_host = (uint32_t)chosen;
    if (!progress->first_cache_ms)
        progress->first_cache_ms = now_ms ? now_ms : 1;
    return HR_OK;
}

hr_t cache_hosts_route(cache_hosts_t *ch, const char *origin_url, const char *origin_only_why, int foreground,
                       cache_progress_t *progress, uint64_t now_ms, cache_route_t *out)
{
    if (!out)
        return HR_E_INVALIDARG;
    memset(out, 0, sizeof *out);
    if (!ch || !origin_url || !progress)
        return HR_E_INVALIDARG;
    out->url = strdup(origin_url);
    if (out->url && origin_only_why) {
        snprintf(out->why, sizeof out->why, "%s", origin_only_why);
        return HR_OK;
    }
    CURLU *u = curl_url();
    hr_t hr = out->url && u ? HR_OK : HR_E_OUTOFMEMORY;
    if (hr == HR_OK && curl_url_set(u, CURLUPART_URL, origin_url, 0) != CURLUE_OK)
        snprintf(out->why, sizeof out->why, "not an http(s) URL"); /* a path, or something curl refuses */
    else if (hr == HR_OK) {
        uv_mutex_lock(&ch->mu);
        hr = route_locked(ch, u, foreground, progress, now_ms, out);
        uv_mutex_unlock(&ch->mu);
    }
    curl_url_cleanup(u);
    if (hr != HR_OK)
        cache_route_clear(out);
    return hr;
}

void cache_route_clear(cache_route_t *route)
{
    if (!route)
        return;
    free(route->url);
    memset(route, 0, sizeof *route);
}

/* ---- outcomes ------------------------------------------------------------------------------- */

static int connection_failure(int http_status, hr_t code, uint64_t bytes)
{
    return http_status == 0 && bytes == 0 &&
           (code == TRANSFER_E_CANNOT_CONNECT || code == TRANSFER_E_NAME_NOT_RESOLVED || code == TRANSFER_E_TIMEOUT);
}

static int tls_failure(hr_t code)
{
    return code == TRANSFER_E_SECURE_FAILURE || code == DO_E_HTTP_CERT_VALIDATION ||
           ((uint32_t)code & 0xFFFF0000u) == 0x800B0000u; /* CERT_E_* / TRUST_E_* of a certificate check */
}

/* Applies the ban rule to e and writes what happened into why. */
static void apply_ban(host_entry_t *e, const cache_route_t *route, int http_status, hr_t code, uint64_t bytes,
                      uint64_t now_ms, char *why, size_t why_size)
{
    if (http_status >= 400 && http_status < 500) {
        ban_origin(e, route->origin_host, now_ms);
        snprintf(why, why_size, "cache host %s answered HTTP %d for origin %s: banned for that origin for %u min",
                 e->host, http_status, route->origin_host, CACHE_BAN_MS / 60000);
    } else if (connection_failure(http_status, code, bytes)) {
        e->banned_all_until_ms = now_ms + CACHE_BAN_MS;
        snprintf(why, why_size, "cache host %s could not be reached (0x%08" PRIX32 "): banned for every origin for %u min",
                 e->host, (uint32_t)code, CACHE_BAN_MS / 60000);
    } else if (route->https && tls_failure(code)) {
        e->banned_https_until_ms = now_ms + CACHE_BAN_MS;
        snprintf(why, why_size, "cache host %s failed the TLS check (0x%08" PRIX32 "): https origins go straight to the "
                 "origin for %u min", e->host, (uint32_t)code, CACHE_BAN_MS / 60000);
    } else if (http_status) {
        snprintf(why, why_size, "cache host %s answered HTTP %d after %" PRIu64 " bytes", e->host, http_status, bytes);
    } else {
        snprintf(why, why_size, "cache host %s failed (0x%08" PRIX32 ") after %" PRIu64 " bytes", e->host,
                 (uint32_t)code, bytes);
    }
}

/* What the job does after a failed cache attempt (mu held): its progress updated, the retry
 * delay returned, the rest of the sentence appended to why. */
static uint64_t next_step(cache_hosts_t *ch, host_entry_t *e, int foreground,
                          cache_progress_t *progress, uint64_t now_ms, char *why, size_t why_size)
{
    size_t used = strlen(why);
    char *tail = why + used;
    size_t tail_size = why_size - used;
    uint32_t delay_s = delay_of(&ch->policy, foreground);
    size_t count = ch->policy.host_count;
    progress->next_host = count ? (progress->next_host + 1) % (uint32_t)count : 0;
    progress->failed_in_round++;
    if (delay_s == 0 || delay_expired(delay_s, progress, now_ms)) {
        progress->on_origin = 1;
        e->fallbacks++;
        snprintf(tail, tail_size, "; falling back to the origin%s",
                 delay_s ? " (the cache fallback delay has passed)" : "");
        return 0;
    }
    if (progress->failed_in_round < count) {
        snprintf(tail, tail_size, "; trying the next cache host");
        return 0;
    }
    progress->failed_in_round = 0;
    uint64_t wait_ms = CACHE_RETRY_MS;
    if (delay_s != CACHE_DELAY_NEVER) {
        uint64_t left = progress->first_cache_ms + (uint64_t)delay_s * 1000 - now_ms;
        wait_ms = left < wait_ms ? left : wait_ms;
    }
    snprintf(tail, tail_size, "; every cache host failed this round: waiting %" PRIu64 " ms for the cache", wait_ms);
    return wait_ms;
}

void cache_hosts_failed(cache_hosts_t *ch, const cache_route_t *route, int http_status, hr_t code, uint64_t bytes,
                        int foreground, cache_progress_t *progress, uint64_t now_ms, uint64_t *retry_in_ms,
                        char *why, size_t why_size)
{
    char text[CACHE_WHY_MAX * 2] = "";
    uint64_t retry = 0;
    if (ch && route && route->via_cache && progress) {
        uv_mutex_lock(&ch->mu);
        host_entry_t *e = entry_find(ch, route->host);
        if (!e) { /* the policy changed meanwhile: keep the figures anyway */
            entry_ensure(ch, route->host);
            e = entry_find(ch, route->host);
        }
        if (e) {
            e->failures++;
            apply_ban(e, route, http_status, code, bytes, now_ms, text, sizeof text);
            retry = next_step(ch, e, foreground, progress, now_ms, text, sizeof text);
        }
        uv_mutex_unlock(&ch->mu);
    }
    if (retry_in_ms)
        *retry_in_ms = retry;
    if (why && why_size)
        snprintf(why, why_size, "%s", text);
}

void cache_hosts_worked(cache_hosts_t *ch, const cache_route_t *route, cache_progress_t *progress)
{
    (void)ch;
    (void)route;
    if (progress)
        progress->failed_in_round = 0;
}

void cache_hosts_count(cache_hosts_t *ch, const cache_route_t *route, uint32_t connections, uint64_t bytes)
{
    if (!ch || !route || !route->via_cache)
        return;
    uv_mutex_lock(&ch->mu);
    host_entry_t *e = entry_find(ch, route->host);
    if (e) {
        e->connections += connections;
        e->bytes += bytes;
    }
    uv_mutex_unlock(&ch->mu);
}

/* ---- statistics ----------------------------------------------------------------------------- */

static void stats_of(const host_entry_t *e, uint64_t now_ms, cache_host_stats_t *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->host, sizeof out->host, "%s", e->host);
    out->connections = e->connections;
    out->bytes = e->bytes;
    out->failures = e->failures;
    out->fallbacks = e->fallbacks;
    out->banned_for_all = e->banned_all_until_ms > now_ms;
    out->ban_left_ms = out->banned_for_all ? e->banned_all_until_ms - now_ms : 0;
    out->banned_for_https = e->banned_https_until_ms > now_ms;
    for (size_t i = 0; i < ORIGIN_BANS_MAX; i++)
        out->origins_banned += e->origin_bans[i].until_ms > now_ms;
}

static int has_figures(const host_entry_t *e)
{
    return e->connections || e->bytes || e->failures || e->fallbacks;
}

size_t cache_hosts_stats(cache_hosts_t *ch, uint64_t now_ms, cache_host_stats_t *out, size_t max)
{
    size_t n = 0;
    if (!ch || !out)
        return 0;
    uv_mutex_lock(&ch->mu);
    for (size_t i = 0; i < ch->policy.host_count && n < max; i++) {
        const host_entry_t *e = entry_find(ch, ch->policy.hosts[i]);
        if (e)
            stats_of(e, now_ms, &out[n++]);
    }
    for (size_t i = 0; i < ch->known_count && n < max; i++)
        if (!in_policy(&ch->policy, ch->known[i].host) && has_figures(&ch->known[i]))
            stats_of(&ch->known[i], now_ms, &out[n++]);
    uv_mutex_unlock(&ch->mu);
    return n;
}
