-- Certificates by issuer, per tenant and kind, the largest issuers first.
--   psql -f sql/reports/by_issuer.sql
SELECT tenant_id, kind, issuer, certificates, first_expiry
FROM reporting.certificates_by_issuer
ORDER BY tenant_id, certificates DESC, kind, issuer NULLS FIRST;
