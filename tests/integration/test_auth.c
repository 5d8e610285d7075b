/* Authentication and authorization (API.md §5): bearer JWTs checked by nginx's auth_request hop
 * (401 InvalidAuthenticationToken with WWW-Authenticate and a Graph JSON body), scopes and roles
 * per resource (403 Forbidden), and tenant isolation (another tenant's id is a 404). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client.h"

TestSuite(auth, .init = cg_setup, .fini = cg_teardown);
TestSuite(tenancy, .init = cg_setup, .fini = cg_teardown);

static void assert_401(const cg_response *r)
{
    cg_assert_error(r, 401, "InvalidAuthenticationToken", NULL);
    const char *www = cg_header(r, "WWW-Authenticate");
    cr_assert_not_null(www, "%s %s: 401 without WWW-Authenticate", r->method, r->url);
    cr_assert(strncasecmp(www, "Bearer", 6) == 0, "WWW-Authenticate '%s' is not a Bearer challenge", www);
}

/* Every operation on every resource answers 401 with this Authorization value (NULL: none). */
static void assert_refused_everywhere(const char *authorization)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("beta", ECSC, token, "{}");
    const char *state = cg_create("beta", STATES, token, "{}");
    struct { const char *method, *path, *body; } ops[] = {
        { "GET", "/v1.0" ECSC, NULL },
        { "GET", "/beta" ECSC, NULL },
        { "POST", "/beta" ECSC, "{}" },
        { "GET", cg_fmt("/beta%s/%s", ECSC, id), NULL },
        { "PATCH", cg_fmt("/v1.0%s/%s", ECSC, id), "{\"subject\":\"x\"}" },
        { "DELETE", cg_fmt("/beta%s/%s", ECSC, id), NULL },
        { "GET", "/beta" SYMANTEC, NULL },
        { "PATCH", "/beta" SYMANTEC, "{}" },
        { "GET", "/beta" STATES, NULL },
        { "POST", "/beta" STATES, "{}" },
        { "PATCH", cg_fmt("/beta%s/%s", STATES, state), "{}" },
        { "DELETE", cg_fmt("/beta%s/%s", STATES, state), NULL },
        { "GET", "/beta/deviceAppManagement/noSuchThing", NULL },
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        cg_response *r = cg_call(.method = ops[i].method, .path = ops[i].path, .body = ops[i].body,
                                 .authorization = authorization);
        assert_401(r);
    }
    /* Nothing was changed or deleted. */
    cg_assert_status(cg_get(cg_fmt("/beta%s/%s", ECSC, id), token), 200);
    cg_assert_status(cg_get(cg_fmt("/beta%s/%s", STATES, state), token), 200);
    cg_response *r = cg_get("/beta" ECSC, token);
    cr_assert_eq(cg_member(r->json, "value")->u.array.len, 1, "%s", r->body);
}

Test(auth, no_token_is_401)
{
    assert_refused_everywhere(NULL);
}

Test(auth, garbage_tokens_are_401)
{
    const char *values[] = { "Bearer", "Bearer ", "Bearer garbage", "Bearer a.b.c", "Bearer ...",
                             "Bearer eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0.c2ln", "Basic dXNlcjpwYXNz", "garbage" };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        assert_401(cg_call(.path = "/beta" ECSC, .authorization = values[i]));
        assert_401(cg_call(.method = "POST", .path = "/beta" ECSC, .authorization = values[i], .body = "{}"));
    }
}

Test(auth, expired_token_is_401)
{
    const char *tenant = cg_new_tenant();
    const char *expired = cg_token("--tenant %s --ttl -600", tenant);
    assert_refused_everywhere(cg_fmt("Bearer %s", expired));
    cg_assert_status(cg_get("/beta" ECSC, cg_tenant_token(tenant)), 200);
}

Test(auth, token_expired_a_minute_ago_is_401)
{
    /* exp is 60 s in the past. The default clock skew is 60 s, and exp is compared in whole
     * seconds: once a second has passed since minting, the token is past exp + skew. */
    const char *tenant = cg_new_tenant();
    const char *expired = cg_token("--tenant %s --ttl -60", tenant);
    cg_sleep_ms(1100);
    assert_401(cg_get("/beta" ECSC, expired));
    assert_401(cg_post("/beta" ECSC, expired, "{}"));
}

Test(auth, wrong_audience_is_401)
{
    const char *tenant = cg_new_tenant();
    assert_refused_everywhere(cg_fmt("Bearer %s", cg_token("--tenant %s --aud https://evil.example.com", tenant)));
    assert_401(cg_get("/beta" ECSC, cg_token("--tenant %s --aud api://certgraph", tenant)));
}

Test(auth, wrong_issuer_is_401)
{
    const char *tenant = cg_new_tenant();
    assert_refused_everywhere(cg_fmt("Bearer %s", cg_token("--tenant %s --iss https://evil.example.com/", tenant)));
    /* the issuer of another tenant */
    assert_401(cg_get("/beta" ECSC, cg_token("--tenant %s --iss https://sts.windows.net/%s/", tenant, cg_new_tenant())));
}

Test(auth, token_without_a_valid_tenant_is_401)
{
    assert_401(cg_get("/beta" ECSC, cg_token("--tenant not-a-tenant --iss https://sts.windows.net/not-a-tenant/")));
}

/* base64url without padding */
static char *b64url(const char *in)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(in);
    char *out = cg_fmt("%*s", (int)(n * 4 / 3 + 4), "");
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < n) v |= (unsigned char)in[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (i + 1 < n) out[o++] = alphabet[(v >> 6) & 63];
        if (i + 2 < n) out[o++] = alphabet[v & 63];
    }
    out[o] = '\0';
    return out;
}

Test(auth, unsigned_alg_none_token_is_401)
{
    const char *tenant = cg_new_tenant();
    const char *good = cg_tenant_token(tenant);
    const char *payload = strchr(good, '.') + 1;
    size_t payload_len = strcspn(payload, ".");
    const char *headers[] = { "{\"alg\":\"none\",\"typ\":\"JWT\"}", "{\"alg\":\"None\",\"typ\":\"JWT\"}",
                              "{\"alg\":\"HS256\",\"typ\":\"JWT\"}" };
    for (size_t i = 0; i < 3; i++) {
        const char *forged = cg_fmt("%s.%.*s.", b64url(headers[i]), (int)payload_len, payload);
        assert_401(cg_get("/beta" ECSC, forged));
        forged = cg_fmt("%s.%.*s.%s", b64url(headers[i]), (int)payload_len, payload, strrchr(good, '.') + 1);
        assert_401(cg_get("/beta" ECSC, forged));
    }
    cg_assert_status(cg_get("/beta" ECSC, good), 200);
}

Test(auth, tampered_token_is_401)
{
    const char *tenant_a = cg_new_tenant(), *tenant_b = cg_new_tenant();
    const char *a = cg_tenant_token(tenant_a);
    const char *b = cg_tenant_token(tenant_b);
    /* A's header and signature around B's claims */
    const char *b_payload = strchr(b, '.') + 1;
    const char *forged = cg_fmt("%.*s.%.*s.%s", (int)strcspn(a, "."), a, (int)strcspn(b_payload, "."), b_payload,
                                strrchr(a, '.') + 1);
    assert_401(cg_get("/beta" ECSC, forged));
    /* a flipped signature character */
    char *flipped = cg_fmt("%s", a);
    char *last = flipped + strlen(flipped) - 5;
    *last = *last == 'A' ? 'B' : 'A';
    assert_401(cg_get("/beta" ECSC, flipped));
    cg_assert_status(cg_get("/beta" ECSC, a), 200);
}

Test(auth, token_signed_with_another_key_is_401)
{
    char path[] = "/tmp/certgraph-it-key-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0, "mkstemp failed");
    close(fd);
    int rc = system(cg_fmt("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out '%s' 2>/dev/null", path));
    if (rc != 0) {
        unlink(path);
        cr_assert_fail("openssl genpkey failed (%d)", rc);
    }
    const char *tenant = cg_new_tenant();
    const char *other = cg_token("--tenant %s --key '%s'", tenant, path);
    unlink(path);
    assert_refused_everywhere(cg_fmt("Bearer %s", other));
}

/* ---- scopes and roles ------------------------------------------------------------------------ */

/* GETs succeed, writes are 403 Forbidden, and nothing changes. */
static void assert_read_only(const char *tenant, const char *reader)
{
    const char *writer = cg_tenant_token(tenant);
    const char *id = cg_create("beta", ECSC, writer, "{\"subject\":\"kept\"}");
    cg_assert_ok(cg_check_collection_response(cg_get("/beta" ECSC, reader), &CG_ECSC, "beta"));
    cg_assert_ok(cg_check_collection_response(cg_get("/v1.0" ECSC, reader), &CG_ECSC, "v1.0"));
    cg_assert_ok(cg_check_entity_response(cg_get(cg_fmt("/v1.0%s/%s", ECSC, id), reader), 200, &CG_ECSC, "v1.0"));
    cg_assert_ok(cg_check_entity_response(cg_get("/beta" SYMANTEC, reader), 200, &CG_SYMANTEC, "beta"));

    cg_assert_error(cg_post("/beta" ECSC, reader, "{}"), 403, "Forbidden", NULL);
    cg_assert_error(cg_post("/v1.0" ECSC, reader, "{}"), 403, "Forbidden", NULL);
    cg_assert_error(cg_patch(cg_fmt("/beta%s/%s", ECSC, id), reader, "{\"subject\":\"changed\"}"), 403, "Forbidden", NULL);
    cg_assert_error(cg_delete(cg_fmt("/v1.0%s/%s", ECSC, id), reader), 403, "Forbidden", NULL);
    cg_assert_error(cg_patch("/beta" SYMANTEC, reader, "{\"subject\":\"changed\"}"), 403, "Forbidden", NULL);

    cg_response *r = cg_get(cg_fmt("/beta%s/%s", ECSC, id), writer);
    cg_assert_status(r, 200);
    cr_assert_str_eq(cg_str(r->json, "subject"), "kept");
    r = cg_get("/beta" ECSC, writer);
    cr_assert_eq(cg_member(r->json, "value")->u.array.len, 1, "a refused POST was stored: %s", r->body);
    r = cg_get("/beta" SYMANTEC, writer);
    cr_assert(cg_is_null(r->json, "subject"), "a refused PATCH changed the singleton: %s", r->body);
}

Test(auth, apps_read_scope_reads_but_cannot_write)
{
    const char *tenant = cg_new_tenant();
    assert_read_only(tenant, cg_token("--tenant %s --scp '%s'", tenant, SCOPE_APPS_R));
}

Test(auth, apps_read_role_reads_but_cannot_write)
{
    const char *tenant = cg_new_tenant();
    assert_read_only(tenant, cg_token("--tenant %s --roles '%s'", tenant, SCOPE_APPS_R));
}

Test(auth, configuration_scopes_cannot_touch_code_signing_certificates)
{
    const char *tenant = cg_new_tenant();
    const char *id = cg_create("beta", ECSC, cg_tenant_token(tenant), "{}");
    const char *tokens[] = { cg_token("--tenant %s --scp '%s'", tenant, SCOPE_CONFIG_R),
                             cg_token("--tenant %s --scp '%s'", tenant, SCOPE_CONFIG_RW),
                             cg_token("--tenant %s --roles '%s'", tenant, SCOPE_CONFIG_RW) };
    for (int i = 0; i < 3; i++) {
        cg_assert_error(cg_get("/beta" ECSC, tokens[i]), 403, "Forbidden", NULL);
        cg_assert_error(cg_get("/v1.0" ECSC, tokens[i]), 403, "Forbidden", NULL);
        cg_assert_error(cg_get(cg_fmt("/beta%s/%s", ECSC, id), tokens[i]), 403, "Forbidden", NULL);
        cg_assert_error(cg_post("/beta" ECSC, tokens[i], "{}"), 403, "Forbidden", NULL);
        cg_assert_error(cg_patch(cg_fmt("/beta%s/%s", ECSC, id), tokens[i], "{}"), 403, "Forbidden", NULL);
        cg_assert_error(cg_delete(cg_fmt("/beta%s/%s", ECSC, id), tokens[i]), 403, "Forbidden", NULL);
        cg_assert_error(cg_get("/beta" SYMANTEC, tokens[i]), 403, "Forbidden", NULL);
        cg_assert_error(cg_patch("/beta" SYMANTEC, tokens[i], "{}"), 403, "Forbidden", NULL);
    }
    cg_assert_status(cg_get(cg_fmt("/beta%s/%s", ECSC, id), cg_tenant_token(tenant)), 200);
}

Test(auth, apps_scopes_cannot_touch_device_certificate_states)
{
    const char *tenant = cg_new_tenant();
    const char *id = cg_create("beta", STATES, cg_tenant_token(tenant), "{}");
    const char *tokens[] = { cg_token("--tenant %s --scp '%s'", tenant, SCOPE_APPS_RW),
                             cg_token("--tenant %s --roles '%s'", tenant, SCOPE_APPS_R) };
    for (int i = 0; i < 2; i++) {
        cg_assert_error(cg_get("/beta" STATES, tokens[i]), 403, "Forbidden", NULL);
        cg_assert_error(cg_get(cg_fmt("/beta%s/%s", STATES, id), tokens[i]), 403, "Forbidden", NULL);
        cg_assert_error(cg_post("/beta" STATES, tokens[i], "{}"), 403, "Forbidden", NULL);
        cg_assert_error(cg_patch(cg_fmt("/beta%s/%s", STATES, id), tokens[i], "{}"), 403, "Forbidden", NULL);
        cg_assert_error(cg_delete(cg_fmt("/beta%s/%s", STATES, id), tokens[i]), 403, "Forbidden", NULL);
    }
    cg_assert_status(cg_get(cg_fmt("/beta%s/%s", STATES, id), cg_tenant_token(tenant)), 200);
}

Test(auth, configuration_read_scope_reads_device_states_but_cannot_write)
{
    const char *tenant = cg_new_tenant();
    const char *id = cg_create("beta", STATES, cg_tenant_token(tenant), "{\"managedDeviceDisplayName\":\"kept\"}");
    const char *tokens[] = { cg_token("--tenant %s --scp '%s'", tenant, SCOPE_CONFIG_R),
                             cg_token("--tenant %s --roles '%s'", tenant, SCOPE_CONFIG_R) };
    for (int i = 0; i < 2; i++) {
        cg_assert_ok(cg_check_collection_response(cg_get("/beta" STATES, tokens[i]), &CG_STATE, "beta"));
        cg_assert_ok(cg_check_entity_response(cg_get(cg_fmt("/beta%s/%s", STATES, id), tokens[i]), 200, &CG_STATE, "beta"));
        cg_assert_error(cg_post("/beta" STATES, tokens[i], "{}"), 403, "Forbidden", NULL);
        cg_assert_error(cg_patch(cg_fmt("/beta%s/%s", STATES, id), tokens[i], "{\"managedDeviceDisplayName\":\"x\"}"),
                        403, "Forbidden", NULL);
        cg_assert_error(cg_delete(cg_fmt("/beta%s/%s", STATES, id), tokens[i]), 403, "Forbidden", NULL);
    }
    cg_response *r = cg_get(cg_fmt("/beta%s/%s", STATES, id), cg_tenant_token(tenant));
    cr_assert_str_eq(cg_str(r->json, "managedDeviceDisplayName"), "kept");
}

/* A token with only this permission (as scp or as roles) can do everything on both resources it
 * covers and nothing on the other. */
Test(auth, application_roles_grant_like_scopes)
{
    const char *tenant = cg_new_tenant();
    const char *apps = cg_token("--tenant %s --roles '%s'", tenant, SCOPE_APPS_RW);
    const char *id = cg_create("v1.0", ECSC, apps, "{\"subject\":\"by role\"}");
    cg_assert_ok(cg_check_entity_response(cg_get(cg_fmt("/beta%s/%s", ECSC, id), apps), 200, &CG_ECSC, "beta"));
    cg_assert_ok(cg_check_entity_response(cg_patch(cg_fmt("/beta%s/%s", ECSC, id), apps, "{\"issuer\":\"i\"}"), 200,
                                          &CG_ECSC, "beta"));
    cg_assert_ok(cg_check_entity_response(cg_patch("/beta" SYMANTEC, apps, "{\"issuer\":\"i\"}"), 200, &CG_SYMANTEC, "beta"));
    cg_assert_status(cg_delete(cg_fmt("/beta%s/%s", ECSC, id), apps), 204);
    cg_assert_error(cg_get("/beta" STATES, apps), 403, "Forbidden", NULL);

    const char *config = cg_token("--tenant %s --roles '%s'", tenant, SCOPE_CONFIG_RW);
    const char *state = cg_create("beta", STATES, config, "{}");
    cg_assert_status(cg_patch(cg_fmt("/beta%s/%s", STATES, state), config, "{\"certificateKeyUsages\":3}"), 200);
    cg_assert_status(cg_delete(cg_fmt("/beta%s/%s", STATES, state), config), 204);
    cg_assert_error(cg_get("/beta" ECSC, config), 403, "Forbidden", NULL);

    /* several roles, and scp-only tokens with the same permission */
    const char *both = cg_token("--tenant %s --roles '%s %s'", tenant, SCOPE_CONFIG_R, SCOPE_APPS_RW);
    cg_assert_status(cg_post("/beta" ECSC, both, "{}"), 201);
    cg_assert_status(cg_get("/beta" STATES, both), 200);
    cg_assert_error(cg_post("/beta" STATES, both, "{}"), 403, "Forbidden", NULL);
    const char *scp = cg_token("--tenant %s --scp '%s'", tenant, SCOPE_APPS_RW);
    cg_assert_status(cg_post("/beta" ECSC, scp, "{}"), 201);
    cg_assert_error(cg_post("/beta" STATES, scp, "{}"), 403, "Forbidden", NULL);
}

Test(auth, token_without_any_known_permission_is_403)
{
    const char *tenant = cg_new_tenant();
    const char *t = cg_token("--tenant %s --scp 'User.Read Mail.Send'", tenant);
    cg_assert_error(cg_get("/beta" ECSC, t), 403, "Forbidden", NULL);
    cg_assert_error(cg_get("/beta" SYMANTEC, t), 403, "Forbidden", NULL);
    cg_assert_error(cg_get("/beta" STATES, t), 403, "Forbidden", NULL);
    cg_assert_error(cg_post("/beta" ECSC, t, "{}"), 403, "Forbidden", NULL);
    /* a scope that only contains a permission's name is not that permission */
    t = cg_token("--tenant %s --scp 'XDeviceManagementApps.ReadWrite.All DeviceManagementApps.ReadWrite'", tenant);
    cg_assert_error(cg_get("/beta" ECSC, t), 403, "Forbidden", NULL);
}

/* ---- tenant isolation ------------------------------------------------------------------------ */

static size_t list_len(const char *path, const char *token)
{
    cg_response *r = cg_get(path, token);
    cg_assert_status(r, 200);
    return cg_member(r->json, "value")->u.array.len;
}

static void assert_isolated(const char *collection, const char *body, const cg_type *t)
{
    const char *a = cg_tenant_token(cg_new_tenant());
    const char *b = cg_tenant_token(cg_new_tenant());
    const char *id_a = cg_create("beta", collection, a, body);
    const char *id_b = cg_create("beta", collection, b, body);
    const char *item_a = cg_fmt("/beta%s/%s", collection, id_a);
    cg_response *before = cg_get(item_a, a);
    cg_assert_ok(cg_check_entity_response(before, 200, t, "beta"));

    cg_assert_error(cg_get(item_a, b), 404, "ResourceNotFound", NULL);
    cg_assert_error(cg_get(cg_fmt("/beta%s('%s')", collection, id_a), b), 404, "ResourceNotFound", NULL);
    cg_assert_error(cg_patch(item_a, b, "{}"), 404, "ResourceNotFound", NULL);
    cg_assert_error(cg_delete(item_a, b), 404, "ResourceNotFound", NULL);
    /* The same answer as for an id that does not exist at all. */
    char missing[37];
    cg_uuid(missing);
    cg_response *other = cg_get(item_a, b);
    cg_response *none = cg_get(cg_fmt("/beta%s/%s", collection, missing), b);
    cr_assert_eq(other->status, none->status);
    cr_assert_str_eq(cg_str(cg_member(other->json, "error"), "code"), cg_str(cg_member(none->json, "error"), "code"));

    cg_response *after = cg_get(item_a, a);
    cg_assert_ok(cg_check_entity_response(after, 200, t, "beta"));
    cg_assert_ok(cg_compare_objects(after->json, before->json, ""));

    /* Lists are disjoint. */
    for (int side = 0; side < 2; side++) {
        cg_response *r = cg_get(cg_fmt("/beta%s", collection), side ? b : a);
        cg_assert_ok(cg_check_collection_response(r, t, "beta"));
        yajl_val v = cg_member(r->json, "value");
        cr_assert_eq(v->u.array.len, 1, "%s", r->body);
        cr_assert_str_eq(cg_str(v->u.array.values[0], "id"), side ? id_b : id_a);
    }
    cg_assert_status(cg_delete(cg_fmt("/beta%s/%s", collection, id_b), b), 204);
    cr_assert_eq(list_len(cg_fmt("/beta%s", collection), a), 1);
    cr_assert_eq(list_len(cg_fmt("/beta%s", collection), b), 0);
}

Test(tenancy, code_signing_certificates_are_per_tenant)
{
    assert_isolated(ECSC, "{\"subject\":\"tenant secret\"}", &CG_ECSC);
}

Test(tenancy, device_certificate_states_are_per_tenant)
{
    assert_isolated(STATES, "{\"userPrincipalName\":\"secret@contoso.com\"}", &CG_STATE);
}

Test(tenancy, v1_0_lists_are_per_tenant_too)
{
    const char *a = cg_tenant_token(cg_new_tenant());
    const char *b = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("v1.0", ECSC, a, "{}");
    cr_assert_eq(list_len("/v1.0" ECSC, a), 1);
    cr_assert_eq(list_len("/v1.0" ECSC, b), 0);
    cg_assert_error(cg_get(cg_fmt("/v1.0%s/%s", ECSC, id), b), 404, "ResourceNotFound", NULL);
}

Test(tenancy, each_tenant_has_its_own_singleton)
{
    const char *a = cg_tenant_token(cg_new_tenant());
    const char *b = cg_tenant_token(cg_new_tenant());
    cg_assert_status(cg_patch("/beta" SYMANTEC, a, "{\"subjectName\":\"A's\"}"), 200);
    cg_response *rb = cg_get("/beta" SYMANTEC, b);
    cg_assert_ok(cg_check_entity_response(rb, 200, &CG_SYMANTEC, "beta"));
    cr_assert(cg_is_null(rb->json, "subjectName"), "tenant B sees A's singleton: %s", rb->body);
    cg_response *ra = cg_get("/beta" SYMANTEC, a);
    cr_assert_str_neq(cg_str(ra->json, "id"), cg_str(rb->json, "id"));
    /* B's PATCH does not touch A's. */
    cg_assert_status(cg_patch("/beta" SYMANTEC, b, "{\"subjectName\":\"B's\"}"), 200);
    ra = cg_get("/beta" SYMANTEC, a);
    cr_assert_str_eq(cg_str(ra->json, "subjectName"), "A's");
    /* A PATCH naming the other tenant's singleton id is refused. */
    cg_assert_error(cg_patch("/beta" SYMANTEC, b, cg_fmt("{\"id\":\"%s\"}", cg_str(ra->json, "id"))), 400, "BadRequest", NULL);
}
