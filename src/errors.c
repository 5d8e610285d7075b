#include "errors.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "values.h"

static const struct { int status; const char *code; const char *reason; } statuses[] = {
    { 200, NULL, "OK" },
    { 201, NULL, "Created" },
    { 204, NULL, "No Content" },
    { 400, "BadRequest", "Bad Request" },
    { 401, "InvalidAuthenticationToken", "Unauthorized" },
    { 403, "Forbidden", "Forbidden" },
    { 404, "ResourceNotFound", "Not Found" },
    { 405, "MethodNotAllowed", "Method Not Allowed" },
    { 409, "Conflict", "Conflict" },
    { 413, "RequestEntityTooLarge", "Request Entity Too Large" },
    { 414, "RequestUriTooLong", "Request-URI Too Long" },
    { 415, "UnsupportedMediaType", "Unsupported Media Type" },
    { 424, "FailedDependency", "Failed Dependency" },
    { 429, "TooManyRequests", "Too Many Requests" },
    { 500, "InternalServerError", "Internal Server Error" },
    { 503, "ServiceUnavailable", "Service Unavailable" },
    { 504, "GatewayTimeout", "Gateway Timeout" },
};

const char *graph_error_code(int status)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (statuses[i].status == status && statuses[i].code) return statuses[i].code;
    return status >= 500 ? "InternalServerError" : "BadRequest";
}

const char *http_reason(int status)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (statuses[i].status == status) return statuses[i].reason;
    return "Unknown";
}

void response_init(response *rs, arena *a)
{
    memset(rs, 0, sizeof *rs);
    rs->status = 200;
    sb_init(&rs->body, a, 1024);
}

void response_add_header(response *rs, const char *name, const char *value)
{
    if (rs->nheaders < RESPONSE_MAX_HEADERS) {
        rs->header_names[rs->nheaders] = name;
        rs->header_values[rs->nheaders] = value;
        rs->nheaders++;
    }
}

void respond_error(const request *rq, response *rs, int status, const char *message)
{
    char date[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);

    /* Headers set for the failed attempt (Location, Preference-Applied) no longer apply; those
     * that explain the error do. */
    static const char *const kept[] = { "Allow", "WWW-Authenticate", "Retry-After" };
    response old = *rs;
    response_init(rs, rq->a);
    for (int i = 0; i < old.nheaders; i++)
        for (size_t k = 0; k < sizeof kept / sizeof kept[0]; k++)
            if (strcmp(old.header_names[i], kept[k]) == 0)
                response_add_header(rs, old.header_names[i], old.header_values[i]);
    rs->status = status;
    rs->content_type = MEDIA_TYPE_JSON;
    rs->resource = old.resource;

    json_writer *w = json_writer_new(&rs->body);
    json_begin_object(w);
    json_key(w, "error");
    json_begin_object(w);
    json_key(w, "code"); json_string(w, graph_error_code(status));
    /* Messages quote what the client sent (path segments, property names), maybe cut short. */
    json_key(w, "message"); json_string(w, value_utf8_sanitize(rq->a, message));
    json_key(w, "innerError");
    json_begin_object(w);
    json_key(w, "date"); json_string(w, date);
    json_key(w, "request-id"); json_string(w, rq->request_id ? rq->request_id : "");
    json_key(w, "client-request-id"); json_string(w, rq->client_request_id ? rq->client_request_id : "");
    json_end_object(w);
    json_end_object(w);
    json_end_object(w);
}
