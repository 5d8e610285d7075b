/* All database access: one libpq connection per worker, every statement prepared at connect time,
 * reconnect after PostgreSQL restarts. */
#ifndef CERTGRAPH_DB_H
#define CERTGRAPH_DB_H
#include <stdbool.h>
#include <libpq-fe.h>
#include "arena.h"
#include "entity.h"
#include "sql.h"

typedef struct db db;

typedef enum db_status {
    DB_OK,
    DB_UNAVAILABLE,   /* no connection, or it broke mid-statement: 503 */
    DB_BAD_VALUE,     /* PostgreSQL rejected a value (class 22): 400 */
    DB_FAILED         /* anything else: 500 */
} db_status;

/* Does not connect: db_connect or the first db_run does. NULL only if out of memory. */
db *db_new(const char *conninfo);
void db_free(db *d);
/* Connects and prepares now (a worker does it at start-up); false if PostgreSQL is not reachable. */
bool db_connect(db *d);

/* Runs entity e's prepared statement op. A read (idempotent) that finds the connection broken is
 * retried once on a fresh one; a write is not, since it may have committed. On DB_OK *out holds the
 * result, owned by the request's arena a (cleared when the request's memory is released). */
db_status db_run(db *d, arena *a, const entity *e, sql_op op, const char *const *params, bool idempotent,
                 PGresult **out);
#endif
