-- The role certgraphd's workers connect as. It owns nothing and holds only the rights the service
-- uses, so what the service cannot do (alter the schema, read the migrations, later: change an
-- audit row) no request can make it do. Every later migration that adds a table grants it exactly
-- what the service needs there. `certgraphctl migrate` gives it LOGIN, with CERTGRAPH_SERVICE_PASSWORD
-- as its password when that is set; migrations themselves run as the owner.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'certgraph_service') THEN
        CREATE ROLE certgraph_service NOLOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA public TO certgraph_service;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON enterprise_code_signing_certificate, symantec_code_signing_certificate, managed_all_device_certificate_state
    TO certgraph_service;
