/* The audit trail's diff of old and new rows (API.md §8): what changed, as plain strings, never a
 * secret or certificate bytes. */
#include <criterion/criterion.h>
#include <string.h>

#include "audit.h"

static arena *a;
static void setup(void) { a = arena_new(4096); }
static void teardown(void) { arena_free(a); }
TestSuite(audit, .init = setup, .fini = teardown);

#define STATES (&managed_all_device_certificate_state_entity)
#define SYMANTEC (&symantec_code_signing_certificate_entity)

static const audit_change *find(const audit_change *c, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(c[i].name, name) == 0) return &c[i];
    return NULL;
}

static const char **row(const entity *e)
{
    const char **r = arena_alloc(a, (size_t)e->nprops * sizeof *r);
    memset(r, 0, (size_t)e->nprops * sizeof *r);
    r[0] = "0a0a0a0a-0000-4000-8000-000000000000";
    return r;
}

static void put(const entity *e, const char **r, const char *name, const char *text)
{
    r[entity_property_index(e, name, strlen(name))] = text;
}

Test(audit, an_update_lists_what_changed_with_old_and_new_values_in_graph_form)
{
    const char **old = row(STATES), **new = row(STATES);
    put(STATES, old, "certificateRevokeStatus", "issued");
    put(STATES, new, "certificateRevokeStatus", "revoked");
    put(STATES, old, "certificateRevokeStatusLastChangeDateTime", "2026-01-02 03:04:05+00");
    put(STATES, new, "certificateRevokeStatusLastChangeDateTime", "2026-11-30 10:00:00.5+00");
    put(STATES, old, "userPrincipalName", "a@contoso.example");
    put(STATES, new, "userPrincipalName", "a@contoso.example");
    put(STATES, old, "certificateKeyUsages", "0");
    put(STATES, new, "certificateKeyUsages", "5");
    put(STATES, old, "managedDeviceDisplayName", "laptop");
    audit_change c[ENTITY_MAX_PROPERTIES];
    int n = audit_diff(a, STATES, old, new, NULL, c);
    cr_assert_eq(n, 4);
    const audit_change *s = find(c, n, "certificateRevokeStatus");
    cr_assert_str_eq(s->old_value, "issued");
    cr_assert_str_eq(s->new_value, "revoked");
    const audit_change *t = find(c, n, "certificateRevokeStatusLastChangeDateTime");
    cr_assert_str_eq(t->old_value, "2026-01-02T03:04:05Z");
    cr_assert_str_eq(t->new_value, "2026-11-30T10:00:00.5Z");
    cr_assert_str_eq(find(c, n, "certificateKeyUsages")->new_value, "5");
    const audit_change *gone = find(c, n, "managedDeviceDisplayName");
    cr_assert_str_eq(gone->old_value, "laptop");
    cr_assert_null(gone->new_value);
    cr_assert_null(find(c, n, "userPrincipalName"), "unchanged is not listed");
    cr_assert_null(find(c, n, "id"), "the key is the resource, not a change");
}

Test(audit, a_create_lists_every_value_and_a_delete_every_old_one)
{
    const char **r = row(STATES);
    put(STATES, r, "userPrincipalName", "b@contoso.example");
    put(STATES, r, "certificateRevokeStatus", "notRevoked");
    audit_change c[ENTITY_MAX_PROPERTIES];
    int n = audit_diff(a, STATES, NULL, r, NULL, c);
    cr_assert_eq(n, 2);
    cr_assert_null(find(c, n, "userPrincipalName")->old_value);
    n = audit_diff(a, STATES, r, NULL, NULL, c);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(find(c, n, "certificateRevokeStatus")->old_value, "notRevoked");
    cr_assert_null(find(c, n, "certificateRevokeStatus")->new_value);
}

Test(audit, the_password_is_named_and_content_is_a_digest_of_its_bytes_or_of_the_kept_certificate)
{
    const entity *e = SYMANTEC;
    int content = entity_property_index(e, "content", 7), password = entity_property_index(e, "password", 8);
    prop_value body[ENTITY_MAX_PROPERTIES];
    memset(body, 0, sizeof body);
    body[password] = (prop_value){ .present = true, .text = "hunter2", .len = 7 };
    /* a parsed upload: content reads null, the certificate (here the bytes "cert") is kept */
    body[content] = (prop_value){ .present = true, .is_null = true };
    body[e->content_kept_in] = (prop_value){ .present = true, .text = "Y2VydA==", .len = 8 };
    const char **old = row(e), **new = row(e);
    put(e, old, "content", "aGVsbG8=");   /* "hello", stored as sent: not a certificate */
    audit_change c[ENTITY_MAX_PROPERTIES];
    int n = audit_diff(a, e, old, new, body, c);
    const audit_change *pw = find(c, n, "password");
    cr_assert_not_null(pw);
    cr_assert_null(pw->old_value);
    cr_assert_null(pw->new_value);
    const audit_change *ct = find(c, n, "content");
    cr_assert_str_eq(ct->old_value, "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824");
    cr_assert_str_eq(ct->new_value, "06298432E8066B29E2223BCC23AA9504B56AE508FABF3435508869B9C3190E22");
    for (int i = 0; i < n; i++) {
        cr_assert(!c[i].old_value || !strstr(c[i].old_value, "hunter2"));
        cr_assert(!c[i].new_value || !strstr(c[i].new_value, "hunter2"));
    }
    /* a PATCH without content leaves it out, with no password either */
    memset(body, 0, sizeof body);
    put(e, new, "content", "aGVsbG8=");
    n = audit_diff(a, e, old, new, body, c);
    cr_assert_null(find(c, n, "content"));
    cr_assert_null(find(c, n, "password"));
}
