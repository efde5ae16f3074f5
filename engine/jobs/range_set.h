/* Sets of byte ranges, as on-demand files keep them (IBackgroundCopyFile6): what is on disk, what
 * the application asked for and has not arrived yet, what arrived but was not yet reported. A
 * set is an array of store_range_t sorted by offset, with no empty, overlapping or touching
 * ranges and no BG_LENGTH_TO_EOF length ("normal"). Results are malloc'ed (NULL when empty);
 * every function returns HR_OK or HR_E_OUTOFMEMORY unless it says otherwise. Pure functions,
 * no locks. */
#ifndef OPENDO_RANGE_SET_H
#define OPENDO_RANGE_SET_H

#include <stddef.h>
#include <stdint.h>

#include "hresult.h"
#include "store.h"

typedef struct range_set {
    store_range_t *items;
    size_t count;
} range_set_t;

void range_set_free(range_set_t *set);
uint64_t range_set_bytes(const range_set_t *set);
/* a ∪ b; a and b may be any ranges (unsorted, overlapping, touching; empty ones are dropped,
 * none may run to EOF), the result is normal. */
hr_t range_set_union(const store_range_t *a, size_t a_count, const store_range_t *b, size_t b_count,
                     range_set_t *out);
/* a minus b, both normal. */
hr_t range_set_subtract(const range_set_t *a, const range_set_t *b, range_set_t *out);
/* The first `bytes` bytes of a normal set, counted in offset order. */
hr_t range_set_prefix(const range_set_t *set, uint64_t bytes, range_set_t *out);
/* What to fetch first from a normal set: its part at or after position, or (when nothing lies
 * there) the whole set. */
hr_t range_set_from(const range_set_t *set, uint64_t position, range_set_t *out);
/* Whether a normal set is exactly [0, size). */
int range_set_covers(const range_set_t *set, uint64_t size);

/* Text form for the store: "offset+length" pairs in hexadecimal, separated by ','; "" is the
 * empty set. *text is malloc'ed. */
hr_t range_set_format(const range_set_t *set, char **text);
/* HR_E_INVALIDARG for a text that is not a normal set in that form. */
hr_t range_set_parse(const char *text, range_set_t *out);

#endif
