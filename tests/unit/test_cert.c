/* Certificates in uploaded content (API.md §6): certificates the test makes itself with OpenSSL (RSA
 * and EC, PEM, DER and PKCS#12, expired, with and without codeSigning) and what cert_parse and the
 * entities' derive step make of them; garbage, truncated and random content is no certificate. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "cert.h"
#include "entity.h"

static arena *a;
static void setup(void) { a = arena_new(4096); }
static void teardown(void) { arena_free(a); }
TestSuite(cert, .init = setup, .fini = teardown);

typedef struct made {
    X509 *x;
    EVP_PKEY *key;
} made;

/* A self-signed certificate valid from `from` to `to` days from now. eku: NULL for none. */
static made make(bool ec, const char *cn, long from, long to, const char *eku)
{
    made m;
    m.key = ec ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
    cr_assert_not_null(m.key);
    m.x = X509_new();
    X509_set_version(m.x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(m.x), 0x1234ABCD);
    X509_gmtime_adj(X509_getm_notBefore(m.x), from * 86400);
    X509_gmtime_adj(X509_getm_notAfter(m.x), to * 86400);
    X509_NAME *name = X509_get_subject_name(m.x);
    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"Contoso \xc3\x89lectronique", -1, -1, 0);
    if (cn) X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(m.x, name);
    X509_set_pubkey(m.x, m.key);
    if (eku) {
        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, m.x, m.x, NULL, NULL, 0);
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, eku);
        X509_add_ext(m.x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    cr_assert(X509_sign(m.x, m.key, EVP_sha256()) > 0);
    return m;
}

static void unmake(made m)
{
    X509_free(m.x);
    EVP_PKEY_free(m.key);
}

static const unsigned char *der(arena *ar, X509 *x, size_t *n)
{
    unsigned char *buf = NULL;
    int len = i2d_X509(x, &buf);
    unsigned char *copy = arena_alloc(ar, (size_t)len);
    memcpy(copy, buf, (size_t)len);
    OPENSSL_free(buf);
    *n = (size_t)len;
    return copy;
}

static const unsigned char *pem(arena *ar, X509 *x, size_t *n)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    char *data;
    long len = BIO_get_mem_data(b, &data);
    const unsigned char *copy = (const unsigned char *)arena_strndup(ar, data, (size_t)len);
    BIO_free(b);
    *n = (size_t)len;
    return copy;
}

static const unsigned char *pfx(arena *ar, made m, const char *password, size_t *n)
{
    PKCS12 *p12 = PKCS12_create(password, "signer", m.key, m.x, NULL, 0, 0, 0, 0, 0);
    cr_assert_not_null(p12);
    unsigned char *buf = NULL;
    int len = i2d_PKCS12(p12, &buf);
    unsigned char *copy = arena_alloc(ar, (size_t)len);
    memcpy(copy, buf, (size_t)len);
    OPENSSL_free(buf);
    PKCS12_free(p12);
    *n = (size_t)len;
    return copy;
}

/* The instant `days` from now as cert_parse writes it, to the second (asserted within 2 s). */
static void assert_days_from_now(const char *iso, long days)
{
    struct tm tm = { 0 };
    cr_assert(strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm), "%s", iso);
    long long t = (long long)timegm(&tm), want = (long long)time(NULL) + days * 86400;
    cr_assert(t >= want - 2 && t <= want + 2, "%s is not %ld days from now", iso, days);
}

Test(cert, rsa_pem_with_code_signing)
{
    made m = make(false, "Contoso Code Signing", 0, 365, "codeSigning");
    size_t n;
    const unsigned char *text = pem(a, m.x, &n);
    cert_info c;
    cr_assert_eq(cert_parse(a, text, n, false, NULL, &c), CERT_OK);
    cr_assert_str_eq(c.subject, "CN=Contoso Code Signing,O=Contoso \xc3\x89lectronique,C=US");
    cr_assert_str_eq(c.subject_cn, "Contoso Code Signing");
    cr_assert_str_eq(c.issuer, c.subject);
    cr_assert_str_eq(c.issuer_cn, "Contoso Code Signing");
    assert_days_from_now(c.not_after, 365);
    assert_days_from_now(c.not_before, 0);
    cr_assert_str_eq(c.serial, "1234ABCD");
    cr_assert_str_eq(c.key_algorithm, "RSA");
    cr_assert_eq(c.key_bits, 2048);
    cr_assert(c.code_signing);
    /* the thumbprints are the digests of the DER, which is what is kept */
    size_t dn;
    const unsigned char *d = der(a, m.x, &dn);
    unsigned char md[32];
    unsigned int mdlen;
    EVP_Digest(d, dn, md, &mdlen, EVP_sha1(), NULL);
    char want[65] = { 0 };
    for (unsigned i = 0; i < mdlen; i++) sprintf(want + 2 * i, "%02X", md[i]);
    cr_assert_str_eq(c.sha1, want);
    EVP_Digest(d, dn, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < mdlen; i++) sprintf(want + 2 * i, "%02X", md[i]);
    cr_assert_str_eq(c.sha256, want);
    unsigned char *b64 = arena_alloc(a, 4 * (dn / 3 + 1) + 1);
    EVP_EncodeBlock(b64, d, (int)dn);
    cr_assert_str_eq(c.der_base64, (const char *)b64);
    unmake(m);
}

Test(cert, ec_der_without_extended_key_usage_is_not_for_code_signing)
{
    made m = make(true, "device.contoso.com", -10, 20, NULL);
    size_t n;
    const unsigned char *d = der(a, m.x, &n);
    cert_info c;
    cr_assert_eq(cert_parse(a, d, n, false, NULL, &c), CERT_OK);
    cr_assert_str_eq(c.key_algorithm, "EC");
    cr_assert_eq(c.key_bits, 256);
    cr_assert(!c.code_signing);
    assert_days_from_now(c.not_before, -10);
    unmake(m);
    m = make(true, "tls.contoso.com", 0, 20, "serverAuth,clientAuth");
    d = der(a, m.x, &n);
    cr_assert_eq(cert_parse(a, d, n, false, NULL, &c), CERT_OK);
    cr_assert(!c.code_signing, "serverAuth only");
    unmake(m);
}

Test(cert, expired_and_nameless_certificates_still_parse)
{
    made m = make(false, NULL, -400, -35, "codeSigning");
    size_t n;
    const unsigned char *d = der(a, m.x, &n);
    cert_info c;
    cr_assert_eq(cert_parse(a, d, n, false, NULL, &c), CERT_OK);
    assert_days_from_now(c.not_after, -35);
    cr_assert_null(c.subject_cn, "no CN in the name");
    cr_assert_str_eq(c.subject, "O=Contoso \xc3\x89lectronique,C=US");
    unmake(m);
}

Test(cert, pkcs12_opens_with_its_password_only)
{
    made m = make(false, "Symantec Signer", 0, 100, "codeSigning");
    size_t n;
    const unsigned char *p = pfx(a, m, "s3cret", &n);
    cert_info c;
    cr_assert_eq(cert_parse(a, p, n, true, "s3cret", &c), CERT_OK);
    cr_assert_str_eq(c.subject_cn, "Symantec Signer");
    cr_assert(c.code_signing);
    cr_assert_eq(cert_parse(a, p, n, true, "wrong", &c), CERT_BAD_PASSWORD);
    cr_assert_eq(cert_parse(a, p, n, true, NULL, &c), CERT_BAD_PASSWORD);
    cr_assert_eq(cert_parse(a, p, n, false, "s3cret", &c), CERT_NONE, "PKCS#12 where only X.509 is taken");
    const unsigned char *open = pfx(a, m, NULL, &n);
    cr_assert_eq(cert_parse(a, open, n, true, NULL, &c), CERT_OK, "a PKCS#12 without a password");
    unmake(m);
}

Test(cert, what_is_no_certificate_is_none)
{
    cert_info c;
    cr_assert_eq(cert_parse(a, (const unsigned char *)"hello", 5, true, NULL, &c), CERT_NONE);
    cr_assert_eq(cert_parse(a, (const unsigned char *)"", 0, true, NULL, &c), CERT_NONE);
    static const char fake_pem[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    cr_assert_eq(cert_parse(a, (const unsigned char *)fake_pem, sizeof fake_pem - 1, true, NULL, &c), CERT_NONE);
    made m = make(false, "x", 0, 1, NULL);
    size_t n;
    const unsigned char *d = der(a, m.x, &n);
    for (size_t cut = 1; cut < n; cut += 97)
        cr_assert_eq(cert_parse(a, d, cut, true, NULL, &c), CERT_NONE, "truncated at %zu of %zu", cut, n);
    unsigned char *trailing = arena_alloc(a, n + 3);
    memcpy(trailing, d, n);
    memcpy(trailing + n, "xyz", 3);
    cr_assert_eq(cert_parse(a, trailing, n + 3, false, NULL, &c), CERT_NONE, "trailing bytes");
    unsigned char *blob = arena_alloc(a, 10240);
    for (int i = 0; i < 20; i++) {
        RAND_bytes(blob, 10240);
        cr_assert_eq(cert_parse(a, blob, 10240, true, "x", &c), CERT_NONE);
    }
    unmake(m);
}

/* The entity's derive step: a certificate in content fills in the derived properties. */
static prop_value *body(const entity *e, const char *content_b64, const char *password)
{
    prop_value *v = arena_alloc(a, (size_t)e->nprops * sizeof *v);
    memset(v, 0, (size_t)e->nprops * sizeof *v);
    int i = entity_property_index(e, "content", 7);
    v[i] = (prop_value){ .present = true, .is_null = !content_b64, .text = content_b64, .len = content_b64 ? strlen(content_b64) : 0 };
    int s = entity_property_index(e, "subject", 7);
    v[s] = (prop_value){ .present = true, .text = "sent by the client", .len = 18 };
    if (password) {
        int p = entity_property_index(e, "password", 8);
        v[p] = (prop_value){ .present = true, .text = password, .len = strlen(password) };
    }
    return v;
}

static const char *value_of(const entity *e, const prop_value *v, const char *name)
{
    for (int i = 0; i < e->nprops; i++)
        if (strcmp(e->props[i].name, name) == 0) return v[i].present && !v[i].is_null ? v[i].text : NULL;
    cr_assert_fail("no property %s", name);
    return NULL;
}

static const char *base64(const unsigned char *b, size_t n)
{
    unsigned char *out = arena_alloc(a, 4 * (n / 3 + 1) + 1);
    EVP_EncodeBlock(out, b, (int)n);
    return (const char *)out;
}

Test(cert, derive_fills_in_an_upload_and_keeps_anything_else_as_sent)
{
    const entity *e = &enterprise_code_signing_certificate_entity;
    made m = make(false, "Contoso Code Signing", 0, 30, "codeSigning");
    size_t n;
    const unsigned char *text = pem(a, m.x, &n);
    prop_value *v = body(e, base64(text, n), NULL);
    const char *message = NULL;
    cr_assert(e->derive(a, v, &message), "%s", message);
    cr_assert_null(value_of(e, v, "content"), "content reads null once parsed");
    cr_assert(v[entity_property_index(e, "content", 7)].present, "and is written as null");
    cr_assert_str_eq(value_of(e, v, "subject"), "CN=Contoso Code Signing,O=Contoso \xc3\x89lectronique,C=US",
                     "derived values override the body's");
    cr_assert_str_eq(value_of(e, v, "subjectName"), "Contoso Code Signing");
    cr_assert_str_eq(value_of(e, v, "status"), "provisioned");
    cr_assert_not_null(value_of(e, v, "uploadDateTime"));
    cr_assert_str_eq(value_of(e, v, "codeSigning"), "true");
    cr_assert_not_null(value_of(e, v, "certificateDer"));

    v = body(e, "aGVsbG8=", NULL);   /* "hello" */
    cr_assert(e->derive(a, v, &message));
    cr_assert_str_eq(value_of(e, v, "content"), "aGVsbG8=");
    cr_assert_str_eq(value_of(e, v, "subject"), "sent by the client");
    cr_assert_null(value_of(e, v, "certificateDer"), "the kept certificate is cleared");
    cr_assert(v[9].present, "and written as null");

    const entity *s = &symantec_code_signing_certificate_entity;
    const unsigned char *p = pfx(a, m, "s3cret", &n);
    v = body(s, base64(p, n), "wrong");
    cr_assert(!s->derive(a, v, &message));
    cr_assert(strstr(message, "'password'"), "%s", message);
    v = body(s, base64(p, n), "s3cret");
    cr_assert(s->derive(a, v, &message), "%s", message);
    cr_assert_str_eq(value_of(s, v, "subjectName"), "Contoso Code Signing");
    /* a PKCS#12 is no certificate for the enterprise collection: kept as sent */
    v = body(e, base64(p, n), NULL);
    cr_assert(e->derive(a, v, &message));
    cr_assert_not_null(value_of(e, v, "content"));
    unmake(m);
}
