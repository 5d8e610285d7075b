/* Disruptive tests: a worker killed with SIGKILL, PostgreSQL stopped and started again. Each test
 * restores the stack before it ends (also when an assertion fails: see resilience_fini). The suite
 * is named so that Criterion, which orders suites by name, runs it last. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "client.h"

static bool pg_stopped;

static void start_postgres(void)
{
    int rc = system(cg_env("CERTGRAPH_TEST_PG_START"));
    cr_assert_eq(rc, 0, "CERTGRAPH_TEST_PG_START failed (%d)", rc);
    pg_stopped = false;
}

static void resilience_fini(void)
{
    cg_restore_pool();
    if (pg_stopped) {
        const char *start = getenv("CERTGRAPH_TEST_PG_START");
        if (start && system(start) == 0) pg_stopped = false;
    }
    cg_teardown();
}

TestSuite(zz_resilience, .init = cg_setup, .fini = resilience_fini, .timeout = 180);

static bool contains(const pid_t *list, int n, pid_t pid)
{
    for (int i = 0; i < n; i++)
        if (list[i] == pid) return true;
    return false;
}

/* Retries a request for a 2xx until the deadline (microseconds), counting the failures. */
static cg_response *until_2xx_counted(const cg_req *rq, long long deadline, int *failures)
{
    for (;;) {
        cg_response *r = cg_do(rq);
        if ((r->status >= 200 && r->status < 300) || cg_now_us() >= deadline) return r;
        ++*failures;
        cg_free(r);
        cg_sleep_ms(100);
    }
}

/* Kills one worker with SIGKILL, then: a handful of requests over at most 5 s all end in a 2xx, and
 * the master is back to n workers, the killed one not among them. */
static void kill_one_and_recover(pid_t master, int n, pid_t victim, const char *token, const char *item, int round)
{
    cr_assert_eq(kill(victim, SIGKILL), 0, "cannot kill worker %d", (int)victim);
    long long deadline = cg_now_us() + 5000000;
    int failures = 0;
    for (int i = 0; i < 6; i++) {
        cg_response *r;
        switch (i % 3) {
        case 0: r = until_2xx_counted(&(cg_req){ .path = "/beta" ECSC, .token = token }, deadline, &failures); break;
        case 1:
            r = until_2xx_counted(&(cg_req){ .method = "POST", .path = "/beta" ECSC, .token = token,
                                             .body = "{\"subject\":\"after a kill\"}" }, deadline, &failures);
            break;
        default: r = until_2xx_counted(&(cg_req){ .path = item, .token = token }, deadline, &failures); break;
        }
        cr_assert(r->status >= 200 && r->status < 300, "kill #%d (worker %d), request %d: %s %s -> %ld (%s) %s", round,
                  (int)victim, i, r->method, r->url, r->status, r->curl_error, r->body);
    }
    if (failures) cr_log_info("kill #%d (worker %d): %d answers were not 2xx before the pool recovered", round, (int)victim, failures);

    cr_assert_eq(kill(master, 0), 0, "the certgraphd master died");
    pid_t after[256];
    int m = 0;
    long long until = cg_now_us() + 5000000;
    do {
        m = cg_workers(master, after, 256);
        if (m == n && !contains(after, m, victim)) break;
        cg_sleep_ms(100);
    } while (cg_now_us() < until);
    cr_assert_eq(m, n, "kill #%d: certgraphd has %d workers, had %d", round, m, n);
    cr_assert(!contains(after, m, victim), "kill #%d: the killed worker %d is still listed", round, (int)victim);
}

Test(zz_resilience, a_killed_worker_is_replaced_and_requests_keep_succeeding)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    pid_t master = cg_master_pid();
    pid_t before[256];
    int n = cg_workers(master, before, 256);
    cr_assert(n >= 1 && n <= 256, "certgraphd master %d has %d workers", (int)master, n);
    const char *id = cg_create("beta", ECSC, token, "{\"subject\":\"before the kill\"}");
    const char *item = cg_fmt("/beta%s/%s", ECSC, id);
    cg_response *before_kills = cg_metrics();

    /* One worker at a time, each of the original ones in turn, so that one of the kills hits the
     * worker nginx keeps a FastCGI connection to. */
    for (int k = 0; k < n && k < 8; k++) kill_one_and_recover(master, n, before[k], token, item, k + 1);

    /* All the data is there: one from before, two per kill. */
    cg_response *r = cg_get("/beta" ECSC, token);
    cg_assert_status(r, 200);
    size_t kills = (size_t)(n < 8 ? n : 8);
    cr_assert_eq(cg_member(r->json, "value")->u.array.len, 1 + 2 * kills, "%s", r->body);
    cr_assert_str_eq(cg_str(cg_get(item, token)->json, "subject"), "before the kill");
    /* and /metrics saw each death and replacement */
    cg_response *after = cg_metrics();
    cr_assert_eq(cg_metric(after, "certgraph_worker_respawns_total") - cg_metric(before_kills, "certgraph_worker_respawns_total"),
                 (double)kills);
    cr_assert_eq(cg_metric(after, "certgraph_workers_started_total") - cg_metric(before_kills, "certgraph_workers_started_total"),
                 (double)kills);
    cr_assert_eq(cg_metric(after, "certgraph_workers_alive"), (double)n);
}

Test(zz_resilience, postgres_down_is_503_and_acknowledged_writes_survive_a_restart)
{
    const char *tenant = cg_new_tenant();
    const char *token = cg_tenant_token(tenant);
    pid_t master = cg_master_pid();
    pid_t workers[256];
    int nworkers = cg_workers(master, workers, 256);

    /* Writes acknowledged before the stop. */
    enum { N = 8 };
    const char *ids[N];
    for (int i = 0; i < N; i++) ids[i] = cg_create("beta", ECSC, token, cg_fmt("{\"subject\":\"acknowledged %d\"}", i));
    const char *state = cg_create("beta", STATES, token, "{\"certificateRevokeStatus\":\"revoked\"}");
    cg_assert_status(cg_patch("/beta" SYMANTEC, token, "{\"subjectName\":\"acknowledged singleton\"}"), 200);
    cg_assert_status(cg_patch(cg_fmt("/beta%s/%s", ECSC, ids[0]), token, "{\"issuer\":\"patched before the stop\"}"), 200);
    cg_assert_status(cg_delete(cg_fmt("/beta%s/%s", ECSC, ids[N - 1]), token), 204);

    pg_stopped = true;
    int rc = system(cg_env("CERTGRAPH_TEST_PG_STOP"));
    cr_assert_eq(rc, 0, "CERTGRAPH_TEST_PG_STOP failed (%d)", rc);

    /* Every kind of request, enough of them to reach every worker: 503, quickly, as Graph JSON. */
    for (int i = 0; i < 2 * nworkers + 4; i++) {
        cg_response *r;
        switch (i % 5) {
        case 0: r = cg_call(.path = "/beta" ECSC, .token = token, .timeout = 15); break;
        case 1: r = cg_call(.path = cg_fmt("/v1.0%s/%s", ECSC, ids[1]), .token = token, .timeout = 15); break;
        case 2: r = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = "{}", .timeout = 15); break;
        case 3:
            r = cg_call(.method = "PATCH", .path = "/beta" SYMANTEC, .token = token, .body = "{}", .timeout = 15);
            break;
        default: r = cg_call(.method = "DELETE", .path = cg_fmt("/beta%s/%s", ECSC, ids[2]), .token = token, .timeout = 15); break;
        }
        cr_assert_eq(r->curl_code, 0, "%s %s with PostgreSQL down: %s", r->method, r->url, r->curl_error);
        cg_assert_error(r, 503, "ServiceUnavailable", NULL);
        cr_assert(r->seconds < 10, "%s %s took %.1f s to answer 503", r->method, r->url, r->seconds);
        /* no internals in the message */
        const char *message = cg_str(cg_member(r->json, "error"), "message");
        const char *internals[] = { "postgres", "PQ", "libpq", "socket", "/tmp", "connection to server", "SQLSTATE" };
        for (size_t k = 0; k < sizeof internals / sizeof internals[0]; k++)
            cr_assert(!strcasestr(message, internals[k]), "the 503 message shows internals: %s", message);
    }
    cr_assert_eq(kill(master, 0), 0, "the certgraphd master died while PostgreSQL was down");
    cr_assert_eq(cg_workers(master, workers, 256), nworkers, "workers died while PostgreSQL was down");

    start_postgres();

    /* Back within ~15 s. */
    long long deadline = cg_now_us() + 15000000;
    int failures = 0;
    cg_response *r = until_2xx_counted(&(cg_req){ .path = "/beta" ECSC, .token = token }, deadline, &failures);
    cg_assert_status(r, 200);
    /* every worker reconnects: a few rounds of requests all succeed */
    for (int i = 0; i < 2 * nworkers; i++) {
        r = until_2xx_counted(&(cg_req){ .path = cg_fmt("/beta%s/%s", ECSC, ids[i % (N - 1)]), .token = token }, deadline,
                              &failures);
        cg_assert_status(r, 200);
    }

    r = cg_get("/beta" ECSC, token);
    cg_assert_ok(cg_check_collection_response(r, &CG_ECSC, "beta"));
    cr_assert_eq(cg_member(r->json, "value")->u.array.len, N - 1, "after the restart: %s", r->body);
    for (int i = 0; i < N - 1; i++) {
        r = cg_get(cg_fmt("/beta%s/%s", ECSC, ids[i]), token);
        cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
        cr_assert_str_eq(cg_str(r->json, "subject"), cg_fmt("acknowledged %d", i));
    }
    r = cg_get(cg_fmt("/beta%s/%s", ECSC, ids[0]), token);
    cr_assert_str_eq(cg_str(r->json, "issuer"), "patched before the stop");
    cg_assert_error(cg_get(cg_fmt("/beta%s/%s", ECSC, ids[N - 1]), token), 404, "ResourceNotFound", NULL);
    r = cg_get(cg_fmt("/beta%s/%s", STATES, state), token);
    cg_assert_status(r, 200);
    cr_assert_str_eq(cg_str(r->json, "certificateRevokeStatus"), "revoked");
    r = cg_get("/beta" SYMANTEC, token);
    cg_assert_status(r, 200);
    cr_assert_str_eq(cg_str(r->json, "subjectName"), "acknowledged singleton");
    /* and new writes work */
    cg_assert_status(cg_post("/beta" ECSC, token, "{}"), 201);
}

Test(zz_resilience, workers_are_recycled_after_max_requests_without_failing_a_request)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    pid_t master = cg_restart_pool("CERTGRAPH_MAX_REQUESTS=10");
    pid_t first[256];
    int n = cg_workers(master, first, 256);
    cr_assert(n >= 1, "no workers after the restart");
    const char *id = cg_create("beta", ECSC, token, "{\"subject\":\"recycled\"}");

    /* Ten requests per worker and a few rounds more: every original worker must have been replaced,
     * and nginx must never have seen a worker go away under a request. */
    int total = 10 * n * 4;
    for (int i = 0; i < total; i++) {
        cg_response *r = i % 4 == 3 ? cg_post("/beta" ECSC, token, "{\"subject\":\"while recycling\"}")
                                    : cg_get(cg_fmt("/beta%s/%s", ECSC, id), token);
        cr_assert(r->status == 200 || r->status == 201, "request %d of %d while recycling: %ld %s", i, total, r->status,
                  r->body);
        cg_free(r);
    }
    pid_t after[256];
    int m = 0;
    for (int tries = 0; tries < 50; tries++) {   /* a replacement may be on its way */
        m = cg_workers(master, after, 256);
        if (m == n) break;
        cg_sleep_ms(100);
    }
    cr_assert_eq(m, n, "the pool has %d workers, had %d", m, n);
    for (int i = 0; i < n; i++)
        cr_assert(!contains(after, m, first[i]), "worker %d served more than 10 requests and was not replaced",
                  (int)first[i]);
    cg_response *page = cg_metrics();
    cr_assert_geq(cg_metric(page, "certgraph_workers_recycled_total"), (double)n);
    cr_assert_eq(cg_metric(page, "certgraph_worker_respawns_total"), 0, "a recycled worker did not die");
    cg_restore_pool();
}

Test(zz_resilience, sigterm_drains_the_pool_and_a_restart_serves_again)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    pid_t master = cg_master_pid();
    pid_t workers[256];
    int n = cg_workers(master, workers, 256);
    cr_assert(n >= 1);
    cr_assert_eq(kill(master, SIGTERM), 0);
    /* Idle workers stop at once; the master follows them. */
    long long deadline = cg_now_us() + 10000000;
    while (kill(master, 0) == 0 && cg_now_us() < deadline) cg_sleep_ms(50);
    cr_assert_neq(kill(master, 0), 0, "the master is still running 10 s after SIGTERM");
    for (int i = 0; i < n; i++) cr_assert_neq(kill(workers[i], 0), 0, "worker %d outlived the master", (int)workers[i]);

    /* Without a pool nginx answers 503 with a Graph body; after a start, requests succeed again. */
    cg_assert_error(cg_get("/beta" ECSC, token), 503, "ServiceUnavailable", NULL);
    cr_assert_eq(system(cg_env("CERTGRAPH_TEST_POOL_START")), 0, "pool-start failed");
    cg_assert_status(cg_get("/beta" ECSC, token), 200);
}

Test(zz_resilience, a_configured_public_url_is_used_for_absolute_urls_whatever_the_host)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_restart_pool("CERTGRAPH_PUBLIC_URL=https://graph.example.test:9443");
    cg_response *r = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = "{}",
                             .headers = { "Host: attacker.example:1" });
    cg_assert_status(r, 201);
    const char *location = cg_header(r, "Location");
    cr_assert(location && strncmp(location, "https://graph.example.test:9443/beta" ECSC "/", 37 + strlen(ECSC)) == 0,
              "Location: %s", location ? location : "(none)");
    cr_assert(strncmp(cg_str(r->json, "@odata.context"), "https://graph.example.test:9443/beta/$metadata#", 47) == 0,
              "%s", cg_str(r->json, "@odata.context"));
    cg_restore_pool();
    /* The dev stack's default: the origin it serves, whatever the Host. */
    r = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = "{}", .headers = { "Host: localhost:1" });
    cg_assert_status(r, 201);
    cr_assert(strncmp(cg_header(r, "Location"), cg_fmt("%s/beta", cg_base()), strlen(cg_fmt("%s/beta", cg_base()))) == 0,
              "Location: %s", cg_header(r, "Location"));
}

/* Without a public URL (CERTGRAPH_PUBLIC_URL empty), the origin is the Host the client named. */
Test(zz_resilience, without_a_public_url_urls_name_the_host_and_port_called)
{
    cg_restart_pool("CERTGRAPH_PUBLIC_URL=");
    /* The development certificate also names localhost. */
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *base = cg_fmt("https://localhost:%s", cg_port());
    const char *resolve = cg_fmt("localhost:%s:127.0.0.1", cg_port());
    cg_response *r = cg_call(.method = "POST", .path = cg_fmt("%s/v1.0%s", base, ECSC), .token = token,
                             .body = "{}", .resolve = resolve);
    cg_assert_status(r, 201);
    const char *id = cg_str(r->json, "id");
    cr_assert_str_eq(cg_header(r, "Location"), cg_fmt("%s/v1.0%s/%s", base, ECSC, id));
    cr_assert_str_eq(cg_str(r->json, "@odata.context"),
                     cg_fmt("%s/v1.0/$metadata#deviceAppManagement/enterpriseCodeSigningCertificates/$entity", base));
    r = cg_call(.path = cg_fmt("%s/beta%s", base, ECSC), .token = token, .resolve = resolve);
    cg_assert_status(r, 200);
    cr_assert_str_eq(cg_str(r->json, "@odata.context"),
                     cg_fmt("%s/beta/$metadata#deviceAppManagement/enterpriseCodeSigningCertificates", base));
    cg_restore_pool();
}

/* Absolute URLs take their origin from one place, the Host header: an absolute-form request line
 * naming another host cannot put that host (with the Host header's port) into @odata.context or
 * Location. */
Test(zz_resilience, an_absolute_form_request_line_does_not_choose_the_origin)
{
    cg_restart_pool("CERTGRAPH_PUBLIC_URL=");
    const char *tenant = cg_new_tenant();
    const char *token = cg_tenant_token(tenant);
    char *cmd = cg_fmt("curl -s --http1.1 --cacert '%s' -H 'Authorization: Bearer %s' --request-target "
                       "'https://evil.example/beta" ECSC "' '%s/beta" ECSC "'", cg_env("CERTGRAPH_TEST_CA"), token, cg_base());
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char body[8192] = "";
    size_t n = fread(body, 1, sizeof body - 1, p);
    body[n] = '\0';
    pclose(p);
    cr_assert_null(strstr(body, "evil.example"), "%s", body);
    cr_assert(strstr(body, cg_fmt("\"@odata.context\":\"%s/beta/$metadata#", cg_base())), "the Host header's origin: %s", body);
    cg_restore_pool();
}

/* The probes: no token; /healthz is the pool's, /readyz PostgreSQL's too, and flips with it. */
static cg_response *probe(const char *path)
{
    return cg_call(.path = path, .timeout = 10);
}

Test(zz_resilience, readyz_follows_postgresql_and_healthz_the_pool)
{
    cg_response *r = probe("/healthz");
    cg_assert_status(r, 200);
    cr_assert_str_eq(r->body, "ok\n");
    r = probe("/readyz");
    cg_assert_status(r, 200);
    cr_assert_str_eq(r->body, "ready\n");
    cg_assert_status(cg_call(.method = "POST", .path = "/readyz", .body = "{}"), 405);
    cg_assert_status(probe("/healthz?verbose=1"), 200);
    cg_response *before = cg_metrics();
    const char *token = cg_tenant_token(cg_new_tenant());

    pg_stopped = true;
    int rc = system(cg_env("CERTGRAPH_TEST_PG_STOP"));
    cr_assert_eq(rc, 0, "CERTGRAPH_TEST_PG_STOP failed (%d)", rc);
    r = probe("/readyz");
    cg_assert_error(r, 503, "ServiceUnavailable", "PostgreSQL");
    cr_assert_not_null(cg_header(r, "Retry-After"));
    cr_assert_lt(r->seconds, 2.0, "answers within the probe's budget: %.2f s", r->seconds);
    cg_assert_status(probe("/healthz"), 200);   /* alive, not ready */
    cg_assert_error(cg_get("/beta" ECSC, token), 503, "ServiceUnavailable", NULL);

    start_postgres();
    /* workers reconnect at most once a second */
    long status = 0;
    for (int i = 0; i < 40 && status != 200; i++) {
        r = probe("/readyz");
        status = r->status;
        if (status != 200) cg_sleep_ms(250);
    }
    cr_assert_eq(status, 200, "ready again once PostgreSQL is back");
    /* /metrics tells the story: a worker found PostgreSQL gone, answered 503, connected again */
    cg_response *after = cg_metrics();
    const char *grew[] = { "certgraph_db_outages_total", "certgraph_db_unavailable_total", "certgraph_db_reconnects_total",
                           "certgraph_db_connect_failures_total" };
    for (size_t i = 0; i < sizeof grew / sizeof grew[0]; i++)
        cr_assert_gt(cg_metric(after, grew[i]), cg_metric(before, grew[i]), "%s did not grow", grew[i]);
}
