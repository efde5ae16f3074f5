/* What the fuzz targets share: turning libFuzzer's bytes into the values an entry point takes
 * (texts, numbers, lists of fields) and stopping on a broken promise. Header-only. */
#ifndef OPENDO_TESTS_FUZZ_INPUT_H
#define OPENDO_TESTS_FUZZ_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A broken promise of the code under test (a result it does not document): libFuzzer keeps the
 * input as a crash. */
#define FUZZ_REQUIRE(cond)                                                                   \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

/* A NUL-terminated copy of size bytes (malloc'ed; an embedded NUL ends the text early). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    FUZZ_REQUIRE(text);
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* The input read front to back: numbers from its first bytes, then fields separated by a
 * NUL byte (the seeds are readable: "field\0field\0..."). Past the end, numbers are 0 and
 * fields empty. */
typedef struct fuzz_input {
    const uint8_t *data;
    size_t size;
} fuzz_input_t;

static inline uint64_t fuzz_number(fuzz_input_t *in, size_t bytes)
{
    uint64_t value = 0;
    for (size_t i = 0; i < bytes && in->size; i++, in->data++, in->size--)
        value |= (uint64_t)in->data[0] << (8 * i);
    return value;
}

/* The next field (malloc'ed, NUL-terminated). */
static inline char *fuzz_field(fuzz_input_t *in)
{
    const uint8_t *end = memchr(in->data, '\0', in->size);
    size_t length = end ? (size_t)(end - in->data) : in->size;
    char *field = fuzz_text(in->data, length);
    size_t used = end ? length + 1 : length;
    in->data += used;
    in->size -= used;
    return field;
}

#endif
