/* Native unit tests of the job manager: validation, defaults, ownership, access, durability. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guid.h"
#include "jobs_fixture.h" /* check.h, jobs.h, log.h, the callers alice/bob/admin, repeat() */

static void test_utf16_length(void)
{
    CHECK(utf8_utf16_length("") == 0, "utf16 length of empty string");
    CHECK(utf8_utf16_length("abc") == 3, "utf16 length of ASCII");
    CHECK(utf8_utf16_length("\xc3\xa9\xe2\x82\xac") == 2, "utf16 length of 2- and 3-byte chars");
    CHECK(utf8_utf16_length("\xf0\x9f\x98\x80") == 2, "astral char counts as a surrogate pair");
    CHECK(utf8_utf16_length("\xc3") == -1, "truncated UTF-8 rejected");
    CHECK(utf8_utf16_length("\xff") == -1, "invalid UTF-8 lead byte rejected");
}

static void test_guid_text(void)
{
    store_guid_t g, back;
    CHECK(guid_generate(&g) == 0, "guid_generate succeeds");
    CHECK((g.bytes[7] >> 4) == 4, "generated guid is version 4");
    char text[GUID_STRING_SIZE];
    guid_format(&g, text);
    CHECK(strlen(text) == 38 && text[0] == '{' && text[37] == '}', "guid formats with braces");
    CHECK(guid_parse(text, &back) == 0 && memcmp(&g, &back, sizeof g) == 0, "guid round-trips");
    CHECK(guid_parse("{00000000-0000-0000-0000-00000000000}", &back) == -1, "short guid rejected");
    CHECK(guid_parse("{0000000G-0000-0000-0000-000000000000}", &back) == -1, "bad hex rejected");
    CHECK(guid_parse("{4991D34B-80A1-4291-83B6-3328366B9097}", &back) == 0 && back.bytes[0] == 0x4B &&
              back.bytes[3] == 0x49 && back.bytes[8] == 0x83,
          "guid parses in Windows memory order");
}

static void test_create_validation(jobs_t *jobs)
{
    store_guid_t id;
    CHECK_HR(jobs_create(jobs, alice(), NULL, 0, &id), HR_E_INVALIDARG, "create: NULL name");
    CHECK_HR(jobs_create(jobs, alice(), "x", 0, NULL), HR_E_INVALIDARG, "create: NULL id out");
    CHECK_HR(jobs_create(jobs, NULL, "x", 0, &id), HR_E_INVALIDARG, "create: no caller");
    char *name256 = repeat("a", 256), *name257 = repeat("a", 257);
    char *wide256 = repeat("\xe2\x82\xac", 256), *astral129 = repeat("\xf0\x9f\x98\x80", 129);
    CHECK_HR(jobs_create(jobs, alice(), name256, 0, &id), HR_OK, "create: 256-char name accepted");
    CHECK_HR(jobs_create(jobs, alice(), name257, 0, &id), HR_E_INVALIDARG, "create: 257-char name");
    CHECK_HR(jobs_create(jobs, alice(), wide256, 0, &id), HR_OK, "create: 256 multibyte chars ok");
    CHECK_HR(jobs_create(jobs, alice(), astral129, 0, &id), HR_E_INVALIDARG,
             "create: 129 surrogate pairs are 258 units");
    CHECK_HR(jobs_create(jobs, alice(), "\xc3", 0, &id), HR_E_INVALIDARG, "create: invalid UTF-8");
    CHECK_HR(jobs_create(jobs, alice(), "up", 1, &id), HR_E_NOTIMPL, "create: upload type");
    CHECK_HR(jobs_create(jobs, alice(), "up", 2, &id), HR_E_NOTIMPL, "create: upload-reply type");
    CHECK_HR(jobs_create(jobs, alice(), "bad", 3, &id), HR_E_INVALIDARG, "create: type 3");
    CHECK_HR(jobs_create(jobs, alice(), "bad", -1, &id), HR_E_INVALIDARG, "create: type -1");
    free(name256), free(name257), free(wide256), free(astral129);
}

static void test_create_defaults(jobs_t *jobs, store_guid_t *id)
{
    int64_t before = store_now_filetime();
    CHECK_HR(jobs_create(jobs, alice(), "alice's job", 0, id), HR_OK, "create: succeeds");
    store_job_t job = {0};
    CHECK_HR(jobs_get(jobs, alice(), id, &job), HR_OK, "get: owner finds the new job");
    CHECK(job.display_name && strcmp(job.display_name, "alice's job") == 0, "get: display name");
    CHECK(job.state == JOB_STATE_SUSPENDED, "new job is SUSPENDED");
    CHECK(job.type == JOB_TYPE_DOWNLOAD, "new job type is DOWNLOAD");
    CHECK(job.priority == JOB_PRIORITY_NORMAL, "new job priority is NORMAL");
    CHECK(job.notify_flags == 3, "new job notify flags TRANSFERRED|ERROR");
    CHECK(job.owner_sid && strcmp(job.owner_sid, alice()->sid) == 0, "owner SID recorded");
    CHECK(job.creation_time >= before && job.creation_time <= store_now_filetime(),
          "creation time is now");
    CHECK(job.modification_time == job.creation_time, "modification time equals creation");
    CHECK(job.transfer_completion_time == 0, "no transfer completion time yet");
    store_job_clear(&job);

    job_progress_t progress;
    CHECK_HR(jobs_progress(jobs, alice(), id, &progress), HR_OK, "progress: succeeds");
    CHECK(progress.bytes_total == 0 && progress.bytes_transferred == 0 &&
              progress.files_total == 0 && progress.files_transferred == 0,
          "progress: empty job is all zero");
}

static void test_access(jobs_t *jobs, const store_guid_t *id)
{
    store_job_t job = {0};
    CHECK_HR(jobs_get(jobs, bob(), id, &job), HR_E_ACCESSDENIED, "get: other user denied");
    CHECK(job.display_name == NULL, "get: denied call leaves output empty");
    CHECK_HR(jobs_get(jobs, admin(), id, &job), HR_OK, "get: administrator allowed");
    store_job_clear(&job);
    job_progress_t progress;
    CHECK_HR(jobs_progress(jobs, bob(), id, &progress), HR_E_ACCESSDENIED, "progress: other user denied");

    store_guid_t unknown;
    guid_generate(&unknown);
    CHECK_HR(jobs_get(jobs, alice(), &unknown, &job), 0x80D02003, "get: unknown id is DO_E_JOB_NOT_FOUND");
    CHECK_HR(jobs_get(jobs, alice(), NULL, &job), HR_E_INVALIDARG, "get: NULL id");
}

static int contains(const store_guid_t *ids, size_t count, const store_guid_t *id)
{
    for (size_t i = 0; i < count; i++)
        if (memcmp(&ids[i], id, sizeof *id) == 0)
            return 1;
    return 0;
}

static void test_list(jobs_t *jobs, const store_guid_t *alice_job)
{
    store_guid_t bob_job, *ids = NULL;
    size_t count = 0;
    CHECK_HR(jobs_create(jobs, bob(), "bob's job", 0, &bob_job), HR_OK, "create: second user");

    CHECK_HR(jobs_list(jobs, bob(), 0, &ids, &count), HR_OK, "list: own jobs");
    CHECK(count == 1 && contains(ids, count, &bob_job), "list: bob sees only his job");
    free(ids);
    CHECK_HR(jobs_list(jobs, alice(), 0, &ids, &count), HR_OK, "list: alice's jobs");
    CHECK(contains(ids, count, alice_job) && !contains(ids, count, &bob_job),
          "list: alice does not see bob's job");
    size_t alice_count = count;
    free(ids);
    CHECK_HR(jobs_list(jobs, bob(), JOB_ENUM_ALL_USERS, &ids, &count), HR_E_ACCESSDENIED,
             "list: all users needs an administrator");
    CHECK_HR(jobs_list(jobs, admin(), JOB_ENUM_ALL_USERS, &ids, &count), HR_OK, "list: admin, all users");
    CHECK(count == alice_count + 1 && contains(ids, count, &bob_job), "list: admin sees everyone's jobs");
    free(ids);
    CHECK_HR(jobs_list(jobs, admin(), 2, &ids, &count), HR_E_INVALIDARG, "list: unknown flag");
}

int main(void)
{
    char dir[] = "/tmp/opendo-test-jobs-XXXXXX";
    if (!mkdtemp(dir))
        return 2;
    char db[256], logpath[256];
    snprintf(db, sizeof db, "%s/jobs.db", dir);
    snprintf(logpath, sizeof logpath, "%s/dosvc.log", dir);
    CHECK(log_open(logpath) == 0, "log opens");

    test_utf16_length();
    test_guid_text();

    jobs_t *jobs = NULL;
    store_open_report_t report;
    CHECK_HR(jobs_open(db, &jobs, &report), HR_OK, "jobs_open creates the database");
    CHECK(report.created && report.integrity_ok, "new database created and intact");
    test_create_validation(jobs);
    store_guid_t id;
    test_create_defaults(jobs, &id);
    test_access(jobs, &id);
    test_list(jobs, &id);
    jobs_close(jobs);

    CHECK_HR(jobs_open(db, &jobs, &report), HR_OK, "jobs_open reopens the database");
    CHECK(!report.created && report.integrity_ok && !report.quarantined, "reopened database intact");
    store_job_t job = {0};
    CHECK_HR(jobs_get(jobs, alice(), &id, &job), HR_OK, "job survives close and reopen");
    CHECK(job.display_name && strcmp(job.display_name, "alice's job") == 0 &&
              job.state == JOB_STATE_SUSPENDED,
          "reopened job has the same name and state");
    store_job_clear(&job);
    char detail[128];
    CHECK_HR(jobs_check_integrity(jobs, detail, sizeof detail), HR_OK, "integrity check passes");
    jobs_close(jobs);
    log_close();

    FILE *log = fopen(logpath, "r");
    char line[1024];
    int created_lines = 0;
    char idtext[GUID_STRING_SIZE];
    guid_format(&id, idtext);
    while (log && fgets(line, sizeof line, log))
        created_lines += strstr(line, idtext) && strstr(line, "created by") ? 1 : 0;
    if (log)
        fclose(log);
    CHECK(created_lines == 1, "creation is logged with the job id");

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 2;
    return CHECK_EXIT_CODE();
}
