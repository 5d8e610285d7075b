/* The entity tables: within the limits the code is sized for, defaults as API.md §2 gives them. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "edm.h"
#include "entity.h"
#include "sql.h"
#include "values.h"

/* Parameter slots: tenant and id, then a (was it sent, value) pair per writable property. */
static int writable_count(const entity *e)
{
    int n = 0;
    for (int i = 0; i < e->nprops; i++)
        if (e->props[i].column && !(e->props[i].flags & PROP_READONLY)) n++;
    return n;
}

Test(entity, every_table_fits_the_fixed_index_arrays_and_builds_its_statements)
{
    const sql_statement *const *all;
    int n = sql_templates(&all);
    for (int i = 0; certgraph_entities[i]; i++) {
        const entity *e = certgraph_entities[i];
        cr_assert_leq(e->nprops, ENTITY_MAX_PROPERTIES, "%s", e->type_name);
        cr_assert_eq(e->props[0].flags & PROP_KEY, PROP_KEY, "%s: id comes first", e->type_name);
        const sql_statement *get = NULL, *insert = NULL, *update = NULL;
        for (int k = 0; k < n; k++) {
            if (!all[k] || all[k]->entity != e) continue;
            if (strncmp(all[k]->text, "SELECT", 6) == 0 && strstr(all[k]->text, "AND id = $2")) get = all[k];
            if (strstr(all[k]->text, "INSERT INTO")) insert = all[k];
            if (strncmp(all[k]->text, "UPDATE", 6) == 0) update = all[k];
        }
        cr_assert_not_null(get, "%s", e->type_name);
        cr_assert_eq(get->nparams, 2);
        cr_assert_eq(get->ncolumns, entity_column_count(e));
        for (int col = 0; col < get->ncolumns; col++)
            cr_assert_not_null(e->props[get->column_props[col]].column, "%s column %d", e->type_name, col);
        cr_assert_not_null(insert, "%s", e->type_name);
        cr_assert(insert->writes);
        cr_assert_eq(insert->nparams, 2 + 2 * writable_count(e));
        if (e->singleton || e->append_only) {
            cr_assert_null(update, "%s: the singleton is upserted, the audit trail only added to", e->type_name);
        } else {
            cr_assert_not_null(update, "%s", e->type_name);
            cr_assert_eq(update->nparams, insert->nparams);
        }
    }
}

Test(entity, bound_statements_carry_the_request_values_in_their_slots)
{
    const entity *e = &managed_all_device_certificate_state_entity;
    arena *a = arena_new(4096);
    prop_value values[ENTITY_MAX_PROPERTIES] = { 0 };
    int upn = entity_property_index(e, "userPrincipalName", 17);
    values[upn] = (prop_value){ .present = true, .text = "a@example.com", .len = 13 };
    const sql_statement *s = sql_update(a, e, "t", "i", values);
    cr_assert_str_eq(s->params[0], "t");
    cr_assert_str_eq(s->params[1], "i");
    int sent = 0;
    for (int k = 2; k < s->nparams; k += 2) {
        if (strcmp(s->params[k], "true") == 0) {
            sent++;
            cr_assert_str_eq(s->params[k + 1], "a@example.com");
        } else {
            cr_assert_str_eq(s->params[k], "false");
            cr_assert_null(s->params[k + 1]);
        }
    }
    cr_assert_eq(sent, 1);
    cr_assert_null(sql_delete(a, &symantec_code_signing_certificate_entity, "t", "i"));
    arena_free(a);
}

Test(entity, the_edm_table_is_indexed_by_type_and_names_every_type)
{
    for (edm_type t = EDM_STRING; t <= EDM_BOOLEAN; t++) {
        cr_assert_eq(edm_info(t)->type, t);
        cr_assert_not_null(edm_info(t)->valid);
        cr_assert_not_null(edm_info(t)->render);
        cr_assert_not_null(edm_info(t)->literal);
    }
    const entity *e = &enterprise_code_signing_certificate_entity;
    cr_assert_str_eq(edm_type_name(&e->props[entity_property_index(e, "content", 7)]), "Edm.Binary");
    cr_assert_str_eq(edm_type_name(&e->props[entity_property_index(e, "status", 6)]), "microsoft.graph.certificateStatus");
    cr_assert_str_eq(edm_sql_cast(&e->props[entity_property_index(e, "status", 6)]), "certificate_status");
    cr_assert_str_eq(edm_sql_cast(&e->props[entity_property_index(e, "expirationDateTime", 18)]), "timestamptz");
}

Test(entity, defaults_follow_graph)
{
    const entity *e = &managed_all_device_certificate_state_entity;
    const char *expect[][2] = {
        { "certificateRevokeStatus", "none" },
        { "certificateRevokeStatusLastChangeDateTime", "0001-01-01 00:00:00+00" },
        { "certificateKeyUsages", "0" },
        { "userPrincipalName", NULL },
        { "id", NULL },
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        const property *p = &e->props[entity_property_index(e, expect[i][0], strlen(expect[i][0]))];
        const char *got = property_default(p);
        if (expect[i][1]) cr_assert_str_eq(got, expect[i][1], "%s", expect[i][0]);
        else cr_assert_null(got, "%s", expect[i][0]);
    }
    const entity *s = &symantec_code_signing_certificate_entity;
    cr_assert_str_eq(property_default(&s->props[entity_property_index(s, "status", 6)]), "notProvisioned");
    cr_assert_null(property_default(&s->props[entity_property_index(s, "password", 8)]));
}

Test(entity, singleton_ids_are_stable_per_tenant_and_distinct_between_tenants)
{
    const entity *s = &symantec_code_signing_certificate_entity;
    char a1[37], a2[37], b[37];
    entity_singleton_id(s, "8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01", a1);
    entity_singleton_id(s, "8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01", a2);
    entity_singleton_id(s, "00000000-0000-4000-8000-000000000002", b);
    cr_assert_str_eq(a1, a2);
    cr_assert_str_neq(a1, b);
    cr_assert(value_uuid_valid(a1, strlen(a1)));
    for (const char *p = a1; *p; p++) cr_assert(!(*p >= 'A' && *p <= 'Z'), "uppercase in %s", a1);
}
