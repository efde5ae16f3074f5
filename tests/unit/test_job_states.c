/* Native unit tests of the job state machine (do-api.md §8): Suspend, Resume, Cancel, Complete,
 * calls on final jobs, TakeOwnership, credentials, the 30-day expiry and the job/file/range
 * limits. */
#include "jobs_fixture.h"

static fixture_t fx;

static const caller_t *carol(void)
{
    static caller_t c;
    c = make_caller("S-1-5-21-1-1-1-1003", 0);
    return &c;
}

static const caller_t *dave(void)
{
    static caller_t c;
    c = make_caller("S-1-5-21-1-1-1-1004", 0);
    return &c;
}

static store_guid_t new_job(const caller_t *caller, const char *name)
{
    store_guid_t id = {{0}};
    char label[160];
    snprintf(label, sizeof label, "create \"%s\"", name);
    CHECK_HR(jobs_create(fx.jobs, caller, name, 0, &id), HR_OK, label);
    return id;
}

/* Number of credentials the store holds for a job: closes and reopens the job manager. */
static size_t stored_credentials(const store_guid_t *id)
{
    size_t count = SIZE_MAX;
    store_t *store = fixture_open_store(&fx);
    if (store && store_credential_count(store, id, &count) != STORE_OK)
        count = SIZE_MAX;
    CHECK(fixture_close_store(&fx, store), "store-level look at credentials, then reopen");
    return count;
}

/* ---- suspend / resume ------------------------------------------------------------------------- */

static void test_resume_suspend(void)
{
    store_guid_t id = new_job(alice(), "resume me");
    CHECK(job_state_of(fx.jobs, alice(), &id) == JOB_STATE_SUSPENDED, "new job is SUSPENDED");

    store_job_t before = job_snapshot(fx.jobs, alice(), &id);
    CHECK_HR(jobs_resume(fx.jobs, alice(), &id), T_DO_E_JOB_EMPTY, "resume without files: DO_E_JOB_EMPTY");
    store_job_t after = job_snapshot(fx.jobs, alice(), &id);
    CHECK(after.state == JOB_STATE_SUSPENDED, "refused resume: still SUSPENDED");
    CHECK(job_equal(&before, &after), "refused resume: job row unchanged");
    store_job_clear(&before);
    store_job_clear(&after);

    CHECK_HR(add_one_file(fx.jobs, alice(), &id, "http://example.com/a", "C:\\dl\\a"), HR_OK,
             "add a file");
    CHECK(job_state_of(fx.jobs, alice(), &id) == JOB_STATE_SUSPENDED, "adding a file keeps SUSPENDED");
    CHECK_HR(jobs_resume(fx.jobs, bob(), &id), T_E_ACCESSDENIED, "resume by another user denied");
    CHECK(job_state_of(fx.jobs, alice(), &id) == JOB_STATE_SUSPENDED, "denied resume: still SUSPENDED");
    CHECK_HR(jobs_resume(fx.jobs, alice(), &id), HR_OK, "resume with a file");
    CHECK(job_state_of(fx.jobs, alice(), &id) == JOB_STATE_QUEUED, "resumed job is QUEUED");
    CHECK_HR(jobs_resume(fx.jobs, alice(), &id), HR_OK, "resume a QUEUED job: S_OK");
    CHECK(job_state_of(fx.jobs, alice(), &id) == JOB_STATE_QUEUED, "resumed again: still QUEUED");
    CHECK_HR(add_one_file(fx.jobs, alice(), &id, "http://example.com/b", "C:\\dl\\b"), HR_OK,
             "add a file to a QUEUED job");
    CHECK(job_state_of(fx.jobs, alice(), &id) == JOB_STATE_QUEUED && file_count_of(fx.jobs, alice(), &id) == 2,
          "adding a file keeps QUEUED");
    CHECK_HR(jobs_suspend(fx.jobs, bob(), &id), T_E_ACCESSDENIED, "suspend by another user denied");
    CHECK(job_state_of(fx.jobs, alice(), &id) == JOB_STATE_QUEUED, "denied suspend: still QUEUED");
    CHECK_HR(jobs_suspend(fx.jobs, alice(), &id), HR_OK, "suspend");
    CHECK(job_state_of(fx.jobs, alice(), &id) == JOB_STATE_SUSPENDED, "suspended job is SUSPENDED");
    CHECK_HR(jobs_suspend(fx.jobs, alice(), &id), HR_OK, "suspend a SUSPENDED job: S_OK");
    CHECK(job_state_of(fx.jobs, alice(), &id) == JOB_STATE_SUSPENDED, "suspended again: SUSPENDED");
    CHECK_HR(jobs_resume(fx.jobs, admin(), &id), HR_OK, "administrator may resume another's job");
    CHECK(job_state_of(fx.jobs, alice(), &id) == JOB_STATE_QUEUED, "administrator's resume: QUEUED");
    CHECK(fixture_reopen(&fx), "reopen");
    CHECK(job_state_of(fx.jobs, alice(), &id) == JOB_STATE_QUEUED, "QUEUED survives a restart");

    store_guid_t unknown = {{0x42}};
    CHECK_HR(jobs_resume(fx.jobs, alice(), &unknown), T_DO_E_JOB_NOT_FOUND, "resume an unknown job");
    CHECK_HR(jobs_suspend(fx.jobs, alice(), &unknown), T_DO_E_JOB_NOT_FOUND, "suspend an unknown job");
    int32_t state = 77;
    CHECK_HR(jobs_state(fx.jobs, alice(), &unknown, &state), T_DO_E_JOB_NOT_FOUND, "state of an unknown job");
}

static void test_sink_unspecified(void)
{
    store_guid_t id = new_job(alice(), "DO job without sink");
    job_file_spec_t files[2] = {
        {"http://example.com/one", "C:\\dl\\one", "file-one", JOB_SIZE_UNKNOWN, NULL, 0},
        {"http://example.com/two", NULL, "file-two", 1000, NULL, 0},
    };
    CHECK_HR(jobs_add_files(fx.jobs, alice(), &id, files, 2, NULL), HR_OK,
             "add a file with a local name and a DO file without one");
    CHECK_HR(jobs_resume(fx.jobs, alice(), &id), T_DO_E_DOWNLOADSINK_UNSPECIFIED,
             "resume with a file without local name: DO_E_FILE_DOWNLOADSINK_UNSPECIFIED");
    CHECK(job_state_of(fx.jobs, alice(), &id) == JOB_STATE_SUSPENDED, "refused resume: still SUSPENDED");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), &id, 1, 4, "C:\\dl\\two"), HR_OK,
             "set the sink path of the second file");
    CHECK_HR(jobs_resume(fx.jobs, alice(), &id), HR_OK, "resume once every file has a sink");
    CHECK(job_state_of(fx.jobs, alice(), &id) == JOB_STATE_QUEUED, "job with sinks is QUEUED");
}

/* A job left in ERROR (only the transfer engine can put it there: written through the store). */
static void test_resume_from_error(const store_guid_t *id)
{
    store_job_t job = job_snapshot(fx.jobs, alice(), id);
    CHECK(job.state == JOB_STATE_ERROR && job.error_code == 0x80190194u && job.error_file_index == 0,
          "job is in ERROR with its error");
    store_job_clear(&job);
    CHECK_HR(jobs_resume(fx.jobs, alice(), id), HR_OK, "resume a job in ERROR");
    job = job_snapshot(fx.jobs, alice(), id);
    CHECK(job.state == JOB_STATE_QUEUED && job.error_code == 0 && job.error_context == 0 &&
              job.error_file_index == -1,
          "resumed from ERROR: QUEUED, error cleared");
    store_job_clear(&job);
}

/* ---- final states -------------------------------------------------------------------------- */

/* Every call through a job object on a final job: DO_E_INVALID_STATE, except jobs_state. */
static void check_final(const store_guid_t *id, int32_t final_state, const char *what)
{
    char label[200];
#define FINAL_HR(call, want, name)                                                              \
    do {                                                                                        \
        snprintf(label, sizeof label, "%s job: %s", what, name);                                \
        CHECK_HR(call, want, label);                                                            \
    } while (0)
    FINAL_HR(jobs_lookup(fx.jobs, alice(), id), T_DO_E_JOB_NOT_FOUND, "lookup gives DO_E_JOB_NOT_FOUND");
    FINAL_HR(jobs_lookup(fx.jobs, admin(), id), T_DO_E_JOB_NOT_FOUND, "admin lookup gives NOT_FOUND");
    store_job_t job = {0};
    FINAL_HR(jobs_get(fx.jobs, alice(), id, &job), T_DO_E_INVALID_STATE, "get");
    store_job_clear(&job);
    job_value_t v = {.number = 1};
    FINAL_HR(jobs_set(fx.jobs, alice(), id, JOB_PROP_PRIORITY, &v), T_DO_E_INVALID_STATE, "set");
    FINAL_HR(jobs_resume(fx.jobs, alice(), id), T_DO_E_INVALID_STATE, "resume");
    FINAL_HR(jobs_suspend(fx.jobs, alice(), id), T_DO_E_INVALID_STATE, "suspend");
    FINAL_HR(jobs_cancel(fx.jobs, alice(), id), T_DO_E_INVALID_STATE, "cancel");
    FINAL_HR(jobs_complete(fx.jobs, alice(), id), T_DO_E_INVALID_STATE, "complete");
    FINAL_HR(add_one_file(fx.jobs, alice(), id, "http://example.com/late", "C:\\dl\\late"),
             T_DO_E_INVALID_STATE, "add files");
    FINAL_HR(jobs_take_ownership(fx.jobs, admin(), id), T_DO_E_INVALID_STATE, "take ownership");
    FINAL_HR(jobs_set_credentials(fx.jobs, alice(), id, 1, 1, "u", "s", 1), T_DO_E_INVALID_STATE,
             "set credentials");
    FINAL_HR(jobs_remove_credentials(fx.jobs, alice(), id, 1, 1), T_DO_E_INVALID_STATE,
             "remove credentials");
    job_progress_t progress;
    FINAL_HR(jobs_progress(fx.jobs, alice(), id, &progress), T_DO_E_INVALID_STATE, "progress");
    uint32_t count;
    FINAL_HR(jobs_file_count(fx.jobs, alice(), id, &count), T_DO_E_INVALID_STATE, "file count");
    store_file_t file = {0};
    FINAL_HR(jobs_get_file(fx.jobs, alice(), id, 0, &file), T_DO_E_INVALID_STATE, "get file");
    store_file_clear(&file);
    FINAL_HR(jobs_set_remote_name(fx.jobs, alice(), id, 0, "http://example.com/b"),
             T_DO_E_INVALID_STATE, "set remote name");
    FINAL_HR(jobs_set_file_property(fx.jobs, alice(), id, 0, 2, "1"), T_DO_E_INVALID_STATE,
             "set file property");
    char *value = NULL;
    FINAL_HR(jobs_get_file_property(fx.jobs, alice(), id, 0, 2, &value), T_DO_E_INVALID_STATE,
             "get file property");
    free(value);
    int32_t state = -1;
    FINAL_HR(jobs_state(fx.jobs, alice(), id, &state), HR_OK, "state is readable");
    snprintf(label, sizeof label, "%s job: state is %s", what,
             final_state == JOB_STATE_CANCELLED ? "CANCELLED" : "ACKNOWLEDGED");
    CHECK(state == final_state, label);
    FINAL_HR(jobs_state(fx.jobs, bob(), id, &state), T_E_ACCESSDENIED,
             "another user may not read the final state");
    FINAL_HR(jobs_resume(fx.jobs, bob(), id), T_E_ACCESSDENIED, "another user may not call it");

    store_guid_t *ids = NULL;
    size_t n = 0;
    FINAL_HR(jobs_list(fx.jobs, alice(), 0, &ids, &n), HR_OK, "list succeeds");
    snprintf(label, sizeof label, "%s job: not listed", what);
    CHECK(!contains_id(ids, n, id), label);
    free(ids);
    FINAL_HR(jobs_list(fx.jobs, admin(), JOB_ENUM_ALL_USERS, &ids, &n), HR_OK, "list all succeeds");
    snprintf(label, sizeof label, "%s job: not listed for all users", what);
    CHECK(!contains_id(ids, n, id), label);
    free(ids);
#undef FINAL_HR
}

static void test_cancel_complete(void)
{
    store_guid_t cancelled = new_job(alice(), "to cancel");
    store_guid_t completed = new_job(alice(), "to complete");
    store_guid_t kept = new_job(alice(), "kept");
    store_guid_t bobs = new_job(bob(), "bob's, completed by admin");
    CHECK_HR(add_one_file(fx.jobs, alice(), &cancelled, "http://example.com/c", "C:\\dl\\c"), HR_OK,
             "add a file to the job to cancel");
    CHECK_HR(add_one_file(fx.jobs, alice(), &completed, "http://example.com/d", "C:\\dl\\d"), HR_OK,
             "add a file to the job to complete");
    CHECK_HR(add_one_file(fx.jobs, alice(), &kept, "http://example.com/k", "C:\\dl\\k"), HR_OK,
             "add a file to the kept job");
    CHECK_HR(jobs_resume(fx.jobs, alice(), &cancelled), HR_OK, "resume the job to cancel");
    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), &cancelled, 1, 1, "u", "pw", 2), HR_OK,
             "credentials on the job to cancel");
    int32_t state = -1;
    CHECK_HR(jobs_state(fx.jobs, bob(), &cancelled, &state), T_E_ACCESSDENIED,
             "state of another user's job denied");
    store_job_t kept_before = job_snapshot(fx.jobs, alice(), &kept);

    CHECK_HR(jobs_cancel(fx.jobs, bob(), &cancelled), T_E_ACCESSDENIED, "cancel by another user denied");
    CHECK(job_state_of(fx.jobs, alice(), &cancelled) == JOB_STATE_QUEUED, "denied cancel: job QUEUED");
    CHECK_HR(jobs_complete(fx.jobs, bob(), &completed), T_E_ACCESSDENIED, "complete by another user denied");
    CHECK(job_state_of(fx.jobs, alice(), &completed) == JOB_STATE_SUSPENDED, "denied complete: job kept");

    CHECK_HR(jobs_cancel(fx.jobs, alice(), &cancelled), HR_OK, "cancel a QUEUED job");
    check_final(&cancelled, JOB_STATE_CANCELLED, "cancelled");
    CHECK_HR(jobs_complete(fx.jobs, alice(), &completed), HR_OK, "complete a SUSPENDED job");
    check_final(&completed, JOB_STATE_ACKNOWLEDGED, "completed");
    CHECK_HR(jobs_complete(fx.jobs, admin(), &bobs), HR_OK, "administrator completes bob's job");
    CHECK(job_state_of(fx.jobs, bob(), &bobs) == JOB_STATE_ACKNOWLEDGED, "bob's job ACKNOWLEDGED");
    CHECK_HR(jobs_lookup(fx.jobs, bob(), &bobs), T_DO_E_JOB_NOT_FOUND, "bob's completed job is gone");

    store_job_t kept_after = job_snapshot(fx.jobs, alice(), &kept);
    CHECK(kept_before.display_name && job_equal(&kept_before, &kept_after),
          "cancel/complete leave other jobs alone");
    store_job_clear(&kept_after);

    CHECK(fixture_reopen(&fx), "reopen after cancel and complete");
    CHECK_HR(jobs_lookup(fx.jobs, alice(), &cancelled), T_DO_E_JOB_NOT_FOUND,
             "after restart: cancelled job not found");
    CHECK_HR(jobs_lookup(fx.jobs, alice(), &completed), T_DO_E_JOB_NOT_FOUND,
             "after restart: completed job not found");
    CHECK_HR(jobs_state(fx.jobs, alice(), &cancelled, &state), T_DO_E_JOB_NOT_FOUND,
             "after restart: the cancelled job has no state");
    store_job_t job = {0};
    CHECK_HR(jobs_get(fx.jobs, alice(), &cancelled, &job), T_DO_E_JOB_NOT_FOUND,
             "after restart: get on the cancelled job is NOT_FOUND");
    store_job_clear(&job);
    kept_after = job_snapshot(fx.jobs, alice(), &kept);
    CHECK(kept_before.display_name && job_equal(&kept_before, &kept_after),
          "after restart: the other job is intact");
    CHECK(file_count_of(fx.jobs, alice(), &kept) == 1, "after restart: the other job keeps its file");
    store_job_clear(&kept_before);
    store_job_clear(&kept_after);
    CHECK(stored_credentials(&cancelled) == 0, "the cancelled job's credentials left the store");
}

/* ---- GetDisplayName (the store's access copy, or the whole row) ------------------------------ */

/* jobs_display_name's answer for caller, and whether the name it gave is want (NULL: none given). */
static int display_name_is(const caller_t *caller, const store_guid_t *id, hr_t want_hr, const char *want)
{
    char *name = NULL;
    hr_t hr = jobs_display_name(fx.jobs, caller, id, &name);
    int right = hr == want_hr && (want ? name && strcmp(name, want) == 0 : !name);
    free(name);
    return right;
}

static void test_display_name(void)
{
    const char *first = "name \xc3\xbc\xe2\x9c\x93";
    store_guid_t id = new_job(alice(), first), unknown = {{0x7e}};
    CHECK(display_name_is(alice(), &id, HR_OK, first) && display_name_is(alice(), &id, HR_OK, first),
          "display name: the owner reads it (UTF-8), twice");
    CHECK(display_name_is(admin(), &id, HR_OK, first), "display name: an administrator reads it");
    CHECK(display_name_is(bob(), &id, T_E_ACCESSDENIED, NULL), "display name: another user is denied, gets nothing");
    CHECK(display_name_is(alice(), &unknown, T_DO_E_JOB_NOT_FOUND, NULL), "display name: unknown job NOT_FOUND");
    CHECK_HR(jobs_display_name(fx.jobs, alice(), &id, NULL), T_E_INVALIDARG, "display name: NULL out");
    CHECK_HR(jobs_set(fx.jobs, alice(), &id, JOB_PROP_DISPLAY_NAME, &(job_value_t){.text = "renamed"}), HR_OK,
             "display name: rename");
    CHECK(display_name_is(alice(), &id, HR_OK, "renamed"), "display name: the new name at once");

    /* A name longer than the copy holds (written by something else than the service). */
    char long_name[STORE_ACCESS_NAME_MAX + 100];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    store_t *store = fixture_open_store(&fx);
    store_job_t row = {0};
    int written = store && store_job_get(store, &id, &row) == STORE_OK;
    if (written) {
        free(row.display_name);
        row.display_name = strdup(long_name);
        written = row.display_name && store_job_update(store, &row) == STORE_OK;
    }
    store_job_clear(&row);
    CHECK(fixture_close_store(&fx, store) && written, "display name: a long name written into the store");
    CHECK(display_name_is(alice(), &id, HR_OK, long_name), "display name: longer than the copy, read whole from the row");
    CHECK(display_name_is(bob(), &id, T_E_ACCESSDENIED, NULL), "display name: longer than the copy, still denied to another user");

    CHECK_HR(jobs_cancel(fx.jobs, alice(), &id), HR_OK, "display name: cancel the job");
    CHECK(display_name_is(alice(), &id, T_DO_E_INVALID_STATE, NULL) && display_name_is(bob(), &id, T_E_ACCESSDENIED, NULL),
          "display name: of a cancelled job, INVALID_STATE to its owner, denied to another user");
}

/* ---- ownership and credentials ---------------------------------------------------------------- */

static void test_credentials(const store_guid_t *id)
{
    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), id, 0, 1, "u", "s", 1), T_BG_E_INVALID_AUTH_TARGET,
             "credentials: target 0");
    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), id, 3, 1, "u", "s", 1), T_BG_E_INVALID_AUTH_TARGET,
             "credentials: target 3");
    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), id, 1, 0, "u", "s", 1), T_BG_E_INVALID_AUTH_SCHEME,
             "credentials: scheme 0");
    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), id, 1, 6, "u", "s", 1), T_BG_E_INVALID_AUTH_SCHEME,
             "credentials: scheme 6");
    char *user301 = repeat("u", 301), *user300 = repeat("\xc3\xa9", 300);
    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), id, 1, 1, user301, "s", 1),
             T_BG_E_INVALID_CREDENTIALS, "credentials: user name of 301 units");
    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), id, 1, 1, "u", NULL, 5),
             T_BG_E_INVALID_CREDENTIALS, "credentials: secret size without secret");
    char *secret = calloc(1, JOB_CREDENTIAL_SECRET_MAX + 1);
    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), id, 1, 1, "u", secret, JOB_CREDENTIAL_SECRET_MAX + 1),
             T_BG_E_INVALID_CREDENTIALS, "credentials: secret over JOB_CREDENTIAL_SECRET_MAX");
    CHECK_HR(jobs_set_credentials(fx.jobs, bob(), id, 1, 1, "u", "s", 1), T_E_ACCESSDENIED,
             "credentials: another user denied");

    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), id, 1, 1, user300, "secret", 6), HR_OK,
             "credentials: server/basic with a 300-unit user name");
    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), id, 1, 1, "user", "other", 5), HR_OK,
             "credentials: set again (replaces)");
    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), id, 2, 3, NULL, NULL, 0), HR_OK,
             "credentials: proxy/NTLM without user or secret");
    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), id, 2, 5, "big", secret, 100000), HR_OK,
             "credentials: a 100000-byte secret (within JOB_CREDENTIAL_SECRET_MAX)");
    jobs_remove_credentials(fx.jobs, alice(), id, 2, 5); /* S_OK, or S_FALSE if refused above */
    free(user301), free(user300), free(secret);

    CHECK_HR(jobs_remove_credentials(fx.jobs, alice(), id, 0, 1), T_BG_E_INVALID_AUTH_TARGET,
             "remove credentials: target 0");
    CHECK_HR(jobs_remove_credentials(fx.jobs, alice(), id, 1, 6), T_BG_E_INVALID_AUTH_SCHEME,
             "remove credentials: scheme 6");
    CHECK_HR(jobs_remove_credentials(fx.jobs, bob(), id, 1, 1), T_E_ACCESSDENIED,
             "remove credentials: another user denied");
    CHECK_HR(jobs_remove_credentials(fx.jobs, alice(), id, 1, 1), HR_OK, "remove existing credentials");
    CHECK_HR(jobs_remove_credentials(fx.jobs, alice(), id, 1, 1), T_S_FALSE,
             "remove them again: S_FALSE");
    CHECK_HR(jobs_remove_credentials(fx.jobs, alice(), id, 1, 4), T_S_FALSE,
             "remove credentials never set: S_FALSE");
    CHECK(stored_credentials(id) == 1, "the store holds the one credential left");
    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), id, 1, 2, "digest", "pw", 2), HR_OK,
             "credentials: server/digest");
    CHECK(stored_credentials(id) == 2, "the store holds two credentials");
}

static void test_take_ownership(void)
{
    store_guid_t id = new_job(alice(), "to be taken");
    store_guid_t other = new_job(alice(), "credentials stay");
    job_value_t v = {.text = "X-Secret: 1"};
    CHECK_HR(jobs_set(fx.jobs, alice(), &id, JOB_PROP_CUSTOM_HEADERS, &v), HR_OK, "set custom headers");
    v = (job_value_t){.text = "C:\\bin\\notify.exe", .text2 = "/x"};
    CHECK_HR(jobs_set(fx.jobs, alice(), &id, JOB_PROP_NOTIFY_CMDLINE, &v), HR_OK, "set notify command line");
    v = (job_value_t){.text = "kept description"};
    CHECK_HR(jobs_set(fx.jobs, alice(), &id, JOB_PROP_DESCRIPTION, &v), HR_OK, "set description");
    CHECK_HR(add_one_file(fx.jobs, alice(), &id, "http://example.com/t", "C:\\dl\\t"), HR_OK,
             "add a file to the job to take");
    CHECK_HR(jobs_set_credentials(fx.jobs, alice(), &other, 1, 1, "u", "p", 1), HR_OK,
             "credentials on another job");
    test_credentials(&id);

    store_job_t before = job_snapshot(fx.jobs, alice(), &id);
    CHECK_HR(jobs_take_ownership(fx.jobs, alice(), &id), T_E_ACCESSDENIED,
             "take ownership: the owner (not an administrator) denied");
    CHECK_HR(jobs_take_ownership(fx.jobs, bob(), &id), T_E_ACCESSDENIED, "take ownership: another user denied");
    store_job_t after = job_snapshot(fx.jobs, alice(), &id);
    CHECK(before.display_name && job_equal(&before, &after), "denied take ownership: job unchanged");
    store_job_clear(&after);

    CHECK_HR(jobs_take_ownership(fx.jobs, admin(), &id), HR_OK, "take ownership: administrator");
    after = job_snapshot(fx.jobs, admin(), &id);
    CHECK(text_equal(after.owner_sid, admin()->sid), "owner is now the administrator");
    CHECK(after.custom_headers == NULL, "custom headers removed");
    CHECK(after.notify_program == NULL && after.notify_parameters == NULL, "notify command line removed");
    CHECK(text_equal(after.display_name, "to be taken") &&
              text_equal(after.description, "kept description") && after.state == before.state &&
              after.creation_time == before.creation_time,
          "name, description, state and creation time kept");
    CHECK(after.modification_time >= before.modification_time, "take ownership: ModificationTime");
    CHECK(file_count_of(fx.jobs, admin(), &id) == 1, "files kept");
    store_job_clear(&before);
    store_job_clear(&after);

    store_job_t job = {0};
    CHECK_HR(jobs_get(fx.jobs, alice(), &id, &job), T_E_ACCESSDENIED, "the previous owner has lost access");
    store_job_clear(&job);
    store_guid_t *ids = NULL;
    size_t n = 0;
    CHECK(jobs_list(fx.jobs, alice(), 0, &ids, &n) == HR_OK && !contains_id(ids, n, &id),
          "the job left the previous owner's list");
    free(ids);
    CHECK(jobs_list(fx.jobs, admin(), 0, &ids, &n) == HR_OK && contains_id(ids, n, &id),
          "the job is in the new owner's list");
    free(ids);

    CHECK(stored_credentials(&id) == 0, "credentials removed from the store");
    CHECK(stored_credentials(&other) == 1, "other jobs' credentials kept");
    after = job_snapshot(fx.jobs, admin(), &id);
    CHECK(text_equal(after.owner_sid, admin()->sid) && after.custom_headers == NULL,
          "new owner survives a restart");
    store_job_clear(&after);
}

/* ---- expiry (and a job put in ERROR), through the store -------------------------------------- */

static void test_expire(void)
{
    store_guid_t old = new_job(alice(), "31 days old");
    store_guid_t young = new_job(alice(), "29 days old");
    store_guid_t fresh = new_job(bob(), "new");
    store_guid_t errored = new_job(alice(), "failed");
    CHECK_HR(add_one_file(fx.jobs, alice(), &old, "http://example.com/o", "C:\\dl\\o"), HR_OK,
             "add a file to the old job");
    CHECK_HR(add_one_file(fx.jobs, alice(), &errored, "http://example.com/e", "C:\\dl\\e"), HR_OK,
             "add a file to the failing job");

    store_t *store = fixture_open_store(&fx);
    CHECK(store != NULL, "open the database with store_open");
    int64_t now = store_now_filetime();
    store_job_t job = {0};
    int edited = store && store_job_get(store, &old, &job) == STORE_OK;
    job.creation_time = job.modification_time = now - 31 * FILETIME_PER_DAY;
    edited = edited && store_job_update(store, &job) == STORE_OK;
    store_job_clear(&job);
    edited = edited && store_job_get(store, &young, &job) == STORE_OK;
    job.creation_time = job.modification_time = now - 29 * FILETIME_PER_DAY;
    edited = edited && store_job_update(store, &job) == STORE_OK;
    store_job_clear(&job);
    edited = edited && store_job_get(store, &errored, &job) == STORE_OK;
    job.state = JOB_STATE_ERROR;
    job.error_code = 0x80190194u;
    job.error_context = 5;
    job.error_file_index = 0;
    job.error_count = 1;
    edited = edited && store_job_update(store, &job) == STORE_OK;
    store_job_clear(&job);
    CHECK(edited, "make one job 31 days old, one 29 days old, one failed");
    CHECK(fixture_close_store(&fx, store), "reopen the job manager");

    test_resume_from_error(&errored);

    store_guid_t *ids = NULL;
    size_t before_count = 0, after_count = 0, expired = 99;
    jobs_list(fx.jobs, admin(), JOB_ENUM_ALL_USERS, &ids, &before_count);
    free(ids);
    store_job_t young_before = job_snapshot(fx.jobs, alice(), &young);
    CHECK_HR(jobs_expire(fx.jobs, JOB_MAX_AGE_DAYS * FILETIME_PER_DAY, &expired), HR_OK, "expire (30 days)");
    CHECK(expired == 1, "one job expired");
    CHECK_HR(jobs_lookup(fx.jobs, alice(), &old), T_DO_E_JOB_NOT_FOUND, "the 31-day-old job is gone");
    CHECK(job_state_of(fx.jobs, alice(), &old) == JOB_STATE_CANCELLED, "the expired job reads CANCELLED");
    CHECK_HR(jobs_lookup(fx.jobs, alice(), &young), HR_OK, "the 29-day-old job stays");
    CHECK_HR(jobs_lookup(fx.jobs, bob(), &fresh), HR_OK, "the new job stays");
    store_job_t young_after = job_snapshot(fx.jobs, alice(), &young);
    CHECK(job_equal(&young_before, &young_after), "the job that stays is unchanged");
    store_job_clear(&young_before);
    store_job_clear(&young_after);
    jobs_list(fx.jobs, admin(), JOB_ENUM_ALL_USERS, &ids, &after_count);
    CHECK(after_count == before_count - 1 && !contains_id(ids, after_count, &old),
          "exactly the expired job left the list");
    free(ids);
    CHECK_HR(jobs_expire(fx.jobs, JOB_MAX_AGE_DAYS * FILETIME_PER_DAY, &expired), HR_OK, "expire again");
    CHECK(expired == 0, "nothing more to expire");
    CHECK(fixture_reopen(&fx), "reopen after expiry");
    CHECK_HR(jobs_lookup(fx.jobs, alice(), &old), T_DO_E_JOB_NOT_FOUND, "after restart: expired job gone");
    CHECK_HR(jobs_lookup(fx.jobs, alice(), &young), HR_OK, "after restart: young job still there");

    FILE *log = fopen(fx.log, "r");
    char line[1024];
    int logged = 0;
    while (log && fgets(line, sizeof line, log))
        logged += strstr(line, "0x80d0200c") != NULL;
    if (log)
        fclose(log);
    CHECK(logged == 1, "the expiry is logged with DO_E_JOB_TOO_OLD");
}

/* ---- limits ---------------------------------------------------------------------------------- */

static void test_limits(void)
{
    store_guid_t *ids = NULL;
    size_t machine = 0, n = 0;
    CHECK_HR(jobs_list(fx.jobs, admin(), JOB_ENUM_ALL_USERS, &ids, &machine), HR_OK, "count every job");
    free(ids);
    jobs_limits_t limits = {2, (uint32_t)machine + 3, 3, 2};
    jobs_set_limits(fx.jobs, &limits);

    store_guid_t c1 = new_job(carol(), "carol 1"), c2 = new_job(carol(), "carol 2"), c3;
    CHECK_HR(jobs_create(fx.jobs, carol(), "carol 3", 0, &c3), T_BG_E_TOO_MANY_JOBS_PER_USER,
             "third job of one user: BG_E_TOO_MANY_JOBS_PER_USER");
    CHECK(jobs_list(fx.jobs, carol(), 0, &ids, &n) == HR_OK && n == 2, "refused create made no job");
    free(ids);
    store_guid_t d1 = new_job(dave(), "dave 1"), d2;
    CHECK_HR(jobs_create(fx.jobs, dave(), "dave 2", 0, &d2), T_BG_E_TOO_MANY_JOBS_PER_MACHINE,
             "job past the machine limit: BG_E_TOO_MANY_JOBS_PER_MACHINE");
    CHECK(jobs_list(fx.jobs, admin(), JOB_ENUM_ALL_USERS, &ids, &n) == HR_OK && n == machine + 3,
          "refused create made no job (machine)");
    free(ids);
    CHECK_HR(jobs_cancel(fx.jobs, carol(), &c2), HR_OK, "cancel one of carol's jobs");
    CHECK_HR(jobs_create(fx.jobs, carol(), "carol 3", 0, &c3), HR_OK, "a cancelled job frees its place");

    job_file_spec_t two[2] = {file_spec("http://example.com/1", "C:\\dl\\1"),
                              file_spec("http://example.com/2", "C:\\dl\\2")};
    job_file_spec_t more[2] = {file_spec("http://example.com/3", "C:\\dl\\3"),
                               file_spec("http://example.com/4", "C:\\dl\\4")};
    job_file_spec_t last[2] = {file_spec("http://example.com/5", "C:\\dl\\5"),
                               file_spec("http://example.com/6", "C:\\dl\\6")};
    CHECK_HR(jobs_add_files(fx.jobs, carol(), &c1, two, 2, NULL), HR_OK, "two files (limit 3)");
    CHECK_HR(jobs_add_files(fx.jobs, carol(), &c1, more, 2, NULL), T_BG_E_TOO_MANY_FILES_IN_JOB,
             "two more files: BG_E_TOO_MANY_FILES_IN_JOB");
    CHECK(file_count_of(fx.jobs, carol(), &c1) == 2, "refused batch added nothing");
    CHECK_HR(jobs_add_files(fx.jobs, carol(), &c1, more, 1, NULL), HR_OK, "a third file (at the limit)");
    CHECK_HR(jobs_add_files(fx.jobs, carol(), &c1, &more[1], 1, NULL), T_BG_E_TOO_MANY_FILES_IN_JOB,
             "a fourth file: BG_E_TOO_MANY_FILES_IN_JOB");
    CHECK(file_count_of(fx.jobs, carol(), &c1) == 3, "the job holds 3 files");

    store_range_t ranges[3] = {{0, 10}, {20, 10}, {40, 10}};
    job_file_spec_t ranged = {"http://example.com/r", "C:\\dl\\r", NULL, JOB_SIZE_UNKNOWN, ranges, 3};
    CHECK_HR(jobs_add_files(fx.jobs, carol(), &c3, &ranged, 1, NULL), T_BG_E_TOO_MANY_RANGES_IN_FILE,
             "three ranges (limit 2): BG_E_TOO_MANY_RANGES_IN_FILE");
    CHECK(file_count_of(fx.jobs, carol(), &c3) == 0, "refused ranged file not added");
    ranged.range_count = 2;
    CHECK_HR(jobs_add_files(fx.jobs, carol(), &c3, &ranged, 1, NULL), HR_OK, "two ranges accepted");

    jobs_limits_t defaults = {JOBS_DEFAULT_MAX_JOBS_PER_USER, JOBS_DEFAULT_MAX_JOBS_PER_MACHINE,
                              JOBS_DEFAULT_MAX_FILES_PER_JOB, JOBS_DEFAULT_MAX_RANGES_PER_FILE};
    jobs_set_limits(fx.jobs, &defaults);
    CHECK_HR(jobs_create(fx.jobs, dave(), "dave 2", 0, &d2), HR_OK, "default limits: create again");
    CHECK_HR(jobs_add_files(fx.jobs, carol(), &c1, last, 2, NULL), HR_OK, "default limits: more files");
    (void)d1;
}

int main(void)
{
    if (!fixture_open(&fx, "test-job-states")) {
        fixture_finish(&fx);
        return 2;
    }
    test_resume_suspend();
    test_sink_unspecified();
    test_cancel_complete();
    test_display_name();
    test_take_ownership();
    test_expire();
    test_limits();
    return fixture_finish(&fx);
}
