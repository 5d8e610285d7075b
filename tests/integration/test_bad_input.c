/* Bad request bodies (API.md §3): each is refused with the right status and Graph error code, the
 * message names the property where §3 says so, nothing is written, and the next good request on
 * the same path still works (the worker that refused it is not left in a bad state). */
#include <string.h>

#include "client.h"

TestSuite(bad_input, .init = cg_setup, .fini = cg_teardown);

#define ECSC_TYPE "microsoft.graph.enterpriseCodeSigningCertificate"
#define STATE_TYPE "microsoft.graph.managedAllDeviceCertificateState"

typedef struct target {
    const char *method;
    const char *path;
    const char *good_body;
    long good_status;
} target;

static const char *token;
static target ecsc_post, ecsc_patch, state_post, state_patch, symantec_patch;
static const char *ecsc_item;

/* A tenant with one certificate and one device state to PATCH. */
static void targets(void)
{
    token = cg_tenant_token(cg_new_tenant());
    const char *ecsc_id = cg_create("beta", ECSC, token, "{\"subject\":\"untouched\",\"status\":\"provisioned\"}");
    const char *state_id = cg_create("beta", STATES, token, "{\"certificateKeyUsages\":7}");
    ecsc_item = cg_fmt("/beta%s/%s", ECSC, ecsc_id);
    ecsc_post = (target){ "POST", "/beta" ECSC, "{\"subjectName\":\"good\"}", 201 };
    ecsc_patch = (target){ "PATCH", ecsc_item, "{\"subjectName\":\"good\"}", 200 };
    state_post = (target){ "POST", "/beta" STATES, "{\"managedDeviceDisplayName\":\"good\"}", 201 };
    state_patch = (target){ "PATCH", cg_fmt("/beta%s/%s", STATES, state_id), "{\"managedDeviceDisplayName\":\"good\"}", 200 };
    symantec_patch = (target){ "PATCH", "/beta" SYMANTEC, "{\"subjectName\":\"good\"}", 200 };
}

static void refused_then_good(const target *t, const char *body, size_t len, const char *content_type, long status,
                              const char *code, const char *message_part)
{
    cg_response *r = cg_call(.method = t->method, .path = t->path, .token = token, .body = body, .body_len = len,
                             .content_type = content_type);
    const char *why = cg_check_error(r, status, code, message_part);
    cr_assert(why == NULL, "body %.200s: %s", body, why);
    cr_assert_null(cg_header(r, "Location"), "a refused %s sent a Location", t->method);
    r = cg_call(.method = t->method, .path = t->path, .token = token, .body = t->good_body);
    cg_assert_status(r, t->good_status);
}

static void refused(const target *t, const char *body, long status, const char *code, const char *message_part)
{
    refused_then_good(t, body, 0, NULL, status, code, message_part);
}

static void bad_request(const target *t, const char *body, const char *message_part)
{
    refused(t, body, 400, "BadRequest", message_part);
}

/* The PATCHed certificate is as it was (good PATCHes set subjectName only). */
static void assert_certificate_untouched(void)
{
    cg_response *r = cg_get(ecsc_item, token);
    cg_assert_status(r, 200);
    cr_assert_str_eq(cg_str(r->json, "subject"), "untouched", "a refused PATCH changed the entity: %s", r->body);
    cr_assert_str_eq(cg_str(r->json, "status"), "provisioned", "a refused PATCH changed the entity: %s", r->body);
}

/* How many certificates the tenant has. */
static size_t certificate_count(void)
{
    cg_response *r = cg_get("/beta" ECSC, token);
    cg_assert_status(r, 200);
    yajl_val v = cg_member(r->json, "value");
    cr_assert(v && YAJL_IS_ARRAY(v), "%s", r->body);
    return v->u.array.len;
}

Test(bad_input, non_json_content_type_is_415)
{
    targets();
    const char *types[] = { "text/plain", "application/x-www-form-urlencoded", "application/xml", "text/json",
                            "application/jsonx", "multipart/form-data; boundary=x", "" };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t before = certificate_count();
        refused_then_good(&ecsc_post, "{\"subject\":\"x\"}", 0, types[i], 415, "UnsupportedMediaType", NULL);
        cr_assert_eq(certificate_count(), before + 1, "Content-Type '%s': a refused POST was stored", types[i]);
        refused_then_good(&ecsc_patch, "{\"subject\":\"x\"}", 0, types[i], 415, "UnsupportedMediaType", NULL);
        refused_then_good(&symantec_patch, "{\"subject\":\"x\"}", 0, types[i], 415, "UnsupportedMediaType", NULL);
    }
    assert_certificate_untouched();
}

Test(bad_input, json_content_type_parameters_are_allowed)
{
    targets();
    const char *types[] = { "application/json; charset=utf-8", "application/json;charset=UTF-8",
                            "application/json;odata.metadata=minimal" };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        cg_response *r = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = "{\"subject\":\"ok\"}",
                                 .content_type = types[i]);
        cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
        r = cg_call(.method = "PATCH", .path = ecsc_item, .token = token, .body = "{\"issuer\":\"ok\"}",
                    .content_type = types[i]);
        cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    }
}

Test(bad_input, invalid_json_is_400)
{
    targets();
    const char *bodies[] = { "{\"subject\": \"a\"", "{subject: \"a\"}", "{\"subject\": \"a\",}", "{\"subject\" \"a\"}",
                             "{'subject': 'a'}", "{\"subject\": \"a\"} {\"issuer\": \"b\"}", "{\"subject\": \"a\"}x",
                             "{\"subject\": \"a\\q\"}", "{/* c */\"subject\": \"a\"}", "{\"subject\": 'a'}",
                             "{\"subject\": \"a\\u00\"}", "{\"subject\": \"tab\there\"}", "", "   " };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        size_t before = certificate_count();
        bad_request(&ecsc_post, bodies[i], NULL);
        cr_assert_eq(certificate_count(), before + 1, "body '%s': a refused POST was stored", bodies[i]);
        bad_request(&ecsc_patch, bodies[i], NULL);
        bad_request(&symantec_patch, bodies[i], NULL);
    }
    assert_certificate_untouched();
}

Test(bad_input, a_body_that_is_not_an_object_is_400)
{
    targets();
    const char *bodies[] = { "[]", "[{\"subject\":\"a\"}]", "\"subject\"", "42", "null", "true" };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        bad_request(&ecsc_post, bodies[i], NULL);
        bad_request(&ecsc_patch, bodies[i], NULL);
        bad_request(&state_post, bodies[i], NULL);
    }
    assert_certificate_untouched();
}

Test(bad_input, invalid_utf8_is_400)
{
    targets();
    const char *bodies[] = { "{\"subject\": \"\xc3\x28\"}", "{\"subject\": \"\xff\xfe\"}", "{\"subject\": \"abc\xe2\x82\"}",
                             "{\"sub\xc3ject\": \"a\"}", "{\"subject\": \"\xed\xa0\x80\"}" };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        size_t before = certificate_count();
        bad_request(&ecsc_post, bodies[i], NULL);
        cr_assert_eq(certificate_count(), before + 1, "invalid UTF-8 #%zu was stored", i);
        bad_request(&ecsc_patch, bodies[i], NULL);
    }
    assert_certificate_untouched();
}

Test(bad_input, duplicate_property_is_400)
{
    targets();
    const char *bodies[] = { "{\"subject\":\"a\",\"subject\":\"b\"}", "{\"subject\":\"a\",\"issuer\":\"i\",\"subject\":\"a\"}",
                             "{\"status\":\"provisioned\",\"status\":\"notProvisioned\"}" };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        bad_request(&ecsc_post, bodies[i], NULL);
        bad_request(&ecsc_patch, bodies[i], NULL);
    }
    bad_request(&state_patch, "{\"certificateKeyUsages\":1,\"certificateKeyUsages\":2}", NULL);
    assert_certificate_untouched();
}

Test(bad_input, unknown_property_is_400_and_named_with_the_type)
{
    targets();
    bad_request(&ecsc_post, "{\"subject\":\"a\",\"x\":1}", "Property 'x' does not exist on type '" ECSC_TYPE "'");
    bad_request(&ecsc_patch, "{\"x\":\"a\"}", "Property 'x' does not exist on type '" ECSC_TYPE "'");
    bad_request(&ecsc_post, "{\"password\":\"a\"}", "Property 'password' does not exist on type '" ECSC_TYPE "'");
    bad_request(&ecsc_patch, "{\"Subject\":\"a\"}", "Property 'Subject' does not exist on type '" ECSC_TYPE "'");
    bad_request(&state_post, "{\"subject\":\"a\"}", "Property 'subject' does not exist on type '" STATE_TYPE "'");
    bad_request(&state_patch, "{\"revokeStatus\":\"none\"}", "Property 'revokeStatus' does not exist on type '" STATE_TYPE "'");
    bad_request(&symantec_patch, "{\"x\":null}",
                "Property 'x' does not exist on type 'microsoft.graph.symantecCodeSigningCertificate'");
    assert_certificate_untouched();
}

Test(bad_input, wrong_json_type_is_400_naming_the_property)
{
    targets();
    struct { const target *t; const char *body; const char *prop; } cases[] = {
        { &ecsc_post, "{\"subject\": 1}", "subject" },
        { &ecsc_patch, "{\"subject\": true}", "subject" },
        { &ecsc_patch, "{\"status\": 1}", "status" },
        { &ecsc_post, "{\"content\": 12}", "content" },
        { &ecsc_patch, "{\"expirationDateTime\": 0}", "expirationDateTime" },
        { &ecsc_patch, "{\"uploadDateTime\": false}", "uploadDateTime" },
        { &state_post, "{\"certificateKeyUsages\": \"4\"}", "certificateKeyUsages" },
        { &state_patch, "{\"certificateKeyUsages\": true}", "certificateKeyUsages" },
        { &state_patch, "{\"certificateKeyUsages\": 1.5}", "certificateKeyUsages" },
        { &state_post, "{\"certificateRevokeStatus\": 2}", "certificateRevokeStatus" },
        { &symantec_patch, "{\"password\": 1234}", "password" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad_request(cases[i].t, cases[i].body, cg_fmt("'%s'", cases[i].prop));
    assert_certificate_untouched();
}

Test(bad_input, enum_value_outside_its_members_is_400_naming_the_property)
{
    targets();
    bad_request(&ecsc_post, "{\"status\":\"revoked\"}", "'status'");
    bad_request(&ecsc_patch, "{\"status\":\"\"}", "'status'");
    bad_request(&ecsc_patch, "{\"status\":\"unknownFutureValue\"}", "'status'");
    bad_request(&symantec_patch, "{\"status\":\"expired\"}", "'status'");
    bad_request(&state_post, "{\"certificateRevokeStatus\":\"provisioned\"}", "'certificateRevokeStatus'");
    bad_request(&state_patch, "{\"certificateRevokeStatus\":\"unknown\"}", "'certificateRevokeStatus'");
    assert_certificate_untouched();
}

Test(bad_input, bad_datetimeoffset_is_400_naming_the_property)
{
    targets();
    const char *values[] = { "2016-12-31", "2016-12-31T23:57:57", "2016-12-31 23:57:57Z", "yesterday", "",
                             "2016-13-01T00:00:00Z", "2017-02-29T00:00:00Z", "2016-12-31T24:00:00Z",
                             "2016-12-31T23:60:00Z", "2016-12-31T23:57:57+2:00", "2016-12-31T23:57:57.Z",
                             "1483257477" };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        bad_request(&ecsc_post, cg_fmt("{\"expirationDateTime\":\"%s\"}", values[i]), "'expirationDateTime'");
        bad_request(&ecsc_patch, cg_fmt("{\"uploadDateTime\":\"%s\"}", values[i]), "'uploadDateTime'");
    }
    bad_request(&state_post, "{\"certificateRevokeStatusLastChangeDateTime\":\"now\"}",
                "'certificateRevokeStatusLastChangeDateTime'");
    bad_request(&state_patch, "{\"certificateIssuanceDateTime\":\"2020-01-01T00:00:00\"}", "'certificateIssuanceDateTime'");
    bad_request(&symantec_patch, "{\"expirationDateTime\":\"2020-01-01\"}", "'expirationDateTime'");
    assert_certificate_untouched();
}

Test(bad_input, invalid_base64_is_400_naming_the_property)
{
    targets();
    const char *values[] = { "not base64!", "Y29udGVudA=", "Y2$udGVudA==", "@@@@", "Y29u dGVudA==" };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        bad_request(&ecsc_post, cg_fmt("{\"content\":\"%s\"}", values[i]), "'content'");
        bad_request(&ecsc_patch, cg_fmt("{\"content\":\"%s\"}", values[i]), "'content'");
        bad_request(&symantec_patch, cg_fmt("{\"content\":\"%s\"}", values[i]), "'content'");
    }
    assert_certificate_untouched();
}

Test(bad_input, int32_out_of_range_is_400_naming_the_property)
{
    targets();
    const char *values[] = { "2147483648", "-2147483649", "99999999999999999999", "4294967296" };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        bad_request(&state_post, cg_fmt("{\"certificateKeyUsages\":%s}", values[i]), "'certificateKeyUsages'");
        bad_request(&state_patch, cg_fmt("{\"certificateKeyUsages\":%s}", values[i]), "'certificateKeyUsages'");
    }
    cg_response *r = cg_get(state_patch.path, token);
    long long v = 0;
    cr_assert(cg_int(r->json, "certificateKeyUsages", &v), "%s", r->body);
    cr_assert_eq(v, 7, "a refused PATCH changed certificateKeyUsages: %s", r->body);
}

Test(bad_input, null_for_a_non_nullable_property_is_400_naming_it)
{
    targets();
    const char *ecsc_props[] = { "status", "expirationDateTime", "uploadDateTime" };
    for (size_t i = 0; i < 3; i++) {
        bad_request(&ecsc_post, cg_fmt("{\"%s\":null}", ecsc_props[i]), cg_fmt("'%s'", ecsc_props[i]));
        bad_request(&ecsc_patch, cg_fmt("{\"%s\":null}", ecsc_props[i]), cg_fmt("'%s'", ecsc_props[i]));
        bad_request(&symantec_patch, cg_fmt("{\"%s\":null}", ecsc_props[i]), cg_fmt("'%s'", ecsc_props[i]));
    }
    const char *state_props[] = { "certificateRevokeStatus", "certificateRevokeStatusLastChangeDateTime",
                                  "certificateExpirationDateTime", "certificateIssuanceDateTime", "certificateKeyUsages" };
    for (size_t i = 0; i < 5; i++) {
        bad_request(&state_post, cg_fmt("{\"%s\":null}", state_props[i]), cg_fmt("'%s'", state_props[i]));
        bad_request(&state_patch, cg_fmt("{\"%s\":null}", state_props[i]), cg_fmt("'%s'", state_props[i]));
    }
    assert_certificate_untouched();
}

Test(bad_input, nested_values_are_400)
{
    targets();
    struct { const target *t; const char *body; const char *prop; } cases[] = {
        { &ecsc_post, "{\"subject\":{\"a\":1}}", "subject" },
        { &ecsc_patch, "{\"subject\":[\"a\"]}", "subject" },
        { &ecsc_patch, "{\"content\":{}}", "content" },
        { &ecsc_post, "{\"status\":[\"provisioned\"]}", "status" },
        { &state_patch, "{\"certificateKeyUsages\":[1]}", "certificateKeyUsages" },
        { &symantec_patch, "{\"password\":{\"value\":\"x\"}}", "password" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad_request(cases[i].t, cases[i].body, cg_fmt("'%s'", cases[i].prop));
    /* Deeply nested: refused without trouble. */
    char deep[20000];
    size_t n = 0;
    n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"subject\":");
    for (int i = 0; i < 5000; i++) deep[n++] = '[';
    for (int i = 0; i < 5000; i++) deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    bad_request(&ecsc_post, deep, NULL);
    bad_request(&ecsc_patch, deep, NULL);
    assert_certificate_untouched();
}

Test(bad_input, wrong_odata_type_is_400)
{
    targets();
    const char *types[] = { "#microsoft.graph.symantecCodeSigningCertificate", "#microsoft.graph.entity",
                            "microsoft.graph.managedAllDeviceCertificateState", "#enterpriseCodeSigningCertificate",
                            "#Microsoft.Graph.EnterpriseCodeSigningCertificate", "" };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        bad_request(&ecsc_post, cg_fmt("{\"@odata.type\":\"%s\",\"subject\":\"a\"}", types[i]), NULL);
        bad_request(&ecsc_patch, cg_fmt("{\"@odata.type\":\"%s\",\"subject\":\"a\"}", types[i]), NULL);
    }
    bad_request(&ecsc_post, "{\"@odata.type\":null}", NULL);
    bad_request(&ecsc_post, "{\"@odata.type\":5}", NULL);
    bad_request(&symantec_patch, "{\"@odata.type\":\"#" ECSC_TYPE "\"}", NULL);
    bad_request(&state_post, "{\"@odata.type\":\"#" ECSC_TYPE "\"}", NULL);
    assert_certificate_untouched();
}

Test(bad_input, patch_with_another_id_is_400)
{
    targets();
    const char *other = cg_create("beta", ECSC, token, "{\"subject\":\"other\"}");
    bad_request(&ecsc_patch, cg_fmt("{\"id\":\"%s\",\"subject\":\"hijack\"}", other), NULL);
    bad_request(&ecsc_patch, "{\"id\":\"not-a-uuid\"}", NULL);
    bad_request(&ecsc_patch, "{\"id\":null}", NULL);
    bad_request(&state_patch, "{\"id\":\"00000000-0000-4000-8000-000000000000\"}", NULL);
    assert_certificate_untouched();
    cg_response *r = cg_get(cg_fmt("/beta%s/%s", ECSC, other), token);
    cr_assert_str_eq(cg_str(r->json, "subject"), "other");
}

Test(bad_input, body_over_1_mib_is_413_from_nginx)
{
    targets();
    size_t limit = 1024 * 1024;
    char *big = cg_fmt("%*s", (int)limit + 1, "");
    /* {"subject":"xxxx...x"} of exactly limit + 1 bytes */
    memcpy(big, "{\"subject\":\"", 12);
    memset(big + 12, 'x', limit + 1 - 14);
    memcpy(big + limit + 1 - 2, "\"}", 2);
    cg_response *r = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = big, .body_len = limit + 1);
    cg_assert_error(r, 413, "RequestEntityTooLarge", NULL);
    cg_assert_status(cg_post("/beta" ECSC, token, "{\"subject\":\"good\"}"), 201);
    r = cg_call(.method = "PATCH", .path = ecsc_item, .token = token, .body = big, .body_len = limit + 1);
    cg_assert_error(r, 413, "RequestEntityTooLarge", NULL);
    cg_assert_status(cg_patch(ecsc_item, token, "{\"subjectName\":\"good\"}"), 200);
    assert_certificate_untouched();
}

Test(bad_input, body_of_exactly_1_mib_is_accepted)
{
    targets();
    size_t limit = 1024 * 1024;
    char *big = cg_fmt("%*s", (int)limit, "");
    memcpy(big, "{\"subject\":\"", 12);
    memset(big + 12, 'y', limit - 14);
    memcpy(big + limit - 2, "\"}", 2);
    cg_response *r = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = big, .body_len = limit);
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
    cr_assert_eq(strlen(cg_str(r->json, "subject")), limit - 14);
}
