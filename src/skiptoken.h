/* Signed keyset tokens for @odata.nextLink: the sort-key values of the last row a page returned,
 * bound to the tenant and the query (a digest of filter, order, select and top) and signed with
 * HMAC-SHA-256 under a server secret. URL-safe base64 without padding. */
#ifndef CERTGRAPH_SKIPTOKEN_H
#define CERTGRAPH_SKIPTOKEN_H
#include <stdbool.h>
#include <stddef.h>
#include "arena.h"

#define SKIPTOKEN_DIGEST_LEN 32
#define SKIPTOKEN_MAX_VALUES 16
#define SKIPTOKEN_SECRET_MAX 64

/* Reads the secret from path, making it (32 random bytes, mode 0600) when the file does not exist.
 * Call once before forking. False with a message in err. */
bool skiptoken_load_secret(const char *path, char *err, size_t errlen);
/* The same read (or first making) of the file, into out, without using it yet (reload checks first). */
bool skiptoken_read_secret(const char *path, unsigned char out[SKIPTOKEN_SECRET_MAX], size_t *len, char *err,
                           size_t errlen);
/* A secret of one's own (tests; a reload once everything new has been read). */
void skiptoken_set_secret(const unsigned char *secret, size_t len);

/* The digest a token is bound to: SHA-256 over the given parts (each length-prefixed). */
void skiptoken_digest(const char *const *parts, int nparts, unsigned char out[SKIPTOKEN_DIGEST_LEN]);

/* A token for values[0..n) (NULL entries are SQL nulls); arena text. */
const char *skiptoken_make(arena *a, const unsigned char digest[SKIPTOKEN_DIGEST_LEN], const char *const *values, int n);
/* Verifies token against digest and reads exactly n values into values[] (arena text, NULL for
 * null). False for anything altered, made under another secret or for another digest. */
bool skiptoken_read(arena *a, const unsigned char digest[SKIPTOKEN_DIGEST_LEN], const char *token, const char **values, int n);
#endif
