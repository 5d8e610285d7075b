/* The audit trail through nginx (API.md §8): one auditEvent per successful write, none for a failed
 * one, the actor of a delegated and of an app-only token, old and new values without secrets or
 * certificate bytes, the read-only collection with its query options, and the append-only role. */
#include <stdio.h>
#include <string.h>

#include "client.h"

TestSuite(audit, .init = cg_setup, .fini = cg_teardown);

#define EVENTS "/deviceManagement/auditEvents"
#define USER_OID "0a11ce00-0000-4000-8000-00000000a11c"
#define APP_ID "a0a0a0a0-1111-4222-8333-444444444444"

static const char *user_token(const char *tenant)
{
    return cg_token("--tenant %s --oid " USER_OID " --upn alice@contoso.example --appid " APP_ID, tenant);
}

static const char *app_token(const char *tenant)
{
    return cg_token("--tenant %s --oid 0b0b0b0b-0000-4000-8000-000000000b0b --appid " APP_ID
                    " --roles '" SCOPE_APPS_RW " " SCOPE_CONFIG_RW "'", tenant);
}

static long long events_in_db(const char *tenant)
{
    const char *p[] = { tenant };
    long long n = 0;
    sscanf(cg_db_value("SELECT count(*) FROM audit_event WHERE tenant_id = $1", 1, p), "%lld", &n);
    return n;
}

/* The tenant's events as the API lists them, newest first. */
static yajl_val events(const char *version, const char *tenant, const char *query)
{
    cg_response *r = cg_get(cg_fmt("/%s" EVENTS "%s", version, query ? query : ""), user_token(tenant));
    cg_assert_status(r, 200);
    yajl_val v = cg_member(r->json, "value");
    cr_assert(YAJL_IS_ARRAY(v), "%s", r->body);
    return v;
}

static yajl_val resource_of(yajl_val event)
{
    yajl_val res = cg_member(event, "resources");
    cr_assert(YAJL_IS_ARRAY(res) && res->u.array.len == 1);
    return res->u.array.values[0];
}

/* The modifiedProperties item of that name, NULL when the write did not change it. */
static yajl_val changed(yajl_val event, const char *name)
{
    yajl_val mods = cg_member(resource_of(event), "modifiedProperties");
    cr_assert(YAJL_IS_ARRAY(mods));
    for (size_t i = 0; i < mods->u.array.len; i++)
        if (strcmp(cg_str(mods->u.array.values[i], "displayName"), name) == 0) return mods->u.array.values[i];
    return NULL;
}

Test(audit, every_successful_write_is_one_event_with_the_delegated_actor_and_the_changes)
{
    const char *tenant = cg_new_tenant();
    const char *tok = user_token(tenant);
    const char *id = cg_create("beta", STATES, tok, "{\"userPrincipalName\":\"bob@contoso.example\","
                                                     "\"certificateRevokeStatus\":\"issued\"}");
    cr_assert_eq(events_in_db(tenant), 1);
    cg_response *r = cg_call(.method = "PATCH", .path = cg_fmt("/beta" STATES "/%s", id), .token = tok,
                             .body = "{\"certificateRevokeStatus\":\"pending\"}",
                             .headers = { "client-request-id: 5ca1ab1e-0000-4000-8000-000000000042" });
    cg_assert_status(r, 200);
    cg_assert_status(cg_delete(cg_fmt("/beta" STATES "/%s", id), tok), 204);
    cr_assert_eq(events_in_db(tenant), 3);

    yajl_val list = events("v1.0", tenant, NULL);
    cr_assert_eq(list->u.array.len, 3);
    /* newest first: Delete, Patch, Create */
    yajl_val del = list->u.array.values[0], patch = list->u.array.values[1], create = list->u.array.values[2];
    cr_assert_str_eq(cg_str(del, "activityOperationType"), "Delete");
    cr_assert_str_eq(cg_str(patch, "activityOperationType"), "Patch");
    cr_assert_str_eq(cg_str(create, "activityOperationType"), "Create");
    cr_assert_str_eq(cg_str(create, "@odata.type"), "#microsoft.graph.auditEvent");
    cr_assert_str_eq(cg_str(create, "activity"), "Create ManagedAllDeviceCertificateState");
    cr_assert_str_eq(cg_str(create, "displayName"), "Create ManagedAllDeviceCertificateState");
    cr_assert_str_eq(cg_str(create, "activityResult"), "Success");
    cr_assert_str_eq(cg_str(create, "componentName"), "DeviceConfiguration");
    cr_assert_str_eq(cg_str(create, "category"), "DeviceConfiguration");
    cr_assert(cg_is_uuid(cg_str(create, "correlationId")));
    cr_assert_str_eq(cg_str(patch, "correlationId"), "5ca1ab1e-0000-4000-8000-000000000042");
    /* the request-id nginx gave the PATCH is kept beside it, for psql */
    const char *ev_id[] = { cg_str(patch, "id") };
    cr_assert_str_eq(cg_db_value("SELECT request_id::text FROM audit_event WHERE id = $1", 1, ev_id), cg_header(r, "request-id"));
    long long t_create, t_del;
    cr_assert(cg_parse_instant(cg_str(create, "activityDateTime"), &t_create));
    cr_assert(cg_parse_instant(cg_str(del, "activityDateTime"), &t_del));
    cr_assert_leq(t_create, t_del);

    yajl_val actor = cg_member(create, "actor");
    cr_assert_str_eq(cg_str(actor, "type"), "ItPro");
    cr_assert_str_eq(cg_str(actor, "auditActorType"), "ItPro");
    cr_assert_str_eq(cg_str(actor, "userPrincipalName"), "alice@contoso.example");
    cr_assert_str_eq(cg_str(actor, "userId"), USER_OID);
    cr_assert_str_eq(cg_str(actor, "applicationId"), APP_ID);
    cr_assert_str_eq(cg_str(actor, "ipAddress"), "127.0.0.1");
    cr_assert(cg_is_null(actor, "servicePrincipalName"));
    yajl_val perms = cg_member(actor, "userPermissions");
    cr_assert(YAJL_IS_ARRAY(perms) && perms->u.array.len == 2);

    yajl_val res = resource_of(create);
    cr_assert_str_eq(cg_str(res, "resourceId"), id);
    cr_assert_str_eq(cg_str(res, "type"), "ManagedAllDeviceCertificateState");
    cr_assert_str_eq(cg_str(res, "displayName"), "bob@contoso.example");
    yajl_val upn = changed(create, "userPrincipalName");
    cr_assert_not_null(upn);
    cr_assert(cg_is_null(upn, "oldValue"));
    cr_assert_str_eq(cg_str(upn, "newValue"), "bob@contoso.example");

    yajl_val status = changed(patch, "certificateRevokeStatus");
    cr_assert_not_null(status);
    cr_assert_str_eq(cg_str(status, "oldValue"), "issued");
    cr_assert_str_eq(cg_str(status, "newValue"), "pending");
    /* the stamp moved with the status; what the PATCH left alone is not listed */
    cr_assert_not_null(changed(patch, "certificateRevokeStatusLastChangeDateTime"));
    cr_assert_null(changed(patch, "userPrincipalName"));

    yajl_val gone = changed(del, "userPrincipalName");
    cr_assert_str_eq(cg_str(gone, "oldValue"), "bob@contoso.example");
    cr_assert(cg_is_null(gone, "newValue"));

    /* Get by id, and the same events under /beta */
    cg_response *one = cg_get(cg_fmt("/v1.0" EVENTS "/%s", cg_str(create, "id")), tok);
    cg_assert_status(one, 200);
    cr_assert_str_eq(cg_str(one->json, "activity"), "Create ManagedAllDeviceCertificateState");
    cr_assert_str_eq(cg_str(one->json, "@odata.context"), cg_fmt("%s/v1.0/$metadata#deviceManagement/auditEvents/$entity", cg_base()));
    cr_assert_eq(events("beta", tenant, NULL)->u.array.len, 3);
}

Test(audit, each_write_of_a_batch_is_its_own_event_with_the_callers_actor)
{
    const char *tenant = cg_new_tenant();
    cg_response *r = cg_post("/beta/$batch", user_token(tenant), "{\"requests\":["
        "{\"id\":\"1\",\"method\":\"POST\",\"url\":\"" STATES "\",\"headers\":{\"Content-Type\":\"application/json\"},"
        "\"body\":{\"userPrincipalName\":\"one@contoso.example\"}},"
        "{\"id\":\"2\",\"method\":\"POST\",\"url\":\"" STATES "\",\"headers\":{\"Content-Type\":\"application/json\"},"
        "\"body\":{\"certificateKeyUsages\":\"not a number\"}},"
        "{\"id\":\"3\",\"method\":\"GET\",\"url\":\"" STATES "\"}]}");
    cg_assert_status(r, 200);
    yajl_val list = events("beta", tenant, NULL);
    cr_assert_eq(list->u.array.len, 1, "the created one only: %s", r->body);
    cr_assert_str_eq(cg_str(cg_member(list->u.array.values[0], "actor"), "userPrincipalName"), "alice@contoso.example");
}

Test(audit, a_failed_write_records_nothing)
{
    const char *tenant = cg_new_tenant();
    const char *tok = user_token(tenant);
    cg_assert_status(cg_post("/beta" STATES, tok, "{\"certificateRevokeStatus\":\"nonsense\"}"), 400);
    cg_assert_status(cg_patch("/beta" STATES "/7e57e57e-0000-4000-8000-000000000000", tok, "{\"userPrincipalName\":\"x\"}"), 404);
    cg_assert_status(cg_delete("/beta" STATES "/7e57e57e-0000-4000-8000-000000000000", tok), 404);
    cg_assert_status(cg_post("/v1.0" ECSC, cg_token("--tenant %s --scp '%s'", tenant, SCOPE_APPS_R), "{}"), 403);
    cr_assert_eq(events_in_db(tenant), 0);
    cr_assert_eq(events("v1.0", tenant, NULL)->u.array.len, 0);
}

Test(audit, an_app_only_token_is_an_application_actor_without_a_user_principal_name)
{
    const char *tenant = cg_new_tenant();
    cg_create("v1.0", ECSC, app_token(tenant), "{\"status\":\"notProvisioned\"}");
    yajl_val list = events("v1.0", tenant, NULL);
    cr_assert_eq(list->u.array.len, 1);
    yajl_val actor = cg_member(list->u.array.values[0], "actor");
    cr_assert_str_eq(cg_str(actor, "type"), "Application");
    cr_assert_str_eq(cg_str(actor, "auditActorType"), "Application");
    cr_assert(cg_is_null(actor, "userPrincipalName"));
    cr_assert_str_eq(cg_str(actor, "applicationId"), APP_ID);
    cr_assert_str_eq(cg_str(actor, "userId"), "0b0b0b0b-0000-4000-8000-000000000b0b");
    cr_assert_str_eq(cg_str(list->u.array.values[0], "componentName"), "DeviceAppManagement");
}

Test(audit, secrets_and_certificate_bytes_never_reach_the_trail)
{
    const char *tenant = cg_new_tenant();
    const char *tok = user_token(tenant);
    /* not a certificate: kept as sent, recorded as the SHA-256 of the bytes ("hello") */
    cg_response *r = cg_patch("/beta" SYMANTEC, tok, "{\"content\":\"aGVsbG8=\",\"password\":\"s3cret-pfx-pass\"}");
    cg_assert_status(r, 200);
    yajl_val list = events("beta", tenant, NULL);
    cr_assert_eq(list->u.array.len, 1);
    yajl_val ev = list->u.array.values[0];
    cr_assert_str_eq(cg_str(ev, "activityOperationType"), "Patch", "the singleton's first PATCH is a Patch");
    yajl_val content = changed(ev, "content");
    cr_assert_not_null(content);
    cr_assert(cg_is_null(content, "oldValue"));
    cr_assert_str_eq(cg_str(content, "newValue"), "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824");
    yajl_val pw = changed(ev, "password");
    cr_assert_not_null(pw);
    cr_assert(cg_is_null(pw, "oldValue") && cg_is_null(pw, "newValue"));
    const char *p[] = { tenant };
    cr_assert_str_eq(cg_db_value("SELECT count(*) FROM audit_event WHERE tenant_id = $1 AND "
                                 "(resources::text LIKE '%s3cret%' OR resources::text LIKE '%aGVsbG8%')", 1, p), "0");

    /* a second PATCH: old values are the first one's */
    cg_assert_status(cg_patch("/beta" SYMANTEC, tok, "{\"content\":\"d29ybGQ=\"}"), 200);
    yajl_val again = events("beta", tenant, NULL)->u.array.values[0];
    yajl_val c2 = changed(again, "content");
    cr_assert_str_eq(cg_str(c2, "oldValue"), "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824");
    cr_assert_str_eq(cg_str(c2, "newValue"), "486EA46224D1BB4FB680F34F7C9AD96A8F24EC88BE73EA8E5A6C65260E9CB8A7");
    cr_assert_null(changed(again, "password"));
}

Test(audit, the_collection_is_read_only_and_filters_like_graph)
{
    const char *tenant = cg_new_tenant();
    const char *tok = user_token(tenant);
    const char *a = cg_create("v1.0", ECSC, tok, "{}");
    cg_create("v1.0", ECSC, tok, "{}");
    cg_assert_status(cg_delete(cg_fmt("/v1.0" ECSC "/%s", a), tok), 204);

    cg_response *r = cg_post("/v1.0" EVENTS, tok, "{}");
    cg_assert_error(r, 405, "MethodNotAllowed", NULL);
    cr_assert_str_eq(cg_header(r, "Allow"), "GET");
    yajl_val first = events("v1.0", tenant, NULL)->u.array.values[0];
    const char *eid = cg_str(first, "id");
    cg_assert_status(cg_patch(cg_fmt("/v1.0" EVENTS "/%s", eid), tok, "{}"), 405);
    cg_assert_status(cg_delete(cg_fmt("/v1.0" EVENTS "/%s", eid), tok), 405);

    cr_assert_eq(events("v1.0", tenant, "?$filter=activityOperationType%20eq%20'Create'")->u.array.len, 2);
    cr_assert_eq(events("v1.0", tenant, cg_fmt("?$filter=resources/any(r:r/resourceId%%20eq%%20'%s')", a))->u.array.len, 2);
    cr_assert_eq(events("v1.0", tenant, cg_fmt("?$filter=resources/any(r:%%20r/resourceId%%20eq%%20'%s')%%20and%%20"
                                               "activityOperationType%%20eq%%20'Delete'", a))->u.array.len, 1);
    cr_assert_eq(events("v1.0", tenant, "?$filter=category%20eq%20'DeviceConfiguration'")->u.array.len, 0);
    cr_assert_eq(events("v1.0", tenant, cg_fmt("?$filter=activityDateTime%%20le%%20%s", cg_str(first, "activityDateTime")))->u.array.len, 3);
    /* pages newest first and the next link carries on */
    cg_response *page = cg_get("/v1.0" EVENTS "?$top=2&$select=activityOperationType,resources", tok);
    cg_assert_status(page, 200);
    cr_assert_eq(cg_member(page->json, "value")->u.array.len, 2);
    const char *next = cg_str(page->json, "@odata.nextLink");
    cr_assert_not_null(next);
    cg_response *rest = cg_get(next, tok);
    cg_assert_status(rest, 200);
    yajl_val last = cg_member(rest->json, "value");
    cr_assert_eq(last->u.array.len, 1);
    cr_assert_str_eq(cg_str(last->u.array.values[0], "activityOperationType"), "Create");
    cr_assert(!cg_has(last->u.array.values[0], "actor"), "$select applies");

    cg_assert_error(cg_get("/v1.0" EVENTS "?$filter=resources/any(r:r/modifiedProperties%20eq%20'x')", tok), 400, "BadRequest", NULL);
    cg_assert_error(cg_get("/v1.0" EVENTS "?$filter=actor%20eq%20'x'", tok), 400, "BadRequest", NULL);
    cg_assert_error(cg_get("/v1.0" EVENTS "?$orderby=resources", tok), 400, "BadRequest", NULL);
    /* another tenant sees none of them */
    cr_assert_eq(events("v1.0", cg_new_tenant(), NULL)->u.array.len, 0);
}

/* The audit row is part of the write: when it cannot be written, neither is the entity. */
static void set_audit_insert(bool allowed)
{
    PGresult *r = PQexec(cg_db(), allowed ? "GRANT INSERT ON audit_event TO certgraph_service"
                                          : "REVOKE INSERT ON audit_event FROM certgraph_service");
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(cg_db()));
    PQclear(r);
}

static void restore_audit_insert(void)
{
    set_audit_insert(true);
    cg_teardown();
}

Test(audit, a_write_whose_audit_row_fails_is_not_written, .fini = restore_audit_insert)
{
    const char *tenant = cg_new_tenant();
    set_audit_insert(false);
    cg_response *r = cg_post("/beta" STATES, user_token(tenant), "{\"userPrincipalName\":\"lost@contoso.example\"}");
    set_audit_insert(true);
    cg_assert_error(r, 500, "InternalServerError", NULL);
    const char *p[] = { tenant };
    cr_assert_str_eq(cg_db_value("SELECT count(*) FROM managed_all_device_certificate_state WHERE tenant_id = $1", 1, p), "0");
    cr_assert_eq(events_in_db(tenant), 0);
    /* and the worker's connection is fine afterwards */
    cg_create("beta", STATES, user_token(tenant), "{\"userPrincipalName\":\"kept@contoso.example\"}");
    cr_assert_eq(events_in_db(tenant), 1);
}

Test(audit, the_service_role_may_add_rows_but_never_change_or_remove_them)
{
    const char *tenant = cg_new_tenant();
    cg_create("v1.0", ECSC, user_token(tenant), "{}");
    PGconn *svc = PQconnectdb(cg_env("CERTGRAPH_TEST_DB_SERVICE"));
    cr_assert_eq(PQstatus(svc), CONNECTION_OK, "%s", PQerrorMessage(svc));
    const char *p[] = { tenant };
    PGresult *r = PQexecParams(svc, "UPDATE audit_event SET activity_result = 'Failure' WHERE tenant_id = $1", 1, NULL, p, NULL, NULL, 0);
    cr_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501", "UPDATE is refused: %s", PQresultErrorMessage(r));
    PQclear(r);
    r = PQexecParams(svc, "DELETE FROM audit_event WHERE tenant_id = $1", 1, NULL, p, NULL, NULL, 0);
    cr_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501", "DELETE is refused: %s", PQresultErrorMessage(r));
    PQclear(r);
    r = PQexec(svc, "TRUNCATE audit_event");
    cr_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
    PQclear(r);
    PQfinish(svc);
    cr_assert_eq(events_in_db(tenant), 1);
}
