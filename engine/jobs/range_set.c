/* Sets of byte ranges for on-demand files (range_set.h). */
#include "range_set.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void range_set_free(range_set_t *set)
{
    free(set->items);
    set->items = NULL;
    set->count = 0;
}

uint64_t range_set_bytes(const range_set_t *set)
{
    uint64_t total = 0;
    for (size_t i = 0; i < set->count; i++)
        total += set->items[i].length;
    return total;
}

static uint64_t range_end(const store_range_t *r)
{
    return r->offset + r->length;
}

static int compare_offsets(const void *a, const void *b)
{
    const store_range_t *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Room for count ranges in out (nothing allocated for 0). */
static hr_t set_alloc(range_set_t *out, size_t count)
{
    out->count = 0;
    out->items = count ? malloc(count * sizeof *out->items) : NULL;
    return count && !out->items ? HR_E_OUTOFMEMORY : HR_OK;
}

/* A built set as range_set.h promises it: no array when it is empty. */
static hr_t set_done(range_set_t *set, hr_t hr)
{
    if (!set->count)
        range_set_free(set);
    return hr;
}

/* Appends r to a normal set built in offset order, merging it with the last range when they
 * touch or overlap. */
static void set_append(range_set_t *set, uint64_t offset, uint64_t length)
{
    if (!length)
        return;
    store_range_t *last = set->count ? &set->items[set->count - 1] : NULL;
    if (last && offset <= range_end(last)) {
        if (offset + length > range_end(last))
            last->length = offset + length - last->offset;
        return;
    }
    set->items[set->count++] = (store_range_t){offset, length};
}

hr_t range_set_union(const store_range_t *a, size_t a_count, const store_range_t *b, size_t b_count,
                     range_set_t *out)
{
    size_t total = a_count + b_count;
    store_range_t *all = total ? malloc(total * sizeof *all) : NULL;
    hr_t hr = total && !all ? HR_E_OUTOFMEMORY : set_alloc(out, total);
    if (HR_SUCCEEDED(hr) && total) {
        if (a_count)
            memcpy(all, a, a_count * sizeof *all);
        if (b_count)
            memcpy(all + a_count, b, b_count * sizeof *all);
        qsort(all, total, sizeof *all, compare_offsets);
        for (size_t i = 0; i < total; i++)
            set_append(out, all[i].offset, all[i].length);
    }
    free(all);
    return set_done(out, hr);
}

hr_t range_set_subtract(const range_set_t *a, const range_set_t *b, range_set_t *out)
{
    /* Each range of b splits at most one range of a in two. */
    hr_t hr = set_alloc(out, a->count + b->count);
    if (HR_FAILED(hr))
        return hr;
    size_t j = 0;
    for (size_t i = 0; i < a->count; i++) {
        uint64_t at = a->items[i].offset, end = range_end(&a->items[i]);
        while (j < b->count && range_end(&b->items[j]) <= at)
            j++;
        for (size_t k = j; k < b->count && b->items[k].offset < end; k++) {
            if (b->items[k].offset > at)
                set_append(out, at, b->items[k].offset - at);
            if (range_end(&b->items[k]) > at)
                at = range_end(&b->items[k]);
        }
        if (at < end)
            set_append(out, at, end - at);
    }
    return set_done(out, HR_OK);
}

hr_t range_set_prefix(const range_set_t *set, uint64_t bytes, range_set_t *out)
{
    hr_t hr = set_alloc(out, set->count);
    for (size_t i = 0; HR_SUCCEEDED(hr) && i < set->count && bytes; i++) {
        uint64_t take = set->items[i].length < bytes ? set->items[i].length : bytes;
        set_append(out, set->items[i].offset, take);
        bytes -= take;
    }
    return set_done(out, hr);
}

hr_t range_set_from(const range_set_t *set, uint64_t position, range_set_t *out)
{
    hr_t hr = set_alloc(out, set->count);
    for (size_t i = 0; HR_SUCCEEDED(hr) && i < set->count; i++) {
        uint64_t end = range_end(&set->items[i]);
        if (end > position) {
            uint64_t start = set->items[i].offset > position ? set->items[i].offset : position;
            set_append(out, start, end - start);
        }
    }
    if (HR_SUCCEEDED(hr) && !out->count)
        for (size_t i = 0; i < set->count; i++)
            set_append(out, set->items[i].offset, set->items[i].length);
    return set_done(out, hr);
}

int range_set_covers(const range_set_t *set, uint64_t size)
{
    if (size == 0)
        return set->count == 0;
    return set->count == 1 && set->items[0].offset == 0 && set->items[0].length == size;
}

#define RANGE_TEXT_MAX 34 /* "ffffffffffffffff+ffffffffffffffff," */

hr_t range_set_format(const range_set_t *set, char **text)
{
    char *out = malloc(set->count * RANGE_TEXT_MAX + 1);
    if (!out)
        return HR_E_OUTOFMEMORY;
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < set->count; i++)
        used += (size_t)snprintf(out + used, RANGE_TEXT_MAX + 1, "%s%" PRIx64 "+%" PRIx64, i ? "," : "",
                                 set->items[i].offset, set->items[i].length);
    *text = out;
    return HR_OK;
}

/* One hexadecimal number of at most 16 digits at *p; advances *p. */
static int parse_hex(const char **p, uint64_t *value)
{
    uint64_t v = 0;
    size_t digits = 0;
    for (;; (*p)++, digits++) {
        char c = **p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            break;
        v = v << 4 | (uint64_t)d;
    }
    *value = v;
    return digits > 0 && digits <= 16;
}

hr_t range_set_parse(const char *text, range_set_t *out)
{
    size_t count = text && *text ? 1 : 0;
    for (const char *p = text; p && *p; p++)
        count += *p == ',';
    hr_t hr = text ? set_alloc(out, count) : HR_E_INVALIDARG;
    for (const char *p = text; HR_SUCCEEDED(hr) && out->count < count;) {
        uint64_t offset, length;
        int ok = parse_hex(&p, &offset) && *p++ == '+' && parse_hex(&p, &length) &&
                 (*p == ',' ? *p++ == ',' : *p == '\0') && length && offset + length > offset &&
                 (!out->count || offset > range_end(&out->items[out->count - 1]));
        if (!ok) {
            range_set_free(out);
            return HR_E_INVALIDARG;
        }
        out->items[out->count++] = (store_range_t){offset, length};
    }
    return hr;
}
