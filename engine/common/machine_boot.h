/* When the machine booted: tells a restarted machine from a restarted service (docs/transfer.md
 * "Durability"). Bytes written but not flushed survive a restart of the service in the system's
 * cache, not a restart of the machine. */
#ifndef OPENDO_MACHINE_BOOT_H
#define OPENDO_MACHINE_BOOT_H

#include <stdint.h>

/* The boot time in seconds since 1970 (UTC): the wall clock minus the time since boot
 * (GetTickCount64 on Windows, under Wine the host's monotonic clock; CLOCK_BOOTTIME natively). */
int64_t machine_boot_time(void);

/* Two boot times this close are one boot: the wall clock may be set between two readings.
 * A clock set further apart reads as another boot, which only makes the service fetch again
 * what it could have kept; never the reverse. */
#define MACHINE_BOOT_TOLERANCE_S 10
int machine_same_boot(int64_t a, int64_t b);

#endif
