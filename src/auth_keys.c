/* Verification keys for JWT checking: PEM public keys and certificates, or a JWKS document, read into
 * EVP_PKEYs and classified as RSA (RS256) or P-256 (ES256); plus the base64url, JSON-member and error
 * helpers auth.c shares with this file. All cryptography goes through OpenSSL EVP; JSON goes through yajl. */
#include "auth_keys.h"
#include "values.h"
#include "json.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define MAX_KEY_FILE   (1024 * 1024)
#define MIN_RSA_BITS   2048
#define P256_COORD_LEN 32               /* bytes in each of X and Y */
#define P256_POINT_LEN (1 + 2 * P256_COORD_LEN) /* 0x04 || X || Y */

typedef struct auth_key {
    EVP_PKEY *pkey;
    auth_keys_kind kind;
    char *kid;                  /* NULL when the source has none (PEM) */
} auth_key;

struct auth_keyset {
    auth_key *keys;
    size_t nkeys;
};

void auth_keys_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---------- JSON members ---------- */

/* Member lookup in an object; duplicate keys are refused at parse time, so the first hit is the only one. */
yajl_val auth_keys_obj_get(yajl_val obj, const char *key)
{
    return json_tree_member(obj, key);
}

const char *auth_keys_obj_get_string(yajl_val obj, const char *key)
{
    yajl_val v = auth_keys_obj_get(obj, key);
    return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

/* ---------- key loading ---------- */

static char *read_file(const char *path, size_t max, size_t *outlen, char *err, size_t errlen)
{
    FILE *f = NULL;
    char *buf = NULL, *result = NULL;
    size_t len = 0, cap = 0, n;

    f = fopen(path, "rb");
    if (!f) {
        auth_keys_set_err(err, errlen, "%s: cannot open", path);
        goto done;
    }
    for (;;) {
        if (cap - len < 4096) {
            char *grown;
            cap = cap ? cap * 2 : 8192;
            grown = realloc(buf, cap + 1);
            if (!grown) {
                auth_keys_set_err(err, errlen, "%s: out of memory", path);
                goto done;
            }
            buf = grown;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len > max) {
            auth_keys_set_err(err, errlen, "%s: larger than %zu bytes", path, max);
            goto done;
        }
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        auth_keys_set_err(err, errlen, "%s: read error", path);
        goto done;
    }
    buf[len] = '\0';
    *outlen = len;
    result = buf;
    buf = NULL;
done:
    if (f)
        fclose(f);
    free(buf);
    return result;
}

static bool is_p256(const EVP_PKEY *pkey)
{
    char group[80];
    size_t glen = 0;
    if (EVP_PKEY_get_group_name(pkey, group, sizeof group, &glen) != 1)
        return false;
    return OBJ_sn2nid(group) == NID_X9_62_prime256v1;
}

/* Decides which algorithm a key may serve; anything but RSA >= 2048 bits and P-256 is refused. */
bool auth_keys_classify(const EVP_PKEY *pkey, auth_keys_kind *kind, char *err, size_t errlen)
{
    const char *type;
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        if (EVP_PKEY_get_bits(pkey) < MIN_RSA_BITS) {
            auth_keys_set_err(err, errlen, "RSA key shorter than %d bits", MIN_RSA_BITS);
            return false;
        }
        *kind = AUTH_KEYS_RSA;
        return true;
    }
    if (EVP_PKEY_is_a(pkey, "EC")) {
        if (!is_p256(pkey)) {
            auth_keys_set_err(err, errlen, "EC key is not on curve P-256");
            return false;
        }
        *kind = AUTH_KEYS_EC;
        return true;
    }
    type = EVP_PKEY_get0_type_name(pkey);
    auth_keys_set_err(err, errlen, "unsupported key type %s", type ? type : "(unknown)");
    return false;
}

/* Appends a verification key; takes ownership of pkey whatever happens. */
static bool add_key(auth_keyset *ks, EVP_PKEY *pkey, const char *kid, char *err, size_t errlen)
{
    bool ok = false;
    char *kid_copy = NULL;
    auth_key *grown;
    auth_keys_kind kind;

    if (!auth_keys_classify(pkey, &kind, err, errlen))
        goto done;
    if (kid && !(kid_copy = strdup(kid))) {
        auth_keys_set_err(err, errlen, "out of memory");
        goto done;
    }
    grown = realloc(ks->keys, (ks->nkeys + 1) * sizeof *grown);
    if (!grown) {
        auth_keys_set_err(err, errlen, "out of memory");
        goto done;
    }
    ks->keys = grown;
    ks->keys[ks->nkeys].pkey = pkey;
    ks->keys[ks->nkeys].kind = kind;
    ks->keys[ks->nkeys].kid = kid_copy;
    ks->nkeys++;
    pkey = NULL;
    kid_copy = NULL;
    ok = true;
done:
    EVP_PKEY_free(pkey);
    free(kid_copy);
    return ok;
}

static bool is_supported_pem_block(const char *name)
{
    return strcmp(name, "PUBLIC KEY") == 0 || strcmp(name, "RSA PUBLIC KEY") == 0 ||
           strcmp(name, "CERTIFICATE") == 0;
}

static EVP_PKEY *pkey_from_pem_block(const char *name, const unsigned char *der, long derlen)
{
    const unsigned char *p = der;
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;

    if (strcmp(name, "PUBLIC KEY") == 0)
        pkey = d2i_PUBKEY(NULL, &p, derlen);
    else if (strcmp(name, "RSA PUBLIC KEY") == 0)
        pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, derlen);
    else if ((cert = d2i_X509(NULL, &p, derlen)) != NULL)
        pkey = X509_get_pubkey(cert);
    if (pkey && p != der + derlen) {   /* trailing bytes mean we misread the block */
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    X509_free(cert);
    return pkey;
}

static bool load_pem_keys(auth_keyset *ks, const char *text, size_t len, const char *path, char *err,
                          size_t errlen)
{
    bool ok = false;
    BIO *bio = NULL;
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long derlen = 0;

    ERR_clear_error();
    bio = BIO_new_mem_buf(text, (int)len);
    if (!bio) {
        auth_keys_set_err(err, errlen, "out of memory");
        goto done;
    }
    for (;;) {
        EVP_PKEY *pkey;
        if (!PEM_read_bio(bio, &name, &header, &der, &derlen)) {
            unsigned long e = ERR_peek_last_error();
            /* "no start line" is how PEM_read_bio reports the end of the input */
            ok = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
            if (!ok)
                auth_keys_set_err(err, errlen, "%s: unreadable PEM block", path);
            break;
        }
        if (!is_supported_pem_block(name)) {
            auth_keys_set_err(err, errlen, "%s: unsupported PEM block %.40s", path, name);
            goto done;
        }
        pkey = pkey_from_pem_block(name, der, derlen);
        if (!pkey) {
            auth_keys_set_err(err, errlen, "%s: invalid %.40s block", path, name);
            goto done;
        }
        if (!add_key(ks, pkey, NULL, err, errlen))
            goto done;
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
        name = header = NULL;
        der = NULL;
    }
done:
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    BIO_free(bio);
    ERR_clear_error();
    return ok;
}

/* Decodes the base64url member `field` of a JWK; NULL when absent, empty or invalid. */
static unsigned char *jwk_bytes(yajl_val jwk, const char *field, size_t *len)
{
    const char *s = auth_keys_obj_get_string(jwk, field);
    unsigned char *bytes;
    if (!s || !*s)
        return NULL;
    bytes = value_b64url_decode(s, strlen(s), len);
    if (bytes && *len == 0) {
        free(bytes);
        bytes = NULL;
    }
    return bytes;
}

static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static EVP_PKEY *jwk_rsa_key(yajl_val jwk)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    BIGNUM *n = NULL, *e = NULL;
    unsigned char *nb = NULL, *eb = NULL;
    size_t nlen = 0, elen = 0;

    nb = jwk_bytes(jwk, "n", &nlen);
    eb = jwk_bytes(jwk, "e", &elen);
    if (!nb || !eb)
        goto done;
    n = BN_bin2bn(nb, (int)nlen, NULL);
    e = BN_bin2bn(eb, (int)elen, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (!n || !e || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
        goto done;
    pkey = pkey_from_params("RSA", bld);
done:
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    free(nb);
    free(eb);
    return pkey;
}

static EVP_PKEY *jwk_p256_key(yajl_val jwk)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    unsigned char *x = NULL, *y = NULL;
    unsigned char point[P256_POINT_LEN];
    size_t xlen = 0, ylen = 0;

    x = jwk_bytes(jwk, "x", &xlen);
    y = jwk_bytes(jwk, "y", &ylen);
    if (!x || !y || xlen != P256_COORD_LEN || ylen != P256_COORD_LEN)   /* RFC 7518 6.2.1.2: full length */
        goto done;
    point[0] = 0x04;  /* uncompressed point */
    memcpy(point + 1, x, P256_COORD_LEN);
    memcpy(point + 1 + P256_COORD_LEN, y, P256_COORD_LEN);
    bld = OSSL_PARAM_BLD_new();
    if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point))
        goto done;
    pkey = pkey_from_params("EC", bld);   /* fromdata rejects points off the curve */
done:
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return pkey;
}

/* Keys meant for encryption, for another algorithm, or of a type we cannot use are skipped, not fatal:
 * published key sets often carry such entries next to the signing keys. */
static bool jwk_is_usable(yajl_val jwk, const char *kty)
{
    const char *use = auth_keys_obj_get_string(jwk, "use");
    const char *alg = auth_keys_obj_get_string(jwk, "alg");
    const char *crv = auth_keys_obj_get_string(jwk, "crv");

    if (use && strcmp(use, "sig") != 0)
        return false;
    if (strcmp(kty, "RSA") == 0)
        return !alg || strcmp(alg, "RS256") == 0;
    if (strcmp(kty, "EC") == 0)
        return crv && strcmp(crv, "P-256") == 0 && (!alg || strcmp(alg, "ES256") == 0);
    return false;
}

static bool load_jwks_keys(auth_keyset *ks, const char *text, const char *path, char *err, size_t errlen)
{
    bool ok = false;
    yajl_val root, keys;
    size_t i;

    root = yajl_tree_parse(text, NULL, 0);
    keys = auth_keys_obj_get(root, "keys");
    if (!YAJL_IS_ARRAY(keys)) {
        auth_keys_set_err(err, errlen, "%s: not a JWKS document (no \"keys\" array)", path);
        goto done;
    }
    for (i = 0; i < keys->u.array.len; i++) {
        yajl_val jwk = keys->u.array.values[i];
        const char *kty = auth_keys_obj_get_string(jwk, "kty");
        EVP_PKEY *pkey;

        if (!kty || !jwk_is_usable(jwk, kty))
            continue;
        pkey = strcmp(kty, "RSA") == 0 ? jwk_rsa_key(jwk) : jwk_p256_key(jwk);
        if (!pkey) {
            auth_keys_set_err(err, errlen, "%s: key %zu is an invalid %s key", path, i, kty);
            goto done;
        }
        if (!add_key(ks, pkey, auth_keys_obj_get_string(jwk, "kid"), err, errlen))
            goto done;
    }
    ok = true;
done:
    yajl_tree_free(root);
    ERR_clear_error();
    return ok;
}

/* The format is decided by content: a JSON object is a JWKS, anything with a PEM armour line is PEM. */
static bool load_keys_file(auth_keyset *ks, const char *path, char *err, size_t errlen)
{
    bool ok = false;
    size_t len = 0;
    char *text = read_file(path, MAX_KEY_FILE, &len, err, errlen);
    const char *p = text;

    if (!text)
        goto done;
    if (strlen(text) != len) {
        auth_keys_set_err(err, errlen, "%s: binary data in key file", path);
        goto done;
    }
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    if (*p == '{')
        ok = load_jwks_keys(ks, text, path, err, errlen);
    else if (strstr(text, "-----BEGIN "))
        ok = load_pem_keys(ks, text, len, path, err, errlen);
    else
        auth_keys_set_err(err, errlen, "%s: neither PEM nor JWKS", path);
    if (ok && ks->nkeys == 0) {
        auth_keys_set_err(err, errlen, "%s: no usable RS256 or ES256 keys", path);
        ok = false;
    }
done:
    free(text);
    return ok;
}

/* ---------- the key set ---------- */

auth_keyset *auth_keys_load(const char *path, char *err, size_t errlen)
{
    auth_keyset *ks = calloc(1, sizeof *ks);

    if (!ks) {
        auth_keys_set_err(err, errlen, "out of memory");
        return NULL;
    }
    if (!load_keys_file(ks, path, err, errlen)) {
        auth_keys_free(ks);
        return NULL;
    }
    return ks;
}

void auth_keys_free(auth_keyset *ks)
{
    size_t i;
    if (!ks)
        return;
    for (i = 0; i < ks->nkeys; i++) {
        EVP_PKEY_free(ks->keys[i].pkey);
        free(ks->keys[i].kid);
    }
    free(ks->keys);
    free(ks);
}

size_t auth_keys_count(const auth_keyset *ks)
{
    return ks ? ks->nkeys : 0;
}

bool auth_keys_has_kind(const auth_keyset *ks, auth_keys_kind kind)
{
    size_t i;
    for (i = 0; ks && i < ks->nkeys; i++)
        if (ks->keys[i].kind == kind)
            return true;
    return false;
}

/* A kid naming one of our keys pins verification to that key; otherwise every key of the kind is tried. */
EVP_PKEY *auth_keys_lookup(const auth_keyset *ks, auth_keys_kind kind, const char *kid, size_t *pos)
{
    bool kid_known = false;
    size_t i;

    for (i = 0; ks && kid && i < ks->nkeys; i++)
        if (ks->keys[i].kind == kind && ks->keys[i].kid && strcmp(ks->keys[i].kid, kid) == 0)
            kid_known = true;
    while (ks && *pos < ks->nkeys) {
        const auth_key *key = &ks->keys[(*pos)++];
        if (key->kind != kind)
            continue;
        if (kid_known && (!key->kid || strcmp(key->kid, kid) != 0))
            continue;
        return key->pkey;
    }
    return NULL;
}
