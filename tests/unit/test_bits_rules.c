/* The per-kind rules of the job manager (engine/jobs/job_rules.c, docs/bits.md): jobs made
 * through the BITS classes (STORE_KIND_BITS) next to the DO class's jobs in one store. Each API
 * sees only its own jobs (GetJob "not found", EnumJobs without them; the admin reports see all);
 * BITS jobs meet the BITS policy limits (administrators and service accounts exempt) and their
 * own counts, get BITS's defaults, and expire after JobInactivityTimeout without a change, while
 * DO jobs keep their 30-day age rule. */
#include "jobs_fixture.h"

#include "admin.h"
#include "settings.h"

static fixture_t fx;

static const caller_t *service_account(void)
{
    static caller_t c;
    c = make_caller("S-1-5-20", 0); /* NetworkService, not in Administrators */
    return &c;
}

static store_guid_t new_kind_job(const caller_t *caller, int32_t kind, const char *name)
{
    store_guid_t id = {{0}};
    char what[200];
    snprintf(what, sizeof what, "create %s job \"%s\"", kind == STORE_KIND_BITS ? "a BITS" : "a DO", name);
    CHECK_HR(jobs_create_kind(fx.jobs, caller, kind, name, JOB_TYPE_DOWNLOAD, &id), HR_OK, what);
    return id;
}

static int listed(int32_t kind, const caller_t *caller, uint32_t flags, const store_guid_t *id)
{
    store_guid_t *ids = NULL;
    size_t count = 0;
    int found = jobs_list_kind(fx.jobs, caller, kind, flags, &ids, &count) == HR_OK &&
                contains_id(ids, count, id);
    free(ids);
    return found;
}

/* ---- visibility ------------------------------------------------------------------------------ */

static void test_visibility(void)
{
    store_guid_t do_job = new_kind_job(alice(), STORE_KIND_JOB, "DO job");
    store_guid_t bits_job = new_kind_job(alice(), STORE_KIND_BITS, "BITS job");
    store_guid_t bob_bits = new_kind_job(bob(), STORE_KIND_BITS, "bob's BITS job");

    store_job_t row = job_snapshot(fx.jobs, alice(), &bits_job);
    CHECK(row.kind == STORE_KIND_BITS, "a job made through a BITS class is stored as kind 2");
    store_job_clear(&row);
    row = job_snapshot(fx.jobs, alice(), &do_job);
    CHECK(row.kind == STORE_KIND_JOB, "a job made through the DO class is stored as kind 0");
    store_job_clear(&row);

    CHECK_HR(jobs_lookup_kind(fx.jobs, alice(), STORE_KIND_BITS, &bits_job), HR_OK,
             "BITS GetJob finds the BITS job");
    CHECK_HR(jobs_lookup_kind(fx.jobs, alice(), STORE_KIND_BITS, &do_job), T_DO_E_JOB_NOT_FOUND,
             "BITS GetJob of a DO job: not found");
    CHECK_HR(jobs_lookup(fx.jobs, alice(), &bits_job), T_DO_E_JOB_NOT_FOUND,
             "DO GetJob of a BITS job: not found");
    CHECK_HR(jobs_lookup(fx.jobs, alice(), &do_job), HR_OK, "DO GetJob finds the DO job");
    CHECK_HR(jobs_lookup_kind(fx.jobs, alice(), STORE_KIND_BITS, &bob_bits), T_E_ACCESSDENIED,
             "BITS GetJob of another user's BITS job: E_ACCESSDENIED");
    CHECK_HR(jobs_lookup(fx.jobs, bob(), &bits_job), T_DO_E_JOB_NOT_FOUND,
             "DO GetJob of another user's BITS job: not found (no hint that it exists)");
    store_guid_t bob_done = new_kind_job(bob(), STORE_KIND_BITS, "bob's cancelled BITS job");
    CHECK_HR(jobs_cancel(fx.jobs, bob(), &bob_done), HR_OK, "bob cancels his second BITS job");
    CHECK_HR(jobs_lookup_kind(fx.jobs, alice(), STORE_KIND_BITS, &bob_done), T_E_ACCESSDENIED,
             "BITS GetJob of another user's job cancelled during this run: E_ACCESSDENIED");
    CHECK_HR(jobs_lookup_kind(fx.jobs, bob(), STORE_KIND_BITS, &bob_done), T_DO_E_JOB_NOT_FOUND,
             "BITS GetJob of one's own job cancelled during this run: not found (it left the queue)");
    CHECK_HR(jobs_lookup_kind(fx.jobs, alice(), STORE_KIND_DOWNLOAD, &do_job), T_E_INVALIDARG,
             "lookups are for the job kinds of the two classes only");

    CHECK(listed(STORE_KIND_BITS, alice(), 0, &bits_job) && !listed(STORE_KIND_BITS, alice(), 0, &do_job),
          "BITS EnumJobs lists the BITS job, not the DO job");
    CHECK(listed(STORE_KIND_JOB, alice(), 0, &do_job) && !listed(STORE_KIND_JOB, alice(), 0, &bits_job),
          "DO EnumJobs lists the DO job, not the BITS job");
    CHECK(listed(STORE_KIND_BITS, admin(), JOB_ENUM_ALL_USERS, &bob_bits) &&
              !listed(STORE_KIND_BITS, admin(), JOB_ENUM_ALL_USERS, &do_job),
          "BITS EnumJobs(ALL_USERS) by an administrator: every user's BITS jobs, no DO job");
    store_guid_t *ids = NULL;
    size_t count = 0;
    CHECK_HR(jobs_list_kind(fx.jobs, alice(), STORE_KIND_BITS, JOB_ENUM_ALL_USERS, &ids, &count),
             T_E_ACCESSDENIED, "BITS EnumJobs(ALL_USERS) by a user: E_ACCESSDENIED");
    free(ids);
    CHECK_HR(jobs_list_with_downloads(fx.jobs, admin(), JOB_ENUM_ALL_USERS, &ids, &count), HR_OK,
             "the admin list");
    CHECK(contains_id(ids, count, &do_job) && contains_id(ids, count, &bits_job) &&
              contains_id(ids, count, &bob_bits),
          "the admin reports see the jobs of both classes");
    free(ids);

    CHECK(fixture_reopen(&fx), "restart");
    CHECK_HR(jobs_lookup_kind(fx.jobs, alice(), STORE_KIND_BITS, &bits_job), HR_OK,
             "after a restart: still a BITS job, found by BITS GetJob");
    CHECK_HR(jobs_lookup(fx.jobs, alice(), &bits_job), T_DO_E_JOB_NOT_FOUND,
             "after a restart: still invisible to DO GetJob");
    CHECK_HR(jobs_cancel(fx.jobs, alice(), &bits_job), HR_OK, "cancel the BITS job");
    CHECK_HR(jobs_lookup_kind(fx.jobs, alice(), STORE_KIND_BITS, &bits_job), T_DO_E_JOB_NOT_FOUND,
             "a cancelled BITS job: not found");
    CHECK_HR(jobs_cancel(fx.jobs, alice(), &do_job), HR_OK, "cancel the DO job");
    CHECK_HR(jobs_cancel(fx.jobs, bob(), &bob_bits), HR_OK, "cancel bob's BITS job");
}

/* ---- defaults ---------------------------------------------------------------------------------- */

static void test_defaults(void)
{
    store_guid_t bits_job = new_kind_job(alice(), STORE_KIND_BITS, "BITS defaults");
    store_guid_t do_job = new_kind_job(alice(), STORE_KIND_JOB, "DO defaults");
    store_job_t bits = job_snapshot(fx.jobs, alice(), &bits_job);
    store_job_t dojob = job_snapshot(fx.jobs, alice(), &do_job);
    CHECK(bits.no_progress_timeout == 1209600 && bits.min_retry_delay == 600,
          "a BITS job: NoProgressTimeout 14 days, MinimumRetryDelay 600 s (bits.md 4.4)");
    CHECK(dojob.no_progress_timeout == 86400 && dojob.min_retry_delay == 600,
          "a DO job keeps DO's defaults: a day, 600 s");
    store_job_clear(&bits);
    store_job_clear(&dojob);
    job_value_t foreground = {.number = JOB_PRIORITY_FOREGROUND};
    CHECK_HR(jobs_set(fx.jobs, alice(), &bits_job, JOB_PROP_PRIORITY, &foreground), HR_OK,
             "BITS job to FOREGROUND");
    CHECK_HR(jobs_set(fx.jobs, alice(), &do_job, JOB_PROP_PRIORITY, &foreground), HR_OK,
             "DO job to FOREGROUND");
    bits = job_snapshot(fx.jobs, alice(), &bits_job);
    dojob = job_snapshot(fx.jobs, alice(), &do_job);
    CHECK(bits.no_progress_timeout == 1209600, "a foreground BITS job keeps 14 days");
    CHECK(dojob.no_progress_timeout == 3600, "a foreground DO job gets DO's hour");
    store_job_clear(&bits);
    store_job_clear(&dojob);
    CHECK_HR(jobs_create_kind(fx.jobs, alice(), STORE_KIND_BITS, "upload", JOB_TYPE_UPLOAD, &bits_job),
             T_E_NOTIMPL, "CreateJob of an upload job through a BITS class: E_NOTIMPL");
    CHECK_HR(jobs_create_kind(fx.jobs, alice(), STORE_KIND_BITS, "reply", JOB_TYPE_UPLOAD_REPLY, &bits_job),
             T_E_NOTIMPL, "... and of an upload-reply job");
    CHECK_HR(jobs_create_kind(fx.jobs, alice(), STORE_KIND_DOWNLOAD, "x", JOB_TYPE_DOWNLOAD, &bits_job),
             T_E_INVALIDARG, "CreateJob makes jobs of the two classes' kinds only");
}

/* ---- limits ------------------------------------------------------------------------------------ */

static void test_limits(void)
{
    const caller_t *carol = &(caller_t){"S-1-5-21-1-1-1-1003", 0};
    jobs_limits_t bits_limits = {2, 1000, 2, 3};
    jobs_set_kind_limits(fx.jobs, JOBS_LIMITS_BITS, &bits_limits);
    jobs_limits_t do_limits = {1, 1000, 1000, 1000};
    jobs_set_limits(fx.jobs, &do_limits);

    store_guid_t b1 = new_kind_job(carol, STORE_KIND_BITS, "carol 1");
    store_guid_t b2 = new_kind_job(carol, STORE_KIND_BITS, "carol 2"), b3;
    CHECK_HR(jobs_create_kind(fx.jobs, carol, STORE_KIND_BITS, "carol 3", JOB_TYPE_DOWNLOAD, &b3),
             T_BG_E_TOO_MANY_JOBS_PER_USER, "third BITS job of a user over MaxJobsPerUser 2: "
             "BG_E_TOO_MANY_JOBS_PER_USER");
    store_guid_t d1 = new_kind_job(carol, STORE_KIND_JOB, "carol's first (her BITS jobs do not count "
                                                          "against the DO limit of 1)"), d2;
    CHECK_HR(jobs_create_kind(fx.jobs, carol, STORE_KIND_JOB, "DO 2", JOB_TYPE_DOWNLOAD, &d2),
             T_BG_E_TOO_MANY_JOBS_PER_USER, "and the DO limit still applies to DO jobs");
    store_guid_t a1 = new_kind_job(admin(), STORE_KIND_BITS, "admin 1");
    store_guid_t a2 = new_kind_job(admin(), STORE_KIND_BITS, "admin 2");
    store_guid_t a3 = new_kind_job(admin(), STORE_KIND_BITS, "admin 3 (administrators are exempt "
                                                             "from the BITS limits)");
    store_guid_t s1 = new_kind_job(service_account(), STORE_KIND_BITS, "service 1");
    store_guid_t s2 = new_kind_job(service_account(), STORE_KIND_BITS, "service 2");
    store_guid_t s3 = new_kind_job(service_account(), STORE_KIND_BITS, "service 3 (NetworkService "
                                                                       "is exempt too)");

    job_file_spec_t files[3] = {file_spec("http://example.com/1", "C:\\dl\\1"),
                                file_spec("http://example.com/2", "C:\\dl\\2"),
                                file_spec("http://example.com/3", "C:\\dl\\3")};
    CHECK_HR(jobs_add_files(fx.jobs, carol, &b1, files, 3, NULL), T_BG_E_TOO_MANY_FILES_IN_JOB,
             "three files in a BITS job over MaxFilesPerJob 2: BG_E_TOO_MANY_FILES_IN_JOB");
    CHECK(file_count_of(fx.jobs, carol, &b1) == 0, "... and none was added");
    CHECK_HR(jobs_add_files(fx.jobs, carol, &d1, files, 3, NULL), HR_OK,
             "the same three files in her DO job: the DO limit (1000) applies");
    CHECK_HR(jobs_add_files(fx.jobs, admin(), &a1, files, 3, NULL), HR_OK,
             "an administrator's BITS job takes the three files");
    store_range_t ranges[4] = {{0, 10}, {20, 10}, {40, 10}, {60, 10}};
    job_file_spec_t ranged = {"http://example.com/r", "C:\\dl\\r", NULL, JOB_SIZE_UNKNOWN, ranges, 4};
    CHECK_HR(jobs_add_files(fx.jobs, carol, &b2, &ranged, 1, NULL), T_BG_E_TOO_MANY_RANGES_IN_FILE,
             "four ranges over MaxRangesPerFile 3: BG_E_TOO_MANY_RANGES_IN_FILE");
    ranged.range_count = 3;
    CHECK_HR(jobs_add_files(fx.jobs, carol, &b2, &ranged, 1, NULL), HR_OK, "three ranges: accepted");

    CHECK_HR(jobs_cancel(fx.jobs, carol, &b2), HR_OK, "cancel one of her BITS jobs");
    CHECK_HR(jobs_create_kind(fx.jobs, carol, STORE_KIND_BITS, "carol 3", JOB_TYPE_DOWNLOAD, &b3), HR_OK,
             "then a new BITS job fits again");

    bits_limits.max_jobs_per_machine = 0;
    jobs_set_kind_limits(fx.jobs, JOBS_LIMITS_BITS, &bits_limits);
    store_guid_t b4;
    CHECK_HR(jobs_create_kind(fx.jobs, bob(), STORE_KIND_BITS, "bob", JOB_TYPE_DOWNLOAD, &b4),
             T_BG_E_TOO_MANY_JOBS_PER_MACHINE, "MaxJobsPerMachine 0: BG_E_TOO_MANY_JOBS_PER_MACHINE");
    CHECK(fixture_reopen(&fx), "restart (counts are taken from the store again)");
    CHECK_HR(jobs_create_kind(fx.jobs, carol, STORE_KIND_BITS, "after restart", JOB_TYPE_DOWNLOAD, &b4),
             HR_OK, "after a restart the defaults are back (60 per user)");
    const store_guid_t *all[] = {&b1, &b3, &b4, &d1, &a1, &a2, &a3, &s1, &s2, &s3};
    int cancelled = 1;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        cancelled &= jobs_cancel(fx.jobs, admin(), all[i]) == HR_OK;
    CHECK(cancelled, "cancel them all");
}

/* ---- expiry ------------------------------------------------------------------------------------ */

/* Sets a job's creation and modification times directly in the store. */
static int age_job(store_t *store, const store_guid_t *id, int64_t created, int64_t changed)
{
    store_job_t job = {0};
    int ok = store_job_get(store, id, &job) == STORE_OK;
    job.creation_time = created;
    job.modification_time = changed;
    ok = ok && store_job_update(store, &job) == STORE_OK;
    store_job_clear(&job);
    return ok;
}

static int log_count(const char *needle)
{
    FILE *log = fopen(fx.log, "r");
    char line[1024];
    int count = 0;
    while (log && fgets(line, sizeof line, log))
        count += strstr(line, needle) != NULL;
    if (log)
        fclose(log);
    return count;
}

static void test_inactivity_expiry(void)
{
    store_guid_t idle = new_kind_job(alice(), STORE_KIND_BITS, "idle 91 days");
    store_guid_t busy = new_kind_job(alice(), STORE_KIND_BITS, "old but changed yesterday");
    store_guid_t touched = new_kind_job(alice(), STORE_KIND_BITS, "idle, then a property set");
    store_guid_t do_old = new_kind_job(alice(), STORE_KIND_JOB, "DO job 31 days old, changed today");
    CHECK_HR(add_one_file(fx.jobs, alice(), &idle, "http://example.com/i", "C:\\dl\\i"), HR_OK,
             "a file in the idle BITS job");

    store_t *store = fixture_open_store(&fx);
    int64_t now = store_now_filetime(), day = FILETIME_PER_DAY;
    CHECK(store && age_job(store, &idle, now - 200 * day, now - 91 * day) &&
              age_job(store, &busy, now - 200 * day, now - 1 * day) &&
              age_job(store, &touched, now - 200 * day, now - 120 * day) &&
              age_job(store, &do_old, now - 31 * day, now),
          "age the jobs in the store");
    CHECK(fixture_close_store(&fx, store), "reopen the job manager");

    job_value_t description = {.text = "still wanted"};
    CHECK_HR(jobs_set(fx.jobs, alice(), &touched, JOB_PROP_DESCRIPTION, &description), HR_OK,
             "a property change on the job idle for 120 days");
    size_t expired = 99;
    CHECK_HR(jobs_expire_kind(fx.jobs, STORE_KIND_BITS, 90 * day, &expired), HR_OK,
             "BITS expiry with JobInactivityTimeout 90 days");
    CHECK(expired == 1, "one BITS job expired");
    CHECK_HR(jobs_lookup_kind(fx.jobs, alice(), STORE_KIND_BITS, &idle), T_DO_E_JOB_NOT_FOUND,
             "the job unchanged for 91 days is gone");
    CHECK(job_state_of(fx.jobs, alice(), &idle) == JOB_STATE_CANCELLED, "it was cancelled");
    CHECK_HR(jobs_lookup_kind(fx.jobs, alice(), STORE_KIND_BITS, &busy), HR_OK,
             "a job created 200 days ago but changed yesterday stays (inactivity, not age)");
    CHECK_HR(jobs_lookup_kind(fx.jobs, alice(), STORE_KIND_BITS, &touched), HR_OK,
             "a property change reset the inactivity timer");
    CHECK_HR(jobs_lookup(fx.jobs, alice(), &do_old), HR_OK, "the BITS expiry leaves DO jobs alone");
    CHECK(log_count("BITS job unchanged for more than 90 days (JobInactivityTimeout, as "
                    "BITS_MC_JOB_SCAVENGED)") == 1,
          "the expiry is logged as BITS's scavenging");

    CHECK_HR(jobs_expire_kind(fx.jobs, STORE_KIND_BITS, 1 * day, &expired), HR_OK,
             "BITS expiry with JobInactivityTimeout 1 day");
    CHECK(expired == 1, "the job changed yesterday goes with a 1-day timeout");
    CHECK_HR(jobs_expire(fx.jobs, JOB_MAX_AGE_DAYS * day, &expired), HR_OK, "DO's 30-day expiry");
    CHECK(expired == 1, "the DO job created 31 days ago goes although it changed today (age rule)");
    CHECK_HR(jobs_lookup_kind(fx.jobs, alice(), STORE_KIND_BITS, &touched), HR_OK,
             "the DO rule leaves BITS jobs alone");
    CHECK_HR(jobs_expire_kind(fx.jobs, STORE_KIND_BITS, -1, &expired), T_E_INVALIDARG,
             "a negative age is refused");
    CHECK_HR(jobs_cancel(fx.jobs, alice(), &touched), HR_OK, "cancel the last one");
}

/* ---- the admin reports ---------------------------------------------------------------------- */

/* /status of one job: the ExpireOn line's value, or "" (report freed). */
static void expire_on(const admin_sources_t *src, const store_guid_t *id, char *out, size_t size)
{
    char *report = NULL;
    out[0] = '\0';
    if (admin_status(src, admin(), id, &report) == HR_OK && report) {
        const char *line = strstr(report, "ExpireOn");
        const char *value = line ? strstr(line, ": ") : NULL;
        if (value)
            snprintf(out, size, "%.*s", (int)strcspn(value + 2, "\n"), value + 2);
    }
    free(report);
}

/* A FILETIME as the reports print it ("YYYY-MM-DD hh:mm:ss UTC"). */
static void utc_text(int64_t filetime, char *out, size_t size)
{
    time_t seconds = (time_t)(filetime / 10000000 - INT64_C(11644473600));
    struct tm tm;
    gmtime_r(&seconds, &tm);
    strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void test_admin_expiry(void)
{
    settings_t settings;
    settings_init(&settings);
    CHECK(settings_offer(&settings, SETTING_BITS_JOB_INACTIVITY_TIMEOUT, 7, "Registry test") == 0 &&
              settings_offer(&settings, SETTING_BITS_JOB_INACTIVITY_TIMEOUT, 1000, "Registry test") != 0 &&
              settings_get(&settings, SETTING_BITS_JOB_INACTIVITY_TIMEOUT) == 7,
          "JobInactivityTimeout: 7 days taken, 1000 refused (1..999)");
    admin_sources_t src = {fx.jobs, &settings, fx.db, fx.log, NULL, NULL};
    store_guid_t bits_id = new_kind_job(alice(), STORE_KIND_BITS, "BITS /status");
    store_guid_t do_id = new_kind_job(alice(), STORE_KIND_JOB, "DO /status");
    CHECK_HR(add_one_file(fx.jobs, alice(), &bits_id, "http://example.com/s", "C:\\dl\\s"), HR_OK, "a file");
    CHECK_HR(add_one_file(fx.jobs, alice(), &do_id, "http://example.com/t", "C:\\dl\\t"), HR_OK, "a file");
    store_job_t bits = job_snapshot(fx.jobs, alice(), &bits_id), dojob = job_snapshot(fx.jobs, alice(), &do_id);
    char want_bits[64], want_do[64], got[64];
    utc_text(bits.modification_time + 7 * FILETIME_PER_DAY, want_bits, sizeof want_bits);
    utc_text(dojob.creation_time + JOB_MAX_AGE_DAYS * FILETIME_PER_DAY, want_do, sizeof want_do);
    expire_on(&src, &bits_id, got, sizeof got);
    CHECK(!strcmp(got, want_bits), "doadmin /status: a BITS job expires 7 days (the policy) after its last change");
    expire_on(&src, &do_id, got, sizeof got);
    CHECK(!strcmp(got, want_do), "doadmin /status: a DO job expires 30 days after its creation");
    store_job_clear(&bits);
    store_job_clear(&dojob);
    CHECK_HR(jobs_cancel(fx.jobs, alice(), &bits_id), HR_OK, "cancel the BITS job");
    CHECK_HR(jobs_cancel(fx.jobs, alice(), &do_id), HR_OK, "cancel the DO job");
}

int main(void)
{
    if (!fixture_open(&fx, "bits-rules"))
        return 1;
    test_visibility();
    test_defaults();
    test_limits();
    test_inactivity_expiry();
    test_admin_expiry();
    return fixture_finish(&fx);
}
