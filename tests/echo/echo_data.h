/* Deterministic data both sides of the echo test compute the same way. */
#ifndef OPENDO_TESTS_ECHO_DATA_H
#define OPENDO_TESTS_ECHO_DATA_H

#include <string.h>
#include <wchar.h>

#include "echo.h"

/* The job id the server gives its n-th job. */
static inline GUID echo_job_id(unsigned n)
{
    GUID g = {0xEC0D0000u + n, 0x4a0b, 0x4c0d, {0x8e, 0x0f, 0x10, 0x11, 0x12, 0x13, (BYTE)(n >> 8), (BYTE)n}};
    return g;
}

static inline BG_JOB_TIMES echo_job_times(unsigned n)
{
    BG_JOB_TIMES t;
    t.CreationTime.dwLowDateTime = 0x11111111u + n;
    t.CreationTime.dwHighDateTime = 0x01D00000u;
    t.ModificationTime.dwLowDateTime = 0x22222222u + n;
    t.ModificationTime.dwHighDateTime = 0x01D00001u;
    t.TransferCompletionTime.dwLowDateTime = 0x33333333u + n;
    t.TransferCompletionTime.dwHighDateTime = 0x01D00002u;
    return t;
}

static inline BG_JOB_PROGRESS echo_job_progress(unsigned nfiles)
{
    BG_JOB_PROGRESS p;
    p.BytesTotal = 0x1122334455667788ull;
    p.BytesTransferred = 0x0102030405060708ull + nfiles;
    p.FilesTotal = nfiles;
    p.FilesTransferred = nfiles ? nfiles - 1 : 0;
    return p;
}

/* size: the file's size (DO_UNKNOWN_FILE_SIZE allowed); index: the file's position in its job. */
static inline BG_FILE_PROGRESS echo_file_progress(unsigned index, UINT64 size)
{
    BG_FILE_PROGRESS p;
    p.BytesTotal = size;
    p.BytesTransferred = 1000u * index + 17u;
    p.Completed = (index & 1) ? TRUE : FALSE;
    return p;
}

/* Fills every numeric member of DOSwarmStats (the two strings are the caller's). */
static inline void echo_swarm_numbers(DOSwarmStats *s, unsigned index, UINT64 size)
{
    s->fileSize = size;
    s->totalBytesDownloaded = 0x1000000001ull * 1 + index;
    s->bytesFromLanPeers = 0x1000000001ull * 2 + index;
    s->bytesFromGroupPeers = 0x1000000001ull * 3 + index;
    s->bytesFromInternetPeers = 0x1000000001ull * 4 + index;
    s->bytesFromHttp = 0x1000000001ull * 5 + index;
    s->bytesFromDoinc = 0x1000000001ull * 6 + index;
    s->bytesToLanPeers = 0x1000000001ull * 7 + index;
    s->bytesToGroupPeers = 0x1000000001ull * 8 + index;
    s->bytesToInternetPeers = 0x1000000001ull * 9 + index;
    s->httpConnectionCount = 11 + index;
    s->doincConnectionCount = 12 + index;
    s->lanConnectionCount = 13 + index;
    s->groupConnectionCount = 14 + index;
    s->internetConnectionCount = 15 + index;
    s->downloadDuration = 60000 + index;
    s->downloadMode = (index & 1) ? DownloadMode_Bypass : DownloadMode_Simple;
    s->status = SwarmStatus_Paused;
    s->isBackground = TRUE;
}

/* IDODownload: the Id of the server's n-th download, as dosvc writes them (a lowercase GUID
 * without braces); buf holds 37 characters. */
static inline void echo_download_id(unsigned n, WCHAR buf[37])
{
    swprintf(buf, 37, L"ec0d%04x-a9a6-4cca-9404-a58414d269a2", n & 0xFFFFu);
}

/* The status of the n-th download in a state: every field differs from its neighbours'. */
static inline DO_DOWNLOAD_STATUS echo_download_status(unsigned n, DODownloadState state)
{
    DO_DOWNLOAD_STATUS s;
    memset(&s, 0, sizeof(s));
    s.BytesTotal = 0x8000000000000000ull + n;
    s.BytesTransferred = 0x0102030405060708ull * ((UINT64)state + 1u);
    s.State = state;
    s.Error = (HRESULT)(0x80D02000u + (unsigned)state);
    s.ExtendedError = (HRESULT)(0x80190000u + 200u + n);
    return s;
}

static inline int echo_status_eq(const DO_DOWNLOAD_STATUS *a, const DO_DOWNLOAD_STATUS *b)
{
    return a->BytesTotal == b->BytesTotal && a->BytesTransferred == b->BytesTransferred && a->State == b->State
           && a->Error == b->Error && a->ExtendedError == b->ExtendedError;
}

/* FNV-1a over bytes, continuing from h (start with ECHO_FNV_BASIS). */
#define ECHO_FNV_BASIS 0x811C9DC5u
static inline unsigned echo_fnv1a(unsigned h, const void *data, size_t n)
{
    const BYTE *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x01000193u;
    return h;
}

/* The log line IDODownload::Start leaves (ECHO_CMD_LASTCALL); buf holds 128 characters. */
static inline void echo_describe_ranges(const DO_DOWNLOAD_RANGES_INFO *r, WCHAR buf[128])
{
    if (!r) {
        swprintf(buf, 128, L"Start ranges=NULL");
        return;
    }
    unsigned h = ECHO_FNV_BASIS;
    for (UINT i = 0; i < r->RangeCount; i++) {
        h = echo_fnv1a(h, &r->Ranges[i].Offset, sizeof(r->Ranges[i].Offset));
        h = echo_fnv1a(h, &r->Ranges[i].Length, sizeof(r->Ranges[i].Length));
    }
    swprintf(buf, 128, L"Start ranges=%u fnv=%08x", r->RangeCount, h);
}

/* The log line IDODownload::SetProperty leaves: the property, the VARIANT's type and a digest
 * of its value; for VT_UNKNOWN, which of IDODownloadStatusCallback and IStream the object
 * answers (the server asks its proxy, the client its own object).  buf holds 128 characters. */
static inline void echo_describe_property(DODownloadProperty id, const VARIANT *v, WCHAR buf[128])
{
    int n = swprintf(buf, 128, L"SetProperty %d vt=0x%04x ", (int)id, (unsigned)V_VT(v));
    WCHAR *p = buf + (n > 0 ? n : 0);
    size_t left = 128 - (size_t)(p - buf);
    switch (V_VT(v)) {
    case VT_EMPTY:
        swprintf(p, left, L"empty");
        break;
    case VT_BSTR:
        swprintf(p, left, L"len=%u fnv=%08x", SysStringLen(V_BSTR(v)),
                 echo_fnv1a(ECHO_FNV_BASIS, V_BSTR(v), SysStringByteLen(V_BSTR(v))));
        break;
    case VT_UI4:
        swprintf(p, left, L"%lu", (unsigned long)V_UI4(v));
        break;
    case VT_UI8:
        swprintf(p, left, L"%llu", (unsigned long long)V_UI8(v));
        break;
    case VT_BOOL:
        swprintf(p, left, L"%d", (int)V_BOOL(v));
        break;
    case VT_ARRAY | VT_UI1: {
        SAFEARRAY *sa = V_ARRAY(v);
        BYTE *data = NULL;
        ULONG count = sa && SafeArrayGetDim(sa) == 1 ? sa->rgsabound[0].cElements : 0;
        if (sa && SUCCEEDED(SafeArrayAccessData(sa, (void **)&data))) {
            swprintf(p, left, L"bytes=%lu fnv=%08x", (unsigned long)count, echo_fnv1a(ECHO_FNV_BASIS, data, count));
            SafeArrayUnaccessData(sa);
        } else
            swprintf(p, left, L"no array");
        break;
    }
    case VT_UNKNOWN: {
        IUnknown *cb = NULL, *stm = NULL;
        if (V_UNKNOWN(v)) {
            IUnknown_QueryInterface(V_UNKNOWN(v), &IID_IDODownloadStatusCallback, (void **)&cb);
            IUnknown_QueryInterface(V_UNKNOWN(v), &IID_IStream, (void **)&stm);
        }
        swprintf(p, left, L"%ls callback=%d stream=%d", V_UNKNOWN(v) ? L"object" : L"NULL", cb != NULL, stm != NULL);
        if (cb)
            IUnknown_Release(cb);
        if (stm)
            IUnknown_Release(stm);
        break;
    }
    default:
        swprintf(p, left, L"other");
    }
}

/* The n-th record of the echo server's peer cache (IBitsPeerCacheRecord). */
static inline GUID echo_record_id(unsigned n)
{
    GUID g = {0x9EC0C000u + n, 0x7e11, 0x4c0d, {0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5, 0x06, (BYTE)n}};
    return g;
}

/* buf holds 64 characters */
static inline void echo_record_url(unsigned n, WCHAR buf[64])
{
    swprintf(buf, 64, L"http://peer.example/\u00e9t\u00e9/%u.bin", n);
}

static inline UINT64 echo_record_size(unsigned n) { return 0xF00000000ull + n; }

/* which: 0 the file's modification time, 1 the record's last access */
static inline FILETIME echo_record_time(unsigned n, unsigned which)
{
    FILETIME t = {0x44444444u + n + 16u * which, 0x01D10000u + which};
    return t;
}

static inline BOOL echo_record_validated(unsigned n) { return (n & 1) != 0; }

/* Record n holds n + 1 ranges; the last one runs to the end of the file. */
static inline DWORD echo_record_nranges(unsigned n) { return n + 1; }
static inline BG_FILE_RANGE echo_record_range(unsigned n, unsigned k)
{
    BG_FILE_RANGE r = {1000ull * n + 100ull * k, k == n ? BG_LENGTH_TO_EOF : 10ull + k};
    return r;
}

/* The n-th peer (IBitsPeer); buf holds 64 characters. */
static inline void echo_peer_name(unsigned n, WCHAR buf[64])
{
    swprintf(buf, 64, L"peer-%u.\u00e9xample.test", n);
}
static inline BOOL echo_peer_authenticated(unsigned n) { return (n & 1) != 0; }
static inline BOOL echo_peer_available(unsigned n) { return (n & 1) == 0; }

#endif
