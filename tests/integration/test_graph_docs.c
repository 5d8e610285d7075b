/* Microsoft Graph's documented examples (spec/graph-docs/), replayed as written: the documented
 * request body is sent and the answer compared with the documented response, ids and instants
 * aside (instants come back in UTC to the microsecond, API.md §3 and §7) and password read as null
 * (§2, §7). The bodies below are copied verbatim from those pages. */
#include <string.h>

#include "client.h"

TestSuite(graph_docs, .init = cg_setup, .fini = cg_teardown);

/* create-enterpriseCodeSigningCertificate-beta.txt */
static const char *const create_ecsc_request =
    "{\n"
    "  \"@odata.type\": \"#microsoft.graph.enterpriseCodeSigningCertificate\",\n"
    "  \"content\": \"Y29udGVudA==\",\n"
    "  \"status\": \"provisioned\",\n"
    "  \"subjectName\": \"Subject Name value\",\n"
    "  \"subject\": \"Subject value\",\n"
    "  \"issuerName\": \"Issuer Name value\",\n"
    "  \"issuer\": \"Issuer value\",\n"
    "  \"expirationDateTime\": \"2016-12-31T23:57:57.2481234-08:00\",\n"
    "  \"uploadDateTime\": \"2016-12-31T23:58:46.5747426-08:00\"\n"
    "}";
static const char *const ecsc_response =
    "{\n"
    "  \"@odata.type\": \"#microsoft.graph.enterpriseCodeSigningCertificate\",\n"
    "  \"id\": \"b20d3703-3703-b20d-0337-0db203370db2\",\n"
    "  \"content\": \"Y29udGVudA==\",\n"
    "  \"status\": \"provisioned\",\n"
    "  \"subjectName\": \"Subject Name value\",\n"
    "  \"subject\": \"Subject value\",\n"
    "  \"issuerName\": \"Issuer Name value\",\n"
    "  \"issuer\": \"Issuer value\",\n"
    "  \"expirationDateTime\": \"2016-12-31T23:57:57.2481234-08:00\",\n"
    "  \"uploadDateTime\": \"2016-12-31T23:58:46.5747426-08:00\"\n"
    "}";

/* update-enterpriseCodeSigningCertificate-beta-older.md (no @odata.type in the request) */
static const char *const update_ecsc_beta_request =
    "{\n"
    "  \"content\": \"Y29udGVudA==\",\n"
    "  \"status\": \"provisioned\",\n"
    "  \"subjectName\": \"Subject Name value\",\n"
    "  \"subject\": \"Subject value\",\n"
    "  \"issuerName\": \"Issuer Name value\",\n"
    "  \"issuer\": \"Issuer value\",\n"
    "  \"expirationDateTime\": \"2016-12-31T23:57:57.2481234-08:00\",\n"
    "  \"uploadDateTime\": \"2016-12-31T23:58:46.5747426-08:00\"\n"
    "}";

/* update-enterpriseCodeSigningCertificate-v1.0.txt (the page lost its braces; the body is the
 * same as the create example's, and so is the documented response). */
static const char *const update_ecsc_v1_request =
    "{\n"
    "  \"@odata.type\": \"#microsoft.graph.enterpriseCodeSigningCertificate\",\n"
    "  \"content\": \"Y29udGVudA==\",\n"
    "  \"status\": \"provisioned\",\n"
    "  \"subjectName\": \"Subject Name value\",\n"
    "  \"subject\": \"Subject value\",\n"
    "  \"issuerName\": \"Issuer Name value\",\n"
    "  \"issuer\": \"Issuer value\",\n"
    "  \"expirationDateTime\": \"2016-12-31T23:57:57.2481234-08:00\",\n"
    "  \"uploadDateTime\": \"2016-12-31T23:58:46.5747426-08:00\"\n"
    "}";

/* update-managedAllDeviceCertificateState-beta.txt */
static const char *const update_state_request =
    "{\n"
    "  \"@odata.type\": \"#microsoft.graph.managedAllDeviceCertificateState\",\n"
    "  \"certificateRevokeStatus\": \"pending\",\n"
    "  \"certificateRevokeStatusLastChangeDateTime\": \"2016-12-31T23:59:34.9547208-08:00\",\n"
    "  \"managedDeviceDisplayName\": \"Managed Device Display Name value\",\n"
    "  \"userPrincipalName\": \"User Principal Name value\",\n"
    "  \"certificateExpirationDateTime\": \"2017-01-01T00:02:14.9489247-08:00\",\n"
    "  \"certificateIssuerName\": \"Certificate Issuer Name value\",\n"
    "  \"certificateThumbprint\": \"Certificate Thumbprint value\",\n"
    "  \"certificateSerialNumber\": \"Certificate Serial Number value\",\n"
    "  \"certificateSubjectName\": \"Certificate Subject Name value\",\n"
    "  \"certificateKeyUsages\": 4,\n"
    "  \"certificateExtendedKeyUsages\": \"Certificate Extended Key Usages value\",\n"
    "  \"certificateIssuanceDateTime\": \"2016-12-31T23:59:41.5044473-08:00\"\n"
    "}";
static const char *const update_state_response =
    "{\n"
    "  \"@odata.type\": \"#microsoft.graph.managedAllDeviceCertificateState\",\n"
    "  \"id\": \"987c6a17-6a17-987c-176a-7c98176a7c98\",\n"
    "  \"certificateRevokeStatus\": \"pending\",\n"
    "  \"certificateRevokeStatusLastChangeDateTime\": \"2016-12-31T23:59:34.9547208-08:00\",\n"
    "  \"managedDeviceDisplayName\": \"Managed Device Display Name value\",\n"
    "  \"userPrincipalName\": \"User Principal Name value\",\n"
    "  \"certificateExpirationDateTime\": \"2017-01-01T00:02:14.9489247-08:00\",\n"
    "  \"certificateIssuerName\": \"Certificate Issuer Name value\",\n"
    "  \"certificateThumbprint\": \"Certificate Thumbprint value\",\n"
    "  \"certificateSerialNumber\": \"Certificate Serial Number value\",\n"
    "  \"certificateSubjectName\": \"Certificate Subject Name value\",\n"
    "  \"certificateKeyUsages\": 4,\n"
    "  \"certificateExtendedKeyUsages\": \"Certificate Extended Key Usages value\",\n"
    "  \"certificateIssuanceDateTime\": \"2016-12-31T23:59:41.5044473-08:00\"\n"
    "}";

/* update-symantecCodeSigningCertificate-beta.md */
static const char *const update_symantec_request =
    "{\n"
    "  \"@odata.type\": \"#microsoft.graph.symantecCodeSigningCertificate\",\n"
    "  \"content\": \"Y29udGVudA==\",\n"
    "  \"status\": \"provisioned\",\n"
    "  \"password\": \"Password value\",\n"
    "  \"subjectName\": \"Subject Name value\",\n"
    "  \"subject\": \"Subject value\",\n"
    "  \"issuerName\": \"Issuer Name value\",\n"
    "  \"issuer\": \"Issuer value\",\n"
    "  \"expirationDateTime\": \"2016-12-31T23:57:57.2481234-08:00\",\n"
    "  \"uploadDateTime\": \"2016-12-31T23:58:46.5747426-08:00\"\n"
    "}";
static const char *const update_symantec_response =
    "{\n"
    "  \"@odata.type\": \"#microsoft.graph.symantecCodeSigningCertificate\",\n"
    "  \"id\": \"00ffe83e-e83e-00ff-3ee8-ff003ee8ff00\",\n"
    "  \"content\": \"Y29udGVudA==\",\n"
    "  \"status\": \"provisioned\",\n"
    "  \"password\": \"Password value\",\n"
    "  \"subjectName\": \"Subject Name value\",\n"
    "  \"subject\": \"Subject value\",\n"
    "  \"issuerName\": \"Issuer Name value\",\n"
    "  \"issuer\": \"Issuer value\",\n"
    "  \"expirationDateTime\": \"2016-12-31T23:57:57.2481234-08:00\",\n"
    "  \"uploadDateTime\": \"2016-12-31T23:58:46.5747426-08:00\"\n"
    "}";

Test(graph_docs, create_enterprise_code_signing_certificate_beta)
{
    const char *tenant = cg_new_tenant();
    const char *token = cg_tenant_token(tenant);
    cg_response *r = cg_call(.method = "POST", .path = "/beta" ECSC, .token = token, .body = create_ecsc_request,
                             .content_type = "application/json", .headers = { "Accept: application/json" });
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "beta"));
    cg_assert_ok(cg_compare_doc(r->json, ecsc_response));
    /* To the microsecond, in UTC, written as API.md §3 shows. */
    cr_assert_str_eq(cg_str(r->json, "expirationDateTime"), "2017-01-01T07:57:57.248123Z");
    cr_assert_str_eq(cg_str(r->json, "uploadDateTime"), "2017-01-01T07:58:46.574743Z");
    const char *id = cg_str(r->json, "id");
    cr_assert_str_eq(cg_header(r, "Location"), cg_fmt("%s/beta%s/%s", cg_base(), ECSC, id));

    /* A GET reads back the same, and the row holds typed values. */
    cg_response *g = cg_get(cg_fmt("/beta%s/%s", ECSC, id), token);
    cg_assert_ok(cg_check_entity_response(g, 200, &CG_ECSC, "beta"));
    cg_assert_ok(cg_compare_objects(g->json, r->json, ""));
    const char *params[] = { tenant, id };
    char *row = cg_db_value(
        "SELECT concat_ws('|', status::text, encode(content, 'escape'), "
        "expiration_date_time = '2017-01-01T07:57:57.248123Z'::timestamptz, "
        "upload_date_time = '2017-01-01T07:58:46.574743Z'::timestamptz, subject_name) "
        "FROM enterprise_code_signing_certificate WHERE tenant_id = $1::uuid AND id = $2::uuid",
        2, params);
    cr_assert_str_eq(row, "provisioned|content|t|t|Subject Name value");
}

Test(graph_docs, create_example_also_works_under_v1_0)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_post("/v1.0" ECSC, token, create_ecsc_request);
    cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "v1.0"));
    cg_assert_ok(cg_compare_doc(r->json, ecsc_response));
}

Test(graph_docs, update_enterprise_code_signing_certificate_beta)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("beta", ECSC, token, "{}");
    cg_response *r = cg_call(.method = "PATCH", .path = cg_fmt("/beta%s/%s", ECSC, id), .token = token,
                             .body = update_ecsc_beta_request, .headers = { "Accept: application/json" });
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "beta"));
    cg_assert_ok(cg_compare_doc(r->json, ecsc_response));
    cr_assert_str_eq(cg_str(r->json, "id"), id);
    cr_assert_str_eq(cg_str(r->json, "expirationDateTime"), "2017-01-01T07:57:57.248123Z");
}

Test(graph_docs, update_enterprise_code_signing_certificate_v1_0)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("v1.0", ECSC, token, "{\"status\":\"notProvisioned\",\"subject\":\"old\"}");
    cg_response *r = cg_call(.method = "PATCH", .path = cg_fmt("/v1.0%s/%s", ECSC, id), .token = token,
                             .body = update_ecsc_v1_request, .headers = { "Accept: application/json" });
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "v1.0"));
    cg_assert_ok(cg_compare_doc(r->json, ecsc_response));
    cr_assert_str_eq(cg_str(r->json, "id"), id);
    r = cg_get(cg_fmt("/v1.0%s/%s", ECSC, id), token);
    cg_assert_ok(cg_compare_doc(r->json, ecsc_response));
}

Test(graph_docs, update_managed_all_device_certificate_state_beta)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *id = cg_create("beta", STATES, token, "{\"certificateRevokeStatus\":\"issued\"}");
    cg_response *r = cg_call(.method = "PATCH", .path = cg_fmt("/beta%s/%s", STATES, id), .token = token,
                             .body = update_state_request, .headers = { "Accept: application/json" });
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_STATE, "beta"));
    cg_assert_ok(cg_compare_doc(r->json, update_state_response));
    cr_assert_str_eq(cg_str(r->json, "id"), id);
    /* The status changed, but the body set the change time: the body's value stands. */
    cr_assert_str_eq(cg_str(r->json, "certificateRevokeStatusLastChangeDateTime"), "2017-01-01T07:59:34.954721Z");
    cr_assert_str_eq(cg_str(r->json, "certificateExpirationDateTime"), "2017-01-01T08:02:14.948925Z");
    cr_assert_str_eq(cg_str(r->json, "certificateIssuanceDateTime"), "2017-01-01T07:59:41.504447Z");
}

Test(graph_docs, update_symantec_code_signing_certificate_beta)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    cg_response *r = cg_call(.method = "PATCH", .path = "/beta" SYMANTEC, .token = token,
                             .body = update_symantec_request, .headers = { "Accept: application/json" });
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    cg_assert_ok(cg_compare_doc(r->json, update_symantec_response));
    cr_assert(cg_is_null(r->json, "password"), "the documented password is echoed: %s", r->body);
    cr_assert_null(strstr(r->body, "Password value"), "%s", r->body);
    r = cg_get("/beta" SYMANTEC, token);
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    cg_assert_ok(cg_compare_doc(r->json, update_symantec_response));
}
