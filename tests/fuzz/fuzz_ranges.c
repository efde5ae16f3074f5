/* Fuzz target: the byte ranges a client gives AddFileWithRanges / RequestFileRanges. Input: the
 * file's size (8 bytes little-endian, all ones = unknown), then ranges of 16 bytes each (offset,
 * length; a length of all ones runs to the end). file_check_ranges answers one of its documented
 * codes, sorts what it accepts or keeps it in the order given; the set operations of on-demand files (range_set_*) keep their
 * sets normal and count their bytes right. */
#include <string.h>

#include "jobs_internal.h"
#include "range_checks.h"

#define MAX_RANGES 64

static void check_accepted(const store_range_t *sorted, size_t count, uint64_t file_size)
{
    for (size_t i = 0; i < count; i++) {
        const store_range_t *r = &sorted[i];
        int to_eof = r->length == JOB_SIZE_UNKNOWN;
        FUZZ_REQUIRE(r->length && (to_eof || r->length <= UINT64_MAX - r->offset));
        FUZZ_REQUIRE(i + 1 == count || (!to_eof && r->offset + r->length <= sorted[i + 1].offset));
        if (file_size != JOB_SIZE_UNKNOWN)
            FUZZ_REQUIRE(r->offset < file_size && (to_eof || r->offset + r->length <= file_size));
    }
    uint64_t total = file_ranges_total(sorted, count, file_size);
    if (file_size != JOB_SIZE_UNKNOWN)
        FUZZ_REQUIRE(total <= file_size);
}

static void check_file_ranges(const store_range_t *ranges, size_t count, uint64_t file_size)
{
    store_range_t *sorted = NULL, *given = NULL;
    hr_t hr = file_check_ranges(ranges, count, file_size, 1, &sorted);
    FUZZ_REQUIRE(hr == HR_OK || hr == DO_E_INVALID_RANGE || hr == DO_E_OVERLAPPING_RANGES);
    FUZZ_REQUIRE(hr == HR_OK ? !count == !sorted : !sorted);
    if (hr == HR_OK)
        check_accepted(sorted, count, file_size);
    /* the order given: the same answer (but a range to the end that is not the last one given is
     * DO_E_INVALID_RANGE), and exactly the caller's ranges in the caller's order */
    int eof_inside = 0;
    for (size_t i = 0; i + 1 < count; i++)
        eof_inside |= ranges[i].length == JOB_SIZE_UNKNOWN;
    hr_t hr_given = file_check_ranges(ranges, count, file_size, 0, &given);
    FUZZ_REQUIRE(hr_given == hr || (hr == HR_OK && eof_inside && hr_given == DO_E_INVALID_RANGE));
    FUZZ_REQUIRE(hr_given == HR_OK ? !count == !given : !given);
    FUZZ_REQUIRE(!given || memcmp(given, ranges, count * sizeof *given) == 0);
    free(sorted);
    free(given);
}

/* range_set_union's precondition: no range runs to the end or past 2^64. */
static size_t bounded_ranges(const store_range_t *ranges, size_t count, store_range_t *out)
{
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if (ranges[i].length != JOB_SIZE_UNKNOWN && ranges[i].length <= UINT64_MAX - ranges[i].offset)
            out[kept++] = ranges[i];
    return kept;
}

static void check_set_operations(const store_range_t *ranges, size_t count, uint64_t number)
{
    store_range_t bounded[MAX_RANGES];
    size_t n = bounded_ranges(ranges, count, bounded);
    range_set_t a = {0}, b = {0}, both = {0}, minus = {0}, again = {0}, prefix = {0}, from = {0};
    FUZZ_REQUIRE(range_set_union(bounded, n / 2, NULL, 0, &a) == HR_OK);
    FUZZ_REQUIRE(range_set_union(bounded + n / 2, n - n / 2, NULL, 0, &b) == HR_OK);
    FUZZ_REQUIRE(range_set_union(a.items, a.count, b.items, b.count, &both) == HR_OK);
    FUZZ_REQUIRE(range_set_subtract(&a, &b, &minus) == HR_OK);
    FUZZ_REQUIRE(range_set_union(minus.items, minus.count, b.items, b.count, &again) == HR_OK);
    FUZZ_REQUIRE(range_set_prefix(&both, number, &prefix) == HR_OK);
    FUZZ_REQUIRE(range_set_from(&both, number, &from) == HR_OK);
    range_set_t *sets[] = {&a, &b, &both, &minus, &again, &prefix, &from};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        require_normal(sets[i]);
    /* (a - b) and b are disjoint, and together they are a ∪ b. */
    FUZZ_REQUIRE(same_set(&again, &both));
    FUZZ_REQUIRE(range_set_bytes(&minus) + range_set_bytes(&b) == range_set_bytes(&both));
    uint64_t all = range_set_bytes(&both);
    FUZZ_REQUIRE(range_set_bytes(&prefix) == (number < all ? number : all));
    FUZZ_REQUIRE(range_set_bytes(&from) <= all && !from.count == !both.count);
    FUZZ_REQUIRE(range_set_covers(&both, all) == (both.count <= 1 && (!both.count || !both.items[0].offset)));
    require_text_round_trip(&both);
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        range_set_free(sets[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input_t in = {data, size};
    uint64_t file_size = fuzz_number(&in, 8);
    store_range_t ranges[MAX_RANGES];
    size_t count = 0;
    while (in.size && count < MAX_RANGES) {
        ranges[count].offset = fuzz_number(&in, 8);
        ranges[count].length = fuzz_number(&in, 8);
        count++;
    }
    check_file_ranges(count ? ranges : NULL, count, file_size);
    check_set_operations(ranges, count, file_size);
    return 0;
}
