/* Cache hosts (engine/cache_hosts): the request form, the ban rules, round robin, the fallback
 * delays and the statistics, with explicit clock values (no sleeping, no network). */
#include <stdio.h>
#include <string.h>

#include "../check.h"
#include "cache_hosts.h"
#include "cache_policy_fixture.h"
#include "transfer.h"

#define T0 1000000u /* a clock value; the tests move it forward by hand */

static cache_hosts_t *with_policy(const char *hosts, uint32_t fg_delay_s, uint32_t bg_delay_s)
{
    cache_policy_t policy = policy_of(hosts, fg_delay_s, bg_delay_s);
    cache_hosts_t *ch = cache_hosts_new();
    cache_hosts_set_policy(ch, &policy);
    return ch;
}

/* The route of one attempt; *route must be cleared by the caller. */
static void route(cache_hosts_t *ch, const char *url, int fg, cache_progress_t *p, uint64_t now, cache_route_t *r)
{
    CHECK_HR(cache_hosts_route(ch, url, NULL, fg, p, now, r), HR_OK, url);
}

static void check_url(const char *origin, const char *host, const char *want)
{
    cache_hosts_t *ch = with_policy(host, 0, 0);
    cache_progress_t p = {0};
    cache_route_t r;
    route(ch, origin, 0, &p, T0, &r);
    char name[400];
    snprintf(name, sizeof name, "request form: %s via %s -> %s (got %s)", origin, host, want, r.url);
    CHECK(r.via_cache && strcmp(r.url, want) == 0 && strcmp(r.host, host) == 0, name);
    cache_route_clear(&r);
    cache_hosts_free(ch);
}

static void test_request_form(void)
{
    check_url("http://origin.example/files/a.bin", "cache.lan",
              "http://cache.lan/files/a.bin?cacheHostOrigin=origin.example");
    check_url("http://origin.example/f?P1=1&P4=x", "cache.lan:8080",
              "http://cache.lan:8080/f?P1=1&P4=x&cacheHostOrigin=origin.example");
    check_url("http://origin.example:8081/f", "10.0.0.7",
              "http://10.0.0.7/f?cacheHostOrigin=origin.example:8081");
    check_url("http://origin.example:80/f", "10.0.0.7", "http://10.0.0.7/f?cacheHostOrigin=origin.example");
    check_url("https://origin.example:443/f", "[::1]:9000", "https://[::1]:9000/f?cacheHostOrigin=origin.example");
    check_url("https://origin.example:8443/f", "c", "https://c/f?cacheHostOrigin=origin.example:8443");
}

static void test_no_cache(void)
{
    cache_hosts_t *ch = with_policy("", 0, 0);
    cache_progress_t p = {0};
    cache_route_t r;
    route(ch, "http://o/f", 1, &p, T0, &r);
    CHECK(!r.via_cache && strcmp(r.url, "http://o/f") == 0 && strcmp(r.why, "no cache host configured") == 0,
          "no policy: the origin, and why");
    CHECK(p.first_cache_ms == 0, "no policy: no cache attempt counted");
    cache_route_clear(&r);

    cache_policy_t policy;
    memset(&policy, 0, sizeof policy);
    snprintf(policy.disabled_why, sizeof policy.disabled_why, "on a VPN");
    cache_hosts_set_policy(ch, &policy);
    route(ch, "http://o/f", 1, &p, T0, &r);
    CHECK(!r.via_cache && strcmp(r.why, "on a VPN") == 0, "disabled policy: its why");
    cache_route_clear(&r);

    cache_hosts_set_policy(ch, &(cache_policy_t){.hosts = {"c"}, .host_count = 1});
    route(ch, "file:///tmp/x", 1, &p, T0, &r);
    CHECK(!r.via_cache && strcmp(r.url, "file:///tmp/x") == 0 && r.origin_host[0] == '\0',
          "file:// goes to the origin");
    cache_route_clear(&r);
    route(ch, "http://user:pw@o/f", 1, &p, T0, &r);
    CHECK(!r.via_cache && strstr(r.why, "credentials") && p.first_cache_ms == 0,
          "a URL with credentials goes to the origin");
    cache_route_clear(&r);
    route(ch, "C:\\data\\x", 1, &p, T0, &r);
    CHECK(!r.via_cache && strcmp(r.url, "C:\\data\\x") == 0, "a local path goes to the origin");
    cache_route_clear(&r);
    CHECK_HR(cache_hosts_route(ch, "http://o/f", "the job says so", 1, &p, T0, &r), HR_OK, "route: origin only");
    CHECK(!r.via_cache && strcmp(r.url, "http://o/f") == 0 && strcmp(r.why, "the job says so") == 0 &&
          p.first_cache_ms == 0, "the caller's reason sends the attempt to the origin and is its why");
    cache_route_clear(&r);
    CHECK_HR(cache_hosts_route(ch, NULL, NULL, 1, &p, T0, &r), HR_E_INVALIDARG, "route: NULL URL");
    CHECK_HR(cache_hosts_route(NULL, "http://o/", NULL, 1, &p, T0, &r), HR_E_INVALIDARG, "route: NULL hosts");
    cache_hosts_free(ch);
}

/* One failed cache attempt of r at now: returns the retry delay, why into why. */
static uint64_t fail(cache_hosts_t *ch, const cache_route_t *r, int status, hr_t code, uint64_t bytes, int fg,
                     cache_progress_t *p, uint64_t now, char *why)
{
    uint64_t retry = 99;
    cache_hosts_failed(ch, r, status, code, bytes, fg, p, now, &retry, why, CACHE_WHY_MAX);
    return retry;
}

static void test_delay_zero(void)
{
    cache_hosts_t *ch = with_policy("c1,c2", 0, 0);
    cache_progress_t p = {0};
    cache_route_t r;
    char why[CACHE_WHY_MAX];
    route(ch, "http://o/f", 0, &p, T0, &r);
    CHECK(r.via_cache && strcmp(r.host, "c1") == 0 && p.first_cache_ms == T0, "delay 0: first host first");
    uint64_t retry = fail(ch, &r, 503, TRANSFER_HR_HTTP(503), 0, 0, &p, T0, why);
    CHECK(retry == 0 && p.on_origin, "delay 0: a 5xx falls back at once");
    CHECK(strstr(why, "HTTP 503") && strstr(why, "falling back to the origin"), why);
    cache_route_clear(&r);
    route(ch, "http://o/f", 0, &p, T0 + 1, &r);
    CHECK(!r.via_cache && strcmp(r.url, "http://o/f") == 0, "delay 0: the origin for the rest of the run");
    cache_route_clear(&r);
    cache_progress_t other = {0};
    route(ch, "http://o/f", 0, &other, T0 + 1, &r);
    CHECK(r.via_cache && strcmp(r.host, "c1") == 0, "delay 0: a 5xx banned nothing (another job uses c1)");
    cache_route_clear(&r);
    cache_hosts_free(ch);
}

static void test_ban_for_origin(void)
{
    cache_hosts_t *ch = with_policy("c1", 0, 0);
    cache_progress_t p = {0}, q = {0};
    cache_route_t r;
    char why[CACHE_WHY_MAX];
    route(ch, "http://o:81/f", 0, &p, T0, &r);
    fail(ch, &r, 404, TRANSFER_HR_HTTP(404), 0, 0, &p, T0, why);
    CHECK(strstr(why, "HTTP 404 for origin o:81: banned for that origin for 15 min") != NULL, why);
    cache_route_clear(&r);
    route(ch, "http://o:81/g", 0, &q, T0 + 10, &r);
    CHECK(!r.via_cache && strstr(r.why, "banned for origin o:81"), "4xx: the host is banned for that origin");
    cache_route_clear(&r);
    route(ch, "http://o/g", 0, &q, T0 + 10, &r);
    CHECK(r.via_cache, "4xx: not for another origin (o without the port)");
    cache_route_clear(&r);
    cache_progress_t fresh = {0};
    route(ch, "http://o:81/g", 0, &fresh, T0 + CACHE_BAN_MS, &r);
    CHECK(r.via_cache, "4xx: the ban ends after 15 min");
    cache_route_clear(&r);
    cache_host_stats_t st[4];
    CHECK(cache_hosts_stats(ch, T0 + 10, st, 4) == 1 && st[0].origins_banned == 1 && !st[0].banned_for_all &&
          st[0].failures == 1 && st[0].fallbacks == 1, "4xx: statistics (one origin ban, one failure)");
    CHECK(cache_hosts_stats(ch, T0 + CACHE_BAN_MS, st, 4) == 1 && st[0].origins_banned == 0, "4xx: ban gone later");
    cache_hosts_free(ch);
}

static void test_ban_for_all(void)
{
    static const hr_t codes[] = { TRANSFER_E_CANNOT_CONNECT, TRANSFER_E_NAME_NOT_RESOLVED, TRANSFER_E_TIMEOUT };
    for (size_t i = 0; i < 3; i++) {
        cache_hosts_t *ch = with_policy("c1", 0, 0);
        cache_progress_t p = {0}, q = {0};
        cache_route_t r;
        char why[CACHE_WHY_MAX], name[100];
        route(ch, "http://o/f", 1, &p, T0, &r);
        fail(ch, &r, 0, codes[i], 0, 1, &p, T0, why);
        cache_route_clear(&r);
        route(ch, "http://other/f", 1, &q, T0 + 5, &r);
        snprintf(name, sizeof name, "0x%08X: banned for every origin", (unsigned)codes[i]);
        CHECK(!r.via_cache && strstr(why, "banned for every origin"), name);
        cache_route_clear(&r);
        cache_host_stats_t st;
        CHECK(cache_hosts_stats(ch, T0 + 5, &st, 1) == 1 && st.banned_for_all && st.ban_left_ms == CACHE_BAN_MS - 5,
              "ban for all: statistics with the time left");
        cache_hosts_free(ch);
    }
    /* a timeout in the middle of the body, a reset: no ban */
    cache_hosts_t *ch = with_policy("c1", 0, 0);
    cache_progress_t p = {0}, q = {0};
    cache_route_t r;
    char why[CACHE_WHY_MAX];
    route(ch, "http://o/f", 1, &p, T0, &r);
    fail(ch, &r, 200, TRANSFER_E_TIMEOUT, 4096, 1, &p, T0, why);
    fail(ch, &r, 0, TRANSFER_E_CONNECTION_RESET, 0, 1, &p, T0, why);
    cache_route_clear(&r);
    route(ch, "http://o/f", 1, &q, T0 + 5, &r);
    CHECK(r.via_cache, "a slow body or a reset bans nothing");
    cache_route_clear(&r);
    cache_hosts_free(ch);
}

static void test_tls(void)
{
    cache_hosts_t *ch = with_policy("c1", 0, 0);
    cache_progress_t p = {0}, q = {0};
    cache_route_t r;
    char why[CACHE_WHY_MAX];
    route(ch, "https://o/f", 0, &p, T0, &r);
    CHECK(r.via_cache && strncmp(r.url, "https://c1/", 11) == 0, "https: through the cache with its own name");
    fail(ch, &r, 0, (hr_t)0x800B010F /* CERT_E_CN_NO_MATCH */, 0, 0, &p, T0, why);
    CHECK(strstr(why, "TLS check") && strstr(why, "https origins go straight to the origin"), why);
    cache_route_clear(&r);
    route(ch, "https://o2/f", 0, &q, T0 + 1, &r);
    CHECK(!r.via_cache && strstr(r.why, "https origin"), "TLS failure: every https origin goes to the origin");
    cache_route_clear(&r);
    route(ch, "http://o2/f", 0, &q, T0 + 1, &r);
    CHECK(r.via_cache, "TLS failure: http origins still use the cache");
    cache_route_clear(&r);
    cache_host_stats_t st;
    CHECK(cache_hosts_stats(ch, T0 + 1, &st, 1) == 1 && st.banned_for_https && !st.banned_for_all,
          "TLS failure: statistics");
    cache_hosts_free(ch);
}

static void test_delay_round_robin(void)
{
    cache_hosts_t *ch = with_policy("c1,c2,c3", 10, 0);
    cache_progress_t p = {0};
    cache_route_t r;
    char why[CACHE_WHY_MAX];
    route(ch, "http://o/f", 1, &p, T0, &r);
    CHECK(strcmp(r.host, "c1") == 0, "delay: c1 first");
    CHECK(fail(ch, &r, 503, TRANSFER_HR_HTTP(503), 0, 1, &p, T0, why) == 0 && !p.on_origin,
          "delay: next host at once");
    cache_route_clear(&r);
    route(ch, "http://o/f", 1, &p, T0 + 100, &r);
    CHECK(strcmp(r.host, "c2") == 0, "delay: then c2");
    fail(ch, &r, 403, TRANSFER_HR_HTTP(403), 0, 1, &p, T0 + 100, why);
    cache_route_clear(&r);
    route(ch, "http://o/f", 1, &p, T0 + 200, &r);
    CHECK(strcmp(r.host, "c3") == 0, "delay: then c3");
    uint64_t retry = fail(ch, &r, 500, TRANSFER_HR_HTTP(500), 0, 1, &p, T0 + 200, why);
    CHECK(retry == CACHE_RETRY_MS && !p.on_origin && strstr(why, "waiting"), "delay: round over: wait for the cache");
    cache_route_clear(&r);
    route(ch, "http://o/f", 1, &p, T0 + 2200, &r);
    CHECK(r.via_cache && strcmp(r.host, "c1") == 0, "delay: round robin skips c2 (banned for o) back to c1");
    cache_hosts_worked(ch, &r, &p);
    CHECK(p.failed_in_round == 0, "worked: the round starts again");
    cache_route_clear(&r);
    route(ch, "http://o/f", 1, &p, T0 + 9999, &r);
    CHECK(r.via_cache, "delay: still on the cache just before 10 s");
    retry = fail(ch, &r, 500, TRANSFER_HR_HTTP(500), 0, 1, &p, T0 + 9999, why);
    CHECK(retry == 0, "delay: another host left");
    cache_route_clear(&r);
    route(ch, "http://o/f", 1, &p, T0 + 10000, &r);
    CHECK(!r.via_cache && p.on_origin && strstr(r.why, "delay (10 s) has passed"),
          "delay: the origin once 10 s passed since the first cache attempt");
    cache_route_clear(&r);

    /* background jobs have their own delay (0 here) */
    cache_progress_t bg = {0};
    route(ch, "http://x/f", 0, &bg, T0, &r);
    CHECK(fail(ch, &r, 500, TRANSFER_HR_HTTP(500), 0, 0, &bg, T0, why) == 0 && bg.on_origin,
          "background: its own delay (0) falls back at once");
    cache_route_clear(&r);
    cache_hosts_free(ch);
}

static void test_delay_wait_capped(void)
{
    cache_hosts_t *ch = with_policy("c1", 3, 3);
    cache_progress_t p = {0};
    cache_route_t r;
    char why[CACHE_WHY_MAX];
    route(ch, "http://o/f", 0, &p, T0, &r);
    cache_route_clear(&r);
    route(ch, "http://o/f", 0, &p, T0 + 2500, &r);
    CHECK(fail(ch, &r, 502, TRANSFER_HR_HTTP(502), 0, 0, &p, T0 + 2500, why) == 500,
          "delay: the wait ends with the delay (500 ms left)");
    cache_route_clear(&r);
    /* a delay with every host banned: still the cache until the delay ends (the bans only
     * order the hosts), then the origin */
    route(ch, "http://o/f", 0, &p, T0 + 2600, &r);
    CHECK(fail(ch, &r, 404, TRANSFER_HR_HTTP(404), 0, 0, &p, T0 + 2600, why) == 400 && !p.on_origin,
          "delay: every host banned: the job waits for the cache until the delay ends (400 ms left)");
    cache_route_clear(&r);
    route(ch, "http://o/f", 0, &p, T0 + 2700, &r);
    CHECK(r.via_cache && !strcmp(r.host, "c1"), "delay: every host banned: the banned host is tried again");
    cache_route_clear(&r);
    route(ch, "http://o/f", 0, &p, T0 + 3000, &r);
    CHECK(!r.via_cache && p.on_origin, "delay: every host banned: the origin once the delay ended");
    cache_route_clear(&r);
    cache_hosts_free(ch);
}

static void test_never(void)
{
    cache_hosts_t *ch = with_policy("c1", CACHE_DELAY_NEVER, CACHE_DELAY_NEVER);
    cache_progress_t p = {0};
    cache_route_t r;
    char why[CACHE_WHY_MAX];
    int waits = 0;
    for (uint64_t t = T0; t < T0 + 100000000; t += 10000000) {
        route(ch, "http://o/f", 1, &p, t, &r);
        waits += r.via_cache && fail(ch, &r, 500, TRANSFER_HR_HTTP(500), 0, 1, &p, t, why) == CACHE_RETRY_MS;
        cache_route_clear(&r);
    }
    route(ch, "http://o/f", 1, &p, T0 + 100000000, &r);
    CHECK(waits == 10 && r.via_cache && !p.on_origin, "never: still on the cache after a day of failures");
    cache_route_clear(&r);
    cache_hosts_free(ch);
}

static void test_statistics(void)
{
    cache_hosts_t *ch = with_policy("c1,c2", 0, 0);
    cache_progress_t p = {0};
    cache_route_t r;
    route(ch, "http://o/f", 0, &p, T0, &r);
    cache_hosts_count(ch, &r, 2, 1000);
    cache_hosts_count(ch, &r, 1, 24);
    cache_route_clear(&r);
    cache_route_t origin = {0};
    cache_hosts_count(ch, &origin, 5, 5000); /* not a cache attempt: ignored */
    cache_host_stats_t st[4];
    size_t n = cache_hosts_stats(ch, T0, st, 4);
    CHECK(n == 2 && strcmp(st[0].host, "c1") == 0 && st[0].connections == 3 && st[0].bytes == 1024 &&
          strcmp(st[1].host, "c2") == 0 && st[1].bytes == 0, "statistics per host in policy order");
    cache_hosts_set_policy(ch, &(cache_policy_t){.hosts = {"c3"}, .host_count = 1});
    n = cache_hosts_stats(ch, T0, st, 4);
    CHECK(n == 2 && strcmp(st[0].host, "c3") == 0 && strcmp(st[1].host, "c1") == 0 && st[1].bytes == 1024,
          "a new policy: its hosts, then earlier hosts that have figures");
    CHECK(cache_hosts_stats(ch, T0, st, 1) == 1, "statistics: at most max");
    cache_policy_t back;
    cache_hosts_get_policy(ch, &back);
    CHECK(back.host_count == 1 && strcmp(back.hosts[0], "c3") == 0, "get_policy");
    for (int i = 0; i < 40; i++) { /* many policies: the table keeps the current hosts */
        cache_policy_t many = {.host_count = 1};
        snprintf(many.hosts[0], sizeof many.hosts[0], "h%d", i);
        cache_hosts_set_policy(ch, &many);
        cache_progress_t q = {0};
        route(ch, "http://o/f", 0, &q, T0, &r);
        cache_hosts_count(ch, &r, 1, 1);
        cache_route_clear(&r);
    }
    n = cache_hosts_stats(ch, T0, st, 4);
    CHECK(n == 4 && strcmp(st[0].host, "h39") == 0 && st[0].connections == 1, "a full table keeps the policy's hosts");
    cache_hosts_free(ch);
}

int main(void)
{
    test_request_form();
    test_no_cache();
    test_delay_zero();
    test_ban_for_origin();
    test_ban_for_all();
    test_tls();
    test_delay_round_robin();
    test_delay_wait_capped();
    test_never();
    test_statistics();
    return CHECK_EXIT_CODE();
}
