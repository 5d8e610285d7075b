/* Certificate uploads (API.md §6) through nginx: a certificate made with the openssl command, sent as
 * PEM, DER and (to the Symantec singleton) PKCS#12, fills in its derived properties in the answer and
 * in PostgreSQL; anything else is kept as sent; a wrong password is 400 and the next request works. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

TestSuite(certificates, .init = cg_setup, .fini = cg_teardown);

static char dir[64];

/* Runs a shell command in the test's folder; asserts it succeeded. */
static void sh(const char *cmd)
{
    char *full = cg_fmt("cd %s && %s >/dev/null 2>&1", dir, cmd);
    cr_assert_eq(system(full), 0, "%s", cmd);
}

/* The file's bytes as standard base64 (one line). */
static char *base64_of(const char *file)
{
    FILE *p = popen(cg_fmt("base64 -w0 %s/%s", dir, file), "r");
    cr_assert_not_null(p);
    static char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    pclose(p);
    buf[n] = '\0';
    return cg_fmt("%s", buf);
}

static char *command_output(const char *cmd)
{
    FILE *p = popen(cg_fmt("cd %s && %s", dir, cmd), "r");
    static char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    pclose(p);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = '\0';
    return cg_fmt("%s", buf);
}

static void make_certificates(void)
{
    cg_setup();
    snprintf(dir, sizeof dir, "/tmp/certgraph-certs.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout signer.key -out signer.pem -days 90 "
       "-subj '/C=US/O=Contoso/CN=Contoso Code Signing' -addext extendedKeyUsage=codeSigning");
    sh("openssl x509 -in signer.pem -outform der -out signer.der");
    sh("openssl pkcs12 -export -in signer.pem -inkey signer.key -out signer.pfx -passout pass:s3cret");
}

static void remove_certificates(void)
{
    if (dir[0] && system(cg_fmt("rm -rf %s", dir)) != 0) fprintf(stderr, "could not remove %s\n", dir);
    cg_teardown();
}

static void assert_derived(yajl_val e)
{
    cr_assert(cg_is_null(e, "content"), "content reads null once parsed");
    cr_assert_str_eq(cg_str(e, "status"), "provisioned");
    cr_assert_str_eq(cg_str(e, "subject"), "CN=Contoso Code Signing,O=Contoso,C=US");
    cr_assert_str_eq(cg_str(e, "subjectName"), "Contoso Code Signing");
    cr_assert_str_eq(cg_str(e, "issuer"), "CN=Contoso Code Signing,O=Contoso,C=US");
    cr_assert_str_eq(cg_str(e, "issuerName"), "Contoso Code Signing");
    /* notAfter as openssl prints it, in OData's form */
    char *end = command_output("date -u -d \"$(openssl x509 -in signer.pem -noout -enddate | cut -d= -f2)\" +%Y-%m-%dT%H:%M:%SZ");
    cr_assert_str_eq(cg_str(e, "expirationDateTime"), end);
    long long up;
    cr_assert(cg_parse_instant(cg_str(e, "uploadDateTime"), &up));
    cr_assert(llabs(up - cg_now_us()) < 60000000LL, "uploadDateTime %s is not now", cg_str(e, "uploadDateTime"));
}

Test(certificates, uploads_fill_in_derived_properties, .init = make_certificates, .fini = remove_certificates)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *formats[] = { "signer.pem", "signer.der" };
    char *thumbprint = command_output("openssl x509 -in signer.pem -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :");
    for (int i = 0; i < 2; i++) {
        cg_response *r = cg_post("/v1.0" ECSC, token, cg_fmt("{\"content\":\"%s\",\"subject\":\"overridden\",\"status\":\"notProvisioned\"}",
                                                             base64_of(formats[i])));
        cg_assert_ok(cg_check_entity_response(r, 201, &CG_ECSC, "v1.0"));
        assert_derived(r->json);
        const char *id = cg_fmt("%s", cg_str(r->json, "id"));
        r = cg_get(cg_fmt("/v1.0%s/%s", ECSC, id), token);
        cg_assert_ok(cg_check_entity_response(r, 200, &CG_ECSC, "v1.0"));
        assert_derived(r->json);
        const char *params[] = { id };
        cr_assert_str_eq(cg_db_value("SELECT thumbprint_sha1 FROM enterprise_code_signing_certificate WHERE id = $1::uuid", 1, params),
                         thumbprint, "%s", formats[i]);
        cr_assert_str_eq(cg_db_value("SELECT code_signing::text || ' ' || key_algorithm || ' ' || key_size || ' ' || "
                                     "(content IS NULL)::text || ' ' || (certificate_der IS NOT NULL)::text "
                                     "FROM enterprise_code_signing_certificate WHERE id = $1::uuid", 1, params),
                         "true RSA 2048 true true");
        cr_assert_str_eq(cg_db_value("SELECT subject FROM enterprise_code_signing_certificate WHERE id = $1::uuid", 1, params),
                         "CN=Contoso Code Signing,O=Contoso,C=US", "psql sees what the API answered");
        /* content replaced by something that is no certificate: kept as sent, the kept DER cleared */
        r = cg_patch(cg_fmt("/v1.0%s/%s", ECSC, id), token, "{\"content\":\"aGVsbG8=\"}");
        cg_assert_status(r, 200);
        cr_assert_str_eq(cg_str(r->json, "content"), "aGVsbG8=");
        cr_assert_null(cg_db_value("SELECT certificate_der FROM enterprise_code_signing_certificate WHERE id = $1::uuid", 1, params));
    }
    cg_response *r = cg_post("/beta" ECSC, token, "{\"content\":\"aGVsbG8=\",\"subject\":\"as sent\"}");
    cg_assert_status(r, 201);
    cr_assert_str_eq(cg_str(r->json, "content"), "aGVsbG8=");
    cr_assert_str_eq(cg_str(r->json, "subject"), "as sent");
    cr_assert_str_eq(cg_str(r->json, "status"), "notProvisioned");
}

Test(certificates, the_symantec_pfx_opens_with_its_password_only, .init = make_certificates, .fini = remove_certificates)
{
    const char *token = cg_tenant_token(cg_new_tenant());
    const char *pfx = base64_of("signer.pfx");
    cg_response *r = cg_patch("/beta" SYMANTEC, token, cg_fmt("{\"content\":\"%s\",\"password\":\"wrong\"}", pfx));
    cg_assert_error(r, 400, "BadRequest", "'password'");
    cr_assert_null(strstr(r->body, "wrong"), "the password is never echoed: %s", r->body);
    r = cg_get("/beta" SYMANTEC, token);
    cg_assert_status(r, 200);
    cr_assert_str_eq(cg_str(r->json, "status"), "notProvisioned", "nothing was written");
    r = cg_patch("/beta" SYMANTEC, token, cg_fmt("{\"content\":\"%s\"}", pfx));
    cg_assert_error(r, 400, "BadRequest", "'password'");
    r = cg_patch("/beta" SYMANTEC, token, cg_fmt("{\"content\":\"%s\",\"password\":\"s3cret\"}", pfx));
    cg_assert_ok(cg_check_entity_response(r, 200, &CG_SYMANTEC, "beta"));
    assert_derived(r->json);
    cr_assert(cg_is_null(r->json, "password"));
    r = cg_get("/beta" SYMANTEC, token);
    assert_derived(r->json);
    char *row = cg_db_value("SELECT row_to_json(s)::text FROM symantec_code_signing_certificate s WHERE tenant_id = "
                            "(SELECT tenant_id FROM symantec_code_signing_certificate ORDER BY upload_date_time DESC LIMIT 1)", 0, NULL);
    cr_assert_null(strstr(row, "s3cret"), "the password is not stored: %s", row);
}
