#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "guid.h"
#include "text.h"

#define LOG_PATH_MAX 1024
#define DETAILS_MAX 4096 /* bytes of one line's details; longer ones are cut */

static struct {
    uv_mutex_t lock;  /* everything below */
    FILE *file;
    char path[LOG_PATH_MAX];
    uint64_t size;    /* bytes in the current file */
    uint64_t max_bytes;
    uint32_t max_files;
    log_sink_fn sink;
    void *sink_ctx;
} state = {.max_bytes = LOG_DEFAULT_MAX_BYTES, .max_files = LOG_DEFAULT_MAX_FILES};
static uv_once_t lock_once = UV_ONCE_INIT;

static void lock_init(void)
{
    uv_mutex_init(&state.lock);
}

static void lock(void)
{
    uv_once(&lock_once, lock_init);
    uv_mutex_lock(&state.lock);
}

static void unlock(void)
{
    uv_mutex_unlock(&state.lock);
}

static void close_file(void)
{
    if (state.file)
        fclose(state.file);
    state.file = NULL;
}

/* Opens state.path for appending and learns its size. Lock held. */
static int open_file(void)
{
    FILE *f = fopen(state.path, "ab");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    state.file = f;
    state.size = size > 0 ? (uint64_t)size : 0;
    return 0;
}

int log_open(const char *path)
{
    if (!path || strlen(path) >= LOG_PATH_MAX - 4)
        return -1;
    lock();
    close_file();
    strcpy(state.path, path);
    int rc = open_file();
    if (rc != 0)
        state.path[0] = '\0';
    unlock();
    return rc;
}

void log_close(void)
{
    lock();
    close_file();
    state.path[0] = '\0';
    unlock();
}

void log_set_limits(uint64_t max_bytes, uint32_t max_files)
{
    lock();
    state.max_bytes = max_bytes < LOG_MIN_MAX_BYTES ? LOG_MIN_MAX_BYTES : max_bytes;
    state.max_files = max_files > LOG_MAX_MAX_FILES ? LOG_MAX_MAX_FILES : max_files;
    unlock();
}

void log_set_sink(log_sink_fn fn, void *ctx)
{
    lock();
    state.sink = fn;
    state.sink_ctx = ctx;
    unlock();
}

/* path.N (N >= 1), or the current file for N = 0. */
static void numbered_path(uint32_t n, char *out, size_t size)
{
    if (n == 0)
        snprintf(out, size, "%s", state.path);
    else
        snprintf(out, size, "%s.%u", state.path, n);
}

/* The current file becomes .1, .1 becomes .2 ...; the one past max_files goes. The current file
 * is moved aside first: if that fails (a reader holds it on Windows) nothing else moves and it
 * is written on, so no line is lost and the older files stay; the next line tries again. Lock
 * held. */
static void rotate(void)
{
    char current[LOG_PATH_MAX + 8], aside[LOG_PATH_MAX + 24], from[LOG_PATH_MAX + 8],
        to[LOG_PATH_MAX + 8];
    close_file();
    numbered_path(0, current, sizeof current);
    snprintf(aside, sizeof aside, "%s.rotating", current);
    if (state.max_files == 0) {
        remove(current);
    } else if (rename(current, aside) == 0) {
        numbered_path(state.max_files, to, sizeof to);
        remove(to);
        for (uint32_t n = state.max_files; n > 1; n--) {
            numbered_path(n - 1, from, sizeof from);
            numbered_path(n, to, sizeof to);
            rename(from, to);
        }
        numbered_path(1, to, sizeof to);
        rename(aside, to);
    }
    if (open_file() != 0)
        state.path[0] = '\0';
}

static void format_timestamp(char *buf, size_t size)
{
    uv_timeval64_t now;
    uv_gettimeofday(&now);
    time_t seconds = (time_t)now.tv_sec;
    struct tm tm;
#ifdef _WIN32
    gmtime_s(&tm, &seconds);
#else
    gmtime_r(&seconds, &tm);
#endif
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(now.tv_usec / 1000));
}

static const char *level_name(log_level_t level)
{
    return level == LOG_ERROR ? "ERROR" : level == LOG_WARN ? "WARN" : "INFO";
}

/* Writes one line (lock held), rotating first when it would pass the cap. */
static void write_line(log_level_t level, const char *job, const char *owner, const char *event,
                       const char *details)
{
    char stamp[32], head[160];
    format_timestamp(stamp, sizeof stamp);
    int head_len = snprintf(head, sizeof head, "%s %-5s %s %s %s ", stamp, level_name(level), job,
                            owner, event);
    if (head_len < 0)
        return;
    uint64_t line_len = (uint64_t)head_len + strlen(details) + 1;
    if (state.file && state.size > 0 && state.size + line_len > state.max_bytes)
        rotate();
    FILE *out = state.file ? state.file : stderr;
    fprintf(out, "%s%s\n", head, details);
    fflush(out);
    state.size += line_len;
    if (state.sink)
        state.sink(state.sink_ctx, level, job, owner, event, details);
}

/* A URL may carry a password (scheme://user:password@host, as BITS accepts in a remote name):
 * every line shows it as "***", in the file and to the sink (the event log). The user name stays,
 * so the administrator still sees which account. A line cut (cut: it was longer than size) inside
 * a URL's user:password, before its '@', or with no room left for "***", ends before the password
 * rather than showing it. */
static void mask_url_passwords(char *text, size_t size, int cut)
{
    for (char *mark = strstr(text, "://"); mark; mark = strstr(mark, "://")) {
        char *authority = mark + 3, *at = NULL;
        size_t span = strcspn(authority, "/?#\\ \t\"'<>");
        for (size_t i = 0; i < span; i++)
            at = authority[i] == '@' ? authority + i : at;
        int cut_inside = cut && !at && authority[span] == '\0';
        char *colon = memchr(authority, ':', (size_t)((at ? at : authority + span) - authority));
        mark = authority;
        if (!colon || (!at && !cut_inside))
            continue;
        char *password = colon + 1;
        size_t offset = (size_t)(password - text);
        if (!at || offset + 4 >= size) { /* the line ends here */
            *password = '\0';
            return;
        }
        size_t tail = strlen(at) + 1, room = size - offset - 3;
        memmove(password + 3, at, tail < room ? tail : room);
        text[size - 1] = '\0';
        memcpy(password, "***", 3);
        mark = password + 3;
    }
}

static void vlog(log_level_t level, const store_guid_t *job, const char *owner, const char *event,
                 const char *fmt, va_list args)
{
    char job_text[GUID_STRING_SIZE] = "-", details[DETAILS_MAX];
    if (job)
        guid_format(job, job_text);
    int length = vsnprintf(details, sizeof details, fmt, args);
    mask_url_passwords(details, sizeof details, length >= (int)sizeof details);
    for (char *c = details; *c; c++)
        if (*c == '\r' || *c == '\n')
            *c = ' ';
    lock();
    write_line(level, job_text, owner && *owner ? owner : "-", event && *event ? event : "-",
               details);
    unlock();
}

void log_event(log_level_t level, const store_guid_t *job, const char *owner, const char *event,
               const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vlog(level, job, owner, event, fmt, args);
    va_end(args);
}

void log_job(log_level_t level, const store_job_t *job, const char *event, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vlog(level, &job->id, job->owner_sid, event, fmt, args);
    va_end(args);
}

void log_service(log_level_t level, const char *event, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vlog(level, NULL, NULL, event, fmt, args);
    va_end(args);
}

/* ---- reading back ------------------------------------------------------------------------- */

/* The newest lines kept so far: a ring of at most max lines. */
typedef struct line_ring {
    char **lines;
    uint32_t max, count, next;
    int failed;
} line_ring_t;

static void ring_push(line_ring_t *ring, const char *line, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy) {
        ring->failed = 1;
        return;
    }
    memcpy(copy, line, len);
    copy[len] = '\0';
    free(ring->lines[ring->next]);
    ring->lines[ring->next] = copy;
    ring->next = (ring->next + 1) % ring->max;
    if (ring->count < ring->max)
        ring->count++;
}

/* The n-th space-separated field of a line (from 0), its length in *len. */
static const char *field(const char *line, int n, size_t *len)
{
    for (; n > 0 && line; n--) {
        line = strchr(line, ' ');
        while (line && *line == ' ')
            line++;
    }
    if (!line || !*line)
        return NULL;
    *len = strcspn(line, " \n");
    return line;
}

static int field_is(const char *line, int n, const char *value)
{
    size_t len = 0;
    const char *f = field(line, n, &len);
    return f && len == strlen(value) && strncmp(f, value, len) == 0;
}

static int line_matches(const char *line, const log_query_t *query, const char *job_text)
{
    if (query->since && strncmp(line, query->since, strlen(query->since)) < 0)
        return 0;
    if (query->job && !field_is(line, 2, job_text))
        return 0;
    return !query->problems_only || field_is(line, 1, "WARN") || field_is(line, 1, "ERROR");
}

/* Adds the matching lines of one file to the ring (a missing file adds nothing). */
static void read_file(const char *path, const log_query_t *query, const char *job_text,
                      line_ring_t *ring)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    text_t line = {0};
    char chunk[4096];
    while (!ring->failed && fgets(chunk, sizeof chunk, f)) {
        text_puts(&line, chunk);
        if (line.failed)
            ring->failed = 1;
        if (line.len == 0 || line.data[line.len - 1] != '\n')
            continue; /* the rest of a long line follows */
        if (line_matches(line.data, query, job_text))
            ring_push(ring, line.data, line.len);
        line.len = 0;
    }
    text_free(&line);
    fclose(f);
}

int log_read(const log_query_t *query, char **text)
{
    *text = NULL;
    uint32_t max = query->max_lines ? query->max_lines : LOG_DEFAULT_READ_LINES;
    line_ring_t ring = {.max = max > LOG_MAX_READ_LINES ? LOG_MAX_READ_LINES : max};
    ring.lines = calloc(ring.max, sizeof *ring.lines);
    if (!ring.lines)
        return LOG_READ_NO_MEMORY;
    char job_text[GUID_STRING_SIZE] = "";
    if (query->job)
        guid_format(query->job, job_text);

    lock(); /* no rotation while the files are read */
    int rc = state.path[0] ? 0 : LOG_READ_NOT_OPEN;
    if (state.file)
        fflush(state.file);
    for (uint32_t n = state.max_files + 1; rc == 0 && n > 0; n--) {
        char path[LOG_PATH_MAX + 8];
        numbered_path(n - 1, path, sizeof path);
        read_file(path, query, job_text, &ring);
    }
    unlock();

    text_t out = {0};
    for (uint32_t i = 0; i < ring.count; i++) {
        uint32_t at = (ring.next + ring.max - ring.count + i) % ring.max;
        text_puts(&out, ring.lines[at]);
    }
    for (uint32_t i = 0; i < ring.max; i++)
        free(ring.lines[i]);
    free(ring.lines);
    *text = rc == 0 && !ring.failed ? text_finish(&out) : NULL;
    text_free(&out);
    return rc ? rc : *text ? 0 : LOG_READ_NO_MEMORY;
}
