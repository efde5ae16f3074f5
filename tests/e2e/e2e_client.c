/* End-to-end client for the service tests: drives DoSvc through DCOM and reports checks in
 * the tests/check.h format. Usage: e2e_client LABEL COMMAND [ARGS]
 *   create NAME            CreateJob; prints "JOB {GUID}"
 *   expect {GUID} NAME     GetJob finds the job with that name, SUSPENDED, and intact fields
 *   notfound               GetJob of an unknown id gives DO_E_JOB_NOT_FOUND
 *   badinput               CreateJob/GetJob/EnumJobs with bad arguments get documented HRESULTs
 *   enum {GUID}...         EnumJobs lists these jobs; the list is a snapshot
 *   limit                  CreateJob is refused with BG_E_TOO_MANY_JOBS_PER_USER
 *   localpath DENIED MISSING  AddFile into a directory the caller may not write to gives
 *                          E_ACCESSDENIED, into one that does not exist E_INVALIDARG */
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <windows.h>

#include "../check.h"
#include "deliveryoptimization.h"
#include "doerrors.h"

static char label[128];

static const char *name_of(const char *what)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s: %s", label, what);
    return buf;
}

static IBackgroundCopyManager *connect_manager(void)
{
    IBackgroundCopyManager *manager = NULL;
    HRESULT hr = CoCreateInstance(&CLSID_DeliveryOptimization, NULL, CLSCTX_LOCAL_SERVER,
                                  &IID_IBackgroundCopyManager, (void **)&manager);
    CHECK_HR(hr, S_OK, name_of("CoCreateInstance(CLSID_DeliveryOptimization, LOCAL_SERVER)"));
    return SUCCEEDED(hr) ? manager : NULL;
}

static int cmd_create(IBackgroundCopyManager *manager, const wchar_t *name)
{
    GUID id = {0};
    IBackgroundCopyJob *job = NULL;
    HRESULT hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id, &job);
    CHECK_HR(hr, S_OK, name_of("CreateJob"));
    if (FAILED(hr))
        return 1;
    BG_JOB_STATE state = -1;
    CHECK_HR(IBackgroundCopyJob_GetState(job, &state), S_OK, name_of("GetState on the new job"));
    CHECK(state == BG_JOB_STATE_SUSPENDED, name_of("new job is SUSPENDED"));
    GUID same = {0};
    IBackgroundCopyJob_GetId(job, &same);
    CHECK(IsEqualGUID(&id, &same), name_of("GetId equals the id CreateJob returned"));
    IBackgroundCopyJob_Release(job);
    wchar_t text[40];
    StringFromGUID2(&id, text, 40);
    printf("JOB %ls\n", text);
    return 0;
}

static void expect_fields(IBackgroundCopyJob *job, const GUID *id, const wchar_t *name)
{
    LPWSTR got_name = NULL, owner = NULL;
    CHECK_HR(IBackgroundCopyJob_GetDisplayName(job, &got_name), S_OK, name_of("GetDisplayName"));
    CHECK(got_name && !wcscmp(got_name, name), name_of("display name unchanged"));
    BG_JOB_STATE state = -1;
    IBackgroundCopyJob_GetState(job, &state);
    CHECK(state == BG_JOB_STATE_SUSPENDED, name_of("state still SUSPENDED"));
    BG_JOB_TYPE type = -1;
    CHECK_HR(IBackgroundCopyJob_GetType(job, &type), S_OK, name_of("GetType"));
    CHECK(type == BG_JOB_TYPE_DOWNLOAD, name_of("type DOWNLOAD"));
    GUID got_id = {0};
    CHECK_HR(IBackgroundCopyJob_GetId(job, &got_id), S_OK, name_of("GetId"));
    CHECK(IsEqualGUID(&got_id, id), name_of("GetId matches"));
    CHECK_HR(IBackgroundCopyJob_GetOwner(job, &owner), S_OK, name_of("GetOwner"));
    CHECK(owner && !wcsncmp(owner, L"S-1-", 4), name_of("owner is a SID string"));
    BG_JOB_TIMES times;
    memset(&times, 0xff, sizeof times);
    CHECK_HR(IBackgroundCopyJob_GetTimes(job, &times), S_OK, name_of("GetTimes"));
    FILETIME now;
    GetSystemTimeAsFileTime(&now);
    CHECK(CompareFileTime(&times.CreationTime, &now) <= 0 && times.CreationTime.dwHighDateTime != 0,
          name_of("creation time set, not in the future"));
    CHECK(CompareFileTime(&times.ModificationTime, &times.CreationTime) >= 0,
          name_of("modification time not before creation"));
    CHECK((times.TransferCompletionTime.dwLowDateTime | times.TransferCompletionTime.dwHighDateTime) == 0,
          name_of("no transfer completion time"));
    BG_JOB_PROGRESS progress;
    memset(&progress, 0xff, sizeof progress);
    CHECK_HR(IBackgroundCopyJob_GetProgress(job, &progress), S_OK, name_of("GetProgress"));
    CHECK(progress.BytesTotal == 0 && progress.BytesTransferred == 0 && progress.FilesTotal == 0 &&
              progress.FilesTransferred == 0,
          name_of("progress of an empty job is zero"));
    CoTaskMemFree(got_name);
    CoTaskMemFree(owner);
}

static int parse_guid(const wchar_t *text, GUID *id)
{
    HRESULT hr = CLSIDFromString(text, id);
    CHECK_HR(hr, S_OK, name_of("job id argument parses"));
    return SUCCEEDED(hr);
}

static int cmd_expect(IBackgroundCopyManager *manager, const wchar_t *id_text, const wchar_t *name)
{
    GUID id;
    if (!parse_guid(id_text, &id))
        return 1;
    IBackgroundCopyJob *job = NULL;
    HRESULT hr = IBackgroundCopyManager_GetJob(manager, &id, &job);
    CHECK_HR(hr, S_OK, name_of("GetJob finds the job"));
    if (FAILED(hr))
        return 1;
    expect_fields(job, &id, name);
    IBackgroundCopyJob_Release(job);
    return 0;
}

static int cmd_notfound(IBackgroundCopyManager *manager)
{
    GUID id;
    CoCreateGuid(&id);
    IBackgroundCopyJob *job = (IBackgroundCopyJob *)(INT_PTR)1;
    CHECK_HR(IBackgroundCopyManager_GetJob(manager, &id, &job), 0x80D02003,
             name_of("GetJob(unknown GUID) is DO_E_JOB_NOT_FOUND 0x80D02003"));
    CHECK(job == NULL, name_of("GetJob(unknown GUID) returns a NULL job"));
    CHECK_HR(IBackgroundCopyManager_GetJob(manager, &GUID_NULL, &job), 0x80D02003,
             name_of("GetJob(GUID_NULL) is DO_E_JOB_NOT_FOUND"));
    return 0;
}

static void expect_create_fails(IBackgroundCopyManager *manager, const wchar_t *name,
                                BG_JOB_TYPE type, HRESULT want, const char *what)
{
    GUID id;
    IBackgroundCopyJob *job = NULL;
    CHECK_HR(IBackgroundCopyManager_CreateJob(manager, name, type, &id, &job), want, name_of(what));
    CHECK(job == NULL, name_of("failed CreateJob returns no job"));
}

static int cmd_badinput(IBackgroundCopyManager *manager)
{
    wchar_t name257[258], name256[257];
    wmemset(name257, L'n', 257), name257[257] = 0;
    wmemset(name256, L'n', 256), name256[256] = 0;
    ULONG before = 0, after = 0;
    IEnumBackgroundCopyJobs *e = NULL;
    if (SUCCEEDED(IBackgroundCopyManager_EnumJobs(manager, 0, &e))) {
        IEnumBackgroundCopyJobs_GetCount(e, &before);
        IEnumBackgroundCopyJobs_Release(e);
    }
    expect_create_fails(manager, name257, BG_JOB_TYPE_DOWNLOAD, E_INVALIDARG, "CreateJob with a 257-char name");
    expect_create_fails(manager, L"x", (BG_JOB_TYPE)7, E_INVALIDARG, "CreateJob with type 7");
    expect_create_fails(manager, L"x", (BG_JOB_TYPE)0x7FFF, E_INVALIDARG, "CreateJob with type 0x7FFF");
    /* NDR marshals enums in 16 bits: the proxy itself refuses a value outside that range. */
    expect_create_fails(manager, L"x", (BG_JOB_TYPE)-1, HRESULT_FROM_WIN32(RPC_X_ENUM_VALUE_OUT_OF_RANGE),
                        "CreateJob with type -1 is refused by the proxy");
    expect_create_fails(manager, L"x", BG_JOB_TYPE_UPLOAD, E_NOTIMPL, "CreateJob with an upload type");
    expect_create_fails(manager, L"x", BG_JOB_TYPE_UPLOAD_REPLY, E_NOTIMPL, "CreateJob with upload-reply");
    /* NULL for a [ref] parameter is refused by the proxy before it reaches the service. */
    GUID id;
    IBackgroundCopyJob *job = NULL;
    CHECK(FAILED(IBackgroundCopyManager_CreateJob(manager, NULL, BG_JOB_TYPE_DOWNLOAD, &id, &job)),
          name_of("CreateJob with a NULL name fails"));
    CHECK(FAILED(IBackgroundCopyManager_CreateJob(manager, L"x", BG_JOB_TYPE_DOWNLOAD, NULL, &job)),
          name_of("CreateJob with a NULL id pointer fails"));
    CHECK(FAILED(IBackgroundCopyManager_GetJob(manager, &GUID_NULL, NULL)),
          name_of("GetJob with a NULL out pointer fails"));
    CHECK(FAILED(IBackgroundCopyManager_EnumJobs(manager, 0, NULL)),
          name_of("EnumJobs with a NULL out pointer fails"));
    CHECK_HR(IBackgroundCopyManager_EnumJobs(manager, 0x10, &e), E_INVALIDARG,
             name_of("EnumJobs with an unknown flag is E_INVALIDARG"));
    /* Nothing was half-written, and the service still works. */
    if (SUCCEEDED(IBackgroundCopyManager_EnumJobs(manager, 0, &e))) {
        IEnumBackgroundCopyJobs_GetCount(e, &after);
        IEnumBackgroundCopyJobs_Release(e);
    }
    CHECK(after == before, name_of("failed calls created no job"));
    CHECK_HR(IBackgroundCopyManager_CreateJob(manager, name256, BG_JOB_TYPE_DOWNLOAD, &id, &job),
             S_OK, name_of("service still up: CreateJob with a 256-char name succeeds"));
    if (job)
        IBackgroundCopyJob_Release(job);
    return 0;
}

static int enum_contains(IEnumBackgroundCopyJobs *e, const GUID *id)
{
    IBackgroundCopyJob *job;
    ULONG fetched = 0;
    int found = 0;
    IEnumBackgroundCopyJobs_Reset(e);
    while (IEnumBackgroundCopyJobs_Next(e, 1, &job, &fetched) == S_OK && fetched == 1) {
        GUID got;
        if (SUCCEEDED(IBackgroundCopyJob_GetId(job, &got)) && IsEqualGUID(&got, id))
            found = 1;
        IBackgroundCopyJob_Release(job);
    }
    return found;
}

static int cmd_enum(IBackgroundCopyManager *manager, int count, wchar_t **ids)
{
    IEnumBackgroundCopyJobs *e = NULL;
    CHECK_HR(IBackgroundCopyManager_EnumJobs(manager, 0, &e), S_OK, name_of("EnumJobs"));
    if (!e)
        return 1;
    ULONG total = 0;
    CHECK_HR(IEnumBackgroundCopyJobs_GetCount(e, &total), S_OK, name_of("GetCount"));
    CHECK(total >= (ULONG)count, name_of("GetCount covers the jobs created"));
    int all_found = 1;
    for (int i = 0; i < count; i++) {
        GUID id;
        all_found &= parse_guid(ids[i], &id) && enum_contains(e, &id);
    }
    CHECK(all_found, name_of("EnumJobs lists every job created"));

    GUID extra;
    IBackgroundCopyJob *job = NULL;
    IBackgroundCopyManager_CreateJob(manager, L"created after EnumJobs", BG_JOB_TYPE_DOWNLOAD, &extra, &job);
    if (job)
        IBackgroundCopyJob_Release(job);
    ULONG total_after = 0;
    IEnumBackgroundCopyJobs_GetCount(e, &total_after);
    CHECK(total_after == total && !enum_contains(e, &extra),
          name_of("the enumeration is a snapshot taken at EnumJobs"));

    IBackgroundCopyJob *batch[64] = {0};
    ULONG fetched = 0;
    IEnumBackgroundCopyJobs_Reset(e);
    HRESULT hr = IEnumBackgroundCopyJobs_Next(e, 64, batch, &fetched);
    CHECK_HR(hr, total == 64 ? S_OK : S_FALSE, name_of("Next(64) is S_FALSE when fewer remain"));
    CHECK(fetched == (total < 64 ? total : 64), name_of("Next(64) fetches what is there"));
    for (ULONG i = 0; i < fetched; i++)
        IBackgroundCopyJob_Release(batch[i]);
    CHECK_HR(IEnumBackgroundCopyJobs_Next(e, 2, batch, NULL), E_INVALIDARG,
             name_of("Next(2) with NULL pceltFetched is E_INVALIDARG"));
    IEnumBackgroundCopyJobs_Release(e);
    return 0;
}

static void expect_add_file(IBackgroundCopyJob *job, const wchar_t *local, HRESULT want,
                            const char *what)
{
    CHECK_HR(IBackgroundCopyJob_AddFile(job, L"http://127.0.0.1:1/file.bin", local), want, name_of(what));
}

static int cmd_localpath(IBackgroundCopyManager *manager, const wchar_t *denied, const wchar_t *missing)
{
    GUID id;
    IBackgroundCopyJob *job = NULL;
    if (FAILED(IBackgroundCopyManager_CreateJob(manager, L"local path checks", BG_JOB_TYPE_DOWNLOAD, &id, &job)))
        return 1;
    expect_add_file(job, denied, E_ACCESSDENIED, "AddFile into a directory the caller cannot write is E_ACCESSDENIED");
    expect_add_file(job, missing, E_INVALIDARG, "AddFile into a missing directory is E_INVALIDARG");
    BG_JOB_PROGRESS progress = {0};
    IBackgroundCopyJob_GetProgress(job, &progress);
    CHECK(progress.FilesTotal == 0, name_of("refused files were not added"));
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
    return 0;
}

static int cmd_limit(IBackgroundCopyManager *manager)
{
    expect_create_fails(manager, L"one job too many", BG_JOB_TYPE_DOWNLOAD, 0x80200049,
                        "CreateJob over MaxJobsPerUser is BG_E_TOO_MANY_JOBS_PER_USER");
    return 0;
}

int wmain(int argc, wchar_t **argv)
{
    if (argc < 3)
        return 2;
    snprintf(label, sizeof label, "%ls", argv[1]);
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 2;
    IBackgroundCopyManager *manager = connect_manager();
    int status = 1;
    if (manager) {
        const wchar_t *cmd = argv[2];
        if (!wcscmp(cmd, L"create") && argc == 4)
            status = cmd_create(manager, argv[3]);
        else if (!wcscmp(cmd, L"expect") && argc == 5)
            status = cmd_expect(manager, argv[3], argv[4]);
        else if (!wcscmp(cmd, L"notfound"))
            status = cmd_notfound(manager);
        else if (!wcscmp(cmd, L"badinput"))
            status = cmd_badinput(manager);
        else if (!wcscmp(cmd, L"limit"))
            status = cmd_limit(manager);
        else if (!wcscmp(cmd, L"localpath") && argc == 5)
            status = cmd_localpath(manager, argv[3], argv[4]);
        else if (!wcscmp(cmd, L"enum"))
            status = cmd_enum(manager, argc - 3, argv + 3);
        else
            status = 2;
        IBackgroundCopyManager_Release(manager);
    }
    CoUninitialize();
    fflush(stdout);
    return status ? status : CHECK_EXIT_CODE();
}
