/* Native tests of engine/downloads/: the IDODownload API's core. Without transfers: creation,
 * access (another user's download: E_ACCESSDENIED), what the BITS-style API sees of downloads,
 * every property's type, read/write and state rules, the state machine of idomanager.md §4.1,
 * enumeration, and NonVolatile across a restart. With transfers (nginx on loopback): whole and
 * ranged downloads, Finalize, Abort, Pause/Start, HTTP errors as Paused with Error, the HTTP
 * read-only properties, and a second download to the same LocalPath. */
#include "http_fixture.h"
#include "jobs_fixture.h"

#include "downloads.h"
#include "guid.h"

#define T_INVALID_NAME 0x8007007Bu
#define T_FILENAME_TOO_LONG 0x800700CEu
#define T_DO_E_NO_DOWNLOADS 0x80D02005u
#define T_DO_E_MEMORYSTREAM 0x80D0200Bu
#define T_DO_E_READ_ONLY_PROPERTY 0x80D02012u
#define T_DO_E_INTEGRITY_UNSPECIFIED 0x80D02016u
#define T_DO_E_SINK_UNSPECIFIED 0x80D02018u
#define T_DO_E_SINK_ALREADY_SET 0x80D02019u
#define T_DO_E_DOWNLOAD_NO_URI 0x80D02200u
#define T_HTTP_404 0x80190194u

static testfile_t f_a = {"a.bin", 1 * MiB + 7, NULL, {0}};
static testfile_t f_s = {"s.bin", 6000, NULL, {0}}; /* over the fault server's /slow: 640 B/s */
static jobs_t *jobs;
static char db[400];
static const transfer_options_t options = {.checkpoint_bytes = 64 * KiB, .checkpoint_ms = 200};

/* ---- helpers ------------------------------------------------------------------------------------ */

static download_value_t text_value(const char *text)
{
    return (download_value_t){.type = DL_VALUE_TEXT, .text = text};
}

static download_value_t number_value(download_value_type_t type, uint64_t number)
{
    return (download_value_t){.type = type, .number = number};
}

static hr_t set_text(const store_guid_t *id, int32_t property, const char *text)
{
    download_value_t v = text_value(text);
    return downloads_set_property(jobs, alice(), id, property, &v);
}

static hr_t set_number(const store_guid_t *id, int32_t property, download_value_type_t type, uint64_t n)
{
    download_value_t v = number_value(type, n);
    return downloads_set_property(jobs, alice(), id, property, &v);
}

static hr_t get_number(const store_guid_t *id, int32_t property, uint64_t *n)
{
    download_value_t v;
    hr_t hr = downloads_get_property(jobs, alice(), id, property, &v);
    *n = v.number;
    return hr;
}

/* The text of a property ("" when it fails; *hr its result). */
static const char *get_text(const store_guid_t *id, int32_t property, hr_t *hr)
{
    static char buf[4096];
    download_value_t v;
    *hr = downloads_get_property(jobs, alice(), id, property, &v);
    snprintf(buf, sizeof buf, "%s", HR_SUCCEEDED(*hr) && v.text ? v.text : "");
    free((char *)v.text);
    return buf;
}

static download_status_t status_of(const store_guid_t *id)
{
    download_status_t s = {0, 0, -1, 0, 0};
    downloads_status(jobs, alice(), id, &s);
    return s;
}

static int wait_download_state(const store_guid_t *id, int32_t state, int timeout_ms)
{
    for (int t = 0; t < timeout_ms; t += 20) {
        if (status_of(id).state == state)
            return 1;
        sleep_ms(20);
    }
    download_status_t s = status_of(id);
    printf("#   state %d (error 0x%08x), wanted %d\n", s.state, (unsigned)s.error, state);
    return 0;
}

static store_guid_t new_download(const char *uri, const char *path)
{
    store_guid_t id = {{0}};
    CHECK_HR(downloads_create(jobs, alice(), &id), HR_OK, "CreateDownload");
    if (uri)
        CHECK_HR(set_text(&id, DL_URI, uri), HR_OK, "set Uri");
    if (path)
        CHECK_HR(set_text(&id, DL_LOCAL_PATH, path), HR_OK, "set LocalPath");
    return id;
}

static char *url(char *buf, const char *path)
{
    snprintf(buf, 300, "http://127.0.0.1:%d%s", nginx_port, path);
    return buf;
}


static char *url_at(char *buf, int port, const char *path)
{
    snprintf(buf, 300, "http://127.0.0.1:%d%s", port, path);
    return buf;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int job_state_is(const store_guid_t *id, int32_t state)
{
    int32_t now = -1;
    jobs_state(jobs, alice(), id, &now);
    return now == state;
}

static int same_job_row(const store_guid_t *id, const store_job_t *before)
{
    store_job_t after = {0};
    jobs_get(jobs, alice(), id, &after);
    int same = after.state == before->state && after.priority == before->priority &&
               after.no_progress_timeout == before->no_progress_timeout &&
               after.security_flags == before->security_flags && after.non_volatile == before->non_volatile &&
               text_equal(after.display_name, before->display_name) &&
               text_equal(after.custom_headers, before->custom_headers);
    store_job_clear(&after);
    return same;
}

/* ---- creation, access, the BITS-style API ------------------------------------------------------- */

static void test_create_and_access(void)
{
    store_guid_t id = new_download(NULL, NULL);
    download_status_t s = status_of(&id);
    CHECK(s.state == DOWNLOAD_CREATED && s.bytes_total == 0 && s.bytes_transferred == 0 && s.error == 0 &&
              s.extended_error == 0,
          "a new download: Created, 0 / 0, no error");
    hr_t hr;
    const char *text = get_text(&id, DL_ID, &hr);
    char braced[GUID_STRING_SIZE];
    guid_format(&id, braced);
    int lower_form = strlen(text) == 36 && strncasecmp(text, braced + 1, 36) == 0 &&
                     strspn(text, "0123456789abcdef-") == 36;
    CHECK(HR_SUCCEEDED(hr) && lower_form, "Id: the lowercase GUID without braces");

    download_status_t st;
    download_value_t v = text_value("x");
    CHECK_HR(downloads_status(jobs, bob(), &id, &st), T_E_ACCESSDENIED, "another user: GetStatus denied");
    CHECK_HR(downloads_get_property(jobs, bob(), &id, DL_URI, &v), T_E_ACCESSDENIED, "another user: GetProperty denied");
    v = text_value("x");
    CHECK_HR(downloads_set_property(jobs, bob(), &id, DL_DISPLAY_NAME, &v), T_E_ACCESSDENIED,
             "another user: SetProperty denied");
    CHECK_HR(downloads_start(jobs, bob(), &id, NULL, 0, 0), T_E_ACCESSDENIED, "another user: Start denied");
    CHECK_HR(downloads_pause(jobs, bob(), &id), T_E_ACCESSDENIED, "another user: Pause denied");
    CHECK_HR(downloads_abort(jobs, bob(), &id), T_E_ACCESSDENIED, "another user: Abort denied");
    CHECK_HR(downloads_finalize(jobs, bob(), &id), T_E_ACCESSDENIED, "another user: Finalize denied");
    CHECK_HR(downloads_status(jobs, admin(), &id, &st), HR_OK, "an administrator: GetStatus allowed");
    CHECK(status_of(&id).state == DOWNLOAD_CREATED, "refused calls changed nothing");

    /* The BITS-style API does not see downloads, and the download API does not see jobs. */
    CHECK_HR(jobs_lookup(jobs, alice(), &id), T_DO_E_JOB_NOT_FOUND, "GetJob of a download: not found");
    CHECK_HR(jobs_lookup(jobs, bob(), &id), T_DO_E_JOB_NOT_FOUND,
             "GetJob of another user's download: not found either");
    store_guid_t *ids = NULL;
    size_t count = 0;
    CHECK_HR(jobs_list(jobs, admin(), JOB_ENUM_ALL_USERS, &ids, &count), HR_OK, "EnumJobs (all users)");
    int listed = 0;
    for (size_t i = 0; i < count; i++)
        listed |= memcmp(&ids[i], &id, sizeof id) == 0;
    CHECK(!listed, "EnumJobs does not list downloads");
    free(ids);
    store_guid_t job = {{0}};
    CHECK_HR(jobs_create(jobs, alice(), "a BITS job", JOB_TYPE_DOWNLOAD, &job), HR_OK, "CreateJob");
    CHECK_HR(downloads_status(jobs, alice(), &job, &st), T_DO_E_JOB_NOT_FOUND, "GetStatus of a BITS job: not found");
    CHECK_HR(downloads_abort(jobs, alice(), &job), T_DO_E_JOB_NOT_FOUND, "Abort of a BITS job: not found");
    CHECK(job_state_is(&job, JOB_STATE_SUSPENDED), "the BITS job is untouched");
    jobs_cancel(jobs, alice(), &job);
    downloads_abort(jobs, alice(), &id);
}

/* ---- properties ------------------------------------------------------------------------------------ */

/* Every property sent as a type other than its own is refused (E_INVALIDARG), as is an unknown id
 * and a read-only one, whatever the value; nothing changes. */
static void test_property_rules(void)
{
    store_guid_t id = new_download(NULL, NULL);
    store_job_t before = {0};
    jobs_get(jobs, alice(), &id, &before);
    static const download_value_type_t types[] = {DL_VALUE_TEXT, DL_VALUE_U32, DL_VALUE_U64, DL_VALUE_BOOL,
                                                  DL_VALUE_INTERFACE, DL_VALUE_BYTES};
    int wrong_refused = 0, wrong_tried = 0;
    for (int32_t p = 0; p < DL_PROPERTY_COUNT; p++) {
        const download_property_info_t *info = downloads_property_info(p);
        for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
            if (types[t] == info->type)
                continue;
            download_value_t v = {.type = types[t], .text = "x", .number = 1, .bytes = "x", .size = 1};
            hr_t hr = downloads_set_property(jobs, alice(), &id, p, &v);
            wrong_tried++;
            wrong_refused += hr == (hr_t)((info->rules & DL_READ_ONLY) ? T_DO_E_READ_ONLY_PROPERTY : T_E_INVALIDARG);
        }
    }
    CHECK(wrong_tried == 30 * 5 && wrong_refused == wrong_tried,
          "SetProperty with the wrong VARIANT type: E_INVALIDARG for all 150 (read-only: DO_E_READ_ONLY_PROPERTY)");
    download_value_t v = text_value("x");
    CHECK_HR(downloads_set_property(jobs, alice(), &id, 30, &v), T_DO_E_UNKNOWN_PROPERTY_ID, "SetProperty(30): unknown id");
    CHECK_HR(downloads_set_property(jobs, alice(), &id, -1, &v), T_DO_E_UNKNOWN_PROPERTY_ID, "SetProperty(-1): unknown id");
    CHECK_HR(downloads_get_property(jobs, alice(), &id, 30, &v), T_DO_E_UNKNOWN_PROPERTY_ID, "GetProperty(30): unknown id");
    CHECK_HR(downloads_set_property(jobs, alice(), &id, DL_URI, NULL), T_E_INVALIDARG, "SetProperty with no value");
    CHECK_HR(set_text(&id, DL_ID, "x"), T_DO_E_READ_ONLY_PROPERTY, "SetProperty(Id): read-only");
    for (int32_t p = DL_HTTP_REDIRECTION_TARGET; p <= DL_HTTP_STATUS_CODE; p++) {
        download_value_t ro = {.type = downloads_property_info(p)->type, .text = "x", .number = 1};
        CHECK_HR(downloads_set_property(jobs, alice(), &id, p, &ro), T_DO_E_READ_ONLY_PROPERTY,
                 "SetProperty of an Http* result: read-only");
    }
    static const int32_t write_only[] = {DL_SECURITY_CONTEXT, DL_NETWORK_TOKEN, DL_DECRYPTION_INFO,
                                         DL_INTEGRITY_CHECK_INFO};
    for (size_t i = 0; i < 4; i++)
        CHECK_HR(downloads_get_property(jobs, alice(), &id, write_only[i], &v), T_DO_E_WRITE_ONLY_PROPERTY,
                 "GetProperty of a write-only property: DO_E_WRITE_ONLY_PROPERTY");
    static const int32_t unset[] = {DL_URI, DL_CONTENT_ID, DL_DISPLAY_NAME, DL_LOCAL_PATH,
                                    DL_HTTP_CUSTOM_HEADERS, DL_CALLBACK_FREQ_PERCENT, DL_CALLBACK_INTERFACE,
                                    DL_STREAM_INTERFACE, DL_CORRELATION_VECTOR, DL_TOTAL_SIZE_BYTES,
                                    DL_HTTP_CUSTOM_AUTH_HEADERS, DL_HTTP_REDIRECTION_TARGET,
                                    DL_HTTP_RESPONSE_HEADERS, DL_HTTP_SERVER_IP, DL_HTTP_STATUS_CODE};
    int not_set = 0;
    for (size_t i = 0; i < sizeof unset / sizeof *unset; i++) {
        hr_t hr = downloads_get_property(jobs, alice(), &id, unset[i], &v);
        not_set += hr == (hr_t)T_E_NOT_SET;
        if (hr != (hr_t)T_E_NOT_SET)
            printf("#   property %d: 0x%08x\n", unset[i], (unsigned)hr);
    }
    CHECK(not_set == (int)(sizeof unset / sizeof *unset), "GetProperty of the 15 unset properties without a default: E_NOT_SET");
    CHECK(same_job_row(&id, &before), "refused SetProperty calls changed nothing");
    store_job_clear(&before);
    downloads_abort(jobs, alice(), &id);
}

static void test_property_defaults(void)
{
    store_guid_t id = new_download(NULL, NULL);
    uint64_t n = 99;
    CHECK(get_number(&id, DL_COST_POLICY, &n) == HR_OK && n == 2, "CostPolicy of a background download: Standard (2)");
    CHECK(get_number(&id, DL_CALLBACK_FREQ_SECONDS, &n) == HR_OK && n == 1, "CallbackFreqSeconds: 1 by default");
    CHECK(get_number(&id, DL_NO_PROGRESS_TIMEOUT, &n) == HR_OK && n == 10800, "NoProgressTimeoutSeconds: 3 h in the background");
    CHECK(get_number(&id, DL_SECURITY_FLAGS, &n) == HR_OK && n == 0, "SecurityFlags: 0");
    static const int32_t false_flags[] = {DL_FOREGROUND_PRIORITY, DL_BLOCKING_MODE, DL_INTEGRITY_CHECK_MANDATORY,
                                          DL_DISALLOW_ON_CELLULAR, DL_HTTP_ALLOW_SECURE_TO_NONSECURE_REDIRECT,
                                          DL_NON_VOLATILE};
    int falses = 0;
    for (size_t i = 0; i < 6; i++)
        falses += get_number(&id, false_flags[i], &n) == HR_OK && n == 0;
    CHECK(falses == 6, "the six BOOL properties read FALSE by default");

    CHECK_HR(set_number(&id, DL_FOREGROUND_PRIORITY, DL_VALUE_BOOL, 1), HR_OK, "ForegroundPriority TRUE");
    CHECK(get_number(&id, DL_NO_PROGRESS_TIMEOUT, &n) == HR_OK && n == 1800, "foreground: the timeout default is 30 min");
    CHECK(get_number(&id, DL_COST_POLICY, &n) == HR_OK && n == 0, "foreground: CostPolicy Always (0)");
    CHECK(get_number(&id, DL_FOREGROUND_PRIORITY, &n) == HR_OK && n == 1, "ForegroundPriority reads TRUE");
    CHECK_HR(set_number(&id, DL_NO_PROGRESS_TIMEOUT, DL_VALUE_U32, 59), T_E_INVALIDARG, "NoProgressTimeoutSeconds 59: under the minimum");
    CHECK_HR(set_number(&id, DL_NO_PROGRESS_TIMEOUT, DL_VALUE_U32, 120), HR_OK, "NoProgressTimeoutSeconds 120");
    CHECK_HR(set_number(&id, DL_FOREGROUND_PRIORITY, DL_VALUE_BOOL, 0), HR_OK, "ForegroundPriority FALSE");
    CHECK(get_number(&id, DL_NO_PROGRESS_TIMEOUT, &n) == HR_OK && n == 120, "a timeout the client set stays across a priority change");
    CHECK_HR(set_number(&id, DL_NO_PROGRESS_TIMEOUT, DL_VALUE_U32, 0), HR_OK, "NoProgressTimeoutSeconds 0");
    CHECK(get_number(&id, DL_NO_PROGRESS_TIMEOUT, &n) == HR_OK && n == 10800, "0 means the default again");

    CHECK_HR(set_number(&id, DL_COST_POLICY, DL_VALUE_U32, 6), T_E_INVALIDARG, "CostPolicy 6: not a DODownloadCostPolicy");
    CHECK_HR(set_number(&id, DL_COST_POLICY, DL_VALUE_U32, 4), HR_OK, "CostPolicy NoSurcharge");
    CHECK(get_number(&id, DL_COST_POLICY, &n) == HR_OK && n == 4, "CostPolicy reads back");
    CHECK_HR(set_number(&id, DL_SECURITY_FLAGS, DL_VALUE_U32, 0x1), T_E_INVALIDARG, "SecurityFlags 0x1: not a WinHTTP ignore flag");
    store_job_t job = {0};
    CHECK_HR(set_number(&id, DL_SECURITY_FLAGS, DL_VALUE_U32, 0x3300), HR_OK,
             "SecurityFlags 0x3300 (all four WinHTTP ignore flags): accepted");
    CHECK(get_number(&id, DL_SECURITY_FLAGS, &n) == HR_OK && n == 0x3300, "SecurityFlags reads back 0x3300");
    jobs_get(jobs, alice(), &id, &job);
    CHECK((job.security_flags & 0x1Eu) == 0x1Eu,
          "SecurityFlags 0x3300: the job ignores what BG_SSL_IGNORE_* 0x1E would (one scheduler rule for both APIs)");
    store_job_clear(&job);
    CHECK_HR(set_number(&id, DL_SECURITY_FLAGS, DL_VALUE_U32, 0x100), HR_OK, "SecurityFlags 0x100 (unknown CA)");
    jobs_get(jobs, alice(), &id, &job);
    CHECK((job.security_flags & 0x1Eu) == 0x08u && get_number(&id, DL_SECURITY_FLAGS, &n) == HR_OK && n == 0x100,
          "SecurityFlags 0x100: the job ignores an unknown CA only (BG_SSL_IGNORE_UNKNOWN_CA), and reads back 0x100");
    store_job_clear(&job);
    CHECK_HR(set_number(&id, DL_SECURITY_FLAGS, DL_VALUE_U32, 0), HR_OK, "SecurityFlags 0");
    CHECK(get_number(&id, DL_SECURITY_FLAGS, &n) == HR_OK && n == 0, "SecurityFlags reads back 0");
    CHECK_HR(set_number(&id, DL_CALLBACK_FREQ_PERCENT, DL_VALUE_U32, 101), T_E_INVALIDARG, "CallbackFreqPercent 101");
    CHECK_HR(set_number(&id, DL_CALLBACK_FREQ_PERCENT, DL_VALUE_U32, 10), HR_OK, "CallbackFreqPercent 10");
    CHECK(get_number(&id, DL_CALLBACK_FREQ_PERCENT, &n) == HR_OK && n == 10, "CallbackFreqPercent reads back");
    CHECK_HR(set_number(&id, DL_HTTP_ALLOW_SECURE_TO_NONSECURE_REDIRECT, DL_VALUE_BOOL, 1), HR_OK,
             "HttpAllowSecureToNonSecureRedirect TRUE");
    CHECK_HR(set_number(&id, DL_SECURITY_FLAGS, DL_VALUE_U32, 0x2000), HR_OK, "SecurityFlags 0x2000 (expired)");
    jobs_get(jobs, alice(), &id, &job);
    CHECK(job.security_flags & JOB_REDIRECT_ALLOW_HTTPS_TO_HTTP, "it allows HTTPS to HTTP redirects in the transfer");
    CHECK(get_number(&id, DL_SECURITY_FLAGS, &n) == HR_OK && n == 0x2000 &&
              get_number(&id, DL_HTTP_ALLOW_SECURE_TO_NONSECURE_REDIRECT, &n) == HR_OK && n == 1,
          "SecurityFlags and HttpAllowSecureToNonSecureRedirect keep each other's values");
    store_job_clear(&job);
    CHECK_HR(set_number(&id, DL_BLOCKING_MODE, DL_VALUE_BOOL, 2), T_E_INVALIDARG, "a BOOL of 2 is refused");
    CHECK_HR(set_number(&id, DL_BLOCKING_MODE, DL_VALUE_BOOL, 1), HR_OK, "BlockingMode TRUE");
    CHECK(downloads_flag(jobs, alice(), &id, DL_BLOCKING_MODE), "BlockingMode reads TRUE");
    CHECK_HR(set_number(&id, DL_TOTAL_SIZE_BYTES, DL_VALUE_U64, 5000000000ull), HR_OK, "TotalSizeBytes");
    CHECK(status_of(&id).bytes_total == 5000000000ull, "BytesTotal is TotalSizeBytes until the size is known");
    downloads_abort(jobs, alice(), &id);
}

static void test_property_values(void)
{
    store_guid_t id = new_download(NULL, NULL);
    hr_t hr;
    char *long_uri = padded("http://example.com/", 'a', 2300), *long_path = padded("C:\\dl\\", 'p', 300),
         *long_name = padded("n", 'n', 257), *long_cv = padded("a", 'b', 129);
    /* Text values and what SetProperty answers; the good ones read back as they were set. */
    const struct {
        int32_t property;
        const char *value;
        uint32_t want;
        const char *name;
    } cases[] = {
        {DL_URI, "ftp://example.com/a", T_E_INVALIDARG, "Uri ftp://: E_INVALIDARG"},
        {DL_URI, "C:\\a.bin", T_E_INVALIDARG, "Uri that is a path: E_INVALIDARG"},
        {DL_URI, "http://", T_E_INVALIDARG, "Uri without a host: E_INVALIDARG"},
        {DL_URI, long_uri, T_E_INVALIDARG, "Uri of 2300 characters: E_INVALIDARG"},
        {DL_LOCAL_PATH, "relative\\a.bin", T_INVALID_NAME, "LocalPath relative: ERROR_INVALID_NAME"},
        {DL_LOCAL_PATH, "", T_INVALID_NAME, "LocalPath empty: ERROR_INVALID_NAME"},
        {DL_LOCAL_PATH, long_path, T_FILENAME_TOO_LONG, "LocalPath of 300 characters: ERROR_FILENAME_EXCED_RANGE"},
        {DL_DISPLAY_NAME, long_name, T_E_INVALIDARG, "DisplayName of 257 characters"},
        {DL_DISPLAY_NAME, "\u00dcn\u00efcode name", HR_OK, "DisplayName (and it reads back)"},
        {DL_HTTP_CUSTOM_HEADERS, "X=a\nY=b\n", HR_OK, "HttpCustomHeaders in do-client's loose format are taken"},
        {DL_CORRELATION_VECTOR, "bad vector!", T_E_INVALIDARG, "CorrelationVector with a space and '!'"},
        {DL_CORRELATION_VECTOR, long_cv, T_E_INVALIDARG, "CorrelationVector of 129 characters"},
        {DL_CORRELATION_VECTOR, "tul4NUsfs06k3LuN.1", HR_OK, "CorrelationVector (and it reads back)"},
        {DL_DECRYPTION_INFO, "blah", T_E_INVALIDARG, "DecryptionInfo that is not JSON: E_INVALIDARG"},
        {DL_DECRYPTION_INFO, "[1]", T_E_INVALIDARG, "DecryptionInfo that is not a JSON object"},
        {DL_DECRYPTION_INFO, "{\"KeyData\":\"AA==\"}", T_E_NOTIMPL, "DecryptionInfo: refused, not ignored (E_NOTIMPL)"},
        {DL_INTEGRITY_CHECK_INFO, "blah", T_E_INVALIDARG, "IntegrityCheckInfo 'blah': E_INVALIDARG"},
        {DL_INTEGRITY_CHECK_INFO, "{\"PiecesHashFileUrl\":\"http://x/y\"}", T_E_NOTIMPL,
         "IntegrityCheckInfo: refused (E_NOTIMPL)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        hr_t got = set_text(&id, cases[i].property, cases[i].value);
        int reads_back = got != HR_OK || cases[i].property == DL_HTTP_CUSTOM_HEADERS ||
                         strcmp(get_text(&id, cases[i].property, &hr), cases[i].value) == 0;
        CHECK(got == (hr_t)cases[i].want && reads_back, cases[i].name);
        if (got != (hr_t)cases[i].want)
            printf("#   got 0x%08x, want 0x%08x\n", (unsigned)got, cases[i].want);
    }
    free(long_uri);
    free(long_path);
    free(long_name);
    free(long_cv);
    CHECK(strcmp(get_text(&id, DL_LOCAL_PATH, &hr), "") == 0 && hr == (hr_t)T_E_NOT_SET, "refused LocalPaths left it unset");
    CHECK_HR(set_number(&id, DL_NETWORK_TOKEN, DL_VALUE_BOOL, 1), T_E_NOTIMPL, "NetworkToken TRUE: E_NOTIMPL");
    CHECK_HR(set_number(&id, DL_NETWORK_TOKEN, DL_VALUE_BOOL, 0), HR_OK, "NetworkToken FALSE");
    download_value_t cert = {.type = DL_VALUE_BYTES, .bytes = "0\x82", .size = 2};
    CHECK_HR(downloads_set_property(jobs, alice(), &id, DL_SECURITY_CONTEXT, &cert), T_E_NOTIMPL,
             "SecurityContext: refused (E_NOTIMPL)");
    CHECK_HR(set_text(&id, DL_CONTENT_ID, ""), T_E_INVALIDARG, "ContentId empty");
    CHECK_HR(set_text(&id, DL_CONTENT_ID, "contentid-1"), HR_OK, "ContentId");
    CHECK_HR(downloads_start(jobs, alice(), &id, NULL, 0, 0), T_DO_E_DOWNLOAD_NO_URI,
             "Start with a ContentId and no Uri: DO_E_DOWNLOAD_NO_URI (no content service)");
    CHECK(status_of(&id).state == DOWNLOAD_CREATED, "the refused Start left it Created");

    /* sinks */
    CHECK_HR(set_text(&id, DL_URI, "http://example.com/a.bin"), HR_OK, "Uri");
    CHECK_HR(downloads_start(jobs, alice(), &id, NULL, 0, 0), T_DO_E_SINK_UNSPECIFIED, "Start without a sink: DO_E_FILE_DOWNLOADSINK_UNSPECIFIED");
    CHECK_HR(set_number(&id, DL_STREAM_INTERFACE, DL_VALUE_INTERFACE, 1), HR_OK, "StreamInterface");
    CHECK_HR(set_text(&id, DL_LOCAL_PATH, "C:\\dl\\s.bin"), T_DO_E_SINK_ALREADY_SET, "LocalPath after a stream: DO_E_FILE_DOWNLOADSINK_ALREADY_SET");
    CHECK_HR(set_number(&id, DL_NON_VOLATILE, DL_VALUE_BOOL, 1), T_E_INVALIDARG, "NonVolatile with a stream: E_INVALIDARG");
    CHECK_HR(set_number(&id, DL_STREAM_INTERFACE, DL_VALUE_INTERFACE, 0), HR_OK, "StreamInterface cleared");
    CHECK_HR(set_text(&id, DL_LOCAL_PATH, "C:\\dl\\s.bin"), HR_OK, "LocalPath once the stream is cleared");
    CHECK_HR(set_number(&id, DL_STREAM_INTERFACE, DL_VALUE_INTERFACE, 1), T_DO_E_SINK_ALREADY_SET,
             "StreamInterface after a LocalPath: DO_E_FILE_DOWNLOADSINK_ALREADY_SET");
    CHECK_HR(set_number(&id, DL_INTEGRITY_CHECK_MANDATORY, DL_VALUE_BOOL, 1), HR_OK, "IntegrityCheckMandatory TRUE");
    CHECK_HR(downloads_start(jobs, alice(), &id, NULL, 0, 0), T_DO_E_INTEGRITY_UNSPECIFIED,
             "Start with IntegrityCheckMandatory and no IntegrityCheckInfo: DO_E_INTEGRITYCHECKINFO_UNSPECIFIED");
    CHECK_HR(set_number(&id, DL_INTEGRITY_CHECK_MANDATORY, DL_VALUE_BOOL, 0), HR_OK, "IntegrityCheckMandatory FALSE");
    download_range_t bad[] = {{0, 0}};
    CHECK_HR(downloads_start(jobs, alice(), &id, bad, 1, 1), T_DO_E_INVALID_RANGE, "Start with a zero-length range: DO_E_INVALID_RANGE");
    download_range_t overlap[] = {{0, 100}, {50, 100}};
    CHECK_HR(downloads_start(jobs, alice(), &id, overlap, 2, 1), T_DO_E_OVERLAPPING_RANGES, "Start with overlapping ranges");
    CHECK_HR(downloads_start(jobs, alice(), &id, NULL, 3, 1), T_E_INVALIDARG, "Start with 3 ranges and no array");
    CHECK(status_of(&id).state == DOWNLOAD_CREATED, "refused Starts left it Created");
    downloads_abort(jobs, alice(), &id);
}

/* ---- the state machine without transfers (idomanager.md §4.1) ----------------------------------- */

static void test_state_table(void)
{
    download_status_t s;
    store_guid_t id = new_download("http://127.0.0.1:9/x.bin", "C:\\dl\\table.bin");
    CHECK_HR(downloads_pause(jobs, alice(), &id), HR_OK, "Created: Pause is a no-op (S_OK)");
    CHECK(status_of(&id).state == DOWNLOAD_CREATED, "Created: still Created after Pause");
    CHECK_HR(downloads_finalize(jobs, alice(), &id), T_DO_E_INVALID_STATE, "Created: Finalize is DO_E_INVALID_STATE");
    CHECK_HR(downloads_start(jobs, alice(), &id, NULL, 0, 0), HR_OK, "Created: Start(NULL)");
    CHECK(status_of(&id).state == DOWNLOAD_TRANSFERRING, "Created -> Transferring");
    CHECK_HR(downloads_start(jobs, alice(), &id, NULL, 0, 0), HR_OK, "Transferring: Start(NULL) is a no-op");
    download_range_t r[] = {{0, 10}};
    CHECK_HR(downloads_start(jobs, alice(), &id, r, 1, 1), T_DO_E_INVALID_STATE, "Transferring: Start with other ranges");
    CHECK_HR(downloads_finalize(jobs, alice(), &id), T_DO_E_INVALID_STATE, "Transferring: Finalize is DO_E_INVALID_STATE");
    CHECK_HR(set_text(&id, DL_URI, "http://127.0.0.1:9/y.bin"), T_DO_E_INVALID_STATE, "Transferring: Uri cannot change");
    CHECK_HR(set_text(&id, DL_LOCAL_PATH, "C:\\dl\\other.bin"), T_DO_E_INVALID_STATE, "Transferring: LocalPath cannot change");
    CHECK_HR(set_text(&id, DL_DISPLAY_NAME, "renamed"), HR_OK, "Transferring: DisplayName can change");
    CHECK_HR(downloads_pause(jobs, alice(), &id), HR_OK, "Transferring: Pause");
    s = status_of(&id);
    CHECK(s.state == DOWNLOAD_PAUSED && s.error == 0 && s.extended_error == 0,
          "Pause is visible when it returns: Paused, Error 0, ExtendedError 0");
    CHECK_HR(downloads_pause(jobs, alice(), &id), HR_OK, "Paused: Pause is a no-op");
    CHECK_HR(downloads_finalize(jobs, alice(), &id), T_DO_E_INVALID_STATE, "Paused: Finalize is DO_E_INVALID_STATE");
    CHECK_HR(set_text(&id, DL_URI, "http://127.0.0.1:9/z.bin"), HR_OK, "Paused: Uri can change");
    CHECK_HR(set_text(&id, DL_LOCAL_PATH, "C:\\dl\\other.bin"), T_DO_E_INVALID_STATE, "Paused: LocalPath cannot change");
    CHECK_HR(downloads_start(jobs, alice(), &id, NULL, 0, 0), HR_OK, "Paused: Start(NULL) resumes");
    CHECK(status_of(&id).state == DOWNLOAD_TRANSFERRING, "Paused -> Transferring");
    CHECK_HR(downloads_abort(jobs, alice(), &id), HR_OK, "Transferring: Abort");
    s = status_of(&id);
    CHECK(s.state == DOWNLOAD_ABORTED, "-> Aborted, and GetStatus still answers");
    CHECK_HR(downloads_abort(jobs, alice(), &id), HR_OK, "Aborted: Abort is a no-op");
    CHECK_HR(downloads_start(jobs, alice(), &id, NULL, 0, 0), T_DO_E_INVALID_STATE, "Aborted: Start is DO_E_INVALID_STATE");
    CHECK_HR(downloads_pause(jobs, alice(), &id), T_DO_E_INVALID_STATE, "Aborted: Pause is DO_E_INVALID_STATE");
    CHECK_HR(downloads_finalize(jobs, alice(), &id), T_DO_E_INVALID_STATE, "Aborted: Finalize is DO_E_INVALID_STATE");
    CHECK_HR(set_text(&id, DL_DISPLAY_NAME, "late"), T_DO_E_INVALID_STATE, "Aborted: SetProperty is DO_E_INVALID_STATE");
    hr_t hr;
    CHECK(strcmp(get_text(&id, DL_URI, &hr), "http://127.0.0.1:9/z.bin") == 0 && hr == HR_OK,
          "Aborted: GetProperty(Uri) still answers, with the value it had");
    uint64_t n = 0;
    CHECK(get_number(&id, DL_NO_PROGRESS_TIMEOUT, &n) == HR_OK && n == 10800 &&
              get_number(&id, DL_CALLBACK_FREQ_PERCENT, &n) == (hr_t)T_E_NOT_SET,
          "Aborted: numbers read back, and an unset property is still E_NOT_SET");
    CHECK(strcmp(get_text(&id, DL_DISPLAY_NAME, &hr), "renamed") == 0, "Aborted: DisplayName as it was");
    get_text(&id, DL_ID, &hr);
    CHECK_HR(hr, HR_OK, "Aborted: GetProperty(Id) still answers");
    CHECK_HR(downloads_status(jobs, bob(), &id, &s), T_E_ACCESSDENIED, "Aborted: another user still gets E_ACCESSDENIED");
    CHECK(!exists("C:/dl/table.bin"), "Aborted: nothing at LocalPath");

    store_guid_t created = new_download(NULL, NULL);
    CHECK_HR(downloads_abort(jobs, alice(), &created), HR_OK, "Created: Abort");
    CHECK(status_of(&created).state == DOWNLOAD_ABORTED, "Created -> Aborted");
    store_guid_t unknown;
    guid_generate(&unknown);
    CHECK_HR(downloads_status(jobs, alice(), &unknown, &s), T_DO_E_JOB_NOT_FOUND, "an unknown id: DO_E_JOB_NOT_FOUND");
    CHECK_HR(downloads_status(jobs, alice(), &id, NULL), T_E_INVALIDARG, "GetStatus with no status: E_INVALIDARG");
}

/* ---- EnumDownloads ------------------------------------------------------------------------------------ */

static int lists(int32_t property, const char *value, const caller_t *caller, size_t want, const store_guid_t *first)
{
    store_guid_t *ids = NULL;
    size_t count = 0;
    hr_t hr = downloads_list(jobs, caller, property, value, &ids, &count);
    int ok = want ? hr == HR_OK && count == want && (!first || guid_equal(&ids[0], first))
                  : hr == (hr_t)T_DO_E_NO_DOWNLOADS && count == 0;
    if (!ok)
        printf("#   property %d \"%s\": 0x%08x, %zu listed\n", property, value ? value : "", (unsigned)hr, count);
    free(ids);
    return ok;
}

static void test_enumeration(void)
{
    size_t before = 0;
    store_guid_t *ids = NULL;
    if (downloads_list(jobs, admin(), -1, NULL, &ids, &before) == (hr_t)T_DO_E_NO_DOWNLOADS)
        before = 0;
    free(ids);
    CHECK(before == 0, "no live downloads left by the earlier tests");
    store_guid_t a = new_download("http://Example.com/One.bin", "C:\\dl\\one.bin");
    store_guid_t b = new_download("http://example.com/two.bin", "C:\\dl\\two.bin");
    set_text(&a, DL_DISPLAY_NAME, "first");
    set_text(&b, DL_CONTENT_ID, "content-two");
    store_guid_t c = {{0}};
    CHECK_HR(downloads_create(jobs, bob(), &c), HR_OK, "bob's download");
    CHECK(lists(-1, NULL, alice(), 2, &a), "EnumDownloads(NULL): the caller's two, oldest first");
    CHECK(lists(-1, NULL, bob(), 1, &c), "EnumDownloads(NULL) of another user: only theirs");
    CHECK(lists(-1, NULL, admin(), 3, &a), "EnumDownloads(NULL) of an administrator: everyone's");
    CHECK(lists(DL_URI, "http://example.com/one.bin", alice(), 1, &a), "by Uri (case-insensitive)");
    CHECK(lists(DL_LOCAL_PATH, "c:\\DL\\two.bin", alice(), 1, &b), "by LocalPath (case-insensitive)");
    CHECK(lists(DL_DISPLAY_NAME, "first", alice(), 1, &a), "by DisplayName");
    CHECK(lists(DL_CONTENT_ID, "content-two", alice(), 1, &b), "by ContentId");
    char text[GUID_STRING_SIZE];
    guid_format(&b, text);
    CHECK(lists(DL_ID, text, alice(), 1, &b), "by Id, braced");
    hr_t hr;
    CHECK(lists(DL_ID, get_text(&a, DL_ID, &hr), alice(), 1, &a), "by Id, as GetProperty(Id) gives it");
    CHECK(lists(DL_ID, text, bob(), 0, NULL), "by Id of another user's download: DO_E_NO_DOWNLOADS");
    CHECK(lists(DL_ID, "not a guid", alice(), 0, NULL), "by an Id that is not a GUID: DO_E_NO_DOWNLOADS");
    CHECK(lists(DL_URI, "http://example.com/none", alice(), 0, NULL), "no match: DO_E_NO_DOWNLOADS");
    CHECK_HR(downloads_list(jobs, alice(), DL_COST_POLICY, "1", &ids, &before), T_E_INVALIDARG,
             "a property that is not a category: E_INVALIDARG");
    CHECK_HR(downloads_list(jobs, alice(), DL_URI, NULL, &ids, &before), T_E_INVALIDARG, "a category without a value");
    downloads_abort(jobs, alice(), &a);
    CHECK(lists(-1, NULL, alice(), 1, &b), "an aborted download is no longer listed");
    CHECK(lists(DL_ID, text, alice(), 1, &b), "by Id still finds the live one");
    downloads_abort(jobs, alice(), &b);
    CHECK(lists(-1, NULL, alice(), 0, NULL), "nothing left: DO_E_NO_DOWNLOADS");
    downloads_abort(jobs, bob(), &c);
}

/* ---- NonVolatile across a restart --------------------------------------------------------------------- */

static void test_non_volatile(void)
{
    store_guid_t keep = new_download("http://example.com/keep.bin", "C:\\dl\\keep.bin");
    store_guid_t lose = new_download("http://example.com/lose.bin", "C:\\dl\\lose.bin");
    CHECK_HR(set_number(&keep, DL_NON_VOLATILE, DL_VALUE_BOOL, 1), HR_OK, "NonVolatile TRUE");
    set_text(&keep, DL_DISPLAY_NAME, "kept");
    store_guid_t job = {{0}};
    CHECK_HR(jobs_create(jobs, alice(), "a BITS job", JOB_TYPE_DOWNLOAD, &job), HR_OK, "a BITS job beside them");
    jobs_close(jobs);
    jobs = NULL;
    CHECK_HR(jobs_open(db, &jobs, NULL), HR_OK, "restart: the job manager opens again");
    store_guid_t stream = new_download(NULL, NULL);
    CHECK_HR(set_number(&stream, DL_STREAM_INTERFACE, DL_VALUE_INTERFACE, 1), T_DO_E_MEMORYSTREAM,
             "StreamInterface before the service set a spool directory: DO_E_MEMORYSTREAM_DOWNLOAD_NOT_SUPPORTED");
    downloads_abort(jobs, alice(), &stream);
    CHECK_HR(downloads_set_stream_directory(jobs, dir), HR_OK, "the spool directory again");
    size_t dropped = 99;
    CHECK_HR(downloads_drop_volatile(jobs, NULL, &dropped), HR_OK, "restart: volatile downloads dropped");
    CHECK(dropped == 1, "restart: exactly one was dropped");
    download_status_t s;
    CHECK_HR(downloads_status(jobs, alice(), &lose, &s), T_DO_E_JOB_NOT_FOUND, "the volatile download is gone");
    CHECK(status_of(&keep).state == DOWNLOAD_CREATED, "the NonVolatile download survives, Created");
    hr_t hr;
    CHECK(strcmp(get_text(&keep, DL_DISPLAY_NAME, &hr), "kept") == 0, "with its properties");
    CHECK_HR(jobs_lookup(jobs, alice(), &job), HR_OK, "BITS-style jobs always survive");
    downloads_abort(jobs, alice(), &keep);
    jobs_cancel(jobs, alice(), &job);
}

/* ---- with transfers ------------------------------------------------------------------------------------ */

static int file_matches(const char *path, const testfile_t *t)
{
    uint8_t h[32];
    uint64_t size = 0;
    return sha256_file(path, h, &size) == 0 && size == t->size && !memcmp(h, t->hash, 32);
}

static char *temp_of(const store_guid_t *id, char *out, size_t size)
{
    store_file_t f = {0};
    jobs_get_file(jobs, alice(), id, 0, &f);
    snprintf(out, size, "%s", f.temp_name ? f.temp_name : "?");
    store_file_clear(&f);
    return out;
}

static int wait_bytes(const store_guid_t *id, uint64_t min, int timeout_ms)
{
    for (int t = 0; t < timeout_ms; t += 20) {
        if (status_of(id).bytes_transferred >= min)
            return 1;
        sleep_ms(20);
    }
    return 0;
}

static void test_whole_file(void)
{
    char u[300], temp[300];
    store_guid_t id = new_download(url(u, "/a.bin"), "C:/dl/a.bin");
    CHECK_HR(downloads_start(jobs, alice(), &id, NULL, 0, 0), HR_OK, "whole file: Start(NULL)");
    CHECK(wait_download_state(&id, DOWNLOAD_TRANSFERRED, 15000), "whole file: Transferred");
    download_status_t s = status_of(&id);
    CHECK(s.bytes_total == f_a.size && s.bytes_transferred == f_a.size && s.error == 0,
          "whole file: BytesTransferred == BytesTotal == the file's size");
    CHECK(!exists("C:/dl/a.bin") && file_matches(temp_of(&id, temp, sizeof temp), &f_a),
          "whole file: nothing at LocalPath before Finalize, the bytes in the temporary file");
    uint64_t n = 0;
    hr_t hr;
    CHECK(get_number(&id, DL_HTTP_STATUS_CODE, &n) == HR_OK && n == 200, "HttpStatusCode 200");
    CHECK(get_number(&id, DL_TOTAL_SIZE_BYTES, &n) == HR_OK && n == f_a.size, "TotalSizeBytes: the file's size once known");
    CHECK(strstr(get_text(&id, DL_HTTP_RESPONSE_HEADERS, &hr), "Content-Length: 1048583") != NULL,
          "HttpResponseHeaders: the server's headers");
    CHECK(strcmp(get_text(&id, DL_HTTP_SERVER_IP, &hr), "127.0.0.1") == 0, "HttpServerIPAddress 127.0.0.1");
    CHECK(strcmp(get_text(&id, DL_HTTP_REDIRECTION_TARGET, &hr), u) == 0, "HttpRedirectionTarget: the URL that answered");
    CHECK_HR(downloads_start(jobs, alice(), &id, NULL, 0, 0), HR_OK, "Transferred: Start(NULL) is a no-op");
    CHECK(status_of(&id).state == DOWNLOAD_TRANSFERRED, "Transferred: still Transferred");
    CHECK_HR(downloads_pause(jobs, alice(), &id), HR_OK, "Transferred: Pause is a no-op");
    CHECK_HR(downloads_finalize(jobs, alice(), &id), HR_OK, "Transferred: Finalize");
    s = status_of(&id);
    CHECK(s.state == DOWNLOAD_FINALIZED && s.bytes_transferred == f_a.size && s.bytes_total == f_a.size,
          "-> Finalized; GetStatus still gives the bytes");
    CHECK(file_matches("C:/dl/a.bin", &f_a) && !exists(temp), "Finalize put the file at LocalPath (SHA-256), no temporary file left");
    CHECK(get_number(&id, DL_HTTP_STATUS_CODE, &n) == HR_OK && n == 200 &&
              strcmp(get_text(&id, DL_LOCAL_PATH, &hr), "C:/dl/a.bin") == 0,
          "Finalized: GetProperty still answers (HttpStatusCode, LocalPath), as winget's destructor expects");
    CHECK_HR(downloads_finalize(jobs, alice(), &id), HR_OK, "Finalized: Finalize is a no-op");
    CHECK_HR(downloads_abort(jobs, alice(), &id), T_DO_E_INVALID_STATE, "Finalized: Abort is DO_E_INVALID_STATE");
    CHECK_HR(downloads_start(jobs, alice(), &id, NULL, 0, 0), T_DO_E_INVALID_STATE, "Finalized: Start is DO_E_INVALID_STATE");
    CHECK_HR(downloads_pause(jobs, alice(), &id), T_DO_E_INVALID_STATE, "Finalized: Pause is DO_E_INVALID_STATE");
}

static void test_http_error(void)
{
    char u[300];
    store_guid_t id = new_download(url(u, "/missing.bin"), "C:/dl/missing.bin");
    downloads_start(jobs, alice(), &id, NULL, 0, 0);
    CHECK(wait_download_state(&id, DOWNLOAD_PAUSED, 15000), "404: the download becomes Paused");
    download_status_t s = status_of(&id);
    CHECK(s.error == (hr_t)T_HTTP_404 && s.extended_error == 0, "404: Error 0x80190194, ExtendedError 0");
    uint64_t n = 0;
    CHECK(get_number(&id, DL_HTTP_STATUS_CODE, &n) == HR_OK && n == 404, "404: HttpStatusCode 404");
    CHECK_HR(downloads_abort(jobs, alice(), &id), HR_OK, "404: Abort");
}

/* The bytes of t at [offset, offset + length) are at the same place in path. */
static int holds_range(const char *path, const testfile_t *t, uint64_t offset, uint64_t length)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(length);
    int ok = f && buf && fseek(f, (long)offset, SEEK_SET) == 0 && fread(buf, 1, length, f) == length &&
             memcmp(buf, t->data + offset, length) == 0;
    if (f)
        fclose(f);
    free(buf);
    return ok;
}

static void test_ranges(void)
{
    char u[300];
    store_guid_t id = new_download(url(u, "/a.bin"), "C:/dl/ranged.bin");
    download_range_t first[] = {{200, 1000}, {0, 100}};
    CHECK_HR(downloads_start(jobs, alice(), &id, first, 2, 1), HR_OK, "ranges: Start with {0,100} and {200,1000}");
    CHECK(wait_download_state(&id, DOWNLOAD_TRANSFERRED, 15000), "ranges: Transferred");
    download_status_t s = status_of(&id);
    CHECK(s.bytes_total == 1100 && s.bytes_transferred == 1100, "ranges: exactly 1100 bytes");
    download_range_t again[] = {{500000, DOWNLOAD_LENGTH_TO_EOF}};
    CHECK_HR(downloads_start(jobs, alice(), &id, again, 1, 1), HR_OK, "Transferred: Start again with other ranges");
    CHECK(wait_download_state(&id, DOWNLOAD_TRANSFERRED, 15000), "the second portion: Transferred");
    s = status_of(&id);
    CHECK(s.bytes_total == f_a.size - 500000 && s.bytes_transferred == s.bytes_total,
          "the second portion: {500000, DO_LENGTH_TO_EOF} is the rest of the file");
    CHECK_HR(downloads_finalize(jobs, alice(), &id), HR_OK, "ranges: Finalize");
    CHECK(holds_range("C:/dl/ranged.bin", &f_a, 0, 100), "ranges: the bytes of {0,100} are at their offset in the file");
    CHECK(holds_range("C:/dl/ranged.bin", &f_a, 200, 1000), "ranges: so are those of {200,1000}");
    CHECK(holds_range("C:/dl/ranged.bin", &f_a, 500000, f_a.size - 500000), "ranges: and those of {500000,EOF}");
}

static void test_pause_resume(void)
{
    char u[300], temp[300];
    store_guid_t id = new_download(url_at(u, fault_port, "/slow/s.bin"), "C:/dl/s.bin");
    downloads_start(jobs, alice(), &id, NULL, 0, 0);
    CHECK(wait_bytes(&id, 1000, 15000), "pause: some bytes arrive");
    CHECK_HR(downloads_pause(jobs, alice(), &id), HR_OK, "pause: Pause mid-transfer");
    download_status_t s = status_of(&id);
    CHECK(s.state == DOWNLOAD_PAUSED && s.error == 0, "pause: Paused when Pause returns");
    sleep_ms(1500);
    download_status_t later = status_of(&id);
    CHECK(later.state == DOWNLOAD_PAUSED && later.bytes_transferred == s.bytes_transferred && s.bytes_transferred > 0,
          "pause: the bytes GetStatus gives when Pause returns are final: nothing moves while paused");
    CHECK_HR(downloads_start(jobs, alice(), &id, NULL, 0, 0), HR_OK, "pause: Start(NULL) resumes");
    CHECK(wait_download_state(&id, DOWNLOAD_TRANSFERRED, 20000), "pause: Transferred after the resume");
    uint64_t code = 0;
    CHECK(get_number(&id, DL_HTTP_STATUS_CODE, &code) == HR_OK && code == 206,
          "pause: the resumed transfer was a Range request (206)");
    CHECK(file_matches(temp_of(&id, temp, sizeof temp), &f_s), "pause: the bytes are right (SHA-256)");
    downloads_finalize(jobs, alice(), &id);
}

static void test_abort_and_same_path(void)
{
    char u[300], temp[300];
    store_guid_t id = new_download(url_at(u, fault_port, "/slow/s.bin"), "C:/dl/aborted.bin");
    downloads_start(jobs, alice(), &id, NULL, 0, 0);
    CHECK(wait_bytes(&id, 700, 15000), "abort: some bytes arrive");
    temp_of(&id, temp, sizeof temp);
    CHECK_HR(downloads_abort(jobs, alice(), &id), HR_OK, "abort: Abort mid-transfer");
    CHECK(status_of(&id).state == DOWNLOAD_ABORTED && !exists(temp) && !exists("C:/dl/aborted.bin"),
          "abort: Aborted, nothing left behind");

    store_guid_t first = new_download(url_at(u, fault_port, "/slow/s.bin"), "C:/dl/same.bin");
    downloads_start(jobs, alice(), &first, NULL, 0, 0);
    downloads_pause(jobs, alice(), &first);
    store_guid_t second = new_download(url(u, "/a.bin"), "C:/DL/SAME.bin");
    CHECK_HR(downloads_start(jobs, alice(), &second, NULL, 0, 0), HR_OK, "same LocalPath: the second download starts");
    CHECK(status_of(&first).state == DOWNLOAD_ABORTED, "same LocalPath: the first one is Aborted");
    CHECK(wait_download_state(&second, DOWNLOAD_TRANSFERRED, 15000), "same LocalPath: the second one completes");
    downloads_abort(jobs, alice(), &second);
}

/* The bytes of the spool of a stream download at [offset, offset + length) are t's. */
static void test_streams(void)
{
    char u[300];
    store_guid_t id = new_download(url(u, "/a.bin"), NULL);
    CHECK_HR(set_number(&id, DL_STREAM_INTERFACE, DL_VALUE_INTERFACE, 1), HR_OK, "stream: StreamInterface");
    download_range_t first[] = {{0, 100}, {200, 1000}};
    CHECK_HR(downloads_start(jobs, alice(), &id, first, 2, 1), HR_OK, "stream: Start with {0,100} and {200,1000}");
    CHECK(wait_download_state(&id, DOWNLOAD_TRANSFERRED, 15000), "stream: Transferred");
    download_stream_source_t src;
    CHECK_HR(downloads_stream_source(jobs, &id, &src), HR_OK, "stream: its source");
    CHECK(src.path && exists(src.path) && src.range_count == 2 && src.written == 1100 && src.total == 1100 &&
              src.generation >= 1 && src.state == DOWNLOAD_TRANSFERRED,
          "stream: a spool file, the two ranges, 1100 bytes durable");
    uint32_t generation = src.generation;
    CHECK(src.path && holds_range(src.path, &f_a, 0, 100) && holds_range(src.path, &f_a, 200, 1000),
          "stream: the spool holds each range at its offset");
    char spool[400];
    snprintf(spool, sizeof spool, "%s", src.path ? src.path : "?");
    downloads_stream_source_clear(&src);
    download_range_t again[] = {{500000, DOWNLOAD_LENGTH_TO_EOF}};
    CHECK_HR(downloads_start(jobs, alice(), &id, again, 1, 1), HR_OK, "stream: Start again with other ranges");
    CHECK(wait_download_state(&id, DOWNLOAD_TRANSFERRED, 15000), "stream: the second portion Transferred");
    downloads_stream_source(jobs, &id, &src);
    CHECK(src.generation > generation && src.written == f_a.size - 500000 && holds_range(spool, &f_a, 500000, f_a.size - 500000),
          "stream: new ranges are a new generation, their bytes in the spool");
    downloads_stream_source_clear(&src);
    CHECK_HR(downloads_finalize(jobs, alice(), &id), HR_OK, "stream: Finalize");
    CHECK(!exists(spool), "stream: Finalize deleted the spool");

    store_guid_t failing = new_download(url_at(u, fault_port, "/slow/s.bin"), NULL);
    set_number(&failing, DL_STREAM_INTERFACE, DL_VALUE_INTERFACE, 1);
    downloads_start(jobs, alice(), &failing, NULL, 0, 0);
    CHECK(wait_bytes(&failing, 100, 15000), "stream: some bytes of a slow download");
    CHECK_HR(downloads_sink_failed(jobs, &failing, (hr_t)0x80070070, "IStream::Write failed"), HR_OK,
             "stream: the client's Write fails");
    download_status_t s = status_of(&failing);
    CHECK(s.state == DOWNLOAD_PAUSED && s.error == (hr_t)0x80070070, "stream: the download stops, Paused with the Write's error");
    downloads_stream_source(jobs, &failing, &src);
    snprintf(spool, sizeof spool, "%s", src.path ? src.path : "?");
    downloads_stream_source_clear(&src);
    CHECK_HR(downloads_abort(jobs, alice(), &failing), HR_OK, "stream: Abort");
    CHECK(!exists(spool), "stream: Abort deleted the spool");
}

/* Whether nginx's headers.log (uri, X-Token, MS-CV of each request to /token/ and /cv/) holds line. */
static int header_log_has(const char *line)
{
    char path[400], buf[8192] = "";
    snprintf(path, sizeof path, "%s/headers.log", dir);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    if (!strstr(buf, line))
        printf("#   headers.log:\n%s", buf);
    return strstr(buf, line) != NULL;
}

static void test_request_headers(void)
{
    char u[300];
    store_guid_t id = new_download(url(u, "/token/a.bin"), "C:/dl/token.bin");
    CHECK_HR(set_text(&id, DL_HTTP_CUSTOM_AUTH_HEADERS, "X-Token: s3cret\r\n"), HR_OK, "HttpCustomAuthHeaders");
    CHECK_HR(set_text(&id, DL_HTTP_CUSTOM_HEADERS, "not a header\nX-Other: 1"), HR_OK,
             "HttpCustomHeaders with a line that is no header");
    downloads_start(jobs, alice(), &id, NULL, 0, 0);
    CHECK(wait_download_state(&id, DOWNLOAD_TRANSFERRED, 15000),
          "HttpCustomAuthHeaders: the server's 401 is answered with them, and the download completes");
    CHECK(header_log_has("/token/a.bin - -\n/token/a.bin s3cret -\n"),
          "HttpCustomAuthHeaders: not in the first request, only in the one after the 401");
    downloads_abort(jobs, alice(), &id);

    store_guid_t refused = new_download(url(u, "/token/a.bin"), "C:/dl/token2.bin");
    downloads_start(jobs, alice(), &refused, NULL, 0, 0);
    CHECK(wait_download_state(&refused, DOWNLOAD_PAUSED, 15000) && status_of(&refused).error == (hr_t)0x80190191,
          "without them the 401 stops the download: Paused, Error 0x80190191");
    downloads_abort(jobs, alice(), &refused);

    store_guid_t cv = new_download(url(u, "/cv/a.bin"), "C:/dl/cv.bin");
    CHECK_HR(set_text(&cv, DL_CORRELATION_VECTOR, "tul4NUsfs06k3LuN.1"), HR_OK, "CorrelationVector");
    downloads_start(jobs, alice(), &cv, NULL, 0, 0);
    CHECK(wait_download_state(&cv, DOWNLOAD_TRANSFERRED, 15000) && header_log_has("/cv/a.bin - tul4NUsfs06k3LuN.1\n"),
          "CorrelationVector: sent as the MS-CV header");
    downloads_abort(jobs, alice(), &cv);
}

/* No progress within NoProgressTimeoutSeconds: Paused with DO_E_DOWNLOAD_NO_PROGRESS, and the
 * failure behind it in ExtendedError. The API's minimum is 60 s; the test shortens the job's
 * timer through the job manager to keep its run short. */
static int wait_retrying(const store_guid_t *id, hr_t code, int timeout_ms)
{
    for (int t = 0; t < timeout_ms; t += 20) {
        download_status_t s = status_of(id);
        if (s.state == DOWNLOAD_TRANSFERRING && s.error == 0 && s.extended_error == code)
            return 1;
        sleep_ms(20);
    }
    return 0;
}

static void test_no_progress(void)
{
    store_guid_t retrying = new_download("http://127.0.0.1:9/nothing-listens.bin", "C:/dl/retrying.bin");
    downloads_start(jobs, alice(), &retrying, NULL, 0, 0);
    CHECK(wait_retrying(&retrying, (hr_t)0x80072EFD, 10000),
          "while the service retries: Transferring, Error 0, ExtendedError the failure (0x80072EFD)");
    downloads_abort(jobs, alice(), &retrying);

    store_guid_t id = new_download("http://127.0.0.1:9/nothing-listens.bin", "C:/dl/never.bin");
    job_value_t one_second = {.number = 1};
    jobs_set(jobs, alice(), &id, JOB_PROP_NO_PROGRESS_TIMEOUT, &one_second);
    jobs_set(jobs, alice(), &id, JOB_PROP_MIN_RETRY_DELAY, &one_second);
    downloads_start(jobs, alice(), &id, NULL, 0, 0);
    CHECK(wait_download_state(&id, DOWNLOAD_PAUSED, 20000), "no progress: the download becomes Paused");
    download_status_t s = status_of(&id);
    CHECK(s.error == (hr_t)0x80D02002 && s.extended_error == (hr_t)0x80072EFD,
          "no progress: Error DO_E_DOWNLOAD_NO_PROGRESS, ExtendedError the connection failure (0x80072EFD)");
    if (s.error != (hr_t)0x80D02002 || s.extended_error != (hr_t)0x80072EFD)
        printf("#   error 0x%08x, extended 0x%08x\n", (unsigned)s.error, (unsigned)s.extended_error);
    downloads_abort(jobs, alice(), &id);
}

int main(void)
{
    if (http_fixture_setup("downloads") != 0)
        return 2;
    char logpath[400];
    snprintf(logpath, sizeof logpath, "%s/service.log", dir);
    log_open(logpath);
    int files_ok = make_file(&f_a) == 0 && make_file(&f_s) == 0;
    CHECK(files_ok, "test files written");
    int servers = CHECK(start_nginx(), "nginx started on a loopback port") &
                  CHECK(start_fault_server(), "fault server started on a loopback port");
    snprintf(db, sizeof db, "%s/jobs.db", dir);
    if (servers && files_ok && http_fixture_enter_drive())
        CHECK_HR(jobs_open(db, &jobs, NULL), HR_OK, "jobs_open");
    if (jobs)
        CHECK_HR(downloads_set_stream_directory(jobs, dir), HR_OK, "the spool directory of stream downloads");
    if (jobs) {
        test_create_and_access();
        test_property_rules();
        test_property_defaults();
        test_property_values();
        test_state_table();
        test_enumeration();
        test_non_volatile();
    }
    if (jobs && CHECK(jobs_enable_transfers(jobs, &options, NULL, 4) == HR_OK, "transfers enabled")) {
        test_whole_file();
        test_http_error();
        test_ranges();
        test_pause_resume();
        test_abort_and_same_path();
        test_request_headers();
        test_streams();
        test_no_progress();
    }
    jobs_close(jobs);
    log_close();
    http_fixture_teardown();
    return CHECK_EXIT_CODE();
}
