#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any fixed number works; it only has to be the same for every certgraphctl. */
#define MIGRATE_LOCK_KEY "7247291093"

static int exec_ok(PGconn *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "certgraphctl migrate: %s", PQerrorMessage(conn));
    PQclear(r);
    return ok;
}

static int is_applied(PGconn *conn, int version, int *applied)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *params[1] = { v };
    PGresult *r = PQexecParams(conn, "SELECT 1 FROM schema_migrations WHERE version = $1::integer",
                               1, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    if (ok) *applied = PQntuples(r) > 0;
    else fprintf(stderr, "certgraphctl migrate: %s", PQerrorMessage(conn));
    PQclear(r);
    return ok;
}

static int record(PGconn *conn, const struct migration *m)
{
    char v[16];
    snprintf(v, sizeof v, "%d", m->version);
    const char *params[2] = { v, m->name };
    PGresult *r = PQexecParams(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)",
                               2, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "certgraphctl migrate: %s", PQerrorMessage(conn));
    PQclear(r);
    return ok;
}

int migrate_apply(PGconn *conn, int verbose)
{
    int applied_count = 0;
    if (!exec_ok(conn, "SET client_min_messages = warning")) return -1;
    if (!exec_ok(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")")) return -1;
    if (!exec_ok(conn, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " version integer PRIMARY KEY, name text NOT NULL,"
                       " applied_at timestamptz NOT NULL DEFAULT now())")) goto fail;
    for (const struct migration *m = certgraph_migrations; m->name; m++) {
        int applied = 0;
        if (!is_applied(conn, m->version, &applied)) goto fail;
        if (applied) continue;
        if (!exec_ok(conn, "BEGIN")) goto fail;
        if (!exec_ok(conn, m->sql) || !record(conn, m)) {
            exec_ok(conn, "ROLLBACK");
            fprintf(stderr, "certgraphctl migrate: migration %s failed\n", m->name);
            goto fail;
        }
        if (!exec_ok(conn, "COMMIT")) goto fail;
        if (verbose) printf("applied %s\n", m->name);
        applied_count++;
    }
    exec_ok(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")");
    return applied_count;
fail:
    exec_ok(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")");
    return -1;
}

int migrate_service_login(PGconn *conn, const char *password)
{
    if (!password || !*password) return exec_ok(conn, "ALTER ROLE certgraph_service LOGIN");
    /* ALTER ROLE takes no parameters: the password is quoted by libpq, never pasted raw */
    char *quoted = PQescapeLiteral(conn, password, strlen(password));
    if (!quoted) return 0;
    size_t n = strlen(quoted) + 64;
    char *sql = malloc(n);
    int ok = 0;
    if (sql) {
        snprintf(sql, n, "ALTER ROLE certgraph_service LOGIN PASSWORD %s", quoted);
        ok = exec_ok(conn, sql);
        free(sql);
    }
    PQfreemem(quoted);
    return ok;
}
