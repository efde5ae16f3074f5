/* Native unit tests of a job's files: adding them (atomically), the remote and local name rules,
 * temporary names, byte ranges, progress, SetRemoteName, ReplaceRemotePrefix, the validation flag
 * and the DO file properties, and their durability. */
#include "jobs_fixture.h"

static fixture_t fx;

static store_guid_t new_job(const char *name)
{
    store_guid_t id = {{0}};
    char label[160];
    snprintf(label, sizeof label, "create \"%s\"", name);
    CHECK_HR(jobs_create(fx.jobs, alice(), name, 0, &id), HR_OK, label);
    return id;
}

static store_file_t get_file(const store_guid_t *id, uint32_t index)
{
    store_file_t file = {0};
    if (jobs_get_file(fx.jobs, alice(), id, index, &file) != HR_OK)
        memset(&file, 0, sizeof file);
    return file;
}

/* temp is a file of local's directory, and not local itself. */
static int temp_beside(const char *temp, const char *local)
{
    if (!temp || !local || strcmp(temp, local) == 0)
        return 0;
    const char *slash = strrchr(local, '\\');
    size_t dir = slash ? (size_t)(slash - local) + 1 : 0;
    return dir && strncmp(temp, local, dir) == 0 && temp[dir] && !strchr(temp + dir, '\\') &&
           !strchr(temp + dir, '/');
}

/* Adds one file that must be refused with want; the job's file count must not change. */
static void add_refused(const store_guid_t *id, const job_file_spec_t *spec, uint32_t want,
                        const char *name)
{
    uint32_t before = file_count_of(fx.jobs, alice(), id);
    char label[200];
    snprintf(label, sizeof label, "add %s: refused", name);
    CHECK_HR(jobs_add_files(fx.jobs, alice(), id, spec, 1, NULL), want, label);
    snprintf(label, sizeof label, "add %s: nothing added", name);
    CHECK(file_count_of(fx.jobs, alice(), id) == before && before != UINT32_MAX, label);
}

/* Adds one file that must be accepted; returns its row. */
static store_file_t add_accepted(const store_guid_t *id, const job_file_spec_t *spec, const char *name)
{
    uint32_t before = file_count_of(fx.jobs, alice(), id), index = UINT32_MAX;
    char label[200];
    snprintf(label, sizeof label, "add %s: accepted", name);
    CHECK_HR(jobs_add_files(fx.jobs, alice(), id, spec, 1, &index), HR_OK, label);
    snprintf(label, sizeof label, "add %s: index is the old count", name);
    CHECK(index == before, label);
    return get_file(id, index);
}

/* ---- adding files --------------------------------------------------------------------------- */

static void test_add_files(const store_guid_t *id)
{
    uint32_t first = 99;
    job_file_spec_t one = file_spec("http://example.com/f0", "C:\\dl\\f0");
    CHECK_HR(jobs_add_files(fx.jobs, alice(), id, &one, 1, &first), HR_OK, "add one file");
    CHECK(first == 0, "first file has index 0");
    CHECK(file_count_of(fx.jobs, alice(), id) == 1, "job has one file");
    store_file_t f = get_file(id, 0);
    CHECK(guid_equal(&f.job_id, id) && f.index == 0, "file row: job id and index");
    CHECK(text_equal(f.remote_name, "http://example.com/f0") && text_equal(f.local_name, "C:\\dl\\f0"),
          "file row: remote and local name");
    CHECK(f.file_id == NULL && f.bytes_total == JOB_SIZE_UNKNOWN && f.bytes_transferred == 0 &&
              f.completed == 0 && f.validation_state == 0,
          "file row: no file id, size unknown, nothing transferred");
    CHECK(temp_beside(f.temp_name, f.local_name), "file row: temporary name beside the local name");
    char *temp0 = f.temp_name ? strdup(f.temp_name) : NULL;
    store_file_clear(&f);

    job_file_spec_t several[3] = {
        {"https://example.com/f1", "C:\\dl\\f1", "content-1", 1000, NULL, 0},
        {"https://example.com/f2", "C:\\other\\dir\\f2", "content-2", JOB_SIZE_UNKNOWN, NULL, 0},
        {"\\\\server\\share\\f3", "\\\\server\\share\\out\\f3", NULL, 0, NULL, 0},
    };
    CHECK_HR(jobs_add_files(fx.jobs, alice(), id, several, 3, &first), HR_OK, "add three files at once");
    CHECK(first == 1, "the batch starts at index 1");
    CHECK(file_count_of(fx.jobs, alice(), id) == 4, "job has four files");
    int rows_ok = 1, temps_ok = 1;
    char *temps[4] = {temp0};
    for (uint32_t i = 1; i <= 3; i++) {
        f = get_file(id, i);
        const job_file_spec_t *s = &several[i - 1];
        rows_ok &= f.index == i && text_equal(f.remote_name, s->remote_name) &&
                   text_equal(f.local_name, s->local_name) && text_equal(f.file_id, s->file_id) &&
                   f.bytes_total == s->file_size;
        temps_ok &= temp_beside(f.temp_name, f.local_name);
        temps[i] = f.temp_name ? strdup(f.temp_name) : NULL;
        store_file_clear(&f);
    }
    CHECK(rows_ok, "batch rows: names, file ids (stored) and sizes");
    CHECK(temps_ok, "batch rows: each temporary name in its local name's directory");
    int distinct = 1;
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            distinct &= temps[i] && temps[j] && strcmp(temps[i], temps[j]) != 0;
    CHECK(distinct, "temporary names differ per file");
    /* two files of one directory in another job: their temporary names differ from this job's */
    store_guid_t other = new_job("same directory");
    CHECK_HR(add_one_file(fx.jobs, alice(), &other, "http://example.com/f0", "C:\\dl\\f0"), HR_OK,
             "same local name in another job");
    f = get_file(&other, 0);
    CHECK(f.temp_name && temps[0] && strcmp(f.temp_name, temps[0]) != 0,
          "temporary names differ per job");
    store_file_clear(&f);
    for (int i = 0; i < 4; i++)
        free(temps[i]);

    job_file_spec_t batch[3] = {
        file_spec("http://example.com/b1", "C:\\dl\\b1"),
        file_spec("http://example.com/b2", "C:\\dl\\b2"),
        file_spec("http://example.com/b3", "relative\\b3"),
    };
    CHECK_HR(jobs_add_files(fx.jobs, alice(), id, batch, 3, NULL), T_E_INVALIDARG,
             "batch whose third file is invalid: refused");
    CHECK(file_count_of(fx.jobs, alice(), id) == 4, "refused batch added nothing");
    store_range_t bad[2] = {{0, 10}, {5, 10}};
    batch[2] = file_spec("http://example.com/b3", "C:\\dl\\b3");
    batch[1].ranges = bad, batch[1].range_count = 2;
    CHECK_HR(jobs_add_files(fx.jobs, alice(), id, batch, 3, NULL), T_DO_E_OVERLAPPING_RANGES,
             "batch whose second file has overlapping ranges: refused");
    CHECK(file_count_of(fx.jobs, alice(), id) == 4, "refused ranged batch added nothing");
    CHECK_HR(jobs_add_files(fx.jobs, alice(), id, NULL, 1, NULL), T_E_INVALIDARG, "add NULL files");
    CHECK_HR(jobs_add_files(fx.jobs, alice(), id, batch, 0, NULL), T_E_INVALIDARG, "add zero files");
    CHECK_HR(jobs_add_files(fx.jobs, bob(), id, batch, 1, NULL), T_E_ACCESSDENIED,
             "add files by another user denied");
    CHECK(file_count_of(fx.jobs, alice(), id) == 4, "refused calls added nothing");
    CHECK_HR(jobs_add_files(fx.jobs, admin(), id, batch, 1, &first), HR_OK,
             "administrator may add files");
    CHECK(first == 4 && file_count_of(fx.jobs, alice(), id) == 5, "administrator's file is the fifth");

    f = (store_file_t){0};
    CHECK_HR(jobs_get_file(fx.jobs, alice(), id, 5, &f), T_E_INVALIDARG, "get file past the end");
    CHECK(f.remote_name == NULL, "get file past the end leaves the row empty");
    CHECK_HR(jobs_get_file(fx.jobs, alice(), id, UINT32_MAX, &f), T_E_INVALIDARG, "get file UINT32_MAX");
    CHECK_HR(jobs_get_file(fx.jobs, bob(), id, 0, &f), T_E_ACCESSDENIED, "get file by another user");
    store_range_t *ranges = NULL;
    size_t count = 0;
    CHECK_HR(jobs_get_file_ranges(fx.jobs, alice(), id, 5, &ranges, &count), T_E_INVALIDARG,
             "get ranges past the end");
    CHECK_HR(jobs_get_file_ranges(fx.jobs, alice(), id, 0, &ranges, &count), HR_OK,
             "get ranges of a file without ranges");
    CHECK(count == 0 && ranges == NULL, "a file without ranges has none");
    free(ranges);
}

/* ---- names ------------------------------------------------------------------------------------ */

static void test_remote_names(const store_guid_t *id)
{
    static const char *const good[] = {
        "http://h/x", "https://h:8443/a?b=c", "HTTP://H/X", "HtTpS://example.com/", "file:///c:/x",
        "C:\\dir\\f", "\\\\server\\share\\f", "http://h/%20encoded#frag", "http://[::1]:8080/x",
    };
    char label[200];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        job_file_spec_t spec = file_spec(good[i], "C:\\dl\\remote");
        snprintf(label, sizeof label, "remote \"%s\"", good[i]);
        store_file_t f = add_accepted(id, &spec, label);
        snprintf(label, sizeof label, "remote \"%s\": stored as given", good[i]);
        CHECK(text_equal(f.remote_name, good[i]), label);
        store_file_clear(&f);
    }
    char *url2200 = padded("http://h/", 'a', JOB_REMOTE_NAME_MAX);
    char *url2201 = padded("http://h/", 'a', JOB_REMOTE_NAME_MAX + 1);
    job_file_spec_t spec = file_spec(url2200, "C:\\dl\\long");
    store_file_t f = add_accepted(id, &spec, "remote of 2200 units");
    CHECK(text_equal(f.remote_name, url2200), "2200-unit remote name stored");
    store_file_clear(&f);

    static const struct {
        const char *remote;
        uint32_t want;
        const char *name;
    } bad[] = {
        {"", T_E_INVALIDARG, "remote \"\""},
        {"http://", T_E_INVALIDARG, "remote \"http://\""},
        {"https://", T_E_INVALIDARG, "remote \"https://\""},
        {"http:///x", T_E_INVALIDARG, "remote \"http:///x\" (no host)"},
        {"http://h/a b", T_E_INVALIDARG, "remote with a space"},
        {"not a url", T_E_INVALIDARG, "remote \"not a url\""},
        {"relative\\path", T_E_INVALIDARG, "remote relative path"},
        {"http://h/a\tb", T_E_INVALIDARG, "remote with a tab"},
        {"http://h/a\nb", T_E_INVALIDARG, "remote with a newline"},
        {"http://h/a\x7f", T_E_INVALIDARG, "remote with DEL"},
        {"C:\\dir\\\x01", T_E_INVALIDARG, "remote path with a control character"},
        {"C:\\dir\\f*", T_E_INVALIDARG, "remote path with a wildcard"},
        {"C:\\dir\\", T_E_INVALIDARG, "remote path of a directory"},
        {"\\\\server\\share", T_E_INVALIDARG, "remote UNC share without a file"},
        {"\\\\server", T_E_INVALIDARG, "remote UNC server alone"},
        {"http://h/\xc3", T_E_INVALIDARG, "remote invalid UTF-8"},
        {"http://[::1", T_E_INVALIDARG, "remote with an unterminated IPv6 literal (libcurl refuses it)"},
        {"http://h:65536/x", T_E_INVALIDARG, "remote with a port above 65535 (libcurl refuses it)"},
        {"://h/x", T_E_INVALIDARG, "remote without a scheme"},
        {"ftp://h/x", T_E_INVALIDARG, "remote ftp://"},
        {"FTP://h/x", T_E_INVALIDARG, "remote FTP://"},
        {"smb://h/x", T_E_INVALIDARG, "remote smb://"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        spec = file_spec(bad[i].remote, "C:\\dl\\remote");
        add_refused(id, &spec, bad[i].want, bad[i].name);
    }
    spec = file_spec(url2201, "C:\\dl\\long");
    add_refused(id, &spec, T_E_INVALIDARG, "remote of 2201 units");
    spec = file_spec(NULL, "C:\\dl\\long");
    add_refused(id, &spec, T_E_INVALIDARG, "remote NULL");
    /* one-character names on the heap, so that ASan sees any read past their end */
    char *x = strdup("x");
    spec = file_spec(x, "C:\\dl\\short");
    add_refused(id, &spec, T_E_INVALIDARG, "remote \"x\" (one character)");
    free(x);
    free(url2200), free(url2201);
}

static void test_local_names(const store_guid_t *id)
{
    char *local260 = padded("C:\\", 'l', JOB_LOCAL_NAME_MAX);
    char *local261 = padded("C:\\", 'l', JOB_LOCAL_NAME_MAX + 1);
    static const char *const good[] = {"C:\\d\\f", "c:\\d\\sub\\f.bin", "\\\\server\\share\\f"};
    char label[200];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        job_file_spec_t spec = file_spec("http://h/local", good[i]);
        snprintf(label, sizeof label, "local \"%s\"", good[i]);
        store_file_t f = add_accepted(id, &spec, label);
        snprintf(label, sizeof label, "local \"%s\": stored, temporary name beside it", good[i]);
        CHECK(text_equal(f.local_name, good[i]) && temp_beside(f.temp_name, good[i]), label);
        store_file_clear(&f);
    }
    job_file_spec_t spec = file_spec("http://h/local", local260);
    store_file_t f = add_accepted(id, &spec, "local of 260 units");
    CHECK(text_equal(f.local_name, local260), "260-unit local name stored");
    store_file_clear(&f);

    static const char *const bad[] = {
        "", "f", "relative\\f", ".\\f", "\\dl\\f", "C:", "C:f", "C:\\d\\", "C:\\d/",
        "C:\\d\\*.txt", "C:\\d\\f?", "C:\\d\\<f", "C:\\d\\f>", "C:\\d\\f|g", "C:\\d\\\"f\"",
        "C:\\d\\f:stream", "C:\\d\\f\x01", "http://h/x", "C:\\d\\\xc3", "\\\\server",
        "\\\\server\\share", "\\\\server\\share\\", "\\\\\\share\\f", "\\\\server\\\\f",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        spec = file_spec("http://h/local", bad[i]);
        snprintf(label, sizeof label, "local \"%s\"", bad[i]);
        add_refused(id, &spec, T_E_INVALIDARG, label);
    }
    spec = file_spec("http://h/local", local261);
    add_refused(id, &spec, T_E_INVALIDARG, "local of 261 units");
    char *c = strdup("C");
    spec = file_spec("http://h/local", c);
    add_refused(id, &spec, T_E_INVALIDARG, "local \"C\" (one character)");
    free(c);
    free(local260), free(local261);
}

/* ---- ranges ---------------------------------------------------------------------------------- */

static job_file_spec_t ranged(const store_range_t *ranges, size_t count, uint64_t size)
{
    job_file_spec_t spec = {"http://h/ranged", "C:\\dl\\ranged", "ranged", size, ranges, count};
    return spec;
}

static void test_ranges(const store_guid_t *id)
{
    store_range_t unsorted[3] = {{200, 50}, {0, 10}, {100, 5}};
    job_file_spec_t spec = ranged(unsorted, 3, JOB_SIZE_UNKNOWN);
    store_file_t f = add_accepted(id, &spec, "three unsorted ranges");
    CHECK(f.bytes_total == 65, "bytes total is the sum of the range lengths");
    CHECK(unsorted[0].offset == 200 && unsorted[1].offset == 0, "the caller's array is left as it was");
    store_range_t *got = NULL;
    size_t count = 0;
    CHECK_HR(jobs_get_file_ranges(fx.jobs, alice(), id, f.index, &got, &count), HR_OK, "read the ranges");
    CHECK(count == 3 && got && got[0].offset == 200 && got[0].length == 50 && got[1].offset == 0 &&
              got[1].length == 10 && got[2].offset == 100 && got[2].length == 5,
          "ranges come back in the order given (BITS writes them so)");
    free(got);
    CHECK_HR(jobs_get_file_ranges(fx.jobs, bob(), id, f.index, &got, &count), T_E_ACCESSDENIED,
             "ranges by another user denied");
    store_file_clear(&f);

    store_range_t adjacent[2] = {{10, 10}, {0, 10}};
    spec = ranged(adjacent, 2, JOB_SIZE_UNKNOWN);
    f = add_accepted(id, &spec, "adjacent ranges (0,10)+(10,10)");
    CHECK(f.bytes_total == 20, "adjacent ranges: 20 bytes");
    store_file_clear(&f);

    store_range_t to_eof[2] = {{0, 10}, {10, UINT64_MAX}};
    spec = ranged(to_eof, 2, JOB_SIZE_UNKNOWN);
    f = add_accepted(id, &spec, "a range to EOF, size unknown");
    CHECK(f.bytes_total == JOB_SIZE_UNKNOWN, "range to EOF with unknown size: bytes total unknown");
    store_file_clear(&f);
    spec = ranged(to_eof, 2, 100);
    f = add_accepted(id, &spec, "a range to EOF, size 100");
    CHECK(f.bytes_total == 100, "range to EOF with known size: counted to the end");
    store_file_clear(&f);
    store_range_t tail[1] = {{90, UINT64_MAX}};
    spec = ranged(tail, 1, 100);
    f = add_accepted(id, &spec, "range (90,EOF) of a 100-byte file");
    CHECK(f.bytes_total == 10, "range (90,EOF) of 100 bytes: 10 bytes");
    store_file_clear(&f);
    store_range_t whole[1] = {{0, 100}};
    spec = ranged(whole, 1, 100);
    f = add_accepted(id, &spec, "range (0,100) of a 100-byte file");
    CHECK(f.bytes_total == 100, "range covering the whole file: 100 bytes");
    store_file_clear(&f);
    spec = ranged(NULL, 0, 4096);
    f = add_accepted(id, &spec, "no ranges, size 4096");
    CHECK(f.bytes_total == 4096, "no ranges: bytes total is the file size");
    store_file_clear(&f);

    static const struct {
        store_range_t r[2];
        size_t count;
        uint64_t size;
        uint32_t want;
        const char *name;
    } bad[] = {
        {{{100, 5}, {100, 0}}, 2, JOB_SIZE_UNKNOWN, T_DO_E_OVERLAPPING_RANGES, "(100,5)+(100,0)"},
        {{{100, 0}, {100, 5}}, 2, JOB_SIZE_UNKNOWN, T_DO_E_OVERLAPPING_RANGES, "(100,0)+(100,5)"},
        {{{50, 10}, {50, 10}}, 2, JOB_SIZE_UNKNOWN, T_DO_E_OVERLAPPING_RANGES, "a repeated range"},
        {{{0, 10}, {5, 10}}, 2, JOB_SIZE_UNKNOWN, T_DO_E_OVERLAPPING_RANGES, "(0,10)+(5,10)"},
        {{{5, 10}, {0, 10}}, 2, JOB_SIZE_UNKNOWN, T_DO_E_OVERLAPPING_RANGES, "(5,10)+(0,10)"},
        {{{0, UINT64_MAX}, {100, 10}}, 2, JOB_SIZE_UNKNOWN, T_DO_E_OVERLAPPING_RANGES,
         "(0,EOF) followed by (100,10)"},
        {{{100, 10}, {0, UINT64_MAX}}, 2, JOB_SIZE_UNKNOWN, T_DO_E_OVERLAPPING_RANGES,
         "(100,10) and (0,EOF)"},
        {{{5, 0}}, 1, JOB_SIZE_UNKNOWN, T_DO_E_INVALID_RANGE, "length 0"},
        {{{UINT64_MAX, 1}}, 1, JOB_SIZE_UNKNOWN, T_DO_E_INVALID_RANGE, "offset BG_LENGTH_TO_EOF"},
        {{{UINT64_MAX, UINT64_MAX}}, 1, JOB_SIZE_UNKNOWN, T_DO_E_INVALID_RANGE, "offset and length EOF"},
        {{{UINT64_MAX - 5, 10}}, 1, JOB_SIZE_UNKNOWN, T_DO_E_INVALID_RANGE, "offset + length overflows"},
        {{{90, 20}}, 1, 100, T_DO_E_INVALID_RANGE, "(90,20) of a 100-byte file"},
        {{{100, 1}}, 1, 100, T_DO_E_INVALID_RANGE, "(100,1) of a 100-byte file"},
        {{{100, UINT64_MAX}}, 1, 100, T_DO_E_INVALID_RANGE, "(100,EOF) of a 100-byte file"},
        {{{0, 10}, {200, 10}}, 2, 100, T_DO_E_INVALID_RANGE, "second range outside the file"},
        {{{500, UINT64_MAX}, {0, 10}}, 2, JOB_SIZE_UNKNOWN, T_DO_E_INVALID_RANGE,
         "(500,EOF) given before (0,10): a range to the end must come last"},
    };
    char label[200];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        spec = ranged(bad[i].r, bad[i].count, bad[i].size);
        snprintf(label, sizeof label, "ranges %s", bad[i].name);
        add_refused(id, &spec, bad[i].want, label);
    }
    spec = ranged(NULL, 2, JOB_SIZE_UNKNOWN);
    add_refused(id, &spec, T_E_INVALIDARG, "a range count without ranges");
}

/* ---- progress --------------------------------------------------------------------------------- */

static void test_progress(void)
{
    store_guid_t id = new_job("progress");
    job_progress_t p;
    job_file_spec_t files[2] = {
        {"http://h/p1", "C:\\dl\\p1", NULL, 100, NULL, 0},
        {"http://h/p2", "C:\\dl\\p2", NULL, 50, NULL, 0},
    };
    CHECK_HR(jobs_add_files(fx.jobs, alice(), &id, files, 2, NULL), HR_OK, "progress: two sized files");
    CHECK_HR(jobs_progress(fx.jobs, alice(), &id, &p), HR_OK, "progress: read");
    CHECK(p.bytes_total == 150 && p.bytes_transferred == 0 && p.files_total == 2 &&
              p.files_transferred == 0,
          "progress sums the files: 150 bytes, 2 files, nothing transferred");
    store_range_t r[2] = {{0, 10}, {20, 5}};
    job_file_spec_t with_ranges = {"http://h/p3", "C:\\dl\\p3", NULL, 1000, r, 2};
    CHECK_HR(jobs_add_files(fx.jobs, alice(), &id, &with_ranges, 1, NULL), HR_OK, "progress: a ranged file");
    CHECK_HR(jobs_progress(fx.jobs, alice(), &id, &p), HR_OK, "progress: read again");
    CHECK(p.bytes_total == 165 && p.files_total == 3, "a ranged file counts its ranges' bytes");
    CHECK_HR(add_one_file(fx.jobs, alice(), &id, "http://h/p4", "C:\\dl\\p4"), HR_OK,
             "progress: a file of unknown size");
    CHECK_HR(jobs_progress(fx.jobs, alice(), &id, &p), HR_OK, "progress: read once more");
    CHECK(p.bytes_total == JOB_SIZE_UNKNOWN && p.files_total == 4 && p.files_transferred == 0,
          "one unknown size makes BytesTotal unknown");
}

/* ---- remote name changes ---------------------------------------------------------------------- */

static void test_set_remote_name(const store_guid_t *id)
{
    CHECK_HR(jobs_set_remote_name(fx.jobs, alice(), id, 0, "https://mirror.example/f0"), HR_OK,
             "set remote name");
    store_file_t f = get_file(id, 0);
    CHECK(text_equal(f.remote_name, "https://mirror.example/f0"), "new remote name stored");
    store_file_clear(&f);
    static const struct {
        const char *remote;
        uint32_t want;
        const char *name;
    } bad[] = {
        {"ftp://mirror/f0", T_E_INVALIDARG, "set remote name ftp://"},
        {"", T_E_INVALIDARG, "set remote name \"\""},
        {NULL, T_E_INVALIDARG, "set remote name NULL"},
        {"http://h/a b", T_E_INVALIDARG, "set remote name with a space"},
        {"not a url", T_E_INVALIDARG, "set remote name \"not a url\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_HR(jobs_set_remote_name(fx.jobs, alice(), id, 0, bad[i].remote), bad[i].want, bad[i].name);
        f = get_file(id, 0);
        char label[200];
        snprintf(label, sizeof label, "%s: file unchanged", bad[i].name);
        CHECK(text_equal(f.remote_name, "https://mirror.example/f0"), label);
        store_file_clear(&f);
    }
    char *url2201 = padded("http://h/", 'a', JOB_REMOTE_NAME_MAX + 1);
    CHECK_HR(jobs_set_remote_name(fx.jobs, alice(), id, 0, url2201), T_E_INVALIDARG,
             "set remote name of 2201 units");
    free(url2201);
    CHECK_HR(jobs_set_remote_name(fx.jobs, alice(), id, 999, "http://h/x"), T_E_INVALIDARG,
             "set remote name past the end");
    CHECK_HR(jobs_set_remote_name(fx.jobs, bob(), id, 0, "http://h/x"), T_E_ACCESSDENIED,
             "set remote name by another user");
    f = get_file(id, 0);
    CHECK(text_equal(f.remote_name, "https://mirror.example/f0"), "refused set remote name: unchanged");
    store_file_clear(&f);
}

static int remotes_are(const store_guid_t *id, const char *const *want, uint32_t count)
{
    int same = file_count_of(fx.jobs, alice(), id) == count;
    for (uint32_t i = 0; same && i < count; i++) {
        store_file_t f = get_file(id, i);
        same = text_equal(f.remote_name, want[i]);
        store_file_clear(&f);
    }
    return same;
}

static void test_replace_prefix(void)
{
    store_guid_t id = new_job("prefix");
    char *long_tail = padded("http://a.example/", 'y', JOB_REMOTE_NAME_MAX - 10);
    job_file_spec_t files[4] = {
        file_spec("http://a.example/x", "C:\\dl\\x"),
        file_spec("HTTP://A.EXAMPLE/y", "C:\\dl\\y"),
        file_spec("http://b.example/z", "C:\\dl\\z"),
        file_spec(long_tail, "C:\\dl\\w"),
    };
    CHECK_HR(jobs_add_files(fx.jobs, alice(), &id, files, 3, NULL), HR_OK, "prefix: three files");
    CHECK_HR(jobs_replace_remote_prefix(fx.jobs, alice(), &id, "http://a.example/", "https://c.example/"),
             HR_OK, "replace prefix");
    const char *const after1[] = {"https://c.example/x", "https://c.example/y", "http://b.example/z"};
    CHECK(remotes_are(&id, after1, 3), "matching files changed (case-insensitively), the other kept");
    CHECK_HR(jobs_replace_remote_prefix(fx.jobs, alice(), &id, "http://nothing/", "http://else/"), HR_OK,
             "replace a prefix nothing matches");
    CHECK(remotes_are(&id, after1, 3), "no match: nothing changed");
    CHECK_HR(jobs_replace_remote_prefix(fx.jobs, alice(), &id, "https://c.example/", "http://h/a b/"),
             T_E_INVALIDARG, "replace prefix giving invalid names");
    CHECK(remotes_are(&id, after1, 3), "invalid result: nothing changed");
    CHECK_HR(jobs_replace_remote_prefix(fx.jobs, alice(), &id, "https://c.example/", "ftp://c/"),
             T_E_INVALIDARG, "replace prefix giving ftp names");
    CHECK(remotes_are(&id, after1, 3), "ftp result: nothing changed");
    CHECK_HR(jobs_replace_remote_prefix(fx.jobs, alice(), &id, "", "http://x/"), T_E_INVALIDARG,
             "replace an empty prefix");
    CHECK_HR(jobs_replace_remote_prefix(fx.jobs, alice(), &id, NULL, "http://x/"), T_E_INVALIDARG,
             "replace a NULL prefix");
    CHECK_HR(jobs_replace_remote_prefix(fx.jobs, bob(), &id, "https://c.example/", "http://d/"),
             T_E_ACCESSDENIED, "replace prefix by another user");
    CHECK(remotes_are(&id, after1, 3), "refused calls changed nothing");

    /* The first matching file would be fine, the second too long: neither may change. */
    CHECK_HR(jobs_add_files(fx.jobs, alice(), &id, &files[3], 1, NULL), HR_OK, "prefix: a 2190-unit URL");
    const char *const before2[] = {"https://c.example/x", "https://c.example/y", "http://b.example/z",
                                   long_tail};
    char *longer = padded("http://a.example/", 'q', 40);
    CHECK_HR(jobs_replace_remote_prefix(fx.jobs, alice(), &id, "http", longer), T_E_INVALIDARG,
             "replace prefix making one name too long");
    CHECK(remotes_are(&id, before2, 4), "one invalid result: no file changed");
    CHECK_HR(jobs_replace_remote_prefix(fx.jobs, alice(), &id, "HTTPS://C.EXAMPLE/", "http://a.example/"),
             HR_OK, "replace prefix back");
    const char *const after3[] = {"http://a.example/x", "http://a.example/y", "http://b.example/z",
                                  long_tail};
    CHECK(remotes_are(&id, after3, 4), "prefix replaced back");
    free(longer);
    free(long_tail);
}

/* ---- validation flag and DO file properties ---------------------------------------------------- */

/* Before a file is whole, SetValidationState is E_PENDING either way (BITS); what a whole file
 * gets is tested where files download (test_scheduler, transfers e2e). */
static void test_validation(const store_guid_t *id)
{
    CHECK_HR(jobs_set_file_validation(fx.jobs, alice(), id, 1, 1), 0x8000000Au, /* E_PENDING */
             "set validation state TRUE before the file is downloaded: E_PENDING");
    CHECK_HR(jobs_set_file_validation(fx.jobs, alice(), id, 1, 0), 0x8000000Au, /* E_PENDING */
             "set validation state FALSE before the file is downloaded: E_PENDING");
    CHECK_HR(jobs_set_file_validation(fx.jobs, alice(), id, 999, 1), T_E_INVALIDARG,
             "set validation state past the end");
    CHECK_HR(jobs_set_file_validation(fx.jobs, bob(), id, 1, 1), T_E_ACCESSDENIED,
             "set validation state by another user");
    store_file_t f = get_file(id, 1);
    CHECK(f.validation_state == 0 && f.bytes_transferred == 0, "refused validation changes: unchanged");
    store_file_clear(&f);
    int32_t state = -1;
    CHECK(jobs_state(fx.jobs, alice(), id, &state) == HR_OK && state == JOB_STATE_SUSPENDED,
          "refused validation changes: the job's state unchanged");
}

static int property_is(const store_guid_t *id, uint32_t index, int32_t property, const char *want)
{
    char *value = NULL;
    hr_t hr = jobs_get_file_property(fx.jobs, alice(), id, index, property, &value);
    int same = hr == HR_OK && text_equal(value, want);
    free(value);
    return same;
}

static void get_property_fails(const store_guid_t *id, uint32_t index, int32_t property,
                               uint32_t want, const char *name)
{
    static char untouched[] = "untouched";
    char *value = untouched;
    CHECK_HR(jobs_get_file_property(fx.jobs, alice(), id, index, property, &value), want, name);
    char label[200];
    snprintf(label, sizeof label, "%s: no value", name);
    CHECK(value == NULL, label);
    if (value != untouched)
        free(value);
}

static void test_file_properties(const store_guid_t *id)
{
    job_file_spec_t spec = {"http://h/do", NULL, "do-file", JOB_SIZE_UNKNOWN, NULL, 0};
    uint32_t i = 0;
    CHECK_HR(jobs_add_files(fx.jobs, alice(), id, &spec, 1, &i), HR_OK, "add a DO file without local name");
    store_file_t f = get_file(id, i);
    CHECK(f.local_name == NULL && f.temp_name == NULL && text_equal(f.file_id, "do-file"),
          "DO file: no local or temporary name yet");
    store_file_clear(&f);
    store_job_t before = job_snapshot(fx.jobs, alice(), id);
    sleep_ms(2);

    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 0, "{\"KeyData\":\"abc\"}"), HR_OK,
             "DecryptionInfo: set");
    get_property_fails(id, i, 0, T_DO_E_WRITE_ONLY_PROPERTY, "DecryptionInfo: get is write-only");
    store_job_t after = job_snapshot(fx.jobs, alice(), id);
    CHECK(after.modification_time > before.modification_time, "a file property bumps ModificationTime");
    store_job_clear(&before);
    store_job_clear(&after);
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 1, "{\"PiecesHashFileUrl\":\"http://h/phf\"}"),
             HR_OK, "IntegrityCheckInfo: set");
    get_property_fails(id, i, 1, T_DO_E_WRITE_ONLY_PROPERTY, "IntegrityCheckInfo: get is write-only");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 0, NULL), T_E_INVALIDARG,
             "DecryptionInfo: NULL refused");

    get_property_fails(id, i, 2, T_E_NOT_SET, "IntegrityCheckMandatory: get before set is E_NOT_SET");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 2, "1"), HR_OK, "IntegrityCheckMandatory: set 1");
    CHECK(property_is(id, i, 2, "1"), "IntegrityCheckMandatory reads 1");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 2, "yes"), T_E_INVALIDARG,
             "IntegrityCheckMandatory: \"yes\" refused");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 2, NULL), T_E_INVALIDARG,
             "IntegrityCheckMandatory: NULL refused");
    CHECK(property_is(id, i, 2, "1"), "IntegrityCheckMandatory still 1 after refused sets");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 2, "0"), HR_OK, "IntegrityCheckMandatory: set 0");
    CHECK(property_is(id, i, 2, "0"), "IntegrityCheckMandatory reads 0");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 2, "1"), HR_OK, "IntegrityCheckMandatory: 1 again");
    get_property_fails(id, 0, 2, T_E_NOT_SET, "IntegrityCheckMandatory of another file not set");

    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 3, "x"), T_E_NOTIMPL,
             "DownloadSinkInterface: set is E_NOTIMPL");
    get_property_fails(id, i, 3, T_E_NOT_SET, "DownloadSinkInterface: get is E_NOT_SET");

    get_property_fails(id, i, 4, T_E_NOT_SET, "DownloadSinkFilePath: get before set is E_NOT_SET");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 4, "C:\\sink\\out.bin"), HR_OK,
             "DownloadSinkFilePath: set");
    f = get_file(id, i);
    CHECK(text_equal(f.local_name, "C:\\sink\\out.bin"), "DownloadSinkFilePath is the file's local name");
    CHECK(temp_beside(f.temp_name, "C:\\sink\\out.bin"), "DownloadSinkFilePath: temporary name beside it");
    store_file_clear(&f);
    CHECK(property_is(id, i, 4, "C:\\sink\\out.bin"), "DownloadSinkFilePath reads back");
    static const char *const bad_paths[] = {"relative\\out.bin", "C:\\sink\\", "C:\\sink\\*", "", NULL};
    for (size_t k = 0; k < sizeof bad_paths / sizeof bad_paths[0]; k++) {
        char label[200];
        snprintf(label, sizeof label, "DownloadSinkFilePath \"%s\" refused",
                 bad_paths[k] ? bad_paths[k] : "(null)");
        CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 4, bad_paths[k]), T_E_INVALIDARG, label);
    }
    f = get_file(id, i);
    CHECK(text_equal(f.local_name, "C:\\sink\\out.bin") && temp_beside(f.temp_name, "C:\\sink\\out.bin"),
          "refused sink paths: local and temporary name unchanged");
    store_file_clear(&f);

    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 5, "x"), T_DO_E_MEMORYSTREAM_NOT_SUPPORTED,
             "DownloadSinkMemoryStream: set not supported");
    get_property_fails(id, i, 5, T_DO_E_MEMORYSTREAM_NOT_SUPPORTED,
                       "DownloadSinkMemoryStream: get not supported");

    get_property_fails(id, i, 6, T_E_NOT_SET, "TotalSizeBytes: get before set (size unknown) is E_NOT_SET");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 6, "1234"), HR_OK, "TotalSizeBytes: set 1234");
    CHECK(property_is(id, i, 6, "1234"), "TotalSizeBytes reads 1234");
    f = get_file(id, i);
    CHECK(f.bytes_total == 1234, "TotalSizeBytes is the file's size");
    store_file_clear(&f);
    static const char *const bad_sizes[] = {"abc", "", "-1", "12a", " 12", "+12",
                                            "18446744073709551615", "99999999999999999999", NULL};
    for (size_t k = 0; k < sizeof bad_sizes / sizeof bad_sizes[0]; k++) {
        char label[200];
        snprintf(label, sizeof label, "TotalSizeBytes \"%s\" refused", bad_sizes[k] ? bad_sizes[k] : "(null)");
        CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 6, bad_sizes[k]), T_E_INVALIDARG, label);
    }
    CHECK(property_is(id, i, 6, "1234"), "TotalSizeBytes still 1234 after refused sets");
    f = get_file(id, 0);
    CHECK(f.bytes_total == JOB_SIZE_UNKNOWN, "TotalSizeBytes of another file unchanged");
    store_file_clear(&f);

    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 7, "x"), T_DO_E_UNKNOWN_PROPERTY_ID,
             "property 7: set is DO_E_UNKNOWN_PROPERTY_ID");
    get_property_fails(id, i, 7, T_DO_E_UNKNOWN_PROPERTY_ID, "property 7: get is DO_E_UNKNOWN_PROPERTY_ID");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, -1, "x"), T_DO_E_UNKNOWN_PROPERTY_ID,
             "property -1: set is DO_E_UNKNOWN_PROPERTY_ID");
    get_property_fails(id, i, -1, T_DO_E_UNKNOWN_PROPERTY_ID, "property -1: get is DO_E_UNKNOWN_PROPERTY_ID");

    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, 999, 2, "1"), T_E_INVALIDARG,
             "file property: set past the end");
    get_property_fails(id, 999, 2, T_E_INVALIDARG, "file property: get past the end");
    CHECK_HR(jobs_set_file_property(fx.jobs, bob(), id, i, 2, "0"), T_E_ACCESSDENIED,
             "file property: set by another user");
    char *value = NULL;
    CHECK_HR(jobs_get_file_property(fx.jobs, bob(), id, i, 2, &value), T_E_ACCESSDENIED,
             "file property: get by another user");
    free(value);
    CHECK(property_is(id, i, 2, "1"), "refused calls left IntegrityCheckMandatory at 1");

    /* a QUEUED job's files are not to be changed */
    CHECK_HR(jobs_resume(fx.jobs, alice(), id), HR_OK, "resume the job (every file has a sink)");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 2, "0"), T_DO_E_INVALID_STATE,
             "QUEUED: set IntegrityCheckMandatory is DO_E_INVALID_STATE");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 4, "C:\\sink\\moved.bin"), T_DO_E_INVALID_STATE,
             "QUEUED: set DownloadSinkFilePath is DO_E_INVALID_STATE");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 6, "99"), T_DO_E_INVALID_STATE,
             "QUEUED: set TotalSizeBytes is DO_E_INVALID_STATE");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 0, "{}"), T_DO_E_INVALID_STATE,
             "QUEUED: set DecryptionInfo is DO_E_INVALID_STATE");
    CHECK(property_is(id, i, 2, "1") && property_is(id, i, 4, "C:\\sink\\out.bin") &&
              property_is(id, i, 6, "1234"),
          "QUEUED: refused sets changed nothing");
    CHECK(property_is(id, i, 2, "1"), "QUEUED: get still works");
    CHECK_HR(jobs_suspend(fx.jobs, alice(), id), HR_OK, "suspend the job");
    CHECK_HR(jobs_set_file_property(fx.jobs, alice(), id, i, 2, "1"), HR_OK, "SUSPENDED: set works again");
}

/* ---- durability -------------------------------------------------------------------------------- */

typedef struct saved_file {
    store_file_t row;
    store_range_t *ranges;
    size_t range_count;
} saved_file_t;

static saved_file_t *save_files(const store_guid_t *id, uint32_t *count)
{
    *count = file_count_of(fx.jobs, alice(), id);
    if (*count == UINT32_MAX)
        return NULL;
    saved_file_t *saved = calloc(*count ? *count : 1, sizeof *saved);
    for (uint32_t i = 0; i < *count; i++) {
        saved[i].row = get_file(id, i);
        jobs_get_file_ranges(fx.jobs, alice(), id, i, &saved[i].ranges, &saved[i].range_count);
    }
    return saved;
}

static void test_durable(const store_guid_t *id)
{
    uint32_t count = 0;
    saved_file_t *saved = save_files(id, &count);
    CHECK(saved && count > 20, "many files to compare");
    CHECK(fixture_reopen(&fx), "jobs_close + jobs_open");
    int same = file_count_of(fx.jobs, alice(), id) == count, ranges_same = 1;
    for (uint32_t i = 0; saved && i < count; i++) {
        store_file_t now = get_file(id, i);
        same &= file_equal(&saved[i].row, &now) && saved[i].row.remote_name != NULL;
        store_file_clear(&now);
        store_range_t *ranges = NULL;
        size_t n = 0;
        jobs_get_file_ranges(fx.jobs, alice(), id, i, &ranges, &n);
        ranges_same &= n == saved[i].range_count &&
                       (n == 0 || memcmp(ranges, saved[i].ranges, n * sizeof *ranges) == 0);
        free(ranges);
        store_file_clear(&saved[i].row);
        free(saved[i].ranges);
    }
    free(saved);
    CHECK(same, "every file row survives close and reopen");
    CHECK(ranges_same, "every file's ranges survive close and reopen");
    uint32_t last = count - 1;
    CHECK(property_is(id, last, 2, "1") && property_is(id, last, 4, "C:\\sink\\out.bin") &&
              property_is(id, last, 6, "1234"),
          "DO file properties survive close and reopen");
    get_property_fails(id, last, 0, T_DO_E_WRITE_ONLY_PROPERTY, "after restart: DecryptionInfo write-only");
    store_file_t f = get_file(id, 1);
    CHECK(f.validation_state == 0 && text_equal(f.file_id, "content-1"),
          "after restart: validation state and file id kept");
    store_file_clear(&f);
}

int main(void)
{
    if (!fixture_open(&fx, "test-job-files")) {
        fixture_finish(&fx);
        return 2;
    }
    store_guid_t id = new_job("files");
    test_add_files(&id);
    test_remote_names(&id);
    test_local_names(&id);
    test_ranges(&id);
    test_progress();
    test_set_remote_name(&id);
    test_replace_prefix();
    test_validation(&id);
    test_file_properties(&id);
    test_durable(&id);
    return fixture_finish(&fx);
}
