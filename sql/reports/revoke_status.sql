-- Device certificate states per tenant and revoke status.
--   psql -f sql/reports/revoke_status.sql
SELECT tenant_id, certificate_revoke_status, devices
FROM reporting.revoke_status_counts
ORDER BY tenant_id, certificate_revoke_status;
