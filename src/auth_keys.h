/* Internal to auth.c: the verification keys (a PEM or JWKS file read into EVP_PKEYs), and the base64url,
 * JSON-member and error helpers both files use. Not part of the public interface in auth.h. */
#ifndef CERTGRAPH_AUTH_KEYS_H
#define CERTGRAPH_AUTH_KEYS_H
/* A JWS ES256 signature is R and S, 32 bytes each. */
#define ES256_HALF     32
#define ES256_SIG_LEN  (2 * ES256_HALF)
#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <yajl/yajl_tree.h>

/* Which algorithm a key serves: RSA keys RS256, P-256 keys ES256. */
typedef enum auth_keys_kind { AUTH_KEYS_RSA, AUTH_KEYS_EC } auth_keys_kind;

typedef struct auth_keyset auth_keyset;   /* opaque: the keys read from one file, each with its kid */

/* Reads PEM public keys/certificates or a JWKS document (decided by content) from path. NULL on failure,
 * or when the file holds no usable RS256 or ES256 key, with a reason in err. */
auth_keyset *auth_keys_load(const char *path, char *err, size_t errlen);
void auth_keys_free(auth_keyset *ks);
/* ks may be NULL (no key file) in these three: it then holds no keys. */
size_t auth_keys_count(const auth_keyset *ks);
bool auth_keys_has_kind(const auth_keyset *ks, auth_keys_kind kind);
/* The next key to try for a token of this kind with this kid (NULL when it has none), from *pos on
 * (start at 0); NULL when there are no more. A kid naming one of our keys of the kind pins the choice to
 * the keys with that kid; otherwise every key of the kind is returned in turn. */
EVP_PKEY *auth_keys_lookup(const auth_keyset *ks, auth_keys_kind kind, const char *kid, size_t *pos);

/* Decides which algorithm a key may serve; anything but RSA >= 2048 bits and P-256 is refused. */
bool auth_keys_classify(const EVP_PKEY *pkey, auth_keys_kind *kind, char *err, size_t errlen);

/* The first member named key of an object (NULL when obj is not an object or has none); the string
 * variant is NULL unless that member is a string. */
yajl_val auth_keys_obj_get(yajl_val obj, const char *key);
const char *auth_keys_obj_get_string(yajl_val obj, const char *key);

/* snprintf into err (when err is non-NULL and errlen non-zero). */
__attribute__((format(printf, 3, 4)))
void auth_keys_set_err(char *err, size_t errlen, const char *fmt, ...);
#endif
