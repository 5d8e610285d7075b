/* The request and response values handlers work on. FastCGI I/O stays at the edge (worker.c), so a
 * batch dispatcher and the tests can call the same handlers without a socket. */
#ifndef CERTGRAPH_HTTP_H
#define CERTGRAPH_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include "arena.h"

typedef struct request {
    arena *a;                       /* owns everything below and the response */
    const char *method;             /* GET, POST, PATCH, DELETE, ... */
    const char *uri;                /* raw request-target: path and query, still percent-encoded */
    const char *content_type;       /* NULL when absent */
    const char *prefer;             /* Prefer header, NULL when absent */
    const char *body;
    size_t body_len;
    const char *base_url;           /* scheme://host[:port], for @odata.context and Location */
    const char *tenant;             /* verified tid from the token check; "" when none */
    const char *scopes;             /* space-separated scp and roles */
    const char *request_id;         /* UUID chosen by nginx (or by us without nginx) */
    const char *client_request_id;  /* as sent, "" when none */
    /* Who acts, as the token check verified it, and from where: for the audit trail. */
    const char *user_id;            /* oid; "" when none */
    const char *upn;                /* upn or preferred_username; "" when none */
    const char *app;                /* appid or azp; "" when none */
    bool delegated;                 /* a user's token, not an application's own */
    const char *client_ip;          /* the address nginx saw; "" when unknown */
} request;

#define RESPONSE_MAX_HEADERS 8

typedef struct response {
    int status;
    const char *content_type;       /* NULL: no body */
    const char *header_names[RESPONSE_MAX_HEADERS];
    const char *header_values[RESPONSE_MAX_HEADERS];
    int nheaders;
    strbuf body;
    const char *resource;           /* what was asked for, for metrics: a type name, "$batch", ... */
} response;

#define MEDIA_TYPE_JSON "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

void response_init(response *rs, arena *a);
void response_add_header(response *rs, const char *name, const char *value);
const char *http_reason(int status);
#endif
