-- What a parsed upload keeps server-side (API.md §6): the certificate itself (DER), its thumbprints,
-- serial number, validity start, key, and whether it may sign code. Never returned by the API.
ALTER TABLE enterprise_code_signing_certificate
    ADD COLUMN certificate_der bytea,
    ADD COLUMN thumbprint_sha1 text COLLATE "C",
    ADD COLUMN thumbprint_sha256 text COLLATE "C",
    ADD COLUMN serial_number text COLLATE "C",
    ADD COLUMN not_before timestamptz,
    ADD COLUMN key_algorithm text COLLATE "C",
    ADD COLUMN key_size integer,
    ADD COLUMN code_signing boolean;
ALTER TABLE symantec_code_signing_certificate
    ADD COLUMN certificate_der bytea,
    ADD COLUMN thumbprint_sha1 text COLLATE "C",
    ADD COLUMN thumbprint_sha256 text COLLATE "C",
    ADD COLUMN serial_number text COLLATE "C",
    ADD COLUMN not_before timestamptz,
    ADD COLUMN key_algorithm text COLLATE "C",
    ADD COLUMN key_size integer,
    ADD COLUMN code_signing boolean;
