/* SQL text for each entity and operation, built once from the entity table. Every value travels as
 * a parameter; only names from the table itself are ever spliced into the text. */
#ifndef CERTGRAPH_SQL_H
#define CERTGRAPH_SQL_H
#include "entity.h"

typedef enum sql_op {
    SQL_GET,               /* $1 tenant, $2 id */
    SQL_LIST_FIRST,        /* $1 tenant, $2 limit */
    SQL_LIST_AFTER,        /* $1 tenant, $2 last id seen, $3 limit */
    SQL_INSERT,            /* $1 tenant, $2 id (singleton) or unused, then (flag, value) per writable column */
    SQL_UPDATE,            /* $1 tenant, $2 id, then (flag, value) per writable column */
    SQL_DELETE,            /* $1 tenant, $2 id */
    SQL_OP_COUNT
} sql_op;

/* malloc'd statement text and its parameter count; NULL when the op does not apply to e. */
char *sql_build(const entity *e, sql_op op, int *nparams);

/* The writable (column-backed, not read-only) properties, in the order their (flag, value)
 * parameter pairs follow $2; returns the count and fills idx (size e->nprops). */
int sql_writable_properties(const entity *e, int *idx);
#endif
