/* Minimal test reporting shared by every test program (native and Windows).
 * Each check prints one line: "ok - <name>" or "not ok - <name>: <detail>".
 * tests/run.sh counts those lines across all programs and prints "N passed, N failed".
 * A program that crashes or exits non-zero without reporting counts as one failure. */
#ifndef OPENDO_TESTS_CHECK_H
#define OPENDO_TESTS_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

static int check_failures;

/* Report one named check; returns cond so callers can stop early on failure. */
static inline int check_report(int cond, const char *name, const char *file, int line)
{
    if (cond)
        printf("ok - %s\n", name);
    else {
        printf("not ok - %s: %s:%d\n", name, file, line);
        check_failures++;
    }
    fflush(stdout);
    return cond;
}

#define CHECK(cond, name) check_report(!!(cond), (name), __FILE__, __LINE__)

/* Compare two HRESULTs (or any 32-bit codes); prints both on mismatch. */
#define CHECK_HR(got, want, name)                                                             \
    do {                                                                                      \
        uint32_t check_got_ = (uint32_t)(got), check_want_ = (uint32_t)(want);                  \
        if (!check_report(check_got_ == check_want_, (name), __FILE__, __LINE__))             \
            printf("#   got 0x%08lx, want 0x%08lx\n", (unsigned long)check_got_,                   \
                   (unsigned long)check_want_);                                       \
    } while (0)

/* A check name "PREFIX: SECTION: <fmt ...>" (no SECTION part when it is ""), in one of four
 * rotating buffers so that a few names can be live at once. */
static inline const char *check_vname(const char *prefix, const char *section, const char *fmt,
                                      va_list ap)
{
    static char bufs[4][600];
    static int next;
    char *buf = bufs[next++ % 4];
    int n = snprintf(buf, sizeof bufs[0], "%s: %s%s", prefix, section, section[0] ? ": " : "");
    vsnprintf(buf + n, sizeof bufs[0] - (size_t)n, fmt, ap);
    return buf;
}

/* Exit status for main(): non-zero when any check failed. */
#define CHECK_EXIT_CODE() (check_failures ? 1 : 0)

#endif
