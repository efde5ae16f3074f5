/* Shared by the cache-host tests (test_cache_hosts.c, test_cache_fallback.c): a cache policy
 * built from a DOCacheHost-style host list and the two fallback delays, as the service's
 * policies build it. */
#ifndef OPENDO_TESTS_CACHE_POLICY_FIXTURE_H
#define OPENDO_TESTS_CACHE_POLICY_FIXTURE_H

#include <stdint.h>
#include <string.h>

#include "cache_hosts.h"

static inline cache_policy_t policy_of(const char *hosts, uint32_t delay_foreground_s, uint32_t delay_background_s)
{
    cache_policy_t policy;
    memset(&policy, 0, sizeof policy);
    char bad[200];
    cache_policy_parse_hosts(&policy, hosts, bad, sizeof bad);
    policy.delay_foreground_s = delay_foreground_s;
    policy.delay_background_s = delay_background_s;
    return policy;
}

#endif
