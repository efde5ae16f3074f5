/* OnStatusChange calls for the core's events, to each download's IDODownloadStatusCallback
 * (SetProperty(CallbackInterface), kept by download_sinks.c). Events reach here through
 * job_events.c's lanes: one pool callback per download at a time, in order, so a slow or hung
 * client holds up its own download only. No lock is held while the client is called: it may call
 * GetStatus, Pause or Finalize on the download from inside OnStatusChange (idomanager.md §5).
 *
 * A state change is always reported; progress (the core reports it at most 4 times a second)
 * at most once per CallbackFreqSeconds, or, when CallbackFreqPercent is set, whenever that share
 * of BytesTotal has arrived since the last call. A client that has gone away (the call fails
 * with a disconnection) loses its registration; so does every download that became final. */
#include "dosvc.h"
#include "log.h"

static uint32_t property_number(const GUID *id, int32_t property, uint32_t fallback)
{
    download_value_t value;
    HRESULT hr = downloads_get_property(dosvc_jobs, &jobs_service_caller, (const store_guid_t *)id, property, &value);
    return hr == S_OK ? (uint32_t)value.number : fallback;
}

/* Whether a call is due for status, given the last one (marks). */
static int call_due(const GUID *id, const download_sink_marks_t *last, const download_status_t *status, ULONGLONG now)
{
    if (last->state != status->state)
        return 1;
    uint32_t percent = property_number(id, DL_CALLBACK_FREQ_PERCENT, 0);
    if (percent && status->bytes_total)
        return (status->bytes_transferred - last->bytes) * 100 >= (uint64_t)percent * status->bytes_total;
    uint32_t seconds = property_number(id, DL_CALLBACK_FREQ_SECONDS, DOWNLOAD_CALLBACK_FREQ_SECONDS_DEFAULT);
    return now - last->time_ms >= (ULONGLONG)seconds * 1000;
}

static HRESULT call_client(IUnknown *sink, const GUID *id, const download_status_t *status)
{
    IDODownloadStatusCallback *callback = (IDODownloadStatusCallback *)sink;
    IDODownload *download = NULL;
    HRESULT hr = do_download_create(id, &download);
    if (SUCCEEDED(hr)) {
        DO_DOWNLOAD_STATUS wire = {status->bytes_total, status->bytes_transferred, (DODownloadState)status->state,
                                   status->error, status->extended_error};
        hr = IDODownloadStatusCallback_OnStatusChange(callback, download, &wire);
        IDODownload_Release(download);
    }
    return hr;
}

int download_callbacks_deliver(const GUID *id)
{
    download_sink_marks_t last;
    IUnknown *sink = download_sinks_get(id, DOWNLOAD_SINK_CALLBACK, &last);
    if (!sink)
        return 0;
    download_status_t status;
    int final = 1; /* a download the core no longer knows is as good as final */
    if (SUCCEEDED(download_status_for_client(&jobs_service_caller, id, &status))) {
        final = status.state == DOWNLOAD_FINALIZED || status.state == DOWNLOAD_ABORTED;
        ULONGLONG now = GetTickCount64();
        if (call_due(id, &last, &status, now)) {
            download_sink_marks_t marks = {status.state, 0, now, status.bytes_transferred};
            download_sinks_mark(id, DOWNLOAD_SINK_CALLBACK, sink, &marks);
            HRESULT hr = call_client(sink, id, &status);
            if (client_disconnected(hr)) {
                log_event(LOG_WARN, (const store_guid_t *)id, NULL, "callback.gone",
                          "OnStatusChange failed with 0x%08lx: the client is gone, its callback is dropped",
                          (unsigned long)hr);
                final = 1;
            }
        }
    }
    IUnknown_Release(sink);
    if (final)
        download_sinks_set(id, DOWNLOAD_SINK_CALLBACK, NULL);
    return 1;
}
