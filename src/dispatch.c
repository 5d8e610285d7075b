/* The operation table: what a path names and the method pick the operation, the permission it
 * needs and the query options it takes; the Allow header of a 405 is read off the same table. */
#include "dispatch.h"

#include <string.h>
#include <strings.h>

#include "call.h"
#include "errors.h"
#include "entity.h"
#include "guard.h"
#include "log.h"
#include "metrics.h"
#include "values.h"

/* SCOPE_TOKEN: any verified token ($batch, whose inner requests are each checked for their own). */
typedef enum { SCOPE_NONE, SCOPE_TOKEN, SCOPE_READ, SCOPE_WRITE } scope_kind;

typedef struct operation {
    path_kind path;
    const char *method;
    void (*run)(call *c);
    scope_kind scope;          /* SCOPE_WRITE runs in one transaction */
    unsigned options;
} operation;

#define LIST_OPTIONS (QO_FILTER | QO_SELECT | QO_ORDERBY | QO_TOP | QO_SKIP | QO_COUNT | QO_SKIPTOKEN)

static const operation operations[] = {
    { PATH_COLLECTION, "GET", op_list, SCOPE_READ, LIST_OPTIONS },
    { PATH_COLLECTION, "POST", op_create, SCOPE_WRITE, 0 },
    { PATH_ENTITY, "GET", op_get, SCOPE_READ, QO_SELECT },
    { PATH_ENTITY, "PATCH", op_update, SCOPE_WRITE, 0 },
    { PATH_ENTITY, "DELETE", op_delete, SCOPE_WRITE, 0 },
    { PATH_SINGLETON, "GET", op_get, SCOPE_READ, QO_SELECT },
    { PATH_SINGLETON, "PATCH", op_upsert, SCOPE_WRITE, 0 },
    { PATH_COUNT, "GET", op_count, SCOPE_READ, QO_FILTER },
    { PATH_BATCH, "POST", op_batch, SCOPE_TOKEN, 0 },
    { PATH_METADATA, "GET", op_metadata, SCOPE_NONE, 0 },   /* like Graph's, it needs no token */
};
#define NOPERATIONS (sizeof operations / sizeof operations[0])

/* An append-only entity (the audit trail) is written by the service alone: no write operation. */
static bool applies(const operation *op, path_kind path, const entity *e)
{
    return op->path == path && !(op->scope == SCOPE_WRITE && e && e->append_only);
}

static const operation *find_operation(path_kind path, const entity *e, const char *method)
{
    for (size_t i = 0; i < NOPERATIONS; i++)
        if (applies(&operations[i], path, e) && strcmp(operations[i].method, method) == 0) return &operations[i];
    return NULL;
}

bool dispatch_is_public(arena *a, const char *uri)
{
    route rt;
    route_parse(a, uri, &rt);
    if (rt.error_status) return false;
    bool any = false;
    for (size_t i = 0; i < NOPERATIONS; i++) {
        if (operations[i].path != rt.kind) continue;
        if (operations[i].scope != SCOPE_NONE) return false;
        any = true;
    }
    return any;
}

static const char *allow_header(arena *a, path_kind path, const entity *e)
{
    strbuf b;
    sb_init(&b, a, 32);
    for (size_t i = 0; i < NOPERATIONS; i++) {
        if (!applies(&operations[i], path, e)) continue;
        if (b.len) sb_adds(&b, ", ");
        sb_adds(&b, operations[i].method);
    }
    return b.data;
}

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

static bool authorized(const call *c, scope_kind scope)
{
    if (scope == SCOPE_NONE || scope == SCOPE_TOKEN) return true;
    const char *const *wanted = scope == SCOPE_WRITE ? c->e->write_scopes : c->e->read_scopes;
    for (int i = 0; wanted[i]; i++)
        if (has_scope(c->rq->scopes, wanted[i])) return true;
    return false;
}

/* The id the operation works on: the singleton's (derived from the tenant) or the path's key.
 * False when the key cannot name an entity. */
static bool resolve_id(call *c)
{
    if (c->rt.kind == PATH_SINGLETON) {
        entity_singleton_id(c->e, c->rq->tenant, c->id);
    } else if (c->rt.kind == PATH_ENTITY) {
        if (!value_uuid_lower(c->rt.key, strlen(c->rt.key), c->id)) return false;
    }
    return true;
}

/* A COMMIT sent but never answered (the primary lost, the connection cut): the write's auditEvent,
 * whose id the worker made, is there exactly when the transaction committed. So the answer already
 * rendered stands if it is found, and 503 (retry: nothing was written) if it is not. */
static db_status settle(call *c)
{
    if (!c->audit_id[0]) return DB_UNAVAILABLE;
    db_rows *r = NULL;
    db_status st = db_settle(c->db, c->rq->a, sql_get(c->rq->a, &audit_event_entity, c->rq->tenant, c->audit_id), &r);
    bool known = st == DB_OK, found = known && db_rows_count(r) > 0;
    log_event(LOG_WARN, "commit_in_doubt", "outcome", !known ? "unknown" : found ? "committed" : "not_committed",
              "event", c->audit_id, NULL);
    metrics_count(!known ? METRIC_COMMITS_UNKNOWN : found ? METRIC_COMMITS_FOUND : METRIC_COMMITS_LOST);
    return found ? DB_OK : DB_UNAVAILABLE;
}

/* A write runs in one transaction: committed when the operation succeeded, else rolled back. */
static void run_in_transaction(call *c, const operation *op)
{
    db_begin(c->db);
    op->run(c);
    if (c->rs->status >= 400) {
        db_rollback(c->db);
        return;
    }
    /* the write's auditEvent commits with it or not at all */
    db_status st = db_commit_after(c->db, c->audit);
    if (st == DB_UNKNOWN) st = settle(c);
    if (st != DB_OK) call_db_ok(c, st);
}

void handle_api(const request *rq, response *rs, db *d, db *reads)
{
    call c = { .rq = rq, .rs = rs, .db = d, .reads = reads };
    route_parse(rq->a, rq->uri, &c.rt);
    if (c.rt.error_status) {
        respond_error(rq, rs, c.rt.error_status, c.rt.error_message);
        return;
    }
    c.e = c.rt.entity;
    rs->resource = c.e ? c.e->type_name : c.rt.kind == PATH_BATCH ? "$batch" : c.rt.kind == PATH_METADATA ? "$metadata" : NULL;
    const operation *op = find_operation(c.rt.kind, c.e, rq->method);
    if (!op) {
        response_add_header(rs, "Allow", allow_header(rq->a, c.rt.kind, c.e));
        respond_error(rq, rs, 405, arena_printf(rq->a, "The HTTP method '%.20s' is not allowed on this resource.",
                                                rq->method));
        return;
    }
    if (op->scope != SCOPE_NONE && (!rq->tenant || !value_uuid_valid(rq->tenant, strlen(rq->tenant)))) {
        response_add_header(rs, "WWW-Authenticate", "Bearer");
        respond_error(rq, rs, 401, "Access token is empty.");
        return;
    }
    /* $batch itself spends no budget: each of its requests does, as it comes through here */
    if (op->scope != SCOPE_NONE && op->path != PATH_BATCH && !guard_admit(rq, rs)) return;
    if (!authorized(&c, op->scope)) {
        respond_error(rq, rs, 403, "The token does not carry a permission that allows this request.");
        return;
    }
    const char *message = NULL;
    if (!odata_parse(rq->a, c.e, &c.rt, op->options, &c.q, &message)) {
        respond_error(rq, rs, 400, message);
        return;
    }
    /* Not a UUID cannot name an entity: the same 404 as a missing one, without a query. */
    if (!resolve_id(&c)) {
        call_not_found(&c);
        return;
    }
    if (op->scope == SCOPE_WRITE) run_in_transaction(&c, op);
    else {
        if (op->scope == SCOPE_READ && c.reads) c.db = c.reads;   /* may lag the primary: README */
        op->run(&c);
    }
}
