-- Certificates that expire within :days days (default 30), of every kind, soonest first.
--   psql -v days=30 -f sql/reports/expiring.sql
\if :{?days}
\else
\set days 30
\endif
SELECT tenant_id, kind, id, name, user_principal_name, issuer, expiration_date_time,
       expiration_date_time - now() AS expires_in
FROM reporting.certificates
WHERE expiration_date_time BETWEEN now() AND now() + make_interval(days => :'days'::integer)
ORDER BY expiration_date_time, tenant_id, id;
