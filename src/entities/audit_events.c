/* Graph's auditEvent: one row per successful write, added by the service in the write's own
 * transaction (audit.c) and served read-only (API.md §8). actor and resources are complex values,
 * stored as jsonb and served as stored; an event names one resource, whose id is also a column. */
#include "entity.h"

static const complex_member audit_property_members[] = {
    { "displayName", "Edm.String", NULL },
    { "oldValue", "Edm.String", NULL },
    { "newValue", "Edm.String", NULL },
};

static const complex_type audit_property_type = {
    "microsoft.graph.auditProperty", "Collection(microsoft.graph.auditProperty)", audit_property_members,
    (int)(sizeof audit_property_members / sizeof audit_property_members[0]),
};

static const complex_member audit_resource_members[] = {
    { "displayName", "Edm.String", NULL },
    { "type", "Edm.String", NULL },
    { "auditResourceType", "Edm.String", NULL },
    { "resourceId", "Edm.String", "resource_id" },
    { "modifiedProperties", "Collection(microsoft.graph.auditProperty)", NULL },
};

static const complex_type audit_resource_type = {
    "microsoft.graph.auditResource", "Collection(microsoft.graph.auditResource)", audit_resource_members,
    (int)(sizeof audit_resource_members / sizeof audit_resource_members[0]),
};

static const complex_member audit_actor_members[] = {
    { "type", "Edm.String", NULL },
    { "auditActorType", "Edm.String", NULL },
    { "userPermissions", "Collection(Edm.String)", NULL },
    { "applicationId", "Edm.String", NULL },
    { "applicationDisplayName", "Edm.String", NULL },
    { "userPrincipalName", "Edm.String", NULL },
    { "servicePrincipalName", "Edm.String", NULL },
    { "ipAddress", "Edm.String", NULL },
    { "userId", "Edm.String", NULL },
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
    /* the one resource's id, typed and indexed, for resources/any(r: r/resourceId eq '...') and reports */
    { "resourceId", "resource_id", EDM_STRING, PROP_SERVER, NULL, -1, NULL },
    /* the request-id of the call that wrote (correlationId is the client's id when it sent a GUID) */
    { "requestId", "request_id", EDM_GUID, PROP_SERVER, NULL, -1, NULL },
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
