-- $filter and $orderby compare strings by Unicode code point, whatever the database's locale:
-- the "C" collation orders UTF-8 bytewise, which is code-point order.
ALTER TABLE enterprise_code_signing_certificate
    ALTER COLUMN subject_name TYPE text COLLATE "C",
    ALTER COLUMN subject TYPE text COLLATE "C",
    ALTER COLUMN issuer_name TYPE text COLLATE "C",
    ALTER COLUMN issuer TYPE text COLLATE "C";
ALTER TABLE symantec_code_signing_certificate
    ALTER COLUMN subject_name TYPE text COLLATE "C",
    ALTER COLUMN subject TYPE text COLLATE "C",
    ALTER COLUMN issuer_name TYPE text COLLATE "C",
    ALTER COLUMN issuer TYPE text COLLATE "C";
ALTER TABLE managed_all_device_certificate_state
    ALTER COLUMN managed_device_display_name TYPE text COLLATE "C",
    ALTER COLUMN user_principal_name TYPE text COLLATE "C",
    ALTER COLUMN certificate_issuer_name TYPE text COLLATE "C",
    ALTER COLUMN certificate_thumbprint TYPE text COLLATE "C",
    ALTER COLUMN certificate_serial_number TYPE text COLLATE "C",
    ALTER COLUMN certificate_subject_name TYPE text COLLATE "C",
    ALTER COLUMN certificate_extended_key_usages TYPE text COLLATE "C";

-- The common device-state queries on a large tenant: each index is led by the tenant and ends with
-- id, the tie-breaker of every order, so a filter by one of these properties, an order by it, and
-- the keyset of the next page are one index range. NULLS FIRST is the ascending order of API.md §4.
-- The default order (id) is the primary key.
CREATE INDEX managed_all_device_certificate_state_upn
    ON managed_all_device_certificate_state (tenant_id, user_principal_name NULLS FIRST, id);
CREATE INDEX managed_all_device_certificate_state_revoke_status
    ON managed_all_device_certificate_state (tenant_id, certificate_revoke_status NULLS FIRST, id);
CREATE INDEX managed_all_device_certificate_state_expiration
    ON managed_all_device_certificate_state (tenant_id, certificate_expiration_date_time NULLS FIRST, id);
CREATE INDEX managed_all_device_certificate_state_device_name
    ON managed_all_device_certificate_state (tenant_id, managed_device_display_name NULLS FIRST, id);
