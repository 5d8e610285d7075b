/* The psql reports (sql/reports/NAME.sql) as a reporter runs them, on data this test seeds through the API: each
 * report's rows for the test's tenant are the ones the test computes; the reporter role reads the
 * reporting views and no base table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"

TestSuite(reports, .init = cg_setup, .fini = cg_teardown);

#define REPORTER "cg_test_reporter"

static void ensure_reporter(void)
{
    PGresult *r = PQexec(cg_db(), "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" REPORTER "') THEN "
                                  "CREATE ROLE " REPORTER " LOGIN IN ROLE certgraph_reporter; END IF; END $$");
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(cg_db()));
    PQclear(r);
}

/* psql as the reporter: unaligned, tuples only, '|' between fields; the lines that name tenant. */
static char *run_psql(const char *args, const char *tenant, int *status)
{
    char *cmd = cg_fmt("psql -X -A -t -F '|' -v ON_ERROR_STOP=1 '%s user=" REPORTER "' %s 2>&1", cg_env("CERTGRAPH_TEST_DB"), args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char line[4096];
    char *out = cg_fmt("%s", "");
    while (fgets(line, sizeof line, p))
        if (!tenant || strstr(line, tenant)) out = cg_fmt("%s%s", out, line);
    *status = pclose(p);
    return out;
}

static char *report(const char *name, const char *vars, const char *tenant)
{
    int status;
    char *out = run_psql(cg_fmt("%s -f sql/reports/%s.sql", vars, name), tenant, &status);
    cr_assert_eq(status, 0, "%s: %s", name, out);
    return out;
}

static const char *in_days(int days)
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    static char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return cg_fmt("%s", buf);
}

static const char *state(const char *token, const char *upn, const char *status, int expires_in_days, const char *issuer)
{
    return cg_create("beta", STATES, token, cg_fmt("{\"userPrincipalName\":\"%s\",\"certificateRevokeStatus\":\"%s\","
                                                   "\"certificateExpirationDateTime\":\"%s\",\"certificateIssuerName\":\"%s\"}",
                                                   upn, status, in_days(expires_in_days), issuer));
}

static char *upload(const char *token, const char *days, const char *eku, const char *cn)
{
    char *dir = cg_fmt("%s", "/tmp/certgraph-report.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char *cmd = cg_fmt("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout k -out c.pem -days %s -subj '/CN=%s' "
                       "-addext extendedKeyUsage=%s >/dev/null 2>&1 && base64 -w0 c.pem; rm -rf %s", dir, days, cn, eku, dir);
    FILE *p = popen(cmd, "r");
    static char b64[8192];
    size_t n = fread(b64, 1, sizeof b64 - 1, p);
    b64[n] = '\0';
    cr_assert_eq(pclose(p), 0);
    return cg_fmt("%s", cg_create("v1.0", ECSC, token, cg_fmt("{\"content\":\"%s\"}", b64)));
}

Test(reports, each_report_lists_what_the_test_computes)
{
    ensure_reporter();
    const char *tenant = cg_new_tenant();
    const char *token = cg_tenant_token(tenant);
    const char *soon = state(token, "ada@contoso.com", "pending", 5, "Contoso CA");
    const char *later = state(token, "ada@contoso.com", "pending", 20, "Contoso CA");
    state(token, "ada@contoso.com", "failed", 45, "Contoso CA");
    state(token, "bob@contoso.com", "pending", -3, "Fabrikam CA");
    state(token, "cy@contoso.com", "none", 200, "Contoso CA");
    state(token, "cy@contoso.com", "revoked", 200, "Contoso CA");
    const char *tls = upload(token, "10", "serverAuth", "Contoso TLS");
    upload(token, "90", "codeSigning", "Contoso Code Signing");
    cg_create("v1.0", ECSC, token, "{\"content\":\"aGVsbG8=\"}");   /* no certificate: no row below */

    /* expiring within 30 days by default, soonest first; -v days widens it */
    char *out = report("expiring", "", tenant);
    const char *first = strstr(out, soon), *second = strstr(out, later), *third = strstr(out, tls);
    cr_assert(first && second && third && first < third && third < second, "expiring (5, 10, 20 days):\n%s", out);
    int lines = 0;
    for (char *c = out; *c; c++) lines += *c == '\n';
    cr_assert_eq(lines, 3, "expiring within 30 days:\n%s", out);
    out = report("expiring", "-v days=60", tenant);
    lines = 0;
    for (char *c = out; *c; c++) lines += *c == '\n';
    cr_assert_eq(lines, 4, "expiring within 60 days:\n%s", out);

    out = report("revoke_status", "", tenant);
    cr_assert_str_eq(out, cg_fmt("%s|none|1\n%s|pending|3\n%s|failed|1\n%s|revoked|1\n", tenant, tenant, tenant, tenant),
                     "in the members' order");

    out = report("pending_revocations", "", tenant);
    cr_assert(strncmp(out, cg_fmt("%s|ada@contoso.com|2|1|", tenant), strlen(tenant) + 21) == 0, "%s", out);
    cr_assert(strstr(out, cg_fmt("%s|bob@contoso.com|1|0|", tenant)), "%s", out);
    cr_assert_null(strstr(out, "cy@contoso.com"), "%s", out);

    out = report("by_issuer", "", tenant);
    cr_assert(strstr(out, cg_fmt("%s|managedAllDeviceCertificateState|Contoso CA|5|", tenant)), "%s", out);
    cr_assert(strstr(out, cg_fmt("%s|managedAllDeviceCertificateState|Fabrikam CA|1|", tenant)), "%s", out);
    cr_assert(strstr(out, cg_fmt("%s|enterpriseCodeSigningCertificate|Contoso TLS|1|", tenant)), "%s", out);

    out = report("without_code_signing", "", tenant);
    cr_assert(strncmp(out, cg_fmt("%s|enterpriseCodeSigningCertificate|%s|Contoso TLS|", tenant, tls), strlen(tenant) + 72) == 0,
              "%s", out);
    lines = 0;
    for (char *c = out; *c; c++) lines += *c == '\n';
    cr_assert_eq(lines, 1, "only the upload without codeSigning:\n%s", out);
}

Test(reports, the_audit_report_gives_the_trail_of_one_entity_or_one_actor)
{
    ensure_reporter();
    const char *tenant = cg_new_tenant();
    const char *upn = cg_fmt("auditor-%.8s@contoso.example", tenant);
    const char *token = cg_token("--tenant %s --upn %s", tenant, upn);
    const char *id = state(token, "dee@contoso.com", "issued", 100, "Contoso CA");
    cg_assert_status(cg_patch(cg_fmt("/beta" STATES "/%s", id), token, "{\"certificateRevokeStatus\":\"pending\"}"), 200);
    state(token, "eve@contoso.com", "issued", 100, "Contoso CA");

    char *out = report("audit", cg_fmt("-v id=%s", id), tenant);
    /* the create lists each value set; the patch its status change (and the stamp that moved) */
    cr_assert(strstr(out, cg_fmt("|Create|ManagedAllDeviceCertificateState|%s|%s|ItPro|127.0.0.1|userPrincipalName||dee@contoso.com\n",
                                 id, upn)), "%s", out);
    cr_assert(strstr(out, cg_fmt("|Patch|ManagedAllDeviceCertificateState|%s|%s|ItPro|127.0.0.1|certificateRevokeStatus|issued|pending\n",
                                 id, upn)), "%s", out);
    cr_assert_null(strstr(out, "eve@contoso.com"), "only that entity: %s", out);
    cr_assert(strstr(out, "|Create|") < strstr(out, "|Patch|"), "oldest first: %s", out);

    out = report("audit", cg_fmt("-v actor=%s", upn), tenant);
    cr_assert(strstr(out, "dee@contoso.com") && strstr(out, "eve@contoso.com"), "both of the actor's creates: %s", out);

    int status;
    out = run_psql("-f sql/reports/audit.sql", NULL, &status);
    cr_assert(strstr(out, "-v id=") && strstr(out, "-v actor="), "says what it needs: %s", out);
}

Test(reports, the_reporter_reads_the_views_and_no_base_table)
{
    ensure_reporter();
    static const char *const tables[] = { "enterprise_code_signing_certificate", "symantec_code_signing_certificate",
                                          "managed_all_device_certificate_state", "schema_migrations", "audit_event" };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        int status;
        char *out = run_psql(cg_fmt("-c 'SELECT count(*) FROM public.%s'", tables[i]), NULL, &status);
        cr_assert_neq(status, 0, "%s was readable: %s", tables[i], out);
        cr_assert(strstr(out, "permission denied"), "%s: %s", tables[i], out);
    }
    int status;
    char *out = run_psql("-c 'SELECT count(*) >= 0 FROM reporting.certificates'", NULL, &status);
    cr_assert_eq(status, 0, "%s", out);
    cr_assert_str_eq(out, "t\n");
    /* no certificate bytes or secret is in any view */
    out = run_psql("-c \"SELECT string_agg(column_name, ',') FROM information_schema.columns WHERE table_schema = 'reporting'\"",
                   NULL, &status);
    cr_assert(!strstr(out, "content") && !strstr(out, "der") && !strstr(out, "password"), "%s", out);
}

/* psql as the workers' role: its output, and whether it succeeded. */
static char *as_service(const char *sql, int *status)
{
    FILE *p = popen(cg_fmt("psql -X -A -t -v ON_ERROR_STOP=1 '%s' -c \"%s\" 2>&1", cg_env("CERTGRAPH_TEST_DB_SERVICE"), sql), "r");
    cr_assert_not_null(p);
    char buf[2048];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    *status = pclose(p);
    return cg_fmt("%s", buf);
}

Test(reports, the_workers_role_owns_nothing_and_has_only_the_service_rights)
{
    const char *service = cg_env("CERTGRAPH_TEST_DB_SERVICE");
    cr_assert(strstr(service, "user=certgraph_service"), "certgraphd connects as %s", service);
    int status;
    char *out = as_service("SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = current_user", &status);
    cr_assert_eq(status, 0, "%s", out);
    cr_assert_str_eq(out, "0\n", "it owns no relation");
    static const char *const refused[] = {
        "CREATE TABLE public.mine (x int)",
        "SELECT count(*) FROM schema_migrations",
        "DROP TABLE managed_all_device_certificate_state",
        "ALTER TABLE enterprise_code_signing_certificate ADD COLUMN x int",
        "TRUNCATE managed_all_device_certificate_state",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        out = as_service(refused[i], &status);
        cr_assert_neq(status, 0, "the service role may: %s", refused[i]);
        cr_assert(strstr(out, "permission denied") || strstr(out, "must be owner"), "%s: %s", refused[i], out);
    }
    /* and it does what the service does (every other test drives it through the API) */
    out = as_service("SELECT count(*) >= 0 FROM managed_all_device_certificate_state", &status);
    cr_assert_eq(status, 0, "%s", out);
}
