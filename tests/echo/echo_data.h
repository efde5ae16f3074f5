/* Deterministic data both sides of the echo test compute the same way. */
#ifndef OPENDO_TESTS_ECHO_DATA_H
#define OPENDO_TESTS_ECHO_DATA_H

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

#endif
