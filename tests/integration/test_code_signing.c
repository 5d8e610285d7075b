/* enterpriseCodeSigningCertificates (API.md §1–§3): List/Create/Get/Update/Delete under /v1.0 and
 * /beta, status codes, Location, Prefer: return=minimal, OData key syntax, PATCH semantics. */
#include <string.h>

#include "client.h"

TestSuite(code_signing, .init = cg_setup, .fini = cg_teardown);

static const char *const full_body =
    "{\"content\":\"aGVsbG8gd29ybGQ=\",\"status\":\"provisioned\",\"subjectName\":\"Contoso Signing\","
    "\"subject\":\"CN=Contoso Signing, O=Contoso\",\"issuerName\":\"Contoso CA\",\"issuer\":\"CN=Contoso CA\","
    "\"expirationDateTime\":\"2030-05-06T07:08:09Z\",\"uploadDateTime\":\"2024-02-29T23:30:00.5+01:00\"}";

/* What full_body reads back as (DateTimeOffsets in UTC). */
static const char *const full_read =
    "{\"@odata.type\":\"#microsoft.graph.enterpriseCodeSigningCertificate\",\"content\":\"aGVsbG8gd29ybGQ=\","
    "\"status\":\"provisioned\",\"subjectName\":\"Contoso Signing\",\"subject\":\"CN=Contoso Signing, O=Contoso\","
    "\"issuerName\":\"Contoso CA\",\"issuer\":\"CN=Contoso CA\",\"expirationDateTime\":\"2030-05-06T07:08:09Z\","
    "\"uploadDateTime\":\"2024-02-29T22:30:00.5Z\"}";

static yajl_val value_array(const cg_response *r)
{
    yajl_val v = cg_member(r->json, "value");
    cr_assert(v && YAJL_IS_ARRAY(v), "%s %s: no value array: %s", r->method, r->url, r->body);
    return v;
}

static void crud(const char *version)
{
    const char *tenant = cg_new_tenant();
    const char *token = cg_tenant_token(tenant);
    const char *collection = cg_fmt("/%s%s", version, ECSC);

    /* List: a fresh tenant has none. */
    cg_response *r = cg_get(collection, token);
    cg_assert_ok(cg_check_collection_response(r, &CG_ECSC, version));
    cr_assert_eq(value_array(r)->u.array.len, 0, "a fresh tenant lists %s", r->body);

    /* Create: 201, Location, the entity with every property. */
    r = cg_post(collection, token, full_body);
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, version));
    cg_assert_ok(cg_compare_doc(r->json, full_read));
    const char *id = cg_fmt("%s", cg_str(r->json, "id"));
    const char *location = cg_header(r, "Location");
    cr_assert_not_null(location, "POST %s: no Location header", collection);
    cr_assert_str_eq(location, cg_fmt("%s/%s%s/%s", cg_base(), version, ECSC, id));
    yajl_val created = r->json;

    /* Get, by the Location and by path. */
    r = cg_get(location, token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, version));
    cg_assert_ok(cg_compare_objects(r->json, created, ""));
    const char *item = cg_fmt("%s/%s", collection, id);

    /* List: exactly that one. */
    r = cg_get(collection, token);
    cg_assert_ok(cg_check_collection_response(r, &CG_ECSC, version));
    yajl_val list = value_array(r);
    cr_assert_eq(list->u.array.len, 1, "%s", r->body);
    cg_assert_ok(cg_compare_objects(list->u.array.values[0], created, "@odata.context"));

    /* Update: 200 + the object; only the mentioned property changes. */
    r = cg_patch(item, token, "{\"subject\":\"CN=Changed\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, version));
    cr_assert_str_eq(cg_str(r->json, "subject"), "CN=Changed");
    cr_assert_str_eq(cg_str(r->json, "id"), id);
    cg_assert_ok(cg_compare_objects(r->json, created, "subject"));
    yajl_val patched = r->json;
    r = cg_get(item, token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, version));
    cg_assert_ok(cg_compare_objects(r->json, patched, ""));

    /* Delete: 204 without a body; then it is gone. */
    r = cg_delete(item, token);
    cg_assert_status(r, 204);
    cg_assert_ok(cg_check_common_headers(r));
    cr_assert_eq(r->body_len, 0, "DELETE answered a body: %s", r->body);
    cg_assert_error(cg_get(item, token), 404, "ResourceNotFound", NULL);
    cg_assert_error(cg_delete(item, token), 404, "ResourceNotFound", NULL);
    cg_assert_error(cg_patch(item, token, "{\"subject\":\"x\"}"), 404, "ResourceNotFound", NULL);
    r = cg_get(collection, token);
    cg_assert_ok(cg_check_collection_response(r, &CG_ECSC, version));
    cr_assert_eq(value_array(r)->u.array.len, 0, "deleted entity still listed: %s", r->body);
}

Test(code_signing, crud_under_v1_0)
{
    crud("v1.0");
}

Test(code_signing, crud_under_beta)
{
    crud("beta");
}

Test(code_signing, create_with_empty_body_gives_the_defaults)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_post("/beta" ECSC, token, "{}");
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
    cg_assert_ok(cg_compare_doc(r->json,
                                "{\"content\":null,\"status\":\"notProvisioned\",\"subjectName\":null,\"subject\":null,"
                                "\"issuerName\":null,\"issuer\":null,\"expirationDateTime\":\"" NEVER_SET "\","
                                "\"uploadDateTime\":\"" NEVER_SET "\"}"));
    cr_assert_str_eq(cg_str(r->json, "expirationDateTime"), NEVER_SET);
    cr_assert_str_eq(cg_str(r->json, "uploadDateTime"), NEVER_SET);
}

Test(code_signing, both_versions_serve_the_same_entities)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("v1.0", ECSC, token, "{\"subject\":\"made under v1.0\"}");
    cg_response *r = cg_get(cg_fmt("/beta%s/%s", ECSC, id), token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "subject"), "made under v1.0");
    r = cg_patch(cg_fmt("/beta%s/%s", ECSC, id), token, "{\"issuer\":\"changed under beta\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    r = cg_get(cg_fmt("/v1.0%s/%s", ECSC, id), token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "v1.0"));
    cr_assert_str_eq(cg_str(r->json, "issuer"), "changed under beta");
    cr_assert_str_eq(cg_str(r->json, "subject"), "made under v1.0");
}

Test(code_signing, post_prefer_return_minimal_is_204_with_location)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_call(.method = "POST", .path = "/v1.0" ECSC, .token = token, .body = "{\"subject\":\"minimal\"}",
                             .headers = { "Prefer: return=minimal" });
    cg_assert_status(r, 204);
    cg_assert_ok(cg_check_common_headers(r));
    cr_assert_eq(r->body_len, 0, "a 204 with a body: %s", r->body);
    const char *location = cg_header(r, "Location");
    cr_assert_not_null(location, "Prefer: return=minimal POST: no Location");
    const char *prefix = cg_fmt("%s/v1.0%s/", cg_base(), ECSC);
    cr_assert(strncmp(location, prefix, strlen(prefix)) == 0, "Location '%s' is not under '%s'", location, prefix);
    cr_assert(cg_is_uuid(location + strlen(prefix)), "Location '%s' does not end in a UUID", location);
    r = cg_get(location, token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "v1.0"));
    cr_assert_str_eq(cg_str(r->json, "subject"), "minimal");
    cr_assert_str_eq(cg_str(r->json, "id"), location + strlen(prefix));
}

Test(code_signing, patch_prefer_return_minimal_is_204)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("beta", ECSC, token, "{\"subject\":\"before\"}");
    const char *item = cg_fmt("/beta%s/%s", ECSC, id);
    cg_response *r = cg_call(.method = "PATCH", .path = item, .token = token, .body = "{\"subject\":\"after\"}",
                             .headers = { "Prefer: return=minimal" });
    cg_assert_status(r, 204);
    cg_assert_ok(cg_check_common_headers(r));
    cr_assert_eq(r->body_len, 0, "a 204 with a body: %s", r->body);
    r = cg_get(item, token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "subject"), "after");
}

Test(code_signing, odata_key_syntax_names_the_same_entity)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("beta", ECSC, token, "{\"subject\":\"keyed\"}");
    const char *quoted = cg_fmt("/beta%s('%s')", ECSC, id);
    cg_response *r = cg_get(quoted, token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "id"), id);
    cr_assert_str_eq(cg_str(r->json, "subject"), "keyed");
    r = cg_get(cg_fmt("/v1.0%s(%s)", ECSC, id), token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "v1.0"));
    cr_assert_str_eq(cg_str(r->json, "id"), id);
    r = cg_patch(quoted, token, "{\"subject\":\"patched by key\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    r = cg_get(cg_fmt("/beta%s/%s", ECSC, id), token);
    cr_assert_str_eq(cg_str(r->json, "subject"), "patched by key");
    r = cg_delete(quoted, token);
    cg_assert_status(r, 204);
    cg_assert_error(cg_get(cg_fmt("/beta%s/%s", ECSC, id), token), 404, "ResourceNotFound", NULL);
}

Test(code_signing, patch_changes_only_the_properties_in_the_body)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_post("/beta" ECSC, token, full_body);
    cg_assert_status(r, 201);
    yajl_val before = r->json;
    const char *item = cg_fmt("/beta%s/%s", ECSC, cg_str(before, "id"));

    r = cg_patch(item, token, "{\"status\":\"notProvisioned\",\"expirationDateTime\":\"2031-01-01T00:00:00-05:00\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "status"), "notProvisioned");
    cr_assert_str_eq(cg_str(r->json, "expirationDateTime"), "2031-01-01T05:00:00Z");
    cg_assert_ok(cg_compare_objects(r->json, before, "status,expirationDateTime"));

    /* null clears a nullable property and nothing else. */
    r = cg_patch(item, token, "{\"subject\":null,\"content\":null}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    cr_assert(cg_is_null(r->json, "subject"), "%s", r->body);
    cr_assert(cg_is_null(r->json, "content"), "%s", r->body);
    cg_assert_ok(cg_compare_objects(r->json, before, "status,expirationDateTime,subject,content"));

    /* An empty PATCH changes nothing. */
    yajl_val last = r->json;
    r = cg_patch(item, token, "{}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    cg_assert_ok(cg_compare_objects(r->json, last, ""));
}

Test(code_signing, post_ignores_an_id_in_the_body)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *mine = "11111111-2222-4333-8444-555555555555";
    cg_response *r = cg_post("/beta" ECSC, token, cg_fmt("{\"id\":\"%s\",\"subject\":\"s\"}", mine));
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
    cr_assert_str_neq(cg_str(r->json, "id"), mine, "the POSTed id was used");
    cg_assert_error(cg_get(cg_fmt("/beta%s/%s", ECSC, mine), token), 404, "ResourceNotFound", NULL);
}

Test(code_signing, odata_type_and_other_annotations_are_accepted)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_post("/beta" ECSC, token,
                             "{\"@odata.type\":\"#microsoft.graph.enterpriseCodeSigningCertificate\",\"subject\":\"a\"}");
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
    r = cg_post("/beta" ECSC, token, "{\"@odata.type\":\"microsoft.graph.enterpriseCodeSigningCertificate\",\"subject\":\"b\"}");
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
    r = cg_post("/beta" ECSC, token,
                "{\"@odata.context\":\"https://graph.microsoft.com/beta/$metadata#x\",\"@odata.etag\":\"W/\\\"1\\\"\","
                "\"subject@odata.type\":\"#String\",\"subject\":\"c\"}");
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "subject"), "c");
    const char *item = cg_fmt("/beta%s/%s", ECSC, cg_str(r->json, "id"));
    r = cg_patch(item, token, "{\"@odata.type\":\"#microsoft.graph.enterpriseCodeSigningCertificate\",\"subject\":\"d\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "subject"), "d");
}

Test(code_signing, patch_with_its_own_id_is_accepted)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("v1.0", ECSC, token, "{}");
    cg_response *r = cg_patch(cg_fmt("/v1.0%s/%s", ECSC, id), token, cg_fmt("{\"id\":\"%s\",\"issuer\":\"i\"}", id));
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "v1.0"));
    cr_assert_str_eq(cg_str(r->json, "issuer"), "i");
}

Test(code_signing, list_holds_exactly_the_tenants_entities)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *ids[3];
    for (int i = 0; i < 3; i++) ids[i] = cg_create("beta", ECSC, token, cg_fmt("{\"subjectName\":\"n%d\"}", i));
    cg_response *r = cg_get("/beta" ECSC, token);
    cg_assert_ok(cg_check_collection_response(r, &CG_ECSC, "beta"));
    yajl_val list = value_array(r);
    cr_assert_eq(list->u.array.len, 3, "%s", r->body);
    for (int i = 0; i < 3; i++) {
        int seen = 0;
        for (size_t k = 0; k < list->u.array.len; k++) {
            yajl_val e = list->u.array.values[k];
            if (strcmp(cg_str(e, "id"), ids[i]) == 0) {
                seen++;
                cr_assert_str_eq(cg_str(e, "subjectName"), cg_fmt("n%d", i));
            }
        }
        cr_assert_eq(seen, 1, "%s listed %d times: %s", ids[i], seen, r->body);
    }
    cr_assert_null(cg_member(r->json, "@odata.nextLink"), "3 entities and a nextLink: %s", r->body);
}

Test(code_signing, datetimeoffsets_are_returned_in_utc_to_the_microsecond)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_post("/beta" ECSC, token,
                             "{\"expirationDateTime\":\"2030-01-01T01:00:00+01:00\","
                             "\"uploadDateTime\":\"2016-12-31T23:58:46.5747426-08:00\"}");
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "expirationDateTime"), "2030-01-01T00:00:00Z");
    cr_assert_str_eq(cg_str(r->json, "uploadDateTime"), "2017-01-01T07:58:46.574743Z");
    r = cg_get(cg_fmt("/beta%s/%s", ECSC, cg_str(r->json, "id")), token);
    cr_assert_str_eq(cg_str(r->json, "uploadDateTime"), "2017-01-01T07:58:46.574743Z");
}

Test(code_signing, strings_round_trip_exactly)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    /* JSON escapes, quotes, backslashes, control characters, non-ASCII (escaped and raw), a
     * surrogate pair, and text that would matter to SQL if it were ever pasted into a query. */
    cg_response *r = cg_post("/beta" ECSC, token,
                             "{\"subject\":\"CN=\\\"Z\\u00fcrich\\\" \\\\ O=Contoso\\n\\tOU=\\ud83d\\ude00\","
                             "\"subjectName\":\"Zürich ✓ 😀\",\"issuer\":\"'; DROP TABLE enterprise_code_signing_certificate; --\","
                             "\"issuerName\":\"\",\"sub\\u006aect\":\"ignored?\"}");
    /* "sub\u006aect" is "subject" again: a duplicate property. */
    cg_assert_error(r, 400, "BadRequest", NULL);
    r = cg_post("/beta" ECSC, token,
                "{\"subject\":\"CN=\\\"Z\\u00fcrich\\\" \\\\ O=Contoso\\n\\tOU=\\ud83d\\ude00\","
                "\"subjectName\":\"Zürich ✓ 😀\",\"issuer\":\"'; DROP TABLE enterprise_code_signing_certificate; --\","
                "\"issuerName\":\"\"}");
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
    const char *id = cg_fmt("%s", cg_str(r->json, "id"));
    for (int pass = 0; pass < 2; pass++) {
        cr_assert_str_eq(cg_str(r->json, "subject"), "CN=\"Z\xc3\xbcrich\" \\ O=Contoso\n\tOU=\xf0\x9f\x98\x80");
        cr_assert_str_eq(cg_str(r->json, "subjectName"), "Zürich ✓ 😀");
        cr_assert_str_eq(cg_str(r->json, "issuer"), "'; DROP TABLE enterprise_code_signing_certificate; --");
        cr_assert_str_eq(cg_str(r->json, "issuerName"), "");
        r = cg_get(cg_fmt("/beta%s/%s", ECSC, id), token);
        cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    }
    /* An escaped property name is the property. */
    r = cg_patch(cg_fmt("/beta%s/%s", ECSC, id), token, "{\"sub\\u006aectName\":\"escaped name\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "subjectName"), "escaped name");
}

Test(code_signing, binary_content_round_trips_as_one_line_of_base64)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    /* 3000 bytes of every value: PostgreSQL's encode() would wrap this at 76 characters. */
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char raw[3000];
    for (size_t i = 0; i < sizeof raw; i++) raw[i] = (unsigned char)(i * 7 + i / 256);
    char *b64 = cg_fmt("%*s", (int)(sizeof raw / 3 * 4), "");
    for (size_t i = 0, o = 0; i < sizeof raw; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
        b64[o++] = alphabet[v >> 18 & 63];
        b64[o++] = alphabet[v >> 12 & 63];
        b64[o++] = alphabet[v >> 6 & 63];
        b64[o++] = alphabet[v & 63];
    }
    const char *values[] = { b64, "+/+/", "AA==", "AAA=", "", "Y29udGVudA==" };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        cg_response *r = cg_post("/beta" ECSC, token, cg_fmt("{\"content\":\"%s\"}", values[i]));
        cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
        cr_assert_str_eq(cg_str(r->json, "content"), values[i], "content #%zu came back changed", i);
        r = cg_get(cg_fmt("/beta%s/%s", ECSC, cg_str(r->json, "id")), token);
        cr_assert_str_eq(cg_str(r->json, "content"), values[i], "content #%zu read back changed", i);
    }
}

Test(code_signing, extreme_datetimeoffsets_are_refused_or_returned_in_utc)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *values[] = { "9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00.0000001Z",
                             "0001-01-01T00:00:00-14:00", "2000-02-29T12:00:00+14:00", "1970-01-01T00:00:00.000000Z" };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        cg_response *r = cg_post("/beta" ECSC, token, cg_fmt("{\"expirationDateTime\":\"%s\"}", values[i]));
        if (r->status == 400) {
            cg_assert_error(r, 400, "BadRequest", "'expirationDateTime'");
            continue;
        }
        cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
        cg_assert_ok(cg_check_instant(cg_str(r->json, "expirationDateTime"), values[i]));
    }
}
