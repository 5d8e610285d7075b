/* The Graph operations of API.md §1 on an entity table: List, Create, Get, Update, Delete, and the
 * singleton's upserting PATCH. Each reads the call, runs its statement and renders the answer. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "call.h"
#include "errors.h"
#include "json.h"
#include "metrics.h"
#include "skiptoken.h"
#include "values.h"

bool call_db_ok(call *c, db_status st)
{
    switch (st) {
    case DB_OK: return true;
    case DB_UNAVAILABLE:
        metrics_count(METRIC_DB_UNAVAILABLE);
        response_add_header(c->rs, "Retry-After", "5");
        respond_error(c->rq, c->rs, 503, "The service is temporarily unavailable. Retry later.");
        return false;
    case DB_CONFLICT:
        respond_error(c->rq, c->rs, 409, "An entity with that key exists already.");
        return false;
    case DB_BAD_VALUE:
        respond_error(c->rq, c->rs, 400, "A property value is out of the range the service can store.");
        return false;
    default:
        respond_error(c->rq, c->rs, 500, "The service could not complete the request.");
        return false;
    }
}

void call_not_found(call *c)
{
    respond_error(c->rq, c->rs, 404, arena_printf(c->rq->a, "The %s with id '%.100s' was not found.",
                                                   strrchr(c->e->type_name, '.') + 1, c->rt.key ? c->rt.key : ""));
}

/* A row as values by property (what render.c takes). */
static const char **row_values(const call *c, const db_rows *r, int row)
{
    return db_rows_values(r, c->rq->a, row, false);
}

/* The row as it was before the write; NULL when there was none (the singleton's first PATCH). */
static const char **old_row_values(const call *c, const db_rows *r, int row)
{
    return db_rows_values(r, c->rq->a, row, true);
}

/* The auditEvent of a write that succeeded, committed with it (dispatch.c). */
static void audit(call *c, audit_operation op, const char *id, const char *const *old, const char *const *new,
                  const prop_value *body)
{
    const request *rq = c->rq;
    audit_actor who = { .user_id = rq->user_id, .upn = rq->upn, .app = rq->app, .scopes = rq->scopes,
                        .ip = rq->client_ip, .delegated = rq->delegated };
    const char *crid = rq->client_request_id;
    char correlation[37];
    if (!crid || !value_uuid_lower(crid, strlen(crid), correlation)) snprintf(correlation, sizeof correlation, "%s", rq->request_id);
    bool made = value_uuid_random(c->audit_id);
    c->audit = audit_record(rq->a, c->e, rq->tenant, op, id, old, new, body, &who, correlation, rq->request_id,
                            made ? c->audit_id : NULL);
    if (!made) c->audit_id[0] = '\0';
}

/* The body's values by property; NULL once the error has been answered. */
static prop_value *read_body(call *c)
{
    if (!json_media_type(c->rq->content_type)) {
        respond_error(c->rq, c->rs, 415, "The request body must be sent with Content-Type application/json.");
        return NULL;
    }
    prop_value *values = arena_alloc(c->rq->a, (size_t)c->e->nprops * sizeof *values);
    const char *message = NULL;
    if (!json_read_entity(c->rq->a, c->e, c->rq->body, c->rq->body_len, values, &message) ||
        (c->e->derive && !c->e->derive(c->rq->a, values, &message))) {
        respond_error(c->rq, c->rs, 400, message);
        return NULL;
    }
    return values;
}

/* A PATCH body: an id in it must be the entity's own. */
static prop_value *read_patch_body(call *c)
{
    prop_value *values = read_body(c);
    if (!values) return NULL;
    int key = entity_property_index(c->e, "id", 2);
    if (key >= 0 && values[key].present && (values[key].is_null || strcasecmp(values[key].text, c->id) != 0)) {
        respond_error(c->rq, c->rs, 400, "The id in the request body does not match the id in the URL.");
        return NULL;
    }
    return values;
}

void op_get(call *c)
{
    db_rows *r = NULL;
    if (!call_db_ok(c, db_run(c->db, c->rq->a, sql_get(c->rq->a, c->e, c->rq->tenant, c->id), &r))) return;
    if (db_rows_count(r) > 0) {
        render_entity(c, 200, row_values(c, r, 0));
    } else if (c->e->singleton) {
        /* Before its first PATCH the singleton reads as its defaults (API.md §1). */
        const char **values = arena_alloc(c->rq->a, (size_t)c->e->nprops * sizeof *values);
        for (int i = 0; i < c->e->nprops; i++) {
            const property *p = &c->e->props[i];
            values[i] = (p->flags & PROP_KEY) ? c->id : property_default(p);
        }
        render_entity(c, 200, values);
    } else {
        call_not_found(c);
    }
}

void op_list(call *c)
{
    arena *a = c->rq->a;
    const odata_query *q = &c->q;
    int nkeys = q->norder + 1;   /* the order's keys, then id */
    unsigned char digest[SKIPTOKEN_DIGEST_LEN];
    const char **after = NULL;
    if (q->skiptoken) {
        odata_digest(a, q, c->e, c->rq->tenant, digest);
        after = arena_alloc(a, (size_t)nkeys * sizeof *after);
        if (!skiptoken_read(a, digest, q->skiptoken, after, nkeys)) {
            respond_error(c->rq, c->rs, 400, "The $skiptoken is not valid: it was altered, or it was made for "
                                             "another query, tenant or server key.");
            return;
        }
    }
    db_rows *r = NULL;
    const char *count = NULL;
    if (q->count) {
        if (!call_db_ok(c, db_run(c->db, a, sql_query_count(a, c->e, c->rq->tenant, q->filter), &r))) return;
        count = db_rows_scalar(r);
    }
    /* one more row than a page tells whether a next page exists */
    const sql_statement *s = sql_query_list(a, c->e, c->rq->tenant, q, after, q->top + 1);
    if (!call_db_ok(c, db_run(c->db, a, s, &r))) return;
    int nrows = db_rows_count(r);
    bool more = nrows > q->top;
    if (more) nrows = q->top;
    const char ***rows = arena_alloc(a, (size_t)(nrows > 0 ? nrows : 1) * sizeof *rows);
    for (int i = 0; i < nrows; i++) rows[i] = row_values(c, r, i);
    const char *next = NULL;
    if (more) {
        if (!q->skiptoken) odata_digest(a, q, c->e, c->rq->tenant, digest);
        const char **last = arena_alloc(a, (size_t)nkeys * sizeof *last);
        for (int k = 0; k < q->norder; k++) last[k] = rows[nrows - 1][q->order[k].prop];
        last[q->norder] = rows[nrows - 1][0];
        next = render_next_link(c, skiptoken_make(a, digest, last, nkeys));
    }
    render_collection(c, (const char *const *const *)rows, nrows, count, next);
}

void op_count(call *c)
{
    db_rows *r = NULL;
    if (!call_db_ok(c, db_run(c->db, c->rq->a, sql_query_count(c->rq->a, c->e, c->rq->tenant, c->q.filter), &r))) return;
    const char *n = db_rows_scalar(r);
    c->rs->status = 200;
    c->rs->content_type = "text/plain; charset=utf-8";
    sb_adds(&c->rs->body, n ? n : "0");
}

void op_create(call *c)
{
    prop_value *values = read_body(c);
    if (!values) return;
    db_rows *r = NULL;
    /* A POSTed id is ignored: the worker makes the id (so the entity written is known by its key
     * whatever becomes of the COMMIT), PostgreSQL only if there are no random bytes. */
    char id[37];
    const sql_statement *s = sql_insert(c->rq->a, c->e, c->rq->tenant, value_uuid_random(id) ? id : NULL, values);
    if (!call_db_ok(c, db_run(c->db, c->rq->a, s, &r))) return;
    const char **row = row_values(c, r, 0);
    audit(c, AUDIT_CREATE, row[0], NULL, row, values);
    response_add_header(c->rs, "Location", render_entity_url(c, row[0]));
    render_written(c, 201, row);
}

void op_update(call *c)
{
    prop_value *values = read_patch_body(c);
    if (!values) return;
    db_rows *r = NULL;
    const sql_statement *s = sql_update(c->rq->a, c->e, c->rq->tenant, c->id, values);
    if (!call_db_ok(c, db_run(c->db, c->rq->a, s, &r))) return;
    if (db_rows_count(r) == 0) {
        call_not_found(c);
        return;
    }
    const char **row = row_values(c, r, 0);
    audit(c, AUDIT_PATCH, c->id, old_row_values(c, r, 0), row, values);
    render_written(c, 200, row);
}

/* The singleton's PATCH creates it the first time and updates it after, in one statement. */
void op_upsert(call *c)
{
    prop_value *values = read_patch_body(c);
    if (!values) return;
    db_rows *r = NULL;
    const sql_statement *s = sql_insert(c->rq->a, c->e, c->rq->tenant, c->id, values);
    if (!call_db_ok(c, db_run(c->db, c->rq->a, s, &r))) return;
    const char **row = row_values(c, r, 0);
    /* the first PATCH creates it, but Graph (and so the trail) calls every one a Patch */
    audit(c, AUDIT_PATCH, c->id, old_row_values(c, r, 0), row, values);
    render_written(c, 200, row);
}

void op_delete(call *c)
{
    db_rows *r = NULL;
    if (!call_db_ok(c, db_run(c->db, c->rq->a, sql_delete(c->rq->a, c->e, c->rq->tenant, c->id), &r))) return;
    if (db_rows_count(r) == 0) {
        call_not_found(c);
        return;
    }
    audit(c, AUDIT_DELETE, c->id, old_row_values(c, r, 0), NULL, NULL);
    c->rs->status = 204;
}
