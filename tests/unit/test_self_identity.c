/* The service's own identity for local calls (engine/jobs/self_identity.c): only probed
 * connections are answered, every 64th answer is refused for a reprobe, a differing token turns
 * the shortcut off for good, and a service that may not take it never does. */
#include <stdio.h>
#include <string.h>

#include "../check.h"
#include "self_identity.h"

static const caller_t service = {"S-1-5-21-0-0-0-1000", 1};
static const caller_t alice = {"S-1-5-21-1-2-3-1001", 0};
static const caller_t service_filtered = {"S-1-5-21-0-0-0-1000", 0};
static int connection_a, connection_b;

static void test_probe_then_answer(void)
{
    self_identity_t self;
    caller_t got = {{0}, 0};
    self_identity_start(&self, &service);
    CHECK(!self_identity_answer(&self, &connection_a, &got), "self: a connection never probed is not answered");
    CHECK(got.sid[0] == 0, "self: a refused answer leaves the caller empty");
    CHECK(!self_identity_compare(&self, &connection_a, &service), "self: the service's own token probes a connection");
    CHECK(self_identity_answer(&self, &connection_a, &got) && strcmp(got.sid, service.sid) == 0 && got.is_admin,
          "self: the probed connection gets the service's identity");
    CHECK(!self_identity_answer(&self, &connection_b, &got), "self: another connection is still probed first");
    CHECK(!self_identity_answer(&self, NULL, &got), "self: a call without a connection is never answered");
}

static void test_reprobe(void)
{
    self_identity_t self;
    caller_t got;
    self_identity_start(&self, &service);
    self_identity_compare(&self, &connection_a, &service);
    int answered = 0, refused_at = 0;
    for (int i = 1; i <= SELF_IDENTITY_REPROBE_EVERY && !refused_at; i++) {
        if (self_identity_answer(&self, &connection_a, &got))
            answered++;
        else
            refused_at = i;
    }
    CHECK(refused_at == SELF_IDENTITY_REPROBE_EVERY && answered == SELF_IDENTITY_REPROBE_EVERY - 1,
          "self: every 64th call reads its token again");
    CHECK(self_identity_answer(&self, &connection_a, &got), "self: after a reprobe that agrees, the answers go on");
}

static void test_differing_token(const caller_t *other, const char *who)
{
    self_identity_t self;
    caller_t got;
    char name[3][160];
    snprintf(name[0], sizeof name[0], "self: %s turns the shortcut off", who);
    snprintf(name[1], sizeof name[1], "self: off after %s: not even a probed connection is answered", who);
    snprintf(name[2], sizeof name[2], "self: off after %s: the service's own token does not turn it on again", who);
    self_identity_start(&self, &service);
    self_identity_compare(&self, &connection_a, &service);
    CHECK(self_identity_compare(&self, &connection_b, other) == 1, name[0]);
    CHECK(!self_identity_answer(&self, &connection_a, &got), name[1]);
    CHECK(self_identity_compare(&self, &connection_a, &service) == 0 && !self_identity_answer(&self, &connection_a, &got),
          name[2]);
}

static void test_never(void)
{
    self_identity_t self;
    caller_t got;
    self_identity_start(&self, NULL);
    self_identity_compare(&self, &connection_a, &service);
    CHECK(!self_identity_answer(&self, &connection_a, &got), "self: a service that may not take the shortcut never answers");
}

static void test_remembered_connections(void)
{
    self_identity_t self;
    caller_t got;
    static int connections[SELF_IDENTITY_CONNECTIONS + 1];
    self_identity_start(&self, &service);
    for (int i = 0; i <= SELF_IDENTITY_CONNECTIONS; i++)
        self_identity_compare(&self, &connections[i], &service);
    CHECK(!self_identity_answer(&self, &connections[0], &got),
          "self: the oldest of 33 probed connections is forgotten (probed again)");
    CHECK(self_identity_answer(&self, &connections[SELF_IDENTITY_CONNECTIONS], &got),
          "self: the newest probed connection is remembered");
}

int main(void)
{
    test_probe_then_answer();
    test_reprobe();
    test_differing_token(&alice, "another user's token");
    test_differing_token(&service_filtered, "the same user without the administrators group");
    test_never();
    test_remembered_connections();
    return CHECK_EXIT_CODE();
}
