/* The audit trail of API.md §8: what a successful write changed, and the auditEvent row that records
 * it, inserted in the write's own transaction (the operations and certgraphctl import both call it). */
#ifndef CERTGRAPH_AUDIT_H
#define CERTGRAPH_AUDIT_H
#include <stdbool.h>
#include "arena.h"
#include "entity.h"
#include "sql.h"

typedef enum { AUDIT_CREATE, AUDIT_PATCH, AUDIT_DELETE } audit_operation;

/* Who wrote, as the token check verified it ("" or NULL where a claim was absent). */
typedef struct audit_actor {
    const char *user_id;            /* oid */
    const char *upn;                /* upn or preferred_username; ignored for app-only tokens */
    const char *app;                /* appid or azp */
    const char *scopes;             /* scp and roles, space-separated */
    const char *ip;
    const char *app_display_name;   /* certgraphctl names itself; NULL for requests */
    bool delegated;
} audit_actor;

typedef struct audit_change {
    const char *name;
    const char *old_value, *new_value;   /* plain strings, NULL for null */
} audit_change;

/* The properties a write changed, at most e->nprops, into out; returns their number. old and new
 * are the rows before and after by property (NULL: none, for a create or a delete); body is what
 * the request set after the derive step (NULL for a delete). A write-only property in the body is
 * listed with null values; a binary one (content) by the SHA-256 of its bytes, or of the kept
 * certificate when the upload parsed. */
int audit_diff(arena *a, const entity *e, const char *const *old, const char *const *new, const prop_value *body,
               audit_change *out);

/* The INSERT of one auditEvent for a write of entity id in tenant; the ids are GUIDs (the client's
 * correlation id, and the request-id of the call). event_id is the event's own (NULL: PostgreSQL
 * makes one); a worker makes it, so that after a COMMIT of unknown outcome it can look for it. */
const sql_statement *audit_record(arena *a, const entity *e, const char *tenant, audit_operation op, const char *id,
                                  const char *const *old, const char *const *new, const prop_value *body,
                                  const audit_actor *actor, const char *correlation_id, const char *request_id,
                                  const char *event_id);
#endif
