/* managedAllDeviceCertificateStates (API.md §1, §2), beta only, and the server-kept
 * certificateRevokeStatusLastChangeDateTime. */
#include <string.h>

#include "client.h"

TestSuite(device_states, .init = cg_setup, .fini = cg_teardown);

#define COLLECTION "/beta" STATES
#define LAST_CHANGE "certificateRevokeStatusLastChangeDateTime"

static const char *item(const char *id)
{
    return cg_fmt("%s/%s", COLLECTION, id);
}

/* The instant is within a few seconds of [before, after] (same machine, so the same clock). */
static void assert_about_now(yajl_val entity, long long before, long long after)
{
    const char *v = cg_str(entity, LAST_CHANGE);
    long long us;
    cr_assert(v && cg_parse_instant(v, &us), "%s is '%s'", LAST_CHANGE, v ? v : "(not a string)");
    cr_assert(v[strlen(v) - 1] == 'Z', "%s '%s' is not UTC", LAST_CHANGE, v);
    cr_assert(us >= before - 2000000 && us <= after + 2000000,
              "%s is %s, not the time of the request (%lld us before it started, %lld us after it ended)",
              LAST_CHANGE, v, before - us, us - after);
}

Test(device_states, crud)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_get(COLLECTION, token);
    cg_assert_ok(cg_check_collection_response(r, &CG_STATE, "beta"));
    cr_assert_eq(cg_member(r->json, "value")->u.array.len, 0, "%s", r->body);

    const char *body =
        "{\"managedDeviceDisplayName\":\"LAPTOP-01\",\"userPrincipalName\":\"adele@contoso.com\","
        "\"certificateExpirationDateTime\":\"2027-03-04T05:06:07Z\",\"certificateIssuanceDateTime\":\"2025-03-04T05:06:07Z\","
        "\"certificateIssuerName\":\"Contoso Issuing CA\",\"certificateThumbprint\":\"A1B2C3\","
        "\"certificateSerialNumber\":\"0123456789\",\"certificateSubjectName\":\"CN=adele\","
        "\"certificateKeyUsages\":160,\"certificateExtendedKeyUsages\":\"1.3.6.1.5.5.7.3.2\"}";
    r = cg_post(COLLECTION, token, body);
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_STATE, "beta"));
    cg_assert_ok(cg_compare_doc(r->json, body));
    cr_assert_str_eq(cg_str(r->json, "certificateRevokeStatus"), "none");
    cr_assert_str_eq(cg_str(r->json, LAST_CHANGE), NEVER_SET, "no certificateRevokeStatus was given");
    const char *id = cg_fmt("%s", cg_str(r->json, "id"));
    cr_assert_str_eq(cg_header(r, "Location"), cg_fmt("%s/beta%s/%s", cg_base(), STATES, id));
    cr_assert_str_eq(cg_str(r->json, "@odata.context"),
                     cg_fmt("%s/beta/$metadata#deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates/$entity",
                            cg_base()));
    yajl_val created = r->json;

    r = cg_get(item(id), token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_STATE, "beta"));
    cg_assert_ok(cg_compare_objects(r->json, created, ""));

    r = cg_get(COLLECTION, token);
    cg_assert_ok(cg_check_collection_response(r, &CG_STATE, "beta"));
    yajl_val list = cg_member(r->json, "value");
    cr_assert_eq(list->u.array.len, 1, "%s", r->body);
    cg_assert_ok(cg_compare_objects(list->u.array.values[0], created, "@odata.context"));

    r = cg_patch(item(id), token, "{\"certificateKeyUsages\":-1,\"userPrincipalName\":null}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_STATE, "beta"));
    long long usages = 0;
    cr_assert(cg_int(r->json, "certificateKeyUsages", &usages) && usages == -1, "%s", r->body);
    cr_assert(cg_is_null(r->json, "userPrincipalName"), "%s", r->body);
    cg_assert_ok(cg_compare_objects(r->json, created, "certificateKeyUsages,userPrincipalName"));

    r = cg_delete(item(id), token);
    cg_assert_status(r, 204);
    cr_assert_eq(r->body_len, 0, "%s", r->body);
    cg_assert_error(cg_get(item(id), token), 404, "ResourceNotFound", NULL);
    cg_assert_error(cg_delete(item(id), token), 404, "ResourceNotFound", NULL);
}

Test(device_states, post_with_empty_body_gives_the_defaults)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_post(COLLECTION, token, "{}");
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_STATE, "beta"));
    cg_assert_ok(cg_compare_doc(r->json,
                                "{\"certificateRevokeStatus\":\"none\",\"" LAST_CHANGE "\":\"" NEVER_SET "\","
                                "\"managedDeviceDisplayName\":null,\"userPrincipalName\":null,"
                                "\"certificateExpirationDateTime\":\"" NEVER_SET "\","
                                "\"certificateIssuanceDateTime\":\"" NEVER_SET "\",\"certificateIssuerName\":null,"
                                "\"certificateThumbprint\":null,\"certificateSerialNumber\":null,"
                                "\"certificateSubjectName\":null,\"certificateKeyUsages\":0,"
                                "\"certificateExtendedKeyUsages\":null}"));
    cr_assert_str_eq(cg_str(r->json, LAST_CHANGE), NEVER_SET);
}

Test(device_states, is_beta_only)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("beta", STATES, token, "{}");
    const char *message = "Resource not found for the segment 'deviceConfigurationsAllManagedDeviceCertificateStates'";
    cg_assert_error(cg_get("/v1.0" STATES, token), 400, "BadRequest", message);
    cg_assert_error(cg_post("/v1.0" STATES, token, "{}"), 400, "BadRequest", message);
    cg_assert_error(cg_get(cg_fmt("/v1.0%s/%s", STATES, id), token), 400, "BadRequest", message);
    cg_assert_error(cg_patch(cg_fmt("/v1.0%s/%s", STATES, id), token, "{}"), 400, "BadRequest", message);
    cg_assert_error(cg_delete(cg_fmt("/v1.0%s/%s", STATES, id), token), 400, "BadRequest", message);
    cg_assert_ok(cg_check_entity_response(cg_get(item(id), token), 200, &CG_STATE, "beta"));
}

Test(device_states, int32_bounds_are_accepted)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_post(COLLECTION, token, "{\"certificateKeyUsages\":2147483647}");
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_STATE, "beta"));
    long long v = 0;
    cr_assert(cg_int(r->json, "certificateKeyUsages", &v) && v == 2147483647LL, "%s", r->body);
    r = cg_patch(item(cg_str(r->json, "id")), token, "{\"certificateKeyUsages\":-2147483648}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_STATE, "beta"));
    cr_assert(cg_int(r->json, "certificateKeyUsages", &v) && v == -2147483648LL, "%s", r->body);
}

/* ---- certificateRevokeStatusLastChangeDateTime ----------------------------------------------- */

Test(device_states, post_with_a_revoke_status_stamps_the_change_time)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *statuses[] = { "pending", "revoked", "none" };
    for (int i = 0; i < 3; i++) {
        long long before = cg_now_us();
        cg_response *r = cg_post(COLLECTION, token, cg_fmt("{\"certificateRevokeStatus\":\"%s\"}", statuses[i]));
        long long after = cg_now_us();
        cg_assert_ok(cg_check_entity_response(r, 201, &CG_STATE, "beta"));
        cr_assert_str_eq(cg_str(r->json, "certificateRevokeStatus"), statuses[i]);
        assert_about_now(r->json, before, after);
        /* and it is stored, not computed per answer */
        cg_response *g = cg_get(item(cg_str(r->json, "id")), token);
        cr_assert_str_eq(cg_str(g->json, LAST_CHANGE), cg_str(r->json, LAST_CHANGE));
    }
}

Test(device_states, post_with_a_change_time_in_the_body_keeps_it)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_post(COLLECTION, token,
                             "{\"certificateRevokeStatus\":\"issued\",\"" LAST_CHANGE "\":\"2020-02-02T02:02:02.123456Z\"}");
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_STATE, "beta"));
    cr_assert_str_eq(cg_str(r->json, LAST_CHANGE), "2020-02-02T02:02:02.123456Z");
    r = cg_post(COLLECTION, token, "{\"" LAST_CHANGE "\":\"2021-06-30T12:00:00-07:00\"}");
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_STATE, "beta"));
    cr_assert_str_eq(cg_str(r->json, LAST_CHANGE), "2021-06-30T19:00:00Z");
}

Test(device_states, patch_that_changes_the_status_stamps_the_change_time)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("beta", STATES, token,
                               "{\"certificateRevokeStatus\":\"pending\",\"" LAST_CHANGE "\":\"2019-01-01T00:00:00Z\"}");
    long long before = cg_now_us();
    cg_response *r = cg_patch(item(id), token, "{\"certificateRevokeStatus\":\"revoked\"}");
    long long after = cg_now_us();
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_STATE, "beta"));
    cr_assert_str_eq(cg_str(r->json, "certificateRevokeStatus"), "revoked");
    assert_about_now(r->json, before, after);
    const char *stamped = cg_fmt("%s", cg_str(r->json, LAST_CHANGE));
    r = cg_get(item(id), token);
    cr_assert_str_eq(cg_str(r->json, LAST_CHANGE), stamped);
}

Test(device_states, patch_with_the_same_status_keeps_the_change_time)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("beta", STATES, token,
                               "{\"certificateRevokeStatus\":\"pending\",\"" LAST_CHANGE "\":\"2019-01-01T00:00:00Z\"}");
    cg_response *r = cg_patch(item(id), token, "{\"certificateRevokeStatus\":\"pending\",\"managedDeviceDisplayName\":\"d\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_STATE, "beta"));
    cr_assert_str_eq(cg_str(r->json, LAST_CHANGE), "2019-01-01T00:00:00Z", "an unchanged status moved the change time");
    r = cg_patch(item(id), token, "{\"userPrincipalName\":\"someone@contoso.com\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_STATE, "beta"));
    cr_assert_str_eq(cg_str(r->json, LAST_CHANGE), "2019-01-01T00:00:00Z", "a PATCH without a status moved the change time");
    cr_assert_str_eq(cg_str(r->json, "certificateRevokeStatus"), "pending");
}

Test(device_states, patch_with_a_change_time_in_the_body_keeps_it)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("beta", STATES, token, "{\"certificateRevokeStatus\":\"pending\"}");
    cg_response *r = cg_patch(item(id), token,
                              "{\"certificateRevokeStatus\":\"failed\",\"" LAST_CHANGE "\":\"2018-08-08T08:08:08.000008+08:00\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_STATE, "beta"));
    cr_assert_str_eq(cg_str(r->json, "certificateRevokeStatus"), "failed");
    cr_assert_str_eq(cg_str(r->json, LAST_CHANGE), "2018-08-08T00:08:08.000008Z");
    r = cg_patch(item(id), token, "{\"" LAST_CHANGE "\":\"2017-07-07T07:07:07Z\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_STATE, "beta"));
    cr_assert_str_eq(cg_str(r->json, LAST_CHANGE), "2017-07-07T07:07:07Z");
    cr_assert_str_eq(cg_str(r->json, "certificateRevokeStatus"), "failed");
}
