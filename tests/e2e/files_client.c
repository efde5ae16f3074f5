/* End-to-end client for the file objects: drives DoSvc through DCOM and reports checks in the
 * tests/check.h format ("files: ..."). Usage: files_client COMMAND [ARGS]
 *   setup DIR            creates a job, adds files in every way the API offers (local names in
 *                        the existing directory DIR), checks EnumFiles and every file method;
 *                        prints "JOB {GUID}"
 *   verify {GUID} DIR    after a service restart: every value setup left is still there */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <windows.h>
#include <objbase.h>
#include <oleauto.h>

#include "../check.h"
#include "deliveryoptimization.h"
#include "doerrors.h"

#define HR_E_NOT_SET HRESULT_FROM_WIN32(ERROR_NOT_FOUND)

static char phase[64] = "files";
static wchar_t dir[MAX_PATH];

static const char *name_of(const char *what)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s: %s", phase, what);
    return buf;
}

/* The files every run adds, in index order. */
#define URL_A L"https://example.com/files/a.bin"
#define URL_A2 L"https://mirror.example.org/files/a-renamed.bin"
#define URL_B L"http://example.com/files/b.bin"
#define URL_U L"https://example.com/\u00fcbung/\u6587\u4ef6-\u00e9t\u00e9.bin" /* übung/文件-été */
#define URL_R L"https://example.com/files/ranged.bin"
#define URL_D L"https://example.com/files/do2.bin"
#define URL_LATE L"https://example.com/files/late.bin"
#define LOCAL_U L"\u00fcbung-\u6587\u4ef6-\u00e9t\u00e9 \U0001F600.bin"
#define FILE_ID_R L"file-id-ranges"
#define FILE_ID_D L"file-id-\u00e9-do2"
enum { FILE_A, FILE_B, FILE_U, FILE_R, FILE_D, FILE_LATE, FILE_COUNT };

static wchar_t *local_path(const wchar_t *name)
{
    static wchar_t paths[8][MAX_PATH];
    static int next;
    wchar_t *path = paths[next++ % 8];
    _snwprintf(path, MAX_PATH, L"%ls\\%ls", dir, name);
    path[MAX_PATH - 1] = 0;
    return path;
}

static int wide_equal(const wchar_t *got, const wchar_t *want)
{
    return got && want && !wcscmp(got, want);
}

/* ---- getting at files --------------------------------------------------------------------------- */

static IBackgroundCopyFile *file_at(IBackgroundCopyJob *job, ULONG index)
{
    IEnumBackgroundCopyFiles *e = NULL;
    IBackgroundCopyFile *file = NULL;
    ULONG fetched = 0;
    if (SUCCEEDED(IBackgroundCopyJob_EnumFiles(job, &e))) {
        if (IEnumBackgroundCopyFiles_Skip(e, index) == S_OK)
            IEnumBackgroundCopyFiles_Next(e, 1, &file, &fetched);
        IEnumBackgroundCopyFiles_Release(e);
    }
    return file;
}

static void *query(void *object, REFIID riid)
{
    void *out = NULL;
    if (object)
        IUnknown_QueryInterface((IUnknown *)object, riid, &out);
    return out;
}

static void release(void *object)
{
    if (object)
        IUnknown_Release((IUnknown *)object);
}

/* Remote and local name of a file compare equal to want_remote / want_local (NULL: skip). */
static void check_names(IBackgroundCopyFile *file, const wchar_t *want_remote,
                        const wchar_t *want_local, const char *what)
{
    char name[256];
    LPWSTR remote = NULL, local = NULL;
    HRESULT hr = file ? IBackgroundCopyFile_GetRemoteName(file, &remote) : E_POINTER;
    snprintf(name, sizeof name, "%s: GetRemoteName round-trips exactly", what);
    CHECK(hr == S_OK && wide_equal(remote, want_remote), name_of(name));
    if (want_local) {
        hr = file ? IBackgroundCopyFile_GetLocalName(file, &local) : E_POINTER;
        snprintf(name, sizeof name, "%s: GetLocalName round-trips exactly", what);
        CHECK(hr == S_OK && wide_equal(local, want_local), name_of(name));
    }
    CoTaskMemFree(remote);
    CoTaskMemFree(local);
}

static int same_directory(const wchar_t *a, const wchar_t *b)
{
    const wchar_t *sa = a ? wcsrchr(a, L'\\') : NULL, *sb = b ? wcsrchr(b, L'\\') : NULL;
    return sa && sb && sa - a == sb - b && !_wcsnicmp(a, b, (size_t)(sa - a));
}

/* GetTemporaryName is non-empty, in the local name's directory, and not the local name. */
static void check_temporary_name(IBackgroundCopyFile *file, const wchar_t *local, const char *what)
{
    char name[256];
    IBackgroundCopyFile3 *file3 = query(file, &IID_IBackgroundCopyFile3);
    LPWSTR temp = NULL;
    HRESULT hr = file3 ? IBackgroundCopyFile3_GetTemporaryName(file3, &temp) : E_NOINTERFACE;
    snprintf(name, sizeof name, "%s: GetTemporaryName is non-empty", what);
    CHECK(hr == S_OK && temp && temp[0], name_of(name));
    snprintf(name, sizeof name, "%s: the temporary name is in the local name's directory", what);
    CHECK(same_directory(temp, local) && !wide_equal(temp, local), name_of(name));
    CoTaskMemFree(temp);
    release(file3);
}

static void check_ranges(IBackgroundCopyFile *file, const char *what)
{
    char name[256];
    IBackgroundCopyFile2 *file2 = query(file, &IID_IBackgroundCopyFile2);
    DWORD count = 99;
    BG_FILE_RANGE *ranges = NULL;
    HRESULT hr = file2 ? IBackgroundCopyFile2_GetFileRanges(file2, &count, &ranges) : E_NOINTERFACE;
    snprintf(name, sizeof name, "%s: GetFileRanges gives the 3 ranges", what);
    CHECK(hr == S_OK && count == 3 && ranges, name_of(name));
    snprintf(name, sizeof name, "%s: the ranges come back in the order given", what);
    CHECK(hr == S_OK && count == 3 && ranges && ranges[0].InitialOffset == 100 && ranges[0].Length == 50 &&
              ranges[1].InitialOffset == 0 && ranges[1].Length == 10 &&
              ranges[2].InitialOffset == 500 && ranges[2].Length == BG_LENGTH_TO_EOF,
          name_of(name));
    CoTaskMemFree(ranges);
    release(file2);
}

static void check_stats(IBackgroundCopyFile *file, const wchar_t *file_id, const wchar_t *url,
                        UINT64 size, const char *what)
{
    char name[256];
    IDeliveryOptimizationFile *do_file = query(file, &IID_IDeliveryOptimizationFile);
    snprintf(name, sizeof name, "%s: QueryInterface(IDeliveryOptimizationFile)", what);
    CHECK(do_file != NULL, name_of(name));
    DOSwarmStats stats;
    memset(&stats, 0xcc, sizeof stats);
    stats.fileId = stats.sourceURL = NULL;
    HRESULT hr = do_file ? IDeliveryOptimizationFile_GetStats(do_file, &stats) : E_NOINTERFACE;
    snprintf(name, sizeof name, "%s: GetStats", what);
    CHECK_HR(hr, S_OK, name_of(name));
    if (SUCCEEDED(hr)) {
        snprintf(name, sizeof name, "%s: GetStats fileId and sourceURL", what);
        CHECK(wide_equal(stats.fileId, file_id) && wide_equal(stats.sourceURL, url), name_of(name));
        snprintf(name, sizeof name, "%s: GetStats fileSize is the file's size", what);
        CHECK(stats.fileSize == size, name_of(name));
        snprintf(name, sizeof name, "%s: GetStats: nothing downloaded, nothing from or to peers", what);
        CHECK(stats.totalBytesDownloaded == 0 && stats.bytesFromHttp == 0 && stats.bytesFromLanPeers == 0 &&
                  stats.bytesFromGroupPeers == 0 && stats.bytesFromInternetPeers == 0 &&
                  stats.bytesFromDoinc == 0 && stats.bytesToLanPeers == 0 && stats.bytesToGroupPeers == 0 &&
                  stats.bytesToInternetPeers == 0 && stats.doincConnectionCount == 0 &&
                  stats.lanConnectionCount == 0 && stats.groupConnectionCount == 0 &&
                  stats.internetConnectionCount == 0 && stats.httpConnectionCount == 0 &&
                  stats.downloadDuration == 0,
              name_of(name));
        snprintf(name, sizeof name, "%s: GetStats: DownloadMode_Simple, Paused (job suspended), background", what);
        CHECK(stats.downloadMode == DownloadMode_Simple && stats.status == SwarmStatus_Paused &&
                  stats.isBackground == TRUE,
              name_of(name));
    }
    CoTaskMemFree(stats.fileId);
    CoTaskMemFree(stats.sourceURL);
    release(do_file);
}

/* ---- setup ---------------------------------------------------------------------------------------- */

static IBackgroundCopyJob *add_all_files(IBackgroundCopyManager *manager, GUID *id,
                                         IDeliveryOptimizationFile **do2_file)
{
    IBackgroundCopyJob *job = NULL;
    *do2_file = NULL;
    CHECK_HR(IBackgroundCopyManager_CreateJob(manager, L"files e2e", BG_JOB_TYPE_DOWNLOAD, id, &job),
             S_OK, name_of("CreateJob"));
    if (!job)
        return NULL;
    CHECK_HR(IBackgroundCopyJob_AddFile(job, URL_A, local_path(L"a.bin")), S_OK,
             name_of("IBackgroundCopyJob::AddFile"));
    wchar_t url_b[] = URL_B, url_u[] = URL_U, local_b[MAX_PATH], local_u[MAX_PATH];
    wcscpy(local_b, local_path(L"b.bin"));
    wcscpy(local_u, local_path(LOCAL_U));
    BG_FILE_INFO set[2] = {{url_b, local_b}, {url_u, local_u}};
    CHECK_HR(IBackgroundCopyJob_AddFileSet(job, 2, set), S_OK,
             name_of("IBackgroundCopyJob::AddFileSet with two files (one non-ASCII)"));

    IDeliveryOptimizationJob *do_job = query(job, &IID_IDeliveryOptimizationJob);
    CHECK(do_job != NULL, name_of("QueryInterface(IDeliveryOptimizationJob) on the job"));
    BG_FILE_RANGE ranges[3] = {{100, 50}, {0, 10}, {500, BG_LENGTH_TO_EOF}}; /* not in offset order */
    HRESULT hr = do_job ? IDeliveryOptimizationJob_AddFileWithRanges(do_job, FILE_ID_R, URL_R,
                                                                     local_path(L"ranged.bin"), 3,
                                                                     ranges, 1000)
                        : E_NOINTERFACE;
    CHECK_HR(hr, S_OK, name_of("IDeliveryOptimizationJob::AddFileWithRanges (3 ranges, size 1000)"));
    release(do_job);

    IDeliveryOptimizationJob2 *do_job2 = query(job, &IID_IDeliveryOptimizationJob2);
    CHECK(do_job2 != NULL, name_of("QueryInterface(IDeliveryOptimizationJob2) on the job"));
    hr = do_job2 ? IDeliveryOptimizationJob2_AddFile(do_job2, FILE_ID_D, URL_D, 0, NULL,
                                                     &IID_IDeliveryOptimizationFile, (void **)do2_file)
                 : E_NOINTERFACE;
    CHECK_HR(hr, S_OK, name_of("IDeliveryOptimizationJob2::AddFile"));
    CHECK(*do2_file != NULL, name_of("IDeliveryOptimizationJob2::AddFile returns the file object"));
    release(do_job2);
    return job;
}

static void setup_enum(IBackgroundCopyJob *job)
{
    IEnumBackgroundCopyFiles *e = NULL;
    CHECK_HR(IBackgroundCopyJob_EnumFiles(job, &e), S_OK, name_of("EnumFiles"));
    if (!e)
        return;
    ULONG count = 0, fetched = 99;
    CHECK_HR(IEnumBackgroundCopyFiles_GetCount(e, &count), S_OK, name_of("enum: GetCount"));
    CHECK(count == 5, name_of("enum: GetCount is 5"));
    IBackgroundCopyFile *files[8] = {0};
    CHECK_HR(IEnumBackgroundCopyFiles_Next(e, 1, files, NULL), S_OK,
             name_of("enum: Next(1) with NULL pceltFetched is S_OK"));
    check_names(files[0], URL_A, local_path(L"a.bin"), "enum: first Next gives file 0");
    release(files[0]);
    CHECK_HR(IEnumBackgroundCopyFiles_Next(e, 2, files, NULL), E_INVALIDARG,
             name_of("enum: Next(2) with NULL pceltFetched is E_INVALIDARG"));
    CHECK_HR(IEnumBackgroundCopyFiles_Next(e, 2, files, &fetched), S_OK, name_of("enum: Next(2) is S_OK"));
    CHECK(fetched == 2, name_of("enum: Next(2) fetched 2"));
    check_names(files[0], URL_B, NULL, "enum: Next(2) gives file 1 first");
    check_names(files[1], URL_U, NULL, "enum: then file 2");
    release(files[0]), release(files[1]);
    CHECK_HR(IEnumBackgroundCopyFiles_Skip(e, 1), S_OK, name_of("enum: Skip(1) is S_OK"));
    fetched = 99;
    CHECK_HR(IEnumBackgroundCopyFiles_Next(e, 5, files, &fetched), S_FALSE,
             name_of("enum: Next(5) with one left is S_FALSE"));
    CHECK(fetched == 1, name_of("enum: Next(5) fetched the last file"));
    check_names(files[0], URL_D, NULL, "enum: the last file is the one IDeliveryOptimizationJob2 added");
    release(files[0]);
    fetched = 99;
    CHECK_HR(IEnumBackgroundCopyFiles_Next(e, 1, files, &fetched), S_FALSE,
             name_of("enum: Next at the end is S_FALSE"));
    CHECK(fetched == 0, name_of("enum: Next at the end fetches nothing"));
    CHECK_HR(IEnumBackgroundCopyFiles_Skip(e, 1), S_FALSE, name_of("enum: Skip past the end is S_FALSE"));
    CHECK_HR(IEnumBackgroundCopyFiles_Reset(e), S_OK, name_of("enum: Reset"));
    CHECK_HR(IEnumBackgroundCopyFiles_Skip(e, 3), S_OK, name_of("enum: Skip(3) after Reset"));
    IEnumBackgroundCopyFiles *clone = NULL;
    CHECK_HR(IEnumBackgroundCopyFiles_Clone(e, &clone), S_OK, name_of("enum: Clone"));
    if (clone) {
        ULONG clone_count = 0;
        IEnumBackgroundCopyFiles_GetCount(clone, &clone_count);
        CHECK(clone_count == 5, name_of("enum: the clone has the same count"));
        files[0] = NULL;
        CHECK_HR(IEnumBackgroundCopyFiles_Next(clone, 1, files, &fetched), S_OK, name_of("enum: Next on the clone"));
        check_names(files[0], URL_R, NULL, "enum: the clone continues at the same position");
        release(files[0]);
        release(clone);
    }
    files[0] = NULL;
    IEnumBackgroundCopyFiles_Next(e, 1, files, &fetched);
    check_names(files[0], URL_R, NULL, "enum: the original's position is unaffected by the clone");
    release(files[0]);

    /* The count is a snapshot taken at EnumFiles. */
    CHECK_HR(IBackgroundCopyJob_AddFile(job, URL_LATE, local_path(L"late.bin")), S_OK,
             name_of("AddFile after EnumFiles"));
    IEnumBackgroundCopyFiles_GetCount(e, &count);
    CHECK(count == 5, name_of("enum: GetCount is a snapshot taken at EnumFiles"));
    release(e);
    e = NULL;
    IBackgroundCopyJob_EnumFiles(job, &e);
    count = 0;
    if (e)
        IEnumBackgroundCopyFiles_GetCount(e, &count);
    CHECK(count == FILE_COUNT, name_of("enum: a new EnumFiles counts the added file"));
    release(e);
}

static void setup_bits_file_methods(IBackgroundCopyJob *job)
{
    IBackgroundCopyFile *a = file_at(job, FILE_A), *b = file_at(job, FILE_B), *u = file_at(job, FILE_U),
                        *r = file_at(job, FILE_R);
    CHECK(a && b && u && r, name_of("files 0 to 3 reached through EnumFiles"));
    check_names(a, URL_A, local_path(L"a.bin"), "AddFile");
    check_names(b, URL_B, local_path(L"b.bin"), "AddFileSet");
    release(b);
    check_names(u, URL_U, local_path(LOCAL_U), "non-ASCII names");
    check_names(r, URL_R, local_path(L"ranged.bin"), "AddFileWithRanges");

    BG_FILE_PROGRESS progress;
    memset(&progress, 0xcc, sizeof progress);
    CHECK_HR(a ? IBackgroundCopyFile_GetProgress(a, &progress) : E_POINTER, S_OK, name_of("GetProgress"));
    CHECK(progress.BytesTotal == BG_SIZE_UNKNOWN && progress.BytesTransferred == 0 && progress.Completed == FALSE,
          name_of("GetProgress of a new file: size unknown, nothing transferred, not completed"));
    memset(&progress, 0xcc, sizeof progress);
    CHECK_HR(r ? IBackgroundCopyFile_GetProgress(r, &progress) : E_POINTER, S_OK, name_of("GetProgress (ranged)"));
    CHECK(progress.BytesTotal == 10 + 50 + 500 && progress.BytesTransferred == 0 && !progress.Completed,
          name_of("GetProgress of a ranged file: BytesTotal is the sum of the ranges"));

    /* File2 */
    IBackgroundCopyFile2 *a2 = query(a, &IID_IBackgroundCopyFile2);
    CHECK(a2 != NULL, name_of("QueryInterface(IBackgroundCopyFile2)"));
    DWORD count = 99;
    BG_FILE_RANGE *ranges = (BG_FILE_RANGE *)(INT_PTR)1;
    CHECK_HR(a2 ? IBackgroundCopyFile2_GetFileRanges(a2, &count, &ranges) : E_NOINTERFACE, S_FALSE,
             name_of("GetFileRanges of a file without ranges is S_FALSE"));
    CHECK(count == 0 && ranges == NULL, name_of("GetFileRanges without ranges gives 0 and NULL"));
    check_ranges(r, "AddFileWithRanges");
    CHECK_HR(a2 ? IBackgroundCopyFile2_SetRemoteName(a2, URL_A2) : E_NOINTERFACE, S_OK, name_of("SetRemoteName"));
    check_names(a, URL_A2, NULL, "SetRemoteName then GetRemoteName");
    IBackgroundCopyFile *a_again = file_at(job, FILE_A);
    check_names(a_again, URL_A2, NULL, "a second file object sees the new remote name");
    release(a_again);
    CHECK_HR(a2 ? IBackgroundCopyFile2_SetRemoteName(a2, L"no scheme, not a path") : E_NOINTERFACE,
             E_INVALIDARG, name_of("SetRemoteName with an invalid name is E_INVALIDARG"));
    CHECK(a2 && FAILED(IBackgroundCopyFile2_SetRemoteName(a2, NULL)), name_of("SetRemoteName(NULL) fails"));
    check_names(a, URL_A2, NULL, "failed SetRemoteName calls change nothing");
    release(a2);

    /* File3 */
    IBackgroundCopyFile3 *a3 = query(a, &IID_IBackgroundCopyFile3);
    CHECK(a3 != NULL, name_of("QueryInterface(IBackgroundCopyFile3)"));
    check_temporary_name(a, local_path(L"a.bin"), "AddFile");
    check_temporary_name(u, local_path(LOCAL_U), "non-ASCII names");
    BOOL state = 7;
    CHECK_HR(a3 ? IBackgroundCopyFile3_GetValidationState(a3, &state) : E_NOINTERFACE, S_OK,
             name_of("GetValidationState"));
    CHECK(state == FALSE, name_of("GetValidationState of a new file is FALSE"));
    CHECK_HR(a3 ? IBackgroundCopyFile3_SetValidationState(a3, TRUE) : E_NOINTERFACE, E_PENDING,
             name_of("SetValidationState(TRUE) before the file is downloaded is E_PENDING (BITS)"));
    CHECK_HR(a3 ? IBackgroundCopyFile3_SetValidationState(a3, FALSE) : E_NOINTERFACE, E_PENDING,
             name_of("SetValidationState(FALSE) before the file is downloaded is E_PENDING (BITS)"));
    state = 7;
    if (a3)
        IBackgroundCopyFile3_GetValidationState(a3, &state);
    CHECK(state == FALSE, name_of("GetValidationState after the refused calls is still FALSE"));
    state = 7;
    CHECK_HR(a3 ? IBackgroundCopyFile3_IsDownloadedFromPeer(a3, &state) : E_NOINTERFACE, S_OK,
             name_of("IsDownloadedFromPeer"));
    CHECK(state == FALSE, name_of("IsDownloadedFromPeer is FALSE"));
    release(a3);

    /* File4 */
    IBackgroundCopyFile4 *a4 = query(a, &IID_IBackgroundCopyFile4);
    UINT64 origin = 99, peers = 99;
    CHECK_HR(a4 ? IBackgroundCopyFile4_GetPeerDownloadStats(a4, &origin, &peers) : E_NOINTERFACE, S_OK,
             name_of("GetPeerDownloadStats"));
    CHECK(origin == 0 && peers == 0, name_of("GetPeerDownloadStats of a new file is (0, 0)"));
    release(a4);

    /* File5 */
    IBackgroundCopyFile5 *a5 = query(a, &IID_IBackgroundCopyFile5);
    CHECK(a5 != NULL, name_of("QueryInterface(IBackgroundCopyFile5)"));
    BITS_FILE_PROPERTY_VALUE value = {.String = (LPWSTR)(INT_PTR)1};
    CHECK_HR(a5 ? IBackgroundCopyFile5_GetProperty(a5, BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, &value)
                : E_NOINTERFACE,
             S_OK, name_of("File5 GetProperty(HTTP_RESPONSE_HEADERS)"));
    CHECK(value.String && value.String != (LPWSTR)(INT_PTR)1 && !value.String[0],
          name_of("File5 response headers are empty before any response"));
    if (value.String != (LPWSTR)(INT_PTR)1)
        CoTaskMemFree(value.String);
    value.String = (LPWSTR)L"X-Test: 1\r\n";
    CHECK_HR(a5 ? IBackgroundCopyFile5_SetProperty(a5, BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, value)
                : E_NOINTERFACE,
             DO_E_READ_ONLY_PROPERTY, name_of("File5 SetProperty(HTTP_RESPONSE_HEADERS) is DO_E_READ_ONLY_PROPERTY"));
    /* Other ids cannot cross the wire: the union has no arm for them (proxy-stub/callas.c). */
    value.String = NULL;
    CHECK(a5 && FAILED(IBackgroundCopyFile5_GetProperty(a5, (BITS_FILE_PROPERTY_ID)2, &value)) && !value.String,
          name_of("File5 GetProperty(unknown id) fails"));
    release(a5);

    check_stats(a, L"", URL_A2, BG_SIZE_UNKNOWN, "GetStats of a BITS file");
    check_stats(r, FILE_ID_R, URL_R, 560, "GetStats of a ranged DO file");

    /* QueryInterface across the interfaces of one object. */
    IDeliveryOptimizationFile2 *r_do2 = query(r, &IID_IDeliveryOptimizationFile2);
    IDeliveryOptimizationFile *r_do = query(r_do2, &IID_IDeliveryOptimizationFile);
    IBackgroundCopyFile5 *r5 = query(r_do, &IID_IBackgroundCopyFile5);
    CHECK(r_do2 && r_do && r5, name_of("QueryInterface: File2 -> DOFile2 -> DOFile -> File5"));
    void *none = query(r, &IID_IBackgroundCopyJob);
    CHECK(none == NULL, name_of("QueryInterface(IBackgroundCopyJob) on a file is refused"));
    release(none), release(r5), release(r_do), release(r_do2);
    release(a), release(u), release(r);
}

static HRESULT set_variant(IDeliveryOptimizationFile2 *f, DOFilePropertyId id, VARIANT *v)
{
    HRESULT hr = f ? IDeliveryOptimizationFile2_SetProperty(f, id, v) : E_NOINTERFACE;
    VariantClear(v);
    return hr;
}

static HRESULT set_bstr(IDeliveryOptimizationFile2 *f, DOFilePropertyId id, const wchar_t *text)
{
    VARIANT v;
    VariantInit(&v);
    V_VT(&v) = VT_BSTR;
    V_BSTR(&v) = SysAllocString(text);
    return set_variant(f, id, &v);
}

static HRESULT get_variant(IDeliveryOptimizationFile2 *f, DOFilePropertyId id, VARIANT *v)
{
    VariantInit(v);
    V_VT(v) = VT_I4; /* must come back VT_EMPTY on failure */
    return f ? IDeliveryOptimizationFile2_GetProperty(f, id, v) : E_NOINTERFACE;
}

/* GetProperty fails with want and leaves VT_EMPTY. */
static void expect_get_fails(IDeliveryOptimizationFile2 *f, DOFilePropertyId id, HRESULT want, const char *what)
{
    char name[256];
    VARIANT v;
    HRESULT hr = get_variant(f, id, &v);
    CHECK_HR(hr, want, name_of(what));
    snprintf(name, sizeof name, "%s: VT_EMPTY", what);
    CHECK(V_VT(&v) == VT_EMPTY, name_of(name));
    VariantClear(&v);
}

static void setup_do_file_properties(IBackgroundCopyJob *job, IDeliveryOptimizationFile *d)
{
    IDeliveryOptimizationFile2 *f = query(d, &IID_IDeliveryOptimizationFile2);
    CHECK(f != NULL, name_of("QueryInterface(IDeliveryOptimizationFile2) on the Job2::AddFile file"));
    IBackgroundCopyFile *bits = query(d, &IID_IBackgroundCopyFile);
    LPWSTR local = (LPWSTR)(INT_PTR)1;
    CHECK_HR(bits ? IBackgroundCopyFile_GetLocalName(bits, &local) : E_NOINTERFACE, S_OK,
             name_of("GetLocalName before a sink is set"));
    CHECK(local && local != (LPWSTR)(INT_PTR)1 && !local[0], name_of("GetLocalName before a sink is set is empty"));
    if (local != (LPWSTR)(INT_PTR)1)
        CoTaskMemFree(local);

    expect_get_fails(f, DOFilePropertyId_DownloadSinkFilePath, HR_E_NOT_SET,
                     "DOFile2 GetProperty(DownloadSinkFilePath) never set is E_NOT_SET");
    expect_get_fails(f, DOFilePropertyId_IntegrityCheckMandatory, HR_E_NOT_SET,
                     "DOFile2 GetProperty(IntegrityCheckMandatory) never set is E_NOT_SET");
    expect_get_fails(f, DOFilePropertyId_TotalSizeBytes, HR_E_NOT_SET,
                     "DOFile2 GetProperty(TotalSizeBytes) never set is E_NOT_SET");
    expect_get_fails(f, DOFilePropertyId_DownloadSinkInterface, HR_E_NOT_SET,
                     "DOFile2 GetProperty(DownloadSinkInterface) is E_NOT_SET");

    /* write-only properties */
    CHECK_HR(set_bstr(f, DOFilePropertyId_DecryptionInfo, L"{\"KeyData\":\"AAEC\",\"AlgorithmName\":\"AES\"}"),
             S_OK, name_of("DOFile2 SetProperty(DecryptionInfo)"));
    expect_get_fails(f, DOFilePropertyId_DecryptionInfo, DO_E_WRITE_ONLY_PROPERTY,
                     "DOFile2 GetProperty(DecryptionInfo) is DO_E_WRITE_ONLY_PROPERTY");
    CHECK_HR(set_bstr(f, DOFilePropertyId_IntegrityCheckInfo, L"{\"PiecesHashFileUrl\":\"https://example.com/phf\"}"),
             S_OK, name_of("DOFile2 SetProperty(IntegrityCheckInfo)"));
    expect_get_fails(f, DOFilePropertyId_IntegrityCheckInfo, DO_E_WRITE_ONLY_PROPERTY,
                     "DOFile2 GetProperty(IntegrityCheckInfo) is DO_E_WRITE_ONLY_PROPERTY");

    /* BOOL round trip */
    VARIANT v;
    VariantInit(&v);
    V_VT(&v) = VT_BOOL, V_BOOL(&v) = VARIANT_FALSE;
    CHECK_HR(set_variant(f, DOFilePropertyId_IntegrityCheckMandatory, &v), S_OK,
             name_of("DOFile2 SetProperty(IntegrityCheckMandatory, FALSE)"));
    HRESULT hr = get_variant(f, DOFilePropertyId_IntegrityCheckMandatory, &v);
    CHECK(hr == S_OK && V_VT(&v) == VT_BOOL && V_BOOL(&v) == VARIANT_FALSE,
          name_of("DOFile2 IntegrityCheckMandatory round-trips FALSE as VT_BOOL"));
    VariantClear(&v);
    V_VT(&v) = VT_BOOL, V_BOOL(&v) = VARIANT_TRUE;
    CHECK_HR(set_variant(f, DOFilePropertyId_IntegrityCheckMandatory, &v), S_OK,
             name_of("DOFile2 SetProperty(IntegrityCheckMandatory, TRUE)"));
    hr = get_variant(f, DOFilePropertyId_IntegrityCheckMandatory, &v);
    CHECK(hr == S_OK && V_VT(&v) == VT_BOOL && V_BOOL(&v) == VARIANT_TRUE,
          name_of("DOFile2 IntegrityCheckMandatory round-trips TRUE as VT_BOOL"));
    VariantClear(&v);

    /* TotalSizeBytes round trip, seen by GetProgress too */
    V_VT(&v) = VT_UI8, V_UI8(&v) = 123456789012ull;
    CHECK_HR(set_variant(f, DOFilePropertyId_TotalSizeBytes, &v), S_OK, name_of("DOFile2 SetProperty(TotalSizeBytes)"));
    hr = get_variant(f, DOFilePropertyId_TotalSizeBytes, &v);
    CHECK(hr == S_OK && V_VT(&v) == VT_UI8 && V_UI8(&v) == 123456789012ull,
          name_of("DOFile2 TotalSizeBytes round-trips as VT_UI8"));
    VariantClear(&v);
    BG_FILE_PROGRESS progress = {0};
    if (bits)
        IBackgroundCopyFile_GetProgress(bits, &progress);
    CHECK(progress.BytesTotal == 123456789012ull, name_of("GetProgress BytesTotal is the TotalSizeBytes set"));

    /* DownloadSinkFilePath sets the local name */
    const wchar_t *sink = local_path(L"sink-\u00e9.bin");
    CHECK_HR(set_bstr(f, DOFilePropertyId_DownloadSinkFilePath, sink), S_OK,
             name_of("DOFile2 SetProperty(DownloadSinkFilePath)"));
    hr = get_variant(f, DOFilePropertyId_DownloadSinkFilePath, &v);
    CHECK(hr == S_OK && V_VT(&v) == VT_BSTR && wide_equal(V_BSTR(&v), sink),
          name_of("DOFile2 DownloadSinkFilePath round-trips as VT_BSTR"));
    VariantClear(&v);
    check_names(bits, URL_D, sink, "DownloadSinkFilePath sets the local name");
    check_temporary_name(bits, sink, "DownloadSinkFilePath");
    CHECK_HR(set_bstr(f, DOFilePropertyId_DownloadSinkFilePath, local_path(L"no-such-dir\\x.bin")), E_INVALIDARG,
             name_of("DOFile2 DownloadSinkFilePath in a missing directory is E_INVALIDARG"));
    CHECK_HR(set_bstr(f, DOFilePropertyId_DownloadSinkFilePath, L"relative.bin"), E_INVALIDARG,
             name_of("DOFile2 DownloadSinkFilePath relative is E_INVALIDARG"));
    check_names(bits, URL_D, sink, "refused sink paths change nothing");

    /* wrong VARIANT types */
    V_VT(&v) = VT_BSTR, V_BSTR(&v) = SysAllocString(L"1");
    CHECK_HR(set_variant(f, DOFilePropertyId_IntegrityCheckMandatory, &v), E_INVALIDARG,
             name_of("DOFile2 IntegrityCheckMandatory as VT_BSTR is E_INVALIDARG"));
    V_VT(&v) = VT_I4, V_I4(&v) = 5;
    CHECK_HR(set_variant(f, DOFilePropertyId_TotalSizeBytes, &v), E_INVALIDARG,
             name_of("DOFile2 TotalSizeBytes as VT_I4 is E_INVALIDARG"));
    V_VT(&v) = VT_UI8, V_UI8(&v) = 1;
    CHECK_HR(set_variant(f, DOFilePropertyId_DownloadSinkFilePath, &v), E_INVALIDARG,
             name_of("DOFile2 DownloadSinkFilePath as VT_UI8 is E_INVALIDARG"));
    V_VT(&v) = VT_BOOL, V_BOOL(&v) = VARIANT_TRUE;
    CHECK_HR(set_variant(f, DOFilePropertyId_DecryptionInfo, &v), E_INVALIDARG,
             name_of("DOFile2 DecryptionInfo as VT_BOOL is E_INVALIDARG"));
    CHECK_HR(f ? IDeliveryOptimizationFile2_SetProperty(f, DOFilePropertyId_TotalSizeBytes, NULL) : E_NOINTERFACE,
             E_INVALIDARG, name_of("DOFile2 SetProperty with a NULL VARIANT is E_INVALIDARG"));
    hr = get_variant(f, DOFilePropertyId_TotalSizeBytes, &v);
    CHECK(hr == S_OK && V_VT(&v) == VT_UI8 && V_UI8(&v) == 123456789012ull,
          name_of("DOFile2 refused values change nothing"));
    VariantClear(&v);

    /* unknown id */
    expect_get_fails(f, (DOFilePropertyId)42, DO_E_UNKNOWN_PROPERTY_ID,
                     "DOFile2 GetProperty(42) is DO_E_UNKNOWN_PROPERTY_ID");
    V_VT(&v) = VT_I4, V_I4(&v) = 1;
    CHECK_HR(set_variant(f, (DOFilePropertyId)42, &v), DO_E_UNKNOWN_PROPERTY_ID,
             name_of("DOFile2 SetProperty(42) is DO_E_UNKNOWN_PROPERTY_ID"));

    /* sinks that are streams */
    IStream *stream = NULL;
    CreateStreamOnHGlobal(NULL, TRUE, &stream);
    if (stream) {
        V_VT(&v) = VT_UNKNOWN, V_UNKNOWN(&v) = (IUnknown *)stream;
        IStream_AddRef(stream);
        CHECK_HR(set_variant(f, DOFilePropertyId_DownloadSinkInterface, &v), E_NOTIMPL,
                 name_of("DOFile2 SetProperty(DownloadSinkInterface, stream) is E_NOTIMPL"));
        V_VT(&v) = VT_UNKNOWN, V_UNKNOWN(&v) = (IUnknown *)stream;
        IStream_AddRef(stream);
        CHECK_HR(set_variant(f, DOFilePropertyId_DownloadSinkMemoryStream, &v),
                 DO_E_MEMORYSTREAM_DOWNLOAD_NOT_SUPPORTED,
                 name_of("DOFile2 SetProperty(DownloadSinkMemoryStream) is DO_E_MEMORYSTREAM_DOWNLOAD_NOT_SUPPORTED"));
        IStream_Release(stream);
    }
    V_VT(&v) = VT_BSTR, V_BSTR(&v) = SysAllocString(L"C:\\x");
    CHECK_HR(set_variant(f, DOFilePropertyId_DownloadSinkInterface, &v), E_INVALIDARG,
             name_of("DOFile2 DownloadSinkInterface as VT_BSTR is E_INVALIDARG"));
    expect_get_fails(f, DOFilePropertyId_DownloadSinkMemoryStream, DO_E_MEMORYSTREAM_DOWNLOAD_NOT_SUPPORTED,
                     "DOFile2 GetProperty(DownloadSinkMemoryStream) is DO_E_MEMORYSTREAM_DOWNLOAD_NOT_SUPPORTED");

    check_stats(bits, FILE_ID_D, URL_D, 123456789012ull, "GetStats of the Job2::AddFile file");
    release(bits);
    release(f);
    (void)job;
}

/* A file object outlives its job: after Cancel every call is DO_E_INVALID_STATE. */
static void setup_cancelled(IBackgroundCopyManager *manager)
{
    GUID id;
    IBackgroundCopyJob *job = NULL;
    IBackgroundCopyManager_CreateJob(manager, L"files e2e, cancelled", BG_JOB_TYPE_DOWNLOAD, &id, &job);
    if (!job)
        return;
    IBackgroundCopyJob_AddFile(job, URL_A, local_path(L"cancelled.bin"));
    IBackgroundCopyFile *file = file_at(job, 0);
    CHECK(file != NULL, name_of("a file of a job to cancel"));
    CHECK_HR(IBackgroundCopyJob_Cancel(job), S_OK, name_of("Cancel the job"));
    LPWSTR text = NULL;
    CHECK_HR(file ? IBackgroundCopyFile_GetRemoteName(file, &text) : E_POINTER, DO_E_INVALID_STATE,
             name_of("GetRemoteName on a file of a cancelled job is DO_E_INVALID_STATE"));
    CHECK(text == NULL, name_of("a failed GetRemoteName returns NULL"));
    IBackgroundCopyFile2 *file2 = query(file, &IID_IBackgroundCopyFile2);
    CHECK_HR(file2 ? IBackgroundCopyFile2_SetRemoteName(file2, URL_B) : E_NOINTERFACE, DO_E_INVALID_STATE,
             name_of("SetRemoteName on a file of a cancelled job is DO_E_INVALID_STATE"));
    release(file2), release(file), release(job);
}

static int cmd_setup(IBackgroundCopyManager *manager)
{
    GUID id;
    IDeliveryOptimizationFile *do2_file = NULL;
    IBackgroundCopyJob *job = add_all_files(manager, &id, &do2_file);
    if (!job)
        return 1;
    setup_enum(job);
    setup_bits_file_methods(job);
    setup_do_file_properties(job, do2_file);
    setup_cancelled(manager);
    release(do2_file);
    release(job);
    wchar_t text[40];
    StringFromGUID2(&id, text, 40);
    printf("JOB %ls\n", text);
    return 0;
}

/* ---- verify (after a restart) --------------------------------------------------------------------- */

static int cmd_verify(IBackgroundCopyManager *manager, const wchar_t *id_text)
{
    GUID id;
    IBackgroundCopyJob *job = NULL;
    CHECK_HR(CLSIDFromString(id_text, &id), S_OK, name_of("job id argument parses"));
    CHECK_HR(IBackgroundCopyManager_GetJob(manager, &id, &job), S_OK, name_of("GetJob finds the job"));
    if (!job)
        return 1;
    IEnumBackgroundCopyFiles *e = NULL;
    ULONG count = 0;
    if (SUCCEEDED(IBackgroundCopyJob_EnumFiles(job, &e)))
        IEnumBackgroundCopyFiles_GetCount(e, &count);
    release(e);
    CHECK(count == FILE_COUNT, name_of("EnumFiles still counts every file"));

    IBackgroundCopyFile *a = file_at(job, FILE_A), *u = file_at(job, FILE_U), *r = file_at(job, FILE_R),
                        *d = file_at(job, FILE_D);
    IBackgroundCopyFile *b = file_at(job, FILE_B), *late = file_at(job, FILE_LATE);
    check_names(a, URL_A2, local_path(L"a.bin"), "AddFile + SetRemoteName");
    check_names(b, URL_B, local_path(L"b.bin"), "AddFileSet");
    check_names(u, URL_U, local_path(LOCAL_U), "non-ASCII names");
    check_names(r, URL_R, local_path(L"ranged.bin"), "AddFileWithRanges");
    check_names(d, URL_D, local_path(L"sink-\u00e9.bin"), "Job2::AddFile + DownloadSinkFilePath");
    check_names(late, URL_LATE, local_path(L"late.bin"), "the file added after EnumFiles");
    check_ranges(r, "AddFileWithRanges");
    check_temporary_name(a, local_path(L"a.bin"), "AddFile");
    check_temporary_name(d, local_path(L"sink-\u00e9.bin"), "DownloadSinkFilePath");

    IBackgroundCopyFile3 *a3 = query(a, &IID_IBackgroundCopyFile3);
    BOOL state = 7;
    CHECK_HR(a3 ? IBackgroundCopyFile3_GetValidationState(a3, &state) : E_NOINTERFACE, S_OK,
             name_of("GetValidationState"));
    CHECK(state == FALSE, name_of("the validation state is still FALSE (the early calls changed nothing)"));
    release(a3);
    IBackgroundCopyFile3 *b3 = query(b, &IID_IBackgroundCopyFile3);
    state = 7;
    if (b3)
        IBackgroundCopyFile3_GetValidationState(b3, &state);
    CHECK(state == FALSE, name_of("another file's validation state is still FALSE"));
    release(b3);

    IDeliveryOptimizationFile2 *f = query(d, &IID_IDeliveryOptimizationFile2);
    VARIANT v;
    HRESULT hr = get_variant(f, DOFilePropertyId_IntegrityCheckMandatory, &v);
    CHECK(hr == S_OK && V_VT(&v) == VT_BOOL && V_BOOL(&v) == VARIANT_TRUE,
          name_of("DOFile2 IntegrityCheckMandatory is still TRUE"));
    VariantClear(&v);
    hr = get_variant(f, DOFilePropertyId_TotalSizeBytes, &v);
    CHECK(hr == S_OK && V_VT(&v) == VT_UI8 && V_UI8(&v) == 123456789012ull,
          name_of("DOFile2 TotalSizeBytes is still set"));
    VariantClear(&v);
    hr = get_variant(f, DOFilePropertyId_DownloadSinkFilePath, &v);
    CHECK(hr == S_OK && V_VT(&v) == VT_BSTR && wide_equal(V_BSTR(&v), local_path(L"sink-\u00e9.bin")),
          name_of("DOFile2 DownloadSinkFilePath is still set"));
    VariantClear(&v);
    expect_get_fails(f, DOFilePropertyId_DecryptionInfo, DO_E_WRITE_ONLY_PROPERTY,
                     "DOFile2 DecryptionInfo is still write-only");
    release(f);
    check_stats(r, FILE_ID_R, URL_R, 560, "GetStats of the ranged DO file");
    check_stats(d, FILE_ID_D, URL_D, 123456789012ull, "GetStats of the Job2::AddFile file");

    CHECK_HR(IBackgroundCopyJob_Cancel(job), S_OK, name_of("Cancel the job (clean-up)"));
    release(a), release(b), release(u), release(r), release(d), release(late);
    release(job);
    return 0;
}

int wmain(int argc, wchar_t **argv)
{
    if (argc < 3)
        return 2;
    const wchar_t *cmd = argv[1];
    int verify = !wcscmp(cmd, L"verify") && argc == 4;
    if (!verify && !(!wcscmp(cmd, L"setup") && argc == 3))
        return 2;
    _snwprintf(dir, MAX_PATH, L"%ls", argv[argc - 1]);
    snprintf(phase, sizeof phase, "files%s", verify ? ": after restart" : "");
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 2;
    IBackgroundCopyManager *manager = NULL;
    HRESULT hr = CoCreateInstance(&CLSID_DeliveryOptimization, NULL, CLSCTX_LOCAL_SERVER,
                                  &IID_IBackgroundCopyManager, (void **)&manager);
    CHECK_HR(hr, S_OK, name_of("CoCreateInstance(CLSID_DeliveryOptimization, LOCAL_SERVER)"));
    int status = 1;
    if (manager) {
        status = verify ? cmd_verify(manager, argv[2]) : cmd_setup(manager);
        IBackgroundCopyManager_Release(manager);
    }
    CoUninitialize();
    fflush(stdout);
    return status ? status : CHECK_EXIT_CODE();
}
