/* Checks the fuzz targets make on sets of byte ranges (engine/jobs/range_set.h). Header-only. */
#ifndef OPENDO_TESTS_FUZZ_RANGE_CHECKS_H
#define OPENDO_TESTS_FUZZ_RANGE_CHECKS_H

#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "range_set.h"

/* Sorted by offset, no empty, overlapping or touching ranges, none past 2^64. */
static inline void require_normal(const range_set_t *set)
{
    FUZZ_REQUIRE(!set->count == !set->items);
    for (size_t i = 0; i < set->count; i++) {
        const store_range_t *r = &set->items[i];
        FUZZ_REQUIRE(r->length && r->length <= UINT64_MAX - r->offset);
        FUZZ_REQUIRE(!i || set->items[i - 1].offset + set->items[i - 1].length < r->offset);
    }
}

static inline int same_set(const range_set_t *a, const range_set_t *b)
{
    return a->count == b->count &&
           (!a->count || !memcmp(a->items, b->items, a->count * sizeof *a->items));
}

/* The text form reads back as the same set. */
static inline void require_text_round_trip(const range_set_t *set)
{
    char *text = NULL;
    range_set_t back = {0};
    FUZZ_REQUIRE(range_set_format(set, &text) == HR_OK);
    FUZZ_REQUIRE(range_set_parse(text, &back) == HR_OK);
    FUZZ_REQUIRE(same_set(set, &back));
    range_set_free(&back);
    free(text);
}

#endif
