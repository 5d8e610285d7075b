/* Reloading on SIGHUP: the configuration file is read again and the workers are replaced one by one
 * while requests keep coming, none of them failing; a broken file is refused and the old
 * configuration keeps serving. And --check-config on good and bad files. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"

static void reload_fini(void)
{
    cg_restore_pool();
    cg_teardown();
}

TestSuite(zz_reload, .init = cg_setup, .fini = reload_fini, .timeout = 120);

/* Budgets no load here reaches, so that only what a reload changes is seen. */
#define ROOMY "tenant_requests = 100000\ntenant_writes = 100000\napp_requests = 100000\napp_writes = 100000\n"

static const char *conf_path(void)
{
    return cg_fmt("%s/reload.conf", cg_env("CERTGRAPH_TEST_VAR"));
}

static void write_conf(const char *text)
{
    /* written aside and renamed, as an operator's tooling would: a reload never reads half a file */
    const char *tmp = cg_fmt("%s.new", conf_path());
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(rename(tmp, conf_path()), 0);
}

static size_t discard(char *p, size_t size, size_t n, void *u)
{
    (void)p, (void)u;
    return size * n;
}

/* One load process: GETs (and every fourth request a POST) for `seconds`, on one kept-alive
 * connection; writes how many requests it made and how many did not succeed. */
static void load(int fd, const char *url, const char *collection, const char *token, double seconds)
{
    CURL *e = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, cg_fmt("Authorization: Bearer %s", token));
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(e, CURLOPT_CAINFO, cg_env("CERTGRAPH_TEST_CA"));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    long long end = cg_now_us() + (long long)(seconds * 1e6);
    int sent[4] = { 0, 0, 0, 0 };   /* requests, failures, the first failure's status and curl code */
    for (int i = 0; cg_now_us() < end; i++) {
        bool post = i % 4 == 3;
        curl_easy_setopt(e, CURLOPT_URL, post ? collection : url);
        if (post) curl_easy_setopt(e, CURLOPT_POSTFIELDS, "{\"subject\":\"during a reload\"}");
        else curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        long status = 0;
        CURLcode rc = curl_easy_perform(e);
        if (rc == CURLE_OK) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        sent[0]++;
        if (status != (post ? 201 : 200) && !sent[1]++) sent[2] = (int)status, sent[3] = (int)rc;
    }
    if (write(fd, sent, sizeof sent) != (ssize_t)sizeof sent) _exit(2);
    _exit(0);
}

static bool any_of(const pid_t *set, int n, pid_t pid)
{
    for (int i = 0; i < n; i++)
        if (set[i] == pid) return true;
    return false;
}

/* Waits until none of the n workers in old is a child of master any more; false after 15 s. */
static bool replaced(pid_t master, const pid_t *old, int n)
{
    for (int tries = 0; tries < 150; tries++) {
        pid_t now[256];
        int m = cg_workers(master, now, 256), kept = 0;
        for (int i = 0; i < m; i++) kept += any_of(old, n, now[i]);
        if (kept == 0 && m == n) return true;
        cg_sleep_ms(100);
    }
    return false;
}

static bool log_has(const char *needle)
{
    FILE *f = fopen(cg_fmt("%s/log/certgraphd.log", cg_env("CERTGRAPH_TEST_VAR")), "r");
    cr_assert_not_null(f);
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

Test(zz_reload, sighup_under_load_replaces_every_worker_and_no_request_fails)
{
    const char *victim = cg_new_tenant();
    write_conf(ROOMY);
    pid_t master = cg_restart_pool(cg_fmt("CERTGRAPH_CONFIG='%s'", conf_path()));
    pid_t before[256];
    int n = cg_workers(master, before, 256);
    cr_assert(n >= 1);
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("beta", ECSC, token, "{\"subject\":\"before the reload\"}");
    cg_assert_status(cg_get("/beta" ECSC, cg_tenant_token(victim)), 200);

    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    const int procs = 4;
    for (int p = 0; p < procs; p++)
        if (fork() == 0) load(fds[1], cg_fmt("%s/beta%s/%s", cg_base(), ECSC, id), cg_fmt("%s/beta%s", cg_base(), ECSC), token, 5.0);
    cg_sleep_ms(1000);
    /* the new file: chaos for one tenant, so it is plain when the new configuration serves */
    write_conf(cg_fmt(ROOMY "chaos = \"rate=1 status=503 tenants=%s\"\n", victim));
    cr_assert_eq(kill(master, SIGHUP), 0);
    cr_assert(replaced(master, before, n), "the workers were not all replaced within 15 s");

    int total = 0, failed = 0, status = 0, curl_code = 0;
    for (int p = 0; p < procs; p++) {
        int sent[4];
        cr_assert_eq(read(fds[0], sent, sizeof sent), (ssize_t)sizeof sent);
        total += sent[0];
        failed += sent[1];
        if (sent[1] && !status && !curl_code) status = sent[2], curl_code = sent[3];
    }
    while (wait(NULL) > 0) {}
    close(fds[0]);
    close(fds[1]);
    cr_assert_eq(failed, 0, "%d of %d requests failed during the reload (the first: status %d, curl code %d)", failed,
                 total, status, curl_code);
    cr_assert_gt(total, 50, "the load made only %d requests", total);
    cr_assert_eq(cg_master_pid(), master, "the master itself stays");
    cg_assert_error(cg_get("/beta" ECSC, cg_tenant_token(victim)), 503, "ServiceUnavailable", "chaos");
    cg_assert_status(cg_get(cg_fmt("/beta%s/%s", ECSC, id), token), 200);
    cr_assert(log_has("event=reloaded generation=1"), "no reloaded event in the log");
}

/* A TCP port that takes connections and never answers: a database host that hangs. */
static int silent_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 64) == 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* The events of the log after the last line holding from, in order, as one string of letters:
 * R for a worker told to retire, N for a worker of the new generation saying it is ready. */
static char *retire_and_ready_order(const char *from)
{
    FILE *f = fopen(cg_fmt("%s/log/certgraphd.log", cg_env("CERTGRAPH_TEST_VAR")), "r");
    cr_assert_not_null(f);
    static char order[512];
    size_t n = 0;
    bool after = false;
    char line[4096];
    while (fgets(line, sizeof line, f) && n + 1 < sizeof order) {
        if (strstr(line, from)) { after = true; n = 0; continue; }
        if (!after) continue;
        if (strstr(line, "event=worker_retiring")) order[n++] = 'R';
        else if (strstr(line, "event=worker_ready") && strstr(line, "generation=1")) order[n++] = 'N';
    }
    fclose(f);
    order[n] = '\0';
    return order;
}

Test(zz_reload, an_old_worker_retires_only_once_its_replacement_is_ready)
{
    /* Every new worker first meets a database host that hangs (connect_timeout 1 s), then reaches
     * PostgreSQL: slow to start, as after a slow name lookup. The old workers must not all be gone
     * meanwhile. */
    int port, pg_port = 0;
    int silent = silent_listener(&port);
    char host[512] = "";
    cr_assert_eq(sscanf(cg_env("CERTGRAPH_TEST_DB_SERVICE"), "host=%511s port=%d", host, &pg_port), 2);
    const char *db = cg_fmt("host=127.0.0.1,%s port=%d,%d dbname=certgraph user=certgraph_service connect_timeout=1",
                            host, port, pg_port);
    write_conf(ROOMY);
    pid_t master = cg_restart_pool(cg_fmt("CERTGRAPH_CONFIG='%s' CERTGRAPH_POOL_DB='%s'", conf_path(), db));
    pid_t before[256];
    int n = cg_workers(master, before, 256);
    cr_assert(n >= 2);
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("beta", ECSC, token, "{\"subject\":\"slow starters\"}");

    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    if (fork() == 0) load(fds[1], cg_fmt("%s/beta%s/%s", cg_base(), ECSC, id), cg_fmt("%s/beta%s", cg_base(), ECSC), token, 4.0 + n * 1.5);
    cg_sleep_ms(500);
    write_conf(ROOMY "app_writes = 99999\n");
    cr_assert_eq(kill(master, SIGHUP), 0);
    cr_assert(replaced(master, before, n), "the workers were not all replaced");
    int sent[4];
    cr_assert_eq(read(fds[0], sent, sizeof sent), (ssize_t)sizeof sent);
    while (wait(NULL) > 0) {}
    close(fds[0]);
    close(fds[1]);
    close(silent);
    cr_assert_eq(sent[1], 0, "%d of %d requests failed during the reload (the first: status %d, curl code %d)", sent[1],
                 sent[0], sent[2], sent[3]);
    /* retire, ready, retire, ready ...: never two old workers told while a new one is still starting */
    const char *order = retire_and_ready_order("event=reloaded generation=1");
    cr_assert_eq(strlen(order), (size_t)(2 * n), "events after the reload: %s", order);
    for (int i = 0; i < 2 * n; i++) cr_assert_eq(order[i], i % 2 ? 'N' : 'R', "events after the reload: %s", order);
}

Test(zz_reload, a_broken_file_is_refused_and_the_old_configuration_keeps_serving)
{
    const char *victim = cg_new_tenant();
    write_conf(cg_fmt(ROOMY "chaos = \"rate=1 status=503 tenants=%s\"\n", victim));
    pid_t master = cg_restart_pool(cg_fmt("CERTGRAPH_CONFIG='%s'", conf_path()));
    pid_t before[256];
    int n = cg_workers(master, before, 256);
    write_conf(ROOMY "throttle_window = forever\n");
    cr_assert_eq(kill(master, SIGHUP), 0);
    bool refused = false;
    for (int tries = 0; tries < 50 && !refused; tries++) {
        refused = log_has("event=reload_refused");
        if (!refused) cg_sleep_ms(100);
    }
    cr_assert(refused, "no reload_refused event in the log");
    cr_assert(log_has("throttle_window (CERTGRAPH_THROTTLE_WINDOW): a whole number"), "the refusal does not say why");
    pid_t after[256];
    int m = cg_workers(master, after, 256);
    cr_assert_eq(m, n);
    for (int i = 0; i < m; i++) cr_assert(any_of(before, n, after[i]), "a worker was replaced by a refused reload");
    cg_assert_error(cg_get("/beta" ECSC, cg_tenant_token(victim)), 503, "ServiceUnavailable", "chaos");
    cg_assert_status(cg_get("/beta" ECSC, cg_tenant_token(cg_new_tenant())), 200);

    /* mended, the next SIGHUP takes it: chaos gone */
    write_conf(ROOMY);
    cr_assert_eq(kill(master, SIGHUP), 0);
    cr_assert(replaced(master, before, n));
    cg_assert_status(cg_get("/beta" ECSC, cg_tenant_token(victim)), 200);
}

static int check_config(const char *file, char **out)
{
    const char *daemon = cg_fmt("%s/certgraphd", cg_env("CERTGRAPH_TEST_BUILD"));
    const char *dump = cg_fmt("%s/check.out", cg_env("CERTGRAPH_TEST_VAR"));
    int rc = system(cg_fmt("env -u CERTGRAPH_WORKERS CERTGRAPH_JWT_KEYS='%s/keys/dev.pub' '%s' --config '%s' --check-config > '%s' 2>&1",
                           cg_env("CERTGRAPH_TEST_VAR"), daemon, file, dump));
    FILE *f = fopen(dump, "r");
    static char buf[8192];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f) fclose(f);
    *out = buf;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

Test(zz_reload, check_config_prints_a_good_file_and_refuses_a_bad_one)
{
    char *out;
    write_conf("workers = 3\njwt_secret = a-shared-hs256-secret\n");
    cr_assert_eq(check_config(conf_path(), &out), 0, "%s", out);
    cr_assert(strstr(out, "workers = \"3\"    # file\n"), "%s", out);
    cr_assert(strstr(out, "jwt_secret = ********    # file\n"), "%s", out);
    cr_assert_null(strstr(out, "a-shared-hs256-secret"), "%s", out);
    write_conf("workers = 3\nthrottle_windw = 5\n");
    cr_assert_eq(check_config(conf_path(), &out), 2, "%s", out);
    cr_assert(strstr(out, "reload.conf:2: no setting named throttle_windw"), "%s", out);
    /* a secret named by the file must be readable, or nothing starts */
    write_conf("db_password_file = /nonexistent/pg-password\n");
    cr_assert_eq(check_config(conf_path(), &out), 2, "%s", out);
    cr_assert(strstr(out, "cannot read the database password from /nonexistent/pg-password"), "%s", out);
}
