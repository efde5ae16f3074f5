/* dodemo: a small outside client of the opendo service, built against mingw-w64's own <bits.h>
 * (not opendo's headers) to show that ordinary BITS client code talks to the service.
 *   dodemo create NAME     activate the service, create a job, print its id and state
 *   dodemo show {GUID}     find a job again with GetJob and print what the service knows
 *   dodemo download URL LOCAL   download one file: CreateJob, AddFile, Resume, watch the
 *                          progress until TRANSFERRED, Complete
 * Any other command line (an option, a missing or extra argument) prints the usage on stderr,
 * does nothing and exits 2. */
#ifndef COBJMACROS
#define COBJMACROS
#endif
#include <initguid.h>
#include <windows.h>
#include <bits.h>
#include <stdio.h>
#include <wchar.h>

#include "doerrors.h"
#include "bits_job_error.h"

DEFINE_GUID(CLSID_DeliveryOptimization, 0x5b99fa76, 0x721c, 0x423c, 0xad, 0xac, 0x56, 0xd0, 0x3c,
            0x8a, 0x80, 0x07);

static const wchar_t *state_names[] = {L"QUEUED", L"CONNECTING", L"TRANSFERRING", L"SUSPENDED",
                                       L"ERROR", L"TRANSIENT_ERROR", L"TRANSFERRED",
                                       L"ACKNOWLEDGED", L"CANCELLED"};

static const wchar_t *state_name(BG_JOB_STATE state)
{
    return (unsigned)state < ARRAYSIZE(state_names) ? state_names[state] : L"?";
}

static IBackgroundCopyManager *connect_manager(void)
{
    LARGE_INTEGER start, end, freq;
    QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&start);
    IBackgroundCopyManager *manager = NULL;
    HRESULT hr = CoCreateInstance(&CLSID_DeliveryOptimization, NULL, CLSCTX_LOCAL_SERVER,
                                  &IID_IBackgroundCopyManager, (void **)&manager);
    QueryPerformanceCounter(&end);
    if (FAILED(hr)) {
        wprintf(L"  CoCreateInstance(DeliveryOptimization) failed: 0x%08lx\n", (unsigned long)hr);
        return NULL;
    }
    wprintf(L"  connected to DeliveryOptimization (CLSCTX_LOCAL_SERVER) in %.0f ms\n",
            (double)(end.QuadPart - start.QuadPart) * 1000.0 / (double)freq.QuadPart);
    return manager;
}

static void print_filetime(const wchar_t *label, FILETIME ft)
{
    SYSTEMTIME st;
    if ((ft.dwLowDateTime | ft.dwHighDateTime) == 0 || !FileTimeToSystemTime(&ft, &st)) {
        wprintf(L"  %-14ls -\n", label);
        return;
    }
    wprintf(L"  %-14ls %04u-%02u-%02u %02u:%02u:%02u UTC\n", label, st.wYear, st.wMonth, st.wDay,
            st.wHour, st.wMinute, st.wSecond);
}

static void print_job(IBackgroundCopyJob *job)
{
    LPWSTR name = NULL, owner = NULL;
    BG_JOB_STATE state = 0;
    BG_JOB_TIMES times = {0};
    BG_JOB_PROGRESS progress = {0};
    if (SUCCEEDED(IBackgroundCopyJob_GetDisplayName(job, &name)))
        wprintf(L"  %-14ls %ls\n", L"display name", name);
    if (SUCCEEDED(IBackgroundCopyJob_GetState(job, &state)))
        wprintf(L"  %-14ls %ls\n", L"state", state_name(state));
    if (SUCCEEDED(IBackgroundCopyJob_GetOwner(job, &owner)))
        wprintf(L"  %-14ls %ls\n", L"owner", owner);
    if (SUCCEEDED(IBackgroundCopyJob_GetProgress(job, &progress)))
        wprintf(L"  %-14ls %lu of %lu file(s)\n", L"progress", progress.FilesTransferred,
                progress.FilesTotal);
    if (SUCCEEDED(IBackgroundCopyJob_GetTimes(job, &times))) {
        print_filetime(L"created", times.CreationTime);
        print_filetime(L"modified", times.ModificationTime);
    }
    CoTaskMemFree(name);
    CoTaskMemFree(owner);
}

static int create_job(IBackgroundCopyManager *manager, const wchar_t *name)
{
    GUID id;
    IBackgroundCopyJob *job = NULL;
    HRESULT hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id, &job);
    if (FAILED(hr)) {
        wprintf(L"  CreateJob failed: 0x%08lx\n", (unsigned long)hr);
        return 1;
    }
    wchar_t text[40];
    StringFromGUID2(&id, text, ARRAYSIZE(text));
    wprintf(L"  CreateJob -> S_OK, job id %ls\n", text);
    print_job(job);
    IBackgroundCopyJob_Release(job);
    wprintf(L"JOB %ls\n", text);
    return 0;
}

static int show_job(IBackgroundCopyManager *manager, const wchar_t *id_text)
{
    GUID id;
    if (FAILED(CLSIDFromString(id_text, &id))) {
        wprintf(L"  not a GUID: %ls\n", id_text);
        return 2;
    }
    IBackgroundCopyJob *job = NULL;
    HRESULT hr = IBackgroundCopyManager_GetJob(manager, &id, &job);
    if (hr == DO_E_JOB_NOT_FOUND) {
        wprintf(L"  GetJob(%ls) -> 0x%08lx DO_E_JOB_NOT_FOUND\n", id_text, (unsigned long)hr);
        return 3;
    }
    if (FAILED(hr)) {
        wprintf(L"  GetJob(%ls) failed: 0x%08lx\n", id_text, (unsigned long)hr);
        return 1;
    }
    wprintf(L"  GetJob(%ls) -> S_OK\n", id_text);
    print_job(job);
    IBackgroundCopyJob_Release(job);
    return 0;
}

/* Polls the job until it leaves the action states; prints progress as it goes. */
static BG_JOB_STATE wait_for_job(IBackgroundCopyJob *job)
{
    BG_JOB_STATE state = BG_JOB_STATE_QUEUED, shown = (BG_JOB_STATE)-1;
    for (int tick = 0; tick < 1200; tick++) { /* two minutes at most */
        BG_JOB_PROGRESS progress = {0};
        if (FAILED(IBackgroundCopyJob_GetState(job, &state)) ||
            FAILED(IBackgroundCopyJob_GetProgress(job, &progress)))
            break;
        if (state != shown || tick % 10 == 0) {
            if (progress.BytesTotal == BG_SIZE_UNKNOWN)
                wprintf(L"  %-16ls %llu bytes (size not known yet)\n", state_name(state),
                        (unsigned long long)progress.BytesTransferred);
            else
                wprintf(L"  %-16ls %llu of %llu bytes\n", state_name(state),
                        (unsigned long long)progress.BytesTransferred,
                        (unsigned long long)progress.BytesTotal);
        }
        shown = state;
        if (state == BG_JOB_STATE_TRANSFERRED || state == BG_JOB_STATE_ERROR)
            break;
        Sleep(100);
    }
    return state;
}

static int download(IBackgroundCopyManager *manager, const wchar_t *url, const wchar_t *local)
{
    GUID id;
    IBackgroundCopyJob *job = NULL;
    HRESULT hr = IBackgroundCopyManager_CreateJob(manager, L"opendo demo download",
                                                  BG_JOB_TYPE_DOWNLOAD, &id, &job);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob_AddFile(job, url, local);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob_Resume(job);
    wprintf(L"  CreateJob + AddFile(%ls -> %ls) + Resume -> 0x%08lx\n", url, local, (unsigned long)hr);
    int status = 1;
    if (SUCCEEDED(hr)) {
        BG_JOB_STATE state = wait_for_job(job);
        if (state == BG_JOB_STATE_TRANSFERRED) {
            hr = IBackgroundCopyJob_Complete(job);
            wprintf(L"  Complete -> 0x%08lx: the file is now visible at %ls\n", (unsigned long)hr, local);
            status = FAILED(hr);
        } else {
            print_job_error(stdout, L"  ", job);
            IBackgroundCopyJob_Cancel(job);
        }
    }
    if (job)
        IBackgroundCopyJob_Release(job);
    return status;
}

/* Whether the command line is one of the three forms; dodemo has no options, so an argument
 * that starts with '-' or '/' is a mistake (a NAME, a GUID, a URL or a LOCAL path never does). */
static int valid_command_line(int argc, wchar_t **argv)
{
    int is_download = argc == 4 && !wcscmp(argv[1], L"download");
    int is_create_or_show = argc == 3 && (!wcscmp(argv[1], L"create") || !wcscmp(argv[1], L"show"));
    for (int i = 2; i < argc; i++)
        if (argv[i][0] == L'-' || argv[i][0] == L'/')
            return 0;
    return is_download || is_create_or_show;
}

int wmain(int argc, wchar_t **argv)
{
    if (!valid_command_line(argc, argv)) {
        fwprintf(stderr, L"usage: dodemo create NAME | dodemo show {GUID} | dodemo download URL LOCAL\n"
                         L"(no options; nothing was done)\n");
        return 2;
    }
    int is_download = !wcscmp(argv[1], L"download");
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 1;
    int status = 1;
    IBackgroundCopyManager *manager = connect_manager();
    if (manager) {
        status = is_download                  ? download(manager, argv[2], argv[3])
               : !wcscmp(argv[1], L"create") ? create_job(manager, argv[2])
                                              : show_job(manager, argv[2]);
        IBackgroundCopyManager_Release(manager);
    }
    CoUninitialize();
    fflush(stdout);
    return status;
}
