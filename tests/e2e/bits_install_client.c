/* Client of tests/e2e/bits_install.sh: who answers the BITS classes of the prefix, Wine's BITS
 * (qmgr) or opendo. It prints tagged lines for the script to judge (no checks of its own):
 *   classes        "CLASS {CLSID} <hr>": CoCreateInstance(CLSCTX_LOCAL_SERVER) of each of the ten
 *                  BITS classes for IBackgroundCopyManager
 *   probe          "SERVER opendo|wine|other <hr>": a job made through CLSID_BackgroundCopyManager,
 *                  renamed with IBackgroundCopyJob::SetDisplayName (Wine's BITS answers E_NOTIMPL,
 *                  opendo S_OK), then cancelled; "ACTIVATE <hr>" when activation fails
 *   create NAME    "JOB {GUID}": a job made through CLSID_BackgroundCopyManager, left in place
 *   cancel GUID    "CANCEL <hr>": that job cancelled through CLSID_BackgroundCopyManager */
#include <stdio.h>
#include <wchar.h>
#include <windows.h>
#include <objbase.h>

#include "bits_classes.h"
#include "deliveryoptimization.h"

static const CLSID *const classes[BITS_CLASS_COUNT] = BITS_CLASSES;

static HRESULT activate(const CLSID *clsid, IBackgroundCopyManager **manager)
{
    return CoCreateInstance(clsid, NULL, CLSCTX_LOCAL_SERVER, &IID_IBackgroundCopyManager,
                            (void **)manager);
}

static int list_classes(void)
{
    for (size_t i = 0; i < BITS_CLASS_COUNT; i++) {
        IBackgroundCopyManager *manager = NULL;
        WCHAR name[40];
        StringFromGUID2(classes[i], name, 40);
        HRESULT hr = activate(classes[i], &manager);
        printf("CLASS %ls 0x%08lx\n", name, (unsigned long)hr);
        if (SUCCEEDED(hr))
            IBackgroundCopyManager_Release(manager);
    }
    return 0;
}

/* A job of CLSID_BackgroundCopyManager named name (job and id out). */
static HRESULT create_job(const WCHAR *name, IBackgroundCopyJob **job, GUID *id)
{
    IBackgroundCopyManager *manager = NULL;
    HRESULT hr = activate(&CLSID_BackgroundCopyManager, &manager);
    if (FAILED(hr)) {
        printf("ACTIVATE 0x%08lx\n", (unsigned long)hr);
        return hr;
    }
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, id, job);
    if (FAILED(hr))
        printf("CREATEJOB 0x%08lx\n", (unsigned long)hr);
    IBackgroundCopyManager_Release(manager);
    return hr;
}

static int probe(void)
{
    IBackgroundCopyJob *job = NULL;
    GUID id;
    if (FAILED(create_job(L"bits_install probe", &job, &id)))
        return 1;
    HRESULT hr = IBackgroundCopyJob_SetDisplayName(job, L"bits_install probe, renamed");
    printf("SERVER %s 0x%08lx\n", hr == S_OK ? "opendo" : hr == E_NOTIMPL ? "wine" : "other",
           (unsigned long)hr);
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
    return 0;
}

static int create(const WCHAR *name)
{
    IBackgroundCopyJob *job = NULL;
    GUID id;
    if (FAILED(create_job(name, &job, &id)))
        return 1;
    WCHAR text[40];
    StringFromGUID2(&id, text, 40);
    printf("JOB %ls\n", text);
    IBackgroundCopyJob_Release(job);
    return 0;
}

static int cancel(const WCHAR *text)
{
    IBackgroundCopyManager *manager = NULL;
    IBackgroundCopyJob *job = NULL;
    GUID id;
    HRESULT hr = CLSIDFromString(text, &id);
    if (SUCCEEDED(hr))
        hr = activate(&CLSID_BackgroundCopyManager, &manager);
    if (SUCCEEDED(hr)) {
        hr = IBackgroundCopyManager_GetJob(manager, &id, &job);
        IBackgroundCopyManager_Release(manager);
    }
    if (SUCCEEDED(hr)) {
        hr = IBackgroundCopyJob_Cancel(job);
        IBackgroundCopyJob_Release(job);
    }
    printf("CANCEL 0x%08lx\n", (unsigned long)hr);
    return FAILED(hr);
}

int wmain(int argc, WCHAR **argv)
{
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 2;
    int status = 2;
    if (argc == 2 && !wcscmp(argv[1], L"classes"))
        status = list_classes();
    else if (argc == 2 && !wcscmp(argv[1], L"probe"))
        status = probe();
    else if (argc == 3 && !wcscmp(argv[1], L"create"))
        status = create(argv[2]);
    else if (argc == 3 && !wcscmp(argv[1], L"cancel"))
        status = cancel(argv[2]);
    else
        fprintf(stderr, "usage: bits_install_client classes | probe | create NAME | cancel GUID\n");
    fflush(stdout);
    CoUninitialize();
    return status;
}
