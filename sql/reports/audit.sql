-- The audit trail of one entity (-v id=GUID) or of one actor (-v actor=UPN, application id or
-- certgraphctl's name), oldest first, one line per changed property.
--   psql -v id=0b5e... -f sql/reports/audit.sql
--   psql -v actor=alice@contoso.example -f sql/reports/audit.sql
\if :{?id}
SELECT tenant_id, activity_date_time, operation, resource_type, resource_id, actor, actor_type, ip_address,
       property, old_value, new_value
FROM reporting.audit_trail
WHERE resource_id = :'id'
ORDER BY activity_date_time, event_id, property NULLS FIRST;
\elif :{?actor}
SELECT tenant_id, activity_date_time, operation, resource_type, resource_id, resource_name, actor_type,
       ip_address, property, old_value, new_value
FROM reporting.audit_trail
WHERE actor = :'actor' OR actor_user_id = :'actor' OR actor_application_id = :'actor'
ORDER BY activity_date_time, event_id, property NULLS FIRST;
\else
\warn 'audit.sql needs -v id=ENTITY_ID (one entity''s trail) or -v actor=UPN_OR_APP_ID (one actor''s)'
\quit
\endif
