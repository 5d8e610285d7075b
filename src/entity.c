#include "entity.h"

#include <string.h>

const entity *const certgraph_entities[] = {
    &enterprise_code_signing_certificate_entity,
    &symantec_code_signing_certificate_entity,
    &managed_all_device_certificate_state_entity,
    NULL,
};

int entity_property_index(const entity *e, const char *name, size_t len)
{
    for (int i = 0; i < e->nprops; i++)
        if (strlen(e->props[i].name) == len && memcmp(e->props[i].name, name, len) == 0) return i;
    return -1;
}

int entity_column_count(const entity *e)
{
    int n = 0;
    for (int i = 0; i < e->nprops; i++)
        if (e->props[i].column) n++;
    return n;
}
