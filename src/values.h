/* Checks and conversions of EDM values where bytes enter and leave. */
#ifndef CERTGRAPH_VALUES_H
#define CERTGRAPH_VALUES_H
#include <stdbool.h>
#include <stddef.h>
#include "arena.h"
#include "entity.h"

/* ISO 8601 date-time with seconds, optional fraction, and Z or ±hh:mm (years 0001..9999). */
bool value_datetime_valid(const char *s, size_t n);
/* Well-formed UTF-8 (RFC 3629): no overlong forms, surrogates or code points past U+10FFFF. */
bool value_utf8_valid(const char *s, size_t n);
/* s with every byte that is not part of well-formed UTF-8 replaced by '?', in the arena: for text
 * that is echoed to a client, which may have been cut mid-character or come from a URL. */
const char *value_utf8_sanitize(arena *a, const char *s);
/* Standard base64 with padding, no whitespace. */
bool value_base64_valid(const char *s, size_t n);
/* Standard base64 (checked as above) to bytes in the arena; NULL when it is not base64. */
const unsigned char *value_base64_decode(arena *a, const char *s, size_t n, size_t *outlen);
/* Bytes to standard base64 with padding, in the arena. */
const char *value_base64_encode(arena *a, const unsigned char *b, size_t n);
/* The current time as OData's DateTimeOffset, microseconds, UTC, in the arena. */
const char *value_now_odata(arena *a);
/* Bytes as uppercase hex (thumbprints, digests), in the arena. */
const char *value_hex(arena *a, const unsigned char *b, size_t n);
/* Unpadded base64url (JWTs, $skiptoken). decode: malloc'd, NUL-terminated, NULL when invalid;
 * encode: malloc'd or NULL. */
unsigned char *value_b64url_decode(const char *in, size_t len, size_t *outlen);
char *value_b64url_encode(const unsigned char *in, size_t len);
/* An integer literal in Int32's range (no fraction, exponent or leading '+'). */
bool value_int32_valid(const char *s, size_t n);
/* Index of the member named s, or -1. */
int value_enum_member(const edm_enum *en, const char *s, size_t n);
/* 8-4-4-4-12 hex digits, any case. */
bool value_uuid_valid(const char *s, size_t n);
/* s[0..n) is such a UUID: its lowercase form in out. */
bool value_uuid_lower(const char *s, size_t n, char out[37]);
/* Writes b as a lowercase UUID of the given version (4 random, 8 derived), with the RFC 4122 variant. */
void value_uuid_format(const unsigned char b[16], unsigned version, char out[37]);
/* A random (version 4) UUID, lowercase; false only when the system has no random bytes. */
bool value_uuid_random(char out[37]);
/* PostgreSQL's ISO timestamptz text in UTC ("2026-11-24 16:30:00.5+00") to OData ("...T16:30:00.5Z"). */
void value_timestamp_to_odata(const char *pg, char *out, size_t outlen);
#endif
