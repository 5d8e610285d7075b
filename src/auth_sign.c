/* Signing development tokens (certgraphctl token, the tests): linked into certgraphctl only, never
 * into the daemon, which verifies tokens and has no use for a signing path. */
#include "auth.h"
#include "auth_keys.h"
#include "values.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* "a.b", malloc'd; NULL when out of memory. */
static char *join(const char *a, const char *b)
{
    char *out = NULL;
    return asprintf(&out, "%s.%s", a, b) < 0 ? NULL : out;
}

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
        auth_keys_set_err(err, errlen, "%s: %s", path,
                          bio ? "not an unencrypted PEM private key" : "cannot open");
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
static char *sign_input(EVP_PKEY *pkey, auth_keys_kind kind, const char *input)
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
    if (kind == AUTH_KEYS_EC) {
        if (es256_der_to_raw(sig, siglen, raw))
            out = value_b64url_encode(raw, sizeof raw);
    } else {
        out = value_b64url_encode(sig, siglen);
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
    auth_keys_kind kind;

    if (!key_path || !claims_json) {
        auth_keys_set_err(err, errlen, "key path and claims are required");
        goto done;
    }
    claims = yajl_tree_parse(claims_json, NULL, 0);
    if (!YAJL_IS_OBJECT(claims)) {
        auth_keys_set_err(err, errlen, "claims are not a JSON object");
        goto done;
    }
    if (!(pkey = read_private_key(key_path, err, errlen)) || !auth_keys_classify(pkey, &kind, err, errlen))
        goto done;
    header = build_header(kind == AUTH_KEYS_RSA ? "RS256" : "ES256", kid);
    if (!header) {
        auth_keys_set_err(err, errlen, "cannot build the JWT header (kid not UTF-8?)");
        goto done;
    }
    h64 = value_b64url_encode((const unsigned char *)header, strlen(header));
    p64 = value_b64url_encode((const unsigned char *)claims_json, strlen(claims_json));
    input = h64 && p64 ? join(h64, p64) : NULL;
    s64 = input ? sign_input(pkey, kind, input) : NULL;
    jwt = s64 ? join(input, s64) : NULL;
    if (!jwt)
        auth_keys_set_err(err, errlen, "signing failed");
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
