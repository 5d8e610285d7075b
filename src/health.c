#include "health.h"

#include <string.h>

#include "errors.h"

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
