/* The symantecCodeSigningCertificate singleton (API.md §1, §2): one per tenant, beta only, GET
 * before any PATCH reads its defaults, the first PATCH creates it, password is write-only. */
#include <string.h>

#include "client.h"

TestSuite(symantec_singleton, .init = cg_setup, .fini = cg_teardown);

#define SINGLETON_PATH "/beta" SYMANTEC

static const char *const defaults =
    "{\"@odata.type\":\"#microsoft.graph.symantecCodeSigningCertificate\",\"content\":null,"
    "\"status\":\"notProvisioned\",\"password\":null,\"subjectName\":null,\"subject\":null,\"issuerName\":null,"
    "\"issuer\":null,\"expirationDateTime\":\"" NEVER_SET "\",\"uploadDateTime\":\"" NEVER_SET "\"}";

Test(symantec_singleton, get_before_any_patch_reads_the_defaults)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_get(SINGLETON_PATH, token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "@odata.context"),
                     cg_fmt("%s/beta/$metadata#deviceAppManagement/symantecCodeSigningCertificate", cg_base()));
    cg_assert_ok(cg_compare_doc(r->json, defaults));
    cr_assert_str_eq(cg_str(r->json, "expirationDateTime"), NEVER_SET);
    cr_assert_str_eq(cg_str(r->json, "uploadDateTime"), NEVER_SET);
}

Test(symantec_singleton, id_is_stable_across_gets_and_patches)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_get(SINGLETON_PATH, token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    const char *id = cg_fmt("%s", cg_str(r->json, "id"));
    for (int i = 0; i < 3; i++) {
        r = cg_get(SINGLETON_PATH, token);
        cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
        cr_assert_str_eq(cg_str(r->json, "id"), id, "the singleton's id changed between GETs");
    }
    r = cg_patch(SINGLETON_PATH, token, "{\"subjectName\":\"first\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "id"), id, "the first PATCH changed the id");
    r = cg_patch(SINGLETON_PATH, token, "{\"subjectName\":\"second\"}");
    cr_assert_str_eq(cg_str(r->json, "id"), id, "a later PATCH changed the id");
    r = cg_get(SINGLETON_PATH, token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "id"), id, "GET after PATCH shows another id");
}

Test(symantec_singleton, first_patch_creates_later_patches_change_only_what_they_name)
{
    const char *tenant = cg_new_tenant();
    const char *token = cg_tenant_token(tenant);
    const char *params[] = { tenant };
    cr_assert_str_eq(cg_db_value("SELECT count(*) FROM symantec_code_signing_certificate WHERE tenant_id = $1::uuid",
                                 1, params), "0");

    cg_response *r = cg_patch(SINGLETON_PATH, token,
                              "{\"subject\":\"CN=Symantec Test\",\"expirationDateTime\":\"2029-09-09T09:09:09+02:00\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    cg_assert_ok(cg_compare_doc(r->json,
                                "{\"content\":null,\"status\":\"notProvisioned\",\"password\":null,\"subjectName\":null,"
                                "\"subject\":\"CN=Symantec Test\",\"issuerName\":null,\"issuer\":null,"
                                "\"expirationDateTime\":\"2029-09-09T07:09:09Z\",\"uploadDateTime\":\"" NEVER_SET "\"}"));
    cr_assert_str_eq(cg_db_value("SELECT count(*) FROM symantec_code_signing_certificate WHERE tenant_id = $1::uuid",
                                 1, params), "1", "the first PATCH did not create the row");
    yajl_val first = r->json;

    r = cg_patch(SINGLETON_PATH, token, "{\"issuer\":\"CN=Issuer\",\"status\":\"provisioned\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "issuer"), "CN=Issuer");
    cr_assert_str_eq(cg_str(r->json, "status"), "provisioned");
    cg_assert_ok(cg_compare_objects(r->json, first, "issuer,status"));
    yajl_val second = r->json;

    r = cg_get(SINGLETON_PATH, token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    cg_assert_ok(cg_compare_objects(r->json, second, ""));
    cr_assert_str_eq(cg_db_value("SELECT count(*) FROM symantec_code_signing_certificate WHERE tenant_id = $1::uuid",
                                 1, params), "1", "a later PATCH made a second row");
}

Test(symantec_singleton, password_is_accepted_reads_null_and_is_never_stored)
{
    const char *tenant = cg_new_tenant();
    const char *token = cg_tenant_token(tenant);
    char secret[37];
    cg_uuid(secret);
    const char *password = cg_fmt("pw-%s", secret);

    cg_response *r = cg_patch(SINGLETON_PATH, token, cg_fmt("{\"password\":\"%s\",\"subject\":\"with password\"}", password));
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    cr_assert(cg_is_null(r->json, "password"), "PATCH answered the password: %s", r->body);
    cr_assert_str_eq(cg_str(r->json, "subject"), "with password");
    cr_assert_null(strstr(r->body, password), "the password appears in the answer: %s", r->body);
    r = cg_get(SINGLETON_PATH, token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    cr_assert(cg_is_null(r->json, "password"), "GET answered the password: %s", r->body);
    cr_assert_null(strstr(r->body, password), "the password appears in the answer: %s", r->body);

    /* A PATCH without a password keeps what is there, and null is accepted too. */
    r = cg_patch(SINGLETON_PATH, token, "{\"password\":null}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "subject"), "with password");

    /* No table has a column called password, and no stored row holds the text (as text, nor as
     * the hex of a bytea). */
    const char *none[] = { NULL };
    cr_assert_str_eq(cg_db_value("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' "
                                 "AND column_name ILIKE '%password%'", 0, none), "0");
    PGresult *tables = PQexec(cg_db(), "SELECT quote_ident(table_name) FROM information_schema.tables "
                                       "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
    cr_assert_eq(PQresultStatus(tables), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(tables));
    int ntables = PQntuples(tables);
    char *names[32];
    int n = 0;
    for (int i = 0; i < ntables && n < 32; i++) names[n++] = cg_fmt("%s", PQgetvalue(tables, i, 0));
    PQclear(tables);
    cr_assert(n >= 3, "the schema has %d tables", n);
    char hex[200] = "";
    for (size_t i = 0; password[i]; i++) snprintf(hex + 2 * i, sizeof hex - 2 * i, "%02x", (unsigned char)password[i]);
    const char *params[] = { password, hex };
    for (int i = 0; i < n; i++) {
        char *count = cg_db_value(cg_fmt("SELECT count(*) FROM %s t WHERE t::text LIKE '%%' || $1 || '%%' "
                                         "OR t::text LIKE '%%' || $2 || '%%'", names[i]),
                                  2, params);
        cr_assert_str_eq(count, "0", "table %s holds the password", names[i]);
    }
}

Test(symantec_singleton, patch_with_the_singletons_id_is_accepted_another_id_is_400)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_get(SINGLETON_PATH, token);
    cg_assert_status(r, 200);
    const char *id = cg_fmt("%s", cg_str(r->json, "id"));

    r = cg_patch(SINGLETON_PATH, token, cg_fmt("{\"id\":\"%s\",\"issuerName\":\"same id\"}", id));
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "issuerName"), "same id");

    r = cg_patch(SINGLETON_PATH, token, "{\"id\":\"00000000-0000-4000-8000-000000000000\",\"issuerName\":\"other id\"}");
    cg_assert_error(r, 400, "BadRequest", NULL);
    r = cg_get(SINGLETON_PATH, token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    cr_assert_str_eq(cg_str(r->json, "issuerName"), "same id", "a refused PATCH changed the singleton");
    r = cg_patch(SINGLETON_PATH, token, "{\"issuerName\":\"next good request\"}");
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
}

Test(symantec_singleton, patch_prefer_return_minimal_is_204)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_call(.method = "PATCH", .path = SINGLETON_PATH, .token = token,
                             .body = "{\"subjectName\":\"minimal\"}", .headers = { "Prefer: return=minimal" });
    cg_assert_status(r, 204);
    cg_assert_ok(cg_check_common_headers(r));
    cr_assert_eq(r->body_len, 0, "a 204 with a body: %s", r->body);
    r = cg_get(SINGLETON_PATH, token);
    cr_assert_str_eq(cg_str(r->json, "subjectName"), "minimal");
}

Test(symantec_singleton, each_tenant_has_its_own)
{
    const char *token_a = cg_tenant_token(cg_new_tenant());
    const char *token_b = cg_tenant_token(cg_new_tenant());
    cg_response *a = cg_patch(SINGLETON_PATH, token_a, "{\"subject\":\"tenant A\",\"status\":\"provisioned\"}");
    cg_assert_ok(cg_check_entity_response(a, 200, &CG_SYMANTEC, "beta"));
    cg_response *b = cg_get(SINGLETON_PATH, token_b);
    cg_assert_ok(cg_check_entity_response(b, 200, &CG_SYMANTEC, "beta"));
    cg_assert_ok(cg_compare_doc(b->json, defaults));
    cr_assert_str_neq(cg_str(a->json, "id"), cg_str(b->json, "id"), "two tenants share the singleton's id");
    b = cg_patch(SINGLETON_PATH, token_b, "{\"subject\":\"tenant B\"}");
    cg_assert_ok(cg_check_entity_response(b, 200, &CG_SYMANTEC, "beta"));
    a = cg_get(SINGLETON_PATH, token_a);
    cr_assert_str_eq(cg_str(a->json, "subject"), "tenant A");
    cr_assert_str_eq(cg_str(a->json, "status"), "provisioned");
    b = cg_get(SINGLETON_PATH, token_b);
    cr_assert_str_eq(cg_str(b->json, "subject"), "tenant B");
    cr_assert_str_eq(cg_str(b->json, "status"), "notProvisioned");
}

Test(symantec_singleton, is_beta_only)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_assert_error(cg_get("/v1.0" SYMANTEC, token), 400, "BadRequest",
                    "Resource not found for the segment 'symantecCodeSigningCertificate'");
    cg_assert_error(cg_patch("/v1.0" SYMANTEC, token, "{}"), 400, "BadRequest",
                    "Resource not found for the segment 'symantecCodeSigningCertificate'");
    cg_assert_ok(cg_check_entity_response(cg_get(SINGLETON_PATH, token), 200, &CG_SYMANTEC, "beta"));
}
