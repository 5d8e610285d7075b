/* One API request on its way through dispatch (dispatch.c), an operation (operations.c, batch.c,
 * metadata.c) and the rendering of its answer (render.c). Private to those files. */
#ifndef CERTGRAPH_CALL_H
#define CERTGRAPH_CALL_H
#include <stdbool.h>
#include "db.h"
#include "http.h"
#include "odata.h"
#include "router.h"

typedef struct call {
    const request *rq;
    response *rs;
    db *db;               /* what the operation runs on */
    db *reads;            /* where a GET may go instead (standbys), NULL when configured nowhere */
    route rt;
    const entity *e;
    odata_query q;        /* the query options the operation takes, checked */
    char id[37];          /* the entity's id, lowercase, or the singleton's; "" for a collection */
    const sql_statement *audit;   /* a successful write's auditEvent, inserted as the transaction commits */
    char audit_id[37];            /* its id, made here: what tells, after an unanswered COMMIT, whether it committed */
} call;

/* ---- operations.c ---- */
void op_list(call *c);
void op_create(call *c);
void op_get(call *c);
void op_update(call *c);
void op_upsert(call *c);
void op_delete(call *c);
void op_count(call *c);
/* True for DB_OK; otherwise answers the failure (503 with Retry-After, 400, 500) and returns false. */
bool call_db_ok(call *c, db_status st);
void call_not_found(call *c);

/* ---- metadata.c, batch.c ---- */
void op_metadata(call *c);
void op_batch(call *c);

/* ---- render.c ---- */
const char *render_context_url(const call *c, bool single_of_collection);
const char *render_entity_url(const call *c, const char *id);
/* values[e->nprops]: each property's stored text, NULL for null (write-only ones are always null). */
void render_entity(call *c, int status, const char *const *values);
/* After a write: the entity, or 204 when the client asked for Prefer: return=minimal. */
void render_written(call *c, int status, const char *const *values);
/* A page of a collection; count (@odata.count) NULL unless asked for, next_link NULL on the last. */
void render_collection(call *c, const char *const *const *rows, int nrows, const char *count, const char *next_link);
/* The absolute URL of the next page: the same options as this request, and the token. */
const char *render_next_link(const call *c, const char *skiptoken);
#endif
