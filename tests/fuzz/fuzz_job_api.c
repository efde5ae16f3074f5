/* Fuzz target: what a client hands the job manager through the jobs API (engine/jobs): AddFile's
 * remote and local names and size, SetRemoteName, ReplaceRemotePrefix, SetCustomHeaders, the
 * proxy and bypass lists, SetCredentials, SetHttpMethod, on one job of a real store (a temporary
 * directory, opened once); the same names and headers as a download's Uri, LocalPath and
 * HttpCustomHeaders (engine/downloads). Input: one byte of choices (bit 0: a BITS job rather than a DO job;
 * bits 1-2: the proxy usage; bits 3-4: the credentials' target; bits 5-7: their scheme), the file
 * size (8 bytes little-endian), then NUL-separated fields in the order of the enum below. A
 * call either fails, changing nothing, or stores what it was given. */
#include <stdlib.h>
#include <string.h>

#include "downloads.h"
#include "fuzz_input.h"
#include "fuzz_workdir.h"
#include "jobs.h"
#include "jobs_internal.h"

enum { REMOTE, LOCAL, NEW_REMOTE, OLD_PREFIX, NEW_PREFIX, HEADERS, PROXY_LIST, BYPASS_LIST, USER,
       SECRET, METHOD, FIELDS };

static jobs_t *jobs;
static fuzz_workdir_t work;
static const caller_t owner = {.sid = "S-1-5-21-1-1-1-1001"};

static void close_store(void)
{
    jobs_close(jobs);
    fuzz_workdir_remove(&work);
}

/* The job manager remembers the values of the last downloads that ended (a ring, jobs_internal.h).
 * Once it is full, each input frees as much as it allocates, and libFuzzer, which looks for a leak
 * after every input that does not, need not stop for it. */
static void fill_finished_ring(void)
{
    download_value_t uri = {.type = DL_VALUE_TEXT, .text = "http://origin.test/warm-up.bin"};
    for (int i = 0; i < FINISHED_JOBS_MAX; i++) {
        store_guid_t id;
        FUZZ_REQUIRE(downloads_create(jobs, &owner, &id) == HR_OK);
        FUZZ_REQUIRE(downloads_set_property(jobs, &owner, &id, DL_URI, &uri) == HR_OK);
        FUZZ_REQUIRE(downloads_abort(jobs, &owner, &id) == HR_OK);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_workdir_open(&work, "fuzz-jobs");
    FUZZ_REQUIRE(jobs_open(work.db_path, &jobs, NULL) == HR_OK);
    atexit(close_store);
    fill_finished_ring();
    return 0;
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static uint32_t file_count(const store_guid_t *id)
{
    uint32_t count = 0;
    FUZZ_REQUIRE(jobs_file_count(jobs, &owner, id, &count) == HR_OK);
    return count;
}

/* AddFile (all or nothing), SetRemoteName and ReplaceRemotePrefix. */
static void change_files(const store_guid_t *id, char **field, uint64_t file_size)
{
    job_file_spec_t spec = {.remote_name = field[REMOTE], .local_name = field[LOCAL],
                            .file_size = file_size};
    hr_t hr = jobs_add_files(jobs, &owner, id, &spec, 1, NULL);
    FUZZ_REQUIRE(file_count(id) == (HR_SUCCEEDED(hr) ? 1u : 0u));
    hr = jobs_set_remote_name(jobs, &owner, id, 0, field[NEW_REMOTE]);
    store_file_t file = {0};
    if (jobs_get_file(jobs, &owner, id, 0, &file) == HR_OK) {
        FUZZ_REQUIRE(file.remote_name && file.remote_name[0]);
        store_file_clear(&file);
    } else {
        FUZZ_REQUIRE(HR_FAILED(hr));
    }
    jobs_replace_remote_prefix(jobs, &owner, id, field[OLD_PREFIX], field[NEW_PREFIX]);
}

/* SetCustomHeaders and SetProxySettings store exactly what they accept. */
static void change_properties(const store_guid_t *id, char **field, uint32_t proxy_usage)
{
    job_value_t headers = {.text = field[HEADERS]};
    hr_t headers_hr = jobs_set(jobs, &owner, id, JOB_PROP_CUSTOM_HEADERS, &headers);
    job_value_t proxy = {.number = proxy_usage, .text = field[PROXY_LIST][0] ? field[PROXY_LIST] : NULL,
                         .text2 = field[BYPASS_LIST][0] ? field[BYPASS_LIST] : NULL};
    hr_t proxy_hr = jobs_set(jobs, &owner, id, JOB_PROP_PROXY, &proxy);
    store_job_t job = {0};
    FUZZ_REQUIRE(jobs_get(jobs, &owner, id, &job) == HR_OK);
    FUZZ_REQUIRE(same_text(job.custom_headers, HR_SUCCEEDED(headers_hr) ? headers.text : NULL));
    if (HR_SUCCEEDED(proxy_hr))
        FUZZ_REQUIRE(job.proxy_usage == (int32_t)proxy_usage && same_text(job.proxy_list, proxy.text) &&
                     same_text(job.proxy_bypass_list, proxy.text2));
    store_job_clear(&job);
}

/* SetCredentials, then RemoveCredentials finds them exactly when they were set; SetHttpMethod. */
static void change_access(const store_guid_t *id, char **field, int32_t target, int32_t scheme)
{
    size_t secret_size = strlen(field[SECRET]);
    hr_t hr = jobs_set_credentials(jobs, &owner, id, target, scheme, field[USER], field[SECRET],
                                   secret_size);
    hr_t removed = jobs_remove_credentials(jobs, &owner, id, target, scheme);
    FUZZ_REQUIRE(HR_SUCCEEDED(hr) ? removed == HR_OK : removed != HR_OK);
    jobs_set_http_method(jobs, &owner, id, field[METHOD]);
}

/* SetProperty of a download: an accepted Uri reads back as a URL. */
static void change_download(char **field)
{
    store_guid_t id;
    FUZZ_REQUIRE(downloads_create(jobs, &owner, &id) == HR_OK);
    download_value_t uri = {.type = DL_VALUE_TEXT, .text = field[REMOTE]};
    download_value_t path = {.type = DL_VALUE_TEXT, .text = field[LOCAL]};
    download_value_t headers = {.type = DL_VALUE_TEXT, .text = field[HEADERS]};
    hr_t uri_hr = downloads_set_property(jobs, &owner, &id, DL_URI, &uri);
    downloads_set_property(jobs, &owner, &id, DL_LOCAL_PATH, &path);
    downloads_set_property(jobs, &owner, &id, DL_HTTP_CUSTOM_HEADERS, &headers);
    download_value_t read = {0};
    hr_t read_hr = downloads_get_property(jobs, &owner, &id, DL_URI, &read);
    if (HR_SUCCEEDED(uri_hr))
        FUZZ_REQUIRE(read_hr == HR_OK && read.type == DL_VALUE_TEXT && read.text && read.text[0]);
    free((char *)read.text);
    FUZZ_REQUIRE(downloads_abort(jobs, &owner, &id) == HR_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input_t in = {data, size};
    uint32_t choices = (uint32_t)fuzz_number(&in, 1);
    uint64_t file_size = fuzz_number(&in, 8);
    char *field[FIELDS];
    for (int i = 0; i < FIELDS; i++)
        field[i] = fuzz_field(&in);
    int32_t kind = choices & 1 ? STORE_KIND_BITS : STORE_KIND_JOB;
    store_guid_t id;
    FUZZ_REQUIRE(jobs_create_kind(jobs, &owner, kind, "fuzz", JOB_TYPE_DOWNLOAD, &id) == HR_OK);
    change_files(&id, field, file_size);
    change_properties(&id, field, (choices >> 1) & 3);
    change_access(&id, field, (int32_t)(choices >> 3) & 3, (int32_t)(choices >> 5));
    FUZZ_REQUIRE(jobs_cancel(jobs, &owner, &id) == HR_OK);
    change_download(field);
    for (int i = 0; i < FIELDS; i++)
        free(field[i]);
    return 0;
}
