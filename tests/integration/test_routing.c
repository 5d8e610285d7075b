/* URLs and methods (API.md §1, §4 limits, §5): unknown and beta-only segments, unknown ids, methods
 * a path does not allow, request lines over 8 KiB, unsupported query options. Each refusal is the
 * Graph error shape, and the next good request on the same path works. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "client.h"

TestSuite(routing, .init = cg_setup, .fini = cg_teardown);

/* The Allow header names exactly these methods (any order, any spacing). */
static void assert_allow(const cg_response *r, const char *const *methods)
{
    const char *allow = cg_header(r, "Allow");
    cr_assert_not_null(allow, "%s %s: 405 without an Allow header", r->method, r->url);
    size_t want = 0, got = 0;
    for (; methods[want]; want++) {
        const char *p = strstr(allow, methods[want]);
        size_t n = strlen(methods[want]);
        cr_assert(p && (p == allow || p[-1] == ' ' || p[-1] == ',') && (p[n] == '\0' || p[n] == ',' || p[n] == ' '),
                  "Allow '%s' lacks %s", allow, methods[want]);
    }
    for (const char *p = allow; *p;) {
        p += strspn(p, ", ");
        size_t n = strcspn(p, ", ");
        if (n) got++;
        p += n;
    }
    cr_assert_eq(got, want, "Allow '%s' names %zu methods, want %zu", allow, got, want);
}

static const char *const collection_methods[] = { "GET", "POST", NULL };
static const char *const entity_methods[] = { "GET", "PATCH", "DELETE", NULL };
static const char *const singleton_methods[] = { "GET", "PATCH", NULL };

Test(routing, methods_an_entity_does_not_allow_are_405_with_allow)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("v1.0", ECSC, token, "{\"subject\":\"kept\"}");
    const char *paths[] = { cg_fmt("/v1.0%s/%s", ECSC, id), cg_fmt("/beta%s/%s", ECSC, id) };
    for (int i = 0; i < 2; i++) {
        cg_response *r = cg_call(.method = "PUT", .path = paths[i], .token = token, .body = "{\"subject\":\"put\"}");
        cg_assert_error(r, 405, "MethodNotAllowed", NULL);
        assert_allow(r, entity_methods);
        r = cg_call(.method = "POST", .path = paths[i], .token = token, .body = "{\"subject\":\"post\"}");
        cg_assert_error(r, 405, "MethodNotAllowed", NULL);
        assert_allow(r, entity_methods);
        r = cg_get(paths[i], token);
        cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, i ? "beta" : "v1.0"));
        cr_assert_str_eq(cg_str(r->json, "subject"), "kept");
    }
    const char *state = cg_fmt("/beta%s/%s", STATES, cg_create("beta", STATES, token, "{}"));
    cg_response *r = cg_call(.method = "PUT", .path = state, .token = token, .body = "{}");
    cg_assert_error(r, 405, "MethodNotAllowed", NULL);
    assert_allow(r, entity_methods);
    cg_assert_status(cg_get(state, token), 200);
}

Test(routing, methods_a_collection_does_not_allow_are_405_with_allow)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *paths[] = { "/v1.0" ECSC, "/beta" ECSC, "/beta" STATES };
    for (int i = 0; i < 3; i++) {
        cg_response *r = cg_delete(paths[i], token);
        cg_assert_error(r, 405, "MethodNotAllowed", NULL);
        assert_allow(r, collection_methods);
        r = cg_patch(paths[i], token, "{}");
        cg_assert_error(r, 405, "MethodNotAllowed", NULL);
        assert_allow(r, collection_methods);
        r = cg_call(.method = "PUT", .path = paths[i], .token = token, .body = "{}");
        cg_assert_error(r, 405, "MethodNotAllowed", NULL);
        assert_allow(r, collection_methods);
        cg_assert_status(cg_get(paths[i], token), 200);
    }
}

Test(routing, methods_the_singleton_does_not_allow_are_405_with_allow)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_post("/beta" SYMANTEC, token, "{}");
    cg_assert_error(r, 405, "MethodNotAllowed", NULL);
    assert_allow(r, singleton_methods);
    r = cg_delete("/beta" SYMANTEC, token);
    cg_assert_error(r, 405, "MethodNotAllowed", NULL);
    assert_allow(r, singleton_methods);
    r = cg_call(.method = "PUT", .path = "/beta" SYMANTEC, .token = token, .body = "{}");
    cg_assert_error(r, 405, "MethodNotAllowed", NULL);
    assert_allow(r, singleton_methods);
    cg_assert_status(cg_get("/beta" SYMANTEC, token), 200);
    cg_assert_status(cg_patch("/beta" SYMANTEC, token, "{}"), 200);
}

Test(routing, unknown_id_is_404)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *real = cg_create("beta", ECSC, token, "{}");
    char missing[37];
    cg_uuid(missing);
    const char *versions[] = { "v1.0", "beta" };
    for (int i = 0; i < 2; i++) {
        const char *path = cg_fmt("/%s%s/%s", versions[i], ECSC, missing);
        cg_assert_error(cg_get(path, token), 404, "ResourceNotFound", NULL);
        cg_assert_error(cg_patch(path, token, "{\"subject\":\"x\"}"), 404, "ResourceNotFound", NULL);
        cg_assert_error(cg_delete(path, token), 404, "ResourceNotFound", NULL);
        cg_assert_error(cg_get(cg_fmt("/%s%s('%s')", versions[i], ECSC, missing), token), 404, "ResourceNotFound", NULL);
        cg_assert_status(cg_get(cg_fmt("/%s%s/%s", versions[i], ECSC, real), token), 200);
    }
    const char *state = cg_fmt("/beta%s/%s", STATES, missing);
    cg_assert_error(cg_get(state, token), 404, "ResourceNotFound", NULL);
    cg_assert_error(cg_patch(state, token, "{}"), 404, "ResourceNotFound", NULL);
    cg_assert_error(cg_delete(state, token), 404, "ResourceNotFound", NULL);
    /* A 404 PATCH did not create anything. */
    cg_response *r = cg_get("/beta" ECSC, token);
    cr_assert_eq(cg_member(r->json, "value")->u.array.len, 1, "%s", r->body);
}

Test(routing, malformed_id_is_404)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *real = cg_create("beta", ECSC, token, "{}");
    const char *ids[] = { "not-a-uuid", "123", "b20d3703-3703-b20d-0337-0db203370db", "b20d3703-3703-b20d-0337-0db203370db2x",
                          "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", "%27%27", "b20d37033703b20d03370db203370db2" };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const char *path = cg_fmt("/beta%s/%s", ECSC, ids[i]);
        cg_assert_error(cg_get(path, token), 404, "ResourceNotFound", NULL);
        cg_assert_error(cg_patch(path, token, "{}"), 404, "ResourceNotFound", NULL);
        cg_assert_error(cg_delete(path, token), 404, "ResourceNotFound", NULL);
        cg_assert_error(cg_get(cg_fmt("/beta%s/%s", STATES, ids[i]), token), 404, "ResourceNotFound", NULL);
        cg_assert_status(cg_get(cg_fmt("/beta%s/%s", ECSC, real), token), 200);
    }
}

Test(routing, beta_only_resources_under_v1_0_are_400_naming_the_segment)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_assert_error(cg_get("/v1.0" SYMANTEC, token), 400, "BadRequest",
                    "Resource not found for the segment 'symantecCodeSigningCertificate'.");
    cg_assert_status(cg_get("/beta" SYMANTEC, token), 200);
    cg_assert_error(cg_get("/v1.0" STATES, token), 400, "BadRequest",
                    "Resource not found for the segment 'deviceConfigurationsAllManagedDeviceCertificateStates'.");
    cg_assert_error(cg_post("/v1.0" STATES, token, "{}"), 400, "BadRequest",
                    "Resource not found for the segment 'deviceConfigurationsAllManagedDeviceCertificateStates'.");
    cg_assert_status(cg_get("/beta" STATES, token), 200);
}

Test(routing, misspelled_segments_are_400_naming_the_segment)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    struct { const char *path; const char *segment; } cases[] = {
        { "/beta/deviceAppManagement/enterpriseCodeSigningCertificate", "enterpriseCodeSigningCertificate" },
        { "/v1.0/deviceAppManagement/enterpriseCodeSigningCertficates", "enterpriseCodeSigningCertficates" },
        { "/beta/deviceAppManagment/enterpriseCodeSigningCertificates", "deviceAppManagment" },
        { "/beta/deviceAppManagement/symantecCodeSigningCertificates", "symantecCodeSigningCertificates" },
        { "/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateState",
          "deviceConfigurationsAllManagedDeviceCertificateState" },
        { "/beta/deviceManagement/enterpriseCodeSigningCertificates", "enterpriseCodeSigningCertificates" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cg_assert_error(cg_get(cases[i].path, token), 400, "BadRequest",
                        cg_fmt("Resource not found for the segment '%s'.", cases[i].segment));
        cg_assert_error(cg_post(cases[i].path, token, "{}"), 400, "BadRequest",
                        cg_fmt("Resource not found for the segment '%s'.", cases[i].segment));
    }
    cg_assert_status(cg_get("/beta" ECSC, token), 200);
}

Test(routing, unsupported_query_options_on_a_list_are_400)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *queries[] = { "$search=contoso", "$expand=*", "$levels=2", "$format=json", "$apply=count" };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        cg_assert_error(cg_get(cg_fmt("/beta%s?%s", ECSC, queries[i]), token), 400, "BadRequest", NULL);
        cg_assert_error(cg_get(cg_fmt("/v1.0%s?%s", ECSC, queries[i]), token), 400, "BadRequest", NULL);
        cg_assert_error(cg_get(cg_fmt("/beta%s?%s", STATES, queries[i]), token), 400, "BadRequest", NULL);
        cg_assert_status(cg_get("/beta" ECSC, token), 200);
    }
}

static const char *long_query(size_t n)
{
    char *q = cg_fmt("%*s", (int)n, "");
    memset(q, 'a', n);
    return q;
}

Test(routing, request_line_over_8_kib_is_414_from_nginx)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *path = cg_fmt("/beta%s?x=%s", ECSC, long_query(9000));
    cg_response *r = cg_get(path, token);
    cg_assert_error(r, 414, "RequestUriTooLong", NULL);
    cg_assert_status(cg_get("/beta" ECSC, token), 200);
    /* also without a token: the limit is checked before authentication */
    cg_assert_error(cg_get(path, NULL), 414, "RequestUriTooLong", NULL);
    cg_assert_error(cg_call(.method = "POST", .path = path, .token = token, .body = "{}"), 414, "RequestUriTooLong", NULL);
    cg_assert_status(cg_post("/beta" ECSC, token, "{}"), 201);
}

Test(routing, request_line_over_8_kib_is_414_over_http2_too)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *path = cg_fmt("/beta%s?x=%s", ECSC, long_query(8300));
    cg_response *r = cg_call(.path = path, .token = token, .http2 = true);
    cr_assert_eq(r->http_version, (long)CURL_HTTP_VERSION_2_0, "not answered over HTTP/2");
    cg_assert_error(r, 414, "RequestUriTooLong", NULL);
    cg_assert_status(cg_call(.path = "/beta" ECSC, .token = token, .http2 = true), 200);
}

Test(routing, a_request_line_under_the_limit_is_served)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    /* A custom (non-$) query parameter is not an OData option; the line stays under 8 KiB. */
    cg_response *r = cg_get(cg_fmt("/beta%s?x=%s", ECSC, long_query(7000)), token);
    cg_assert_ok(cg_check_collection_response(r, &CG_ECSC, "beta"));
}

Test(routing, methods_nginx_refuses_itself_get_graph_json_with_allow)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_call(.method = "TRACE", .path = "/beta" ECSC, .token = token);
    cg_assert_error(r, 405, "MethodNotAllowed", NULL);
    cr_assert_str_eq(cg_header(r, "Allow"), "GET, POST, PATCH, DELETE");
    cr_assert(cg_is_uuid(cg_header(r, "request-id")), "no request-id on nginx's 405");
    cr_assert_str_eq(cg_header(r, "OData-Version"), "4.0");
    cg_assert_status(cg_get("/beta" ECSC, token), 200);
}

Test(routing, an_unsupported_transfer_coding_is_501_graph_json)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = "{}",
                             .headers = { "Transfer-Encoding: gzip" });
    cg_assert_error(r, 501, "NotImplemented", NULL);
    cg_assert_status(cg_post("/beta" ECSC, token, "{}"), 201);
}
