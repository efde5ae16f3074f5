/* The service log (engine/common/log.c): the structured line, the copy to a sink, rotation at
 * the size cap with nothing lost from the newest files, and reading back with filters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "guid.h"
#include "log.h"

#define CAP 4096u
#define KEPT 2u

static char dir[64], path[128];

static char *read_whole(const char *file)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = calloc(1, (size_t)size + 1);
    if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

static long file_size(const char *file)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    return size;
}

/* ---- the line -------------------------------------------------------------------------------- */

static char sink_seen[512];
static void sink(void *ctx, log_level_t level, const char *job, const char *owner, const char *event,
                 const char *details)
{
    (void)ctx;
    snprintf(sink_seen, sizeof sink_seen, "%d|%s|%s|%s|%s", (int)level, job, owner, event, details);
}

static int is_timestamp(const char *t)
{
    /* 2026-12-07T02:24:32.136Z */
    const char *shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
            return 0;
    return t[24] == ' ';
}

static void test_line(void)
{
    store_job_t job = {0};
    guid_generate(&job.id);
    job.owner_sid = "S-1-5-21-1-2-3-1001";
    char id[GUID_STRING_SIZE];
    guid_format(&job.id, id);
    log_set_sink(sink, NULL);
    log_job(LOG_WARN, &job, "transfer.retry", "file %u: two\nlines\r\nhere", 3u);
    log_service(LOG_ERROR, "service.start", "service start failed: 0x%08x", 0x80004005u);
    log_set_sink(NULL, NULL);
    log_service(LOG_INFO, "service.stop", "not seen by the sink");

    char *text = read_whole(path);
    char expected[256];
    snprintf(expected, sizeof expected, " WARN  %s S-1-5-21-1-2-3-1001 transfer.retry file 3: two lines  here\n", id);
    CHECK(text && is_timestamp(text) && strncmp(text + 24, expected, strlen(expected)) == 0,
          "a job's line: time, level, job id, owner, event, details (line breaks as spaces)");
    char *second = text ? strchr(text, '\n') + 1 : NULL;
    CHECK(second && is_timestamp(second) &&
              strncmp(second + 24, " ERROR - - service.start service start failed: 0x80004005\n", 58) == 0,
          "a service-wide line: job and owner are -");
    CHECK(strstr(sink_seen, "2|-|-|service.start|service start failed: 0x80004005") == sink_seen,
          "the sink gets every line's fields (the last one while it was set)");
    free(text);
}

/* ---- passwords in URLs --------------------------------------------------------------------- */

/* What the sink saw of one line logged with details. */
static const char *details_logged(const char *details)
{
    log_set_sink(sink, NULL);
    log_service(LOG_WARN, "transfer.error", "%s", details);
    log_set_sink(NULL, NULL);
    return strstr(sink_seen, "transfer.error|") + strlen("transfer.error|");
}

static void test_passwords_masked(void)
{
    CHECK(strcmp(details_logged("GET https://alice:s3cr3t@example.com:8443/f.bin failed"),
                 "GET https://alice:***@example.com:8443/f.bin failed") == 0,
          "a URL's password is logged as *** (the user name stays)");
    CHECK(strcmp(details_logged("ftp://a:p@h/x and http://b:@h2/ and file://c:q:r@h3?x"),
                 "ftp://a:***@h/x and http://b:***@h2/ and file://c:***@h3?x") == 0,
          "every URL of a line is masked: a 1-character, an empty and a colon-holding password");
    const char *untouched = "http://bob@h/p http://[::1]:80/a@b http://h/p?u=x:y@z \"s://x:y\" @z";
    CHECK(strcmp(details_logged(untouched), untouched) == 0,
          "no password, an '@' after the host or a colon without '@': nothing changed");
    char *text = read_whole(path);
    CHECK(text && !strstr(text, "s3cr3t") && strstr(text, "https://alice:***@example.com"),
          "the log file holds the masked line, never the password");
    free(text);
    /* the password 2 and 6 bytes before the end of what a line's details can hold (4096) */
    static char long_lines[2][8192];
    for (int i = 0; i < 2; i++) {
        memset(long_lines[i], 'x', sizeof long_lines[i] - 1);
        memcpy(long_lines[i] + (i ? 4084 : 4080), "http://u:pw@h/", 14);
        details_logged(long_lines[i]);
    }
    text = read_whole(path);
    CHECK(text && !strstr(text, "u:pw") && strstr(text, "http://u:***@h") && strstr(text, "http://u:\n"),
          "a password at the end of an over-long line is masked, or the line ends before it");
    free(text);
}

/* ---- rotation ------------------------------------------------------------------------------ */

/* Writes lines "seq N" + padding (about 100 bytes each). */
static void write_numbered(int from, int to)
{
    for (int n = from; n < to; n++)
        log_service(LOG_INFO, "test.seq", "seq %06d %s", n,
                    "................................................");
}

/* The sequence numbers in a file, in order; -1 in *first when the file is missing. Checks that
 * every line is whole (ends with a newline) and that they follow each other. */
static int scan_file(const char *file, int *first, int *last)
{
    *first = *last = -1;
    char *text = read_whole(file);
    if (!text)
        return 1;
    int ok = 1, n;
    for (char *line = text; *line; line = strchr(line, '\n') + 1) {
        if (!strchr(line, '\n'))
            return free(text), 0; /* a cut line */
        const char *seq = strstr(line, " seq ");
        if (!seq || sscanf(seq, " seq %d", &n) != 1)
            continue;
        ok &= *last < 0 || n == *last + 1;
        if (*first < 0)
            *first = n;
        *last = n;
    }
    free(text);
    return ok;
}

static void test_rotation(void)
{
    log_set_limits(CAP, KEPT);
    write_numbered(0, 300); /* ~30 KB through a 4 KiB cap, 2 rotated files kept */

    char name[160];
    int first[KEPT + 1], last[KEPT + 1], whole = 1, capped = 1;
    for (unsigned i = 0; i <= KEPT; i++) {
        if (i == 0)
            snprintf(name, sizeof name, "%s", path);
        else
            snprintf(name, sizeof name, "%s.%u", path, i);
        whole &= scan_file(name, &first[i], &last[i]);
        capped &= file_size(name) > 0 && file_size(name) <= (long)CAP;
    }
    snprintf(name, sizeof name, "%s.%u", path, KEPT + 1);
    CHECK(whole, "rotated files hold whole lines, in order");
    CHECK(capped, "the current file and each rotated one stay within the cap");
    CHECK(file_size(name) < 0, "no more rotated files than configured");
    CHECK(last[0] == 299, "the newest line is in the current file");
    CHECK(last[1] + 1 == first[0] && last[2] + 1 == first[1],
          "nothing is lost between the newest files (.2, .1 and the current one follow each other)");

    /* Reopened (a service restart): the size already written counts. */
    log_close();
    CHECK(log_open(path) == 0, "the log opens again");
    long before = file_size(path);
    int lines_to_cap = (int)(((long)CAP - before) / 100) + 2;
    write_numbered(300, 300 + lines_to_cap);
    CHECK(file_size(path) <= (long)CAP, "after reopening, the cap still holds");
}

/* ---- reading back ---------------------------------------------------------------------------- */

static int count_lines(const char *text)
{
    int n = 0;
    for (; text && *text; text++)
        n += *text == '\n';
    return n;
}

/* Lines in the current file and the rotated ones. */
static int lines_in_files(void)
{
    int total = 0;
    for (unsigned i = 0; i <= KEPT; i++) {
        char name[160];
        snprintf(name, sizeof name, i ? "%s.%u" : "%s", path, i);
        char *text = read_whole(name);
        total += count_lines(text);
        free(text);
    }
    return total;
}

static void test_read(void)
{
    log_set_limits(1u << 20, KEPT);
    write_numbered(1000, 1250);
    store_job_t job = {0};
    guid_generate(&job.id);
    job.owner_sid = "S-1-5-21-9";
    log_job(LOG_INFO, &job, "job.create", "created by S-1-5-21-9");
    log_job(LOG_ERROR, &job, "transfer.error", "file 0: fatal 0x80190194 (HTTP 404); ERROR");
    log_service(LOG_WARN, "tls.refused", "TLS certificate of https://x/ refused");

    char *text = NULL;
    log_query_t all = {0};
    CHECK(log_read(&all, &text) == 0 && count_lines(text) == (int)LOG_DEFAULT_READ_LINES,
          "read: the newest 200 lines by default, across rotated files");
    CHECK(text && strstr(text, "tls.refused") && strstr(text, "tls.refused") > strstr(text, "transfer.error"),
          "read: oldest first, the newest last");
    free(text);

    log_query_t by_job = {.job = &job.id};
    CHECK(log_read(&by_job, &text) == 0 && count_lines(text) == 2 && strstr(text, "job.create") &&
              strstr(text, "transfer.error"),
          "read /job: that job's lines only");
    free(text);

    log_query_t problems = {.job = &job.id, .problems_only = 1};
    CHECK(log_read(&problems, &text) == 0 && count_lines(text) == 1 && strstr(text, " ERROR "),
          "read /errors: WARN and ERROR lines only");
    free(text);

    log_query_t few = {.max_lines = 2};
    CHECK(log_read(&few, &text) == 0 && count_lines(text) == 2 && strstr(text, "transfer.error") &&
              strstr(text, "tls.refused"),
          "read: at most max_lines, the newest");
    free(text);

    log_query_t future = {.since = "2999-01-01T00:00:00Z"};
    CHECK(log_read(&future, &text) == 0 && text && text[0] == '\0', "read /since a later time: nothing");
    free(text);
    log_query_t past = {.since = "2000", .max_lines = LOG_MAX_READ_LINES};
    CHECK(log_read(&past, &text) == 0 && count_lines(text) == lines_in_files() && count_lines(text) > 250,
          "read /since an earlier time: every line of every file");
    free(text);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/opendo-test-log.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/dosvc.log", dir);
    CHECK(log_open(path) == 0, "the log opens");
    test_line();
    test_passwords_masked();
    test_rotation();
    test_read();
    log_close();
    char *text = NULL;
    log_query_t all = {0};
    CHECK(log_read(&all, &text) == LOG_READ_NOT_OPEN && !text, "read without an open log fails");

    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return CHECK_EXIT_CODE();
}
