#include "handlers.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "json.h"
#include "router.h"
#include "values.h"

#define LIST_PAGE_SIZE 100

typedef struct call {
    const request *rq;
    response *rs;
    db *db;
    route rt;
    const entity *e;
} call;

/* ---- rendering ------------------------------------------------------------------------------- */

static const char *context_url(const call *c, bool single_of_collection)
{
    return arena_printf(c->rq->a, "%s/%s/$metadata#%s/%s%s", c->rq->base_url, c->rt.version,
                        c->e->parent_segment, c->e->segment, single_of_collection ? "/$entity" : "");
}

static const char *entity_url(const call *c, const char *id)
{
    return arena_printf(c->rq->a, "%s/%s/%s/%s/%s", c->rq->base_url, c->rt.version, c->e->parent_segment,
                        c->e->segment, id);
}

/* Writes one entity's properties; values[i] is the stored text of column i (NULL for null). */
static void write_properties(const call *c, json_writer *w, const char *const *values)
{
    json_key(w, "@odata.type");
    json_string(w, arena_printf(c->rq->a, "#%s", c->e->type_name));
    int col = 0;
    for (int i = 0; i < c->e->nprops; i++) {
        const property *p = &c->e->props[i];
        json_key(w, p->name);
        const char *v = p->column ? values[col++] : NULL;
        if (!v) { json_null(w); continue; }
        if (p->type == EDM_INT32) {
            json_number(w, v);
        } else if (p->type == EDM_DATETIMEOFFSET) {
            char iso[64];
            value_timestamp_to_odata(v, iso, sizeof iso);
            json_string(w, iso);
        } else {
            json_string(w, v);
        }
    }
}

static const char **row_values(const call *c, PGresult *r, int row)
{
    int n = PQnfields(r);
    const char **values = arena_alloc(c->rq->a, (size_t)(n > 0 ? n : 1) * sizeof *values);
    for (int i = 0; i < n; i++) values[i] = PQgetisnull(r, row, i) ? NULL : PQgetvalue(r, row, i);
    return values;
}

static void respond_entity(call *c, int status, const char *const *values)
{
    response *rs = c->rs;
    rs->status = status;
    rs->content_type = MEDIA_TYPE_JSON;
    json_writer *w = json_writer_new(&rs->body);
    json_begin_object(w);
    json_key(w, "@odata.context");
    json_string(w, context_url(c, !c->e->singleton));
    write_properties(c, w, values);
    json_end_object(w);
}

/* Prefer: return=minimal on a write: 204 and no body (a POST keeps its Location). */
static bool wants_minimal(const request *rq)
{
    if (!rq->prefer) return false;
    for (const char *p = rq->prefer; (p = strcasestr(p, "return")); p += 6) {
        const char *q = p + 6;
        while (*q == ' ') q++;
        if (*q != '=') continue;
        q++;
        while (*q == ' ') q++;
        if (strncasecmp(q, "minimal", 7) == 0) return true;
    }
    return false;
}

static void respond_written(call *c, int status, const char *const *values)
{
    if (wants_minimal(c->rq)) {
        c->rs->status = 204;
        response_add_header(c->rs, "Preference-Applied", "return=minimal");
        return;
    }
    respond_entity(c, status, values);
}

/* ---- checks ---------------------------------------------------------------------------------- */

static bool has_scope(const char *scopes, const char *wanted)
{
    size_t n = strlen(wanted);
    for (const char *p = scopes; p && *p;) {
        while (*p == ' ') p++;
        size_t len = strcspn(p, " ");
        if (len == n && strncasecmp(p, wanted, n) == 0) return true;
        p += len;
    }
    return false;
}

static bool authorized(const call *c, bool write)
{
    const char *const *wanted = write ? c->e->write_scopes : c->e->read_scopes;
    for (int i = 0; wanted[i]; i++)
        if (has_scope(c->rq->scopes, wanted[i])) return true;
    return false;
}

static bool json_content_type(const char *ct)
{
    if (!ct) return false;
    while (*ct == ' ') ct++;
    if (strncasecmp(ct, "application/json", 16) != 0) return false;
    char next = ct[16];
    return next == '\0' || next == ';' || next == ' ';
}

static bool read_body(call *c, prop_value *values)
{
    if (!json_content_type(c->rq->content_type)) {
        respond_error(c->rq, c->rs, 415, "The request body must be sent with Content-Type application/json.");
        return false;
    }
    const char *message = NULL;
    if (!json_read_entity(c->rq->a, c->e, c->rq->body, c->rq->body_len, values, &message)) {
        respond_error(c->rq, c->rs, 400, message);
        return false;
    }
    return true;
}

static bool db_ok(call *c, db_status st)
{
    switch (st) {
    case DB_OK: return true;
    case DB_UNAVAILABLE:
        response_add_header(c->rs, "Retry-After", "5");
        respond_error(c->rq, c->rs, 503, "The service is temporarily unavailable. Retry later.");
        return false;
    case DB_BAD_VALUE:
        respond_error(c->rq, c->rs, 400, "A property value is out of the range the service can store.");
        return false;
    default:
        respond_error(c->rq, c->rs, 500, "The service could not complete the request.");
        return false;
    }
}

static void not_found(call *c)
{
    respond_error(c->rq, c->rs, 404, arena_printf(c->rq->a, "The %s with id '%.100s' was not found.",
                                                   strrchr(c->e->type_name, '.') + 1, c->rt.key ? c->rt.key : ""));
}

/* ---- operations ------------------------------------------------------------------------------ */

/* Parameters for SQL_INSERT / SQL_UPDATE: tenant, id, then (flag, value) per writable property. */
static const char **write_params(call *c, const char *id, const prop_value *values, int *count)
{
    int idx[ENTITY_MAX_PROPERTIES];
    int n = sql_writable_properties(c->e, idx);
    const char **params = arena_alloc(c->rq->a, (size_t)(2 + 2 * n) * sizeof *params);
    params[0] = c->rq->tenant;
    params[1] = id;
    for (int k = 0; k < n; k++) {
        const prop_value *v = &values[idx[k]];
        params[2 + 2 * k] = v->present ? "true" : "false";
        params[3 + 2 * k] = v->present ? v->text : NULL;
    }
    *count = 2 + 2 * n;
    return params;
}

static void op_get(call *c, const char *id)
{
    PGresult *r = NULL;
    const char *params[2] = { c->rq->tenant, id };
    if (!db_ok(c, db_run(c->db, c->rq->a, c->e, SQL_GET, params, true, &r))) return;
    if (PQntuples(r) == 0) {
        if (c->e->singleton) {
            /* Before its first PATCH the singleton reads as its defaults (API.md §1). */
            int ncols = entity_column_count(c->e);
            const char **values = arena_alloc(c->rq->a, (size_t)ncols * sizeof *values);
            int col = 0;
            for (int i = 0; i < c->e->nprops; i++) {
                const property *p = &c->e->props[i];
                if (!p->column) continue;
                values[col++] = (p->flags & PROP_KEY) ? id : property_default(p);
            }
            respond_entity(c, 200, values);
        } else {
            not_found(c);
        }
    } else {
        respond_entity(c, 200, row_values(c, r, 0));
    }
}

static void op_list(call *c)
{
    const char *after = NULL;
    for (int i = 0; i < c->rt.noptions; i++)
        if (strcmp(c->rt.options[i].name, "$skiptoken") == 0) after = c->rt.options[i].value;
    if (after && !value_uuid_valid(after, strlen(after))) {
        respond_error(c->rq, c->rs, 400, "The $skiptoken is not valid.");
        return;
    }
    char limit[16];
    snprintf(limit, sizeof limit, "%d", LIST_PAGE_SIZE + 1);   /* one more tells whether a next page exists */
    const char *first[2] = { c->rq->tenant, limit };
    const char *next[3] = { c->rq->tenant, after, limit };
    PGresult *r = NULL;
    if (!db_ok(c, db_run(c->db, c->rq->a, c->e, after ? SQL_LIST_AFTER : SQL_LIST_FIRST, after ? next : first, true, &r)))
        return;
    int rows = PQntuples(r);
    bool more = rows > LIST_PAGE_SIZE;
    if (more) rows = LIST_PAGE_SIZE;

    response *rs = c->rs;
    rs->status = 200;
    rs->content_type = MEDIA_TYPE_JSON;
    json_writer *w = json_writer_new(&rs->body);
    json_begin_object(w);
    json_key(w, "@odata.context");
    json_string(w, context_url(c, false));
    if (more) {
        json_key(w, "@odata.nextLink");
        json_string(w, arena_printf(c->rq->a, "%s/%s/%s/%s?$skiptoken=%s", c->rq->base_url, c->rt.version,
                                    c->e->parent_segment, c->e->segment, PQgetvalue(r, rows - 1, 0)));
    }
    json_key(w, "value");
    json_begin_array(w);
    for (int i = 0; i < rows; i++) {
        json_begin_object(w);
        write_properties(c, w, row_values(c, r, i));
        json_end_object(w);
    }
    json_end_array(w);
    json_end_object(w);
}

static void op_create(call *c)
{
    prop_value *values = arena_alloc(c->rq->a, (size_t)c->e->nprops * sizeof *values);
    if (!read_body(c, values)) return;
    int nparams;
    const char **params = write_params(c, NULL, values, &nparams);   /* a POSTed id is ignored */
    PGresult *r = NULL;
    if (!db_ok(c, db_run(c->db, c->rq->a, c->e, SQL_INSERT, params, false, &r))) return;
    const char **row = row_values(c, r, 0);
    response_add_header(c->rs, "Location", entity_url(c, row[0]));
    respond_written(c, 201, row);
}

static void op_update(call *c, const char *id)
{
    prop_value *values = arena_alloc(c->rq->a, (size_t)c->e->nprops * sizeof *values);
    if (!read_body(c, values)) return;
    int key = entity_property_index(c->e, "id", 2);
    if (key >= 0 && values[key].present && (values[key].is_null || strcasecmp(values[key].text, id) != 0)) {
        respond_error(c->rq, c->rs, 400, "The id in the request body does not match the id in the URL.");
        return;
    }
    int nparams;
    const char **params = write_params(c, id, values, &nparams);
    PGresult *r = NULL;
    /* The singleton is upserted (created by its first PATCH); entities of a collection are updated. */
    if (!db_ok(c, db_run(c->db, c->rq->a, c->e, c->e->singleton ? SQL_INSERT : SQL_UPDATE, params, false, &r))) return;
    if (PQntuples(r) == 0) not_found(c);
    else respond_written(c, 200, row_values(c, r, 0));
}

static void op_delete(call *c, const char *id)
{
    const char *params[2] = { c->rq->tenant, id };
    PGresult *r = NULL;
    if (!db_ok(c, db_run(c->db, c->rq->a, c->e, SQL_DELETE, params, false, &r))) return;
    if (strcmp(PQcmdTuples(r), "0") == 0) not_found(c);
    else c->rs->status = 204;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

static const char *unsupported_option(const route *rt, bool is_list)
{
    for (int i = 0; i < rt->noptions; i++) {
        const char *name = rt->options[i].name;
        if (name[0] != '$') continue;   /* Graph ignores custom query parameters */
        if (is_list && strcmp(name, "$skiptoken") == 0) continue;
        return name;
    }
    return NULL;
}

void handle_api(const request *rq, response *rs, db *d)
{
    call c = { .rq = rq, .rs = rs, .db = d };
    route_parse(rq->a, rq->uri, &c.rt);
    if (c.rt.error_status) {
        respond_error(rq, rs, c.rt.error_status, c.rt.error_message);
        return;
    }
    c.e = c.rt.entity;
    const char *m = rq->method;
    bool collection = !c.e->singleton && !c.rt.key;
    const char *allow = collection ? "GET, POST" : c.e->singleton ? "GET, PATCH" : "GET, PATCH, DELETE";
    bool is_get = strcmp(m, "GET") == 0;
    bool allowed = is_get || (strcmp(m, "POST") == 0 && collection) || (strcmp(m, "PATCH") == 0 && !collection) ||
                   (strcmp(m, "DELETE") == 0 && !collection && !c.e->singleton);
    if (!allowed) {
        response_add_header(rs, "Allow", allow);
        respond_error(rq, rs, 405, arena_printf(rq->a, "The HTTP method '%.20s' is not allowed on this resource.", m));
        return;
    }
    if (!rq->tenant || !value_uuid_valid(rq->tenant, strlen(rq->tenant))) {
        response_add_header(rs, "WWW-Authenticate", "Bearer");
        respond_error(rq, rs, 401, "Access token is empty.");
        return;
    }
    if (!authorized(&c, !is_get)) {
        respond_error(rq, rs, 403, "The token does not carry a permission that allows this request.");
        return;
    }
    const char *option = unsupported_option(&c.rt, is_get && collection);
    if (option) {
        respond_error(rq, rs, 400, arena_printf(rq->a, "Query option '%.50s' is not supported on this request.", option));
        return;
    }

    char id[37];
    if (c.e->singleton) {
        entity_singleton_id(c.e, rq->tenant, id);
    } else if (c.rt.key) {
        /* Not a UUID cannot name an entity: the same 404 as a missing one, without a query. */
        if (!value_uuid_valid(c.rt.key, strlen(c.rt.key))) { not_found(&c); return; }
        for (int i = 0; i < 36; i++) id[i] = (char)tolower((unsigned char)c.rt.key[i]);
        id[36] = '\0';
    }

    if (collection) {
        if (is_get) op_list(&c);
        else op_create(&c);
    } else if (is_get) {
        op_get(&c, id);
    } else if (strcmp(m, "PATCH") == 0) {
        op_update(&c, id);
    } else {
        op_delete(&c, id);
    }
}

/* ---- token check ----------------------------------------------------------------------------- */

/* nginx caches a 200 for this long at most, and never past the token's exp. */
#define TOKEN_CACHE_MAX_SECONDS 300

void handle_token_check(const request *rq, response *rs, const auth_config *cfg, const char *authorization)
{
    auth_identity id;
    time_t now = time(NULL);
    auth_result res = auth_verify(cfg, authorization, now, &id);
    if (res != AUTH_OK) {
        rs->status = 401;
        const char *msg = auth_result_message(res);
        response_add_header(rs, "WWW-Authenticate",
                            res == AUTH_MISSING ? "Bearer realm=\"certgraph\""
                                                : arena_printf(rq->a, "Bearer realm=\"certgraph\", error=\"invalid_token\", error_description=\"%s\"", msg));
        response_add_header(rs, "X-Certgraph-Error", msg);
        response_add_header(rs, "X-Accel-Expires", "0");
        return;
    }
    long long ttl = id.exp - (long long)now;
    if (ttl > TOKEN_CACHE_MAX_SECONDS) ttl = TOKEN_CACHE_MAX_SECONDS;
    if (ttl < 0) ttl = 0;
    rs->status = 200;
    response_add_header(rs, "X-Certgraph-Tenant", arena_strdup(rq->a, id.tenant));
    response_add_header(rs, "X-Certgraph-Scopes", arena_strdup(rq->a, id.scopes));
    response_add_header(rs, "X-Certgraph-App", arena_strdup(rq->a, id.app));
    response_add_header(rs, "X-Accel-Expires", arena_printf(rq->a, "%lld", ttl));
}
