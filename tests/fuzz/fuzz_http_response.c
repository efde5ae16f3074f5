/* Fuzz target: the response headers a server sends, read by the transfer engine's own header
 * function (transfer_header_line: status line, ETag, Last-Modified, Content-Range, Location,
 * Retry-After, Content-Length, Transfer-Encoding), then what the engine makes of them: the
 * Content-Range it would check a 206 or 416 against, the Retry-After delay, the If-Range
 * validator. Input: the header block as received, one line per '\n'. */
#include <curl/curl.h>
#include <time.h>

#include "fuzz_input.h"
#include "transfer_internal.h"

static CURL *easy; /* never performs: the response code it reports is 0 (an interim response) */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    FUZZ_REQUIRE(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK && (easy = curl_easy_init()));
    return 0;
}

static void feed_lines(transfer_t *t, const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    FUZZ_REQUIRE(copy);
    memcpy(copy, data, size);
    for (size_t at = 0; at < size;) {
        const char *newline = memchr(copy + at, '\n', size - at);
        size_t length = newline ? (size_t)(newline - (copy + at)) + 1 : size - at;
        FUZZ_REQUIRE(transfer_header_line(copy + at, 1, length, t) == length);
        at += length;
    }
    free(copy);
}

/* Accepted: the unsatisfied form "STAR/c", or a <= b, before c when c is known. */
static void check_content_range(const char *value)
{
    uint64_t a = 0, b = 0, c = 0;
    if (!value || transfer_parse_content_range(value, &a, &b, &c))
        return;
    if (a == UINT64_MAX)
        FUZZ_REQUIRE(b == UINT64_MAX);
    else
        FUZZ_REQUIRE(a <= b && b != UINT64_MAX && (c == UINT64_MAX || b < c));
}

/* A date too far away to count in 32 bits waits as long as a delay can: it never wraps around. */
static void check_retry_after(const char *value)
{
    time_t before = time(NULL);
    uint32_t delay = transfer_parse_retry_after(value);
    if (!value || (value[0] >= '0' && value[0] <= '9'))
        return;
    time_t when = curl_getdate(value, NULL);
    time_t after = time(NULL);
    if (when <= before)
        FUZZ_REQUIRE(delay == 0);
    else if (when - after > (time_t)UINT32_MAX)
        FUZZ_REQUIRE(delay == UINT32_MAX);
    else
        FUZZ_REQUIRE(delay <= when - before);
}

/* A strong ETag, else Last-Modified (a weak "W/" ETag never goes into If-Range). */
static void check_validator(const transfer_t *t)
{
    char *validator = transfer_pick_validator(t);
    int strong = t->h_etag && strncmp(t->h_etag, "W/", 2) && strncmp(t->h_etag, "w/", 2);
    const char *want = strong ? t->h_etag : t->h_last_modified;
    FUZZ_REQUIRE(want ? validator && !strcmp(validator, want) : !validator);
    free(validator);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    transfer_t *t = calloc(1, sizeof *t);
    FUZZ_REQUIRE(t);
    t->easy = easy;
    transfer_clear_response(t);
    feed_lines(t, data, size);
    FUZZ_REQUIRE(t->hdr_len < TRANSFER_HEADERS_MAX && (!t->hdr || strlen(t->hdr) <= t->hdr_len));
    FUZZ_REQUIRE(memchr(t->reason, '\0', sizeof t->reason));
    check_content_range(t->h_content_range);
    check_retry_after(t->h_retry_after);
    check_validator(t);
    transfer_clear_response(t);
    free(t->hdr);
    free(t);
    return 0;
}
