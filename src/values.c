#include "values.h"

#include <limits.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static int number(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

static int days_in_month(int year, int month)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

bool value_datetime_valid(const char *s, size_t n)
{
    /* YYYY-MM-DDThh:mm:ss */
    if (n < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) ||
        (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
        s[16] != ':' || !digits(s + 17, 2))
        return false;
    int year = number(s, 4), month = number(s + 5, 2), day = number(s + 8, 2);
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return false;
    if (number(s + 11, 2) > 23 || number(s + 14, 2) > 59 || number(s + 17, 2) > 59) return false;
    size_t i = 19;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == start || i - start > 12) return false;
    }
    int offset_minutes = 0;   /* east of UTC is positive; Z is 0 */
    if (!(i == n - 1 && (s[i] == 'Z' || s[i] == 'z'))) {
        if (n - i != 6 || (s[i] != '+' && s[i] != '-') || !digits(s + i + 1, 2) || s[i + 3] != ':' ||
            !digits(s + i + 4, 2) || number(s + i + 4, 2) > 59)
            return false;
        offset_minutes = (number(s + i + 1, 2) * 60 + number(s + i + 4, 2)) * (s[i] == '-' ? -1 : 1);
        if (offset_minutes > 14 * 60 || offset_minutes < -14 * 60) return false;
    }
    /* The instant must stay within years 1..9999 in UTC once the offset is applied and the fraction
     * is rounded to microseconds, as PostgreSQL stores it. */
    int local = number(s + 11, 2) * 3600 + number(s + 14, 2) * 60 + number(s + 17, 2);
    int utc = local - offset_minutes * 60;
    if (year == 1 && month == 1 && day == 1 && utc < 0) return false;
    if (year == 9999 && month == 12 && day == 31) {
        if (utc >= 86400) return false;
        if (utc == 86399 && s[19] == '.' && i - 20 > 6 && strncmp(s + 20, "999999", 6) == 0 && s[26] >= '5')
            return false;
    }
    return true;
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), 0 when there is none. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;   /* bounds of the second byte */
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) { len = 3; lo = 0xA0; }
    else if (c == 0xED) { len = 3; hi = 0x9F; }          /* no surrogates */
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) { len = 4; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) { len = 4; hi = 0x8F; }          /* nothing past U+10FFFF */
    else return 0;                                       /* 80..C1 and F5..FF never start one */
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

bool value_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_sequence(u + i, n - i);
        if (!len) return false;
        i += len;
    }
    return true;
}

const char *value_utf8_sanitize(arena *a, const char *s)
{
    size_t n = strlen(s);
    if (value_utf8_valid(s, n)) return s;
    char *out = arena_strndup(a, s, n);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_sequence((const unsigned char *)out + i, n - i);
        if (!len) { out[i] = '?'; len = 1; }
        i += len;
    }
    return out;
}

static bool is_base64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

bool value_base64_valid(const char *s, size_t n)
{
    if (n % 4 != 0) return false;
    size_t pad = 0;
    if (n >= 1 && s[n - 1] == '=') pad++;
    if (n >= 2 && s[n - 2] == '=') pad++;
    for (size_t i = 0; i < n - pad; i++)
        if (!is_base64_char(s[i])) return false;
    return true;
}

bool value_int32_valid(const char *s, size_t n)
{
    size_t i = 0;
    bool negative = n > 0 && s[0] == '-';
    if (negative) i++;
    if (i == n || n - i > 10) return false;
    if (s[i] == '0' && n - i > 1) return false;
    long long v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    return negative ? v <= 2147483648LL : v <= 2147483647LL;
}

int value_enum_member(const edm_enum *en, const char *s, size_t n)
{
    for (int i = 0; en->members[i]; i++)
        if (strlen(en->members[i]) == n && memcmp(en->members[i], s, n) == 0) return i;
    return -1;
}

bool value_uuid_valid(const char *s, size_t n)
{
    if (n != 36) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

bool value_uuid_lower(const char *s, size_t n, char out[37])
{
    if (!value_uuid_valid(s, n)) return false;
    for (size_t i = 0; i < 36; i++) out[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] - 'A' + 'a') : s[i];
    out[36] = '\0';
    return true;
}

bool value_uuid_random(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) return false;
    value_uuid_format(b, 4, out);
    return true;
}

void value_uuid_format(const unsigned char b[16], unsigned version, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        unsigned char c = b[i];
        if (i == 6) c = (unsigned char)((c & 0x0f) | (version << 4));
        if (i == 8) c = (unsigned char)((c & 0x3f) | 0x80);
        if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
    }
    *o = '\0';
}

void value_timestamp_to_odata(const char *pg, char *out, size_t outlen)
{
    /* The session runs with TimeZone UTC and DateStyle ISO, so the text ends in "+00". */
    size_t n = strcspn(pg, "+");
    if (n > 10 && pg[10] == ' ') {
        snprintf(out, outlen, "%.10sT%.*sZ", pg, (int)(n - 11), pg + 11);
    } else {
        snprintf(out, outlen, "%s", pg);
    }
}

/* ---- base64 -------------------------------------------------------------------------------- */

static bool is_b64url_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Decodes unpadded base64url. The result is NUL-terminated so JSON parts can go straight to yajl. */
unsigned char *value_b64url_decode(const char *in, size_t len, size_t *outlen)
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

char *value_b64url_encode(const unsigned char *in, size_t len)
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

const unsigned char *value_base64_decode(arena *a, const char *s, size_t n, size_t *outlen)
{
    if (!value_base64_valid(s, n) || n > INT_MAX / 2) return NULL;
    unsigned char *out = arena_alloc(a, n / 4 * 3 + 1);
    int got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (got < 0) return NULL;
    size_t pad = (n >= 1 && s[n - 1] == '=') + (n >= 2 && s[n - 2] == '=');
    *outlen = (size_t)got - pad;   /* EVP_DecodeBlock counts the padding as zero bytes */
    return out;
}

const char *value_base64_encode(arena *a, const unsigned char *b, size_t n)
{
    char *out = arena_alloc(a, 4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, b, (int)n);
    return out;
}

const char *value_hex(arena *a, const unsigned char *b, size_t n)
{
    static const char digits[] = "0123456789ABCDEF";
    char *out = arena_alloc(a, 2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}

const char *value_now_odata(arena *a)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    return arena_printf(a, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}
