/* Native unit tests of jobs_set: every job property's valid values (stored, read back, durable),
 * ModificationTime, every documented invalid value (its HRESULT, and the job left unchanged),
 * access (owner and administrator only) and shutdown. */
#include "jobs_fixture.h"

#define T_BG_E_STRING_TOO_LONG 0x80200021u

static fixture_t fx;

/* Sets a property that must be accepted; returns the job as read back afterwards. */
static store_job_t set_ok(const store_guid_t *id, job_property_t property, job_value_t value,
                          const char *name)
{
    store_job_t before = job_snapshot(fx.jobs, alice(), id);
    char label[200];
    snprintf(label, sizeof label, "set %s: accepted", name);
    CHECK_HR(jobs_set(fx.jobs, alice(), id, property, &value), HR_OK, label);
    store_job_t after = job_snapshot(fx.jobs, alice(), id);
    snprintf(label, sizeof label, "set %s: ModificationTime moves on", name);
    CHECK(after.modification_time >= before.modification_time &&
              after.modification_time > after.creation_time &&
              after.creation_time == before.creation_time,
          label);
    store_job_clear(&before);
    return after;
}

/* Sets a property that must be refused with want; the whole row must stay as it was. */
static void set_refused(const caller_t *caller, const store_guid_t *id, job_property_t property,
                        job_value_t value, uint32_t want, const char *name)
{
    store_job_t before = job_snapshot(fx.jobs, admin(), id);
    char label[200];
    snprintf(label, sizeof label, "set %s: refused", name);
    CHECK_HR(jobs_set(fx.jobs, caller, id, property, &value), want, label);
    store_job_t after = job_snapshot(fx.jobs, admin(), id);
    snprintf(label, sizeof label, "set %s: job unchanged", name);
    CHECK(before.display_name && job_equal(&before, &after), label);
    store_job_clear(&before);
    store_job_clear(&after);
}

static job_value_t number(uint32_t n)
{
    job_value_t v = {.number = n};
    return v;
}

static job_value_t text(const char *t)
{
    job_value_t v = {.text = t};
    return v;
}

static job_value_t text2(uint32_t n, const char *t, const char *t2)
{
    job_value_t v = {.number = n, .text = t, .text2 = t2};
    return v;
}

/* ---- valid values ------------------------------------------------------------------------------ */

static void test_text_properties(const store_guid_t *id)
{
    store_job_t job = set_ok(id, JOB_PROP_DISPLAY_NAME, text("renamed job"), "display name");
    CHECK(text_equal(job.display_name, "renamed job"), "display name read back");
    store_job_clear(&job);
    char *wide256 = repeat("\xe2\x82\xac", 256); /* 256 units, 768 bytes */
    job = set_ok(id, JOB_PROP_DISPLAY_NAME, text(wide256), "display name of 256 units");
    CHECK(text_equal(job.display_name, wide256), "256-unit display name read back");
    store_job_clear(&job);
    free(wide256);
    job = set_ok(id, JOB_PROP_DISPLAY_NAME, text(""), "empty display name (as CreateJob allows)");
    CHECK(text_equal(job.display_name, ""), "empty display name read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_DISPLAY_NAME, text("final name \xc3\xa9"), "display name (UTF-8)");
    CHECK(text_equal(job.display_name, "final name \xc3\xa9"), "UTF-8 display name read back");
    store_job_clear(&job);

    job = set_ok(id, JOB_PROP_DESCRIPTION, text(""), "empty description");
    CHECK(text_equal(job.description, ""), "empty description read back");
    store_job_clear(&job);
    char *desc1024 = repeat("d", 1024);
    job = set_ok(id, JOB_PROP_DESCRIPTION, text(desc1024), "description of 1024 units");
    CHECK(text_equal(job.description, desc1024), "1024-unit description read back");
    store_job_clear(&job);
    free(desc1024);
    job = set_ok(id, JOB_PROP_DESCRIPTION, text("what this job is for"), "description");
    CHECK(text_equal(job.description, "what this job is for"), "description read back");
    store_job_clear(&job);

    job = set_ok(id, JOB_PROP_CUSTOM_HEADERS, text("X-A: 1\r\nX-B: two"), "custom headers");
    CHECK(text_equal(job.custom_headers, "X-A: 1\r\nX-B: two"), "custom headers read back");
    store_job_clear(&job);
    static const char *const valid_headers[] = {
        "X-A: 1\r\n",                                   /* every line ended by CRLF, as BITS asks */
        "MyHeader_1: One\r\nMyHeader_2: Two\r\nMyHeader_3: Three\r\n", /* BITS's example */
        "X-Empty:\r\nX-Colons: a:b:c\r\n",              /* empty value; ':' in a value */
        "X-\xc3\xa9t\xc3\xa9: \xe2\x82\xac \xf0\x9f\x98\x80",   /* UTF-8 name and value */
        "Accept:*/*",                                    /* no blank after ':' */
        "",                                              /* no lines: a value, not a removal */
    };
    for (size_t i = 0; i < sizeof valid_headers / sizeof *valid_headers; i++) {
        char label[80];
        snprintf(label, sizeof label, "custom headers, valid form %zu", i + 1);
        job = set_ok(id, JOB_PROP_CUSTOM_HEADERS, text(valid_headers[i]), label);
        CHECK(text_equal(job.custom_headers, valid_headers[i]), label);
        store_job_clear(&job);
    }
    char *headers = padded("X-Long: ", 'h', JOB_CUSTOM_HEADERS_MAX);
    job = set_ok(id, JOB_PROP_CUSTOM_HEADERS, text(headers), "custom headers of 16383 units");
    CHECK(text_equal(job.custom_headers, headers), "16383-unit custom headers read back");
    store_job_clear(&job);
    free(headers);
    /* The limit counts UTF-16 units: 16383 units of which 16373 are three-byte characters. */
    char *wide = repeat("\xe2\x82\xac", JOB_CUSTOM_HEADERS_MAX - 10), *wide_headers = malloc(strlen(wide) + 11);
    snprintf(wide_headers, strlen(wide) + 11, "X-Wide: %s\r\n", wide);
    job = set_ok(id, JOB_PROP_CUSTOM_HEADERS, text(wide_headers), "custom headers of 16383 non-ASCII units");
    CHECK(text_equal(job.custom_headers, wide_headers), "16383-unit non-ASCII custom headers read back");
    store_job_clear(&job);
    free(wide), free(wide_headers);
    job = set_ok(id, JOB_PROP_CUSTOM_HEADERS, text(NULL), "custom headers NULL");
    CHECK(job.custom_headers == NULL, "custom headers cleared by NULL");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_CUSTOM_HEADERS, text("X-Kept: yes"), "custom headers again");
    CHECK(text_equal(job.custom_headers, "X-Kept: yes"), "custom headers set again");
    store_job_clear(&job);
}

static void test_number_properties(const store_guid_t *id)
{
    static const char *const priorities[] = {"priority FOREGROUND", "priority HIGH",
                                             "priority NORMAL", "priority LOW"};
    for (uint32_t p = 0; p <= 3; p++) {
        store_job_t job = set_ok(id, JOB_PROP_PRIORITY, number(p), priorities[p]);
        CHECK(job.priority == (int32_t)p, priorities[p]);
        store_job_clear(&job);
    }
    store_job_t job = set_ok(id, JOB_PROP_PRIORITY, number(JOB_PRIORITY_HIGH), "priority HIGH again");
    CHECK(job.no_progress_timeout == 86400, "a background job's default no-progress timeout is a day");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_PRIORITY, number(JOB_PRIORITY_FOREGROUND), "priority FOREGROUND again");
    CHECK(job.no_progress_timeout == 3600,
          "a foreground job's default no-progress timeout is an hour (DO)");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_NO_PROGRESS_TIMEOUT, number(600), "no-progress timeout set by the client");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_PRIORITY, number(JOB_PRIORITY_HIGH), "priority HIGH once more");
    CHECK(job.no_progress_timeout == 600, "a timeout the client set does not follow the priority");
    store_job_clear(&job);

    job = set_ok(id, JOB_PROP_NOTIFY_FLAGS, number(0), "notify flags 0");
    CHECK(job.notify_flags == 0, "notify flags 0 read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_NOTIFY_FLAGS, number(0x1F), "notify flags 0x1F");
    CHECK(job.notify_flags == 0x1F, "notify flags 0x1F read back (DISABLE and FILE_TRANSFERRED kept)");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_NOTIFY_FLAGS, number(0x0B), "notify flags 0x0B");
    CHECK(job.notify_flags == 0x0B, "notify flags 0x0B read back");
    store_job_clear(&job);

    job = set_ok(id, JOB_PROP_MIN_RETRY_DELAY, number(60), "minimum retry delay");
    CHECK(job.min_retry_delay == 60, "minimum retry delay read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_NO_PROGRESS_TIMEOUT, number(3600), "no-progress timeout");
    CHECK(job.no_progress_timeout == 3600, "no-progress timeout read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_MAX_DOWNLOAD_TIME, number(0), "maximum download time 0");
    CHECK(job.max_download_time == 0, "maximum download time 0 (no limit) read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_MAX_DOWNLOAD_TIME, number(7200), "maximum download time");
    CHECK(job.max_download_time == 7200, "maximum download time read back");
    store_job_clear(&job);

    job = set_ok(id, JOB_PROP_ACL_FLAGS, number(0xF), "ACL flags ALL");
    CHECK(job.acl_flags == 0xF, "ACL flags read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_ACL_FLAGS, number(0x5), "ACL flags OWNER|DACL");
    CHECK(job.acl_flags == 0x5, "ACL flags 0x5 read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_PEER_CACHING_FLAGS, number(0x7), "peer caching flags");
    CHECK(job.peer_caching_flags == 0x7, "peer caching flags read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_PEER_CACHING_FLAGS, number(0x3), "peer caching flags 0x3");
    CHECK(job.peer_caching_flags == 0x3, "peer caching flags 0x3 read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_COST_FLAGS, number(0x800000FFu), "cost flags ALWAYS");
    CHECK(job.cost_flags == 0x800000FFu, "cost flags read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_COST_FLAGS, number(0x80000021u), "cost flags UNRESTRICTED");
    CHECK(job.cost_flags == 0x80000021u, "cost flags UNRESTRICTED read back");
    store_job_clear(&job);
}

/* IBackgroundCopyJobHttpOptions::SetSecurityFlags: every defined bit, each redirect policy. */
static void test_security_flags(const store_guid_t *id)
{
    store_job_t job = job_snapshot(fx.jobs, alice(), id);
    CHECK(job.security_flags == 0, "security flags of a new job are 0");
    store_job_clear(&job);
    static const uint32_t valid[] = {
        0x0001, 0x0002, 0x0004, 0x0008, 0x0010, /* BG_SSL_* one by one */
        0x0100, 0x0200,                         /* ALLOW_REPORT, DISALLOW */
        0x0800, 0x0900,                         /* ALLOW_HTTPS_TO_HTTP (with SILENT, with REPORT) */
        0x0A1F,                                 /* every SSL bit, DISALLOW, HTTPS_TO_HTTP */
        0x091F,                                 /* every SSL bit, ALLOW_REPORT, HTTPS_TO_HTTP */
        0x0000,                                 /* back to the default */
        0x0209,                                 /* CRL check, unknown CA, DISALLOW: kept */
    };
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
        char label[80];
        snprintf(label, sizeof label, "security flags 0x%04x", (unsigned)valid[i]);
        job = set_ok(id, JOB_PROP_SECURITY_FLAGS, number(valid[i]), label);
        CHECK(job.security_flags == valid[i], label);
        store_job_clear(&job);
    }
}

static void test_notify_cmdline(const store_guid_t *id)
{
    store_job_t job = set_ok(id, JOB_PROP_NOTIFY_CMDLINE,
                             text2(0, "C:\\Windows\\notify.exe", "notify.exe /job done"),
                             "notify command line");
    CHECK(text_equal(job.notify_program, "C:\\Windows\\notify.exe") &&
              text_equal(job.notify_parameters, "notify.exe /job done"),
          "notify program and parameters read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_NOTIFY_CMDLINE, text2(0, "C:\\bin\\n.exe", NULL),
                 "notify program without parameters");
    CHECK(text_equal(job.notify_program, "C:\\bin\\n.exe") && job.notify_parameters == NULL,
          "program set, parameters cleared");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_NOTIFY_CMDLINE, text2(0, NULL, NULL), "notify command line NULL");
    CHECK(job.notify_program == NULL && job.notify_parameters == NULL,
          "notify command line cleared by NULL program");
    store_job_clear(&job);
    char *program260 = padded("C:\\", 'p', 260);
    job = set_ok(id, JOB_PROP_NOTIFY_CMDLINE, text2(0, program260, "x"), "notify program of 260 units");
    CHECK(text_equal(job.notify_program, program260), "260-unit notify program read back");
    store_job_clear(&job);
    free(program260);
    job = set_ok(id, JOB_PROP_NOTIFY_CMDLINE, text2(0, "C:\\Windows\\notify.exe", "/kept"),
                 "notify command line again");
    store_job_clear(&job);
}

static void test_proxy(const store_guid_t *id)
{
    store_job_t job = set_ok(id, JOB_PROP_PROXY, text2(2, "proxy.example:8080", "<local>"),
                             "proxy OVERRIDE with lists");
    CHECK(job.proxy_usage == 2 && text_equal(job.proxy_list, "proxy.example:8080") &&
              text_equal(job.proxy_bypass_list, "<local>"),
          "proxy usage, list and bypass list read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_PROXY, text2(1, NULL, NULL), "proxy NO_PROXY");
    CHECK(job.proxy_usage == 1 && !job.proxy_list && !job.proxy_bypass_list,
          "NO_PROXY clears both lists");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_PROXY, text2(3, NULL, NULL), "proxy AUTODETECT");
    CHECK(job.proxy_usage == 3, "AUTODETECT read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_PROXY, text2(0, NULL, NULL), "proxy PRECONFIG");
    CHECK(job.proxy_usage == 0 && !job.proxy_list && !job.proxy_bypass_list, "PRECONFIG read back");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_PROXY, text2(2, "p1:80;p2:81", NULL), "proxy OVERRIDE without bypass");
    CHECK(job.proxy_usage == 2 && text_equal(job.proxy_list, "p1:80;p2:81") && !job.proxy_bypass_list,
          "OVERRIDE without bypass list read back");
    store_job_clear(&job);

    char *list = padded("p:", 'x', JOB_PROXY_TEXT_MAX), *bypass = padded("b:", 'y', JOB_PROXY_TEXT_MAX);
    job = set_ok(id, JOB_PROP_PROXY, text2(2, list, bypass), "proxy lists of 32767 units");
    CHECK(text_equal(job.proxy_list, list) && text_equal(job.proxy_bypass_list, bypass),
          "32767-unit proxy lists read back");
    store_job_clear(&job);
    free(list), free(bypass);
    /* The limit is in UTF-16 units: 32767 three-byte characters (98301 bytes) are still valid. */
    char *wide = repeat("\xe2\x82\xac", JOB_PROXY_TEXT_MAX);
    job = set_ok(id, JOB_PROP_PROXY, text2(2, wide, NULL), "proxy list of 32767 non-ASCII units");
    CHECK(text_equal(job.proxy_list, wide), "32767-unit non-ASCII proxy list read back");
    store_job_clear(&job);
    free(wide);

    job = set_ok(id, JOB_PROP_PROXY, text2(2, "proxy.example:8080", "*.local"), "proxy OVERRIDE again");
    store_job_clear(&job);
}

static void test_notify_clsid(const store_guid_t *id)
{
    job_value_t v = {0};
    for (int i = 0; i < 16; i++)
        v.guid.bytes[i] = (uint8_t)(0xA0 + i);
    store_job_t job = set_ok(id, JOB_PROP_NOTIFY_CLSID, v, "notification CLSID");
    CHECK(guid_equal(&job.notify_clsid, &v.guid), "notification CLSID read back");
    store_job_clear(&job);
    job_value_t null_guid = {0};
    job = set_ok(id, JOB_PROP_NOTIFY_CLSID, null_guid, "notification CLSID GUID_NULL");
    CHECK(guid_equal(&job.notify_clsid, &null_guid.guid), "GUID_NULL clears the CLSID");
    store_job_clear(&job);
    job = set_ok(id, JOB_PROP_NOTIFY_CLSID, v, "notification CLSID again");
    store_job_clear(&job);
}

/* ---- invalid values ----------------------------------------------------------------------------- */

static void test_invalid_values(const store_guid_t *id)
{
    const caller_t *a = alice();
    char *name257 = repeat("n", 257), *astral129 = repeat("\xf0\x9f\x98\x80", 129);
    set_refused(a, id, JOB_PROP_DISPLAY_NAME, text(NULL), T_E_INVALIDARG, "display name NULL");
    set_refused(a, id, JOB_PROP_DISPLAY_NAME, text(name257), T_E_INVALIDARG, "display name 257 units");
    set_refused(a, id, JOB_PROP_DISPLAY_NAME, text(astral129), T_E_INVALIDARG,
                "display name of 129 surrogate pairs (258 units)");
    set_refused(a, id, JOB_PROP_DISPLAY_NAME, text("bad \xc3"), T_E_INVALIDARG,
                "display name invalid UTF-8");
    free(name257), free(astral129);

    char *desc1025 = repeat("d", 1025);
    set_refused(a, id, JOB_PROP_DESCRIPTION, text(desc1025), T_E_INVALIDARG, "description 1025 units");
    set_refused(a, id, JOB_PROP_DESCRIPTION, text("\xff"), T_E_INVALIDARG, "description invalid UTF-8");
    free(desc1025);

    set_refused(a, id, JOB_PROP_PRIORITY, number(4), T_E_INVALIDARG, "priority 4");
    set_refused(a, id, JOB_PROP_PRIORITY, number(UINT32_MAX), T_E_INVALIDARG, "priority -1");

    set_refused(a, id, JOB_PROP_NOTIFY_FLAGS, number(0x20), T_E_NOTIMPL,
                "notify flags FILE_RANGES_TRANSFERRED");
    set_refused(a, id, JOB_PROP_NOTIFY_FLAGS, number(0x40), T_E_NOTIMPL, "notify flags 0x40");
    set_refused(a, id, JOB_PROP_NOTIFY_FLAGS, number(0x23), T_E_NOTIMPL, "notify flags 0x23");
    set_refused(a, id, JOB_PROP_NOTIFY_FLAGS, number(0x80000001u), T_E_NOTIMPL,
                "notify flags high bit");

    char *program261 = padded("C:\\", 'p', 261);
    set_refused(a, id, JOB_PROP_NOTIFY_CMDLINE, text2(0, NULL, "/params"), T_E_INVALIDARG,
                "notify parameters without program");
    set_refused(a, id, JOB_PROP_NOTIFY_CMDLINE, text2(0, program261, NULL), T_E_INVALIDARG,
                "notify program 261 units");
    free(program261);

    char *list32768 = padded("p:", 'x', JOB_PROXY_TEXT_MAX + 1);
    set_refused(a, id, JOB_PROP_PROXY, text2(4, NULL, NULL), T_E_INVALIDARG, "proxy usage 4");
    set_refused(a, id, JOB_PROP_PROXY, text2(UINT32_MAX, NULL, NULL), T_E_INVALIDARG, "proxy usage -1");
    set_refused(a, id, JOB_PROP_PROXY, text2(2, NULL, NULL), T_BG_E_INVALID_PROXY_INFO,
                "proxy OVERRIDE without a list");
    set_refused(a, id, JOB_PROP_PROXY, text2(2, "", "<local>"), T_BG_E_INVALID_PROXY_INFO,
                "proxy OVERRIDE with an empty list");
    set_refused(a, id, JOB_PROP_PROXY, text2(0, "p:80", NULL), T_BG_E_INVALID_PROXY_INFO,
                "proxy PRECONFIG with a list");
    set_refused(a, id, JOB_PROP_PROXY, text2(1, NULL, "<local>"), T_BG_E_INVALID_PROXY_INFO,
                "proxy NO_PROXY with a bypass list");
    set_refused(a, id, JOB_PROP_PROXY, text2(3, "p:80", NULL), T_BG_E_INVALID_PROXY_INFO,
                "proxy AUTODETECT with a list");
    set_refused(a, id, JOB_PROP_PROXY, text2(2, list32768, NULL), T_BG_E_PROXY_LIST_TOO_LARGE,
                "proxy list of 32768 units");
    set_refused(a, id, JOB_PROP_PROXY, text2(2, "p:80", list32768), T_BG_E_PROXY_BYPASS_LIST_TOO_LARGE,
                "proxy bypass list of 32768 units");
    free(list32768);

    set_refused(a, id, JOB_PROP_ACL_FLAGS, number(0x10), T_E_INVALIDARG, "ACL flags 0x10");
    set_refused(a, id, JOB_PROP_ACL_FLAGS, number(0x1F), T_E_INVALIDARG, "ACL flags 0x1F");
    set_refused(a, id, JOB_PROP_PEER_CACHING_FLAGS, number(0x8), T_E_INVALIDARG,
                "peer caching flags 0x8");

    char *headers16384 = padded("X-Long: ", 'h', JOB_CUSTOM_HEADERS_MAX + 1);
    set_refused(a, id, JOB_PROP_CUSTOM_HEADERS, text(headers16384), T_BG_E_STRING_TOO_LONG,
                "custom headers of 16384 units (BITS counts the terminator): BG_E_STRING_TOO_LONG");
    free(headers16384);
    static const struct {
        const char *text, *what;
    } bad_headers[] = {
        {"X-A: 1\nX-B: 2", "a bare LF between lines"},
        {"X-A: 1\rX-B: 2", "a bare CR between lines"},
        {"X-A: 1\r", "a bare CR at the end"},
        {"X-A: 1\n", "a bare LF at the end"},
        {"X-A: 1\n\r", "LF CR"},
        {"X-A: va\rlue\r\n", "a CR inside a value"},
        {"no colon here", "a line without ':'"},
        {"X-A: 1\r\nno colon\r\n", "a second line without ':'"},
        {": value", "an empty name"},
        {"Bad Name: x", "a space in the name"},
        {"X-A : x", "a blank before ':'"},
        {" X-A: x", "a line starting with a blank (folding)"},
        {"\tX-A: x", "a line starting with a tab"},
        {"\r\n", "an empty line alone"},
        {"X-A: 1\r\n\r\nX-B: 2", "an empty line between headers (would end the header block)"},
        {"X-A: 1\r\n\r\n", "an empty line at the end"},
        {"X-\xff: 1", "invalid UTF-8"},
    };
    for (size_t i = 0; i < sizeof bad_headers / sizeof *bad_headers; i++) {
        char label[120];
        snprintf(label, sizeof label, "custom headers with %s", bad_headers[i].what);
        set_refused(a, id, JOB_PROP_CUSTOM_HEADERS, text(bad_headers[i].text), T_E_INVALIDARG, label);
    }

    /* Security flags: undefined bits and undefined redirect policies (job_equal does not cover
     * security_flags: checked separately that the value set last is kept). */
    static const uint32_t bad_flags[] = {0x0020, 0x0040, 0x0080, 0x0300, 0x0400, 0x0500,
                                         0x0600, 0x0700, 0x0F1F, 0x1000, 0x8000, 0x80000000u,
                                         0xFFFFFFFFu, 0x0B00};
    for (size_t i = 0; i < sizeof bad_flags / sizeof *bad_flags; i++) {
        char label[80];
        snprintf(label, sizeof label, "security flags 0x%08x", (unsigned)bad_flags[i]);
        set_refused(a, id, JOB_PROP_SECURITY_FLAGS, number(bad_flags[i]), T_E_NOTIMPL, label);
    }
    store_job_t kept = job_snapshot(fx.jobs, alice(), id);
    CHECK(kept.security_flags == 0x0209, "refused security flags leave the last value (0x0209)");
    store_job_clear(&kept);

    set_refused(a, id, (job_property_t)99, number(1), T_E_INVALIDARG, "unknown property 99");
    store_job_t before = job_snapshot(fx.jobs, alice(), id);
    CHECK_HR(jobs_set(fx.jobs, alice(), id, JOB_PROP_PRIORITY, NULL), T_E_INVALIDARG,
             "set with NULL value refused");
    CHECK_HR(jobs_set(fx.jobs, NULL, id, JOB_PROP_PRIORITY, &(job_value_t){.number = 1}),
             T_E_INVALIDARG, "set without a caller refused");
    store_job_t after = job_snapshot(fx.jobs, alice(), id);
    CHECK(job_equal(&before, &after), "NULL value / caller: job unchanged");
    store_job_clear(&before);
    store_job_clear(&after);
}

/* ---- access ------------------------------------------------------------------------------------ */

static void test_access(const store_guid_t *id)
{
    set_refused(bob(), id, JOB_PROP_DISPLAY_NAME, text("bob was here"), T_E_ACCESSDENIED,
                "display name by another user");
    set_refused(bob(), id, JOB_PROP_PRIORITY, number(0), T_E_ACCESSDENIED, "priority by another user");
    set_refused(bob(), id, JOB_PROP_NOTIFY_CMDLINE, text2(0, "C:\\evil.exe", NULL), T_E_ACCESSDENIED,
                "notify command line by another user");
    set_refused(bob(), id, JOB_PROP_PROXY, text2(2, "evil:80", NULL), T_E_ACCESSDENIED,
                "proxy by another user");
    set_refused(bob(), id, JOB_PROP_CUSTOM_HEADERS, text("X-Evil: 1"), T_E_ACCESSDENIED,
                "custom headers by another user");
    set_refused(bob(), id, JOB_PROP_SECURITY_FLAGS, number(0x8), T_E_ACCESSDENIED,
                "security flags by another user");
    store_job_t unchanged = job_snapshot(fx.jobs, alice(), id);
    CHECK(unchanged.security_flags == 0x0209, "security flags unchanged by another user's attempt");
    store_job_clear(&unchanged);

    store_job_t before = job_snapshot(fx.jobs, alice(), id);
    job_value_t v = text("set by an administrator");
    CHECK_HR(jobs_set(fx.jobs, admin(), id, JOB_PROP_DESCRIPTION, &v), HR_OK,
             "administrator may set another user's job");
    store_job_t after = job_snapshot(fx.jobs, alice(), id);
    CHECK(text_equal(after.description, "set by an administrator"), "administrator's change stored");
    CHECK(text_equal(after.owner_sid, alice()->sid), "administrator's change keeps the owner");
    CHECK(after.modification_time >= before.modification_time, "administrator's change: ModificationTime");
    store_job_clear(&before);
    store_job_clear(&after);

    store_guid_t unknown = {{0x01, 0x02, 0x03}};
    v = text("x");
    CHECK_HR(jobs_set(fx.jobs, alice(), &unknown, JOB_PROP_DESCRIPTION, &v), T_DO_E_JOB_NOT_FOUND,
             "set on an unknown job");
}

/* ModificationTime: a failed set leaves it; a later successful one moves it past the earlier. */
static void test_modification_time(void)
{
    store_guid_t id;
    CHECK_HR(jobs_create(fx.jobs, alice(), "timing", 0, &id), HR_OK, "create a job for timing");
    store_job_t created = job_snapshot(fx.jobs, alice(), &id);
    CHECK(created.modification_time == created.creation_time, "new job: ModificationTime = CreationTime");
    sleep_ms(3);
    job_value_t v = {.number = 1};
    CHECK_HR(jobs_set(fx.jobs, alice(), &id, JOB_PROP_PRIORITY, &v), HR_OK, "timing: first set");
    store_job_t first = job_snapshot(fx.jobs, alice(), &id);
    CHECK(first.modification_time > created.creation_time &&
              first.creation_time == created.creation_time,
          "after 3 ms, ModificationTime > CreationTime, CreationTime kept");
    sleep_ms(3);
    v.number = 9;
    CHECK_HR(jobs_set(fx.jobs, alice(), &id, JOB_PROP_PRIORITY, &v), T_E_INVALIDARG, "timing: refused set");
    store_job_t refused = job_snapshot(fx.jobs, alice(), &id);
    CHECK(refused.modification_time == first.modification_time, "refused set keeps ModificationTime");
    v.number = 3;
    CHECK_HR(jobs_set(fx.jobs, alice(), &id, JOB_PROP_PRIORITY, &v), HR_OK, "timing: second set");
    store_job_t second = job_snapshot(fx.jobs, alice(), &id);
    CHECK(second.modification_time > first.modification_time, "3 ms later, ModificationTime increased");
    store_job_clear(&created);
    store_job_clear(&first);
    store_job_clear(&refused);
    store_job_clear(&second);
}

/* ---- durability and shutdown ------------------------------------------------------------------ */

static void test_durable(const store_guid_t *id)
{
    store_job_t before = job_snapshot(fx.jobs, alice(), id);
    CHECK(before.priority == JOB_PRIORITY_HIGH && before.notify_flags == 0x0B &&
              before.min_retry_delay == 60 && before.no_progress_timeout == 3600 &&
              before.max_download_time == 7200 && before.acl_flags == 0x5 &&
              before.peer_caching_flags == 0x3 && before.cost_flags == 0x80000021u &&
              before.proxy_usage == 2 && text_equal(before.proxy_bypass_list, "*.local") &&
              text_equal(before.custom_headers, "X-Kept: yes") &&
              text_equal(before.notify_parameters, "/kept") && before.notify_clsid.bytes[0] == 0xA0 &&
              before.security_flags == 0x0209,
          "every property holds its last value before restart");
    CHECK(fixture_reopen(&fx), "jobs_close + jobs_open");
    store_job_t after = job_snapshot(fx.jobs, alice(), id);
    CHECK(before.display_name && job_equal(&before, &after) && after.security_flags == 0x0209,
          "every property (and ModificationTime, security flags) survives close and reopen");
    store_job_clear(&before);
    store_job_clear(&after);
}

static void test_shutdown(const store_guid_t *id)
{
    char detail[256] = "";
    CHECK_HR(jobs_check_integrity(fx.jobs, detail, sizeof detail), HR_OK,
             "integrity check passes after the refused changes");
    jobs_shutdown(fx.jobs);
    job_value_t v = {.number = 1};
    CHECK_HR(jobs_set(fx.jobs, alice(), id, JOB_PROP_PRIORITY, &v), T_DO_E_NO_SERVICE,
             "set after shutdown: DO_E_NO_SERVICE");
    store_job_t job = {0};
    CHECK_HR(jobs_get(fx.jobs, alice(), id, &job), T_DO_E_NO_SERVICE, "get after shutdown: DO_E_NO_SERVICE");
    store_job_clear(&job);
    store_guid_t other;
    CHECK_HR(jobs_create(fx.jobs, alice(), "late", 0, &other), T_DO_E_NO_SERVICE,
             "create after shutdown: DO_E_NO_SERVICE");
    CHECK(fixture_reopen(&fx), "reopen after shutdown");
    v.number = 0;
    CHECK_HR(jobs_set(fx.jobs, alice(), id, JOB_PROP_PRIORITY, &v), HR_OK, "set works again after reopen");
}

int main(void)
{
    if (!fixture_open(&fx, "test-job-properties")) {
        fixture_finish(&fx);
        return 2;
    }
    store_guid_t id;
    CHECK_HR(jobs_create(fx.jobs, alice(), "properties", 0, &id), HR_OK, "create alice's job");
    sleep_ms(3); /* so that every change's ModificationTime is visibly later than CreationTime */

    test_text_properties(&id);
    test_number_properties(&id);
    test_notify_cmdline(&id);
    test_proxy(&id);
    test_notify_clsid(&id);
    test_security_flags(&id);
    test_invalid_values(&id);
    test_access(&id);
    test_modification_time();
    test_durable(&id);
    test_shutdown(&id);
    return fixture_finish(&fx);
}
