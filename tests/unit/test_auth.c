/* Unit tests for src/auth.c: keys are generated per test with OpenSSL, so no fixture files are needed. */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "auth.h"

#define NOW       1700000000LL
#define TID       "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define OTHER_TID "11111111-2222-3333-4444-555555555555"
#define ISS_TMPL  "https://login.microsoftonline.com/{tenantid}/v2.0"
#define ISS       "https://login.microsoftonline.com/" TID "/v2.0"
#define AUD       "api://certgraph"
#define SECRET    "unit-test-hs256-secret-of-at-least-32-bytes"
#define OMIT      ""   /* claims field value that leaves the claim out */

/* ---------- per-test fixture: temp dir, generated keys, and everything to free ---------- */

static char tmpdir[64];
static char rsa_priv[128], rsa_pub[128], ec_priv[128], ec_pub[128];
static EVP_PKEY *rsa_key, *ec_key;

static char created[16][160];
static int ncreated;
static void *owned[256];
static int nowned;
static auth_config *configs[16];
static int nconfigs;
static auth_identity id;

/* Registers p to be freed at teardown so tests stay short and leak-free. */
static void *keep(void *p)
{
    cr_assert_not_null(p);
    cr_assert_lt(nowned, 256);
    owned[nowned++] = p;
    return p;
}

static char *fmt(const char *f, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, f);
    cr_assert_geq(vasprintf(&s, f, ap), 0);
    va_end(ap);
    return keep(s);
}

static const char *temp_path(const char *name)
{
    cr_assert_lt(ncreated, 16);
    snprintf(created[ncreated], sizeof created[0], "%s/%s", tmpdir, name);
    return created[ncreated++];
}

static const char *write_text(const char *name, const char *text)
{
    const char *path = temp_path(name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_eq(fputs(text, f) >= 0, true);
    fclose(f);
    return path;
}

static void write_key_pair(EVP_PKEY *pkey, const char *priv_name, const char *pub_name, char *priv, char *pub)
{
    FILE *f;
    snprintf(priv, 128, "%s", temp_path(priv_name));
    snprintf(pub, 128, "%s", temp_path(pub_name));
    cr_assert_not_null(f = fopen(priv, "w"));
    cr_assert_eq(PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    cr_assert_not_null(f = fopen(pub, "w"));
    cr_assert_eq(PEM_write_PUBKEY(f, pkey), 1);
    fclose(f);
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/certgraph-auth.XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    ncreated = nowned = nconfigs = 0;
    memset(&id, 0, sizeof id);
    rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    cr_assert_not_null(rsa_key);
    cr_assert_not_null(ec_key);
    write_key_pair(rsa_key, "rsa.key", "rsa.pub", rsa_priv, rsa_pub);
    write_key_pair(ec_key, "ec.key", "ec.pub", ec_priv, ec_pub);
}

static void teardown(void)
{
    int i;
    for (i = 0; i < nconfigs; i++)
        auth_config_free(configs[i]);
    for (i = 0; i < nowned; i++)
        free(owned[i]);
    for (i = 0; i < ncreated; i++)
        unlink(created[i]);
    rmdir(tmpdir);
    EVP_PKEY_free(rsa_key);
    EVP_PKEY_free(ec_key);
}

TestSuite(auth, .init = setup, .fini = teardown);

/* ---------- token building ---------- */

typedef struct claims {
    const char *tid, *iss, *aud;  /* JSON values; NULL = default, OMIT = leave out */
    long long exp;                /* 0 = NOW + 3600 */
    bool no_exp;
    long long nbf;                /* 0 = no nbf */
    const char *extra;            /* more members, e.g. "\"scp\":\"a b\"" */
} claims;

static const char *member(const char *name, const char *value, const char *dflt)
{
    if (!value)
        value = dflt;
    return *value ? fmt(",\"%s\":%s", name, value) : "";
}

static char *make_claims(claims c)
{
    const char *exp = c.no_exp ? "" : fmt(",\"exp\":%lld", c.exp ? c.exp : NOW + 3600);
    const char *nbf = c.nbf ? fmt(",\"nbf\":%lld", c.nbf) : "";
    const char *extra = c.extra ? fmt(",%s", c.extra) : "";
    return fmt("{\"sub\":\"user-1\"%s%s%s%s%s%s}", member("tid", c.tid, "\"" TID "\""),
               member("iss", c.iss, "\"" ISS "\""), member("aud", c.aud, "\"" AUD "\""), exp, nbf, extra);
}

static char *sign_with(const char *key_path, const char *kid, const char *claims_json)
{
    char err[256] = "";
    char *jwt = auth_sign(key_path, kid, claims_json, err, sizeof err);
    cr_assert_not_null(jwt, "auth_sign failed: %s", err);
    return keep(jwt);
}

static char *b64url(const void *data, size_t len)
{
    char *out = keep(malloc(4 * ((len + 2) / 3) + 1));
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len), i;
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (i = 0; i < n; i++)
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    return out;
}

static char *b64url_str(const char *s)
{
    return b64url(s, strlen(s));
}

/* HS256 token made by hand, so it does not depend on auth_sign. */
static char *hs256_token(const void *key, size_t keylen, const char *claims_json)
{
    unsigned char mac[32];
    unsigned int maclen = 0;
    char *input = fmt("%s.%s", b64url_str("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"), b64url_str(claims_json));
    cr_assert_not_null(HMAC(EVP_sha256(), key, (int)keylen, (unsigned char *)input, strlen(input), mac, &maclen));
    return fmt("%s.%s", input, b64url(mac, maclen));
}

/* The same with a header of the test's own. */
static char *hs256_token_with_header(const char *header_json, const char *claims_json)
{
    unsigned char mac[32];
    unsigned int maclen = 0;
    char *input = fmt("%s.%s", b64url_str(header_json), b64url_str(claims_json));
    cr_assert_not_null(HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (unsigned char *)input, strlen(input), mac, &maclen));
    return fmt("%s.%s", input, b64url(mac, maclen));
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = keep(calloc(1, 65536));
    cr_assert_not_null(f);
    cr_assert_gt(fread(buf, 1, 65535, f), 0);
    fclose(f);
    return buf;
}

/* ---------- configuration and verification ---------- */

static auth_config *config_full(const char *keys, const char *secret, const char *issuer, const char *audiences,
                                int skew)
{
    char err[256] = "";
    auth_settings s = {.keys_path = keys, .hs256_secret = secret, .issuer = issuer,
                       .audiences = audiences, .skew_seconds = skew};
    auth_config *cfg = auth_config_load(&s, err, sizeof err);
    cr_assert_not_null(cfg, "auth_config_load failed: %s", err);
    configs[nconfigs++] = cfg;
    return cfg;
}

static auth_config *config(const char *keys, const char *secret)
{
    return config_full(keys, secret, ISS_TMPL, AUD, 0);
}

static auth_result verify_header(const auth_config *cfg, const char *header)
{
    return auth_verify(cfg, header, (time_t)NOW, &id);
}

static auth_result verify(const auth_config *cfg, const char *token)
{
    return verify_header(cfg, fmt("Bearer %s", token));
}

static auth_result verify_rsa(claims c)
{
    return verify(config(rsa_pub, NULL), sign_with(rsa_priv, NULL, make_claims(c)));
}

/* ---------- valid tokens ---------- */

Test(auth, rs256_valid_fills_identity)
{
    claims c = {.extra = "\"appid\":\"11112222-aaaa-bbbb-cccc-ddddeeeeffff\",\"scp\":\"User.Read\""};
    cr_assert_eq(verify_rsa(c), AUTH_OK);
    cr_assert_str_eq(id.tenant, TID);
    cr_assert_str_eq(id.app, "11112222-aaaa-bbbb-cccc-ddddeeeeffff");
    cr_assert_str_eq(id.scopes, "User.Read");
    cr_assert_eq(id.exp, NOW + 3600);
}

Test(auth, the_actor_of_a_delegated_and_of_an_app_only_token)
{
    claims c = {.extra = "\"oid\":\"AAAABBBB-1111-2222-3333-444455556666\",\"upn\":\"\u00e9mile@contoso.com\","
                         "\"preferred_username\":\"other@contoso.com\",\"scp\":\"DeviceManagementApps.Read.All\""};
    cr_assert_eq(verify_rsa(c), AUTH_OK);
    cr_assert_str_eq(id.user_id, "aaaabbbb-1111-2222-3333-444455556666");
    cr_assert_str_eq(id.upn, "\xc3\xa9mile@contoso.com", "upn wins over preferred_username");
    cr_assert(id.delegated);

    c = (claims){.extra = "\"azp\":\"app-2\",\"preferred_username\":\"svc@contoso.com\",\"roles\":[\"DeviceManagementApps.Read.All\"]"};
    cr_assert_eq(verify_rsa(c), AUTH_OK);
    cr_assert(!id.delegated, "roles without scp: the application's own token");
    cr_assert_str_eq(id.upn, "svc@contoso.com");
    cr_assert_str_eq(id.user_id, "");
    cr_assert_str_eq(id.app, "app-2");

    /* what could not travel safely in a header is left out, not cut */
    c = (claims){.extra = "\"oid\":\"not-a-guid\",\"upn\":\"evil\\r\\nX-Certgraph-Tenant: x\",\"scp\":\"a\""};
    cr_assert_eq(verify_rsa(c), AUTH_OK);
    cr_assert_str_eq(id.user_id, "");
    cr_assert_str_eq(id.upn, "");
}

Test(auth, es256_valid)
{
    auth_config *cfg = config(ec_pub, NULL);
    char *jwt = sign_with(ec_priv, "ec-kid", make_claims((claims){0}));
    cr_assert_eq(verify(cfg, jwt), AUTH_OK);
    cr_assert_str_eq(id.tenant, TID);
}

Test(auth, es256_signature_is_raw_64_bytes)
{
    char *jwt = sign_with(ec_priv, NULL, make_claims((claims){0}));
    const char *sig = strrchr(jwt, '.') + 1;
    cr_assert_eq(strlen(sig), 86);   /* 64 bytes of R||S in unpadded base64url, not DER */
}

Test(auth, hs256_valid_with_secret)
{
    auth_config *cfg = config(NULL, SECRET);
    cr_assert_eq(verify(cfg, hs256_token(SECRET, strlen(SECRET), make_claims((claims){0}))), AUTH_OK);
}

Test(auth, hs256_wrong_secret_is_bad_signature)
{
    auth_config *cfg = config(NULL, SECRET);
    cr_assert_eq(verify(cfg, hs256_token("other", 5, make_claims((claims){0}))), AUTH_BAD_SIGNATURE);
}

Test(auth, bearer_scheme_is_case_insensitive)
{
    auth_config *cfg = config(rsa_pub, NULL);
    char *jwt = sign_with(rsa_priv, NULL, make_claims((claims){0}));
    cr_assert_eq(verify_header(cfg, fmt("bearer %s", jwt)), AUTH_OK);
    cr_assert_eq(verify_header(cfg, fmt("BEARER   %s  ", jwt)), AUTH_OK);
}

Test(auth, pem_bundle_and_certificate)
{
    X509 *cert = X509_new();
    FILE *f;
    const char *cert_path = temp_path("ec.crt");
    char *bundle;

    /* a self-signed certificate carrying the EC key, in a bundle after the RSA public key */
    cr_assert_not_null(cert);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC, (unsigned char *)"test", -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    X509_set_pubkey(cert, ec_key);
    cr_assert_gt(X509_sign(cert, ec_key, EVP_sha256()), 0);
    cr_assert_not_null(f = fopen(cert_path, "w"));
    PEM_write_X509(f, cert);
    fclose(f);
    X509_free(cert);

    bundle = fmt("%s\n%s", read_all(rsa_pub), read_all(cert_path));
    auth_config *cfg = config(write_text("bundle.pem", bundle), NULL);
    cr_assert_eq(verify(cfg, sign_with(rsa_priv, NULL, make_claims((claims){0}))), AUTH_OK);
    cr_assert_eq(verify(cfg, sign_with(ec_priv, NULL, make_claims((claims){0}))), AUTH_OK);
}

/* ---------- time ---------- */

Test(auth, expired)
{
    cr_assert_eq(verify_rsa((claims){.exp = NOW - 3600}), AUTH_EXPIRED);
}

Test(auth, missing_exp_is_expired)
{
    cr_assert_eq(verify_rsa((claims){.no_exp = true}), AUTH_EXPIRED);
}

Test(auth, exp_as_fraction_exponent_or_string)
{
    cr_assert_eq(verify_rsa((claims){.no_exp = true, .extra = "\"exp\":1700003600.5"}), AUTH_OK);
    cr_assert_eq(id.exp, NOW + 3600);
    cr_assert_eq(verify_rsa((claims){.no_exp = true, .extra = "\"exp\":1.6e9"}), AUTH_EXPIRED);
    cr_assert_eq(verify_rsa((claims){.no_exp = true, .extra = "\"exp\":1e300"}), AUTH_OK);
    cr_assert_eq(verify_rsa((claims){.no_exp = true, .extra = "\"exp\":\"1700003600\""}), AUTH_EXPIRED);
}

Test(auth, not_yet_valid)
{
    cr_assert_eq(verify_rsa((claims){.nbf = NOW + 3600}), AUTH_NOT_YET_VALID);
}

Test(auth, past_nbf_is_fine)
{
    cr_assert_eq(verify_rsa((claims){.nbf = NOW - 10}), AUTH_OK);
}

Test(auth, skew_tolerates_exp_both_sides_of_the_edge)
{
    auth_config *cfg = config_full(rsa_pub, NULL, ISS_TMPL, AUD, 60);
    cr_assert_eq(verify(cfg, sign_with(rsa_priv, NULL, make_claims((claims){.exp = NOW - 60}))), AUTH_OK);
    cr_assert_eq(verify(cfg, sign_with(rsa_priv, NULL, make_claims((claims){.exp = NOW - 61}))), AUTH_EXPIRED);
}

Test(auth, skew_tolerates_nbf_both_sides_of_the_edge)
{
    auth_config *cfg = config_full(rsa_pub, NULL, ISS_TMPL, AUD, 60);
    cr_assert_eq(verify(cfg, sign_with(rsa_priv, NULL, make_claims((claims){.nbf = NOW + 60}))), AUTH_OK);
    cr_assert_eq(verify(cfg, sign_with(rsa_priv, NULL, make_claims((claims){.nbf = NOW + 61}))),
                 AUTH_NOT_YET_VALID);
}

Test(auth, without_skew_one_second_late_is_expired)
{
    cr_assert_eq(verify_rsa((claims){.exp = NOW - 1}), AUTH_EXPIRED);
}

/* ---------- audience, issuer, tenant ---------- */

Test(auth, wrong_audience)
{
    cr_assert_eq(verify_rsa((claims){.aud = "\"api://someone-else\""}), AUTH_BAD_AUDIENCE);
}

Test(auth, missing_audience)
{
    cr_assert_eq(verify_rsa((claims){.aud = OMIT}), AUTH_BAD_AUDIENCE);
}

Test(auth, audience_array)
{
    cr_assert_eq(verify_rsa((claims){.aud = "[\"api://other\",\"" AUD "\"]"}), AUTH_OK);
    cr_assert_eq(verify_rsa((claims){.aud = "[\"api://other\",\"api://third\"]"}), AUTH_BAD_AUDIENCE);
}

Test(auth, any_configured_audience_is_accepted)
{
    auth_config *cfg = config_full(rsa_pub, NULL, ISS_TMPL, "api://first  " AUD " api://third", 0);
    cr_assert_eq(verify(cfg, sign_with(rsa_priv, NULL, make_claims((claims){0}))), AUTH_OK);
    cr_assert_eq(verify(cfg, sign_with(rsa_priv, NULL, make_claims((claims){.aud = "\"api://third\""}))), AUTH_OK);
    cr_assert_eq(verify(cfg, sign_with(rsa_priv, NULL, make_claims((claims){.aud = "\"api://fourth\""}))),
                 AUTH_BAD_AUDIENCE);
}

Test(auth, wrong_issuer)
{
    cr_assert_eq(verify_rsa((claims){.iss = "\"https://evil.example/" TID "/v2.0\""}), AUTH_BAD_ISSUER);
    cr_assert_eq(verify_rsa((claims){.iss = OMIT}), AUTH_BAD_ISSUER);
}

Test(auth, issuer_tenant_substitution_uses_the_token_tid)
{
    /* iss names another tenant than tid: the template must not match */
    cr_assert_eq(verify_rsa((claims){.iss = "\"https://login.microsoftonline.com/" OTHER_TID "/v2.0\""}),
                 AUTH_BAD_ISSUER);
    cr_assert_eq(verify_rsa((claims){.tid = "\"" OTHER_TID "\"",
                                     .iss = "\"https://login.microsoftonline.com/" OTHER_TID "/v2.0\""}),
                 AUTH_OK);
    cr_assert_str_eq(id.tenant, OTHER_TID);
    /* a longer iss that merely starts with the expected one */
    cr_assert_eq(verify_rsa((claims){.iss = "\"" ISS "/extra\""}), AUTH_BAD_ISSUER);
}

Test(auth, fixed_issuer_without_placeholder)
{
    auth_config *cfg = config_full(rsa_pub, NULL, "https://sts.example/fixed", AUD, 0);
    cr_assert_eq(verify(cfg, sign_with(rsa_priv, NULL, make_claims((claims){.iss = "\"https://sts.example/fixed\""}))),
                 AUTH_OK);
    cr_assert_eq(verify(cfg, sign_with(rsa_priv, NULL, make_claims((claims){0}))), AUTH_BAD_ISSUER);
}

Test(auth, missing_tid)
{
    cr_assert_eq(verify_rsa((claims){.tid = OMIT}), AUTH_NO_TENANT);
}

Test(auth, non_guid_tid)
{
    cr_assert_eq(verify_rsa((claims){.tid = "\"contoso.onmicrosoft.com\""}), AUTH_NO_TENANT);
    cr_assert_eq(verify_rsa((claims){.tid = "\"72f988bf-86f1-41af-91ab-2d7cd011db4g\""}), AUTH_NO_TENANT);
    cr_assert_eq(verify_rsa((claims){.tid = "\"72f988bf86f1-41af-91ab-2d7cd011db47-\""}), AUTH_NO_TENANT);
    cr_assert_eq(verify_rsa((claims){.tid = "42"}), AUTH_NO_TENANT);
}

Test(auth, uppercase_tid_is_stored_lowercase)
{
    cr_assert_eq(verify_rsa((claims){.tid = "\"72F988BF-86F1-41AF-91AB-2D7CD011DB47\""}), AUTH_OK);
    cr_assert_str_eq(id.tenant, TID);
}

Test(auth, tenant_is_checked_before_expiry)
{
    cr_assert_eq(verify_rsa((claims){.tid = OMIT, .exp = NOW - 3600}), AUTH_NO_TENANT);
}

/* ---------- signatures and algorithms ---------- */

Test(auth, flipped_signature_byte)
{
    auth_config *cfg = config(rsa_pub, NULL);
    char *jwt = sign_with(rsa_priv, NULL, make_claims((claims){0}));
    char *c = strrchr(jwt, '.') + 20;
    *c = *c == 'A' ? 'B' : 'A';
    cr_assert_eq(verify(cfg, jwt), AUTH_BAD_SIGNATURE);
}

Test(auth, flipped_es256_signature_byte)
{
    auth_config *cfg = config(ec_pub, NULL);
    char *jwt = sign_with(ec_priv, NULL, make_claims((claims){0}));
    char *c = strrchr(jwt, '.') + 20;
    *c = *c == 'A' ? 'B' : 'A';
    cr_assert_eq(verify(cfg, jwt), AUTH_BAD_SIGNATURE);
}

/* Splits a compact JWT into its three (still encoded) parts. */
static void split_jwt(const char *jwt, char **header, char **payload, char **sig)
{
    char *copy = fmt("%s", jwt);
    *header = copy;
    cr_assert_not_null(*payload = strchr(copy, '.'));
    *(*payload)++ = '\0';
    cr_assert_not_null(*sig = strchr(*payload, '.'));
    *(*sig)++ = '\0';
}

Test(auth, payload_swapped_under_a_valid_signature)
{
    auth_config *cfg = config(rsa_pub, NULL);
    char *h, *p, *s, *h2, *p2, *s2;
    split_jwt(sign_with(rsa_priv, NULL, make_claims((claims){0})), &h, &p, &s);
    split_jwt(sign_with(rsa_priv, NULL, make_claims((claims){.extra = "\"roles\":[\"Admin\"]"})), &h2, &p2, &s2);
    cr_assert_eq(verify(cfg, fmt("%s.%s.%s", h, p, s)), AUTH_OK);
    cr_assert_eq(verify(cfg, fmt("%s.%s.%s", h, p2, s)), AUTH_BAD_SIGNATURE);
}

Test(auth, es256_signature_of_wrong_length)
{
    auth_config *cfg = config(ec_pub, NULL);
    char *jwt = sign_with(ec_priv, NULL, make_claims((claims){0}));
    jwt[strlen(jwt) - 4] = '\0';   /* 61 bytes of signature left */
    cr_assert_eq(verify(cfg, jwt), AUTH_BAD_SIGNATURE);
}

Test(auth, alg_none_is_refused)
{
    auth_config *cfg = config(rsa_pub, NULL);
    char *claims_b64 = b64url_str(make_claims((claims){0}));
    cr_assert_eq(verify(cfg, fmt("%s.%s.", b64url_str("{\"alg\":\"none\",\"typ\":\"JWT\"}"), claims_b64)),
                 AUTH_ALG_REFUSED);
    cr_assert_eq(verify(cfg, fmt("%s.%s.", b64url_str("{\"alg\":\"None\"}"), claims_b64)), AUTH_ALG_REFUSED);
    cr_assert_eq(verify(cfg, fmt("%s.%s.", b64url_str("{\"typ\":\"JWT\"}"), claims_b64)), AUTH_ALG_REFUSED);
    cr_assert_eq(verify(cfg, fmt("%s.%s.", b64url_str("{\"alg\":\"PS256\"}"), claims_b64)), AUTH_ALG_REFUSED);
}

Test(auth, hs256_signed_with_public_key_is_refused_without_secret)
{
    auth_config *cfg = config(rsa_pub, NULL);
    const char *pem = read_all(rsa_pub);
    cr_assert_eq(verify(cfg, hs256_token(pem, strlen(pem), make_claims((claims){0}))), AUTH_ALG_REFUSED);
}

Test(auth, hs256_signed_with_public_key_fails_against_a_real_secret)
{
    auth_config *cfg = config(rsa_pub, SECRET);
    const char *pem = read_all(rsa_pub);
    cr_assert_eq(verify(cfg, hs256_token(pem, strlen(pem), make_claims((claims){0}))), AUTH_BAD_SIGNATURE);
    /* the same config still takes RS256 and a correctly made HS256 token */
    cr_assert_eq(verify(cfg, sign_with(rsa_priv, NULL, make_claims((claims){0}))), AUTH_OK);
    cr_assert_eq(verify(cfg, hs256_token(SECRET, strlen(SECRET), make_claims((claims){0}))), AUTH_OK);
}

Test(auth, alg_without_a_matching_key_is_refused)
{
    cr_assert_eq(verify(config(rsa_pub, NULL), sign_with(ec_priv, NULL, make_claims((claims){0}))), AUTH_ALG_REFUSED);
    cr_assert_eq(verify(config(ec_pub, NULL), sign_with(rsa_priv, NULL, make_claims((claims){0}))), AUTH_ALG_REFUSED);
}

Test(auth, rs256_from_another_key_is_bad_signature)
{
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    char other_priv[128], other_pub[128];
    cr_assert_not_null(other);
    write_key_pair(other, "other.key", "other.pub", other_priv, other_pub);
    EVP_PKEY_free(other);
    cr_assert_eq(verify(config(rsa_pub, NULL), sign_with(other_priv, NULL, make_claims((claims){0}))),
                 AUTH_BAD_SIGNATURE);
}

/* ---------- malformed input ---------- */

Test(auth, empty_or_absent_header)
{
    auth_config *cfg = config(rsa_pub, NULL);
    cr_assert_eq(verify_header(cfg, NULL), AUTH_MISSING);
    cr_assert_eq(verify_header(cfg, ""), AUTH_MISSING);
    cr_assert_eq(verify_header(cfg, "Bearer"), AUTH_MISSING);
    cr_assert_eq(verify_header(cfg, "Bearer   "), AUTH_MISSING);
}

Test(auth, basic_scheme_is_missing)
{
    auth_config *cfg = config(rsa_pub, NULL);
    cr_assert_eq(verify_header(cfg, "Basic dXNlcjpwYXNzd29yZA=="), AUTH_MISSING);
    /* a token pasted without its scheme is not a bearer token either */
    cr_assert_eq(verify_header(cfg, sign_with(rsa_priv, NULL, make_claims((claims){0}))), AUTH_MISSING);
}

Test(auth, truncated_token)
{
    auth_config *cfg = config(rsa_pub, NULL);
    char *jwt = sign_with(rsa_priv, NULL, make_claims((claims){0}));
    char *no_sig = fmt("%s", jwt), *half_payload = fmt("%s", jwt);
    *strrchr(no_sig, '.') = '\0';
    strchr(half_payload, '.')[20] = '\0';
    cr_assert_eq(verify(cfg, no_sig), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, half_payload), AUTH_MALFORMED);
}

Test(auth, garbage)
{
    auth_config *cfg = config(rsa_pub, NULL);
    const char *header = b64url_str("{\"alg\":\"RS256\"}");
    const char *payload = b64url_str(make_claims((claims){0}));
    cr_assert_eq(verify(cfg, "!!!"), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, "a.b.c"), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, "..."), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, fmt("%s.%s.sig.extra", header, payload)), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, fmt("%s.%s.s!g", header, payload)), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, fmt("%s.%s==.sig", header, payload)), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, fmt("%s.%s.sig", b64url_str("[\"RS256\"]"), payload)), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, fmt("%s.%s.sig", header, b64url_str("\"claims\""))), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, fmt("%s.%s.sig", header, b64url_str("{\"tid\":"))), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, fmt("%s.%s.sig", b64url_str("{\"alg\":\"RS256\",\"alg\":\"HS256\"}"), payload)),
                 AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, fmt("%s.%s.sig", b64url("{\"alg\":\"RS256\"}\0{", 17), payload)), AUTH_MALFORMED);
    cr_assert_eq(verify_header(cfg, fmt("Bearer %s.%s.sig trailing", header, payload)), AUTH_MALFORMED);
}

Test(auth, crit_header_is_malformed)
{
    auth_config *cfg = config(rsa_pub, NULL);
    const char *payload = b64url_str(make_claims((claims){0}));
    /* without crit the same forged token gets as far as the signature check */
    cr_assert_eq(verify(cfg, fmt("%s.%s.AAAA", b64url_str("{\"alg\":\"RS256\"}"), payload)), AUTH_BAD_SIGNATURE);
    cr_assert_eq(verify(cfg, fmt("%s.%s.AAAA", b64url_str("{\"alg\":\"RS256\",\"crit\":[\"exp\"]}"), payload)),
                 AUTH_MALFORMED);
}

Test(auth, oversized_token)
{
    auth_config *cfg = config(rsa_pub, NULL);
    char pad[13001];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    char *big = sign_with(rsa_priv, NULL, make_claims((claims){.extra = fmt("\"pad\":\"%s\"", pad)}));
    cr_assert_gt(strlen(big), 16384);
    cr_assert_eq(verify(cfg, big), AUTH_MALFORMED);

    pad[11000] = '\0';   /* just under the limit still verifies */
    char *large = sign_with(rsa_priv, NULL, make_claims((claims){.extra = fmt("\"pad\":\"%s\"", pad)}));
    cr_assert_lt(strlen(large), 16384);
    cr_assert_eq(verify(cfg, large), AUTH_OK);
}

/* ---------- JWKS ---------- */

static char *jwk_bn(EVP_PKEY *pkey, const char *param, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char buf[512];
    int n;
    cr_assert_eq(EVP_PKEY_get_bn_param(pkey, param, &bn), 1);
    n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
    BN_free(bn);
    cr_assert_gt(n, 0);
    return b64url(buf, (size_t)n);
}

static char *rsa_jwk(EVP_PKEY *pkey, const char *kid)
{
    return fmt("{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"}", kid,
               jwk_bn(pkey, OSSL_PKEY_PARAM_RSA_N, 0), jwk_bn(pkey, OSSL_PKEY_PARAM_RSA_E, 0));
}

static char *ec_jwk(EVP_PKEY *pkey, const char *kid)
{
    return fmt("{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}", kid,
               jwk_bn(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32), jwk_bn(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32));
}

Test(auth, jwks_with_rsa_and_ec_keys)
{
    const char *jwks = fmt("{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"},%s,"
                           "{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"},%s]}",
                           rsa_jwk(rsa_key, "rsa-1"), ec_jwk(ec_key, "ec-1"));
    auth_config *cfg = config(write_text("jwks.json", jwks), NULL);
    cr_assert_eq(verify(cfg, sign_with(rsa_priv, "rsa-1", make_claims((claims){0}))), AUTH_OK);
    cr_assert_eq(verify(cfg, sign_with(ec_priv, "ec-1", make_claims((claims){0}))), AUTH_OK);
    cr_assert_eq(verify(cfg, sign_with(ec_priv, NULL, make_claims((claims){0}))), AUTH_OK);
    /* JWKS keys are public keys only: HS256 stays off */
    cr_assert_eq(verify(cfg, hs256_token("c2VjcmV0", 8, make_claims((claims){0}))), AUTH_ALG_REFUSED);
}

Test(auth, jwks_kid_selects_the_key)
{
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    cr_assert_not_null(other);
    const char *jwks = fmt("{\"keys\":[%s,%s]}", ec_jwk(ec_key, "key-a"), ec_jwk(other, "key-b"));
    EVP_PKEY_free(other);
    auth_config *cfg = config(write_text("jwks.json", jwks), NULL);
    const char *claims_json = make_claims((claims){0});

    cr_assert_eq(verify(cfg, sign_with(ec_priv, "key-a", claims_json)), AUTH_OK);
    /* kid names key-b, so key-a is not tried even though it would verify */
    cr_assert_eq(verify(cfg, sign_with(ec_priv, "key-b", claims_json)), AUTH_BAD_SIGNATURE);
    /* an unknown kid falls back to every EC key */
    cr_assert_eq(verify(cfg, sign_with(ec_priv, "key-zzz", claims_json)), AUTH_OK);
}

Test(auth, jwks_point_off_curve_is_rejected)
{
    char *jwk = ec_jwk(ec_key, "bad");
    char *x = strstr(jwk, "\"x\":\"") + 10;
    char err[256] = "";
    *x = *x == 'A' ? 'B' : 'A';
    auth_settings s = {.keys_path = write_text("bad.json", fmt("{\"keys\":[%s]}", jwk)), .issuer = ISS_TMPL,
                       .audiences = AUD};
    cr_assert_null(auth_config_load(&s, err, sizeof err));
    cr_assert_neq(err[0], '\0');
}

/* ---------- identity contents ---------- */

Test(auth, scopes_from_scp_and_roles)
{
    claims c = {.extra = "\"scp\":\"User.Read  Mail.Send\",\"roles\":[\"Certs.ReadWrite.All\",\"has space\","
                         "\"tab\\there\",\"caf\\u00e9\",\"\",42,\"Ok\"],\"azp\":\"client-app\""};
    cr_assert_eq(verify_rsa(c), AUTH_OK);
    cr_assert_str_eq(id.scopes, "User.Read Mail.Send Certs.ReadWrite.All Ok");
    cr_assert_str_eq(id.app, "client-app");
}

Test(auth, too_many_scopes_are_dropped_whole)
{
    char scp[3000];
    size_t i;
    for (i = 0; i + 10 < sizeof scp; i += 10)
        memcpy(scp + i, "Scope.Abc ", 10);
    scp[i] = '\0';
    cr_assert_eq(verify_rsa((claims){.extra = fmt("\"scp\":\"%s\"", scp)}), AUTH_OK);
    cr_assert_lt(strlen(id.scopes), sizeof id.scopes);
    cr_assert_gt(strlen(id.scopes), 2000);
    cr_assert_eq(strlen(id.scopes) % 10, 9);   /* only whole "Scope.Abc" words */
}

Test(auth, failure_clears_identity)
{
    cr_assert_eq(verify_rsa((claims){0}), AUTH_OK);
    cr_assert_eq(verify_rsa((claims){.exp = NOW - 3600}), AUTH_EXPIRED);
    cr_assert_str_eq(id.tenant, "");
}

/* ---------- configuration and signing errors, messages ---------- */

Test(auth, config_load_failures)
{
    char err[256];
    auth_settings s = {.keys_path = rsa_pub, .issuer = ISS_TMPL, .audiences = AUD};
    auth_settings bad;

    bad = s;
    bad.keys_path = "/nonexistent/keys.pem";
    cr_assert_null(auth_config_load(&bad, err, sizeof err));
    bad = s;
    bad.keys_path = write_text("junk.txt", "not a key file\n");
    cr_assert_null(auth_config_load(&bad, err, sizeof err));
    bad = s;
    bad.keys_path = rsa_priv;   /* a private key has no place in the verifier */
    cr_assert_null(auth_config_load(&bad, err, sizeof err));
    bad = s;
    bad.keys_path = NULL;
    cr_assert_null(auth_config_load(&bad, err, sizeof err));
    bad = s;
    bad.audiences = "  ";
    cr_assert_null(auth_config_load(&bad, err, sizeof err));
    bad = s;
    bad.issuer = NULL;
    cr_assert_null(auth_config_load(&bad, err, sizeof err));
    bad = s;
    bad.skew_seconds = -1;
    cr_assert_null(auth_config_load(&bad, err, sizeof err));
}

Test(auth, sign_failures)
{
    char err[256] = "";
    cr_assert_null(auth_sign("/nonexistent/key.pem", NULL, "{}", err, sizeof err));
    cr_assert_neq(err[0], '\0');
    cr_assert_null(auth_sign(rsa_pub, NULL, "{}", err, sizeof err));
    cr_assert_null(auth_sign(rsa_priv, NULL, "[1,2]", err, sizeof err));
    cr_assert_null(auth_sign(rsa_priv, NULL, "{\"a\":", err, sizeof err));
}

Test(auth, sign_puts_kid_in_header)
{
    char *jwt = sign_with(rsa_priv, "k\"1", "{}");
    *strchr(jwt, '.') = '\0';
    cr_assert_str_eq(jwt, b64url_str("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k\\\"1\"}"));
}

Test(auth, messages_are_json_safe)
{
    auth_result r;
    for (r = AUTH_OK; r <= AUTH_NO_TENANT; r++) {
        const char *m = auth_result_message(r);
        cr_assert_not_null(m);
        cr_assert_gt(strlen(m), 5);
        cr_assert_null(strpbrk(m, "\"\\"), "message %d has a quote or backslash", r);
    }
    cr_assert_str_eq(auth_result_message(AUTH_MISSING), "Access token is empty.");
    cr_assert_str_eq(auth_result_message(AUTH_BAD_SIGNATURE), "Invalid signature.");
    cr_assert_str_neq(auth_result_message(AUTH_BAD_AUDIENCE), auth_result_message(AUTH_BAD_ISSUER));
}

/* ---------- strict claims: what a lenient JSON reader or C-string comparison would let through ---------- */

Test(auth, json_comments_in_header_or_payload_are_malformed)
{
    auth_config *cfg = config(NULL, SECRET);
    const char *good = make_claims((claims){ 0 });
    cr_assert_eq(verify(cfg, hs256_token_with_header("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", good)), AUTH_OK);
    cr_assert_eq(verify(cfg, hs256_token_with_header("{/*c*/\"alg\":\"HS256\",\"typ\":\"JWT\"}", good)), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, hs256_token_with_header("{\"alg\":\"HS256\"}//x", good)), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, hs256_token(SECRET, strlen(SECRET), fmt("{/**/%s", good + 1))), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, hs256_token(SECRET, strlen(SECRET), fmt("%s {}", good))), AUTH_MALFORMED, "trailing value");
}

Test(auth, duplicate_claims_are_malformed)
{
    auth_config *cfg = config(NULL, SECRET);
    const char *dup = make_claims((claims){ .extra = "\"tid\":\"" OTHER_TID "\"" });
    cr_assert_eq(verify(cfg, hs256_token(SECRET, strlen(SECRET), dup)), AUTH_MALFORMED);
    cr_assert_eq(verify(cfg, hs256_token_with_header("{\"alg\":\"none\",\"alg\":\"HS256\"}", make_claims((claims){ 0 }))),
                 AUTH_MALFORMED);
}

Test(auth, a_nul_in_a_claim_is_refused_however_it_is_escaped)
{
    auth_config *cfg = config(NULL, SECRET);
    const char *cases[] = {
        make_claims((claims){ .tid = "\"" TID "\\u0000junk\"" }),
        make_claims((claims){ .aud = "\"" AUD "\\u0000.evil\"" }),
        make_claims((claims){ .iss = "\"" ISS "\\u0000.evil\"" }),
        make_claims((claims){ .extra = "\"scp\":\"DeviceManagementApps.ReadWrite.All\\u0000\"" }),
        make_claims((claims){ .extra = "\"t\\u0000id\":\"x\"" }),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_eq(verify(cfg, hs256_token(SECRET, strlen(SECRET), cases[i])), AUTH_MALFORMED, "%s", cases[i]);
    /* the same claims without the NUL are fine */
    cr_assert_eq(verify(cfg, hs256_token(SECRET, strlen(SECRET), make_claims((claims){ .tid = "\"" TID "\"" }))), AUTH_OK);
}
