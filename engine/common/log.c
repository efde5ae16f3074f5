#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <uv.h>

#include "guid.h"

static FILE *log_file;
static uv_mutex_t log_lock;
static uv_once_t log_lock_once = UV_ONCE_INIT;

static void log_lock_init(void)
{
    uv_mutex_init(&log_lock);
}

int log_open(const char *path)
{
    uv_once(&log_lock_once, log_lock_init);
    FILE *f = fopen(path, "a");
    if (!f)
        return -1;
    uv_mutex_lock(&log_lock);
    if (log_file)
        fclose(log_file);
    log_file = f;
    uv_mutex_unlock(&log_lock);
    return 0;
}

void log_close(void)
{
    uv_once(&log_lock_once, log_lock_init);
    uv_mutex_lock(&log_lock);
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    uv_mutex_unlock(&log_lock);
}

static const char *level_name(log_level_t level)
{
    return level == LOG_ERROR ? "ERROR" : level == LOG_WARN ? "WARN" : "INFO";
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

void log_event(log_level_t level, const store_guid_t *job, const char *fmt, ...)
{
    char stamp[32], job_text[GUID_STRING_SIZE] = "-";
    format_timestamp(stamp, sizeof stamp);
    if (job)
        guid_format(job, job_text);

    uv_once(&log_lock_once, log_lock_init);
    uv_mutex_lock(&log_lock);
    FILE *out = log_file ? log_file : stderr;
    fprintf(out, "%s %-5s %s ", stamp, level_name(level), job_text);
    va_list args;
    va_start(args, fmt);
    vfprintf(out, fmt, args);
    va_end(args);
    fputc('\n', out);
    fflush(out);
    uv_mutex_unlock(&log_lock);
}
