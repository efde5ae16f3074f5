/* The machine's boot time (machine_boot.h). */
#include "machine_boot.h"

#ifdef _WIN32
#include <windows.h>

int64_t machine_boot_time(void)
{
    FILETIME now;
    GetSystemTimeAsFileTime(&now);
    uint64_t since_1601 = ((uint64_t)now.dwHighDateTime << 32 | now.dwLowDateTime) / 10000000u;
    return (int64_t)(since_1601 - 11644473600u) - (int64_t)(GetTickCount64() / 1000u);
}
#else
#include <time.h>

int64_t machine_boot_time(void)
{
    struct timespec now, since_boot;
    clock_gettime(CLOCK_REALTIME, &now);
    clock_gettime(CLOCK_BOOTTIME, &since_boot);
    return (int64_t)now.tv_sec - (int64_t)since_boot.tv_sec;
}
#endif

int machine_same_boot(int64_t a, int64_t b)
{
    /* unsigned: any two values of a store, however damaged, compare without overflow */
    uint64_t distance = a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
    return distance <= MACHINE_BOOT_TOLERANCE_S;
}
