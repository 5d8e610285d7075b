#include "db.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct statement {
    char name[16];
    char *text;
    int nparams;
};

struct db {
    char *conninfo;
    PGconn *conn;
    struct statement *stmts;   /* [entity index][op] */
    int nentities;
    time_t last_attempt;       /* connection attempts while PostgreSQL is down are spaced out */
    int failed_attempts;
};

static int entity_index(const entity *e)
{
    for (int i = 0; certgraph_entities[i]; i++)
        if (certgraph_entities[i] == e) return i;
    return -1;
}

db *db_new(const char *conninfo)
{
    db *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->conninfo = strdup(conninfo ? conninfo : "");
    while (certgraph_entities[d->nentities]) d->nentities++;
    d->stmts = calloc((size_t)d->nentities * SQL_OP_COUNT, sizeof *d->stmts);
    for (int i = 0; i < d->nentities; i++)
        for (int op = 0; op < SQL_OP_COUNT; op++) {
            struct statement *s = &d->stmts[i * SQL_OP_COUNT + op];
            snprintf(s->name, sizeof s->name, "e%d_%d", i, op);
            s->text = sql_build(certgraph_entities[i], (sql_op)op, &s->nparams);
        }
    return d;
}

void db_free(db *d)
{
    if (!d) return;
    if (d->conn) PQfinish(d->conn);
    for (int i = 0; i < d->nentities * SQL_OP_COUNT; i++) free(d->stmts[i].text);
    free(d->stmts);
    free(d->conninfo);
    free(d);
}

static bool command_ok(PGresult *r)
{
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
}

static void disconnect(db *d)
{
    if (d->conn) PQfinish(d->conn);
    d->conn = NULL;
}

static bool connect_and_prepare(db *d)
{
    /* While PostgreSQL is down, try at most once a second so a burst of requests fails fast. */
    time_t now = time(NULL);
    if (d->failed_attempts > 0 && now == d->last_attempt) return false;
    d->last_attempt = now;
    /* A PostgreSQL host that does not answer must not hang requests: connect_timeout defaults to
     * 5 s here, and the connection string, expanded after it, may still set its own. */
    const char *const keys[] = { "connect_timeout", "dbname", NULL };
    const char *const values[] = { "5", d->conninfo, NULL };
    d->conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(d->conn) != CONNECTION_OK) goto fail;
    /* Timestamps are read back as UTC ISO text, which values.c turns into OData's form. */
    if (!command_ok(PQexec(d->conn, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; "
                                              "SET client_encoding = 'UTF8'")))
        goto fail;
    for (int i = 0; i < d->nentities * SQL_OP_COUNT; i++) {
        struct statement *s = &d->stmts[i];
        if (!s->text) continue;
        if (!command_ok(PQprepare(d->conn, s->name, s->text, s->nparams, NULL))) {
            fprintf(stderr, "certgraphd: cannot prepare %s: %s", s->name, PQerrorMessage(d->conn));
            goto fail;
        }
    }
    d->failed_attempts = 0;
    return true;
fail:
    if (d->failed_attempts++ == 0)
        fprintf(stderr, "certgraphd[%d]: database unavailable: %s", (int)getpid(), PQerrorMessage(d->conn));
    disconnect(d);
    return false;
}

bool db_connect(db *d)
{
    return d->conn || connect_and_prepare(d);
}

/* An idle connection has nothing to read unless the server is telling us it is going away
 * (shutdown, restart, idle kill); we LISTEN to nothing, so any input then means reconnect before
 * sending, and the request need not fail. */
static bool connection_usable(db *d)
{
    if (!d->conn || PQstatus(d->conn) != CONNECTION_OK) return false;
    struct pollfd p = { .fd = PQsocket(d->conn), .events = POLLIN };
    return poll(&p, 1, 0) == 0;
}

static db_status classify(PGresult *r, PGconn *conn)
{
    if (PQstatus(conn) != CONNECTION_OK) return DB_UNAVAILABLE;
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (state && strncmp(state, "22", 2) == 0) return DB_BAD_VALUE;
    /* 57P: operator intervention (shutdown, cancel); 08: connection exception; 53: resources */
    if (state && (strncmp(state, "57P", 3) == 0 || strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0))
        return DB_UNAVAILABLE;
    return DB_FAILED;
}

static void release_result(void *r)
{
    PQclear(r);
}

db_status db_run(db *d, arena *a, const entity *e, sql_op op, const char *const *params, bool idempotent,
                 PGresult **out)
{
    *out = NULL;
    int ei = entity_index(e);
    if (ei < 0) return DB_FAILED;
    struct statement *s = &d->stmts[ei * SQL_OP_COUNT + op];
    if (!s->text) return DB_FAILED;

    for (int attempt = 0; attempt < 2; attempt++) {
        if (!connection_usable(d)) {
            disconnect(d);
            if (!connect_and_prepare(d)) return DB_UNAVAILABLE;
        }
        PGresult *r = PQexecPrepared(d->conn, s->name, s->nparams, params, NULL, NULL, 0);
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
            arena_own(a, release_result, r);
            *out = r;
            return DB_OK;
        }
        db_status status = classify(r, d->conn);
        if (status == DB_FAILED)
            fprintf(stderr, "certgraphd[%d]: %s failed: %s", (int)getpid(), s->name, PQresultErrorMessage(r));
        PQclear(r);
        if (status != DB_UNAVAILABLE) return status;
        disconnect(d);
        if (!idempotent) return DB_UNAVAILABLE;
    }
    return DB_UNAVAILABLE;
}
