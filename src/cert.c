#include "cert.h"
#include "values.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* RFC 4514 with UTF-8 kept as UTF-8 (not escaped), most specific first. */
static const char *name_text(arena *a, const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio) return NULL;
    const char *text = NULL;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        char *data;
        long len = BIO_get_mem_data(bio, &data);
        text = arena_strndup(a, data, len > 0 ? (size_t)len : 0);
    }
    BIO_free(bio);
    return text;
}

static const char *common_name(arena *a, const X509_NAME *name)
{
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (i < 0) return NULL;
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (len < 0) return NULL;
    const char *cn = arena_strndup(a, (const char *)utf8, (size_t)len);
    OPENSSL_free(utf8);
    return cn;
}

static const char *instant(arena *a, const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return NULL;
    return arena_printf(a, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                        tm.tm_min, tm.tm_sec);
}

static const char *digest(arena *a, const X509 *x, const EVP_MD *md)
{
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    return X509_digest(x, md, buf, &n) == 1 ? value_hex(a, buf, n) : NULL;
}

static const char *serial(arena *a, const X509 *x)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *h = bn ? BN_bn2hex(bn) : NULL;
    const char *out = h ? arena_strdup(a, h) : NULL;
    OPENSSL_free(h);
    BN_free(bn);
    return out;
}

static const char *der_base64(arena *a, X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    if (n <= 0) return NULL;
    const char *b64 = value_base64_encode(a, der, (size_t)n);
    OPENSSL_free(der);
    return b64;
}

static bool describe(arena *a, X509 *x, cert_info *out)
{
    memset(out, 0, sizeof *out);
    out->subject = name_text(a, X509_get_subject_name(x));
    out->issuer = name_text(a, X509_get_issuer_name(x));
    out->subject_cn = common_name(a, X509_get_subject_name(x));
    out->issuer_cn = common_name(a, X509_get_issuer_name(x));
    out->not_before = instant(a, X509_get0_notBefore(x));
    out->not_after = instant(a, X509_get0_notAfter(x));
    out->der_base64 = der_base64(a, x);
    out->sha1 = digest(a, x, EVP_sha1());
    out->sha256 = digest(a, x, EVP_sha256());
    out->serial = serial(a, x);
    EVP_PKEY *key = X509_get0_pubkey(x);
    if (key) {
        int id = EVP_PKEY_get_base_id(key);
        const char *sn = OBJ_nid2sn(id);
        out->key_algorithm = id == EVP_PKEY_RSA ? "RSA" : id == EVP_PKEY_EC ? "EC" : sn ? arena_strdup(a, sn) : "unknown";
        out->key_bits = EVP_PKEY_get_bits(key);
    }
    /* absent extendedKeyUsage means "any" to a verifier, but the upload does not carry codeSigning */
    out->code_signing = (X509_get_extension_flags(x) & EXFLAG_XKUSAGE) && (X509_get_extended_key_usage(x) & XKU_CODE_SIGN);
    return out->subject && out->issuer && out->not_after && out->not_before && out->der_base64 && out->sha1 &&
           out->sha256 && out->serial;
}

/* One DER certificate that is the whole input (trailing bytes are not a certificate upload). */
static X509 *read_der(const unsigned char *data, size_t n)
{
    const unsigned char *p = data;
    X509 *x = d2i_X509(NULL, &p, (long)n);
    if (x && p != data + n) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

static X509 *read_pem(const unsigned char *data, size_t n)
{
    if (n < 27 || !memmem(data, n, "-----BEGIN", 10)) return NULL;
    BIO *bio = BIO_new_mem_buf(data, (int)n);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return x;
}

/* A PKCS#12: its certificate (the one matching its key, else the first), or *bad_password. */
static X509 *read_pkcs12(const unsigned char *data, size_t n, const char *password, bool *bad_password)
{
    *bad_password = false;
    const unsigned char *p = data;
    PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)n);
    if (!p12) return NULL;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    STACK_OF(X509) *chain = NULL;
    /* PKCS12_parse checks the MAC first (an empty password also tries none): a file that decodes as
     * PKCS#12 and does not open is a wrong password */
    if (PKCS12_parse(p12, password ? password : "", &key, &cert, &chain) != 1) {
        *bad_password = true;
    } else if (!cert && chain && sk_X509_num(chain) > 0) {
        cert = sk_X509_shift(chain);
    }
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    PKCS12_free(p12);
    return cert;
}

cert_result cert_parse(arena *a, const unsigned char *data, size_t n, bool allow_pkcs12, const char *password,
                       cert_info *out)
{
    if (n == 0 || n > INT_MAX) return CERT_NONE;
    X509 *x = read_der(data, n);
    if (!x) x = read_pem(data, n);
    cert_result result = CERT_NONE;
    if (!x && allow_pkcs12) {
        /* Exports from Windows and older tools encrypt with RC2 or 3DES: OpenSSL 3 keeps RC2 in its
         * legacy provider, loaded once beside the default one. */
        static OSSL_PROVIDER *legacy;   /* loaded once, kept for the life of the process */
        static bool tried;
        if (!tried) {
            tried = true;
            legacy = OSSL_PROVIDER_try_load(NULL, "legacy", 1);
            if (!legacy) ERR_clear_error();   /* without it, RC2-encrypted files do not open */
        }
        bool bad_password;
        x = read_pkcs12(data, n, password, &bad_password);
        if (bad_password) result = CERT_BAD_PASSWORD;
    }
    if (x && describe(a, x, out)) result = CERT_OK;
    X509_free(x);
    ERR_clear_error();   /* what did not parse leaves OpenSSL's queue as it found it */
    return result;
}
