/* Protecting the service: Graph's throttling across the pool's workers, chaos mode, /metrics. The
 * pool is restarted with small budgets so a test spends seconds, not Graph's 2,000 requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* window 4 s; per tenant 20 requests of which 6 writes; per application 12 of which 4 writes */
#define SMALL_BUDGETS                                                                                      \
    "CERTGRAPH_THROTTLE_WINDOW=4 CERTGRAPH_TENANT_REQUESTS=20 CERTGRAPH_TENANT_WRITES=6 "                  \
    "CERTGRAPH_APP_REQUESTS=12 CERTGRAPH_APP_WRITES=4"
#define WINDOW_MS 4000

static void protect_fini(void)
{
    cg_restore_pool();
    cg_teardown();
}

TestSuite(zz_protect, .init = cg_setup, .fini = protect_fini, .timeout = 120);

static const char *app_token(const char *tenant, const char *app)
{
    return cg_token("--tenant %s --appid %s", tenant, app);
}

/* GETs the collection n times; the number answered 200 (the others must be 429s). */
static int gets(const char *token, int n)
{
    int ok = 0;
    for (int i = 0; i < n; i++) {
        cg_response *r = cg_get("/beta" STATES "?$top=1", token);
        cr_assert(r->status == 200 || r->status == 429, "status %ld: %s", r->status, r->body);
        ok += r->status == 200;
        cg_free(r);
    }
    return ok;
}

static long retry_after(const cg_response *r)
{
    const char *v = cg_header(r, "Retry-After");
    cr_assert_not_null(v, "a 429 without Retry-After");
    char *end;
    long s = strtol(v, &end, 10);
    cr_assert(*v && !*end, "Retry-After is not whole seconds: %s", v);
    return s;
}

Test(zz_protect, a_burst_past_the_tenant_budget_gets_429_and_other_tenants_are_unaffected)
{
    cg_restart_pool(SMALL_BUDGETS);
    const char *tenant = cg_new_tenant(), *other = cg_new_tenant();
    /* two applications, each within its own 12, together past the tenant's 20 */
    cr_assert_eq(gets(app_token(tenant, "11111111-aaaa-4aaa-8aaa-000000000001"), 12), 12);
    const char *second = app_token(tenant, "11111111-aaaa-4aaa-8aaa-000000000002");
    cr_assert_eq(gets(second, 8), 8);
    cg_response *r = cg_get("/beta" STATES, second);
    cg_assert_error(r, 429, "TooManyRequests", "tenant");
    long s = retry_after(r);
    cr_assert(s >= 1 && s <= 4, "Retry-After %ld for a 4 s window", s);
    cr_assert_eq(gets(cg_tenant_token(other), 12), 12, "another tenant is not throttled");
    /* after Retry-After the tenant has room again */
    cg_sleep_ms(s * 1000 + 100);
    cr_assert_eq(gets(second, 1), 1);
}

/* Another node on the same database, as its throttle sync leaves things: alive, and 15 of the
 * tenant's 20 spent there this second. This node admits the 5 left, however they are spread over
 * its syncs, publishes them under its own name, and counts two nodes. */
Test(zz_protect, what_another_node_admitted_counts_against_the_budget_here)
{
    cg_restart_pool(SMALL_BUDGETS " CERTGRAPH_THROTTLE_SYNC_MS=50");
    const char *tenant = cg_new_tenant();
    const char *params[] = { tenant };
    cg_db_value("INSERT INTO throttle_node VALUES ('other-node:1', now()) "
                "ON CONFLICT (node) DO UPDATE SET seen = now() RETURNING node", 0, NULL);
    cg_db_value("INSERT INTO throttle_count VALUES ('other-node:1', 'tenant', $1, extract(epoch FROM now())::bigint, 15, 0) "
                "RETURNING key", 1, params);
    cg_sleep_ms(300);   /* a few syncs */
    const char *token = cg_tenant_token(tenant);
    int ok = 0;
    for (int i = 0; i < 15; i++, cg_sleep_ms(100)) ok += gets(token, 1);
    cr_assert_eq(ok, 5, "the other node spent 15 of 20; this one let %d through", ok);
    cg_sleep_ms(200);
    cr_assert_str_eq(cg_db_value("SELECT sum(requests) FROM throttle_count WHERE scope = 'tenant' AND key = $1 "
                                 "AND node <> 'other-node:1'", 1, params),
                     "5", "this node's own count is shared");
    cg_response *m = cg_metrics();
    cr_assert_eq(cg_metric(m, "certgraph_throttle_nodes"), 2);
    cr_assert_gt(cg_metric(m, "certgraph_throttle_syncs_total{outcome=\"ok\"}"), 0);
}

Test(zz_protect, the_application_budget_holds_apart_from_the_tenants)
{
    cg_restart_pool(SMALL_BUDGETS);
    const char *tenant = cg_new_tenant();
    const char *busy = app_token(tenant, "22222222-aaaa-4aaa-8aaa-000000000001");
    cr_assert_eq(gets(busy, 12), 12);
    cg_response *r = cg_get("/beta" STATES, busy);
    cg_assert_error(r, 429, "TooManyRequests", "application");
    retry_after(r);
    cr_assert_eq(gets(app_token(tenant, "22222222-aaaa-4aaa-8aaa-000000000002"), 5), 5,
                 "the tenant's other application still has room");
}

Test(zz_protect, writes_have_their_own_budget_and_a_refused_write_writes_nothing)
{
    cg_restart_pool(SMALL_BUDGETS);
    const char *tenant = cg_new_tenant();
    const char *token = app_token(tenant, "33333333-aaaa-4aaa-8aaa-000000000001");
    int created = 0, refused = 0;
    for (int i = 0; i < 6; i++) {
        cg_response *r = cg_post("/beta" ECSC, token, "{\"subject\":\"throttled write\"}");
        cr_assert(r->status == 201 || r->status == 429, "status %ld: %s", r->status, r->body);
        if (r->status == 429) cg_assert_error(r, 429, "TooManyRequests", "application");
        created += r->status == 201;
        refused += r->status == 429;
        cg_free(r);
    }
    cr_assert_eq(created, 4, "the application's 4 writes");
    cr_assert_eq(refused, 2);
    cr_assert_eq(gets(token, 3), 3, "reads still fit");
    const char *params[] = { tenant };
    char *n = cg_db_value("SELECT count(*) FROM enterprise_code_signing_certificate WHERE tenant_id = $1::uuid", 1, params);
    cr_assert_str_eq(n, "4", "exactly the admitted writes are stored");
}

Test(zz_protect, the_window_slides_so_there_is_no_burst_at_its_edge)
{
    cg_restart_pool(SMALL_BUDGETS);
    const char *tenant = cg_new_tenant();
    /* three applications so that only the tenant's 20 binds */
    const char *a = app_token(tenant, "44444444-aaaa-4aaa-8aaa-000000000001");
    const char *b = app_token(tenant, "44444444-aaaa-4aaa-8aaa-000000000002");
    const char *c = app_token(tenant, "44444444-aaaa-4aaa-8aaa-000000000003");
    long long t0 = cg_now_us();
    cr_assert_eq(gets(a, 10), 10);
    long long first_done = cg_now_us();
    cr_assert(first_done - t0 < 1500000, "the first ten took %lld ms; the test needs them quick", (first_done - t0) / 1000);
    cg_sleep_ms(2000);
    long long second_start = cg_now_us();
    cr_assert_eq(gets(b, 10), 10);
    /* past the first ten's window, inside the second ten's: a fixed window that restarted here
     * would admit a whole new budget; the sliding one has room for exactly the ten that left */
    long long wake = first_done + WINDOW_MS * 1000LL + 300000;
    long long now = cg_now_us();
    if (wake > now) cg_sleep_ms((wake - now) / 1000);
    cr_assert(cg_now_us() - second_start < (WINDOW_MS - 500) * 1000LL, "too slow to stay inside the second ten's window");
    cr_assert_eq(gets(c, 12), 10);
}

/* A $batch spends one request of the budget per inner request, and an inner 429 carries its own
 * Retry-After. */
Test(zz_protect, a_batch_counts_each_inner_request)
{
    cg_restart_pool(SMALL_BUDGETS);
    const char *tenant = cg_new_tenant();
    const char *token = app_token(tenant, "55555555-aaaa-4aaa-8aaa-000000000001");
    char body[4096];
    size_t n = 0;
    n += (size_t)snprintf(body + n, sizeof body - n, "{\"requests\":[");
    for (int i = 0; i < 6; i++)
        n += (size_t)snprintf(body + n, sizeof body - n,
                              "%s{\"id\":\"%d\",\"method\":\"POST\",\"url\":\"" ECSC "\","
                              "\"headers\":{\"Content-Type\":\"application/json\"},\"body\":{\"subject\":\"b%d\"}}",
                              i ? "," : "", i + 1, i);
    snprintf(body + n, sizeof body - n, "]}");
    cg_response *r = cg_post("/beta/$batch", token, body);
    cg_assert_status(r, 200);
    yajl_val responses = cg_member(r->json, "responses");
    cr_assert(YAJL_IS_ARRAY(responses));
    int created = 0, throttled = 0;
    for (size_t i = 0; i < responses->u.array.len; i++) {
        yajl_val one = responses->u.array.values[i];
        long long status = 0;
        cr_assert(cg_int(one, "status", &status));
        created += status == 201;
        if (status == 429) {
            throttled++;
            cr_assert_not_null(cg_str(cg_member(one, "headers"), "Retry-After"), "an inner 429 without Retry-After");
            cr_assert_str_eq(cg_str(CG_AT(one, "body", "error"), "code"), "TooManyRequests");
        }
    }
    cr_assert_eq(created, 4);
    cr_assert_eq(throttled, 2);
    /* the 4 admitted inner requests spent the budget, the refused ones and the outer POST nothing:
     * 12 - 4 = 8 reads left */
    cr_assert_eq(gets(token, 10), 8);
}

/* ---- /metrics ---------------------------------------------------------------------------------- */

#define STATE_GETS "certgraph_requests_total{resource=\"managedAllDeviceCertificateState\",method=\"GET\",status=\"200\"}"
#define STATE_COUNT "certgraph_request_duration_seconds_count{resource=\"managedAllDeviceCertificateState\"}"

Test(zz_protect, metrics_count_what_the_test_sent)
{
    cg_restart_pool(SMALL_BUDGETS);
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *before = cg_metrics();
    cr_assert_eq(gets(token, 7), 7);
    cg_assert_status(cg_get("/beta" STATES "/not-a-guid", token), 404);
    cg_assert_status(cg_get("/healthz", NULL), 200);
    /* past the application's 12 */
    gets(token, 8);
    cg_response *after = cg_metrics();
    /* 7 + the 404 + 4 more reach the application's 12; the last 4 are throttled */
    cr_assert_eq(cg_metric(after, STATE_GETS) - cg_metric(before, STATE_GETS), 11);
    const char *not_found = "certgraph_requests_total{resource=\"managedAllDeviceCertificateState\",method=\"GET\",status=\"404\"}";
    cr_assert_eq(cg_metric(after, not_found) - cg_metric(before, not_found), 1);
    const char *throttled = "certgraph_throttled_total{budget=\"application\"}";
    cr_assert_eq(cg_metric(after, throttled) - cg_metric(before, throttled), 4);
    cr_assert_eq(cg_metric(after, STATE_COUNT) - cg_metric(before, STATE_COUNT), 16, "the histogram saw every request");
    cr_assert(cg_metric(after, "certgraph_workers_alive") >= 1);
    cr_assert(cg_metric(after, "certgraph_db_connects_total") >= 1);
    cr_assert_not_null(strstr(after->body, "# TYPE certgraph_request_duration_seconds histogram\n"));
    /* token checks go through the pool too, and are counted apart from the API */
    cr_assert(strstr(after->body, "resource=\"tokenCheck\""));
}

Test(zz_protect, metrics_answer_get_only_and_need_no_graph_token)
{
    cg_response *r = cg_call(.method = "POST", .path = "/metrics", .body = "{}");
    cg_assert_error(r, 405, "MethodNotAllowed", NULL);
    cr_assert_str_eq(cg_header(r, "Allow"), "GET, HEAD");
}

/* ---- chaos mode -------------------------------------------------------------------------------- */

Test(zz_protect, chaos_injects_at_the_configured_rate_for_the_listed_tenant_only)
{
    const char *victim = cg_new_tenant(), *bystander = cg_new_tenant();
    cg_restart_pool(cg_fmt("CERTGRAPH_THROTTLING=off CERTGRAPH_CHAOS='rate=0.3 status=429,503,504 tenants=%s retry-after=2'",
                           victim));
    cg_response *before = cg_metrics();
    const char *token = cg_tenant_token(victim);
    int faults = 0, created = 0, seen[3] = { 0 };
    for (int i = 0; i < 200; i++) {
        cg_response *r = cg_post("/beta" ECSC, token, "{\"subject\":\"chaos\"}");
        if (r->status == 201) {
            created++;
        } else {
            faults++;
            cr_assert(r->status == 429 || r->status == 503 || r->status == 504, "status %ld", r->status);
            seen[r->status == 429 ? 0 : r->status == 503 ? 1 : 2]++;
            cg_assert_ok(cg_check_error(r, r->status, r->status == 429 ? "TooManyRequests"
                                                      : r->status == 503 ? "ServiceUnavailable" : "GatewayTimeout", "chaos"));
            cr_assert_str_eq(cg_header(r, "Retry-After"), "2");
        }
        cg_free(r);
    }
    /* 200 draws at 0.3: 60 expected, sd 6.5; the bounds are about 4 sd wide */
    cr_assert(faults >= 34 && faults <= 86, "%d faults in 200 at rate 0.3", faults);
    for (int k = 0; k < 3; k++) cr_assert(seen[k] > 0, "status %d never chosen", k == 0 ? 429 : k == 1 ? 503 : 504);
    const char *params[] = { victim };
    char *stored = cg_db_value("SELECT count(*) FROM enterprise_code_signing_certificate WHERE tenant_id = $1::uuid", 1, params);
    cr_assert_eq(atoi(stored), created, "a faulted write wrote nothing (stored %s, answered 201 %d times)", stored, created);
    char *audited = cg_db_value("SELECT count(*) FROM audit_event WHERE tenant_id = $1::uuid", 1, params);
    cr_assert_eq(atoi(audited), created, "and audited nothing");
    cr_assert_eq(gets(cg_tenant_token(bystander), 50), 50, "a tenant not listed is never faulted");
    cg_response *after = cg_metrics();
    double counted = 0;
    const char *names[] = { "certgraph_faults_injected_total{status=\"429\"}", "certgraph_faults_injected_total{status=\"503\"}",
                            "certgraph_faults_injected_total{status=\"504\"}" };
    for (int k = 0; k < 3; k++) counted += cg_metric(after, names[k]) - cg_metric(before, names[k]);
    cr_assert_eq((int)counted, faults, "metrics counted %g faults, the client saw %d", counted, faults);
}

/* The official Graph SDK's RetryHandler, configured as a resilient client would be (Retry-After
 * honoured, up to its maximum of 10 retries), gets every create and read of a run through 30 %
 * injected 429s; and no retried POST was applied twice. */
Test(zz_protect, the_graph_sdk_retry_handler_gets_through_chaos)
{
    const char *tenant = cg_new_tenant();
    cg_restart_pool(cg_fmt("CERTGRAPH_CHAOS='rate=0.3 status=429 tenants=%s retry-after=1'", tenant));
    char *out = cg_fmt("%s/chaos-retry.out", cg_env("CERTGRAPH_TEST_VAR"));
    int rc = system(cg_fmt("cd '%s' && CERTGRAPH_URL='%s' TOKEN='%s' NODE_EXTRA_CA_CERTS='%s' node chaos-retry.mjs 15 > '%s' 2>&1",
                           cg_env("CERTGRAPH_TEST_SDK"), cg_base(), cg_tenant_token(tenant), cg_env("CERTGRAPH_TEST_CA"), out));
    FILE *f = fopen(out, "r");
    char summary[4096] = "";
    size_t n = f ? fread(summary, 1, sizeof summary - 1, f) : 0;
    summary[n] = '\0';
    if (f) fclose(f);
    cr_assert_eq(rc, 0, "the SDK run failed: %s", summary);
    cr_assert(strstr(summary, "\"requests\":30,\"failed\":0"), "%s", summary);
    cr_assert(strstr(summary, "\"429\":"), "the SDK never met a 429: %s", summary);
    const char *params[] = { tenant };
    cr_assert_str_eq(cg_db_value("SELECT count(*) FROM enterprise_code_signing_certificate WHERE tenant_id = $1::uuid", 1, params),
                     "15", "each create stored once: %s", summary);
}
