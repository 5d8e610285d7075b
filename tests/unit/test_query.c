/* Query options (API.md §4) as odata_parse reads them, the SQL of a page, and signed $skiptoken. */
#include <criterion/criterion.h>
#include <string.h>

#include "arena.h"
#include "odata.h"
#include "router.h"
#include "skiptoken.h"
#include "sql.h"

static arena *a;
static void setup(void) { a = arena_new(4096); }
static void teardown(void) { arena_free(a); }
TestSuite(query, .init = setup, .fini = teardown);

#define STATES_URL "/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates"
#define ALL (QO_FILTER | QO_SELECT | QO_ORDERBY | QO_TOP | QO_SKIP | QO_COUNT | QO_SKIPTOKEN)

static bool parse(const char *uri, unsigned allowed, odata_query *q, const char **message)
{
    route r;
    route_parse(a, uri, &r);
    cr_assert_eq(r.error_status, 0, "%s: %s", uri, r.error_message);
    return odata_parse(a, r.entity, &r, allowed, q, message);
}

Test(query, options_are_read_and_checked)
{
    odata_query q;
    const char *m = NULL;
    cr_assert(parse(STATES_URL "?$top=5&$skip=10&$count=true&$select=userPrincipalName,%20certificateRevokeStatus"
                               "&$orderby=certificateExpirationDateTime%20desc,userPrincipalName&$filter=certificateKeyUsages+eq+1",
                    ALL, &q, &m), "%s", m);
    cr_assert_eq(q.top, 5);
    cr_assert(q.top_given);
    cr_assert_eq(q.skip, 10);
    cr_assert(q.count);
    cr_assert_str_eq(q.select_text, "userPrincipalName,certificateRevokeStatus");
    cr_assert(q.selected[0], "id is always selected");
    cr_assert_eq(q.norder, 2);
    cr_assert(q.order[0].desc);
    cr_assert(!q.order[1].desc);
    cr_assert_not_null(q.filter);
    cr_assert_str_eq(q.filter_text, "certificateKeyUsages eq 1");

    cr_assert(parse(STATES_URL, ALL, &q, &m));
    cr_assert_eq(q.top, 100);
    cr_assert_null(q.selected);
}

Test(query, bad_options_are_400_with_a_reason)
{
    static const struct { const char *query, *message; } cases[] = {
        { "$top=0", "Invalid $top" }, { "$top=1000", "Invalid $top" }, { "$top=-1", "Invalid $top" },
        { "$top=1e3", "Invalid $top" }, { "$skip=-1", "Invalid $skip" }, { "$skip=x", "Invalid $skip" },
        { "$count=yes", "Invalid $count" }, { "$top=1&$top=2", "given more than once" },
        { "$filter=certificateKeyUsages%20eq%201&$FILTER=certificateKeyUsages%20eq%202", "given more than once" },
        { "$top=1&top=2", "given more than once" },
        { "$search=x", "'$search' is not supported on this resource" },
        { "$expand=x", "Query option '$expand' is not supported" }, { "$format=json", "'$format' is not supported" },
        { "$select=nosuch", "property 'nosuch' does not exist" }, { "$select=userPrincipalName,,id", "empty" },
        { "$orderby=nosuch", "property 'nosuch' does not exist" }, { "$orderby=userPrincipalName%20up", "not asc or desc" },
        { "$orderby=userPrincipalName,userPrincipalName%20desc", "appears twice" },
        { "$filter=%C3%28", "not valid UTF-8" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        odata_query q;
        const char *m = NULL;
        cr_assert(!parse(arena_printf(a, "%s?%s", STATES_URL, cases[i].query), ALL, &q, &m), "%s", cases[i].query);
        cr_assert(strstr(m, cases[i].message), "%s: got '%s'", cases[i].query, m);
    }
    odata_query q;
    const char *m;
    cr_assert(!parse("/v1.0/deviceAppManagement/enterpriseCodeSigningCertificates?$orderby=content", ALL, &q, &m));
    cr_assert(strstr(m, "'content' cannot be used to order"), "%s", m);
    /* on a Get of one entity only $select is taken */
    cr_assert(!parse(STATES_URL "?$filter=certificateKeyUsages%20eq%201", QO_SELECT, &q, &m));
    cr_assert(strstr(m, "'$filter' is not supported on this request"), "%s", m);
}

Test(query, beta_takes_the_names_without_dollar_and_v1_ignores_them)
{
    odata_query q;
    const char *m;
    cr_assert(parse(STATES_URL "?top=3&filter=certificateKeyUsages%20eq%201", ALL, &q, &m), "%s", m);
    cr_assert_eq(q.top, 3);
    cr_assert_not_null(q.filter);
    cr_assert(parse("/v1.0/deviceAppManagement/enterpriseCodeSigningCertificates?top=3&filter=junk", ALL, &q, &m), "%s", m);
    cr_assert_eq(q.top, 100);
    cr_assert_null(q.filter);
}

Test(query, a_deep_page_is_one_index_range_after_the_last_key)
{
    odata_query q;
    const char *m;
    cr_assert(parse(STATES_URL "?$orderby=certificateExpirationDateTime&$select=id", ALL, &q, &m), "%s", m);
    const char *after[] = { "2026-01-01 00:00:00+00", "8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01" };
    const sql_statement *s = sql_query_list(a, &managed_all_device_certificate_state_entity, "t", &q, after, 101);
    cr_assert(strstr(s->text, "AND (certificate_expiration_date_time, id) > ($2::timestamptz, $3::uuid)"), "%s", s->text);
    cr_assert(strstr(s->text, "ORDER BY certificate_expiration_date_time ASC NULLS FIRST, id LIMIT $4::integer"), "%s", s->text);
    cr_assert_null(strstr(s->text, "OFFSET"));
    cr_assert_str_eq(s->params[1], after[0]);

    /* descending, or after a null, it is spelled out key by key */
    cr_assert(parse(STATES_URL "?$orderby=userPrincipalName%20desc", ALL, &q, &m), "%s", m);
    const char *after_null[] = { NULL, "8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01" };
    s = sql_query_list(a, &managed_all_device_certificate_state_entity, "t", &q, after_null, 11);
    cr_assert(strstr(s->text, "AND (FALSE OR (user_principal_name IS NULL AND id > $2::uuid))"), "%s", s->text);
    cr_assert(strstr(s->text, "ORDER BY user_principal_name DESC NULLS LAST, id"), "%s", s->text);

    /* the first page takes $skip */
    cr_assert(parse(STATES_URL "?$skip=20", ALL, &q, &m), "%s", m);
    s = sql_query_list(a, &managed_all_device_certificate_state_entity, "t", &q, NULL, 101);
    cr_assert(strstr(s->text, "ORDER BY id LIMIT $2::integer OFFSET $3::bigint"), "%s", s->text);
    cr_assert_str_eq(s->params[2], "20");
}

static void digest_of(const char *query, unsigned char d[SKIPTOKEN_DIGEST_LEN])
{
    const char *parts[] = { "tenant", query };
    skiptoken_digest(parts, 2, d);
}

Test(query, skiptoken_signs_verifies_and_refuses_tampering)
{
    static const unsigned char secret[32] = "a test secret of thirty-two byte";
    skiptoken_set_secret(secret, sizeof secret);
    unsigned char d[SKIPTOKEN_DIGEST_LEN], other[SKIPTOKEN_DIGEST_LEN];
    digest_of("filter=a", d);
    digest_of("filter=b", other);
    const char *values[] = { "user@example.com", NULL, "8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01" };
    const char *token = skiptoken_make(a, d, values, 3);
    cr_assert_eq(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), strlen(token),
                 "URL-safe: %s", token);
    const char *got[3];
    cr_assert(skiptoken_read(a, d, token, got, 3));
    cr_assert_str_eq(got[0], values[0]);
    cr_assert_null(got[1]);
    cr_assert_str_eq(got[2], values[2]);

    cr_assert(!skiptoken_read(a, other, token, got, 3), "another query");
    cr_assert(!skiptoken_read(a, d, token, got, 2), "another order (key count)");
    for (size_t i = 0; token[i]; i++) {   /* every single-character change is caught */
        char *t = arena_strdup(a, token);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        cr_assert(!skiptoken_read(a, d, t, got, 3), "changed at %zu", i);
    }
    cr_assert(!skiptoken_read(a, d, "", got, 3));
    cr_assert(!skiptoken_read(a, d, "not a token!", got, 3));
    cr_assert(!skiptoken_read(a, d, "8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01", got, 1), "the old bare-id token");

    static const unsigned char rotated[32] = "another secret, thirty-two bytes";
    skiptoken_set_secret(rotated, sizeof rotated);
    cr_assert(!skiptoken_read(a, d, token, got, 3), "a rotated secret");
}
