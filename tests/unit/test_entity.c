/* The entity tables: within the limits the code is sized for, defaults as API.md §2 gives them. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "sql.h"
#include "values.h"

Test(entity, every_table_fits_the_fixed_index_arrays_and_builds_its_statements)
{
    for (int i = 0; certgraph_entities[i]; i++) {
        const entity *e = certgraph_entities[i];
        cr_assert_leq(e->nprops, ENTITY_MAX_PROPERTIES, "%s", e->type_name);
        cr_assert_eq(e->props[0].flags & PROP_KEY, PROP_KEY, "%s: id comes first", e->type_name);
        int nparams;
        char *get = sql_build(e, SQL_GET, &nparams);
        cr_assert_not_null(get, "%s", e->type_name);
        cr_assert_eq(nparams, 2);
        free(get);
        char *insert = sql_build(e, SQL_INSERT, &nparams);
        cr_assert_not_null(insert, "%s", e->type_name);
        int idx[ENTITY_MAX_PROPERTIES];
        cr_assert_eq(nparams, 2 + 2 * sql_writable_properties(e, idx));
        free(insert);
    }
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
