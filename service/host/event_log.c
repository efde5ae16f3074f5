/* A copy of every log line to the Windows event log (Application, source "opendo"), with the
 * message table compiled into dosvc.exe (service/messages/messages.mc: MSG_LOG_INFO, _WARNING,
 * _ERROR; the source's EventMessageFile, written by `dosvc install`) so that Event Viewer shows
 * text. Best-effort: without a source nothing is copied, and under Wine ReportEvent is a stub. */
#include "dosvc.h"
#include "log.h"
#include "messages.h"

#define FIELD_MAX 4096 /* UTF-16 units of one string (the details are cut there) */

static HANDLE source;

static void to_wide(const char *text, WCHAR *out)
{
    if (!MultiByteToWideChar(CP_UTF8, 0, text, -1, out, FIELD_MAX))
        out[FIELD_MAX - 1] = L'\0'; /* too long: the part converted */
}

/* The log's sink (called with the log's lock held: it logs nothing). */
static void report_line(void *ctx, log_level_t level, const char *job, const char *owner,
                        const char *event, const char *details)
{
    (void)ctx;
    static WCHAR fields[4][FIELD_MAX]; /* one line at a time: the log's lock */
    const char *texts[4] = {job, owner, event, details};
    LPCWSTR strings[4];
    for (int i = 0; i < 4; i++) {
        to_wide(texts[i], fields[i]);
        strings[i] = fields[i];
    }
    WORD type = level == LOG_ERROR  ? EVENTLOG_ERROR_TYPE
              : level == LOG_WARN   ? EVENTLOG_WARNING_TYPE : EVENTLOG_INFORMATION_TYPE;
    DWORD id = level == LOG_ERROR ? MSG_LOG_ERROR : level == LOG_WARN ? MSG_LOG_WARNING : MSG_LOG_INFO;
    ReportEventW(source, type, 0, id, NULL, 4, 0, strings, NULL);
}

void event_log_start(void)
{
    source = RegisterEventSourceW(NULL, DOSVC_EVENT_SOURCE);
    if (source)
        log_set_sink(report_line, NULL);
}

void event_log_stop(void)
{
    log_set_sink(NULL, NULL);
    if (source)
        DeregisterEventSource(source);
    source = NULL;
}
