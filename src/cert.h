/* X.509 certificates in uploaded content (API.md §6), read with OpenSSL: DER, PEM and, where the
 * entity allows it, PKCS#12 opened with a password. Only this file knows the formats. */
#ifndef CERTGRAPH_CERT_H
#define CERTGRAPH_CERT_H
#include <stdbool.h>
#include <stddef.h>
#include "arena.h"

typedef enum cert_result {
    CERT_OK,             /* a certificate: *out is filled */
    CERT_NONE,           /* not a certificate: the content is kept as sent */
    CERT_BAD_PASSWORD,   /* a PKCS#12 that the password (or its absence) does not open */
} cert_result;

typedef struct cert_info {
    const char *subject;        /* RFC 4514, UTF-8 */
    const char *subject_cn;     /* NULL when the name has no common name */
    const char *issuer;
    const char *issuer_cn;
    const char *not_before;     /* ISO 8601, UTC: 2026-11-24T16:30:00Z */
    const char *not_after;
    const char *der_base64;     /* the certificate itself, DER, as standard base64 */
    const char *sha1;           /* thumbprints: uppercase hex, as Windows shows them */
    const char *sha256;
    const char *serial;         /* uppercase hex */
    const char *key_algorithm;  /* RSA, EC, ED25519, ... */
    int key_bits;
    bool code_signing;          /* the extendedKeyUsage extension names codeSigning */
} cert_info;

/* data[0..n) as uploaded (the decoded bytes of content). allow_pkcs12 with password (NULL: none). */
cert_result cert_parse(arena *a, const unsigned char *data, size_t n, bool allow_pkcs12, const char *password,
                       cert_info *out);
#endif
