#include "skiptoken.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include "values.h"

#define SECRET_LEN 32
#define MAC_LEN 32
#define TOKEN_VERSION 1

static unsigned char secret[SKIPTOKEN_SECRET_MAX];
static size_t secret_len;

void skiptoken_set_secret(const unsigned char *s, size_t len)
{
    if (len > sizeof secret) len = sizeof secret;
    memcpy(secret, s, len);
    secret_len = len;
}

bool skiptoken_read_secret(const char *path, unsigned char out[SKIPTOKEN_SECRET_MAX], size_t *len, char *err,
                           size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        unsigned char fresh[SECRET_LEN];
        if (RAND_bytes(fresh, sizeof fresh) != 1) { snprintf(err, errlen, "no random bytes for %s", path); return false; }
        int w = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (w >= 0) {
            bool ok = write(w, fresh, sizeof fresh) == (ssize_t)sizeof fresh;
            ok = close(w) == 0 && ok;
            if (!ok) { unlink(path); snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno)); return false; }
        } else if (errno != EEXIST) {   /* another process may have made it meanwhile */
            snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
            return false;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) { snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno)); return false; }
    ssize_t n = read(fd, out, SKIPTOKEN_SECRET_MAX);
    close(fd);
    if (n < 16) { snprintf(err, errlen, "%s holds fewer than 16 bytes", path); return false; }
    *len = (size_t)n;
    return true;
}

bool skiptoken_load_secret(const char *path, char *err, size_t errlen)
{
    unsigned char buf[SKIPTOKEN_SECRET_MAX];
    size_t n;
    if (!skiptoken_read_secret(path, buf, &n, err, errlen)) return false;
    skiptoken_set_secret(buf, n);
    OPENSSL_cleanse(buf, sizeof buf);
    return true;
}

static void put_u32(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

static size_t get_u32(const unsigned char *p)
{
    return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

void skiptoken_digest(const char *const *parts, int nparts, unsigned char out[SKIPTOKEN_DIGEST_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (int i = 0; i < nparts; i++) {
        unsigned char len[5];
        size_t n = parts[i] ? strlen(parts[i]) : 0;
        len[0] = parts[i] != NULL;   /* absent and empty differ */
        put_u32(len + 1, n);
        EVP_DigestUpdate(ctx, len, sizeof len);
        if (n) EVP_DigestUpdate(ctx, parts[i], n);
    }
    unsigned int outlen = 0;
    EVP_DigestFinal_ex(ctx, out, &outlen);
    EVP_MD_CTX_free(ctx);
}

/* HMAC over the digest (never sent) and the payload (sent). */
static void mac(const unsigned char *digest, const unsigned char *payload, size_t n, unsigned char out[MAC_LEN])
{
    unsigned char *joined = OPENSSL_malloc(SKIPTOKEN_DIGEST_LEN + n);
    memcpy(joined, digest, SKIPTOKEN_DIGEST_LEN);
    memcpy(joined + SKIPTOKEN_DIGEST_LEN, payload, n);
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret, (int)secret_len, joined, SKIPTOKEN_DIGEST_LEN + n, out, &len);
    OPENSSL_free(joined);
}

const char *skiptoken_make(arena *a, const unsigned char digest[SKIPTOKEN_DIGEST_LEN], const char *const *values, int n)
{
    size_t size = 2 + MAC_LEN;
    for (int i = 0; i < n; i++) size += 5 + (values[i] ? strlen(values[i]) : 0);
    unsigned char *raw = arena_alloc(a, size);
    unsigned char *p = raw;
    *p++ = TOKEN_VERSION;
    *p++ = (unsigned char)n;
    for (int i = 0; i < n; i++) {
        size_t len = values[i] ? strlen(values[i]) : 0;
        *p++ = values[i] != NULL;
        put_u32(p, len);
        p += 4;
        memcpy(p, values[i] ? values[i] : "", len);
        p += len;
    }
    mac(digest, raw, (size_t)(p - raw), p);
    p += MAC_LEN;
    char *text = value_b64url_encode(raw, (size_t)(p - raw));
    if (!text) abort();
    const char *token = arena_strdup(a, text);
    free(text);
    return token;
}

static void release(void *p)
{
    free(p);
}

bool skiptoken_read(arena *a, const unsigned char digest[SKIPTOKEN_DIGEST_LEN], const char *token, const char **values, int n)
{
    size_t len = strlen(token), size = 0;
    if (len == 0 || len > 16384) return false;
    unsigned char *raw = value_b64url_decode(token, len, &size);
    if (!raw) return false;
    arena_own(a, release, raw);
    if (size < 2 + MAC_LEN) return false;
    unsigned char expect[MAC_LEN];
    mac(digest, raw, size - MAC_LEN, expect);
    if (CRYPTO_memcmp(expect, raw + size - MAC_LEN, MAC_LEN) != 0) return false;
    /* signed by us: the layout below can still be checked cheaply, and is */
    const unsigned char *p = raw + 2, *end = raw + size - MAC_LEN;
    if (raw[0] != TOKEN_VERSION || raw[1] != n) return false;
    for (int i = 0; i < n; i++) {
        if (end - p < 5) return false;
        bool present = p[0] == 1;
        size_t vlen = get_u32(p + 1);
        p += 5;
        if ((size_t)(end - p) < vlen) return false;
        values[i] = present ? arena_strndup(a, (const char *)p, vlen) : NULL;
        p += vlen;
    }
    return p == end;
}
