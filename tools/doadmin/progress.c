/* progress.c: progress of a job, for /transfer and /monitor.
 *
 * On a console it is a live line, redrawn in place:
 *   [###############...............]  50%  5.0 MiB / 10.0 MiB  2.1 MiB/s  ETA 0:03  TRANSFERRING
 * Redirected, it is one plain line per change of state or progress, fields separated by one
 * blank, the display name last (it may hold blanks):
 *   job={GUID} state=TRANSFERRING files=0/1 bytes=5242880/10485760 percent=50 rate=2202009 \
 *       eta=3 name=my job
 * (one line). The bytes total, percent and eta may be UNKNOWN; rate is in bytes per second, eta
 * in seconds. docs/admin-guide.md ("Progress") describes every field. */
#include "doadmin.h"

#include <math.h>

#define RATE_WINDOW_MS 5000 /* the rate is the average over the last five seconds */
#define BAR_MIN 10
#define BAR_MAX 40

void progress_sample(progress_meter *meter, const job_summary *summary)
{
    ULONGLONG now = GetTickCount64();
    UINT64 bytes = summary->progress.BytesTransferred;
    if (meter->count && bytes < meter->bytes[(meter->first + meter->count - 1) % PROGRESS_SAMPLES])
        meter->count = 0; /* the transfer started again: a new window */
    if (meter->count == PROGRESS_SAMPLES) {
        meter->first = (meter->first + 1) % PROGRESS_SAMPLES;
        meter->count--;
    }
    int slot = (meter->first + meter->count++) % PROGRESS_SAMPLES;
    meter->ms[slot] = now;
    meter->bytes[slot] = bytes;
    while (meter->count > 2 &&
           now - meter->ms[(meter->first + 1) % PROGRESS_SAMPLES] >= RATE_WINDOW_MS) {
        meter->first = (meter->first + 1) % PROGRESS_SAMPLES;
        meter->count--;
    }
    ULONGLONG span = now - meter->ms[meter->first];
    meter->rate = meter->count > 1 && span > 0
                      ? (double)(bytes - meter->bytes[meter->first]) * 1000.0 / (double)span
                      : 0;
}

/* -1 when unknown (no total, or a total of 0). */
static int percent(const BG_JOB_PROGRESS *progress)
{
    if (progress->BytesTotal == BG_SIZE_UNKNOWN || progress->BytesTotal == 0)
        return -1;
    return (int)((double)progress->BytesTransferred * 100.0 / (double)progress->BytesTotal);
}

/* Seconds left at the current rate; -1 when unknown. */
static long long eta_seconds(const progress_meter *meter, const BG_JOB_PROGRESS *progress)
{
    if (progress->BytesTotal == BG_SIZE_UNKNOWN)
        return -1;
    if (progress->BytesTransferred >= progress->BytesTotal)
        return 0;
    if (meter->rate < 1.0)
        return -1;
    return (long long)ceil((double)(progress->BytesTotal - progress->BytesTransferred) /
                           meter->rate);
}

int progress_print_change(progress_meter *meter, const job_summary *summary)
{
    const BG_JOB_PROGRESS *p = &summary->progress;
    if (meter->shown && meter->shown_state == summary->state &&
        meter->shown_bytes == p->BytesTransferred && meter->shown_files == p->FilesTransferred)
        return 0;
    wchar_t total[24], pct[16], eta[24];
    int pc = percent(p);
    long long left = eta_seconds(meter, p);
    bytes_total_text(p->BytesTotal, total, ARRAYSIZE(total));
    swprintf(pct, ARRAYSIZE(pct), pc < 0 ? L"UNKNOWN" : L"%d", pc);
    swprintf(eta, ARRAYSIZE(eta), left < 0 ? L"UNKNOWN" : L"%lld", left);
    out_printf(
        L"job=%ls state=%ls files=%lu/%lu bytes=%llu/%ls percent=%ls rate=%.0f eta=%ls name=%ls\n",
        summary->id, state_caps(summary->state), (unsigned long)p->FilesTransferred,
        (unsigned long)p->FilesTotal, (unsigned long long)p->BytesTransferred, total, pct,
        meter->rate, eta, summary->name);
    meter->shown = 1;
    meter->shown_state = summary->state;
    meter->shown_bytes = p->BytesTransferred;
    meter->shown_files = p->FilesTransferred;
    return 1;
}

/* 1536 -> "1.5 KiB" */
static void human_bytes(double bytes, wchar_t *buf, size_t size)
{
    static const wchar_t *const units[] = { L"B", L"KiB", L"MiB", L"GiB", L"TiB" };
    int unit = 0;
    while (bytes >= 1024.0 && unit < 4) {
        bytes /= 1024.0;
        unit++;
    }
    swprintf(buf, size, unit ? L"%.1f %ls" : L"%.0f %ls", bytes, units[unit]);
}

void progress_bar_text(const progress_meter *meter, const job_summary *summary, int width,
                       wchar_t *buf, size_t size)
{
    const BG_JOB_PROGRESS *p = &summary->progress;
    wchar_t bar[BAR_MAX + 1], done[24], total[24], rate[24], eta[24], tail[160];
    int pc = percent(p);
    human_bytes((double)p->BytesTransferred, done, ARRAYSIZE(done));
    if (p->BytesTotal == BG_SIZE_UNKNOWN)
        swprintf(total, ARRAYSIZE(total), L"?");
    else
        human_bytes((double)p->BytesTotal, total, ARRAYSIZE(total));
    human_bytes(meter->rate, rate, ARRAYSIZE(rate));
    long long left = eta_seconds(meter, p);
    if (left < 0)
        swprintf(eta, ARRAYSIZE(eta), L"--:--");
    else if (left >= 3600)
        swprintf(eta, ARRAYSIZE(eta), L"%lld:%02lld:%02lld", left / 3600, left / 60 % 60,
                 left % 60);
    else
        swprintf(eta, ARRAYSIZE(eta), L"%lld:%02lld", left / 60, left % 60);
    swprintf(tail, ARRAYSIZE(tail),
             pc < 0 ? L"  ?%%  %ls / %ls  %ls/s  ETA %ls  %ls"
                    : L"%3d%%  %ls / %ls  %ls/s  ETA %ls  %ls",
             pc < 0 ? 0 : pc, done, total, rate, eta, state_caps(summary->state));
    /* The bar takes what the rest of the line leaves, within limits. */
    int bar_width = width - (int)wcslen(tail) - 3;
    bar_width = bar_width < BAR_MIN ? BAR_MIN : bar_width > BAR_MAX ? BAR_MAX : bar_width;
    int filled = pc < 0 ? 0 : pc * bar_width / 100;
    for (int i = 0; i < bar_width; i++)
        bar[i] = i < filled ? L'#' : L'.';
    bar[bar_width] = L'\0';
    swprintf(buf, size, L"[%ls] %ls", bar, tail);
}
