/* certgraphctl export and import: a tenant exported and imported into a fresh one gives the same GET
 * answers (ids, a parsed certificate and the singleton included); a bad line or a clashing id rolls
 * the whole import back and is named; a Graph collection answer imports as well as JSON lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

TestSuite(import_export, .init = cg_setup, .fini = cg_teardown);

#define ALL_RESOURCES 3
static const char *const resources[ALL_RESOURCES] = {
    "enterpriseCodeSigningCertificates", "symantecCodeSigningCertificate", "deviceConfigurationsAllManagedDeviceCertificateStates",
};
static const char *const paths[ALL_RESOURCES] = { "/beta" ECSC, "/beta" SYMANTEC, "/beta" STATES };

/* Runs certgraphctl with args against the test database; its exit status, stderr in *err. */
static int ctl(const char *args, char **err)
{
    char *errfile = cg_fmt("/tmp/certgraph-ctl-err.%d", (int)getpid());
    int status = system(cg_fmt("CERTGRAPH_DB='%s' %s %s 2>%s", cg_env("CERTGRAPH_TEST_DB"), cg_env("CERTGRAPH_TEST_CTL"), args, errfile));
    FILE *f = fopen(errfile, "r");
    char buf[2048] = "";
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    remove(errfile);
    *err = cg_fmt("%s", buf);
    return status;
}

static char *tmpfile_path(const char *name)
{
    return cg_fmt("/tmp/certgraph-it-%d-%s", (int)getpid(), name);
}

static char *pem_base64(void)
{
    FILE *p = popen("d=$(mktemp -d) && cd $d && openssl req -x509 -newkey rsa:2048 -nodes -keyout k -out c.pem -days 30 "
                    "-subj '/CN=Exported Signer' -addext extendedKeyUsage=codeSigning >/dev/null 2>&1 && base64 -w0 c.pem "
                    "&& openssl pkcs12 -export -in c.pem -inkey k -out c.pfx -passout pass:pw && echo && base64 -w0 c.pfx; rm -rf $d", "r");
    static char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    cr_assert_eq(pclose(p), 0);
    return cg_fmt("%s", buf);
}

static void assert_same_answers(const char *token_a, const char *token_b)
{
    for (int i = 0; i < ALL_RESOURCES; i++) {
        cg_response *a = cg_get(cg_fmt("%s%s", paths[i], i == 1 ? "" : "?$orderby=id"), token_a);
        cg_response *b = cg_get(cg_fmt("%s%s", paths[i], i == 1 ? "" : "?$orderby=id"), token_b);
        cg_assert_status(a, 200);
        cg_assert_status(b, 200);
        if (i == 1) {   /* the singleton's id follows its tenant */
            cg_assert_ok(cg_compare_objects(b->json, a->json, "id,@odata.context"));
            continue;
        }
        yajl_val va = cg_member(a->json, "value"), vb = cg_member(b->json, "value");
        cr_assert_eq(vb->u.array.len, va->u.array.len, "%s: %zu imported of %zu", resources[i], vb->u.array.len, va->u.array.len);
        for (size_t k = 0; k < va->u.array.len; k++)
            cg_assert_ok(cg_compare_objects(vb->u.array.values[k], va->u.array.values[k], ""));
    }
}

Test(import_export, a_tenant_round_trips_into_a_fresh_one)
{
    const char *a = cg_new_tenant(), *b = cg_new_tenant();
    const char *token_a = cg_tenant_token(a), *token_b = cg_tenant_token(b);
    char *certs = pem_base64();
    char *pfx = strchr(certs, '\n');
    cr_assert_not_null(pfx);
    *pfx++ = '\0';
    cg_create("beta", ECSC, token_a, cg_fmt("{\"content\":\"%s\"}", certs));
    cg_create("beta", ECSC, token_a, "{\"content\":\"aGVsbG8=\",\"subject\":\"kept as sent\"}");
    cg_assert_status(cg_patch("/beta" SYMANTEC, token_a, cg_fmt("{\"content\":\"%s\",\"password\":\"pw\"}", pfx)), 200);
    for (int i = 0; i < 5; i++)
        cg_create("beta", STATES, token_a, cg_fmt("{\"userPrincipalName\":\"u%d@contoso.com\",\"certificateRevokeStatus\":\"%s\","
                                                  "\"certificateKeyUsages\":%d}", i, i % 2 ? "pending" : "revoked", i));
    for (int i = 0; i < ALL_RESOURCES; i++) {
        char *file = tmpfile_path(resources[i]), *err;
        cr_assert_eq(ctl(cg_fmt("export --tenant %s %s > %s", a, resources[i], file), &err), 0, "%s", err);
        cr_assert_eq(ctl(cg_fmt("import --tenant %s %s %s > /dev/null", b, resources[i], file), &err), 0, "%s", err);
        remove(file);
    }
    assert_same_answers(token_a, token_b);
    /* each imported entity is one audited create by certgraphctl (the symantec singleton's a Patch) */
    cr_assert_str_eq(cg_db_value("SELECT count(*) FILTER (WHERE actor ->> 'applicationDisplayName' = 'certgraphctl import')"
                                 " || '/' || count(*) FROM audit_event WHERE tenant_id = $1::uuid", 1, (const char *[]){ b }), "8/8");
    cr_assert_str_eq(cg_db_value("SELECT count(*)::text FROM audit_event WHERE tenant_id = $1::uuid AND activity_operation_type = 'Create'",
                                 1, (const char *[]){ b }), "7");
    /* the kept certificate came along: psql sees the same thumbprint in both tenants */
    char *ta = cg_db_value("SELECT string_agg(thumbprint_sha1, ',' ORDER BY id) FROM enterprise_code_signing_certificate WHERE tenant_id = $1::uuid", 1, (const char *[]){ a });
    char *tb = cg_db_value("SELECT string_agg(thumbprint_sha1, ',' ORDER BY id) FROM enterprise_code_signing_certificate WHERE tenant_id = $1::uuid", 1, (const char *[]){ b });
    cr_assert_str_eq(tb, ta);

    /* importing the same ids again clashes, names the line, and writes nothing */
    char *file = tmpfile_path("again"), *err;
    cr_assert_eq(ctl(cg_fmt("export --tenant %s %s > %s", a, resources[2], file), &err), 0, "%s", err);
    cr_assert_neq(ctl(cg_fmt("import --tenant %s %s %s", b, resources[2], file), &err), 0);
    cr_assert(strstr(err, "line 1:") && strstr(err, "exists already"), "%s", err);
    remove(file);
    assert_same_answers(token_a, token_b);
    cr_assert_str_eq(cg_db_value("SELECT count(*)::text FROM audit_event WHERE tenant_id = $1::uuid", 1, (const char *[]){ b }), "8",
                     "the refused import recorded nothing");
}

Test(import_export, a_bad_line_rolls_the_whole_import_back)
{
    const char *c = cg_new_tenant();
    char *file = tmpfile_path("bad"), *err;
    FILE *f = fopen(file, "w");
    fputs("{\"userPrincipalName\":\"one@contoso.com\"}\n\n{\"userPrincipalName\":\"two@contoso.com\"}\n"
          "{\"certificateKeyUsages\":\"not a number\"}\n{\"userPrincipalName\":\"four@contoso.com\"}\n", f);
    fclose(f);
    cr_assert_neq(ctl(cg_fmt("import --tenant %s %s %s", c, resources[2], file), &err), 0);
    cr_assert(strstr(err, "line 4: ") && strstr(err, "certificateKeyUsages"), "the bad line is named with the Graph message: %s", err);
    remove(file);
    cr_assert_str_eq(cg_db_value("SELECT count(*)::text FROM managed_all_device_certificate_state WHERE tenant_id = $1::uuid", 1,
                                 (const char *[]){ c }), "0");
    cr_assert_str_eq(cg_db_value("SELECT count(*)::text FROM audit_event WHERE tenant_id = $1::uuid", 1, (const char *[]){ c }), "0");
    /* a Graph collection answer, as a GET gives it, imports as a whole */
    const char *src = cg_new_tenant();
    const char *token = cg_tenant_token(src);
    for (int i = 0; i < 3; i++) cg_create("beta", STATES, token, cg_fmt("{\"managedDeviceDisplayName\":\"PC-%d\"}", i));
    cg_response *r = cg_get("/beta" STATES, token);
    file = tmpfile_path("collection");
    f = fopen(file, "w");
    fwrite(r->body, 1, r->body_len, f);
    fclose(f);
    cr_assert_eq(ctl(cg_fmt("import --tenant %s %s %s > /dev/null", c, resources[2], file), &err), 0, "%s", err);
    remove(file);
    cr_assert_str_eq(cg_db_value("SELECT count(*)::text FROM managed_all_device_certificate_state WHERE tenant_id = $1::uuid", 1,
                                 (const char *[]){ c }), "3");
}

Test(import_export, the_seed_folder_loads_once_into_an_empty_tenant)
{
    const char *tenant = "5eed0000-0000-4000-8000-000000000001";
    const char *token = cg_tenant_token(tenant);
    cg_response *r = cg_get("/beta" STATES "?$orderby=id&$select=userPrincipalName,certificateRevokeStatus", token);
    cg_assert_status(r, 200);
    yajl_val v = cg_member(r->json, "value");
    cr_assert_eq(v->u.array.len, 3, "the fixtures of tests/fixtures/seed: %s", r->body);
    cr_assert_str_eq(cg_str(v->u.array.values[0], "id"), "5eed0001-0000-4000-8000-000000000001");
    cr_assert_str_eq(cg_str(v->u.array.values[2], "certificateRevokeStatus"), "revoked");
    r = cg_get("/v1.0" ECSC "/5eed0002-0000-4000-8000-000000000001", token);
    cg_assert_status(r, 200);
    cr_assert_str_eq(cg_str(r->json, "subjectName"), "Contoso Lab Signer");
    /* migrating again leaves a tenant that has entities as it is */
    char *err;
    cr_assert_eq(ctl(cg_fmt("migrate > %s", tmpfile_path("migrate")), &err), 0, "%s", err);
    FILE *f = fopen(tmpfile_path("migrate"), "r");
    char out[1024] = "";
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    fclose(f);
    remove(tmpfile_path("migrate"));
    cr_assert(strstr(out, "has entities already"), "%s", out);
    cr_assert_str_eq(cg_db_value("SELECT count(*)::text FROM managed_all_device_certificate_state WHERE tenant_id = $1::uuid", 1,
                                 (const char *[]){ tenant }), "3");
}
