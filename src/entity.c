#include "entity.h"
#include "edm.h"
#include "values.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

const entity *const certgraph_entities[] = {
    &enterprise_code_signing_certificate_entity,
    &symantec_code_signing_certificate_entity,
    &managed_all_device_certificate_state_entity,
    &audit_event_entity,
    NULL,
};

int entity_property_index(const entity *e, const char *name, size_t len)
{
    for (int i = 0; i < e->nprops; i++)
        if (property_served(&e->props[i]) && strlen(e->props[i].name) == len && memcmp(e->props[i].name, name, len) == 0)
            return i;
    return -1;
}

const entity *entity_by_segment(const char *segment)
{
    for (int i = 0; certgraph_entities[i]; i++)
        if (strcmp(certgraph_entities[i]->segment, segment) == 0) return certgraph_entities[i];
    return NULL;
}

int entity_column_count(const entity *e)
{
    int n = 0;
    for (int i = 0; i < e->nprops; i++)
        if (property_read(&e->props[i])) n++;
    return n;
}

const char *property_default(const property *p)
{
    if ((p->flags & (PROP_NULLABLE | PROP_KEY)) || !p->column) return NULL;
    return p->type == EDM_ENUM ? p->enumeration->members[0] : edm_info(p->type)->never_set;
}

void entity_singleton_id(const entity *e, const char *tenant, char out[37])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char seed[256];
    int n = snprintf(seed, sizeof seed, "%s/%s", e->type_name, tenant);
    EVP_Digest(seed, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
    value_uuid_format(md, 8, out);   /* version 8: name-derived, vendor-defined */
}
