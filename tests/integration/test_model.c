/* $metadata against the entity tables, and the index each common query uses on a seeded table
 * (API.md §1, §4; EXPLAIN (FORMAT JSON) of the very statements the service runs). */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "client.h"
#include "edm.h"
#include "entity.h"
#include "odata.h"
#include "router.h"
#include "sql.h"

TestSuite(model, .init = cg_setup, .fini = cg_teardown);

static xmlNode *child(xmlNode *parent, const char *name, const char *attr_name, const char *attr_value)
{
    for (xmlNode *n = parent ? parent->children : NULL; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name) != 0) continue;
        if (!attr_name) return n;
        xmlChar *v = xmlGetProp(n, (const xmlChar *)attr_name);
        bool match = v && strcmp((const char *)v, attr_value) == 0;
        xmlFree(v);
        if (match) return n;
    }
    return NULL;
}

static char *prop(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    char *out = cg_fmt("%s", v ? (const char *)v : "");
    xmlFree(v);
    return out;
}

static int count_children(xmlNode *parent, const char *name)
{
    int k = 0;
    for (xmlNode *n = parent->children; n; n = n->next) k += n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
    return k;
}

static void check_version(const char *version, unsigned bit)
{
    cg_response *r = cg_get(cg_fmt("/%s/$metadata", version), NULL);   /* no token, as Graph */
    cg_assert_status(r, 200);
    cr_assert_str_eq(cg_header(r, "Content-Type"), "application/xml");
    xmlDoc *doc = xmlReadMemory(r->body, (int)r->body_len, "metadata.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    cr_assert_not_null(doc, "%s/$metadata is not XML", version);
    xmlNode *edmx = xmlDocGetRootElement(doc);
    cr_assert_str_eq((const char *)edmx->name, "Edmx");
    cr_assert_str_eq(prop(edmx, "Version"), "4.0");
    xmlNode *schema = child(child(edmx, "DataServices", NULL, NULL), "Schema", "Namespace", "microsoft.graph");
    cr_assert_not_null(schema);
    xmlNode *container = child(schema, "EntityContainer", NULL, NULL);
    cr_assert_not_null(container);
    int served = 0;
    for (int i = 0; certgraph_entities[i]; i++) {
        const entity *e = certgraph_entities[i];
        const char *name = strrchr(e->type_name, '.') + 1;
        xmlNode *type = child(schema, "EntityType", "Name", name);
        if (!(e->versions & bit)) {
            cr_assert_null(type, "%s: %s is not served there", version, name);
            continue;
        }
        served++;
        cr_assert_not_null(type, "%s: no EntityType %s", version, name);
        cr_assert_not_null(child(child(type, "Key", NULL, NULL), "PropertyRef", "Name", "id"));
        int nserved = 0;
        for (int k = 0; k < e->nprops; k++) nserved += property_served(&e->props[k]);
        cr_assert_eq(count_children(type, "Property"), nserved, "%s: %s", version, name);
        for (int k = 0; k < e->nprops; k++) {
            const property *p = &e->props[k];
            if (!property_served(p)) {
                cr_assert_null(child(type, "Property", "Name", p->name), "server-side %s is not in the model", p->name);
                continue;
            }
            xmlNode *pn = child(type, "Property", "Name", p->name);
            cr_assert_not_null(pn, "%s: %s.%s", version, name, p->name);
            cr_assert_str_eq(prop(pn, "Type"), edm_type_name(p), "%s.%s", name, p->name);
            cr_assert_str_eq(prop(pn, "Nullable"), (p->flags & PROP_NULLABLE) ? "" : "false", "%s.%s", name, p->name);
            if (p->complex) {   /* the audit trail's actor and resources: a ComplexType with every member */
                xmlNode *ct = child(schema, "ComplexType", "Name", strrchr(p->complex->name, '.') + 1);
                cr_assert_not_null(ct, "%s", p->complex->name);
                cr_assert_eq(count_children(ct, "Property"), p->complex->nmembers, "%s", p->complex->name);
                for (int m = 0; m < p->complex->nmembers; m++) {
                    xmlNode *member = child(ct, "Property", "Name", p->complex->members[m].name);
                    cr_assert_not_null(member, "%s.%s", p->complex->name, p->complex->members[m].name);
                    cr_assert_str_eq(prop(member, "Type"), p->complex->members[m].type);
                }
            }
            if (p->enumeration) {
                xmlNode *en = child(schema, "EnumType", "Name", strrchr(p->enumeration->name, '.') + 1);
                cr_assert_not_null(en, "%s", p->enumeration->name);
                for (int m = 0; p->enumeration->members[m]; m++) {
                    xmlNode *member = child(en, "Member", "Name", p->enumeration->members[m]);
                    cr_assert_not_null(member, "%s.%s", p->enumeration->name, p->enumeration->members[m]);
                    cr_assert_str_eq(prop(member, "Value"), cg_fmt("%d", m));
                }
            }
        }
        /* reachable as Graph's URLs are: a singleton per parent segment, containing the set */
        cr_assert_not_null(child(container, "Singleton", "Name", e->parent_segment), "%s", e->parent_segment);
        xmlNode *parent = child(schema, "EntityType", "Name", e->parent_segment);
        xmlNode *nav = child(parent, "NavigationProperty", "Name", e->segment);
        cr_assert_not_null(nav, "%s/%s", e->parent_segment, e->segment);
        cr_assert_str_eq(prop(nav, "Type"), e->singleton ? e->type_name : cg_fmt("Collection(%s)", e->type_name));
        cr_assert_str_eq(prop(nav, "ContainsTarget"), "true");
    }
    cr_assert_gt(served, 0);
    xmlFreeDoc(doc);
}

Test(model, metadata_is_csdl_generated_from_the_entity_tables)
{
    check_version("v1.0", VERSION_V1);
    check_version("beta", VERSION_BETA);
    cg_assert_error(cg_call(.method = "POST", .path = "/beta/$metadata", .token = cg_tenant_token(cg_new_tenant()), .body = "{}"),
                    405, "MethodNotAllowed", NULL);
    cg_assert_error(cg_get("/beta/$metadata?$top=1", NULL), 400, "BadRequest", NULL);
}

/* EXPLAIN of the statement the service would run for this query string, on one tenant's rows. */
static char *plan_of(const char *tenant, const char *query, const char *const *after)
{
    arena *a = arena_new(4096);
    route rt;
    route_parse(a, cg_fmt("/beta" STATES "?%s", query), &rt);
    cr_assert_eq(rt.error_status, 0);
    odata_query q;
    const char *message;
    cr_assert(odata_parse(a, rt.entity, &rt, QO_FILTER | QO_ORDERBY | QO_SELECT | QO_TOP, &q, &message), "%s", message);
    const sql_statement *s = sql_query_list(a, rt.entity, tenant, &q, after, q.top + 1);
    PGresult *r = PQexecParams(cg_db(), cg_fmt("EXPLAIN (FORMAT JSON) %s", s->text), s->nparams, NULL, s->params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", s->text, PQerrorMessage(cg_db()));
    char *plan = cg_fmt("%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    arena_free(a);
    return plan;
}

Test(model, each_common_query_uses_its_index)
{
    const char *tenant = cg_new_tenant();
    /* 50,000 states in one tenant (and some in another), statistics up to date */
    PGresult *r = PQexecParams(cg_db(),
        "INSERT INTO managed_all_device_certificate_state (tenant_id, id, user_principal_name, certificate_revoke_status,"
        " certificate_expiration_date_time, managed_device_display_name) "
        "SELECT $1::uuid, gen_random_uuid(), 'user' || (g % 5000) || '@contoso.com', "
        " (ARRAY['none','none','none','issued','pending','revoked'])[1 + g % 6]::certificate_revocation_status,"
        " timestamptz '2026-01-01' + (g % 1000) * interval '1 hour', 'PC-' || g FROM generate_series(1, 50000) g",
        1, NULL, (const char *[]){ tenant }, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(cg_db()));
    PQclear(r);
    r = PQexec(cg_db(), "ANALYZE managed_all_device_certificate_state");
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);

    static const struct { const char *query, *index; bool sorted_by_index; } cases[] = {
        { "$top=100", "managed_all_device_certificate_state_pkey", true },
        { "$filter=userPrincipalName%20eq%20%27user42%40contoso.com%27", "managed_all_device_certificate_state_upn", true },
        { "$filter=certificateRevokeStatus%20eq%20%27revoked%27", "managed_all_device_certificate_state_revoke_status", true },
        { "$orderby=certificateExpirationDateTime", "managed_all_device_certificate_state_expiration", true },
        { "$filter=certificateExpirationDateTime%20lt%202026-01-01T01:00:00Z", "managed_all_device_certificate_state_expiration", false },
        { "$filter=managedDeviceDisplayName%20eq%20%27PC-77%27", "managed_all_device_certificate_state_device_name", true },
        { "$orderby=userPrincipalName", "managed_all_device_certificate_state_upn", true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *plan = plan_of(tenant, cases[i].query, NULL);
        cr_assert(strstr(plan, cg_fmt("\"Index Name\": \"%s\"", cases[i].index)), "%s: not on %s:\n%s", cases[i].query,
                  cases[i].index, plan);
        if (cases[i].sorted_by_index)
            cr_assert_null(strstr(plan, "\"Node Type\": \"Sort\""), "%s sorts:\n%s", cases[i].query, plan);
    }
    /* a deep page of the expiry walk: an index range from the last key, no sort, no skipping */
    const char *after[] = { "2026-01-20 00:00:00+00", "8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01" };
    char *plan = plan_of(tenant, "$orderby=certificateExpirationDateTime&$select=id", after);
    cr_assert(strstr(plan, "\"Index Name\": \"managed_all_device_certificate_state_expiration\""), "%s", plan);
    cr_assert(strstr(plan, "\"Index Cond\": \"((tenant_id = "), "%s", plan);
    cr_assert(strstr(plan, "ROW(certificate_expiration_date_time, id) >"), "the keyset is part of the index condition:\n%s", plan);
    cr_assert_null(strstr(plan, "\"Node Type\": \"Sort\""), "%s", plan);
}
