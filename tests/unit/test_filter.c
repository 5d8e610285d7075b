/* $filter to SQL (API.md §4): the text and parameters each valid expression compiles to, the 400
 * each invalid one gets, and that no literal ever reaches the SQL text. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "filter.h"
#include "sql.h"

static arena *a;
static void setup(void) { a = arena_new(4096); }
static void teardown(void) { arena_free(a); }
TestSuite(filter, .init = setup, .fini = teardown);

#define STATES (&managed_all_device_certificate_state_entity)
#define ECSC (&enterprise_code_signing_certificate_entity)
#define COUNT_PREFIX "SELECT count(*) FROM managed_all_device_certificate_state WHERE tenant_id = $1::uuid AND "

/* The WHERE text after the tenant, and the parameters after the tenant joined by '|'. */
static const char *compile_where(const entity *e, const char *expr, const char **params, const char **message)
{
    filter_node *f = filter_parse(a, e, expr, strlen(expr), message);
    if (!f) return NULL;
    const sql_statement *s = sql_query_count(a, e, "t", f);
    strbuf b;
    sb_init(&b, a, 64);
    for (int i = 1; i < s->nparams; i++) {
        if (i > 1) sb_addc(&b, '|');
        sb_adds(&b, s->params[i]);
    }
    *params = b.data;
    const char *and = strstr(s->text, "$1::uuid AND ");
    return and ? and + 13 : "";
}

static const struct { const char *expr, *sql, *params; } valid[] = {
    { "userPrincipalName eq 'a@b.c'", "(user_principal_name = $2::text AND user_principal_name IS NOT NULL)", "a@b.c" },
    { "userPrincipalName ne 'x'", "(user_principal_name <> $2::text OR user_principal_name IS NULL)", "x" },
    { "userPrincipalName eq null", "(user_principal_name IS NULL)", "" },
    { "userPrincipalName ne null", "(user_principal_name IS NOT NULL)", "" },
    { "userPrincipalName gt null", "FALSE", "" },
    { "'x' lt userPrincipalName", "(user_principal_name > $2::text AND user_principal_name IS NOT NULL)", "x" },
    { "certificateKeyUsages ge -5", "(certificate_key_usages >= $2::integer)", "-5" },
    { "certificateRevokeStatus eq 'revoked'", "(certificate_revoke_status = $2::certificate_revocation_status)", "revoked" },
    { "certificateRevokeStatus eq microsoft.graph.certificateRevocationStatus'pending'",
      "(certificate_revoke_status = $2::certificate_revocation_status)", "pending" },
    { "certificateExpirationDateTime lt 2026-01-01T00:00:00Z",
      "(certificate_expiration_date_time < $2::timestamptz)", "2026-01-01T00:00:00Z" },
    { "certificateExpirationDateTime le 2026-01-01T00:00:00+01:00",
      "(certificate_expiration_date_time <= $2::timestamptz)", "2026-01-01T00:00:00+01:00" },
    { "id eq 8B4C3F6E-0D1A-4C55-9A73-2F6D1E0C9B01", "(id = $2::uuid)", "8B4C3F6E-0D1A-4C55-9A73-2F6D1E0C9B01" },
    { "id eq '8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01'", "(id = $2::uuid)", "8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01" },
    { "userPrincipalName eq 'it''s'", "(user_principal_name = $2::text AND user_principal_name IS NOT NULL)", "it's" },
    { "startswith(userPrincipalName,'a%_\\')",
      "(user_principal_name LIKE $2::text AND user_principal_name IS NOT NULL)", "a\\%\\_\\\\%" },
    { "endswith(userPrincipalName, '.com')", "(user_principal_name LIKE $2::text AND user_principal_name IS NOT NULL)", "%.com" },
    { "contains(managedDeviceDisplayName,'pc')",
      "(managed_device_display_name LIKE $2::text AND managed_device_display_name IS NOT NULL)", "%pc%" },
    { "tolower(userPrincipalName) eq 'ab'",
      "((lower(user_principal_name COLLATE \"und-x-icu\") COLLATE \"C\") = $2::text AND user_principal_name IS NOT NULL)", "ab" },
    { "startswith(toupper(userPrincipalName),'AB')",
      "((upper(user_principal_name COLLATE \"und-x-icu\") COLLATE \"C\") LIKE $2::text AND user_principal_name IS NOT NULL)", "AB%" },
    { "certificateRevokeStatus in ('none', 'revoked')",
      "(certificate_revoke_status IN ($2::certificate_revocation_status, $3::certificate_revocation_status))", "none|revoked" },
    /* precedence: and before or, not before comparisons, eq/ne after gt/ge/lt/le */
    { "certificateKeyUsages eq 1 or certificateKeyUsages eq 2 and certificateKeyUsages eq 3",
      "((certificate_key_usages = $2::integer) OR ((certificate_key_usages = $3::integer) AND (certificate_key_usages = $4::integer)))", "1|2|3" },
    { "(certificateKeyUsages eq 1 or certificateKeyUsages eq 2) and certificateKeyUsages eq 3",
      "(((certificate_key_usages = $2::integer) OR (certificate_key_usages = $3::integer)) AND (certificate_key_usages = $4::integer))", "1|2|3" },
    { "not (userPrincipalName eq 'x')", "NOT (user_principal_name = $2::text AND user_principal_name IS NOT NULL)", "x" },
    { "not not (certificateKeyUsages eq 1)", "NOT NOT (certificate_key_usages = $2::integer)", "1" },
    { "true", "TRUE", "" },
    { "  ( ( certificateKeyUsages   eq 1 ) )  ", "(certificate_key_usages = $2::integer)", "1" },
    { "status eq 'provisioned'", NULL, NULL },   /* on enterpriseCodeSigningCertificate: below */
};

Test(filter, valid_expressions_compile_to_parameterized_sql)
{
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        if (!valid[i].sql) continue;
        const char *params = NULL, *message = NULL;
        const char *sql = compile_where(STATES, valid[i].expr, &params, &message);
        cr_assert_not_null(sql, "%s: %s", valid[i].expr, message);
        cr_assert_str_eq(sql, valid[i].sql, "%s: %s", valid[i].expr, sql);
        cr_assert_str_eq(params, valid[i].params, "%s", valid[i].expr);
    }
    const char *params, *message;
    cr_assert_str_eq(compile_where(ECSC, "status eq microsoft.graph.certificateStatus'provisioned'", &params, &message),
                     "(status = $2::certificate_status)");
}

static const struct { const char *expr, *message; } invalid[] = {
    { "", "the expression is empty" },
    { "userPrincipalName", "must be a condition" },
    { "userPrincipalName eq", "an operand is missing at the end" },
    { "userPrincipalName eq 'x", "a string literal is not closed" },
    { "nosuch eq 1", "property 'nosuch' does not exist on type 'microsoft.graph.managedAllDeviceCertificateState' at position 1" },
    { "userPrincipalName eq 'x' and nosuch eq 1", "property 'nosuch' does not exist on type 'microsoft.graph.managedAllDeviceCertificateState' at position 30" },
    { "not certificateKeyUsages eq 1", "'not' takes a boolean operand" },
    { "certificateKeyUsages eq 'x'", "does not fit property 'certificateKeyUsages'" },
    { "certificateKeyUsages eq 2147483648", "does not fit property 'certificateKeyUsages'" },
    { "certificateKeyUsages eq 1.5", "not a valid token or literal at position 25 ('1.5')" },
    { "certificateRevokeStatus eq 'gone'", "a member of microsoft.graph.certificateRevocationStatus" },
    { "certificateRevokeStatus eq microsoft.graph.certificateStatus'revoked'", "does not fit property" },
    { "certificateExpirationDateTime lt 2026-01-01", "not a valid token or literal" },
    { "certificateExpirationDateTime lt 2026-01-01T00:00:00 01:00", "not a valid token or literal at position 34 ('2026-01-01T00:00:00')" },
    { "id eq 'not-a-guid'", "an id (a GUID)" },
    { "startswith(certificateRevokeStatus,'a')", "takes a string property" },
    { "startswith(userPrincipalName)", "expected ','" },
    { "startswith(userPrincipalName, 1)", "second argument must be a string literal" },
    { "frobnicate(userPrincipalName)", "unknown function" },
    { "userPrincipalName eq 'a' or", "an operand is missing" },
    { "(userPrincipalName eq 'a'", "expected ')'" },
    { "userPrincipalName eq 'a')", "unexpected token" },
    { "userPrincipalName eq managedDeviceDisplayName", "a property on one side and a literal on the other" },
    { "certificateRevokeStatus in ('none', null)", "'in' takes no null" },
    { "certificateKeyUsages eq 1 eq 2", "a comparison takes a property and a literal, not a boolean" },
    { "userPrincipalName eq 'x' ; drop table x", "unexpected token (an operator such as 'eq' or 'and' was expected) at position 26 (';')" },
    { "userPrincipalName eq 'x' -- comment", "unexpected token (an operator such as 'eq' or 'and' was expected) at position 26 ('--')" },
    { "userPrincipalName eq \"x\"", "not a valid token" },
    { "Userprincipalname eq 'x'", "property 'Userprincipalname' does not exist" },
    { "userPrincipalName EQ 'x'", "unexpected token" },
};

Test(filter, invalid_expressions_are_400_naming_the_token)
{
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        const char *params, *message = NULL;
        const char *sql = compile_where(STATES, invalid[i].expr, &params, &message);
        cr_assert_null(sql, "%s compiled to %s", invalid[i].expr, sql);
        cr_assert_not_null(message);
        cr_assert(strncmp(message, "Invalid $filter: ", 17) == 0, "%s", message);
        cr_assert(strstr(message, invalid[i].message), "%s: got '%s', want '%s'", invalid[i].expr, message, invalid[i].message);
    }
}

Test(filter, content_and_password_may_not_be_filtered)
{
    const char *params, *message;
    cr_assert_null(compile_where(ECSC, "content eq 'AAAA'", &params, &message));
    cr_assert(strstr(message, "property 'content' cannot be used in $filter"), "%s", message);
    const entity *sym = &symantec_code_signing_certificate_entity;
    cr_assert_null(compile_where(sym, "password eq 'x'", &params, &message));
    cr_assert(strstr(message, "property 'password' cannot be used in $filter"), "%s", message);
}

Test(filter, positions_count_characters_not_bytes)
{
    const char *params, *message;
    cr_assert_null(compile_where(STATES, "userPrincipalName eq 'ü' and x eq 1", &params, &message));
    cr_assert(strstr(message, "at position 30 ('x')"), "%s", message);
}

Test(filter, nesting_and_term_limits)
{
    char deep[20100];
    size_t n = 0;
    for (int i = 0; i < 10000; i++) deep[n++] = '(';
    n += (size_t)sprintf(deep + n, "certificateKeyUsages eq 1");
    for (int i = 0; i < 10000; i++) deep[n++] = ')';
    deep[n] = '\0';
    const char *params, *message;
    cr_assert_null(compile_where(STATES, deep, &params, &message));
    cr_assert(strstr(message, "nested more than 100 levels"), "%s", message);

    /* 100 levels are fine */
    n = 0;
    for (int i = 0; i < 100; i++) deep[n++] = '(';
    n += (size_t)sprintf(deep + n, "certificateKeyUsages eq 1");
    for (int i = 0; i < 100; i++) deep[n++] = ')';
    deep[n] = '\0';
    cr_assert_not_null(compile_where(STATES, deep, &params, &message), "%s", message);

    strbuf b;
    sb_init(&b, a, 16384);
    for (int i = 0; i < 501; i++) sb_printf(&b, "%scertificateKeyUsages eq %d", i ? " or " : "", i);
    cr_assert_null(compile_where(STATES, b.data, &params, &message));
    cr_assert(strstr(message, "more than 500 terms"), "%s", message);
    sb_init(&b, a, 16384);
    for (int i = 0; i < 500; i++) sb_printf(&b, "%scertificateKeyUsages eq %d", i ? " or " : "", i);
    cr_assert_not_null(compile_where(STATES, b.data, &params, &message), "%s", message);
}

Test(filter, no_literal_ever_reaches_the_sql_text)
{
    static const char *const attempts[] = {
        "userPrincipalName eq ''';drop table managed_all_device_certificate_state;--'",
        "userPrincipalName eq '\\'' or 1=1 --'",
        "startswith(userPrincipalName, ''' OR ''1''=''1')",
        "userPrincipalName in ('a'')--', 'b;')",
        "managedDeviceDisplayName eq 'DROP TABLE x; SELECT pg_sleep(10)'",
    };
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        const char *params, *message = NULL;
        const char *sql = compile_where(STATES, attempts[i], &params, &message);
        cr_assert_not_null(sql, "%s: %s", attempts[i], message);
        cr_assert_null(strchr(sql, '\''), "%s -> %s", attempts[i], sql);
        cr_assert_null(strchr(sql, ';'), "%s -> %s", attempts[i], sql);
        cr_assert_null(strstr(sql, "--"), "%s -> %s", attempts[i], sql);
        cr_assert_null(strstr(sql, "DROP"), "%s -> %s", attempts[i], sql);
    }
    /* a very long literal travels whole, as a parameter */
    strbuf b;
    sb_init(&b, a, 70000);
    sb_adds(&b, "userPrincipalName eq '");
    for (int i = 0; i < 65536; i++) sb_addc(&b, 'x');
    sb_adds(&b, "'");
    const char *params, *message;
    const char *sql = compile_where(STATES, b.data, &params, &message);
    cr_assert_not_null(sql);
    cr_assert_eq(strlen(params), 65536);
    cr_assert_lt(strlen(sql), 200);
}

Test(filter, nul_and_invalid_utf8_are_refused)
{
    const char *message;
    cr_assert_null(filter_parse(a, STATES, "userPrincipalName eq '\0'", 25, &message));
    cr_assert(strstr(message, "not valid UTF-8"), "%s", message);
    cr_assert_null(filter_parse(a, STATES, "userPrincipalName eq '\xc3\x28'", 25, &message));
    cr_assert(strstr(message, "not valid UTF-8"), "%s", message);
}

/* The audit trail's lambda over its resources: the one resource's id column, the literal a parameter. */
Test(filter, any_over_the_audit_resources_compiles_to_the_resource_id_column)
{
    const entity *ev = &audit_event_entity;
    const char *params, *message;
    const char *sql = compile_where(ev, "resources/any(r: r/resourceId eq 'ab''c\"d')", &params, &message);
    cr_assert_not_null(sql, "%s", message);
    cr_assert_str_eq(sql, "(resource_id = $2::text)");
    cr_assert_str_eq(params, "ab'c\"d");
    sql = compile_where(ev, "'x' eq correlationId or resources/any(x:'y' eq x/type)", &params, &message);
    cr_assert_null(sql, "a GUID property takes a GUID: %s", sql);
    sql = compile_where(ev, "not resources/any(x:'y' eq x/resourceId) and activityOperationType eq 'Create'", &params, &message);
    cr_assert_str_eq(sql, "(NOT (resource_id = $2::text) AND (activity_operation_type = $3::text))", "%s", message);
    cr_assert_str_eq(params, "y|Create");
    static const char *const refused[] = {
        "resources/any(r: r/resourceId ne 'x')",
        "resources/any(r: r/modifiedProperties eq 'x')",
        "resources/any(r: r/type eq 'x')",
        "resources/any(r: r/nothing eq 'x')",
        "resources/any(r: r/resourceId eq 'x' and r/type eq 'y')",
        "resources/any(r: resources/any(s: s/type eq 'y'))",
        "resources/all(r: r/type eq 'y')",
        "actor/any(r: r/type eq 'y')",
        "actor eq 'x'",
        "resources/any(r: r/type eq 'y'",
        "resources/any(r r/type eq 'y')",
        "activityOperationType/any(r: r/type eq 'y')",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *m = NULL;
        cr_assert_null(filter_parse(a, ev, refused[i], strlen(refused[i]), &m), "%s", refused[i]);
        cr_assert_not_null(m);
        cr_assert(strncmp(m, "Invalid $filter", 15) == 0, "%s: %s", refused[i], m);
    }
}
