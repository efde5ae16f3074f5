/* dodemo: a small outside client of the opendo service, built against mingw-w64's own <bits.h>
 * (not opendo's headers) to show that ordinary BITS client code talks to the service.
 *   dodemo create NAME     activate the service, create a job, print its id and state
 *   dodemo show {GUID}     find a job again with GetJob and print what the service knows */
#ifndef COBJMACROS
#define COBJMACROS
#endif
#include <initguid.h>
#include <windows.h>
#include <bits.h>
#include <stdio.h>
#include <wchar.h>

#include "doerrors.h"

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

int wmain(int argc, wchar_t **argv)
{
    if (argc != 3 || (wcscmp(argv[1], L"create") && wcscmp(argv[1], L"show"))) {
        fwprintf(stderr, L"usage: dodemo create NAME | dodemo show {GUID}\n");
        return 2;
    }
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 1;
    int status = 1;
    IBackgroundCopyManager *manager = connect_manager();
    if (manager) {
        status = !wcscmp(argv[1], L"create") ? create_job(manager, argv[2])
                                              : show_job(manager, argv[2]);
        IBackgroundCopyManager_Release(manager);
    }
    CoUninitialize();
    fflush(stdout);
    return status;
}
