-- Reporting for psql users: views in their own schema, and a role that may read those views and
-- nothing else (no base table, no certificate bytes, no secret). sql/reports/*.sql run over them.
CREATE SCHEMA reporting;

-- Every certificate certgraph knows of, both code-signing kinds and the device states, one shape.
-- Never-set instants (0001-01-01, Graph's default) read as null here.
CREATE VIEW reporting.certificates AS
    SELECT tenant_id, 'enterpriseCodeSigningCertificate'::text AS kind, id,
           subject_name AS name, NULL::text AS user_principal_name, issuer_name AS issuer,
           NULLIF(expiration_date_time, '0001-01-01 00:00:00+00') AS expiration_date_time,
           status::text AS status, code_signing, thumbprint_sha1 AS thumbprint,
           NULLIF(upload_date_time, '0001-01-01 00:00:00+00') AS upload_date_time
    FROM enterprise_code_signing_certificate
    UNION ALL
    SELECT tenant_id, 'symantecCodeSigningCertificate', id, subject_name, NULL, issuer_name,
           NULLIF(expiration_date_time, '0001-01-01 00:00:00+00'), status::text, code_signing, thumbprint_sha1,
           NULLIF(upload_date_time, '0001-01-01 00:00:00+00')
    FROM symantec_code_signing_certificate
    UNION ALL
    SELECT tenant_id, 'managedAllDeviceCertificateState', id, managed_device_display_name, user_principal_name,
           certificate_issuer_name, NULLIF(certificate_expiration_date_time, '0001-01-01 00:00:00+00'),
           certificate_revoke_status::text, NULL, certificate_thumbprint, NULL
    FROM managed_all_device_certificate_state;

CREATE VIEW reporting.revoke_status_counts AS
    SELECT tenant_id, certificate_revoke_status, count(*) AS devices
    FROM managed_all_device_certificate_state
    GROUP BY tenant_id, certificate_revoke_status;

CREATE VIEW reporting.pending_or_failed_revocations AS
    SELECT tenant_id, user_principal_name,
           count(*) FILTER (WHERE certificate_revoke_status = 'pending') AS pending,
           count(*) FILTER (WHERE certificate_revoke_status = 'failed') AS failed,
           max(NULLIF(certificate_revoke_status_last_change_date_time, '0001-01-01 00:00:00+00')) AS last_change
    FROM managed_all_device_certificate_state
    WHERE certificate_revoke_status IN ('pending', 'failed')
    GROUP BY tenant_id, user_principal_name;

CREATE VIEW reporting.certificates_by_issuer AS
    SELECT tenant_id, kind, issuer, count(*) AS certificates, min(expiration_date_time) AS first_expiry
    FROM reporting.certificates
    GROUP BY tenant_id, kind, issuer;

-- Parsed code-signing uploads whose extended key usage does not include codeSigning.
CREATE VIEW reporting.uploads_without_code_signing AS
    SELECT tenant_id, kind, id, name, issuer, expiration_date_time, thumbprint, upload_date_time
    FROM reporting.certificates
    WHERE kind <> 'managedAllDeviceCertificateState' AND code_signing IS FALSE;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'certgraph_reporter') THEN
        CREATE ROLE certgraph_reporter NOLOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA reporting TO certgraph_reporter;
GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO certgraph_reporter;
