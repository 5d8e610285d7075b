/* Graph URLs to entities and keys (API.md §1). */
#include <criterion/criterion.h>
#include <string.h>

#include "arena.h"
#include "router.h"

static arena *a;
static route r;
static void setup(void) { a = arena_new(4096); }
static void teardown(void) { arena_free(a); }
TestSuite(router, .init = setup, .fini = teardown);

Test(router, collection_in_both_versions)
{
    route_parse(a, "/v1.0/deviceAppManagement/enterpriseCodeSigningCertificates", &r);
    cr_assert_eq(r.error_status, 0, "%s", r.error_message);
    cr_assert_eq(r.entity, &enterprise_code_signing_certificate_entity);
    cr_assert_str_eq(r.version, "v1.0");
    cr_assert_null(r.key);
    route_parse(a, "/beta/deviceAppManagement/enterpriseCodeSigningCertificates/", &r);
    cr_assert_eq(r.error_status, 0);
    cr_assert_str_eq(r.version, "beta");
}

Test(router, key_as_segment_or_odata_key_syntax)
{
    const char *uris[] = {
        "/beta/deviceAppManagement/enterpriseCodeSigningCertificates/b20d3703-3703-b20d-0337-0db203370db2",
        "/beta/deviceAppManagement/enterpriseCodeSigningCertificates('b20d3703-3703-b20d-0337-0db203370db2')",
        "/beta/deviceAppManagement/enterpriseCodeSigningCertificates(%27b20d3703-3703-b20d-0337-0db203370db2%27)",
        "/beta/deviceAppManagement/enterpriseCodeSigningCertificates(b20d3703-3703-b20d-0337-0db203370db2)",
    };
    for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
        route_parse(a, uris[i], &r);
        cr_assert_eq(r.error_status, 0, "%s: %s", uris[i], r.error_message);
        cr_assert_str_eq(r.key, "b20d3703-3703-b20d-0337-0db203370db2", "%s", uris[i]);
    }
}

Test(router, segments_are_case_insensitive_like_graph)
{
    route_parse(a, "/BETA/deviceappmanagement/ENTERPRISECODESIGNINGCERTIFICATES", &r);
    cr_assert_eq(r.error_status, 0);
    cr_assert_eq(r.entity, &enterprise_code_signing_certificate_entity);
}

Test(router, beta_only_resources_are_missing_from_v1)
{
    route_parse(a, "/v1.0/deviceAppManagement/symantecCodeSigningCertificate", &r);
    cr_assert_eq(r.error_status, 400);
    cr_assert_str_eq(r.error_message, "Resource not found for the segment 'symantecCodeSigningCertificate'.");
    route_parse(a, "/v1.0/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates", &r);
    cr_assert_eq(r.error_status, 400);
    route_parse(a, "/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates", &r);
    cr_assert_eq(r.error_status, 0);
    cr_assert_eq(r.entity, &managed_all_device_certificate_state_entity);
}

Test(router, misspelled_segment_is_named)
{
    route_parse(a, "/beta/deviceAppManagement/enterpriseCodeSigningCertificatez", &r);
    cr_assert_eq(r.error_status, 400);
    cr_assert_str_eq(r.error_message, "Resource not found for the segment 'enterpriseCodeSigningCertificatez'.");
    route_parse(a, "/beta/deviceAppManagment/enterpriseCodeSigningCertificates", &r);
    cr_assert_str_eq(r.error_message, "Resource not found for the segment 'deviceAppManagment'.");
}

Test(router, singleton_takes_no_key_and_nothing_follows_a_key)
{
    route_parse(a, "/beta/deviceAppManagement/symantecCodeSigningCertificate", &r);
    cr_assert_eq(r.error_status, 0);
    cr_assert(r.entity->singleton);
    route_parse(a, "/beta/deviceAppManagement/symantecCodeSigningCertificate/abc", &r);
    cr_assert_eq(r.error_status, 400);
    route_parse(a, "/beta/deviceAppManagement/enterpriseCodeSigningCertificates/abc/content", &r);
    cr_assert_eq(r.error_status, 400);
    cr_assert(strstr(r.error_message, "'content'"));
}

Test(router, unknown_version_and_empty_path)
{
    route_parse(a, "/v2.0/deviceAppManagement/enterpriseCodeSigningCertificates", &r);
    cr_assert_eq(r.error_status, 400);
    cr_assert(strstr(r.error_message, "v2.0"));
    route_parse(a, "/", &r);
    cr_assert_eq(r.error_status, 400);
    route_parse(a, "/beta", &r);
    cr_assert_eq(r.error_status, 400);
}

Test(router, bad_percent_encoding_is_refused)
{
    route_parse(a, "/beta/deviceAppManagement/enterpriseCodeSigningCertificates/%zz", &r);
    cr_assert_eq(r.error_status, 400);
    route_parse(a, "/beta/deviceAppManagement/enterpriseCodeSigningCertificates/%00", &r);
    cr_assert_eq(r.error_status, 400);
    route_parse(a, "/beta/deviceAppManagement/enterpriseCodeSigningCertificates/%4", &r);
    cr_assert_eq(r.error_status, 400);
}

Test(router, query_options_are_decoded)
{
    route_parse(a, "/beta/deviceAppManagement/enterpriseCodeSigningCertificates?%24skiptoken=abc&x=a+b%21&flag", &r);
    cr_assert_eq(r.error_status, 0);
    cr_assert_eq(r.noptions, 3);
    cr_assert_str_eq(r.options[0].name, "$skiptoken");
    cr_assert_str_eq(r.options[0].value, "abc");
    cr_assert_str_eq(r.options[1].value, "a b!");
    cr_assert_str_eq(r.options[2].name, "flag");
}

Test(router, version_root_resources_and_count)
{
    route_parse(a, "/v1.0/$batch", &r);
    cr_assert_eq(r.error_status, 0);
    cr_assert_eq(r.kind, PATH_BATCH);
    cr_assert_null(r.entity);
    route_parse(a, "/beta/$metadata", &r);
    cr_assert_eq(r.kind, PATH_METADATA);
    route_parse(a, "/beta/$metadata/x", &r);
    cr_assert_eq(r.error_status, 400);
    route_parse(a, "/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates/$count", &r);
    cr_assert_eq(r.error_status, 0);
    cr_assert_eq(r.kind, PATH_COUNT);
    cr_assert_null(r.key);
    route_parse(a, "/beta/deviceAppManagement/symantecCodeSigningCertificate/$count", &r);
    cr_assert_eq(r.error_status, 400, "a singleton has no $count");
    route_parse(a, "/beta/deviceAppManagement/enterpriseCodeSigningCertificates/$count/x", &r);
    cr_assert_eq(r.error_status, 400);
}
