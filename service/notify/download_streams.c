/* Stream downloads (SetProperty(StreamInterface), the stream kept by download_sinks.c): the
 * transfer fills a spool file of the service (engine/downloads: downloads_stream_source), and
 * this writes its bytes to the client's IStream, with Write only, in order, range after range. Writing runs on the
 * download's event lane (job_events.c), before its OnStatusChange call, so a client hears of
 * progress only for bytes it already has; a slow or hung client holds up its own download only.
 *
 * Until every byte is written, the client is told Transferring, with the bytes it has
 * (download_status_for_client). A Write that fails stops the download (Paused, Error = the
 * failure); a client that is gone costs its download, which is aborted (the spool deleted). */
#include <stdio.h>
#include <stdlib.h>

#include "dosvc.h"
#include "log.h"

#define CHUNK (64 * 1024)

/* ---- writing (the download's lane) ----------------------------------------------------------- */

/* Where the byte that comes after `delivered` lies in the spool (ranges at their own offsets),
 * and how many follow it in the same range up to `written`. */
static uint64_t next_piece(const download_stream_source_t *src, uint64_t delivered, uint64_t *offset)
{
    uint64_t before = 0;
    for (size_t i = 0; i < src->range_count; i++) {
        const store_range_t *r = &src->ranges[i];
        uint64_t end = r->length == UINT64_MAX ? UINT64_MAX : before + r->length;
        if (delivered < end) {
            *offset = r->offset + (delivered - before);
            return (end < src->written ? end : src->written) - delivered;
        }
        before = end;
    }
    *offset = delivered; /* the whole file */
    return src->range_count ? 0 : src->written - delivered;
}

static HRESULT read_at(HANDLE file, uint64_t offset, BYTE *buf, DWORD size)
{
    LARGE_INTEGER at;
    DWORD got = 0;
    at.QuadPart = (LONGLONG)offset;
    if (!SetFilePointerEx(file, at, NULL, FILE_BEGIN) || !ReadFile(file, buf, size, &got, NULL))
        return HRESULT_FROM_WIN32(GetLastError());
    return got == size ? S_OK : HRESULT_FROM_WIN32(ERROR_HANDLE_EOF);
}

/* Writes the spool's bytes from *delivered up to src->written; *delivered follows. */
static HRESULT write_bytes(IStream *stream, const download_stream_source_t *src, uint64_t *delivered,
                           int *client_failed)
{
    if (*delivered >= src->written)
        return S_OK; /* nothing new (the spool may not even exist yet) */
    WCHAR *path = wide_from_utf8(src->path);
    HANDLE file = path ? CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                     NULL, OPEN_EXISTING, 0, NULL)
                       : INVALID_HANDLE_VALUE;
    free(path);
    if (file == INVALID_HANDLE_VALUE)
        return HRESULT_FROM_WIN32(GetLastError());
    BYTE *buf = malloc(CHUNK);
    HRESULT hr = buf ? S_OK : E_OUTOFMEMORY;
    uint64_t offset, count;
    while (SUCCEEDED(hr) && *delivered < src->written && (count = next_piece(src, *delivered, &offset)) > 0) {
        DWORD size = count < CHUNK ? (DWORD)count : CHUNK;
        ULONG written = 0;
        hr = read_at(file, offset, buf, size);
        if (SUCCEEDED(hr)) {
            hr = IStream_Write(stream, buf, size, &written);
            *client_failed = FAILED(hr) || written != size;
            if (SUCCEEDED(hr) && written != size)
                hr = STG_E_MEDIUMFULL; /* the stream took less than it was given */
        }
        if (SUCCEEDED(hr))
            *delivered += size;
    }
    free(buf);
    CloseHandle(file);
    return hr;
}

static void stream_failed(const GUID *id, HRESULT hr, int client_failed)
{
    const store_guid_t *sid = (const store_guid_t *)id;
    char detail[160];
    if (client_failed && client_disconnected(hr)) {
        log_event(LOG_WARN, sid, NULL, "download.stream",
                  "the client holding the stream is gone (0x%08lx): its download is aborted", (unsigned long)hr);
        downloads_abort(dosvc_jobs, &jobs_service_caller, sid);
        download_sinks_set(id, DOWNLOAD_SINK_STREAM, NULL);
        return;
    }
    snprintf(detail, sizeof detail, client_failed ? "the client's IStream::Write failed (0x%08lx)"
                                                  : "the spool file could not be read (0x%08lx)",
             (unsigned long)hr);
    downloads_sink_failed(dosvc_jobs, sid, hr, detail);
}

int download_streams_pump(const GUID *id)
{
    download_sink_marks_t marks;
    IUnknown *sink = download_sinks_get(id, DOWNLOAD_SINK_STREAM, &marks);
    if (!sink)
        return 0;
    download_stream_source_t src;
    HRESULT hr = downloads_stream_source(dosvc_jobs, (const store_guid_t *)id, &src);
    int live = SUCCEEDED(hr) && src.path && src.state != DOWNLOAD_FINALIZED && src.state != DOWNLOAD_ABORTED;
    if (live) {
        int client_failed = 0;
        if (src.generation != marks.generation)
            marks.bytes = 0; /* new ranges: their bytes start over */
        hr = write_bytes((IStream *)sink, &src, &marks.bytes, &client_failed);
        marks.generation = src.generation;
        download_sinks_mark(id, DOWNLOAD_SINK_STREAM, sink, &marks);
        if (FAILED(hr))
            stream_failed(id, hr, client_failed);
    }
    downloads_stream_source_clear(&src);
    IUnknown_Release(sink);
    if (!live)
        download_sinks_set(id, DOWNLOAD_SINK_STREAM, NULL); /* gone or final: the stream is released */
    return 1;
}

/* ---- what the client is told ------------------------------------------------------------------ */

HRESULT download_status_for_client(const caller_t *caller, const GUID *id, download_status_t *status)
{
    HRESULT hr = downloads_status(dosvc_jobs, caller, (const store_guid_t *)id, status);
    download_sink_marks_t marks;
    IUnknown *sink = SUCCEEDED(hr) ? download_sinks_get(id, DOWNLOAD_SINK_STREAM, &marks) : NULL;
    if (sink && status->bytes_transferred > marks.bytes) {
        status->bytes_transferred = marks.bytes; /* what the client has */
        if (status->state == DOWNLOAD_TRANSFERRED)
            status->state = DOWNLOAD_TRANSFERRING; /* until it has all of it */
    }
    if (sink)
        IUnknown_Release(sink);
    return hr;
}
