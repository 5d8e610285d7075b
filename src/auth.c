/* JWT bearer verification (RS256, ES256, HS256); signing dev tokens is auth_sign.c's.
 * All cryptography goes through OpenSSL EVP; JSON goes through yajl. */
#include "auth.h"
#include "auth_keys.h"
#include "values.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#define MAX_TOKEN_LEN  16384            /* longer bearer tokens are rejected outright */
#define MAX_SKEW       86400            /* keeps now +/- skew far from overflow */
#define HS256_LEN      32
#define GUID_LEN       36
#define TENANT_PLACEHOLDER "{tenantid}"

typedef enum jwt_alg { ALG_RS256, ALG_ES256, ALG_HS256 } jwt_alg;

struct auth_config {
    auth_keyset *keys;          /* NULL when no key file is configured */
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

/* A string or key holding an escaped NUL (\u0000) would be cut short where claims are compared as
 * C strings ("tid":"<guid>\u0000junk" would pass as the guid): refuse it. */
static int string_without_nul(void *ctx, const unsigned char *s, size_t n)
{
    (void)ctx;
    return memchr(s, '\0', n) == NULL;
}

/* Strict JSON, as RFC 8259 has it: yajl_tree_parse accepts comments, so the text first passes a
 * parser with comments off (yajl_alloc's default) that also refuses NUL inside strings. */
static bool strict_json(const char *text, size_t len)
{
    static const yajl_callbacks checks = { .yajl_string = string_without_nul, .yajl_map_key = string_without_nul };
    yajl_handle h = yajl_alloc(&checks, NULL, NULL);
    if (!h)
        return false;
    bool ok = yajl_parse(h, (const unsigned char *)text, len) == yajl_status_ok && yajl_complete_parse(h) == yajl_status_ok;
    yajl_free(h);
    return ok;
}

/* Parses text (of exactly len bytes) as a strict JSON object without duplicate top-level keys. */
static yajl_val parse_json_object(const char *text, size_t len)
{
    yajl_val v;
    if (strlen(text) != len)    /* an embedded NUL would hide the rest from yajl */
        return NULL;
    if (!strict_json(text, len))
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

/* ---------- configuration ---------- */

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
        auth_keys_set_err(err, errlen, "no audiences configured");
        return false;
    }
    return true;
oom:
    auth_keys_set_err(err, errlen, "out of memory");
    return false;
}

auth_config *auth_config_load(const auth_settings *s, char *err, size_t errlen)
{
    auth_config *cfg = NULL, *result = NULL;

    if (!s) {
        auth_keys_set_err(err, errlen, "no settings");
        goto done;
    }
    cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        auth_keys_set_err(err, errlen, "out of memory");
        goto done;
    }
    if (s->skew_seconds < 0 || s->skew_seconds > MAX_SKEW) {
        auth_keys_set_err(err, errlen, "clock skew must be between 0 and %d seconds", MAX_SKEW);
        goto done;
    }
    cfg->skew = s->skew_seconds;
    if (!s->issuer || !*s->issuer) {
        auth_keys_set_err(err, errlen, "no issuer configured");
        goto done;
    }
    if (!(cfg->issuer = strdup(s->issuer))) {
        auth_keys_set_err(err, errlen, "out of memory");
        goto done;
    }
    if (!load_audiences(cfg, s->audiences, err, errlen))
        goto done;
    if (s->hs256_secret && *s->hs256_secret) {
        cfg->secret_len = strlen(s->hs256_secret);
        if (!(cfg->secret = OPENSSL_memdup(s->hs256_secret, cfg->secret_len))) {
            auth_keys_set_err(err, errlen, "out of memory");
            goto done;
        }
    }
    if (s->keys_path && *s->keys_path && !(cfg->keys = auth_keys_load(s->keys_path, err, errlen)))
        goto done;
    if (auth_keys_count(cfg->keys) == 0 && !cfg->secret) {
        auth_keys_set_err(err, errlen, "no verification keys and no HS256 secret configured");
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
    auth_keys_free(cfg->keys);
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
    unsigned char *json = value_b64url_decode(part, len, &jlen);
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
    jwt->sig = value_b64url_decode(d2 + 1, (size_t)(end - d2 - 1), &jwt->sig_len);
    if (!jwt->header || !jwt->payload || !jwt->sig)
        return AUTH_MALFORMED;
    /* "crit" names extensions the verifier must understand; we understand none (RFC 7515 4.1.11) */
    if (auth_keys_obj_get(jwt->header, "crit"))
        return AUTH_MALFORMED;
    return AUTH_OK;
}

/* ---------- algorithm and signature ---------- */

/* Only algorithms backed by configured material are accepted, so a public key can never
 * end up as an HMAC secret (the RS256->HS256 confusion attack). */
static auth_result select_alg(const auth_config *cfg, yajl_val header, jwt_alg *alg)
{
    const char *name = auth_keys_obj_get_string(header, "alg");

    if (!name)
        return AUTH_ALG_REFUSED;
    if (strcmp(name, "RS256") == 0 && auth_keys_has_kind(cfg->keys, AUTH_KEYS_RSA))
        *alg = ALG_RS256;
    else if (strcmp(name, "ES256") == 0 && auth_keys_has_kind(cfg->keys, AUTH_KEYS_EC))
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

/* Tries the keys auth_keys_lookup offers for the kind and kid, in its order. */
static bool verify_with_keys(const auth_config *cfg, auth_keys_kind kind, const char *kid,
                             const jwt_parts *jwt, const unsigned char *sig, size_t slen)
{
    const unsigned char *data = (const unsigned char *)jwt->signing_input;
    EVP_PKEY *pkey;
    size_t pos = 0;

    while ((pkey = auth_keys_lookup(cfg->keys, kind, kid, &pos)) != NULL)
        if (evp_verify(pkey, data, jwt->signing_len, sig, slen))
            return true;
    return false;
}

static auth_result check_signature(const auth_config *cfg, jwt_alg alg, const jwt_parts *jwt)
{
    const char *kid = auth_keys_obj_get_string(jwt->header, "kid");
    unsigned char *der = NULL;
    size_t derlen = 0;
    bool ok = false;

    switch (alg) {
    case ALG_HS256:
        ok = hs256_verify(cfg, jwt);
        break;
    case ALG_RS256:
        ok = verify_with_keys(cfg, AUTH_KEYS_RSA, kid, jwt, jwt->sig, jwt->sig_len);
        break;
    case ALG_ES256:
        if (jwt->sig_len == ES256_SIG_LEN && (der = es256_raw_to_der(jwt->sig, &derlen)))
            ok = verify_with_keys(cfg, AUTH_KEYS_EC, kid, jwt, der, derlen);
        break;
    }
    OPENSSL_free(der);
    ERR_clear_error();   /* failed verifications leave entries we do not report */
    return ok ? AUTH_OK : AUTH_BAD_SIGNATURE;
}

/* ---------- claims ---------- */

/* Accepts 8-4-4-4-12 hex in any case and stores it lowercased. */
static bool copy_guid(const char *s, char out[GUID_LEN + 1])
{
    return s && value_uuid_lower(s, strlen(s), out);
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
    yajl_val nbf_val = auth_keys_obj_get(claims, "nbf");

    if (!copy_guid(auth_keys_obj_get_string(claims, "tid"), id->tenant))
        return AUTH_NO_TENANT;
    if (!numeric_date(auth_keys_obj_get(claims, "exp"), &exp) || (long long)now - cfg->skew > exp)
        return AUTH_EXPIRED;
    if (nbf_val && (!numeric_date(nbf_val, &nbf) || (long long)now + cfg->skew < nbf))
        return AUTH_NOT_YET_VALID;
    if (!audience_accepted(cfg, auth_keys_obj_get(claims, "aud")))
        return AUTH_BAD_AUDIENCE;
    if (!issuer_matches(cfg->issuer, id->tenant, auth_keys_obj_get_string(claims, "iss")))
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
    const char *scp = auth_keys_obj_get_string(claims, "scp");
    yajl_val roles = auth_keys_obj_get(claims, "roles");
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
    const char *app = auth_keys_obj_get_string(claims, "appid");
    if (!app)
        app = auth_keys_obj_get_string(claims, "azp");
    buf[0] = '\0';
    if (app)
        append_word(buf, cap, app, strlen(app));   /* left empty when too long or odd */
}

/* A user principal name travels on in a header: UTF-8 is fine, control characters are not. */
static bool header_safe(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
            return false;
    return n > 0;
}

static void copy_actor(yajl_val claims, auth_identity *id)
{
    const char *oid = auth_keys_obj_get_string(claims, "oid");
    const char *upn = auth_keys_obj_get_string(claims, "upn");
    const char *scp = auth_keys_obj_get_string(claims, "scp");
    if (!upn)
        upn = auth_keys_obj_get_string(claims, "preferred_username");
    if (!copy_guid(oid, id->user_id))
        id->user_id[0] = '\0';
    if (upn && strlen(upn) < sizeof id->upn && header_safe(upn, strlen(upn)) && value_utf8_valid(upn, strlen(upn)))
        memcpy(id->upn, upn, strlen(upn) + 1);
    id->delegated = scp && *scp;
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
    copy_actor(jwt.payload, &id);
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
