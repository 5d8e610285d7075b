/* All database access: one libpq connection per worker, the CRUD statements prepared at connect
 * time, reconnect after PostgreSQL restarts, and the one transaction of a request that writes.
 * No other file touches libpq. */
#ifndef CERTGRAPH_DB_H
#define CERTGRAPH_DB_H
#include <stdbool.h>
#include "arena.h"
#include "sql.h"

typedef struct db db;
typedef struct db_rows db_rows;

typedef enum db_status {
    DB_OK,
    DB_UNAVAILABLE,   /* no connection, or it broke before the transaction could commit: 503 */
    DB_UNKNOWN,       /* the connection broke once COMMIT was on its way: committed or not, db_settle tells */
    DB_BAD_VALUE,     /* PostgreSQL rejected a value (class 22): 400 */
    DB_CONFLICT,      /* a key that exists already (23505): 409 */
    DB_FAILED         /* anything else: 500 */
} db_status;

/* Does not connect: db_connect or the first statement does. password (NULL or "": none) is used over
 * any in conninfo. NULL only if out of memory. */
db *db_new(const char *conninfo, const char *password);
void db_free(db *d);
/* Connects and prepares now (a worker does it at start-up); false if PostgreSQL is not reachable. */
bool db_connect(db *d);

/* Runs a statement. Outside a transaction, one that does not write and finds the connection broken
 * is retried once on a fresh one. On DB_OK *out holds the rows, owned by the request's arena a. */
db_status db_run(db *d, arena *a, const sql_statement *s, db_rows **out);

/* PostgreSQL answers a trivial query on this connection (reconnecting first if need be) within
 * timeout_ms: the readiness probe. A query that does not answer in time drops the connection. */
bool db_ping(db *d, int timeout_ms);

/* A request's writes: db_begin opens one transaction that every db_run joins until db_commit or
 * db_rollback. BEGIN travels with the first statement, so it costs no extra round trip. */
void db_begin(db *d);
db_status db_commit(db *d);
/* Runs last (rows discarded) and commits, in one round trip; a failure of either commits nothing.
 * DB_UNKNOWN when the connection broke after COMMIT was sent. */
db_status db_commit_after(db *d, const sql_statement *last);
/* After DB_UNKNOWN: reconnects (to whichever server takes writes now, trying for up to
 * DB_SETTLE_SECONDS), waits until the session that sent the COMMIT has ended if it was on this
 * same server (it may still be waiting for the synchronous standby), then runs probe, a read that
 * finds what the transaction wrote. DB_OK with *out, or DB_UNAVAILABLE when no server answered. */
#define DB_SETTLE_SECONDS 10
db_status db_settle(db *d, arena *a, const sql_statement *probe, db_rows **out);
void db_rollback(db *d);

int db_rows_count(const db_rows *r);
/* The text of property prop (an index into the statement's entity's props) in row; NULL when it is
 * SQL null or the statement did not select it. */
const char *db_rows_value(const db_rows *r, int row, int prop);
/* A row's values by property (the statement's entity's nprops of them, in the arena), as
 * db_rows_value gives them; before: the values from before the statement (an UPDATE's, DELETE's or
 * upsert's), NULL when there was no row before. */
const char **db_rows_values(const db_rows *r, arena *a, int row, bool before);
/* Column col of row, for a statement of no entity; NULL when it is SQL null or out of range. */
const char *db_rows_cell(const db_rows *r, int row, int col);
/* The first column of the first row (a count, say); NULL when there is none. */
const char *db_rows_scalar(const db_rows *r);
#endif
