/* fleet_clients: the client side of `make bench-fleet` (scripts/bench-fleet.sh). One native
 * process runs the real job manager, scheduler and transfer engine (libengine.a + libstore.a,
 * built with optimisation and without sanitizers), with COUNT jobs of one file each, all of the
 * same URL, all resumed at once, as COUNT machines behind one cache host would fetch an update.
 *
 *   fleet_clients DIR URL COUNT CACHE_HOST
 *
 * URL is the origin's; CACHE_HOST (host:port) is the job manager's cache policy
 * (jobs_set_cache_policy), as the service sets it from DOCacheHost, so every job asks the cache
 * host in the cache-host request form.
 *
 * DIR (created) holds the job database, the engine's log and the downloads C:/dl/NNNN.bin (the
 * program runs in DIR, where "C:" is a directory, as the unit tests do). The jobs are created
 * and given their file first; the measured span runs from the first Resume until every job has
 * reached TRANSFERRED or ERROR (the event sink counts them); then the TRANSFERRED jobs are
 * completed (their files renamed into place). It prints one line
 *
 *   FLEET jobs N transferred T errors E wall_s W cpu_s C peak_rss_kib R from_cache B
 *
 * where C is the process's user + system CPU time during the measured span, R its peak resident
 * memory (getrusage) and B the body bytes the jobs' files got from the cache host (their
 * bytes_from_cache). Status 0 when every job was transferred and completed. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jobs.h"
#include "log.h"

#define MAX_CLIENTS 10000
#define WAIT_LIMIT_S 900

static const caller_t client = {"S-1-5-21-1-1-1-1001", 0};

/* Jobs that have reached TRANSFERRED or ERROR, counted by the event sink. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t transferred, errors;
} finished = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

static void on_event(void *ctx, const store_guid_t *job, jobs_event_t event, uint32_t file_index)
{
    (void)ctx, (void)job, (void)file_index;
    if (event != JOBS_EVENT_TRANSFERRED && event != JOBS_EVENT_ERROR)
        return;
    pthread_mutex_lock(&finished.lock);
    if (event == JOBS_EVENT_TRANSFERRED)
        finished.transferred++;
    else
        finished.errors++;
    pthread_cond_signal(&finished.changed);
    pthread_mutex_unlock(&finished.lock);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static long peak_rss_kib(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

/* One socket and one file per client, plus the database and the log: the soft limit goes up to
 * the hard one. */
static void raise_open_files_limit(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

/* DIR and DIR/C:/dl made, DIR the current directory. 0 on success. */
static int enter_dir(const char *dir)
{
    if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || chdir(dir) != 0)
        return -1;
    if ((mkdir("C:", 0700) != 0 && errno != EEXIST) || (mkdir("C:/dl", 0700) != 0 && errno != EEXIST))
        return -1;
    return 0;
}

/* Job i: one file, url to C:/dl/NNNN.bin. */
static hr_t create_job(jobs_t *jobs, const char *url, size_t i, store_guid_t *id)
{
    char name[64], local[64];
    snprintf(name, sizeof name, "fleet client %zu", i);
    snprintf(local, sizeof local, "C:/dl/%04zu.bin", i);
    hr_t hr = jobs_create(jobs, &client, name, JOB_TYPE_DOWNLOAD, id);
    job_file_spec_t file = {url, local, NULL, JOB_SIZE_UNKNOWN, NULL, 0};
    if (HR_SUCCEEDED(hr))
        hr = jobs_add_files(jobs, &client, id, &file, 1, NULL);
    if (!HR_SUCCEEDED(hr))
        fprintf(stderr, "fleet_clients: job %zu: 0x%08x\n", i, (unsigned)hr);
    return hr;
}

/* Waits until count jobs have finished (or WAIT_LIMIT_S); the number transferred. */
static size_t wait_finished(size_t count, size_t *errors)
{
    struct timespec limit;
    clock_gettime(CLOCK_REALTIME, &limit);
    limit.tv_sec += WAIT_LIMIT_S;
    pthread_mutex_lock(&finished.lock);
    while (finished.transferred + finished.errors < count &&
           pthread_cond_timedwait(&finished.changed, &finished.lock, &limit) != ETIMEDOUT) {
    }
    size_t transferred = finished.transferred;
    *errors = finished.errors;
    pthread_mutex_unlock(&finished.lock);
    return transferred;
}

/* Complete of every TRANSFERRED job: the number completed; *from_cache = the bytes their files
 * got from the cache host. */
static size_t complete_all(jobs_t *jobs, const store_guid_t *ids, size_t count, uint64_t *from_cache)
{
    size_t completed = 0;
    *from_cache = 0;
    for (size_t i = 0; i < count; i++) {
        int32_t state = -1;
        store_file_t file = {0};
        if (jobs_get_file(jobs, &client, &ids[i], 0, &file) == HR_OK)
            *from_cache += file.bytes_from_cache;
        store_file_clear(&file);
        if (jobs_state(jobs, &client, &ids[i], &state) == HR_OK && state == JOB_STATE_TRANSFERRED &&
            jobs_complete(jobs, &client, &ids[i]) == HR_OK)
            completed++;
    }
    return completed;
}

/* The job manager's cache policy: one cache host, no fallback delay (the policies' defaults). */
static hr_t use_cache_host(jobs_t *jobs, const char *host)
{
    cache_policy_t policy = {.host_count = 1};
    if (strlen(host) >= sizeof policy.hosts[0])
        return HR_E_INVALIDARG;
    strcpy(policy.hosts[0], host);
    return jobs_set_cache_policy(jobs, &policy);
}

static int run(const char *url, size_t count, const char *cache_host)
{
    jobs_t *jobs = NULL;
    store_guid_t *ids = calloc(count, sizeof *ids);
    if (!ids || jobs_open("jobs.db", &jobs, NULL) != HR_OK) {
        fprintf(stderr, "fleet_clients: cannot open the job database\n");
        free(ids);
        return 1;
    }
    jobs_set_event_sink(jobs, on_event, NULL);
    hr_t hr = use_cache_host(jobs, cache_host);
    if (HR_SUCCEEDED(hr))
        hr = jobs_enable_transfers(jobs, NULL, NULL, (uint32_t)count);
    for (size_t i = 0; i < count && HR_SUCCEEDED(hr); i++)
        hr = create_job(jobs, url, i, &ids[i]);
    size_t transferred = 0, errors = 0, completed = 0;
    uint64_t from_cache = 0;
    double wall = 0, cpu = 0;
    if (HR_SUCCEEDED(hr)) {
        double start = now_s(), cpu0 = cpu_s();
        for (size_t i = 0; i < count; i++)
            jobs_resume(jobs, &client, &ids[i]);
        transferred = wait_finished(count, &errors);
        wall = now_s() - start;
        cpu = cpu_s() - cpu0;
        completed = complete_all(jobs, ids, count, &from_cache);
    }
    printf("FLEET jobs %zu transferred %zu errors %zu wall_s %.2f cpu_s %.2f peak_rss_kib %ld from_cache %llu\n",
           count, transferred, errors, wall, cpu, peak_rss_kib(), (unsigned long long)from_cache);
    fflush(stdout);
    jobs_close(jobs);
    free(ids);
    return completed == count ? 0 : 1;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    long count = argc == 5 ? strtol(argv[3], &end, 10) : 0;
    if (argc != 5 || !end || *end || count < 1 || count > MAX_CLIENTS) {
        fprintf(stderr, "usage: fleet_clients DIR URL COUNT CACHE_HOST (COUNT 1..%d)\n", MAX_CLIENTS);
        return 2;
    }
    raise_open_files_limit();
    if (enter_dir(argv[1]) != 0) {
        fprintf(stderr, "fleet_clients: cannot make %s/C:/dl: %s\n", argv[1], strerror(errno));
        return 1;
    }
    log_open("engine.log");
    int status = run(argv[2], (size_t)count, argv[4]);
    log_close();
    return status;
}
