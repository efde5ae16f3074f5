/* Stream downloads (SetProperty(StreamInterface)): the transfer fills a spool file of the
 * service (engine/downloads: downloads_stream_source), and this writes its bytes to the
 * client's IStream, with Write only, in order, range after range. Writing runs on the
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

typedef struct stream_sink {
    GUID id;
    IStream *stream;
    uint32_t generation; /* of the bytes delivered (a Start with new ranges begins a new one) */
    uint64_t delivered;  /* bytes the client has, counted range after range */
    struct stream_sink *next;
} stream_sink_t;

static stream_sink_t *sinks;
static SRWLOCK sinks_lock = SRWLOCK_INIT;

static const caller_t service_caller = {"S-1-5-18", 1};

static stream_sink_t **find(const GUID *id)
{
    stream_sink_t **link = &sinks;
    while (*link && !IsEqualGUID(&(*link)->id, id))
        link = &(*link)->next;
    return link;
}

/* Unlinks id's sink (lock held); its stream is returned for a release outside the lock. */
static IStream *unlink_sink(const GUID *id)
{
    stream_sink_t **link = find(id), *gone = *link;
    if (!gone)
        return NULL;
    IStream *stream = gone->stream;
    *link = gone->next;
    free(gone);
    return stream;
}

HRESULT download_streams_set(const GUID *id, IStream *stream)
{
    stream_sink_t *fresh = NULL;
    if (stream && !(fresh = calloc(1, sizeof *fresh)))
        return E_OUTOFMEMORY;
    AcquireSRWLockExclusive(&sinks_lock);
    IStream *old = unlink_sink(id);
    if (fresh) {
        fresh->id = *id;
        fresh->stream = stream;
        IStream_AddRef(stream);
        fresh->next = sinks;
        sinks = fresh;
    }
    ReleaseSRWLockExclusive(&sinks_lock);
    if (old)
        IStream_Release(old); /* a cross-process call: never under the lock */
    return S_OK;
}

IUnknown *download_streams_get(const GUID *id)
{
    AcquireSRWLockShared(&sinks_lock);
    stream_sink_t *sink = *find(id);
    IUnknown *stream = sink ? (IUnknown *)sink->stream : NULL;
    if (stream)
        IUnknown_AddRef(stream);
    ReleaseSRWLockShared(&sinks_lock);
    return stream;
}

static void forget(const GUID *id)
{
    AcquireSRWLockExclusive(&sinks_lock);
    IStream *gone = unlink_sink(id);
    ReleaseSRWLockExclusive(&sinks_lock);
    if (gone)
        IStream_Release(gone);
}

void download_streams_clear(void)
{
    AcquireSRWLockExclusive(&sinks_lock);
    stream_sink_t *all = sinks;
    sinks = NULL;
    ReleaseSRWLockExclusive(&sinks_lock);
    while (all) {
        stream_sink_t *next = all->next;
        IStream_Release(all->stream);
        free(all);
        all = next;
    }
}

/* ---- writing (the download's lane) ----------------------------------------------------------- */

/* Where the byte that comes after `delivered` lies in the spool (ranges at their own offsets),
 * and how many follow it in the same range up to `durable`. */
static uint64_t next_piece(const download_stream_source_t *src, uint64_t delivered, uint64_t *offset)
{
    uint64_t before = 0;
    for (size_t i = 0; i < src->range_count; i++) {
        const store_range_t *r = &src->ranges[i];
        uint64_t end = r->length == UINT64_MAX ? UINT64_MAX : before + r->length;
        if (delivered < end) {
            *offset = r->offset + (delivered - before);
            return (end < src->durable ? end : src->durable) - delivered;
        }
        before = end;
    }
    *offset = delivered; /* the whole file */
    return src->range_count ? 0 : src->durable - delivered;
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

/* Writes the spool's bytes from *delivered up to src->durable; *delivered follows. */
static HRESULT write_bytes(IStream *stream, const download_stream_source_t *src, uint64_t *delivered,
                           int *client_failed)
{
    if (*delivered >= src->durable)
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
    while (SUCCEEDED(hr) && *delivered < src->durable && (count = next_piece(src, *delivered, &offset)) > 0) {
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

static int client_gone(HRESULT hr)
{
    return hr == RPC_E_DISCONNECTED || hr == RPC_E_SERVER_DIED || hr == RPC_E_SERVER_DIED_DNE ||
           hr == HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) || hr == HRESULT_FROM_WIN32(RPC_S_CALL_FAILED) ||
           hr == CO_E_OBJNOTCONNECTED;
}

/* Takes id's sink (its stream AddRef'd) and where it stands; 0 when id has none. */
static int take(const GUID *id, IStream **stream, uint32_t *generation, uint64_t *delivered)
{
    AcquireSRWLockShared(&sinks_lock);
    stream_sink_t *sink = *find(id);
    if (sink) {
        *stream = sink->stream;
        *generation = sink->generation;
        *delivered = sink->delivered;
        IStream_AddRef(*stream);
    }
    ReleaseSRWLockShared(&sinks_lock);
    return sink != NULL;
}

static void record(const GUID *id, IStream *stream, uint32_t generation, uint64_t delivered)
{
    AcquireSRWLockExclusive(&sinks_lock);
    stream_sink_t *sink = *find(id);
    if (sink && sink->stream == stream) { /* not replaced meanwhile */
        sink->generation = generation;
        sink->delivered = delivered;
    }
    ReleaseSRWLockExclusive(&sinks_lock);
}

static void stream_failed(const GUID *id, HRESULT hr, int client_failed)
{
    const store_guid_t *sid = (const store_guid_t *)id;
    char detail[160];
    if (client_failed && client_gone(hr)) {
        log_event(LOG_WARN, sid, NULL, "download.stream",
                  "the client holding the stream is gone (0x%08lx): its download is aborted", (unsigned long)hr);
        downloads_abort(dosvc_jobs, &service_caller, sid);
        forget(id);
        return;
    }
    snprintf(detail, sizeof detail, client_failed ? "the client's IStream::Write failed (0x%08lx)"
                                                  : "the spool file could not be read (0x%08lx)",
             (unsigned long)hr);
    downloads_sink_failed(dosvc_jobs, sid, hr, detail);
}

int download_streams_pump(const GUID *id)
{
    IStream *stream;
    uint32_t generation;
    uint64_t delivered;
    if (!take(id, &stream, &generation, &delivered))
        return 0;
    download_stream_source_t src;
    HRESULT hr = downloads_stream_source(dosvc_jobs, (const store_guid_t *)id, &src);
    int live = SUCCEEDED(hr) && src.path && src.state != DOWNLOAD_FINALIZED && src.state != DOWNLOAD_ABORTED;
    if (live) {
        int client_failed = 0;
        if (src.generation != generation)
            delivered = 0; /* new ranges: their bytes start over */
        hr = write_bytes(stream, &src, &delivered, &client_failed);
        record(id, stream, src.generation, delivered);
        if (FAILED(hr))
            stream_failed(id, hr, client_failed);
    }
    downloads_stream_source_clear(&src);
    IStream_Release(stream);
    if (!live)
        forget(id); /* gone or final: the stream is released */
    return 1;
}

/* ---- what the client is told ------------------------------------------------------------------ */

HRESULT download_status_for_client(const caller_t *caller, const GUID *id, download_status_t *status)
{
    HRESULT hr = downloads_status(dosvc_jobs, caller, (const store_guid_t *)id, status);
    if (FAILED(hr))
        return hr;
    AcquireSRWLockShared(&sinks_lock);
    stream_sink_t *sink = *find(id);
    if (sink && status->bytes_transferred > sink->delivered) {
        status->bytes_transferred = sink->delivered; /* what the client has */
        if (status->state == DOWNLOAD_TRANSFERRED)
            status->state = DOWNLOAD_TRANSFERRING; /* until it has all of it */
    }
    ReleaseSRWLockShared(&sinks_lock);
    return hr;
}
