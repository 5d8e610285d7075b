/* See client.h. */
#include "client.h"
#include "throttle_sync.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- ownership -------------------------------------------------------------------------------- */

typedef struct owned {
    void *p;
    void (*release)(void *);
} owned;

static owned *owned_list;
static size_t nowned, cap_owned;

static void *own(void *p, void (*release)(void *))
{
    cr_assert_not_null(p, "out of memory");
    if (nowned == cap_owned) {
        size_t cap = cap_owned ? cap_owned * 2 : 64;
        owned *list = realloc(owned_list, cap * sizeof *list);
        cr_assert_not_null(list, "out of memory");
        owned_list = list;
        cap_owned = cap;
    }
    owned_list[nowned].p = p;
    owned_list[nowned].release = release;
    nowned++;
    return p;
}

static char *own_str(char *s)
{
    return own(s, free);
}

static void disown_and_release(void *p)
{
    for (size_t i = nowned; i-- > 0;) {
        if (owned_list[i].p == p) {
            owned_list[i].release(p);
            owned_list[i] = owned_list[--nowned];
            return;
        }
    }
}

/* ---- token cache, curl, database --------------------------------------------------------------- */

typedef struct token_entry {
    char *args;
    char *token;
} token_entry;

static token_entry *tokens;
static size_t ntokens;
static CURL *easy;
static bool curl_ready;
static PGconn *conn;

void cg_setup(void)
{
    /* Every test runs in its own process; nothing is shared between tests but the stack. */
}

void cg_teardown(void)
{
    for (size_t i = nowned; i-- > 0;) owned_list[i].release(owned_list[i].p);
    free(owned_list);
    owned_list = NULL;
    nowned = cap_owned = 0;
    for (size_t i = 0; i < ntokens; i++) {
        free(tokens[i].args);
        free(tokens[i].token);
    }
    free(tokens);
    tokens = NULL;
    ntokens = 0;
    if (easy) curl_easy_cleanup(easy);
    easy = NULL;
    if (curl_ready) curl_global_cleanup();
    curl_ready = false;
    if (conn) PQfinish(conn);
    conn = NULL;
}

/* ---- environment and small helpers ------------------------------------------------------------ */

const char *cg_env(const char *name)
{
    const char *v = getenv(name);
    cr_assert(v && *v, "environment variable %s is not set (run the tests with tests/integration/run.sh)", name);
    return v;
}

/* vasprintf that fails the test when out of memory; the caller frees. */
static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    cr_assert(n >= 0, "out of memory");
    return s;
}

char *cg_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return own_str(s);
}

const char *cg_base(void)
{
    const char *url = cg_env("CERTGRAPH_TEST_URL");
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/') n--;
    return cg_fmt("%.*s", (int)n, url);
}

const char *cg_hostport(void)
{
    const char *base = cg_base();
    const char *p = strstr(base, "://");
    p = p ? p + 3 : base;
    return cg_fmt("%.*s", (int)strcspn(p, "/"), p);
}

const char *cg_port(void)
{
    const char *hp = cg_hostport();
    const char *colon = strrchr(hp, ':');
    return colon ? colon + 1 : "443";
}

void cg_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

long long cg_now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000000LL + tv.tv_usec;
}

void cg_uuid(char out[37])
{
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    cr_assert(fd >= 0, "cannot open /dev/urandom");
    ssize_t got = read(fd, b, sizeof b);
    close(fd);
    cr_assert_eq(got, (ssize_t)sizeof b, "short read from /dev/urandom");
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

const char *cg_new_tenant(void)
{
    char id[37];
    cg_uuid(id);
    return cg_fmt("%s", id);
}

bool cg_is_uuid(const char *s)
{
    if (!s || strlen(s) != 36) return false;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

/* ---- tokens ----------------------------------------------------------------------------------- */

const char *cg_token(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *args = vformat(fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < ntokens; i++) {
        if (strcmp(tokens[i].args, args) == 0) {
            free(args);
            return tokens[i].token;
        }
    }
    const char *ctl = cg_env("CERTGRAPH_TEST_CTL");
    cg_env("CERTGRAPH_JWT_SIGNING_KEY");
    char *cmd = NULL;
    int n = asprintf(&cmd, "'%s' token %s 2>&1", ctl, args);
    cr_assert(n >= 0, "out of memory");
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f, "popen(%s) failed", cmd);
    char out[16384];
    size_t len = 0;
    while (len < sizeof out - 1) {
        size_t got = fread(out + len, 1, sizeof out - 1 - len, f);
        if (got == 0) break;
        len += got;
    }
    out[len] = '\0';
    int status = pclose(f);
    bool ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok) {
        char *why = cg_fmt("%s failed (status %d): %s", cmd, status, out);
        free(cmd);
        free(args);
        cr_assert_fail("%s", why);
    }
    free(cmd);
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r' || out[len - 1] == ' ')) out[--len] = '\0';
    cr_assert(len > 0 && !strchr(out, '\n'), "certgraphctl token %s printed '%s', not one token line", args, out);
    token_entry *grown = realloc(tokens, (ntokens + 1) * sizeof *tokens);
    cr_assert_not_null(grown, "out of memory");
    tokens = grown;
    tokens[ntokens].args = args;
    tokens[ntokens].token = strdup(out);
    cr_assert_not_null(tokens[ntokens].token, "out of memory");
    return tokens[ntokens++].token;
}

const char *cg_tenant_token(const char *tenant)
{
    return cg_token("--tenant %s", tenant);
}

/* ---- requests --------------------------------------------------------------------------------- */

typedef struct buffer {
    char *data;
    size_t len, cap;
} buffer;

static void buffer_add(buffer *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *data = realloc(b->data, cap);
        if (!data) abort();
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    buffer_add(userdata, ptr, size * nmemb);
    return size * nmemb;
}

static void clear_headers(cg_response *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->header_names[i]);
        free(r->header_values[i]);
    }
    free(r->header_names);
    free(r->header_values);
    r->header_names = r->header_values = NULL;
    r->nheaders = 0;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    cg_response *r = userdata;
    size_t n = size * nmemb;
    while (n > 0 && (ptr[n - 1] == '\n' || ptr[n - 1] == '\r')) n--;
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {   /* a new response head (after 100 Continue) */
        clear_headers(r);
        return size * nmemb;
    }
    const char *colon = memchr(ptr, ':', n);
    if (!colon) return size * nmemb;
    size_t name_len = (size_t)(colon - ptr);
    const char *v = colon + 1;
    size_t vlen = n - name_len - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t')) { v++; vlen--; }
    while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) vlen--;
    char **names = realloc(r->header_names, (r->nheaders + 1) * sizeof *names);
    if (!names) abort();
    r->header_names = names;
    char **values = realloc(r->header_values, (r->nheaders + 1) * sizeof *values);
    if (!values) abort();
    r->header_values = values;
    r->header_names[r->nheaders] = strndup(ptr, name_len);
    r->header_values[r->nheaders] = strndup(v, vlen);
    if (!r->header_names[r->nheaders] || !r->header_values[r->nheaders]) abort();
    r->nheaders++;
    return size * nmemb;
}

static void release_response(void *p)
{
    cg_response *r = p;
    free(r->method);
    free(r->url);
    free(r->body);
    clear_headers(r);
    if (r->json) yajl_tree_free(r->json);
    free(r);
}

void cg_free(cg_response *r)
{
    if (r) disown_and_release(r);
}

static void ensure_curl(void)
{
    if (!curl_ready) {
        cr_assert_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK, "curl_global_init failed");
        curl_ready = true;
    }
    if (!easy) {
        easy = curl_easy_init();
        cr_assert_not_null(easy, "curl_easy_init failed");
    }
}

static struct curl_slist *slist_add(struct curl_slist *list, const char *line)
{
    struct curl_slist *next = curl_slist_append(list, line);
    cr_assert_not_null(next, "out of memory");
    return next;
}

cg_response *cg_do(const cg_req *rq)
{
    ensure_curl();
    cg_response *r = own(calloc(1, sizeof *r), release_response);
    const char *method = rq->method ? rq->method : "GET";
    r->method = strdup(method);
    const char *path = rq->path ? rq->path : "/";
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
        r->url = strdup(path);
    } else {
        const char *base = cg_base();
        r->url = malloc(strlen(base) + strlen(path) + 1);
        if (r->url) {
            strcpy(r->url, base);
            strcat(r->url, path);
        }
    }
    cr_assert(r->method && r->url, "out of memory");

    curl_easy_reset(easy);
    curl_easy_setopt(easy, CURLOPT_URL, r->url);
    curl_easy_setopt(easy, CURLOPT_CAINFO, cg_env("CERTGRAPH_TEST_CA"));
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, rq->http2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, rq->timeout > 0 ? rq->timeout : 30L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r->curl_error);

    buffer body = { 0 };
    buffer_add(&body, "", 0);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, r);

    struct curl_slist *headers = NULL;
    char *line = NULL;
    if (rq->authorization) {
        if (asprintf(&line, "Authorization: %s", rq->authorization) < 0) abort();
        headers = slist_add(headers, line);
        free(line);
    } else if (rq->token) {
        if (asprintf(&line, "Authorization: Bearer %s", rq->token) < 0) abort();
        headers = slist_add(headers, line);
        free(line);
    }
    bool is_post = strcmp(method, "POST") == 0;
    if (rq->body) {
        size_t len = rq->body_len ? rq->body_len : strlen(rq->body);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, rq->body);
        if (!is_post) curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
        const char *ct = rq->content_type ? rq->content_type : "application/json";
        if (*ct) {
            if (asprintf(&line, "Content-Type: %s", ct) < 0) abort();
            headers = slist_add(headers, line);
            free(line);
        } else {
            headers = slist_add(headers, "Content-Type:");
        }
    } else if (is_post) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    }
    for (size_t i = 0; i < sizeof rq->headers / sizeof rq->headers[0]; i++)
        if (rq->headers[i]) headers = slist_add(headers, rq->headers[i]);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    struct curl_slist *resolve = NULL;
    if (rq->resolve) {
        resolve = slist_add(NULL, rq->resolve);
        curl_easy_setopt(easy, CURLOPT_RESOLVE, resolve);
    }

    CURLcode rc = curl_easy_perform(easy);
    r->curl_code = (int)rc;
    if (rc != CURLE_OK && !r->curl_error[0]) snprintf(r->curl_error, sizeof r->curl_error, "%s", curl_easy_strerror(rc));
    long status = 0, version = 0;
    double seconds = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &seconds);
    r->status = rc == CURLE_OK ? status : 0;
    r->http_version = version;
    r->seconds = seconds;
    r->body = body.data;
    r->body_len = body.len;
    if (r->body_len > 0) r->json = yajl_tree_parse(r->body, NULL, 0);

    /* The handle must not keep pointers to memory released below. */
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(easy, CURLOPT_RESOLVE, NULL);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(headers);
    curl_slist_free_all(resolve);
    return r;
}

cg_response *cg_get(const char *path, const char *token)
{
    return cg_call(.method = "GET", .path = path, .token = token);
}

cg_response *cg_delete(const char *path, const char *token)
{
    return cg_call(.method = "DELETE", .path = path, .token = token);
}

cg_response *cg_post(const char *path, const char *token, const char *json_body)
{
    return cg_call(.method = "POST", .path = path, .token = token, .body = json_body);
}

cg_response *cg_patch(const char *path, const char *token, const char *json_body)
{
    return cg_call(.method = "PATCH", .path = path, .token = token, .body = json_body);
}

const char *cg_header(const cg_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->header_names[i], name) == 0) return r->header_values[i];
    return NULL;
}

/* ---- JSON ------------------------------------------------------------------------------------- */

yajl_val cg_member(yajl_val obj, const char *key)
{
    if (!obj || !YAJL_IS_OBJECT(obj)) return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (strcmp(obj->u.object.keys[i], key) == 0) return obj->u.object.values[i];
    return NULL;
}

yajl_val cg_at(yajl_val v, ...)
{
    va_list ap;
    va_start(ap, v);
    const char *key;
    while (v && (key = va_arg(ap, const char *)) != NULL) v = cg_member(v, key);
    va_end(ap);
    return v;
}

bool cg_has(yajl_val obj, const char *key)
{
    if (!obj || !YAJL_IS_OBJECT(obj)) return false;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (strcmp(obj->u.object.keys[i], key) == 0) return true;
    return false;
}

const char *cg_str(yajl_val obj, const char *key)
{
    yajl_val v = cg_member(obj, key);
    return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

bool cg_is_null(yajl_val obj, const char *key)
{
    yajl_val v = cg_member(obj, key);
    return cg_has(obj, key) && (v == NULL || YAJL_IS_NULL(v));
}

bool cg_int(yajl_val obj, const char *key, long long *out)
{
    yajl_val v = cg_member(obj, key);
    if (!v || !YAJL_IS_INTEGER(v)) return false;
    *out = YAJL_GET_INTEGER(v);
    return true;
}

static void release_tree(void *p)
{
    yajl_tree_free(p);
}

yajl_val cg_parse(const char *text)
{
    char err[256];
    yajl_val v = yajl_tree_parse(text, err, sizeof err);
    return v ? own(v, release_tree) : NULL;
}

/* ---- DateTimeOffset --------------------------------------------------------------------------- */

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return false;
    return true;
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

bool cg_parse_instant(const char *s, long long *us)
{
    if (!s) return false;
    /* OData allows years past 9999 (more digits, no leading zero); the rest has fixed positions. */
    size_t y = 0;
    while (isdigit((unsigned char)s[y])) y++;
    if (y < 4 || (y > 4 && s[0] == '0') || y > 6) return false;
    long long year = 0;
    for (size_t k = 0; k < y; k++) year = year * 10 + (s[k] - '0');
    s += y - 4;   /* from here on, s[0..3] stands for the year */
    size_t n = strlen(s);
    if (n < 20 || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) ||
        s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' ||
        !digits(s + 17, 2))
        return false;
    long long micro = 0;
    size_t i = 19;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < n && isdigit((unsigned char)s[i])) i++;
        size_t nd = i - start;
        if (nd == 0) return false;
        for (size_t k = 0; k < 6; k++) micro = micro * 10 + (k < nd ? s[start + k] - '0' : 0);
        if (nd > 6) {
            int next = s[start + 6] - '0';
            bool rest = false;
            for (size_t k = 7; k < nd; k++) rest |= s[start + k] != '0';
            if (next > 5 || (next == 5 && (rest || (micro & 1)))) micro++;
        }
    }
    long offset = 0;
    if (i == n - 1 && s[i] == 'Z') {
        offset = 0;
    } else if (n - i == 6 && (s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2) && s[i + 3] == ':' &&
               digits(s + i + 4, 2)) {
        offset = (num(s + i + 1, 2) * 60 + num(s + i + 4, 2)) * 60L;
        if (s[i] == '-') offset = -offset;
    } else {
        return false;
    }
    long long days = days_from_civil(year, (unsigned)num(s + 5, 2), (unsigned)num(s + 8, 2));
    long long secs = days * 86400 + num(s + 11, 2) * 3600 + num(s + 14, 2) * 60 + num(s + 17, 2) - offset;
    *us = secs * 1000000LL + micro;
    return true;
}

const char *cg_check_instant(const char *got, const char *want)
{
    long long g, w;
    if (!cg_parse_instant(want, &w)) return cg_fmt("'%s' is not a DateTimeOffset (test bug)", want);
    if (!got) return cg_fmt("expected the instant %s, got no string", want);
    if (!cg_parse_instant(got, &g)) return cg_fmt("'%s' is not an ISO 8601 DateTimeOffset", got);
    if (got[strlen(got) - 1] != 'Z') return cg_fmt("'%s' is not in UTC with Z", got);
    if (g != w) return cg_fmt("'%s' is not the instant %s (differs by %lld us)", got, want, g - w);
    return NULL;
}

/* ---- checks ----------------------------------------------------------------------------------- */

static const char *const code_signing_props[] = {
    "id", "content", "status", "subjectName", "subject", "issuerName", "issuer", "expirationDateTime",
    "uploadDateTime", NULL,
};
static const char *const symantec_props[] = {
    "id", "content", "status", "password", "subjectName", "subject", "issuerName", "issuer",
    "expirationDateTime", "uploadDateTime", NULL,
};
static const char *const state_props[] = {
    "id", "certificateRevokeStatus", "certificateRevokeStatusLastChangeDateTime", "managedDeviceDisplayName",
    "userPrincipalName", "certificateExpirationDateTime", "certificateIssuerName", "certificateThumbprint",
    "certificateSerialNumber", "certificateSubjectName", "certificateKeyUsages", "certificateExtendedKeyUsages",
    "certificateIssuanceDateTime", NULL,
};

const cg_type CG_ECSC = { "microsoft.graph.enterpriseCodeSigningCertificate",
                          "deviceAppManagement/enterpriseCodeSigningCertificates", false, code_signing_props };
const cg_type CG_SYMANTEC = { "microsoft.graph.symantecCodeSigningCertificate",
                              "deviceAppManagement/symantecCodeSigningCertificate", true, symantec_props };
const cg_type CG_STATE = { "microsoft.graph.managedAllDeviceCertificateState",
                           "deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates", false,
                           state_props };

static const char *what(const cg_response *r)
{
    return cg_fmt("%s %.200s -> %ld", r->method, r->url, r->status);
}

const char *cg_check_common_headers(const cg_response *r)
{
    const char *rid = cg_header(r, "request-id");
    if (!rid) return cg_fmt("%s: no request-id header", what(r));
    if (!cg_is_uuid(rid)) return cg_fmt("%s: request-id '%s' is not a lowercase UUID", what(r), rid);
    const char *ov = cg_header(r, "OData-Version");
    if (!ov || strcmp(ov, "4.0") != 0) return cg_fmt("%s: OData-Version is '%s', want 4.0", what(r), ov ? ov : "(absent)");
    return NULL;
}

static bool is_innererror_date(const char *s)
{
    /* "2026-11-24T16:30:00", UTC */
    return s && strlen(s) >= 19 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
           digits(s + 8, 2) && s[10] == 'T' && digits(s + 11, 2) && s[13] == ':' && digits(s + 14, 2) &&
           s[16] == ':' && digits(s + 17, 2);
}

const char *cg_check_error(const cg_response *r, long status, const char *code, const char *message_part)
{
    if (r->status != status)
        return cg_fmt("%s: want status %ld (%s)%s%s; body: %.800s", what(r), status, code,
                      r->curl_code ? "; curl: " : "", r->curl_error, r->body);
    const char *why = cg_check_common_headers(r);
    if (why) return why;
    const char *ct = cg_header(r, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 || (ct[16] && ct[16] != ';' && ct[16] != ' '))
        return cg_fmt("%s: error Content-Type is '%s', want application/json", what(r), ct ? ct : "(absent)");
    if (!r->json || !YAJL_IS_OBJECT(r->json)) return cg_fmt("%s: error body is not a JSON object: %.800s", what(r), r->body);
    yajl_val err = cg_member(r->json, "error");
    if (!err || !YAJL_IS_OBJECT(err)) return cg_fmt("%s: no \"error\" object: %.800s", what(r), r->body);
    const char *c = cg_str(err, "code");
    if (!c || strcmp(c, code) != 0) return cg_fmt("%s: error code '%s', want '%s': %.800s", what(r), c ? c : "(none)", code, r->body);
    const char *m = cg_str(err, "message");
    if (!m || !*m) return cg_fmt("%s: no error message: %.800s", what(r), r->body);
    if (message_part && !strstr(m, message_part))
        return cg_fmt("%s: error message \"%s\" does not contain \"%s\"", what(r), m, message_part);
    yajl_val inner = cg_member(err, "innerError");
    if (!inner || !YAJL_IS_OBJECT(inner)) return cg_fmt("%s: no innerError object: %.800s", what(r), r->body);
    const char *date = cg_str(inner, "date");
    if (!is_innererror_date(date)) return cg_fmt("%s: innerError.date '%s' is not like 2026-11-24T16:30:00", what(r), date ? date : "(none)");
    const char *rid = cg_str(inner, "request-id");
    if (!rid || strcmp(rid, cg_header(r, "request-id")) != 0)
        return cg_fmt("%s: innerError.request-id '%s' is not the request-id header '%s'", what(r), rid ? rid : "(none)",
                      cg_header(r, "request-id"));
    if (!cg_str(inner, "client-request-id"))
        return cg_fmt("%s: innerError has no client-request-id string: %.800s", what(r), r->body);
    return NULL;
}

static bool in_list(const char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0) return true;
    return false;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

const char *cg_check_entity_object(yajl_val obj, const cg_type *t)
{
    if (!obj || !YAJL_IS_OBJECT(obj)) return cg_fmt("a %s is not a JSON object", t->name);
    const char *type = cg_str(obj, "@odata.type");
    if (!type || type[0] != '#' || strcmp(type + 1, t->name) != 0)
        return cg_fmt("@odata.type is '%s', want '#%s'", type ? type : "(absent)", t->name);
    for (int i = 0; t->props[i]; i++)
        if (!cg_has(obj, t->props[i])) return cg_fmt("property '%s' is missing from the %s", t->props[i], t->name);
    for (size_t i = 0; i < obj->u.object.len; i++) {
        const char *k = obj->u.object.keys[i];
        if (!strchr(k, '@') && !in_list(t->props, k)) return cg_fmt("unexpected property '%s' on the %s", k, t->name);
    }
    const char *id = cg_str(obj, "id");
    if (!cg_is_uuid(id)) return cg_fmt("id '%s' is not a lowercase UUID", id ? id : "(not a string)");
    for (int i = 0; t->props[i]; i++) {
        if (!ends_with(t->props[i], "DateTime")) continue;
        const char *v = cg_str(obj, t->props[i]);
        long long us;
        if (!v || !cg_parse_instant(v, &us) || v[strlen(v) - 1] != 'Z')
            return cg_fmt("%s '%s' is not a UTC DateTimeOffset", t->props[i], v ? v : "(not a string)");
    }
    if (cg_has(obj, "password") && !cg_is_null(obj, "password"))
        return cg_fmt("password is returned (it must always read null)");
    return NULL;
}

static const char *check_json_head(const cg_response *r, long status)
{
    if (r->status != status)
        return cg_fmt("%s: want status %ld%s%s; body: %.800s", what(r), status, r->curl_code ? "; curl: " : "",
                      r->curl_error, r->body);
    const char *why = cg_check_common_headers(r);
    if (why) return why;
    const char *ct = cg_header(r, "Content-Type");
    if (!ct || strcmp(ct, JSON_MEDIA_TYPE) != 0)
        return cg_fmt("%s: Content-Type '%s', want '%s'", what(r), ct ? ct : "(absent)", JSON_MEDIA_TYPE);
    if (!r->json || !YAJL_IS_OBJECT(r->json)) return cg_fmt("%s: body is not a JSON object: %.800s", what(r), r->body);
    return NULL;
}

const char *cg_check_entity_response(const cg_response *r, long status, const cg_type *t, const char *version)
{
    const char *why = check_json_head(r, status);
    if (why) return why;
    const char *want = cg_fmt("%s/%s/$metadata#%s%s", cg_base(), version, t->context, t->singleton ? "" : "/$entity");
    const char *ctx = cg_str(r->json, "@odata.context");
    if (!ctx || strcmp(ctx, want) != 0)
        return cg_fmt("%s: @odata.context '%s', want '%s'", what(r), ctx ? ctx : "(absent)", want);
    why = cg_check_entity_object(r->json, t);
    return why ? cg_fmt("%s: %s: %.800s", what(r), why, r->body) : NULL;
}

const char *cg_check_collection_response(const cg_response *r, const cg_type *t, const char *version)
{
    const char *why = check_json_head(r, 200);
    if (why) return why;
    const char *want = cg_fmt("%s/%s/$metadata#%s", cg_base(), version, t->context);
    const char *ctx = cg_str(r->json, "@odata.context");
    if (!ctx || strcmp(ctx, want) != 0)
        return cg_fmt("%s: @odata.context '%s', want '%s'", what(r), ctx ? ctx : "(absent)", want);
    yajl_val value = cg_member(r->json, "value");
    if (!value || !YAJL_IS_ARRAY(value)) return cg_fmt("%s: no \"value\" array: %.800s", what(r), r->body);
    for (size_t i = 0; i < value->u.array.len; i++) {
        why = cg_check_entity_object(value->u.array.values[i], t);
        if (why) return cg_fmt("%s: value[%zu]: %s", what(r), i, why);
    }
    return NULL;
}

/* The text of a string or number known to be one (YAJL_GET_* may return NULL, to the compiler). */
static const char *sv(yajl_val v) { return v->u.string; }
static const char *nv(yajl_val v) { return v->u.number.r; }

static const char *json_kind(yajl_val v)
{
    if (!v || YAJL_IS_NULL(v)) return "null";
    if (YAJL_IS_STRING(v)) return "string";
    if (YAJL_IS_NUMBER(v)) return "number";
    if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) return "boolean";
    if (YAJL_IS_OBJECT(v)) return "object";
    return "array";
}

const char *cg_compare_doc(yajl_val got, const char *doc_json)
{
    yajl_val doc = cg_parse(doc_json);
    if (!doc || !YAJL_IS_OBJECT(doc)) return cg_fmt("the documented example is not a JSON object (test bug)");
    if (!got || !YAJL_IS_OBJECT(got)) return cg_fmt("the answer is not a JSON object");
    for (size_t i = 0; i < doc->u.object.len; i++) {
        const char *k = doc->u.object.keys[i];
        yajl_val want = doc->u.object.values[i];
        if (!cg_has(got, k)) return cg_fmt("documented property '%s' is missing", k);
        yajl_val v = cg_member(got, k);
        if (strcmp(k, "id") == 0) {
            if (!cg_is_uuid(cg_str(got, "id"))) return cg_fmt("id is not a lowercase UUID");
            continue;
        }
        if (strcmp(k, "password") == 0) {   /* API.md §7: write-only, never returned */
            if (!cg_is_null(got, k)) return cg_fmt("password must read null, got a %s", json_kind(v));
            continue;
        }
        long long us;
        if (YAJL_IS_STRING(want) && cg_parse_instant(YAJL_GET_STRING(want), &us)) {
            const char *why = cg_check_instant(v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL, YAJL_GET_STRING(want));
            if (why) return cg_fmt("%s: %s", k, why);
            continue;
        }
        if (strcmp(json_kind(v), json_kind(want)) != 0)
            return cg_fmt("%s is a %s, documented as a %s", k, json_kind(v), json_kind(want));
        if (YAJL_IS_STRING(want) && strcmp(sv(v), sv(want)) != 0)
            return cg_fmt("%s is \"%s\", documented as \"%s\"", k, sv(v), sv(want));
        if (YAJL_IS_NUMBER(want) && strcmp(nv(v), nv(want)) != 0)
            return cg_fmt("%s is %s, documented as %s", k, nv(v), nv(want));
        if ((YAJL_IS_TRUE(want) && !YAJL_IS_TRUE(v)) || (YAJL_IS_FALSE(want) && !YAJL_IS_FALSE(v)))
            return cg_fmt("%s differs from the documented boolean", k);
    }
    return NULL;
}

/* Is name one of the comma-separated names in list? */
static bool in_csv(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0) return true;
        p += len;
        if (*p == ',') p++;
    }
    return false;
}

static bool same_scalar(yajl_val a, yajl_val b)
{
    if (strcmp(json_kind(a), json_kind(b)) != 0) return false;
    if (YAJL_IS_STRING(a)) return strcmp(sv(a), sv(b)) == 0;
    if (YAJL_IS_NUMBER(a)) return strcmp(nv(a), nv(b)) == 0;
    if (YAJL_IS_TRUE(a) || YAJL_IS_FALSE(a)) return YAJL_IS_TRUE(a) == YAJL_IS_TRUE(b);
    return a == NULL || YAJL_IS_NULL(a);   /* null; structures are never expected here */
}

const char *cg_compare_objects(yajl_val got, yajl_val want, const char *skip)
{
    if (!got || !YAJL_IS_OBJECT(got) || !want || !YAJL_IS_OBJECT(want)) return cg_fmt("not two JSON objects");
    for (size_t i = 0; i < want->u.object.len; i++) {
        const char *k = want->u.object.keys[i];
        if (in_csv(skip, k)) continue;
        if (!cg_has(got, k)) return cg_fmt("'%s' is missing", k);
        yajl_val a = cg_member(got, k), b = want->u.object.values[i];
        if (!same_scalar(a, b))
            return cg_fmt("'%s' changed: %s %s, was %s %s", k, json_kind(a),
                          a && YAJL_IS_STRING(a) ? YAJL_GET_STRING(a) : a && YAJL_IS_NUMBER(a) ? YAJL_GET_NUMBER(a) : "",
                          json_kind(b),
                          b && YAJL_IS_STRING(b) ? YAJL_GET_STRING(b) : b && YAJL_IS_NUMBER(b) ? YAJL_GET_NUMBER(b) : "");
    }
    return NULL;
}

const char *cg_create(const char *version, const char *collection, const char *token, const char *body)
{
    cg_response *r = cg_post(cg_fmt("/%s%s", version, collection), token, body);
    cg_assert_status(r, 201);
    const char *id = cg_str(r->json, "id");
    cr_assert(cg_is_uuid(id), "POST /%s%s: no id in %s", version, collection, r->body);
    return cg_fmt("%s", id);
}

/* ---- database, processes ---------------------------------------------------------------------- */

PGconn *cg_db(void)
{
    if (!conn) {
        conn = PQconnectdb(cg_env("CERTGRAPH_TEST_DB"));
        cr_assert_eq(PQstatus(conn), CONNECTION_OK, "cannot connect to %s: %s", cg_env("CERTGRAPH_TEST_DB"),
                     PQerrorMessage(conn));
    }
    return conn;
}

char *cg_db_value(const char *sql, int nparams, const char *const *params)
{
    PGresult *res = PQexecParams(cg_db(), sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK) {
        char *why = cg_fmt("%s: %s", sql, PQresultErrorMessage(res));
        PQclear(res);
        cr_assert_fail("%s", why);
    }
    char *v = NULL;
    if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0)) v = cg_fmt("%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

pid_t cg_master_pid(void)
{
    const char *path = cg_env("CERTGRAPH_TEST_PIDFILE");
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    long pid = 0;
    int n = fscanf(f, "%ld", &pid);
    fclose(f);
    cr_assert(n == 1 && pid > 1, "%s holds no pid", path);
    return (pid_t)pid;
}

int cg_workers(pid_t pid, pid_t *out, int max)
{
    DIR *d = opendir("/proc");
    cr_assert_not_null(d, "cannot read /proc");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0])) continue;
        char path[300], stat[1024];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t len = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[len] = '\0';
        const char *close = strrchr(stat, ')');
        if (!close) continue;
        if (strncmp(stat + strcspn(stat, "("), "(" THROTTLE_SYNC_COMM ")", strlen(THROTTLE_SYNC_COMM) + 2) == 0) continue;
        char state = 0;
        long ppid = 0;
        if (sscanf(close + 1, " %c %ld", &state, &ppid) != 2) continue;
        if (ppid != (long)pid || state == 'Z' || state == 'X') continue;
        if (n < max) out[n] = (pid_t)atol(e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

/* ---- metrics --------------------------------------------------------------------------------- */

cg_response *cg_metrics(void)
{
    cg_response *r = cg_get("/metrics", NULL);
    cg_assert_status(r, 200);
    const char *type = cg_header(r, "Content-Type");
    cr_assert(type && strncmp(type, "text/plain; version=0.0.4", 25) == 0, "%s", type ? type : "(none)");
    return r;
}

double cg_metric(const cg_response *page, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = page->body; p && *p;) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ') return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        if (p) p++;
    }
    return 0;
}

/* ---- the pool --------------------------------------------------------------------------------- */

static bool pool_restarted_with_env;

pid_t cg_restart_pool(const char *env)
{
    cr_assert_eq(system(cg_env("CERTGRAPH_TEST_POOL_STOP")), 0, "pool-stop failed");
    pool_restarted_with_env = true;
    cr_assert_eq(system(cg_fmt("%s %s", env, cg_env("CERTGRAPH_TEST_POOL_START"))), 0, "pool-start failed");
    return cg_master_pid();
}

void cg_restore_pool(void)
{
    if (!pool_restarted_with_env) return;
    cr_assert_eq(system(cg_env("CERTGRAPH_TEST_POOL_STOP")), 0, "pool-stop failed");
    cr_assert_eq(system(cg_env("CERTGRAPH_TEST_POOL_START")), 0, "pool-start failed");
    pool_restarted_with_env = false;
}
