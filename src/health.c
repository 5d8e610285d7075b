#include "health.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "metrics.h"
#include "secret.h"

static unsigned char metrics_token_digest[HEALTH_TOKEN_DIGEST_LEN];
static bool metrics_token_set;

/* The path of the request-target, without its query. */
static bool path_is(const char *uri, const char *path)
{
    size_t n = strlen(path);
    return strncmp(uri, path, n) == 0 && (uri[n] == '\0' || uri[n] == '?');
}

static void answer(response *rs, const char *text)
{
    rs->status = 200;
    rs->content_type = "text/plain; charset=utf-8";
    sb_adds(&rs->body, text);
}

void handle_health(const request *rq, response *rs, db *d)
{
    rs->resource = "health";
    const char *uri = rq->uri ? rq->uri : "";
    bool ready = path_is(uri, "/readyz");
    if (!ready && !path_is(uri, "/healthz")) {
        respond_error(rq, rs, 404, "There is no such probe; use /healthz or /readyz.");
        return;
    }
    if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
        response_add_header(rs, "Allow", "GET, HEAD");
        respond_error(rq, rs, 405, "A probe answers GET and HEAD only.");
        return;
    }
    if (!ready) {
        answer(rs, "ok\n");
        return;
    }
    if (!db_ping(d, HEALTH_READY_TIMEOUT_MS)) {
        response_add_header(rs, "Retry-After", "5");
        respond_error(rq, rs, 503, "The service is not ready: PostgreSQL did not answer within 1 second.");
        return;
    }
    answer(rs, "ready\n");
}

static void digest(const char *s, size_t n, unsigned char out[32])
{
    unsigned int len = 0;
    EVP_Digest(s, n, out, &len, EVP_sha256(), NULL);
}

bool health_metrics_token_read(const char *path, unsigned char out[HEALTH_TOKEN_DIGEST_LEN], char *err, size_t errlen)
{
    char line[512];
    if (!secret_read_line(path, "metrics token", 16, line, sizeof line, err, errlen)) return false;
    digest(line, strlen(line), out);
    OPENSSL_cleanse(line, sizeof line);
    return true;
}

void health_metrics_token_use(const unsigned char *token_digest)
{
    metrics_token_set = token_digest != NULL;
    if (token_digest) memcpy(metrics_token_digest, token_digest, sizeof metrics_token_digest);
}

bool health_metrics_token_load(const char *path, char *err, size_t errlen)
{
    unsigned char d[HEALTH_TOKEN_DIGEST_LEN];
    if (!health_metrics_token_read(path, d, err, errlen)) return false;
    health_metrics_token_use(d);
    return true;
}

static bool loopback(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

static bool holds_token(const char *authorization)
{
    if (!metrics_token_set || !authorization || strncasecmp(authorization, "Bearer ", 7) != 0) return false;
    unsigned char d[32];
    digest(authorization + 7, strlen(authorization + 7), d);
    return CRYPTO_memcmp(d, metrics_token_digest, sizeof d) == 0;   /* digests: no length or timing leak */
}

void handle_metrics(const request *rq, response *rs, const char *authorization)
{
    rs->resource = "metrics";
    if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
        response_add_header(rs, "Allow", "GET, HEAD");
        respond_error(rq, rs, 405, "/metrics answers GET and HEAD only.");
        return;
    }
    if (!loopback(rq->client_ip ? rq->client_ip : "") && !holds_token(authorization)) {
        respond_error(rq, rs, 403, "/metrics is served to loopback addresses, or with the metrics token.");
        return;
    }
    rs->status = 200;
    rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
    sb_adds(&rs->body, metrics_render(rq->a));
}
