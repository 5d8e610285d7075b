-- certgraph's first schema: one typed table per Graph entity, every key led by the tenant id.
CREATE TYPE certificate_status AS ENUM ('notProvisioned', 'provisioned');
CREATE TYPE certificate_revocation_status AS ENUM ('none', 'pending', 'issued', 'failed', 'revoked');

-- 0001-01-01 is Graph's "never set" for non-nullable DateTimeOffset properties.
CREATE TABLE enterprise_code_signing_certificate (
    tenant_id            uuid NOT NULL,
    id                   uuid NOT NULL DEFAULT gen_random_uuid(),
    content              bytea,
    status               certificate_status NOT NULL DEFAULT 'notProvisioned',
    subject_name         text,
    subject              text,
    issuer_name          text,
    issuer               text,
    expiration_date_time timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    upload_date_time     timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    PRIMARY KEY (tenant_id, id)
);

-- The singleton: one row per tenant; its id is derived from the tenant so it is stable before it exists.
CREATE TABLE symantec_code_signing_certificate (
    tenant_id            uuid NOT NULL PRIMARY KEY,
    id                   uuid NOT NULL,
    content              bytea,
    status               certificate_status NOT NULL DEFAULT 'notProvisioned',
    subject_name         text,
    subject              text,
    issuer_name          text,
    issuer               text,
    expiration_date_time timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    upload_date_time     timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00'
);

CREATE TABLE managed_all_device_certificate_state (
    tenant_id                                      uuid NOT NULL,
    id                                             uuid NOT NULL DEFAULT gen_random_uuid(),
    certificate_revoke_status                      certificate_revocation_status NOT NULL DEFAULT 'none',
    certificate_revoke_status_last_change_date_time timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    managed_device_display_name                    text,
    user_principal_name                            text,
    certificate_expiration_date_time               timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    certificate_issuance_date_time                 timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    certificate_issuer_name                        text,
    certificate_thumbprint                         text,
    certificate_serial_number                      text,
    certificate_subject_name                       text,
    certificate_extended_key_usages                text,
    certificate_key_usages                         integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id)
);
