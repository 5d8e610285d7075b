/* Bearer-token (JWT) verification for the nginx auth_request hop, and signing for dev tokens.
 * Signatures are checked with OpenSSL EVP only; the accepted algorithms follow the configured keys. */
#ifndef CERTGRAPH_AUTH_H
#define CERTGRAPH_AUTH_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef struct auth_config auth_config;   /* opaque: loaded keys, issuer, audiences, skew */

typedef struct auth_settings {
    const char *keys_path;      /* PEM public key(s) or a JWKS JSON file; NULL/"" = none */
    const char *hs256_secret;   /* enables HS256 when non-empty */
    const char *issuer;         /* required iss; "{tenantid}" is replaced by the token's tid */
    const char *audiences;      /* space-separated list of accepted aud values */
    int skew_seconds;           /* tolerance for exp/nbf */
} auth_settings;

/* NULL on failure with a reason in err. */
auth_config *auth_config_load(const auth_settings *s, char *err, size_t errlen);
void auth_config_free(auth_config *cfg);

typedef enum auth_result {
    AUTH_OK = 0,
    AUTH_MISSING,          /* no Authorization header or not "Bearer <token>" */
    AUTH_MALFORMED,        /* not three base64url parts of JSON */
    AUTH_ALG_REFUSED,      /* alg none, unknown, or not configured */
    AUTH_BAD_SIGNATURE,
    AUTH_EXPIRED,
    AUTH_NOT_YET_VALID,
    AUTH_BAD_AUDIENCE,
    AUTH_BAD_ISSUER,
    AUTH_NO_TENANT         /* tid missing or not a GUID */
} auth_result;

typedef struct auth_identity {
    char tenant[37];        /* lowercase 8-4-4-4-12 */
    char scopes[2048];      /* scp words and roles entries, space-separated */
    char app[128];          /* appid or azp, "" when absent */
    long long exp;          /* seconds since the epoch */
    /* Who acts, for the audit trail. */
    char user_id[37];       /* oid, lowercase GUID; "" when absent or not a GUID */
    char upn[256];          /* upn, else preferred_username; "" when absent, too long or holding a control character */
    bool delegated;         /* a user's token (scp), not an application's own (roles only) */
} auth_identity;

auth_result auth_verify(const auth_config *cfg, const char *authorization, time_t now, auth_identity *out);
/* A short client-facing sentence for a result (no internals). */
const char *auth_result_message(auth_result r);

/* (auth_sign.c, linked into certgraphctl and the tests only, never into certgraphd.)
 * Signs claims_json (a JSON object) with the PEM private key at key_path: RS256 for RSA keys,
 * ES256 for P-256 keys. Returns a malloc'd compact JWT or NULL with a reason in err. */
char *auth_sign(const char *key_path, const char *kid, const char *claims_json, char *err, size_t errlen);
#endif
