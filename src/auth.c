/* JWT bearer verification (RS256, ES256, HS256) and dev-token signing.
 * All cryptography goes through OpenSSL EVP; JSON goes through yajl. */
#include "auth.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define MAX_TOKEN_LEN  16384            /* longer bearer tokens are rejected outright */
#define MAX_KEY_FILE   (1024 * 1024)
#define MAX_SKEW       86400            /* keeps now +/- skew far from overflow */
#define MIN_RSA_BITS   2048
#define ES256_HALF     32               /* bytes in each of R and S */
#define ES256_SIG_LEN  (2 * ES256_HALF)
#define HS256_LEN      32
#define P256_POINT_LEN (1 + 2 * ES256_HALF) /* 0x04 || X || Y */
#define GUID_LEN       36
#define TENANT_PLACEHOLDER "{tenantid}"

typedef enum key_kind { KEY_RSA, KEY_EC } key_kind;
typedef enum jwt_alg { ALG_RS256, ALG_ES256, ALG_HS256 } jwt_alg;

typedef struct auth_key {
    EVP_PKEY *pkey;
    key_kind kind;
    char *kid;                  /* NULL when the source has none (PEM) */
} auth_key;

struct auth_config {
    auth_key *keys;
    size_t nkeys;
    unsigned char *secret;      /* HS256 secret, NULL when HS256 is disabled */
    size_t secret_len;
    char *issuer;
    char **audiences;
    size_t naudiences;
    int skew;
};

/* A split and decoded compact JWT. */
typedef struct jwt_parts {
    const char *signing_input;  /* "header.payload" exactly as received */
    size_t signing_len;
    yajl_val header;
    yajl_val payload;
    unsigned char *sig;
    size_t sig_len;
} jwt_parts;

__attribute__((format(printf, 3, 4)))
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---------- base64url ---------- */

static bool is_b64url_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Decodes unpadded base64url. The result is NUL-terminated so JSON parts can go straight to yajl. */
static unsigned char *b64url_decode(const char *in, size_t len, size_t *outlen)
{
    unsigned char *out = NULL, *result = NULL;
    char *std = NULL;
    size_t pad = (4 - len % 4) % 4, i;
    int n;

    if (len % 4 == 1 || len > INT_MAX / 2)
        goto done;
    std = malloc(len + pad + 1);
    out = malloc((len + pad) / 4 * 3 + 1);
    if (!std || !out)
        goto done;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (!is_b64url_char(c))
            goto done;
        std[i] = c == '-' ? '+' : c == '_' ? '/' : (char)c;
    }
    memset(std + len, '=', pad);
    std[len + pad] = '\0';
    n = EVP_DecodeBlock(out, (const unsigned char *)std, (int)(len + pad));
    if (n < 0 || (size_t)n < pad)
        goto done;
    *outlen = (size_t)n - pad;   /* EVP_DecodeBlock counts the padding as zero bytes */
    out[*outlen] = '\0';
    result = out;
    out = NULL;
done:
    free(std);
    free(out);
    return result;
}

static char *b64url_encode(const unsigned char *in, size_t len)
{
    char *out;
    int n, i;

    if (len > INT_MAX / 2)
        return NULL;
    out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        return NULL;
    n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (i = 0; i < n; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    }
    return out;
}

/* ---------- small string and JSON helpers ---------- */

static char *join3(const char *a, const char *sep, const char *b)
{
    size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
    char *out = malloc(la + ls + lb + 1);
    if (!out)
        return NULL;
    memcpy(out, a, la);
    memcpy(out + la, sep, ls);
    memcpy(out + la + ls, b, lb + 1);
    return out;
}

/* Member lookup in an object; duplicate keys are refused at parse time, so the first hit is the only one. */
static yajl_val obj_get(yajl_val obj, const char *key)
{
    size_t i;
    if (!YAJL_IS_OBJECT(obj))
        return NULL;
    for (i = 0; i < obj->u.object.len; i++)
        if (strcmp(obj->u.object.keys[i], key) == 0)
            return obj->u.object.values[i];
    return NULL;
}

static const char *obj_get_string(yajl_val obj, const char *key)
{
    yajl_val v = obj_get(obj, key);
    return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

/* Two parsers disagreeing on which duplicate wins is a classic token-smuggling trick: refuse them. */
static bool has_duplicate_keys(yajl_val obj)
{
    size_t i, j, n = obj->u.object.len;
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            if (strcmp(obj->u.object.keys[i], obj->u.object.keys[j]) == 0)
                return true;
    return false;
}

/* Parses text (of exactly len bytes) as a JSON object without duplicate top-level keys. */
static yajl_val parse_json_object(const char *text, size_t len)
{
    yajl_val v;
    if (strlen(text) != len)    /* an embedded NUL would hide the rest from yajl */
        return NULL;
    v = yajl_tree_parse(text, NULL, 0);
    if (!YAJL_IS_OBJECT(v) || has_duplicate_keys(v)) {
        yajl_tree_free(v);
        return NULL;
    }
    return v;
}

/* Printable ASCII without spaces: what we let through into scopes and app ids. */
static bool is_token_word(const char *s, size_t n)
{
    size_t i;
    if (n == 0)
        return false;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

/* ---------- key loading ---------- */

static char *read_file(const char *path, size_t max, size_t *outlen, char *err, size_t errlen)
{
    FILE *f = NULL;
    char *buf = NULL, *result = NULL;
    size_t len = 0, cap = 0, n;

    f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "%s: cannot open", path);
        goto done;
    }
    for (;;) {
        if (cap - len < 4096) {
            char *grown;
            cap = cap ? cap * 2 : 8192;
            grown = realloc(buf, cap + 1);
            if (!grown) {
                set_err(err, errlen, "%s: out of memory", path);
                goto done;
            }
            buf = grown;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len > max) {
            set_err(err, errlen, "%s: larger than %zu bytes", path, max);
            goto done;
        }
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        set_err(err, errlen, "%s: read error", path);
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
static bool classify_key(const EVP_PKEY *pkey, key_kind *kind, char *err, size_t errlen)
{
    const char *type;
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        if (EVP_PKEY_get_bits(pkey) < MIN_RSA_BITS) {
            set_err(err, errlen, "RSA key shorter than %d bits", MIN_RSA_BITS);
            return false;
        }
        *kind = KEY_RSA;
        return true;
    }
    if (EVP_PKEY_is_a(pkey, "EC")) {
        if (!is_p256(pkey)) {
            set_err(err, errlen, "EC key is not on curve P-256");
            return false;
        }
        *kind = KEY_EC;
        return true;
    }
    type = EVP_PKEY_get0_type_name(pkey);
    set_err(err, errlen, "unsupported key type %s", type ? type : "(unknown)");
    return false;
}

/* Appends a verification key; takes ownership of pkey whatever happens. */
static bool add_key(auth_config *cfg, EVP_PKEY *pkey, const char *kid, char *err, size_t errlen)
{
    bool ok = false;
    char *kid_copy = NULL;
    auth_key *grown;
    key_kind kind;

    if (!classify_key(pkey, &kind, err, errlen))
        goto done;
    if (kid && !(kid_copy = strdup(kid))) {
        set_err(err, errlen, "out of memory");
        goto done;
    }
    grown = realloc(cfg->keys, (cfg->nkeys + 1) * sizeof *grown);
    if (!grown) {
        set_err(err, errlen, "out of memory");
        goto done;
    }
    cfg->keys = grown;
    cfg->keys[cfg->nkeys].pkey = pkey;
    cfg->keys[cfg->nkeys].kind = kind;
    cfg->keys[cfg->nkeys].kid = kid_copy;
    cfg->nkeys++;
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

static bool load_pem_keys(auth_config *cfg, const char *text, size_t len, const char *path, char *err,
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
        set_err(err, errlen, "out of memory");
        goto done;
    }
    for (;;) {
        EVP_PKEY *pkey;
        if (!PEM_read_bio(bio, &name, &header, &der, &derlen)) {
            unsigned long e = ERR_peek_last_error();
            /* "no start line" is how PEM_read_bio reports the end of the input */
            ok = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
            if (!ok)
                set_err(err, errlen, "%s: unreadable PEM block", path);
            break;
        }
        if (!is_supported_pem_block(name)) {
            set_err(err, errlen, "%s: unsupported PEM block %.40s", path, name);
            goto done;
        }
        pkey = pkey_from_pem_block(name, der, derlen);
        if (!pkey) {
            set_err(err, errlen, "%s: invalid %.40s block", path, name);
            goto done;
        }
        if (!add_key(cfg, pkey, NULL, err, errlen))
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
    const char *s = obj_get_string(jwk, field);
    unsigned char *bytes;
    if (!s || !*s)
        return NULL;
    bytes = b64url_decode(s, strlen(s), len);
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
    if (!x || !y || xlen != ES256_HALF || ylen != ES256_HALF)   /* RFC 7518 6.2.1.2: full length */
        goto done;
    point[0] = 0x04;  /* uncompressed point */
    memcpy(point + 1, x, ES256_HALF);
    memcpy(point + 1 + ES256_HALF, y, ES256_HALF);
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
    const char *use = obj_get_string(jwk, "use");
    const char *alg = obj_get_string(jwk, "alg");
    const char *crv = obj_get_string(jwk, "crv");

    if (use && strcmp(use, "sig") != 0)
        return false;
    if (strcmp(kty, "RSA") == 0)
        return !alg || strcmp(alg, "RS256") == 0;
    if (strcmp(kty, "EC") == 0)
        return crv && strcmp(crv, "P-256") == 0 && (!alg || strcmp(alg, "ES256") == 0);
    return false;
}

static bool load_jwks_keys(auth_config *cfg, const char *text, const char *path, char *err, size_t errlen)
{
    bool ok = false;
    yajl_val root, keys;
    size_t i;

    root = yajl_tree_parse(text, NULL, 0);
    keys = obj_get(root, "keys");
    if (!YAJL_IS_ARRAY(keys)) {
        set_err(err, errlen, "%s: not a JWKS document (no \"keys\" array)", path);
        goto done;
    }
    for (i = 0; i < keys->u.array.len; i++) {
        yajl_val jwk = keys->u.array.values[i];
        const char *kty = obj_get_string(jwk, "kty");
        EVP_PKEY *pkey;

        if (!kty || !jwk_is_usable(jwk, kty))
            continue;
        pkey = strcmp(kty, "RSA") == 0 ? jwk_rsa_key(jwk) : jwk_p256_key(jwk);
        if (!pkey) {
            set_err(err, errlen, "%s: key %zu is an invalid %s key", path, i, kty);
            goto done;
        }
        if (!add_key(cfg, pkey, obj_get_string(jwk, "kid"), err, errlen))
            goto done;
    }
    ok = true;
done:
    yajl_tree_free(root);
    ERR_clear_error();
    return ok;
}

/* The format is decided by content: a JSON object is a JWKS, anything with a PEM armour line is PEM. */
static bool load_keys_file(auth_config *cfg, const char *path, char *err, size_t errlen)
{
    bool ok = false;
    size_t len = 0;
    char *text = read_file(path, MAX_KEY_FILE, &len, err, errlen);
    const char *p = text;

    if (!text)
        goto done;
    if (strlen(text) != len) {
        set_err(err, errlen, "%s: binary data in key file", path);
        goto done;
    }
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    if (*p == '{')
        ok = load_jwks_keys(cfg, text, path, err, errlen);
    else if (strstr(text, "-----BEGIN "))
        ok = load_pem_keys(cfg, text, len, path, err, errlen);
    else
        set_err(err, errlen, "%s: neither PEM nor JWKS", path);
    if (ok && cfg->nkeys == 0) {
        set_err(err, errlen, "%s: no usable RS256 or ES256 keys", path);
        ok = false;
    }
done:
    free(text);
    return ok;
}

static bool load_audiences(auth_config *cfg, const char *list, char *err, size_t errlen)
{
    const char *p = list ? list : "";

    while (*p) {
        size_t n;
        char **grown;
        while (*p == ' ' || *p == '\t')
            p++;
        n = strcspn(p, " \t");
        if (n == 0)
            break;
        grown = realloc(cfg->audiences, (cfg->naudiences + 1) * sizeof *grown);
        if (!grown)
            goto oom;
        cfg->audiences = grown;
        if (!(cfg->audiences[cfg->naudiences] = strndup(p, n)))
            goto oom;
        cfg->naudiences++;
        p += n;
    }
    if (cfg->naudiences == 0) {
        set_err(err, errlen, "no audiences configured");
        return false;
    }
    return true;
oom:
    set_err(err, errlen, "out of memory");
    return false;
}

auth_config *auth_config_load(const auth_settings *s, char *err, size_t errlen)
{
    auth_config *cfg = NULL, *result = NULL;

    if (!s) {
        set_err(err, errlen, "no settings");
        goto done;
    }
    cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        set_err(err, errlen, "out of memory");
        goto done;
    }
    if (s->skew_seconds < 0 || s->skew_seconds > MAX_SKEW) {
        set_err(err, errlen, "clock skew must be between 0 and %d seconds", MAX_SKEW);
        goto done;
    }
    cfg->skew = s->skew_seconds;
    if (!s->issuer || !*s->issuer) {
        set_err(err, errlen, "no issuer configured");
        goto done;
    }
    if (!(cfg->issuer = strdup(s->issuer))) {
        set_err(err, errlen, "out of memory");
        goto done;
    }
    if (!load_audiences(cfg, s->audiences, err, errlen))
        goto done;
    if (s->hs256_secret && *s->hs256_secret) {
        cfg->secret_len = strlen(s->hs256_secret);
        if (!(cfg->secret = OPENSSL_memdup(s->hs256_secret, cfg->secret_len))) {
            set_err(err, errlen, "out of memory");
            goto done;
        }
    }
    if (s->keys_path && *s->keys_path && !load_keys_file(cfg, s->keys_path, err, errlen))
        goto done;
    if (cfg->nkeys == 0 && !cfg->secret) {
        set_err(err, errlen, "no verification keys and no HS256 secret configured");
        goto done;
    }
    result = cfg;
    cfg = NULL;
done:
    auth_config_free(cfg);
    return result;
}

void auth_config_free(auth_config *cfg)
{
    size_t i;
    if (!cfg)
        return;
    for (i = 0; i < cfg->nkeys; i++) {
        EVP_PKEY_free(cfg->keys[i].pkey);
        free(cfg->keys[i].kid);
    }
    free(cfg->keys);
    for (i = 0; i < cfg->naudiences; i++)
        free(cfg->audiences[i]);
    free(cfg->audiences);
    OPENSSL_clear_free(cfg->secret, cfg->secret_len);
    free(cfg->issuer);
    free(cfg);
}

/* ---------- token parsing ---------- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Finds the token in "Bearer <token>"; the scheme is case-insensitive (RFC 7235). */
static auth_result extract_bearer(const char *authorization, const char **tok, size_t *len)
{
    const char *p = authorization, *t;
    size_t n = 0;

    if (!p)
        return AUTH_MISSING;
    while (is_blank(*p))
        p++;
    if (strncasecmp(p, "Bearer", 6) != 0 || !is_blank(p[6]))
        return AUTH_MISSING;
    p += 6;
    while (is_blank(*p))
        p++;
    t = p;
    while (t[n] && !is_blank(t[n])) {
        if (++n > MAX_TOKEN_LEN)
            return AUTH_MALFORMED;
    }
    if (n == 0)
        return AUTH_MISSING;
    for (p = t + n; is_blank(*p); p++)
        ;
    if (*p)                     /* a second word after the token */
        return AUTH_MALFORMED;
    *tok = t;
    *len = n;
    return AUTH_OK;
}

static yajl_val decode_json_part(const char *part, size_t len)
{
    size_t jlen = 0;
    unsigned char *json = b64url_decode(part, len, &jlen);
    yajl_val v = json ? parse_json_object((const char *)json, jlen) : NULL;
    free(json);
    return v;
}

static void jwt_free(jwt_parts *jwt)
{
    yajl_tree_free(jwt->header);
    yajl_tree_free(jwt->payload);
    free(jwt->sig);
    memset(jwt, 0, sizeof *jwt);
}

static auth_result parse_token(const char *tok, size_t len, jwt_parts *jwt)
{
    const char *end = tok + len, *d1, *d2;

    d1 = memchr(tok, '.', len);
    d2 = d1 ? memchr(d1 + 1, '.', (size_t)(end - d1 - 1)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', (size_t)(end - d2 - 1)))
        return AUTH_MALFORMED;
    jwt->signing_input = tok;
    jwt->signing_len = (size_t)(d2 - tok);
    jwt->header = decode_json_part(tok, (size_t)(d1 - tok));
    jwt->payload = decode_json_part(d1 + 1, (size_t)(d2 - d1 - 1));
    jwt->sig = b64url_decode(d2 + 1, (size_t)(end - d2 - 1), &jwt->sig_len);
    if (!jwt->header || !jwt->payload || !jwt->sig)
        return AUTH_MALFORMED;
    /* "crit" names extensions the verifier must understand; we understand none (RFC 7515 4.1.11) */
    if (obj_get(jwt->header, "crit"))
        return AUTH_MALFORMED;
    return AUTH_OK;
}

/* ---------- algorithm and signature ---------- */

static bool has_key_kind(const auth_config *cfg, key_kind kind)
{
    size_t i;
    for (i = 0; i < cfg->nkeys; i++)
        if (cfg->keys[i].kind == kind)
            return true;
    return false;
}

/* Only algorithms backed by configured material are accepted, so a public key can never
 * end up as an HMAC secret (the RS256->HS256 confusion attack). */
static auth_result select_alg(const auth_config *cfg, yajl_val header, jwt_alg *alg)
{
    const char *name = obj_get_string(header, "alg");

    if (!name)
        return AUTH_ALG_REFUSED;
    if (strcmp(name, "RS256") == 0 && has_key_kind(cfg, KEY_RSA))
        *alg = ALG_RS256;
    else if (strcmp(name, "ES256") == 0 && has_key_kind(cfg, KEY_EC))
        *alg = ALG_ES256;
    else if (strcmp(name, "HS256") == 0 && cfg->secret)
        *alg = ALG_HS256;
    else
        return AUTH_ALG_REFUSED;
    return AUTH_OK;
}

/* JWS carries ECDSA signatures as raw R||S; EVP wants DER. */
static unsigned char *es256_raw_to_der(const unsigned char *raw, size_t *derlen)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, ES256_HALF, NULL);
    BIGNUM *s = BN_bin2bn(raw + ES256_HALF, ES256_HALF, NULL);
    unsigned char *der = NULL;
    int n;

    if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1)
        goto done;
    r = s = NULL;   /* now owned by sig */
    n = i2d_ECDSA_SIG(sig, &der);
    if (n <= 0) {
        OPENSSL_free(der);
        der = NULL;
        goto done;
    }
    *derlen = (size_t)n;
done:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return der;
}

static bool evp_verify(EVP_PKEY *pkey, const unsigned char *data, size_t dlen, const unsigned char *sig,
                       size_t slen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1 &&
              EVP_DigestVerify(ctx, sig, slen, data, dlen) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

static bool hs256_verify(const auth_config *cfg, const jwt_parts *jwt)
{
    unsigned char mac[HS256_LEN];
    size_t maclen = 0;

    if (jwt->sig_len != HS256_LEN)
        return false;
    if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, cfg->secret, cfg->secret_len,
                   (const unsigned char *)jwt->signing_input, jwt->signing_len, mac, sizeof mac, &maclen) ||
        maclen != HS256_LEN)
        return false;
    return CRYPTO_memcmp(mac, jwt->sig, HS256_LEN) == 0;
}

/* A kid naming one of our keys pins verification to that key; otherwise every key of the kind is tried. */
static bool verify_with_keys(const auth_config *cfg, key_kind kind, const char *kid, const jwt_parts *jwt,
                             const unsigned char *sig, size_t slen)
{
    const unsigned char *data = (const unsigned char *)jwt->signing_input;
    bool kid_known = false;
    size_t i;

    for (i = 0; kid && i < cfg->nkeys; i++)
        if (cfg->keys[i].kind == kind && cfg->keys[i].kid && strcmp(cfg->keys[i].kid, kid) == 0)
            kid_known = true;
    for (i = 0; i < cfg->nkeys; i++) {
        const auth_key *key = &cfg->keys[i];
        if (key->kind != kind)
            continue;
        if (kid_known && (!key->kid || strcmp(key->kid, kid) != 0))
            continue;
        if (evp_verify(key->pkey, data, jwt->signing_len, sig, slen))
            return true;
    }
    return false;
}

static auth_result check_signature(const auth_config *cfg, jwt_alg alg, const jwt_parts *jwt)
{
    const char *kid = obj_get_string(jwt->header, "kid");
    unsigned char *der = NULL;
    size_t derlen = 0;
    bool ok = false;

    switch (alg) {
    case ALG_HS256:
        ok = hs256_verify(cfg, jwt);
        break;
    case ALG_RS256:
        ok = verify_with_keys(cfg, KEY_RSA, kid, jwt, jwt->sig, jwt->sig_len);
        break;
    case ALG_ES256:
        if (jwt->sig_len == ES256_SIG_LEN && (der = es256_raw_to_der(jwt->sig, &derlen)))
            ok = verify_with_keys(cfg, KEY_EC, kid, jwt, der, derlen);
        break;
    }
    OPENSSL_free(der);
    ERR_clear_error();   /* failed verifications leave entries we do not report */
    return ok ? AUTH_OK : AUTH_BAD_SIGNATURE;
}

/* ---------- claims ---------- */

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Accepts 8-4-4-4-12 hex in any case and stores it lowercased. */
static bool copy_guid(const char *s, char out[GUID_LEN + 1])
{
    size_t i;
    if (!s || strlen(s) != GUID_LEN)
        return false;
    for (i = 0; i < GUID_LEN; i++) {
        bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash_here ? s[i] != '-' : !is_hex(s[i]))
            return false;
        out[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] - 'A' + 'a') : s[i];
    }
    out[GUID_LEN] = '\0';
    return true;
}

/* A JWT NumericDate: integer or fractional seconds; huge values are clamped, not overflowed. */
static bool numeric_date(yajl_val v, long long *out)
{
    double d;
    if (YAJL_IS_INTEGER(v)) {
        *out = YAJL_GET_INTEGER(v);
        return true;
    }
    if (!YAJL_IS_DOUBLE(v))
        return false;
    d = YAJL_GET_DOUBLE(v);
    if (d >= 9.0e18)
        *out = LLONG_MAX;
    else if (d <= -9.0e18)
        *out = LLONG_MIN;
    else
        *out = (long long)d;
    return true;
}

static bool audience_configured(const auth_config *cfg, const char *aud)
{
    size_t i;
    for (i = 0; aud && i < cfg->naudiences; i++)
        if (strcmp(cfg->audiences[i], aud) == 0)
            return true;
    return false;
}

static bool audience_accepted(const auth_config *cfg, yajl_val aud)
{
    size_t i;
    if (YAJL_IS_STRING(aud))
        return audience_configured(cfg, aud->u.string);
    if (!YAJL_IS_ARRAY(aud))
        return false;
    for (i = 0; i < aud->u.array.len; i++)
        if (audience_configured(cfg, YAJL_GET_STRING(aud->u.array.values[i])))
            return true;
    return false;
}

/* Compares iss against the configured template with every {tenantid} read as the token's tid. */
static bool issuer_matches(const char *tmpl, const char *tid, const char *iss)
{
    const size_t plen = strlen(TENANT_PLACEHOLDER), tlen = strlen(tid);

    if (!iss)
        return false;
    while (*tmpl) {
        if (strncmp(tmpl, TENANT_PLACEHOLDER, plen) == 0) {
            if (strncmp(iss, tid, tlen) != 0)
                return false;
            tmpl += plen;
            iss += tlen;
        } else if (*tmpl++ != *iss++) {
            return false;
        }
    }
    return *iss == '\0';
}

static auth_result check_claims(const auth_config *cfg, yajl_val claims, time_t now, auth_identity *id)
{
    long long exp = 0, nbf = 0;
    yajl_val nbf_val = obj_get(claims, "nbf");

    if (!copy_guid(obj_get_string(claims, "tid"), id->tenant))
        return AUTH_NO_TENANT;
    if (!numeric_date(obj_get(claims, "exp"), &exp) || (long long)now - cfg->skew > exp)
        return AUTH_EXPIRED;
    if (nbf_val && (!numeric_date(nbf_val, &nbf) || (long long)now + cfg->skew < nbf))
        return AUTH_NOT_YET_VALID;
    if (!audience_accepted(cfg, obj_get(claims, "aud")))
        return AUTH_BAD_AUDIENCE;
    if (!issuer_matches(cfg->issuer, id->tenant, obj_get_string(claims, "iss")))
        return AUTH_BAD_ISSUER;
    id->exp = exp;
    return AUTH_OK;
}

/* Whole words only: a scope cut in half could name a different permission. */
static void append_word(char *buf, size_t cap, const char *word, size_t n)
{
    size_t used = strlen(buf), sep = used ? 1 : 0;

    if (!is_token_word(word, n) || used + sep + n >= cap)
        return;
    if (sep)
        buf[used++] = ' ';
    memcpy(buf + used, word, n);
    buf[used + n] = '\0';
}

static void collect_scopes(yajl_val claims, char *buf, size_t cap)
{
    const char *scp = obj_get_string(claims, "scp");
    yajl_val roles = obj_get(claims, "roles");
    size_t i;

    buf[0] = '\0';
    while (scp && *scp) {
        size_t n = strcspn(scp, " ");
        append_word(buf, cap, scp, n);
        scp += n;
        while (*scp == ' ')
            scp++;
    }
    for (i = 0; YAJL_IS_ARRAY(roles) && i < roles->u.array.len; i++) {
        const char *role = YAJL_GET_STRING(roles->u.array.values[i]);
        if (role)
            append_word(buf, cap, role, strlen(role));
    }
}

static void copy_app(yajl_val claims, char *buf, size_t cap)
{
    const char *app = obj_get_string(claims, "appid");
    if (!app)
        app = obj_get_string(claims, "azp");
    buf[0] = '\0';
    if (app)
        append_word(buf, cap, app, strlen(app));   /* left empty when too long or odd */
}

auth_result auth_verify(const auth_config *cfg, const char *authorization, time_t now, auth_identity *out)
{
    auth_identity id;
    jwt_parts jwt;
    const char *tok = NULL;
    size_t len = 0;
    jwt_alg alg = ALG_RS256;
    auth_result r;

    memset(&id, 0, sizeof id);
    memset(&jwt, 0, sizeof jwt);
    if ((r = extract_bearer(authorization, &tok, &len)) != AUTH_OK)
        goto done;
    if (!cfg) {
        r = AUTH_ALG_REFUSED;
        goto done;
    }
    if ((r = parse_token(tok, len, &jwt)) != AUTH_OK)
        goto done;
    if ((r = select_alg(cfg, jwt.header, &alg)) != AUTH_OK)
        goto done;
    if ((r = check_signature(cfg, alg, &jwt)) != AUTH_OK)
        goto done;
    if ((r = check_claims(cfg, jwt.payload, now, &id)) != AUTH_OK)
        goto done;
    collect_scopes(jwt.payload, id.scopes, sizeof id.scopes);
    copy_app(jwt.payload, id.app, sizeof id.app);
done:
    jwt_free(&jwt);
    if (out) {
        if (r == AUTH_OK)
            *out = id;
        else
            memset(out, 0, sizeof *out);
    }
    return r;
}

const char *auth_result_message(auth_result r)
{
    switch (r) {
    case AUTH_OK:
        return "Access token is valid.";
    case AUTH_MISSING:
        return "Access token is empty.";
    case AUTH_MALFORMED:
        return "Access token is malformed.";
    case AUTH_ALG_REFUSED:
        return "Access token signing algorithm is not accepted.";
    case AUTH_BAD_SIGNATURE:
        return "Invalid signature.";
    case AUTH_EXPIRED:
    case AUTH_NOT_YET_VALID:
        return "Access token has expired or is not yet valid.";
    case AUTH_BAD_AUDIENCE:
        return "Invalid audience.";
    case AUTH_BAD_ISSUER:
        return "Invalid issuer.";
    case AUTH_NO_TENANT:
        return "Access token has no valid tenant.";
    }
    return "Access token validation failed.";
}

/* ---------- signing ---------- */

/* Never prompt on the terminal for an encrypted key: fail instead. */
static int refuse_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static EVP_PKEY *read_private_key(const char *path, char *err, size_t errlen)
{
    EVP_PKEY *pkey = NULL;
    BIO *bio = BIO_new_file(path, "r");

    if (bio)
        pkey = PEM_read_bio_PrivateKey(bio, NULL, refuse_passphrase, NULL);
    if (!pkey)
        set_err(err, errlen, "%s: %s", path, bio ? "not an unencrypted PEM private key" : "cannot open");
    BIO_free(bio);
    ERR_clear_error();
    return pkey;
}

static bool gen_string(yajl_gen g, const char *s)
{
    return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) == yajl_gen_status_ok;
}

/* yajl_gen does the escaping, so an odd kid cannot break out of its string. */
static char *build_header(const char *alg, const char *kid)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf = NULL;
    size_t len = 0;
    char *out = NULL;

    if (!g)
        return NULL;
    yajl_gen_config(g, yajl_gen_validate_utf8, 1);
    if (yajl_gen_map_open(g) == yajl_gen_status_ok && gen_string(g, "alg") && gen_string(g, alg) &&
        gen_string(g, "typ") && gen_string(g, "JWT") && (!kid || (gen_string(g, "kid") && gen_string(g, kid))) &&
        yajl_gen_map_close(g) == yajl_gen_status_ok && yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
        out = strndup((const char *)buf, len);
    yajl_gen_free(g);
    return out;
}

/* Converts an EVP ECDSA signature (DER) into the 64-byte R||S form JWS uses. */
static bool es256_der_to_raw(const unsigned char *der, size_t derlen, unsigned char raw[ES256_SIG_LEN])
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    bool ok = sig && BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, ES256_HALF) == ES256_HALF &&
              BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + ES256_HALF, ES256_HALF) == ES256_HALF;
    ECDSA_SIG_free(sig);
    return ok;
}

/* Returns the base64url signature over input. */
static char *sign_input(EVP_PKEY *pkey, key_kind kind, const char *input)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    unsigned char raw[ES256_SIG_LEN];
    size_t siglen = 0;
    char *out = NULL;

    if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
        EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input, strlen(input)) != 1 ||
        !(sig = malloc(siglen)) ||
        EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, strlen(input)) != 1)
        goto done;
    if (kind == KEY_EC) {
        if (es256_der_to_raw(sig, siglen, raw))
            out = b64url_encode(raw, sizeof raw);
    } else {
        out = b64url_encode(sig, siglen);
    }
done:
    free(sig);
    EVP_MD_CTX_free(ctx);
    return out;
}

char *auth_sign(const char *key_path, const char *kid, const char *claims_json, char *err, size_t errlen)
{
    EVP_PKEY *pkey = NULL;
    yajl_val claims = NULL;
    char *header = NULL, *h64 = NULL, *p64 = NULL, *input = NULL, *s64 = NULL, *jwt = NULL;
    key_kind kind;

    if (!key_path || !claims_json) {
        set_err(err, errlen, "key path and claims are required");
        goto done;
    }
    claims = parse_json_object(claims_json, strlen(claims_json));
    if (!claims) {
        set_err(err, errlen, "claims are not a JSON object");
        goto done;
    }
    if (!(pkey = read_private_key(key_path, err, errlen)) || !classify_key(pkey, &kind, err, errlen))
        goto done;
    header = build_header(kind == KEY_RSA ? "RS256" : "ES256", kid);
    if (!header) {
        set_err(err, errlen, "cannot build the JWT header (kid not UTF-8?)");
        goto done;
    }
    h64 = b64url_encode((const unsigned char *)header, strlen(header));
    p64 = b64url_encode((const unsigned char *)claims_json, strlen(claims_json));
    input = h64 && p64 ? join3(h64, ".", p64) : NULL;
    s64 = input ? sign_input(pkey, kind, input) : NULL;
    jwt = s64 ? join3(input, ".", s64) : NULL;
    if (!jwt)
        set_err(err, errlen, "signing failed");
done:
    ERR_clear_error();
    yajl_tree_free(claims);
    EVP_PKEY_free(pkey);
    free(header);
    free(h64);
    free(p64);
    free(input);
    free(s64);
    return jwt;
}
