/* Helpers shared by the native tests that need HTTP servers (test_transfer, test_scheduler): SHA-256, random test files in www/, nginx and
 * tests/fault_server.py on loopback ports (killed with this process), fault server statistics.
 * The including program defines nothing; it sets dir and www before starting the servers. */
#ifndef OPENDO_TESTS_HTTP_FIXTURE_H
#define OPENDO_TESTS_HTTP_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../check.h"

#pragma GCC diagnostic ignored "-Wunused-function"

typedef unsigned long long ull;
#define KiB 1024u
#define MiB (1024u * 1024u)

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------------------------- */

typedef struct sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t n;
} sha256_t;

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(sha256_t *s, const uint8_t *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, h;
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
    e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
    s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha256_init(sha256_t *s)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->len = 0;
    s->n = 0;
}

static void sha256_update(sha256_t *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    s->len += len;
    if (s->n) {
        size_t take = 64 - s->n < len ? 64 - s->n : len;
        memcpy(s->buf + s->n, p, take);
        s->n += take; p += take; len -= take;
        if (s->n == 64) {
            sha256_block(s, s->buf);
            s->n = 0;
        }
    }
    for (; len >= 64; p += 64, len -= 64)
        sha256_block(s, p);
    memcpy(s->buf, p, len);
    s->n += len;
}

static void sha256_final(sha256_t *s, uint8_t out[32])
{
    uint64_t bits = s->len * 8;
    uint8_t pad = 0x80, zero = 0, lenbuf[8];
    sha256_update(s, &pad, 1);
    while (s->n != 56)
        sha256_update(s, &zero, 1);
    for (int i = 0; i < 8; i++)
        lenbuf[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(s, lenbuf, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(s->h[i] >> 24); out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->h[i] >> 8); out[4 * i + 3] = (uint8_t)s->h[i];
    }
}

static void sha256_buf(const void *data, size_t len, uint8_t out[32])
{
    sha256_t s;
    sha256_init(&s);
    sha256_update(&s, data, len);
    sha256_final(&s, out);
}

/* SHA-256 of the whole file; -1 when it cannot be read. */
static int sha256_file(const char *path, uint8_t out[32], uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    static uint8_t buf[1 << 20];
    sha256_t s;
    sha256_init(&s);
    size_t n;
    uint64_t total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        sha256_update(&s, buf, n);
        total += n;
    }
    fclose(f);
    sha256_final(&s, out);
    if (size)
        *size = total;
    return 0;
}

/* ---- fixtures: files, servers --------------------------------------------------------------- */

typedef struct testfile {
    const char *name;
    size_t size;
    uint8_t *data;
    uint8_t hash[32];
} testfile_t;

static char dir[256], www[300];
static pid_t nginx_pid = -1, fault_pid = -1;
static int nginx_port, tls_port, fault_port, have_tls;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = len ? fwrite(data, 1, len, f) : 0;
    return fclose(f) == 0 && n == len ? 0 : -1;
}

static int make_file(testfile_t *t)
{
    t->data = malloc(t->size ? t->size : 1);
    if (!t->data)
        return -1;
    for (size_t i = 0; i < t->size; i += 8) {
        uint64_t r = rng_next();
        memcpy(t->data + i, &r, t->size - i < 8 ? t->size - i : 8);
    }
    sha256_buf(t->data, t->size, t->hash);
    char path[400];
    snprintf(path, sizeof path, "%s/%s", www, t->name);
    return write_file(path, t->data, t->size);
}

static void kill_servers(void)
{
    if (nginx_pid > 0) {
        kill(nginx_pid, SIGKILL);
        waitpid(nginx_pid, NULL, 0);
        nginx_pid = -1;
    }
    if (fault_pid > 0) {
        kill(fault_pid, SIGKILL);
        waitpid(fault_pid, NULL, 0);
        fault_pid = -1;
    }
}

static void on_watchdog(int sig)
{
    (void)sig;
    static const char msg[] = "not ok - watchdog: test program took too long\n";
    if (nginx_pid > 0)
        kill(nginx_pid, SIGKILL);
    if (fault_pid > 0)
        kill(fault_pid, SIGKILL);
    ssize_t r = write(1, msg, sizeof msg - 1);
    (void)r;
    _exit(1);
}

/* fork+exec with the child killed when we die; its stdout to *out_fd (pipe) or /dev/null. */
static pid_t spawn(char *const argv[], int *out_fd)
{
    int p[2] = {-1, -1};
    if (out_fd && pipe(p) != 0)
        return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(out_fd ? p[1] : null, 1);
        dup2(null, 2);
        if (out_fd) {
            close(p[0]);
            close(p[1]);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    if (out_fd) {
        close(p[1]);
        *out_fd = p[0];
    }
    return pid;
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (s >= 0)
        close(s);
    return port;
}

static int port_open(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    if (s >= 0)
        close(s);
    return ok;
}

static int wait_port(int port, pid_t pid)
{
    for (int i = 0; i < 200; i++) {
        if (port_open(port))
            return 1;
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return 0;
        usleep(25000);
    }
    return 0;
}

static int start_nginx(void)
{
    char cert[400], key[400], conf[400], tmp[400];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(tmp, sizeof tmp, "%s/nginx-tmp", dir);
    mkdir(tmp, 0700);
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' -days 2 "
             "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1",
             key, cert);
    have_tls = system(cmd) == 0;
    if (!have_tls)
        printf("# openssl could not make a certificate: https tests skipped\n");
    for (int attempt = 0; attempt < 5; attempt++) {
        nginx_port = free_port();
        tls_port = free_port();
        if (nginx_port < 0 || tls_port < 0 || nginx_port == tls_port)
            continue;
        /* /private/NAME: www/NAME behind Basic authentication as user "alice", password "s3cret" */
        char users[400];
        snprintf(users, sizeof users, "%s/htpasswd", dir);
        FILE *f = fopen(users, "w");
        if (!f)
            return 0;
        fputs("alice:{PLAIN}s3cret\n", f);
        fclose(f);
        snprintf(conf, sizeof conf, "%s/nginx.conf", dir);
        f = fopen(conf, "w");
        if (!f)
            return 0;
        fprintf(f,
                "daemon off;\nmaster_process off;\nworker_processes 1;\npid %s/nginx.pid;\n"
                "error_log %s/nginx-error.log warn;\n%s"
                "events { worker_connections 256; }\n"
                "http {\n  access_log off;\n  default_type application/octet-stream;\n"
                "  client_body_temp_path %s/body; proxy_temp_path %s/proxy;\n"
                "  fastcgi_temp_path %s/fastcgi; uwsgi_temp_path %s/uwsgi; scgi_temp_path %s/scgi;\n"
                "  log_format headers '$uri $http_x_token $http_ms_cv';\n"
                "  server { listen 127.0.0.1:%d; root %s;\n"
                "    location /private/ { auth_basic opendo; auth_basic_user_file %s; alias %s/; }\n"
                /* /token/NAME: 401 without "X-Token: s3cret"; /cv/NAME: 403 without an MS-CV.
                 * Both log what each request carried to headers.log. */
                "    location /token/ { access_log %s/headers.log headers;\n"
                "      if ($http_x_token != s3cret) { return 401; } alias %s/; }\n"
                "    location /cv/ { access_log %s/headers.log headers;\n"
                "      if ($http_ms_cv = '') { return 403; } alias %s/; } }\n",
                dir, dir, geteuid() == 0 ? "user root;\n" : "", tmp, tmp, tmp, tmp, tmp, nginx_port, www,
                users, www, dir, www, dir, www);
        if (have_tls)
            fprintf(f,
                    "  server { listen 127.0.0.1:%d ssl; root %s;\n"
                    "    ssl_certificate %s; ssl_certificate_key %s;\n"
                    "    location = /tohttp { return 302 http://127.0.0.1:%d/b.bin; } }\n",
                    tls_port, www, cert, key, nginx_port);
        fprintf(f, "}\n");
        fclose(f);
        char errlog[400];
        snprintf(errlog, sizeof errlog, "%s/nginx-error.log", dir);
        char *argv[] = {"nginx", "-p", dir, "-e", errlog, "-c", conf, NULL};
        nginx_pid = spawn(argv, NULL);
        if (nginx_pid > 0 && wait_port(nginx_port, nginx_pid) && (!have_tls || wait_port(tls_port, nginx_pid)))
            return 1;
        if (nginx_pid > 0) {
            kill(nginx_pid, SIGKILL);
            waitpid(nginx_pid, NULL, 0);
        }
        nginx_pid = -1;
    }
    return 0;
}

static const char *fault_script(void)
{
    static char path[600];
    if (access("tests/fault_server.py", R_OK) == 0)
        return "tests/fault_server.py";
    snprintf(path, sizeof path, "%s", __FILE__);
    char *slash = strrchr(path, '/');
    if (slash)
        strcpy(slash, "/../fault_server.py");
    return path;
}

static int start_fault_server(void)
{
    int fd;
    char *argv[] = {"python3", (char *)fault_script(), "0", www, "240", NULL};
    fault_pid = spawn(argv, &fd);
    if (fault_pid < 0)
        return 0;
    char line[64] = {0};
    size_t n = 0;
    while (n < sizeof line - 1) {
        ssize_t r = read(fd, line + n, 1);
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    close(fd);
    if (sscanf(line, "PORT %d", &fault_port) != 1)
        return 0;
    return wait_port(fault_port, fault_pid);
}

/* ---- fault server statistics ----------------------------------------------------------------- */

typedef struct membuf {
    char *p;
    size_t n;
} membuf_t;

static size_t membuf_write(char *data, size_t size, size_t n, void *userp)
{
    membuf_t *m = userp;
    char *p = realloc(m->p, m->n + size * n + 1);
    if (!p)
        return 0;
    memcpy(p + m->n, data, size * n);
    m->p = p;
    m->n += size * n;
    m->p[m->n] = '\0';
    return size * n;
}

/* The fault server's /stats JSON (malloc'ed), or NULL. */
static char *fault_stats_text(void)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/stats", fault_port);
    membuf_t m = {0};
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, membuf_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &m);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    return m.p;
}

/* Requests and body bytes the fault server counted for path. */
static void fault_stats(const char *path, ull *requests, ull *bytes)
{
    *requests = *bytes = 0;
    membuf_t m = {fault_stats_text(), 0};
    char key[256];
    snprintf(key, sizeof key, "\"%s\": {\"bytes\": ", path);
    const char *p = m.p ? strstr(m.p, key) : NULL;
    if (p)
        sscanf(p + strlen(key), "%llu, \"requests\": %llu", bytes, requests);
    free(m.p);
}

/* ---- recording the callbacks ------------------------------------------------------------------ */

/* The start of every HTTP test program: a watchdog, a fresh temp dir with www/ in it, servers
 * killed at exit, curl initialised. Returns 0, or -1 when the temp dir cannot be made. */
static int http_fixture_setup(const char *name)
{
    signal(SIGALRM, on_watchdog);
    alarm(150);
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof dir, "/tmp/opendo-test-%s-XXXXXX", name);
    if (!mkdtemp(dir))
        return -1;
    snprintf(www, sizeof www, "%s/www", dir);
    mkdir(www, 0700);
    atexit(kill_servers);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

/* Makes the fixture's directory the current one, with C: and C:/dl in it, so that local names
 * that are Windows paths ("C:/dl/x") land there. 1 on success. */
static inline int http_fixture_enter_drive(void)
{
    char path[400];
    snprintf(path, sizeof path, "%s/C:/dl", dir);
    return chdir(dir) == 0 && (mkdir("C:", 0700) == 0 || errno == EEXIST) &&
           (mkdir(path, 0700) == 0 || errno == EEXIST);
}

/* The end of every HTTP test program: servers stopped, curl cleaned up, the temp dir removed. */
static void http_fixture_teardown(void)
{
    kill_servers();
    curl_global_cleanup();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
}

#endif
