-- Users with pending or failed revocations, the most failures first.
--   psql -f sql/reports/pending_revocations.sql
SELECT tenant_id, user_principal_name, pending, failed, last_change
FROM reporting.pending_or_failed_revocations
ORDER BY failed DESC, pending DESC, tenant_id, user_principal_name NULLS FIRST;
