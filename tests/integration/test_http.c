/* Headers every answer carries (API.md §5): request-id, OData-Version, client-request-id echoed,
 * the JSON media type, error bodies as JSON whoever writes them (certgraphd or nginx), and HTTP/2. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client.h"

TestSuite(http_contract, .init = cg_setup, .fini = cg_teardown);

/* One request of each kind of answer: 200, 201, 204 (both ways), 400 (ours), 401/413/414 (nginx),
 * 404, 405, 415. */
static cg_response **spread(const char *client_request_id, size_t *count)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("beta", ECSC, token, "{}");
    const char *item = cg_fmt("/beta%s/%s", ECSC, id);
    const char *crid = client_request_id ? cg_fmt("client-request-id: %s", client_request_id) : NULL;
    static cg_response *r[16];
    size_t n = 0;
    r[n++] = cg_call(.path = "/beta" ECSC, .token = token, .headers = { crid });
    r[n++] = cg_call(.path = item, .token = token, .headers = { crid });
    r[n++] = cg_call(.method = "POST", .path = "/v1.0" ECSC, .token = token, .body = "{}", .headers = { crid });
    r[n++] = cg_call(.method = "PATCH", .path = item, .token = token, .body = "{}", .headers = { crid });
    r[n++] = cg_call(.method = "PATCH", .path = item, .token = token, .body = "{}",
                     .headers = { crid, "Prefer: return=minimal" });
    r[n++] = cg_call(.path = "/beta" SYMANTEC, .token = token, .headers = { crid });
    r[n++] = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = "{\"x\":1}", .headers = { crid });
    r[n++] = cg_call(.path = "/beta" ECSC, .headers = { crid });
    r[n++] = cg_call(.path = cg_fmt("/beta%s/%s", ECSC, "00000000-0000-4000-8000-000000000000"), .token = token,
                     .headers = { crid });
    r[n++] = cg_call(.method = "PUT", .path = item, .token = token, .body = "{}", .headers = { crid });
    r[n++] = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = "x", .content_type = "text/plain",
                     .headers = { crid });
    char *big = cg_fmt("%*s", 1100000, "");
    r[n++] = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = big, .headers = { crid });
    char *query = cg_fmt("%*s", 9000, "");
    memset(query, 'q', 9000);
    r[n++] = cg_call(.path = cg_fmt("/beta%s?q=%s", ECSC, query), .token = token, .headers = { crid });
    r[n++] = cg_call(.method = "DELETE", .path = item, .token = token, .headers = { crid });
    *count = n;
    return r;
}

static const long spread_status[] = { 200, 200, 201, 200, 204, 200, 400, 401, 404, 405, 415, 413, 414, 204 };

Test(http_contract, every_answer_has_request_id_and_odata_version)
{
    size_t n;
    cg_response **r = spread(NULL, &n);
    for (size_t i = 0; i < n; i++) {
        cg_assert_status(r[i], spread_status[i]);
        cg_assert_ok(cg_check_common_headers(r[i]));
        if (r[i]->status >= 400) {
            cg_assert_ok(cg_check_error(r[i], r[i]->status, cg_str(cg_member(r[i]->json, "error"), "code"), NULL));
        } else if (r[i]->status == 204) {
            cr_assert_eq(r[i]->body_len, 0, "%s %s: 204 with a body", r[i]->method, r[i]->url);
        } else {
            cr_assert_str_eq(cg_header(r[i], "Content-Type"), JSON_MEDIA_TYPE, "%s %s", r[i]->method, r[i]->url);
        }
    }
    /* request ids are per request */
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++)
            cr_assert_str_neq(cg_header(r[i], "request-id"), cg_header(r[k], "request-id"), "two answers share a request-id");
}

Test(http_contract, client_request_id_is_echoed_on_every_answer)
{
    char crid[37];
    cg_uuid(crid);
    size_t n;
    cg_response **r = spread(crid, &n);
    for (size_t i = 0; i < n; i++) {
        cg_assert_status(r[i], spread_status[i]);
        /* An HTTP/1.1 request line over 8 KiB is refused before nginx reads any header, so there is
         * no client-request-id to echo. */
        if (r[i]->status == 414) continue;
        const char *echo = cg_header(r[i], "client-request-id");
        cr_assert(echo && strcmp(echo, crid) == 0, "%s %.200s -> %ld: client-request-id '%s', sent '%s'", r[i]->method,
                  r[i]->url, r[i]->status, echo ? echo : "(absent)", crid);
        if (r[i]->status >= 400) {
            const char *inner = cg_str(CG_AT(r[i]->json, "error", "innerError"), "client-request-id");
            cr_assert(inner && strcmp(inner, crid) == 0, "%s %.200s -> %ld: innerError.client-request-id '%s', sent '%s'",
                      r[i]->method, r[i]->url, r[i]->status, inner ? inner : "(absent)", crid);
        }
    }
}

Test(http_contract, client_request_id_need_not_be_a_uuid)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *values[] = { "my-request-42", "trace 7 / step 3", "x" };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        const char *h = cg_fmt("client-request-id: %s", values[i]);
        cg_response *ok = cg_call(.path = "/beta" ECSC, .token = token, .headers = { h });
        cg_assert_status(ok, 200);
        cr_assert_str_eq(cg_header(ok, "client-request-id"), values[i]);
        cg_response *app = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = "[]", .headers = { h });
        cg_assert_error(app, 400, "BadRequest", NULL);
        cr_assert_str_eq(cg_header(app, "client-request-id"), values[i]);
        cr_assert_str_eq(cg_str(CG_AT(app->json, "error", "innerError"), "client-request-id"), values[i]);
        cg_response *edge = cg_call(.path = "/beta" ECSC, .headers = { h });
        cg_assert_error(edge, 401, "InvalidAuthenticationToken", NULL);
        cr_assert_str_eq(cg_header(edge, "client-request-id"), values[i]);
        cr_assert_str_eq(cg_str(CG_AT(edge->json, "error", "innerError"), "client-request-id"), values[i]);
    }
    /* 200 printable characters, quotes and backslashes included: echoed, and escaped in JSON. */
    char long_id[201];
    for (int i = 0; i < 200; i++) long_id[i] = (char)(0x21 + i % 94);
    long_id[200] = '\0';
    const char *h = cg_fmt("client-request-id: %s", long_id);
    cg_response *app = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = "[]", .headers = { h });
    cg_assert_error(app, 400, "BadRequest", NULL);
    cr_assert_str_eq(cg_header(app, "client-request-id"), long_id);
    cr_assert_str_eq(cg_str(CG_AT(app->json, "error", "innerError"), "client-request-id"), long_id);
    cg_response *edge = cg_call(.path = "/beta" ECSC, .headers = { h });
    cg_assert_error(edge, 401, "InvalidAuthenticationToken", NULL);
    cr_assert_str_eq(cg_header(edge, "client-request-id"), long_id);
}

Test(http_contract, inner_error_date_is_now_in_utc)
{
    cg_response *r = cg_get("/beta" ECSC, NULL);
    cg_assert_error(r, 401, "InvalidAuthenticationToken", NULL);
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *app = cg_get("/beta/deviceAppManagement/nothing", token);
    cg_assert_error(app, 400, "BadRequest", NULL);
    cg_response *answers[] = { r, app };
    for (int i = 0; i < 2; i++) {
        const char *date = cg_str(CG_AT(answers[i]->json, "error", "innerError"), "date");
        long long us;
        cr_assert(cg_parse_instant(cg_fmt("%.19sZ", date), &us), "innerError.date '%s'", date);
        long long skew = us / 1000000 - (long long)time(NULL);
        cr_assert(skew > -60 && skew < 60, "innerError.date %s is %lld s away from now (UTC)", date, skew);
    }
}

Test(http_contract, json_answers_carry_the_odata_media_type_and_context)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("v1.0", ECSC, token, "{}");
    cg_response *r = cg_get("/v1.0" ECSC, token);
    cr_assert_str_eq(cg_header(r, "Content-Type"), JSON_MEDIA_TYPE);
    cr_assert_str_eq(cg_str(r->json, "@odata.context"),
                     cg_fmt("%s/v1.0/$metadata#deviceAppManagement/enterpriseCodeSigningCertificates", cg_base()));
    r = cg_get(cg_fmt("/v1.0%s/%s", ECSC, id), token);
    cr_assert_str_eq(cg_header(r, "Content-Type"), JSON_MEDIA_TYPE);
    cr_assert_str_eq(cg_str(r->json, "@odata.context"),
                     cg_fmt("%s/v1.0/$metadata#deviceAppManagement/enterpriseCodeSigningCertificates/$entity", cg_base()));
    cr_assert_str_eq(cg_str(r->json, "@odata.type"), "#microsoft.graph.enterpriseCodeSigningCertificate");
    r = cg_get("/beta" SYMANTEC, token);
    cr_assert_str_eq(cg_header(r, "Content-Type"), JSON_MEDIA_TYPE);
    cr_assert_str_eq(cg_str(r->json, "@odata.context"),
                     cg_fmt("%s/beta/$metadata#deviceAppManagement/symantecCodeSigningCertificate", cg_base()));
    r = cg_get("/beta" STATES, token);
    cr_assert_str_eq(cg_str(r->json, "@odata.context"),
                     cg_fmt("%s/beta/$metadata#deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates",
                            cg_base()));
    /* error bodies are JSON too */
    r = cg_post("/beta" ECSC, token, "{\"x\":1}");
    cr_assert_str_eq(cg_header(r, "Content-Type"), JSON_MEDIA_TYPE);
}

Test(http_contract, http2_is_served)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_call(.path = "/beta" ECSC, .token = token, .http2 = true);
    cr_assert_eq(r->http_version, (long)CURL_HTTP_VERSION_2_0, "the answer came over HTTP version %ld, not 2", r->http_version);
    cg_assert_ok(cg_check_collection_response(r, &CG_ECSC, "beta"));

    r = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = "{\"subject\":\"h2\"}", .http2 = true,
                .headers = { "client-request-id: over-h2" });
    cr_assert_eq(r->http_version, (long)CURL_HTTP_VERSION_2_0);
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
    cr_assert_str_eq(cg_header(r, "client-request-id"), "over-h2");
    const char *location = cg_header(r, "location");
    cr_assert_str_eq(location, cg_fmt("%s/beta%s/%s", cg_base(), ECSC, cg_str(r->json, "id")));

    r = cg_call(.method = "PATCH", .path = location, .token = token, .body = "{\"issuer\":\"h2\"}", .http2 = true);
    cr_assert_eq(r->http_version, (long)CURL_HTTP_VERSION_2_0);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    r = cg_call(.path = "/beta" ECSC, .http2 = true);
    cr_assert_eq(r->http_version, (long)CURL_HTTP_VERSION_2_0);
    cg_assert_error(r, 401, "InvalidAuthenticationToken", NULL);
    r = cg_call(.method = "DELETE", .path = location, .token = token, .http2 = true);
    cr_assert_eq(r->http_version, (long)CURL_HTTP_VERSION_2_0);
    cg_assert_status(r, 204);
    /* nginx's own errors over HTTP/2 are Graph JSON too */
    char *big = cg_fmt("%*s", 1100000, "");
    r = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = big, .http2 = true);
    cr_assert_eq(r->http_version, (long)CURL_HTTP_VERSION_2_0);
    cg_assert_error(r, 413, "RequestEntityTooLarge", NULL);
    cg_assert_status(cg_call(.path = "/beta" ECSC, .token = token, .http2 = true), 200);
}

Test(http_contract, default_requests_use_http_1_1)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_get("/beta" ECSC, token);
    cr_assert_eq(r->http_version, (long)CURL_HTTP_VERSION_1_1);
    cg_assert_status(r, 200);
}

Test(http_contract, chunked_request_bodies_are_read)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = "{\"subject\":\"chunked\"}",
                             .headers = { "Transfer-Encoding: chunked" });
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "subject"), "chunked");
    r = cg_call(.method = "PATCH", .path = cg_header(r, "Location"), .token = token, .body = "{\"issuer\":\"chunked\"}",
                .headers = { "Transfer-Encoding: chunked" });
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "issuer"), "chunked");
    char *big = cg_fmt("%*s", 1100000, "");
    r = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = big,
                .headers = { "Transfer-Encoding: chunked" });
    cg_assert_error(r, 413, "RequestEntityTooLarge", NULL);
    cg_assert_status(cg_post("/beta" ECSC, token, "{}"), 201);
}

