-- Code-signing uploads whose certificate does not carry the codeSigning extended key usage.
--   psql -f sql/reports/without_code_signing.sql
SELECT tenant_id, kind, id, name, issuer, expiration_date_time, thumbprint, upload_date_time
FROM reporting.uploads_without_code_signing
ORDER BY tenant_id, upload_date_time DESC, id;
