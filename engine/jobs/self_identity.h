/* The service's own identity answering local calls, where the platform's RPC impersonation can
 * give nothing else (Wine: every local client is seen with a copy of the service's own token).
 * The service decides where that holds (service/security/caller.c); this is the bookkeeping,
 * portable so that its rules are tested natively:
 *   - only a connection that was probed (its token read and found equal to the service's own
 *     identity) is answered, and every SELF_IDENTITY_REPROBE_EVERY-th answer is refused, so that
 *     the caller reads the token again and compares;
 *   - the first token that differs switches the shortcut off for good;
 *   - the SELF_IDENTITY_CONNECTIONS most recently probed connections are remembered.
 * Not thread-safe: the caller holds a lock around every call. */
#ifndef OPENDO_SELF_IDENTITY_H
#define OPENDO_SELF_IDENTITY_H

#include "jobs.h"

#define SELF_IDENTITY_REPROBE_EVERY 64
#define SELF_IDENTITY_CONNECTIONS 32

typedef struct self_identity {
    int on;
    caller_t own;
    const void *probed[SELF_IDENTITY_CONNECTIONS];
    unsigned next_slot;
    unsigned long answers;
} self_identity_t;

/* own: the service's identity, or NULL where the shortcut must never be taken. */
void self_identity_start(self_identity_t *self, const caller_t *own);

/* 1 and *caller set: the call on this connection may take the service's own identity;
 * 0: read the caller's token (then self_identity_compare). */
int self_identity_answer(self_identity_t *self, const void *connection, caller_t *caller);

/* After a local call's token was read: the connection counts as probed when the identity read
 * is the service's own; otherwise the shortcut goes off for good. Returns 1 when this call
 * switched it off (for the caller to log once). */
int self_identity_compare(self_identity_t *self, const void *connection, const caller_t *read);

#endif
