#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "chaos.h"
#include "config.h"
#include "errors.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "secret.h"
#include "throttle.h"

#define T1 "11111111-1111-1111-1111-111111111111"
#define T2 "22222222-2222-2222-2222-222222222222"

static throttle *small(int tenant_requests, int tenant_writes, int app_requests, int app_writes)
{
    throttle_limits l = { 20, tenant_requests, tenant_writes, app_requests, app_writes };
    char err[256];
    throttle *t = throttle_new(&l, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    return t;
}

static int admitted(throttle *t, const char *tenant, const char *app, bool write, long long now, int n)
{
    int ok = 0, retry;
    for (int i = 0; i < n; i++) ok += throttle_admit(t, tenant, app, write, now, &retry) == THROTTLE_ADMIT;
    return ok;
}

Test(throttle, tenant_budget_then_429_with_retry_after_and_other_tenants_unaffected)
{
    throttle *t = small(10, 5, 100, 50);
    cr_assert_eq(admitted(t, T1, "a", false, 1000, 10), 10);
    int retry = 0;
    cr_assert_eq(throttle_admit(t, T1, "b", false, 1000, &retry), THROTTLE_TENANT);
    cr_assert_eq(retry, 20, "the oldest of the ten leaves the window in 20 s: %d", retry);
    cr_assert_eq(throttle_admit(t, T1, "b", false, 15500, &retry), THROTTLE_TENANT);
    cr_assert_eq(retry, 6, "5.5 s left, rounded up: %d", retry);
    cr_assert_eq(admitted(t, T2, "a", false, 1000, 10), 10, "another tenant has its own budget");
    throttle_free(t);
}

Test(throttle, sliding_window_holds_at_the_window_edge)
{
    /* 10 admitted at the end of one window may not be followed by 10 more just after its edge:
     * any 20 s holds at most the budget. */
    throttle *t = small(10, 10, 100, 100);
    cr_assert_eq(admitted(t, T1, "a", false, 19900, 10), 10);
    cr_assert_eq(admitted(t, T1, "a", false, 20100, 10), 0, "a fixed window would let 10 more through here");
    cr_assert_eq(admitted(t, T1, "a", false, 39899, 1), 0, "19.999 s after them they still count");
    cr_assert_eq(admitted(t, T1, "a", false, 39900, 10), 10, "20 s after them they have left");
    throttle_free(t);
}

Test(throttle, room_comes_back_one_request_at_a_time)
{
    throttle *t = small(3, 3, 100, 100);
    cr_assert_eq(admitted(t, T1, "a", false, 0, 1), 1);
    cr_assert_eq(admitted(t, T1, "a", false, 5000, 1), 1);
    cr_assert_eq(admitted(t, T1, "a", false, 10000, 1), 1);
    cr_assert_eq(admitted(t, T1, "a", false, 19000, 1), 0);
    cr_assert_eq(admitted(t, T1, "a", false, 20000, 2), 1, "the request of t=0 left: room for one");
    cr_assert_eq(admitted(t, T1, "a", false, 25000, 1), 1);
    throttle_free(t);
}

Test(throttle, writes_have_their_own_smaller_budget)
{
    throttle *t = small(10, 2, 100, 100);
    cr_assert_eq(admitted(t, T1, "a", true, 0, 5), 2);
    cr_assert_eq(admitted(t, T1, "a", false, 0, 10), 8, "reads still fit in what is left of the 10");
    int retry;
    cr_assert_eq(throttle_admit(t, T1, "a", false, 0, &retry), THROTTLE_TENANT);
    throttle_free(t);
}

Test(throttle, application_budget_separately_from_the_tenants)
{
    throttle *t = small(100, 50, 4, 2);
    cr_assert_eq(admitted(t, T1, "app-one", false, 0, 6), 4);
    int retry;
    cr_assert_eq(throttle_admit(t, T1, "app-one", false, 0, &retry), THROTTLE_APP);
    cr_assert_eq(admitted(t, T1, "app-two", false, 0, 4), 4, "another application of the tenant has its own");
    cr_assert_eq(admitted(t, T2, "app-one", false, 0, 4), 4, "the same application in another tenant too");
    cr_assert_eq(admitted(t, T1, "app-three", true, 0, 3), 2, "and its own writes");
    throttle_free(t);
}

Test(throttle, refused_requests_spend_nothing)
{
    throttle *t = small(100, 50, 2, 2);
    cr_assert_eq(admitted(t, T1, "a", false, 0, 2), 2);
    cr_assert_eq(admitted(t, T1, "a", false, 0, 50), 0);
    int others = 0;
    char app[16];
    for (int i = 0; i < 49; i++) {
        snprintf(app, sizeof app, "app-%d", i);
        others += admitted(t, T1, app, false, 0, 2);
    }
    cr_assert_eq(others, 98, "the tenant spent 2 of its 100, not 52");
    cr_assert_eq(admitted(t, T1, "one-more", false, 0, 1), 0, "and now it has spent all 100");
    throttle_free(t);
}

Test(throttle, counted_exactly_across_processes)
{
    /* Workers are processes sharing the mapping: four of them racing for a budget of 1000 get
     * exactly 1000 between them. */
    throttle *t = small(1000, 1000, 100000, 100000);
    int pipes[4][2];
    for (int p = 0; p < 4; p++) {
        cr_assert_eq(pipe(pipes[p]), 0);
        if (fork() == 0) {
            int ok = admitted(t, T1, "a", false, 0, 600);
            if (write(pipes[p][1], &ok, sizeof ok) != sizeof ok) _exit(1);
            _exit(0);
        }
    }
    int total = 0;
    for (int p = 0; p < 4; p++) {
        int ok = 0;
        cr_assert_eq(read(pipes[p][0], &ok, sizeof ok), (ssize_t)sizeof ok);
        total += ok;
        wait(NULL);
    }
    cr_assert_eq(total, 1000);
    throttle_free(t);
}

Test(throttle, many_tenants_each_keep_their_own_count)
{
    throttle *t = small(3, 3, 100, 100);
    char tenant[37];
    for (int i = 0; i < 500; i++) {
        snprintf(tenant, sizeof tenant, "%08d-0000-0000-0000-000000000000", i);
        cr_assert_eq(admitted(t, tenant, "a", false, 0, 5), 3, "tenant %d", i);
    }
    throttle_free(t);
}

Test(throttle, limits_are_checked)
{
    throttle_limits l = { 20, 10, 20, 5, 1 };
    char err[256];
    cr_assert_null(throttle_new(&l, err, sizeof err), "more writes than requests");
}

Test(chaos, parses_and_refuses)
{
    chaos c;
    char err[256];
    cr_assert(chaos_parse(&c, "rate=0.3", err, sizeof err));
    cr_assert_eq(c.nstatuses, 1);
    cr_assert_eq(c.statuses[0], 429);
    cr_assert_eq(c.ntenants, 0);
    cr_assert(chaos_parse(&c, " status=503,504  rate=1 tenants=" T1 "," T2 " retry-after=7 ", err, sizeof err));
    cr_assert_eq(c.nstatuses, 2);
    cr_assert_eq(c.statuses[1], 504);
    cr_assert_eq(c.ntenants, 2);
    cr_assert_eq(c.retry_after, 7);
    /* one tenant more than it holds: refused, nothing written past the list */
    char many[2048] = "rate=0.5 tenants=";
    for (int i = 0; i <= CHAOS_MAX_TENANTS; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s%08d-0000-0000-0000-000000000000", i ? "," : "", i);
    cr_assert_not(chaos_parse(&c, many, err, sizeof err));
    cr_assert_leq(c.ntenants, CHAOS_MAX_TENANTS);
    const char *bad[] = { "", "rate=2", "rate=-0.1", "rate=x", "rate=0.5 status=500", "rate=0.5 tenants=nope",
                          "rate=0.5 colour=red", "rate", "rate=0.5 retry-after=0", "status=429" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_not(chaos_parse(&c, bad[i], err, sizeof err), "%s", bad[i]);
}

Test(chaos, picks_at_the_rate_among_the_statuses_for_the_listed_tenants)
{
    chaos c;
    char err[256];
    cr_assert(chaos_parse(&c, "rate=0.3 status=429,503,504 tenants=" T1, err, sizeof err));
    int seen[3] = { 0 }, served = 0;
    for (int i = 0; i < 1000; i++) {
        int s = chaos_pick(&c, T1, i / 1000.0);
        if (!s) served++;
        else seen[s == 429 ? 0 : s == 503 ? 1 : 2]++;
    }
    cr_assert_eq(served, 700);
    cr_assert_eq(seen[0], 100);
    cr_assert_eq(seen[1], 100);
    cr_assert_eq(seen[2], 100);
    cr_assert_eq(chaos_pick(&c, T2, 0.0), 0, "a tenant not listed is never hit");
    cr_assert_eq(chaos_pick(&c, "11111111-1111-1111-1111-11111111111A", 0.0), 0);
}

Test(metrics, render_counts_in_prometheus_text)
{
    metrics *m = metrics_new();
    cr_assert_not_null(m);
    metrics_attach(m);
    metrics_request("microsoft.graph.managedAllDeviceCertificateState", "GET", 200, 0.003);
    metrics_request("microsoft.graph.managedAllDeviceCertificateState", "GET", 200, 0.2);
    metrics_request("$batch", "POST", 429, 20.0);
    metrics_request("nothing we know", "BREW", 418, 0.0);
    metrics_count(METRIC_THROTTLED_APP);
    metrics_fault(503);
    metrics_workers_alive(3);
    arena *a = arena_new(4096);
    const char *text = metrics_render(a);
    const char *want[] = {
        "certgraph_requests_total{resource=\"managedAllDeviceCertificateState\",method=\"GET\",status=\"200\"} 2\n",
        "certgraph_requests_total{resource=\"$batch\",method=\"POST\",status=\"429\"} 1\n",
        "certgraph_requests_total{resource=\"other\",method=\"other\",status=\"other\"} 1\n",
        "certgraph_request_duration_seconds_bucket{resource=\"managedAllDeviceCertificateState\",le=\"0.001\"} 0\n",
        "certgraph_request_duration_seconds_bucket{resource=\"managedAllDeviceCertificateState\",le=\"0.005\"} 1\n",
        "certgraph_request_duration_seconds_bucket{resource=\"managedAllDeviceCertificateState\",le=\"0.25\"} 2\n",
        "certgraph_request_duration_seconds_bucket{resource=\"$batch\",le=\"10\"} 0\n",
        "certgraph_request_duration_seconds_bucket{resource=\"$batch\",le=\"+Inf\"} 1\n",
        "certgraph_request_duration_seconds_count{resource=\"managedAllDeviceCertificateState\"} 2\n",
        "certgraph_throttled_total{budget=\"application\"} 1\n",
        "certgraph_throttled_total{budget=\"tenant\"} 0\n",
        "certgraph_faults_injected_total{status=\"503\"} 1\n",
        "certgraph_workers_alive 3\n",
        "# TYPE certgraph_request_duration_seconds histogram\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) cr_assert(strstr(text, want[i]), "missing %s", want[i]);
    cr_assert_null(strstr(text, "auditEvent\""), "no series for what was never asked");
    /* one HELP and TYPE per family, as the exposition format requires */
    const char *first = strstr(text, "# TYPE certgraph_throttled_total");
    cr_assert_not_null(first);
    cr_assert_null(strstr(first + 1, "# TYPE certgraph_throttled_total"));
    arena_free(a);
    metrics_free(m);
}

static request metrics_request_from(arena *a, const char *ip)
{
    return (request){ .a = a, .method = "GET", .uri = "/metrics", .client_ip = ip, .request_id = "r" };
}

Test(metrics, served_to_loopback_else_only_with_the_metrics_token)
{
    metrics *m = metrics_new();
    metrics_attach(m);
    arena *a = arena_new(4096);
    response rs;
    request rq = metrics_request_from(a, "127.0.0.1");
    response_init(&rs, a);
    handle_metrics(&rq, &rs, NULL);
    cr_assert_eq(rs.status, 200);
    cr_assert(strstr(rs.body.data, "certgraph_workers_alive"));

    rq = metrics_request_from(a, "10.1.2.3");
    response_init(&rs, a);
    handle_metrics(&rq, &rs, "Bearer whatever-it-is-long-enough");
    cr_assert_eq(rs.status, 403, "no token configured: only loopback");

    char path[] = "/tmp/certgraph-metrics-token-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *token = "s3cret-metrics-token-0123456789\n";
    cr_assert_eq(write(fd, token, strlen(token)), (ssize_t)strlen(token));
    close(fd);
    char err[256];
    cr_assert(health_metrics_token_load(path, err, sizeof err), "%s", err);
    unlink(path);
    response_init(&rs, a);
    handle_metrics(&rq, &rs, "Bearer s3cret-metrics-token-0123456789");
    cr_assert_eq(rs.status, 200);
    response_init(&rs, a);
    handle_metrics(&rq, &rs, "Bearer s3cret-metrics-token-012345678");
    cr_assert_eq(rs.status, 403, "a prefix of the token is not the token");
    response_init(&rs, a);
    handle_metrics(&rq, &rs, NULL);
    cr_assert_eq(rs.status, 403);
    arena_free(a);
    metrics_free(m);
}

/* ---- configuration ----------------------------------------------------------------------------- */

static int load(config *c, char *err, const char *const *args)
{
    char *argv[16] = { "certgraphd" };
    int argc = 1;
    for (; args[argc - 1]; argc++) argv[argc] = (char *)args[argc - 1];
    static const char *const vars[] = { "CERTGRAPH_THROTTLING", "CERTGRAPH_CHAOS", "CERTGRAPH_PROFILE",
                                        "CERTGRAPH_TENANT_REQUESTS", "CERTGRAPH_TENANT_WRITES", "CERTGRAPH_APP_REQUESTS",
                                        "CERTGRAPH_APP_WRITES", "CERTGRAPH_THROTTLE_WINDOW" };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
    return config_load(c, argc, argv, err, 512);
}

Test(config, throttling_defaults_are_graphs_intune_limits)
{
    config c;
    char err[512];
    cr_assert_eq(load(&c, err, (const char *[]){ NULL }), 0, "%s", err);
    cr_assert(c.throttling);
    cr_assert(c.production);
    cr_assert_not(c.chaos_on);
    cr_assert_eq(c.limits.window_seconds, 20);
    cr_assert_eq(c.limits.tenant_requests, 2000);
    cr_assert_eq(c.limits.tenant_writes, 200);
    cr_assert_eq(c.limits.app_requests, 1000);
    cr_assert_eq(c.limits.app_writes, 100);
    cr_assert_eq(load(&c, err, (const char *[]){ "--throttling", "off", "--tenant-requests", "50", NULL }), 0, "%s", err);
    cr_assert_not(c.throttling);
    cr_assert_eq(c.limits.tenant_requests, 50);
}

Test(config, the_environment_switches_throttling_off)
{
    config c;
    char err[512];
    char *argv[] = { "certgraphd", NULL };
    unsetenv("CERTGRAPH_CHAOS");
    setenv("CERTGRAPH_THROTTLING", "off", 1);
    cr_assert_eq(config_load(&c, 1, argv, err, sizeof err), 0, "%s", err);
    cr_assert_not(c.throttling);
    setenv("CERTGRAPH_THROTTLING", "maybe", 1);
    cr_assert_neq(config_load(&c, 1, argv, err, sizeof err), 0);
    cr_assert(strstr(err, "CERTGRAPH_THROTTLING"), "%s", err);
    unsetenv("CERTGRAPH_THROTTLING");
}

Test(config, bad_budgets_are_refused)
{
    config c;
    char err[512];
    cr_assert_neq(load(&c, err, (const char *[]){ "--tenant-writes", "3000", NULL }), 0);
    cr_assert(strstr(err, "writes"), "%s", err);
    cr_assert_neq(load(&c, err, (const char *[]){ "--app-requests", "0", NULL }), 0);
    cr_assert_neq(load(&c, err, (const char *[]){ "--tenant-requests", "100001", NULL }), 0);
    cr_assert_neq(load(&c, err, (const char *[]){ "--throttling", "yes", NULL }), 0);
}

Test(config, chaos_for_every_tenant_is_refused_in_a_production_profile)
{
    config c;
    char err[512];
    cr_assert_neq(load(&c, err, (const char *[]){ "--chaos", "rate=0.3", NULL }), 0);
    cr_assert(strstr(err, "production"), "%s", err);
    cr_assert_eq(load(&c, err, (const char *[]){ "--chaos", "rate=0.3", "--profile", "development", NULL }), 0, "%s", err);
    cr_assert(c.chaos_on);
    cr_assert_eq(load(&c, err, (const char *[]){ "--chaos", "rate=0.3 tenants=" T1, NULL }), 0, "%s", err);
    cr_assert_eq(c.chaos.ntenants, 1);
    cr_assert_neq(load(&c, err, (const char *[]){ "--chaos", "rate=lots", "--profile", "development", NULL }), 0);
    cr_assert_neq(load(&c, err, (const char *[]){ "--profile", "staging", NULL }), 0);
}

/* ---- the log format ---------------------------------------------------------------------------- */

/* Runs fn with stderr going to a pipe; the bytes it wrote. */
static char *captured(void (*fn)(void))
{
    static char buf[8192];
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    int saved = dup(STDERR_FILENO);
    dup2(fds[1], STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fds[1]);
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void two_events(void)
{
    log_set_component("worker");
    log_set_request("0c3f5b2a-1111-4222-8333-444455556666");
    log_event(LOG_WARN, "db_unavailable", "error", "could not connect: \"x\" = y\n\tsecond line\n", "absent", NULL,
              "plain", "ok", NULL);
    log_set_request(NULL);
    log_event(LOG_INFO, "pool_started", "workers", "4", NULL);
}

Test(log, one_key_value_line_per_event_quoted_where_needed)
{
    char *out = captured(two_events);
    char *second = strchr(out, '\n');
    cr_assert_not_null(second);
    *second++ = '\0';
    cr_assert(strncmp(out, "ts=", 3) == 0 && strstr(out, "Z level=warn component=worker pid="), "%s", out);
    cr_assert(strstr(out, " event=db_unavailable request_id=0c3f5b2a-1111-4222-8333-444455556666 "
                          "error=\"could not connect: \\\"x\\\" = y\\n\\tsecond line\" plain=ok"), "%s", out);
    cr_assert_null(strstr(out, "absent"), "a NULL value writes no key");
    cr_assert(strstr(second, " level=info component=worker "), "%s", second);
    cr_assert(strstr(second, " event=pool_started workers=4\n"), "%s", second);
    cr_assert_null(strstr(second, "request_id"), "no request, no request_id");
}

static const char *write_conf(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/certgraph-conf-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

Test(config, a_file_is_read_and_each_later_source_wins)
{
    config c;
    char err[512];
    char *argv[] = { "certgraphd", "--config", NULL, "--workers", "5", NULL };
    const char *path = write_conf("workers = 3\ntenant_requests = 900\ntenant_writes=90\n"
                                  "public_url = \"https://graph.example.test\"\nprofile = development\n");
    argv[2] = (char *)path;
    unsetenv("CERTGRAPH_WORKERS");
    unsetenv("CERTGRAPH_PUBLIC_URL");
    unsetenv("CERTGRAPH_PROFILE");
    unsetenv("CERTGRAPH_TENANT_WRITES");
    setenv("CERTGRAPH_TENANT_REQUESTS", "800", 1);
    cr_assert_eq(config_load(&c, 5, argv, err, sizeof err), CONFIG_OK, "%s", err);
    cr_assert_eq(c.workers, 5, "a flag over the file");
    cr_assert_eq(c.limits.tenant_requests, 800, "the environment over the file");
    cr_assert_eq(c.limits.tenant_writes, 90, "the file over the default");
    cr_assert_str_eq(c.public_url, "https://graph.example.test", "quotes taken off");
    cr_assert_not(c.production);
    config_free(&c);
    unlink(path);
}

Test(config, a_bad_file_is_refused_with_its_line)
{
    config c;
    char err[512];
    char *argv[] = { "certgraphd", "--config", NULL, NULL };
    const char *bad[][2] = { { "workers = 3\nwrkers = 4\n", ":2: no setting named wrkers" },
                             { "workers\n", ":1: expected name = value" },
                             { "workers = many\n", "workers (CERTGRAPH_WORKERS): a whole number" },
                             { "public_url = https://x.example/path/\n", "public_url" } };
    unsetenv("CERTGRAPH_WORKERS");
    unsetenv("CERTGRAPH_PUBLIC_URL");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        argv[2] = (char *)write_conf(bad[i][0]);
        cr_assert_eq(config_load(&c, 3, argv, err, sizeof err), CONFIG_ERROR, "%s", bad[i][0]);
        cr_assert(strstr(err, bad[i][1]), "%s: %s", bad[i][0], err);
        config_free(&c);
        unlink(argv[2]);
    }
    argv[2] = "/nonexistent/certgraphd.conf";
    cr_assert_eq(config_load(&c, 3, argv, err, sizeof err), CONFIG_ERROR);
    config_free(&c);
    cr_assert_eq(config_load(&c, 2, argv, err, sizeof err), CONFIG_ERROR, "--config with no file");
    cr_assert(strstr(err, "--config needs a file"), "%s", err);
    config_free(&c);
}

Test(config, the_printout_masks_secrets_and_names_sources)
{
    config c;
    char err[512];
    setenv("CERTGRAPH_JWT_SECRET", "hs256-shared-secret", 1);
    setenv("CERTGRAPH_DB", "host=/run dbname=certgraph password=hunter2 user=svc", 1);
    char *argv[] = { "certgraphd", "--workers", "7", NULL };
    cr_assert_eq(config_load(&c, 3, argv, err, sizeof err), CONFIG_OK, "%s", err);
    char out[8192] = "";
    FILE *f = fmemopen(out, sizeof out - 1, "w");
    config_print(&c, f);
    fclose(f);
    cr_assert_null(strstr(out, "hs256-shared-secret"), "%s", out);
    cr_assert_null(strstr(out, "hunter2"), "%s", out);
    cr_assert(strstr(out, "jwt_secret = ********    # environment\n"), "%s", out);
    cr_assert(strstr(out, "db = host=/run dbname=certgraph password=******** user=svc    # environment\n"), "%s", out);
    cr_assert(strstr(out, "workers = \"7\"    # flag\n"), "%s", out);
    cr_assert(strstr(out, "throttle_window = \"20\"    # default\n"), "%s", out);
    setenv("CERTGRAPH_DB", "postgresql://svc:hunter2@db.example/certgraph", 1);
    config_free(&c);
    cr_assert_eq(config_load(&c, 3, argv, err, sizeof err), CONFIG_OK, "%s", err);
    f = fmemopen(out, sizeof out - 1, "w");
    config_print(&c, f);
    fclose(f);
    cr_assert(strstr(out, "db = postgresql://svc:********@db.example/certgraph"), "%s", out);
    config_free(&c);
}

Test(config, help_is_made_from_the_table)
{
    config c;
    char err[8192];
    char *argv[] = { "certgraphd", "--help", NULL };
    cr_assert_eq(config_load(&c, 2, argv, err, sizeof err), CONFIG_HELP);
    cr_assert(strstr(err, "usage: certgraphd"));
    cr_assert(strstr(err, "CERTGRAPH_TENANT_WRITES"), "%s", err);
    cr_assert(strstr(err, "--metrics-token"), "%s", err);
    config_free(&c);
}

static const char *secret_file(const char *content)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/certgraph-secret-%d", (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(content, f);
    fclose(f);
    return path;
}

Test(secret, the_first_line_without_its_ending)
{
    char out[32], err[256];
    cr_assert(secret_read_line(secret_file("s3cret pass\r\nsecond line\n"), "password", 1, out, sizeof out, err,
                               sizeof err), "%s", err);
    cr_assert_str_eq(out, "s3cret pass");
    cr_assert(secret_read_line(secret_file("no newline"), "password", 1, out, sizeof out, err, sizeof err));
    cr_assert_str_eq(out, "no newline");
    /* 30 characters fit in 32 bytes with a line ending; 31 do not */
    cr_assert(secret_read_line(secret_file("123456789012345678901234567890\n"), "password", 1, out, sizeof out, err,
                               sizeof err), "%s", err);
    cr_assert_eq(strlen(out), 30);
    unlink(secret_file(""));
}

Test(secret, refused_when_missing_empty_short_or_too_long)
{
    char out[32], err[256];
    cr_assert_not(secret_read_line("/nonexistent/pw", "database password", 1, out, sizeof out, err, sizeof err));
    cr_assert_str_eq(err, "cannot read the database password from /nonexistent/pw");
    cr_assert_not(secret_read_line(secret_file("\nsecond\n"), "password", 1, out, sizeof out, err, sizeof err));
    cr_assert(strstr(err, "shorter than 1 characters"), "%s", err);
    cr_assert_not(secret_read_line(secret_file("short\n"), "metrics token", 16, out, sizeof out, err, sizeof err));
    cr_assert(strstr(err, "metrics token"), "%s", err);
    cr_assert_not(secret_read_line(secret_file("1234567890123456789012345678901\n"), "password", 1, out, sizeof out,
                                   err, sizeof err));
    cr_assert(strstr(err, "longer than 30 characters"), "%s", err);
    cr_assert_eq(out[0], '\0', "a refused secret is not left behind");
    unlink(secret_file(""));
}
