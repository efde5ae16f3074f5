/* Cache hosts (Connected-Cache-compatible, e.g. stock nginx configured by scripts/cache-host.sh):
 * which source an attempt to fetch a file uses, and what a failed cache attempt leads to. Portable
 * C, thread-safe (one mutex); the scheduler asks before each transfer and reports each outcome.
 * The rules (docs/transfer.md "Cache hosts" has the state diagram; ../notes: fleet.md §1):
 *
 *  - request form: for cache host H (host[:port]) and origin URL scheme://O[:p]/path?query, the
 *    attempt requests scheme://H/path?query&cacheHostOrigin=O[:p] (":p" only for a non-default
 *    port; "?cacheHostOrigin=" when there was no query). Built with libcurl's URL API.
 *  - hosts are tried in the policy's order, skipping banned ones (within a fallback delay a
 *    banned host is still tried when no other is left: waiting for the cache is what the
 *    administrator chose); connect timeout
 *    CACHE_CONNECT_TIMEOUT_S. An https origin goes through a cache only if the cache proves its
 *    own name (the TLS check of the attempt passes); a TLS failure bans H for https and the
 *    attempt goes straight to the origin, and the log/route says so.
 *  - a 4xx from H bans H for that origin host (CACHE_BAN_MS); a connection failure (cannot
 *    connect, name not resolved, connect timeout) bans H for every origin; other failures (5xx, a
 *    reset in the middle, a short body) ban nothing.
 *  - delay 0 (no policy): after the first failed cache attempt the job goes to the origin at once
 *    and stays there for the rest of this run of the job; delay D seconds: the job tries the cache
 *    hosts in turn (at once when another host is left, else after CACHE_RETRY_MS) until D seconds
 *    have passed since its first cache attempt, then the origin; CACHE_DELAY_NEVER: never the
 *    origin while a cache host is configured.
 *  - the validator (ETag/Last-Modified) seen from a cache is kept as the file's validator: the
 *    next attempt (the origin, or another cache) resumes with Range + If-Range, so a different
 *    validator restarts the file from zero (never a mixed file). That is the transfer engine's
 *    ordinary resume rule; nothing special here.
 */
#ifndef OPENDO_CACHE_HOSTS_H
#define OPENDO_CACHE_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#include "hresult.h"

#define CACHE_HOSTS_MAX 8
#define CACHE_HOST_NAME_MAX 262         /* host[:port], an IPv6 literal in brackets included */
#define CACHE_DELAY_NEVER UINT32_MAX    /* DODelayCacheServerFallback* = -1: never fall back */
#define CACHE_DELAY_MAX_S 2592000u      /* the documented range: 0 .. 30 days */
#define CACHE_BAN_MS (15u * 60 * 1000)
#define CACHE_CONNECT_TIMEOUT_S 3u
#define CACHE_RETRY_MS 2000u            /* within a delay, when every host failed this round */
#define CACHE_WHY_MAX 320

/* What the service's policies say (service/host/policies.c computes it; jobs_set_cache_policy
 * hands it to the scheduler). */
typedef struct cache_policy {
    char hosts[CACHE_HOSTS_MAX][CACHE_HOST_NAME_MAX]; /* in the order they are tried */
    size_t host_count;                                /* 0: no cache host: every attempt goes to the origin */
    uint32_t delay_foreground_s, delay_background_s;  /* 0: fall back at once; CACHE_DELAY_NEVER */
    /* Why there is no cache host even though one may be configured (e.g. "on a VPN and
     * DODisallowCacheServerDownloadsOnVPN is 1"); "" otherwise. Shown by /why and /status. */
    char disabled_why[CACHE_WHY_MAX];
} cache_policy_t;

/* Parses a DOCacheHost value ("host[:port],host[:port]", blanks around commas ignored) into
 * policy->hosts. Entries that are not a host name, an IPv4 address or a bracketed IPv6 literal
 * with an optional port 1..65535 are skipped and described in *bad (for a log line; "" when all
 * were good). Returns the number of hosts taken. */
size_t cache_policy_parse_hosts(cache_policy_t *policy, const char *value, char *bad, size_t bad_size);

typedef struct cache_hosts cache_hosts_t;

cache_hosts_t *cache_hosts_new(void);
void cache_hosts_free(cache_hosts_t *ch);
/* Replaces the policy (a change of policy while the service runs); bans are kept. */
void cache_hosts_set_policy(cache_hosts_t *ch, const cache_policy_t *policy);
void cache_hosts_get_policy(cache_hosts_t *ch, cache_policy_t *out);

/* One job's walk through its sources during this run of the service (the scheduler keeps it
 * with the job's other in-memory clocks; zeroed = nothing tried yet). */
typedef struct cache_progress {
    uint64_t first_cache_ms;   /* the job's first cache attempt; 0: none yet */
    uint32_t next_host;        /* the host to try next (policy order, round robin) */
    uint32_t failed_in_round;  /* hosts failed since a host last worked */
    int on_origin;             /* fell back: the origin for the rest of this run */
} cache_progress_t;

typedef struct cache_route {
    int via_cache;                   /* 1: url goes to host; 0: url is the origin's */
    int https;                       /* the origin's scheme is https */
    char host[CACHE_HOST_NAME_MAX];  /* the cache host (via_cache) */
    char origin_host[CACHE_HOST_NAME_MAX]; /* O[:p] of the origin URL ("" for file://) */
    char *url;                       /* malloc'ed: the URL to request; cache_route_clear frees it */
    char why[CACHE_WHY_MAX];         /* not via a cache: why ("no cache host configured", "fell
                                      * back after ...", "every cache host is banned ...") */
} cache_route_t;

/* The source of the next attempt of a job at origin_url (http, https; anything else, and a URL
 * with user info, the origin). origin_only_why: NULL, or why the caller's job must go to the
 * origin whatever the policy (the job's credentials, its kind: the scheduler knows the job),
 * which then becomes out->why. The one place that decides between a cache host and the origin.
 * HR_E_OUTOFMEMORY, else HR_OK with *out filled. */
hr_t cache_hosts_route(cache_hosts_t *ch, const char *origin_url, const char *origin_only_why, int foreground,
                       cache_progress_t *progress, uint64_t now_ms, cache_route_t *out);
void cache_route_clear(cache_route_t *route);

/* A cache attempt (route->via_cache; route->url may be freed by then) ended without the file: http_status the final HTTP status
 * (0: none), code the transfer's HRESULT, bytes what it received. Applies the ban rule, and says
 * what the job does next: *retry_in_ms 0 = start the next attempt at once (another cache host or
 * the origin, cache_hosts_route tells), else wait that long (still within the delay). *why gets a
 * sentence for the log and /why ("cache host H answered HTTP 404 for origin O: banned for that
 * origin for 15 min; falling back to the origin"). Also counts the failure for the statistics. */
void cache_hosts_failed(cache_hosts_t *ch, const cache_route_t *route, int http_status, hr_t code,
                        uint64_t bytes, int foreground, cache_progress_t *progress, uint64_t now_ms, uint64_t *retry_in_ms,
                        char *why, size_t why_size);
/* A cache attempt delivered bytes (or the whole file): the round starts again. */
void cache_hosts_worked(cache_hosts_t *ch, const cache_route_t *route, cache_progress_t *progress);
/* Statistics for /perfsnap: attempts and bytes by cache host, and the live bans. */
void cache_hosts_count(cache_hosts_t *ch, const cache_route_t *route, uint32_t connections, uint64_t bytes);

typedef struct cache_host_stats {
    char host[CACHE_HOST_NAME_MAX];
    uint64_t connections, bytes, failures, fallbacks;
    int banned_for_all;              /* a live ban for every origin */
    uint64_t ban_left_ms;            /* of that ban */
    int banned_for_https;            /* a live ban for every https origin (its TLS check failed) */
    uint32_t origins_banned;         /* live bans for single origins */
} cache_host_stats_t;
/* Fills up to max entries (the policy's hosts, then hosts no longer in the policy that still have
 * figures); returns how many. */
size_t cache_hosts_stats(cache_hosts_t *ch, uint64_t now_ms, cache_host_stats_t *out, size_t max);

#endif
