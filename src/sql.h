/* SQL statement values, built from the entity tables. Every value travels as a parameter; only names
 * from the tables themselves are ever spliced into the text. This file alone knows which parameter
 * sits in which slot and which property each result column carries. */
#ifndef CERTGRAPH_SQL_H
#define CERTGRAPH_SQL_H
#include <stdbool.h>
#include "arena.h"
#include "entity.h"
#include "odata.h"

typedef enum sql_op {
    SQL_GET,
    SQL_INSERT,            /* for the singleton an upsert: created on first PATCH, updated after */
    SQL_UPDATE,
    SQL_DELETE,
    SQL_OP_COUNT
} sql_op;

/* A statement ready to run, or (params NULL) the template it was made from. */
typedef struct sql_statement {
    const char *name;          /* prepared at connect under this name; NULL: sent with its text */
    const char *text;
    int nparams;
    const char *const *params;
    const entity *entity;
    int ncolumns;
    const int *column_props;   /* result column i carries entity->props[column_props[i]] */
    bool writes;               /* never retried on a fresh connection: it may have committed */
} sql_statement;

/* The CRUD templates of every entity, made once per process; db.c prepares them at connect.
 * Returns their number and sets *out; NULL entries are ops that do not apply to an entity. */
int sql_templates(const sql_statement *const **out);

/* This request's statements, in the arena; NULL when the op does not apply to e. */
const sql_statement *sql_get(arena *a, const entity *e, const char *tenant, const char *id);
/* values[e->nprops] as read from the body; id is NULL for a POST to a collection. */
const sql_statement *sql_insert(arena *a, const entity *e, const char *tenant, const char *id, const prop_value *values);
const sql_statement *sql_update(arena *a, const entity *e, const char *tenant, const char *id, const prop_value *values);
const sql_statement *sql_delete(arena *a, const entity *e, const char *tenant, const char *id);

/* A page of a collection under a query: the filter, the order (then id), the selection plus the
 * order's keys, after the keyset values (q->norder of them, then the id; NULL: the first page,
 * from q->skip), at most limit rows. Sent with its text (unnamed). */
const sql_statement *sql_query_list(arena *a, const entity *e, const char *tenant, const odata_query *q,
                                    const char *const *after, int limit);
/* The number of e's entities that the filter (NULL: none) matches, as one row of one column. */
const sql_statement *sql_query_count(arena *a, const entity *e, const char *tenant, const filter_node *filter);
#endif
