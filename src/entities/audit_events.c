/* Graph's auditEvent: one row per successful write, added by the service in the write's own
 * transaction (audit.c) and served read-only (API.md §8). actor and resources are complex values,
 * stored as jsonb and served as stored. */
#include "entity.h"

static const complex_member audit_property_members[] = {
    { "displayName", "Edm.String", false },
    { "oldValue", "Edm.String", false },
    { "newValue", "Edm.String", false },
};

static const complex_type audit_property_type = {
    "microsoft.graph.auditProperty", "Collection(microsoft.graph.auditProperty)", audit_property_members,
    (int)(sizeof audit_property_members / sizeof audit_property_members[0]),
};

static const complex_member audit_resource_members[] = {
    { "displayName", "Edm.String", true },
    { "type", "Edm.String", true },
    { "auditResourceType", "Edm.String", true },
    { "resourceId", "Edm.String", true },
    { "modifiedProperties", "Collection(microsoft.graph.auditProperty)", false },
};

static const complex_type audit_resource_type = {
    "microsoft.graph.auditResource", "Collection(microsoft.graph.auditResource)", audit_resource_members,
    (int)(sizeof audit_resource_members / sizeof audit_resource_members[0]),
};

static const complex_member audit_actor_members[] = {
    { "type", "Edm.String", true },
    { "auditActorType", "Edm.String", true },
    { "userPermissions", "Collection(Edm.String)", false },
    { "applicationId", "Edm.String", true },
    { "applicationDisplayName", "Edm.String", true },
    { "userPrincipalName", "Edm.String", true },
    { "servicePrincipalName", "Edm.String", true },
    { "ipAddress", "Edm.String", true },
    { "userId", "Edm.String", true },
};

static const complex_type audit_actor_type = {
    "microsoft.graph.auditActor", "Collection(microsoft.graph.auditActor)", audit_actor_members,
    (int)(sizeof audit_actor_members / sizeof audit_actor_members[0]),
};

/* The complex types $metadata declares, NULL-terminated (auditProperty is reached through auditResource). */
const complex_type *const certgraph_complex_types[] = { &audit_actor_type, &audit_resource_type, &audit_property_type, NULL };

enum { ACTIVITY_DATE_TIME = 6 };

static const property audit_event_properties[] = {
    { "id", "id", EDM_STRING, PROP_READONLY | PROP_KEY | PROP_FILTERABLE, NULL, -1, NULL },
    { "displayName", "display_name", EDM_STRING, 0, NULL, -1, NULL },
    { "activity", "activity", EDM_STRING, 0, NULL, -1, NULL },
    { "activityType", "activity_type", EDM_STRING, 0, NULL, -1, NULL },
    { "activityOperationType", "activity_operation_type", EDM_STRING, PROP_FILTERABLE, NULL, -1, NULL },
    { "activityResult", "activity_result", EDM_STRING, 0, NULL, -1, NULL },
    { "activityDateTime", "activity_date_time", EDM_DATETIMEOFFSET, PROP_FILTERABLE, NULL, -1, NULL },
    { "componentName", "component_name", EDM_STRING, PROP_FILTERABLE, NULL, -1, NULL },
    { "category", "category", EDM_STRING, PROP_FILTERABLE, NULL, -1, NULL },
    { "correlationId", "correlation_id", EDM_GUID, PROP_FILTERABLE, NULL, -1, NULL },
    { "actor", "actor", EDM_COMPLEX, 0, NULL, -1, &audit_actor_type },
    { "resources", "resources", EDM_COMPLEX, PROP_COLLECTION | PROP_FILTERABLE, NULL, -1, &audit_resource_type },
};

const entity audit_event_entity = {
    .type_name = "microsoft.graph.auditEvent",
    .parent_segment = "deviceManagement",
    .segment = "auditEvents",
    .table = "audit_event",
    .singleton = false,
    .versions = VERSION_V1 | VERSION_BETA,
    .read_scopes = { "DeviceManagementApps.Read.All", "DeviceManagementApps.ReadWrite.All",
                     "DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All", NULL },
    .write_scopes = { NULL },
    .props = audit_event_properties,
    .nprops = (int)(sizeof audit_event_properties / sizeof audit_event_properties[0]),
    .append_only = true,
    .default_order = ACTIVITY_DATE_TIME,
    .default_order_desc = true,
};
