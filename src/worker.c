#include "worker.h"

#include <fcgiapp.h>
#include <openssl/rand.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "errors.h"
#include "dispatch.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "signals.h"
#include "token_check.h"
#include "values.h"

#define BODY_LIMIT (1024 * 1024)

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static const char *param(FCGX_Request *fr, const char *name)
{
    const char *v = FCGX_GetParam(name, fr->envp);
    return v ? v : "";
}

static bool printable(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= max || (unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e) return false;
    return true;
}

static const char *new_request_id(arena *a)
{
    char *id = arena_alloc(a, 37);
    if (!value_uuid_random(id)) snprintf(id, 37, "00000000-0000-4000-8000-000000000000");
    return id;
}

static bool host_chars(const char *host)
{
    if (!*host || strlen(host) > 255) return false;
    for (const char *p = host; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(".-:[]", *p)))
            return false;
    return true;
}

/* The origin for absolute URLs (@odata.context, Location, nextLink): the configured public URL,
 * else the Host the client named (nginx passes its own validated $host and the port), else
 * localhost when the Host has anything odd in it. */
static const char *base_url(arena *a, FCGX_Request *fr, const char *public_url)
{
    if (public_url) return public_url;
    const char *host = param(fr, "HTTP_HOST");
    const char *scheme = strcmp(param(fr, "HTTPS"), "on") == 0 ? "https" : "http";
    return arena_printf(a, "%s://%s", scheme, host_chars(host) ? host : "localhost");
}

/* Reads the body into the arena; false when it exceeds the limit (it is then left unread). */
static bool read_body(FCGX_Request *fr, arena *a, request *rq)
{
    const char *cl = param(fr, "CONTENT_LENGTH");
    char *end;
    long long len = *cl ? strtoll(cl, &end, 10) : 0;
    if (*cl && (*end || len < 0)) len = 0;
    if (len > BODY_LIMIT) return false;
    char *body = arena_alloc(a, (size_t)len + 1);
    int got = len > 0 ? FCGX_GetStr(body, (int)len, fr->in) : 0;
    body[got > 0 ? got : 0] = '\0';
    rq->body = body;
    rq->body_len = got > 0 ? (size_t)got : 0;
    return true;
}

/* The head is formatted here, not with FCGX_FPrintF, whose own printf lacks C99 conversions. */
static void write_response(FCGX_Request *fr, const response *rs)
{
    strbuf head;
    sb_init(&head, rs->body.a, 512);
    sb_printf(&head, "Status: %d %s\r\n", rs->status, http_reason(rs->status));
    for (int i = 0; i < rs->nheaders; i++)
        sb_printf(&head, "%s: %s\r\n", rs->header_names[i], rs->header_values[i]);
    size_t body_len = rs->content_type ? rs->body.len : 0;
    if (rs->content_type) sb_printf(&head, "Content-Type: %s\r\n", rs->content_type);
    sb_printf(&head, "Content-Length: %zu\r\n\r\n", body_len);
    FCGX_PutStr(head.data, (int)head.len, fr->out);
    if (body_len) FCGX_PutStr(rs->body.data, (int)body_len, fr->out);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void serve(FCGX_Request *fr, arena *a, db *d, db *reads, const config *cfg, const auth_config *auth)
{
    struct timespec started;
    clock_gettime(CLOCK_MONOTONIC, &started);
    request rq = { .a = a };
    response rs;
    response_init(&rs, a);
    rq.method = param(fr, "REQUEST_METHOD");
    rq.uri = param(fr, "REQUEST_URI");
    rq.content_type = FCGX_GetParam("CONTENT_TYPE", fr->envp);
    rq.prefer = FCGX_GetParam("HTTP_PREFER", fr->envp);
    rq.tenant = param(fr, "CERTGRAPH_TENANT");
    rq.scopes = param(fr, "CERTGRAPH_SCOPES");
    rq.user_id = param(fr, "CERTGRAPH_OID");
    rq.upn = param(fr, "CERTGRAPH_UPN");
    rq.app = param(fr, "CERTGRAPH_APP");
    rq.delegated = strcmp(param(fr, "CERTGRAPH_DELEGATED"), "1") == 0;
    rq.client_ip = param(fr, "REMOTE_ADDR");
    rq.base_url = base_url(a, fr, cfg->public_url);
    const char *rid = param(fr, "REQUEST_ID");
    rq.request_id = value_uuid_valid(rid, strlen(rid)) ? rid : new_request_id(a);
    log_set_request(rq.request_id);
    const char *crid = param(fr, "CLIENT_REQUEST_ID");
    rq.client_request_id = printable(crid, 200) ? crid : "";

    const char *role = param(fr, "CERTGRAPH_ROLE");
    if (strcmp(role, "auth") == 0) {
        rs.resource = "tokenCheck";
        handle_token_check(&rq, &rs, auth, FCGX_GetParam("HTTP_AUTHORIZATION", fr->envp));
    } else if (strcmp(role, "health") == 0) {
        handle_health(&rq, &rs, d);
    } else if (strcmp(role, "metrics") == 0) {
        handle_metrics(&rq, &rs, FCGX_GetParam("HTTP_AUTHORIZATION", fr->envp));
    } else if (!read_body(fr, a, &rq)) {
        respond_error(&rq, &rs, 413, "The request body is larger than 1 MiB.");
        fr->keepConnection = 0;   /* the unread body must not be taken for the next request */
    } else {
        handle_api(&rq, &rs, d, reads);
    }
    write_response(fr, &rs);
    double seconds = seconds_since(&started);
    metrics_request(rs.resource, rq.method, rs.status, seconds);
    /* nginx logs every request; the pool adds a line for what an operator must look into */
    if (rs.status >= 500 && rs.status != 503) {
        char status[16];
        snprintf(status, sizeof status, "%d", rs.status);
        log_event(LOG_ERROR, "request_failed", "method", rq.method, "resource", rs.resource, "status", status, NULL);
    }
    log_set_request(NULL);
}

int worker_run(const service *svc, int listen_fd, int ready_fd)
{
    const config *cfg = &svc->cfg;
    const auth_config *auth = svc->auth;
    /* A stop signal must interrupt the idle accept(); while a request is served the signals are
     * blocked, so that request always finishes. A reload is the master's. */
    signals_install(on_stop, NULL);

    db *d = db_new(cfg->db, svc->db_password);
    db_connect(d);   /* at start-up, so the first request finds it ready; if it fails, requests retry */
    db *reads = cfg->db_read ? db_new(cfg->db_read, svc->db_password) : NULL;
    if (reads) db_connect(reads);
    if (ready_fd >= 0) {
        /* tells the master this worker takes requests now (a reload waits for it) */
        if (write(ready_fd, "r", 1) != 1) log_event(LOG_WARN, "ready_not_told", "error", strerror(errno), NULL);
        close(ready_fd);
    }
    arena *a = arena_new(64 * 1024);
    FCGX_Request fr;
    FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
    long served = 0;
    while (!stop_requested) {
        signals_mask(SIG_UNBLOCK, NULL);
        if (stop_requested) break;
        int rc = FCGX_Accept_r(&fr);
        signals_mask(SIG_BLOCK, NULL);
        if (rc < 0) {
            /* Interrupted, or a connection that closed before its request; anything else (out of
             * descriptors, say) is retried after a pause rather than in a busy loop. */
            if (rc != -EINTR && !stop_requested) usleep(10000);
            continue;
        }
        serve(&fr, a, d, reads, cfg, auth);
        FCGX_Finish_r(&fr);
        arena_reset(a);   /* every byte the request allocated goes here, in one call */
        if (cfg->max_requests > 0 && ++served >= cfg->max_requests) break;
    }
    FCGX_Finish_r(&fr);
    FCGX_Free(&fr, 1);
    arena_free(a);
    db_free(reads);
    db_free(d);
    return 0;
}
