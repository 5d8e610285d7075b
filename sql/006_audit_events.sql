-- The audit trail (API.md §8): one row per successful create, update or delete, written in the
-- write's own transaction. Append-only where it counts: the service role may add and read rows,
-- never change or remove them; only the owner (a migration, an operator's retention job) can.
CREATE TABLE audit_event (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    display_name text COLLATE "C" NOT NULL,
    activity text COLLATE "C" NOT NULL,
    activity_type text COLLATE "C" NOT NULL,
    activity_operation_type text COLLATE "C" NOT NULL,
    activity_result text COLLATE "C" NOT NULL,
    activity_date_time timestamptz NOT NULL,
    component_name text COLLATE "C" NOT NULL,
    category text COLLATE "C" NOT NULL,
    correlation_id uuid NOT NULL,
    -- auditActor and a one-item auditResource collection, as Graph's JSON
    actor jsonb NOT NULL,
    resources jsonb NOT NULL,
    resource_id text COLLATE "C" NOT NULL,   -- the one resource's id, for lookups by entity
    request_id uuid NOT NULL,                -- the writing call's request-id (correlation_id: the client's)
    PRIMARY KEY (tenant_id, id)
);

-- The default order of a list (newest first, then id) is one index range.
CREATE INDEX audit_event_by_time ON audit_event (tenant_id, activity_date_time DESC NULLS LAST, id);
-- resources/any(r: r/resourceId eq '...') and the report by entity. A btree on the typed column
-- rather than a GIN index on resources: GIN cost a fifth of the write throughput (README).
CREATE INDEX audit_event_by_resource ON audit_event (resource_id);

GRANT SELECT, INSERT ON audit_event TO certgraph_service;

-- The trail for psql: one row per event and changed property (or one with nulls when none
-- changed), with the actor and the resource flattened. No certificate bytes are ever in it.
CREATE VIEW reporting.audit_trail AS
    SELECT e.tenant_id, e.id AS event_id, e.activity_date_time, e.activity_operation_type AS operation,
           e.category, r.value ->> 'type' AS resource_type, e.resource_id,
           r.value ->> 'displayName' AS resource_name,
           COALESCE(e.actor ->> 'userPrincipalName', e.actor ->> 'applicationId',
                    e.actor ->> 'applicationDisplayName') AS actor,
           e.actor ->> 'type' AS actor_type, e.actor ->> 'userId' AS actor_user_id,
           e.actor ->> 'applicationId' AS actor_application_id, e.actor ->> 'ipAddress' AS ip_address,
           m.value ->> 'displayName' AS property, m.value ->> 'oldValue' AS old_value,
           m.value ->> 'newValue' AS new_value, e.correlation_id, e.request_id
    FROM audit_event e
    CROSS JOIN LATERAL jsonb_array_elements(e.resources) AS r(value)
    LEFT JOIN LATERAL jsonb_array_elements(r.value -> 'modifiedProperties') AS m(value) ON true;

GRANT SELECT ON reporting.audit_trail TO certgraph_reporter;
