/* Minimal test reporting shared by every test program (native and Windows).
 * Each check prints one line: "ok - <name>" or "not ok - <name>: <detail>".
 * tests/run.sh counts those lines across all programs and prints "N passed, N failed".
 * A program that crashes or exits non-zero without reporting counts as one failure. */
#ifndef OPENDO_TESTS_CHECK_H
#define OPENDO_TESTS_CHECK_H

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

/* Exit status for main(): non-zero when any check failed. */
#define CHECK_EXIT_CODE() (check_failures ? 1 : 0)

#endif
