/* The strict body reader of API.md §3: every property type and every class of bad input. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "entity.h"
#include "json.h"

static arena *a;
static prop_value values[32];
static const char *message;

static void setup(void) { a = arena_new(4096); message = NULL; }
static void teardown(void) { arena_free(a); }

TestSuite(json_read, .init = setup, .fini = teardown);

static bool read_as(const entity *e, const char *body)
{
    return json_read_entity(a, e, body, strlen(body), values, &message);
}
static bool read_ecs(const char *body) { return read_as(&enterprise_code_signing_certificate_entity, body); }
static bool read_state(const char *body) { return read_as(&managed_all_device_certificate_state_entity, body); }

static const prop_value *value_of(const entity *e, const char *name)
{
    return &values[entity_property_index(e, name, strlen(name))];
}

Test(json_read, graph_documentation_example_is_accepted)
{
    const entity *e = &enterprise_code_signing_certificate_entity;
    cr_assert(read_ecs("{\"@odata.type\": \"#microsoft.graph.enterpriseCodeSigningCertificate\","
                       "\"content\": \"Y29udGVudA==\", \"status\": \"provisioned\","
                       "\"subjectName\": \"Subject Name value\", \"subject\": \"Subject value\","
                       "\"expirationDateTime\": \"2016-12-31T23:57:57.2481234-08:00\"}"), "%s", message);
    cr_assert_str_eq(value_of(e, "content")->text, "Y29udGVudA==");
    cr_assert_str_eq(value_of(e, "status")->text, "provisioned");
    cr_assert_str_eq(value_of(e, "expirationDateTime")->text, "2016-12-31T23:57:57.2481234-08:00");
    cr_assert(!value_of(e, "issuer")->present);
}

Test(json_read, null_for_nullable_is_kept_as_null)
{
    const entity *e = &enterprise_code_signing_certificate_entity;
    cr_assert(read_ecs("{\"subject\": null, \"content\": null}"));
    cr_assert(value_of(e, "subject")->present);
    cr_assert(value_of(e, "subject")->is_null);
    cr_assert_null(value_of(e, "content")->text);
}

Test(json_read, null_for_non_nullable_names_the_property)
{
    cr_assert_not(read_ecs("{\"status\": null}"));
    cr_assert(strstr(message, "'status'"), "%s", message);
    cr_assert_not(read_ecs("{\"uploadDateTime\": null}"));
    cr_assert(strstr(message, "'uploadDateTime'"));
    cr_assert_not(read_state("{\"certificateKeyUsages\": null}"));
    cr_assert(strstr(message, "'certificateKeyUsages'"));
}

Test(json_read, unknown_property_is_named_with_the_type)
{
    cr_assert_not(read_ecs("{\"subject\": \"a\", \"x\": 1}"));
    cr_assert_str_eq(message, "Property 'x' does not exist on type 'microsoft.graph.enterpriseCodeSigningCertificate'.");
}

Test(json_read, property_names_are_case_sensitive)
{
    cr_assert_not(read_ecs("{\"Subject\": \"a\"}"));
    cr_assert(strstr(message, "'Subject'"));
}

Test(json_read, wrong_json_types_are_refused)
{
    const char *bad[] = {
        "{\"subject\": 1}", "{\"subject\": true}", "{\"subject\": [\"a\"]}", "{\"subject\": {\"a\": 1}}",
        "{\"status\": 1}", "{\"content\": 12}", "{\"expirationDateTime\": 0}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_not(read_ecs(bad[i]), "accepted %s", bad[i]);
        cr_assert(strstr(message, "property '"), "%s -> %s", bad[i], message);
    }
    cr_assert_not(read_state("{\"certificateKeyUsages\": \"5\"}"));
    cr_assert(strstr(message, "certificateKeyUsages"));
}

Test(json_read, int32_range_and_form)
{
    const entity *e = &managed_all_device_certificate_state_entity;
    cr_assert(read_state("{\"certificateKeyUsages\": 2147483647}"));
    cr_assert_str_eq(value_of(e, "certificateKeyUsages")->text, "2147483647");
    cr_assert(read_state("{\"certificateKeyUsages\": -2147483648}"));
    const char *bad[] = { "2147483648", "-2147483649", "1.5", "1e3", "99999999999999999999", "1.0" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"certificateKeyUsages\": %s}", bad[i]);
        cr_assert_not(read_state(body), "accepted %s", bad[i]);
        cr_assert(strstr(message, "certificateKeyUsages"));
    }
}

Test(json_read, enum_members_only)
{
    cr_assert(read_state("{\"certificateRevokeStatus\": \"revoked\"}"));
    cr_assert_not(read_state("{\"certificateRevokeStatus\": \"Revoked\"}"));
    cr_assert_not(read_state("{\"certificateRevokeStatus\": \"unknownFutureValue\"}"));
    cr_assert(strstr(message, "certificateRevokeStatus"));
}

Test(json_read, datetimes_need_iso8601_with_offset)
{
    const char *good[] = { "2026-11-24T16:30:00Z", "2016-12-31T23:57:57.2481234-08:00", "2024-02-29T00:00:00+14:00",
                           "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z",
                           "9999-12-31T23:59:59.9999994Z", "0001-01-01T01:00:00+01:00", "9999-12-31T22:59:59-01:00" };
    const char *bad[] = { "2026-11-24T16:30:00", "2026-11-24", "2026-11-24 16:30:00Z", "2023-02-29T00:00:00Z",
                          "2026-13-01T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T16:30:00+15:00",
                          "yesterday", "", "0000-01-01T00:00:00Z", "2026-11-24T16:30:00.Z",
                          "0001-01-01T00:00:00+01:00",
                          "9999-12-31T23:59:59.9999995Z", "9999-12-31T23:00:00-01:00" };
    char body[128];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(body, sizeof body, "{\"uploadDateTime\": \"%s\"}", good[i]);
        cr_assert(read_ecs(body), "refused %s: %s", good[i], message);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(body, sizeof body, "{\"uploadDateTime\": \"%s\"}", bad[i]);
        cr_assert_not(read_ecs(body), "accepted %s", bad[i]);
        cr_assert(strstr(message, "'uploadDateTime'"));
    }
}

Test(json_read, base64_is_checked)
{
    cr_assert(read_ecs("{\"content\": \"\"}"));
    cr_assert(read_ecs("{\"content\": \"YQ==\"}"));
    cr_assert(read_ecs("{\"content\": \"+/+/\"}"));
    const char *bad[] = { "YQ=", "Y===", "YQ==YQ==", "Y Q==", "Y-_A", "=AAA", "\\n" };
    char body[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(body, sizeof body, "{\"content\": \"%s\"}", bad[i]);
        cr_assert_not(read_ecs(body), "accepted %s", bad[i]);
        cr_assert(strstr(message, "'content'"));
    }
}

Test(json_read, not_an_object_or_not_json)
{
    const char *bad[] = { "", "[]", "\"text\"", "1", "null", "{", "{\"subject\": \"a\"} {}", "{\"subject\": \"a\",}",
                          "{'subject': 'a'}", "{\"subject\": \"a\"} // comment" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_not(read_ecs(bad[i]), "accepted %s", bad[i]);
}

Test(json_read, invalid_utf8_is_refused)
{
    cr_assert_not(read_ecs("{\"subject\": \"\xff\xfe\"}"));
    cr_assert_not(read_ecs("{\"subject\": \"\xc3\"}"));
    cr_assert(read_ecs("{\"subject\": \"Zo\xc3\xab \xe2\x9c\x93\"}"));
    cr_assert_not(read_ecs("{\"subject\": \"\xed\xa0\x80\"}"));   /* an encoded UTF-16 surrogate */
    cr_assert(strstr(message, "'subject'"));
}

Test(json_read, duplicate_property_is_refused)
{
    cr_assert_not(read_ecs("{\"subject\": \"a\", \"subject\": \"b\"}"));
    cr_assert(strstr(message, "'subject'"));
    cr_assert_not(read_ecs("{\"@odata.type\": \"#microsoft.graph.enterpriseCodeSigningCertificate\", \"@odata.type\": \"x\"}"));
}

Test(json_read, nul_in_string_is_refused)
{
    const char body[] = "{\"subject\": \"a\\u0000b\"}";
    cr_assert_not(read_ecs(body));
    cr_assert(strstr(message, "'subject'"));
}

Test(json_read, odata_type_must_name_the_entity)
{
    cr_assert(read_ecs("{\"@odata.type\": \"microsoft.graph.enterpriseCodeSigningCertificate\"}"));
    cr_assert(read_ecs("{\"@odata.type\": \"#microsoft.graph.enterpriseCodeSigningCertificate\"}"));
    cr_assert_not(read_ecs("{\"@odata.type\": \"#microsoft.graph.symantecCodeSigningCertificate\"}"));
    cr_assert_not(read_ecs("{\"@odata.type\": 5}"));
    cr_assert_not(read_ecs("{\"@odata.type\": null}"));
}

Test(json_read, other_annotations_are_ignored)
{
    cr_assert(read_ecs("{\"@odata.context\": \"x\", \"@odata.etag\": \"W/1\", \"subject@odata.type\": \"#String\","
                       "\"x@odata.nested\": {\"a\": [1, {\"b\": null}]}, \"subject\": \"s\"}"), "%s", message);
}

Test(json_read, deep_nesting_is_refused_without_recursion)
{
    size_t depth = 200000;
    char *body = malloc(depth * 2 + 64);
    size_t n = (size_t)sprintf(body, "{\"x@odata.a\": ");
    memset(body + n, '[', depth);
    memset(body + n + depth, ']', depth);
    strcpy(body + n + 2 * depth, "}");
    cr_assert_not(read_ecs(body));
    cr_assert(strstr(message, "nested"), "%s", message);
    free(body);
}

Test(json_read, read_only_id_is_reported_for_the_handler)
{
    const entity *e = &enterprise_code_signing_certificate_entity;
    cr_assert(read_ecs("{\"id\": \"b20d3703-3703-b20d-0337-0db203370db2\"}"));
    cr_assert_str_eq(value_of(e, "id")->text, "b20d3703-3703-b20d-0337-0db203370db2");
}

Test(json_read, write_only_password_is_accepted_on_the_singleton_only)
{
    cr_assert(read_as(&symantec_code_signing_certificate_entity, "{\"password\": \"pfx secret\"}"));
    cr_assert_not(read_ecs("{\"password\": \"pfx secret\"}"));
}

Test(json_read, annotations_are_bounded_so_the_duplicate_check_stays_linear)
{
    /* 80,000 distinct annotation keys (about 1 MiB) once took seconds of CPU; now refused at 65. */
    size_t count = 80000;
    char *body = malloc(count * 16 + 16);
    size_t n = 0;
    body[n++] = '{';
    for (size_t i = 0; i < count; i++) n += (size_t)sprintf(body + n, "%s\"@%07zu\":0", i ? "," : "", i);
    body[n++] = '}';
    body[n] = '\0';
    cr_assert_not(read_ecs(body));
    cr_assert(strstr(message, "too many instance annotations"), "%s", message);
    free(body);

    char ok[2048];
    n = (size_t)sprintf(ok, "{\"subject\":\"s\"");
    for (int i = 0; i < 64; i++) n += (size_t)sprintf(ok + n, ",\"x@odata.a%d\":%d", i, i);
    strcpy(ok + n, "}");
    cr_assert(read_ecs(ok), "%s", message);
}

Test(json_read, duplicate_annotation_is_refused)
{
    cr_assert_not(read_ecs("{\"x@odata.a\": 1, \"x@odata.a\": 2}"));
    cr_assert(strstr(message, "more than once"), "%s", message);
}

Test(json_read, ill_formed_utf8_that_yajl_lets_through_is_refused_naming_the_property)
{
    const char *bad[] = {
        "{\"userPrincipalName\": \"a\xc0\x80" "b\"}",          /* overlong NUL */
        "{\"userPrincipalName\": \"a\xe0\x80\xaf" "b\"}",      /* overlong '/' */
        "{\"userPrincipalName\": \"a\xf4\x90\x80\x80" "b\"}",  /* past U+10FFFF */
        "{\"userPrincipalName\": \"a\xf7\xbf\xbf\xbf" "b\"}",
        "{\"userPrincipalName\": \"a\xed\xbf\xbf" "b\"}",      /* a low surrogate */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_not(read_state(bad[i]), "accepted case %zu", i);
        cr_assert(strstr(message, "'userPrincipalName'"), "case %zu: %s", i, message);
    }
    cr_assert(read_state("{\"userPrincipalName\": \"\xf0\x9f\x98\x80 \xef\xbf\xbd\"}"), "%s", message);
    cr_assert_not(read_state("{\"x\xc0\xaf\": 1}"));
    cr_assert_null(strstr(message, "\xc0"), "the message echoes ill-formed bytes");
}
