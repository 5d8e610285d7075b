/* Query options, paging, $count, $batch and $metadata through nginx over TLS (API.md §1, §4), on
 * data the test seeds itself and whose expected answers it computes itself. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

TestSuite(queries, .init = cg_setup, .fini = cg_teardown);

#define COLLECTION "/beta" STATES
#define NSEED 40

/* One seeded device state, as the test knows it. */
typedef struct seeded {
    char id[37];
    const char *upn;          /* NULL: null */
    const char *status;
    int key_usages;
    char expiration[32];
    const char *device;       /* NULL: null */
} seeded;

static const char *const upns[] = {
    NULL, "adele@contoso.com", "Bob@contoso.com", "zoe@contoso.com", "\xc3\x89mile@contoso.com",
    "a_b%c@contoso.com", "ALEX@contoso.com", "abc@fabrikam.com",
};
static const char *const statuses[] = { "none", "pending", "issued", "failed", "revoked" };

static seeded seed[NSEED];

/* Seeds NSEED states in a fresh tenant; returns its token. */
static const char *seed_tenant(void)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    for (int i = 0; i < NSEED; i++) {
        seeded *s = &seed[i];
        s->upn = upns[i % 8];
        s->status = statuses[i % 5];
        s->key_usages = i;
        snprintf(s->expiration, sizeof s->expiration, "2026-%02d-%02dT00:00:00Z", 1 + (i / 2) / 28, 1 + (i / 2) % 28);
        s->device = i % 5 == 3 ? NULL : cg_fmt("PC-%02d", i);
        char *upn = s->upn ? cg_fmt("\"%s\"", s->upn) : "null";
        char *device = s->device ? cg_fmt("\"%s\"", s->device) : "null";
        const char *id = cg_create("beta", STATES, token, cg_fmt(
            "{\"userPrincipalName\":%s,\"certificateRevokeStatus\":\"%s\",\"certificateKeyUsages\":%d,"
            "\"certificateExpirationDateTime\":\"%s\",\"managedDeviceDisplayName\":%s}",
            upn, s->status, s->key_usages, s->expiration, device));
        snprintf(s->id, sizeof s->id, "%s", id);
    }
    return token;
}

static int status_rank(const char *s)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(statuses[i], s) == 0) return i;
    return -1;
}

/* Every id of every page of a list, following nextLinks; asserts each page is well formed. */
static char **walk(const char *path, const char *token, int *n, int *pages)
{
    static char *ids[4096];
    *n = 0;
    *pages = 0;
    const char *url = path;
    while (url) {
        cg_response *r = cg_get(url, token);
        cg_assert_status(r, 200);
        cg_assert_ok(cg_check_common_headers(r));
        yajl_val value = cg_member(r->json, "value");
        cr_assert(YAJL_IS_ARRAY(value), "%s", r->body);
        for (size_t i = 0; i < value->u.array.len; i++) {
            cr_assert_lt(*n, 4096);
            ids[(*n)++] = cg_fmt("%s", cg_str(value->u.array.values[i], "id"));
        }
        const char *next = cg_str(r->json, "@odata.nextLink");
        url = next ? cg_fmt("%s", next) : NULL;
        if (url) {
            cr_assert(strncmp(url, cg_base(), strlen(cg_base())) == 0, "nextLink %s is not on %s", url, cg_base());
            const char *token_at = strstr(url, "$skiptoken=");
            cr_assert_not_null(token_at, "%s", url);
            token_at += 11;
            cr_assert_eq(strspn(token_at, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                         strlen(token_at), "the skiptoken needs no percent-encoding: %s", url);
        }
        cr_assert_lt(++*pages, 1000, "the walk does not end");
    }
    return ids;
}

static char *query_path(const char *options)
{
    return cg_fmt("%s?%s", COLLECTION, options);
}

static char *encode(const char *s)
{
    CURL *c = curl_easy_init();
    char *e = curl_easy_escape(c, s, 0);
    char *out = cg_fmt("%s", e);
    curl_free(e);
    curl_easy_cleanup(c);
    return out;
}

static bool in_ids(char **ids, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0) return true;
    return false;
}

typedef bool (*predicate)(const seeded *s);

static bool p_upn_adele(const seeded *s) { return s->upn && strcmp(s->upn, "adele@contoso.com") == 0; }
static bool p_upn_not_adele(const seeded *s) { return !p_upn_adele(s); }
static bool p_upn_null(const seeded *s) { return !s->upn; }
static bool p_starts_a(const seeded *s) { return s->upn && s->upn[0] == 'a'; }
static bool p_contains_pct(const seeded *s) { return s->upn && strstr(s->upn, "_b%"); }
static bool p_ends_fabrikam(const seeded *s) { return s->upn && strstr(s->upn, "@fabrikam.com"); }
static bool p_lower_alex(const seeded *s) { return s->upn && strcmp(s->upn, "ALEX@contoso.com") == 0; }
static bool p_lower_emile(const seeded *s) { return s->upn && strcmp(s->upn, "\xc3\x89mile@contoso.com") == 0; }
static bool p_status_gt_pending(const seeded *s) { return status_rank(s->status) > 1; }
static bool p_status_in(const seeded *s) { return strcmp(s->status, "revoked") == 0 || strcmp(s->status, "failed") == 0; }
static bool p_usage_range(const seeded *s) { return s->key_usages >= 10 && s->key_usages < 20; }
static bool p_expiring(const seeded *s) { return strcmp(s->expiration, "2026-01-05T00:00:00Z") < 0; }
static bool p_not_device_null(const seeded *s) { return s->device != NULL; }
static bool p_combined(const seeded *s) { return (p_starts_a(s) || p_upn_null(s)) && !(strcmp(s->status, "none") == 0); }
static bool p_upn_gt_b(const seeded *s) { return s->upn && strcmp(s->upn, "a") > 0 && strcmp(s->upn, "b") < 0; }

Test(queries, filters_return_exactly_the_matching_entities)
{
    const char *token = seed_tenant();
    static const struct { const char *filter; predicate match; } cases[] = {
        { "userPrincipalName eq 'adele@contoso.com'", p_upn_adele },
        { "userPrincipalName ne 'adele@contoso.com'", p_upn_not_adele },   /* nulls included */
        { "not (userPrincipalName eq 'adele@contoso.com')", p_upn_not_adele },
        { "userPrincipalName eq null", p_upn_null },
        { "startswith(userPrincipalName,'a')", p_starts_a },               /* case-sensitive: not ALEX */
        { "contains(userPrincipalName,'_b%')", p_contains_pct },           /* % and _ are plain */
        { "endswith(userPrincipalName,'@fabrikam.com')", p_ends_fabrikam },
        { "tolower(userPrincipalName) eq 'alex@contoso.com'", p_lower_alex },
        { "tolower(userPrincipalName) eq '\xc3\xa9mile@contoso.com'", p_lower_emile },
        { "toupper(userPrincipalName) eq '\xc3\x89MILE@CONTOSO.COM'", p_lower_emile },
        { "certificateRevokeStatus gt 'pending'", p_status_gt_pending },   /* members' order */
        { "certificateRevokeStatus in ('revoked', microsoft.graph.certificateRevocationStatus'failed')", p_status_in },
        { "certificateKeyUsages ge 10 and certificateKeyUsages lt 20", p_usage_range },
        { "certificateExpirationDateTime lt 2026-01-05T00:00:00Z", p_expiring },
        { "certificateExpirationDateTime lt 2026-01-05T01:00:00+01:00", p_expiring },
        { "managedDeviceDisplayName ne null", p_not_device_null },
        { "(startswith(userPrincipalName,'a') or userPrincipalName eq null) and not (certificateRevokeStatus eq 'none')", p_combined },
        { "userPrincipalName gt 'a' and userPrincipalName lt 'b'", p_upn_gt_b },   /* code points: 'B' < 'a' */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int n, pages;
        char **ids = walk(query_path(cg_fmt("$filter=%s&$select=id&$top=999", encode(cases[c].filter))), token, &n, &pages);
        int want = 0;
        for (int i = 0; i < NSEED; i++) {
            bool m = cases[c].match(&seed[i]);
            want += m;
            cr_assert_eq(in_ids(ids, n, seed[i].id), m, "%s: seed %d (upn %s, status %s) %s", cases[c].filter, i,
                         seed[i].upn ? seed[i].upn : "null", seed[i].status, m ? "missing" : "should not match");
        }
        cr_assert_eq(n, want, "%s: %d results, want %d", cases[c].filter, n, want);
        /* /$count agrees, as text/plain */
        cg_response *r = cg_get(cg_fmt("%s/$count?$filter=%s", COLLECTION, encode(cases[c].filter)), token);
        cg_assert_status(r, 200);
        cr_assert(strncmp(cg_header(r, "Content-Type"), "text/plain", 10) == 0, "%s", cg_header(r, "Content-Type"));
        cr_assert_str_eq(r->body, cg_fmt("%d", want), "%s", cases[c].filter);
    }
}

/* The order API.md §4 gives: nulls first ascending, code points, ties by id. */
static int cmp_upn_asc(const void *x, const void *y)
{
    const seeded *a = x, *b = y;
    if (!a->upn || !b->upn) {
        if (a->upn != b->upn) return a->upn ? 1 : -1;
    } else {
        int c = strcmp(a->upn, b->upn);
        if (c) return c;
    }
    return strcmp(a->id, b->id);
}

static int cmp_expiration_desc(const void *x, const void *y)
{
    const seeded *a = x, *b = y;
    int c = strcmp(b->expiration, a->expiration);
    return c ? c : strcmp(a->id, b->id);
}

static int cmp_status_then_upn_desc(const void *x, const void *y)
{
    const seeded *a = x, *b = y;
    int c = status_rank(a->status) - status_rank(b->status);
    if (c) return c;
    if (!a->upn || !b->upn) {
        if (a->upn != b->upn) return a->upn ? -1 : 1;   /* descending: nulls last */
    } else if ((c = strcmp(b->upn, a->upn))) {
        return c;
    }
    return strcmp(a->id, b->id);
}

Test(queries, orders_and_pages_visit_every_entity_once_in_order)
{
    const char *token = seed_tenant();
    static const struct { const char *orderby; int (*cmp)(const void *, const void *); } cases[] = {
        { "userPrincipalName", cmp_upn_asc },
        { "certificateExpirationDateTime desc", cmp_expiration_desc },
        { "certificateRevokeStatus asc,userPrincipalName desc", cmp_status_then_upn_desc },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        seeded sorted[NSEED];
        memcpy(sorted, seed, sizeof sorted);
        qsort(sorted, NSEED, sizeof sorted[0], cases[c].cmp);
        for (int top = 1; top <= 41; top += 6) {
            int n, pages;
            char **ids = walk(query_path(cg_fmt("$orderby=%s&$top=%d&$select=userPrincipalName", encode(cases[c].orderby), top)),
                              token, &n, &pages);
            cr_assert_eq(n, NSEED, "%s, $top=%d: %d entities", cases[c].orderby, top, n);
            cr_assert_eq(pages, (NSEED + top - 1) / top, "%s, $top=%d: %d pages", cases[c].orderby, top, pages);
            for (int i = 0; i < NSEED; i++)
                cr_assert_str_eq(ids[i], sorted[i].id, "%s, $top=%d: position %d", cases[c].orderby, top, i);
        }
    }
    /* $skip applies to the first page; the nextLink carries on from there */
    int n, pages;
    char **ids = walk(query_path("$orderby=userPrincipalName&$skip=5&$top=10"), token, &n, &pages);
    seeded sorted[NSEED];
    memcpy(sorted, seed, sizeof sorted);
    qsort(sorted, NSEED, sizeof sorted[0], cmp_upn_asc);
    cr_assert_eq(n, NSEED - 5);
    for (int i = 0; i < n; i++) cr_assert_str_eq(ids[i], sorted[i + 5].id, "position %d after $skip=5", i);
}

Test(queries, a_walk_sees_each_entity_once_while_others_insert_and_delete)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    enum { N = 60 };
    char *original[N];
    for (int i = 0; i < N; i++)
        original[i] = cg_fmt("%s", cg_create("beta", STATES, token,
                                             cg_fmt("{\"certificateExpirationDateTime\":\"2026-02-%02dT00:00:00Z\"}", 1 + i % 20)));
    bool deleted[N] = { false };
    char *seen[4 * N];
    int nseen = 0, pages = 0;
    const char *url = query_path("$orderby=certificateExpirationDateTime&$top=7&$select=id");
    while (url) {
        cg_response *r = cg_get(url, token);
        cg_assert_status(r, 200);
        yajl_val value = cg_member(r->json, "value");
        for (size_t i = 0; i < value->u.array.len; i++) {
            const char *id = cg_str(value->u.array.values[i], "id");
            cr_assert(!in_ids(seen, nseen, id), "%s seen twice", id);
            seen[nseen++] = cg_fmt("%s", id);
        }
        const char *next = cg_str(r->json, "@odata.nextLink");
        url = next ? cg_fmt("%s", next) : NULL;
        /* between pages: two inserts anywhere in the order, and one delete of a row not seen yet */
        for (int k = 0; k < 2; k++)
            cg_create("beta", STATES, token, cg_fmt("{\"certificateExpirationDateTime\":\"2026-02-%02dT00:00:00Z\"}",
                                                    1 + (pages * 7 + k * 11) % 20));
        for (int i = N - 1; i >= 0; i--) {
            if (deleted[i] || in_ids(seen, nseen, original[i])) continue;
            cg_assert_status(cg_delete(cg_fmt("%s/%s", COLLECTION, original[i]), token), 204);
            deleted[i] = true;
            break;
        }
        cr_assert_lt(++pages, 100);
    }
    for (int i = 0; i < N; i++)
        if (!deleted[i]) cr_assert(in_ids(seen, nseen, original[i]), "entity %d (never deleted) was not visited", i);
        else cr_assert(!in_ids(seen, nseen, original[i]), "entity %d was deleted before it was reached", i);
}

Test(queries, select_and_count)
{
    const char *token = seed_tenant();
    cg_response *r = cg_get(query_path("$select=userPrincipalName,certificateRevokeStatus&$count=true&$top=3"), token);
    cg_assert_status(r, 200);
    cr_assert_str_eq(cg_str(r->json, "@odata.context"),
                     cg_fmt("%s/beta/$metadata#deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates"
                            "(userPrincipalName,certificateRevokeStatus)", cg_base()));
    long long count;
    cr_assert(cg_int(r->json, "@odata.count", &count), "%s", r->body);
    cr_assert_eq(count, NSEED);
    yajl_val first = cg_member(r->json, "value")->u.array.values[0];
    cr_assert_eq(first->u.object.len, 4, "@odata.type, id and the two selected: %s", r->body);
    cr_assert(cg_has(first, "id") && cg_has(first, "userPrincipalName") && cg_has(first, "certificateRevokeStatus"));
    cr_assert(!cg_has(first, "certificateKeyUsages"));
    /* the next page keeps the selection and the count */
    const char *next = cg_str(r->json, "@odata.nextLink");
    cr_assert(strstr(next, "$select=userPrincipalName%2CcertificateRevokeStatus") && strstr(next, "$count=true"), "%s", next);
    r = cg_get(cg_fmt("%s", next), token);
    cg_assert_status(r, 200);
    cr_assert(cg_int(r->json, "@odata.count", &count) && count == NSEED, "%s", r->body);

    /* Get with $select, the singleton too */
    r = cg_get(cg_fmt("%s/%s?$select=certificateKeyUsages", COLLECTION, seed[7].id), token);
    cg_assert_status(r, 200);
    cr_assert_str_eq(cg_str(r->json, "@odata.context"),
                     cg_fmt("%s/beta/$metadata#deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates"
                            "(certificateKeyUsages)/$entity", cg_base()));
    cr_assert(cg_int(r->json, "certificateKeyUsages", &count) && count == 7);
    cr_assert(!cg_has(r->json, "userPrincipalName"));
    r = cg_get("/beta" SYMANTEC "?$select=status", token);
    cg_assert_status(r, 200);
    cr_assert_str_eq(cg_str(r->json, "status"), "notProvisioned");
    cr_assert(!cg_has(r->json, "subject"));

    /* beta takes the names without '$'; v1.0 ignores them */
    r = cg_get(query_path("select=id&top=2"), token);
    cg_assert_status(r, 200);
    cr_assert_eq(cg_member(r->json, "value")->u.array.len, 2);
    r = cg_get("/v1.0" ECSC "?top=abc", token);
    cg_assert_status(r, 200);
}

Test(queries, bad_options_and_tokens_are_400_and_the_next_request_works)
{
    const char *token = seed_tenant();
    static const char *const bad[] = {
        "$filter=nosuch%20eq%201", "$filter=userPrincipalName%20eq%20%27x", "$filter=content%20eq%20null",
        "$filter=not%20certificateKeyUsages%20eq%201", "$top=0", "$top=1000", "$skip=-1", "$count=maybe",
        "$select=nosuch", "$orderby=nosuch", "$search=adele", "$expand=x", "$top=1&$top=2", "$apply=x",
        "$skiptoken=8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01", "$filter=%27%3B%20drop%20table%20x%3B--",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cg_response *r = cg_get(query_path(bad[i]), token);
        cg_assert_error(r, 400, "BadRequest", NULL);
        cg_assert_status(cg_get(query_path("$top=1"), token), 200);
    }
    cg_response *r = cg_get(cg_fmt("%s/%s?$filter=certificateKeyUsages%%20eq%%201", COLLECTION, seed[0].id), token);
    cg_assert_error(r, 400, "BadRequest", "$filter");
    r = cg_get(query_path("$filter=nosuch%20eq%201"), token);
    cg_assert_error(r, 400, "BadRequest", "property 'nosuch' does not exist");
    cr_assert(strstr(cg_str(CG_AT(r->json, "error"), "message"), "position 1"), "%s", r->body);

    /* a token from this query, tampered, for another query, or for another tenant */
    r = cg_get(query_path("$top=5&$filter=certificateKeyUsages%20ge%203"), token);
    const char *next = cg_fmt("%s", cg_str(r->json, "@odata.nextLink"));
    char *tampered = cg_fmt("%s", next);
    char *last = tampered + strlen(tampered) - 3;
    *last = *last == 'A' ? 'B' : 'A';
    cg_assert_error(cg_get(tampered, token), 400, "BadRequest", "$skiptoken");
    const char *skiptoken = strstr(next, "$skiptoken=");
    cg_assert_error(cg_get(query_path(cg_fmt("$top=5&$filter=certificateKeyUsages%%20ge%%204&%s", skiptoken)), token),
                    400, "BadRequest", "$skiptoken");
    cg_assert_error(cg_get(query_path(cg_fmt("$top=6&$filter=certificateKeyUsages%%20ge%%203&%s", skiptoken)), token),
                    400, "BadRequest", "$skiptoken");
    const char *other = cg_tenant_token(cg_new_tenant());
    cg_assert_error(cg_get(next, other), 400, "BadRequest", "$skiptoken");
    /* the same options in another order, re-encoded the way SDKs rebuild a query string */
    r = cg_get(query_path(cg_fmt("%s&$filter=certificateKeyUsages+ge+3&$top=5", skiptoken)), token);
    cg_assert_status(r, 200);
    r = cg_get(next, token);
    cg_assert_status(r, 200);
    cr_assert_eq(cg_member(r->json, "value")->u.array.len, 5);
}

Test(queries, batch_runs_steps_through_the_same_operations)
{
    const char *token = seed_tenant();
    const char *other = cg_tenant_token(cg_new_tenant());
    const char *foreign = cg_create("beta", STATES, other, "{}");
    /* 20 PATCHes in one batch */
    char *body = cg_fmt("{\"requests\":[");
    for (int i = 0; i < 20; i++)
        body = cg_fmt("%s%s{\"id\":\"p%d\",\"method\":\"PATCH\",\"url\":\"%s/%s\",\"headers\":{\"Content-Type\":\"application/json\"},"
                      "\"body\":{\"certificateKeyUsages\":%d}}", body, i ? "," : "", i, STATES, seed[i].id, 1000 + i);
    body = cg_fmt("%s]}", body);
    cg_response *r = cg_post("/beta/$batch", token, body);
    cg_assert_status(r, 200);
    yajl_val responses = cg_member(r->json, "responses");
    cr_assert(YAJL_IS_ARRAY(responses) && responses->u.array.len == 20, "%s", r->body);
    for (int i = 0; i < 20; i++) {
        yajl_val step = responses->u.array.values[i];
        long long status;
        cr_assert(cg_int(step, "status", &status) && status == 200, "%s", r->body);
        cr_assert_str_eq(cg_str(CG_AT(step, "headers"), "Content-Type"), JSON_MEDIA_TYPE);
    }
    for (int i = 0; i < 20; i++) {
        char *v = cg_db_value("SELECT certificate_key_usages::text FROM managed_all_device_certificate_state WHERE id = $1::uuid",
                              1, (const char *[]){ seed[i].id });
        cr_assert_str_eq(v, cg_fmt("%d", 1000 + i), "psql sees the PATCH of step %d", i);
    }

    /* dependsOn, a failure and its dependant, another tenant's id, a 204, a version-prefixed url */
    r = cg_post("/v1.0/$batch", cg_tenant_token(cg_new_tenant()), cg_fmt("{\"requests\":["
        "{\"id\":\"1\",\"method\":\"POST\",\"url\":\"%s\",\"headers\":{\"content-type\":\"application/json\"},\"body\":{\"subject\":\"s\"}},"
        "{\"id\":\"2\",\"method\":\"GET\",\"url\":\"%s?$count=true\",\"dependsOn\":[\"1\"]},"
        "{\"id\":\"3\",\"method\":\"get\",\"url\":\"%s/00000000-0000-4000-8000-000000000000\"},"
        "{\"id\":\"4\",\"method\":\"GET\",\"url\":\"%s\",\"dependsOn\":[\"3\"]},"
        "{\"id\":\"5\",\"method\":\"GET\",\"url\":\"/v1.0%s\"},"
        "{\"id\":\"6\",\"method\":\"PATCH\",\"url\":\"%s/00000000-0000-4000-8000-000000000000\",\"headers\":{\"Content-Type\":\"application/json\",\"Prefer\":\"return=minimal\"},\"body\":{}}"
        "]}", ECSC, ECSC, ECSC, ECSC, ECSC, ECSC));
    cg_assert_status(r, 200);
    responses = cg_member(r->json, "responses");
    long long want[] = { 201, 200, 404, 424, 400, 404 };
    for (int i = 0; i < 6; i++) {
        yajl_val step = responses->u.array.values[i];
        long long status;
        cr_assert(cg_int(step, "status", &status) && status == want[i], "step %d: %s", i + 1, r->body);
    }
    long long count;
    cr_assert(cg_int(CG_AT(responses->u.array.values[1], "body"), "@odata.count", &count) && count == 1, "%s", r->body);
    cr_assert_str_eq(cg_str(CG_AT(responses->u.array.values[3], "body", "error"), "code"), "FailedDependency");
    cr_assert(strstr(cg_str(CG_AT(responses->u.array.values[4], "body", "error"), "message"), "segment 'v1.0'"), "%s", r->body);

    /* another tenant's entity is not there for this token, in a batch as anywhere */
    r = cg_post("/beta/$batch", token, cg_fmt("{\"requests\":[{\"id\":\"x\",\"method\":\"GET\",\"url\":\"%s/%s\"},"
                                              "{\"id\":\"y\",\"method\":\"DELETE\",\"url\":\"%s/%s\"}]}",
                                              STATES, foreign, STATES, foreign));
    cg_assert_status(r, 200);
    for (int i = 0; i < 2; i++) {
        long long status;
        cr_assert(cg_int(cg_member(r->json, "responses")->u.array.values[i], "status", &status) && status == 404, "%s", r->body);
    }
    cg_assert_status(cg_get(cg_fmt("%s/%s", COLLECTION, foreign), other), 200);

    /* a step is authorized with the outer token's scopes */
    const char *reader = cg_token("--tenant %s --scp DeviceManagementConfiguration.Read.All", cg_new_tenant());
    r = cg_post("/beta/$batch", reader, cg_fmt("{\"requests\":[{\"id\":\"1\",\"method\":\"POST\",\"url\":\"%s\","
                                               "\"headers\":{\"Content-Type\":\"application/json\"},\"body\":{}},"
                                               "{\"id\":\"2\",\"method\":\"GET\",\"url\":\"%s\"}]}", STATES, STATES));
    cg_assert_status(r, 200);
    long long s1, s2;
    cr_assert(cg_int(cg_member(r->json, "responses")->u.array.values[0], "status", &s1) && s1 == 403, "%s", r->body);
    cr_assert(cg_int(cg_member(r->json, "responses")->u.array.values[1], "status", &s2) && s2 == 200, "%s", r->body);
}

Test(queries, a_batch_that_cannot_run_as_a_whole_is_400_and_runs_nothing)
{
    const char *tenant = cg_new_tenant();
    const char *token = cg_tenant_token(tenant);
    const char *post = "{\"id\":\"%s\",\"method\":\"POST\",\"url\":\"" STATES "\",\"headers\":{\"Content-Type\":\"application/json\"},"
                       "\"body\":{\"userPrincipalName\":\"never@contoso.com\"}%s}";
    char *many = cg_fmt("{\"requests\":[");
    for (int i = 0; i < 21; i++) many = cg_fmt("%s%s{\"id\":\"%d\",\"method\":\"POST\",\"url\":\"%s\",\"headers\":{\"Content-Type\":\"application/json\"},\"body\":{\"userPrincipalName\":\"never@contoso.com\"}}", many, i ? "," : "", i, STATES);
    many = cg_fmt("%s]}", many);
    const char *bodies[] = {
        many,
        cg_fmt("{\"requests\":[%s,%s]}", cg_fmt(post, "a", ""), cg_fmt(post, "a", "")),
        cg_fmt("{\"requests\":[%s]}", cg_fmt(post, "a", ",\"dependsOn\":[\"nosuch\"]")),
        cg_fmt("{\"requests\":[%s,%s]}", cg_fmt(post, "a", ",\"dependsOn\":[\"b\"]"), cg_fmt(post, "b", ",\"dependsOn\":[\"a\"]")),
        cg_fmt("{\"requests\":[%s,{\"id\":\"n\",\"method\":\"POST\",\"url\":\"/$batch\",\"body\":{\"requests\":[]}}]}", cg_fmt(post, "a", "")),
        "{\"requests\":[]}",
        "{\"requests\":{}}",
        "[1,2]",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\"}]}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        cg_response *r = cg_post("/beta/$batch", token, bodies[i]);
        cg_assert_error(r, 400, "BadRequest", NULL);
    }
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    cg_assert_error(cg_call(.method = "POST", .path = "/beta/$batch", .token = token, .body = deep, .body_len = 200), 400, "BadRequest", NULL);
    cg_assert_error(cg_call(.method = "POST", .path = "/beta/$batch", .token = token, .body = "{}", .content_type = "text/plain"),
                    415, "UnsupportedMediaType", NULL);
    cg_assert_error(cg_post("/beta/$batch", NULL, "{\"requests\":[]}"), 401, "InvalidAuthenticationToken", NULL);
    char *n = cg_db_value("SELECT count(*)::text FROM managed_all_device_certificate_state WHERE tenant_id = $1::uuid", 1,
                          (const char *[]){ tenant });
    cr_assert_str_eq(n, "0", "no step of a refused batch ran");
    cg_assert_status(cg_post("/beta/$batch", token, cg_fmt("{\"requests\":[%s]}", cg_fmt(post, "a", ""))), 200);
}
