/* Bookkeeping of the service's own identity for local calls (self_identity.h). */
#include "self_identity.h"

#include <string.h>

void self_identity_start(self_identity_t *self, const caller_t *own)
{
    memset(self, 0, sizeof *self);
    if (own) {
        self->own = *own;
        self->on = 1;
    }
}

static int probed(const self_identity_t *self, const void *connection)
{
    for (unsigned i = 0; i < SELF_IDENTITY_CONNECTIONS; i++)
        if (self->probed[i] == connection)
            return 1;
    return 0;
}

int self_identity_answer(self_identity_t *self, const void *connection, caller_t *caller)
{
    if (!self->on || !connection || !probed(self, connection) ||
        ++self->answers % SELF_IDENTITY_REPROBE_EVERY == 0)
        return 0;
    *caller = self->own;
    return 1;
}

int self_identity_compare(self_identity_t *self, const void *connection, const caller_t *read)
{
    if (!self->on)
        return 0;
    if (strcmp(read->sid, self->own.sid) == 0 && !read->is_admin == !self->own.is_admin) {
        if (connection && !probed(self, connection))
            self->probed[self->next_slot++ % SELF_IDENTITY_CONNECTIONS] = connection;
        return 0;
    }
    self->on = 0;
    return 1;
}
