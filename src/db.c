#include "db.h"
#include "hash.h"
#include "log.h"
#include "metrics.h"
#include "sleep.h"

#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef enum { TX_NONE, TX_WANTED, TX_OPEN } tx_state;

/* Statements built per request (list queries) take a handful of shapes; each shape is prepared on
 * first use and reused while the connection lasts, saving PostgreSQL the parse and plan. */
#define SHAPE_CACHE_SIZE 64

typedef struct shape {
    unsigned long long hash;
    char *text;
    char name[16];
} shape;

struct db {
    char *conninfo;
    char *password;            /* NULL: the connection string's own, or libpq's other sources */
    PGconn *conn;
    shape shapes[SHAPE_CACHE_SIZE];
    int nshapes;
    tx_state tx;
    int backend_pid;           /* this connection's server session, and the server's start time: */
    char server_started[64];   /* the same pair after a reconnect means the same server */
    int doubt_pid;             /* the session that sent a COMMIT of unknown outcome, and its server */
    char doubt_server[64];
    time_t last_attempt;       /* connection attempts while PostgreSQL is down are spaced out */
    int failed_attempts;
    bool connected_once;       /* a connection after this one is a reconnect */
};

static void forget_shapes(db *d);

struct db_rows {
    PGresult *result;
    const int *column_of;      /* [property], then [nprops + property] for old values -> result column, -1 */
    int nprops;
};

db *db_new(const char *conninfo, const char *password)
{
    db *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->conninfo = strdup(conninfo ? conninfo : "");
    d->password = password && *password ? strdup(password) : NULL;
    if (!d->conninfo || (password && *password && !d->password)) {
        db_free(d);
        return NULL;
    }
    return d;
}

void db_free(db *d)
{
    if (!d) return;
    if (d->conn) PQfinish(d->conn);
    forget_shapes(d);
    free(d->conninfo);
    if (d->password) OPENSSL_cleanse(d->password, strlen(d->password));
    free(d->password);
    free(d);
}

static bool command_ok(PGresult *r)
{
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
}

static void forget_shapes(db *d)
{
    for (int i = 0; i < d->nshapes; i++) free(d->shapes[i].text);
    d->nshapes = 0;
}

static void disconnect(db *d)
{
    if (d->conn) PQfinish(d->conn);
    d->conn = NULL;
    d->tx = TX_NONE;
    forget_shapes(d);
}

/* The prepared name of an unnamed statement's shape, preparing it the first time; NULL (run it
 * unnamed) when the cache is full or the prepare fails. */
static const char *shape_name(db *d, const sql_statement *s)
{
    unsigned long long h = hash_fnv1a(s->text);
    for (int i = 0; i < d->nshapes; i++)
        if (d->shapes[i].hash == h && strcmp(d->shapes[i].text, s->text) == 0) return d->shapes[i].name;
    if (d->nshapes == SHAPE_CACHE_SIZE) return NULL;
    shape *sh = &d->shapes[d->nshapes];
    snprintf(sh->name, sizeof sh->name, "q%d", d->nshapes);
    if (!command_ok(PQprepare(d->conn, sh->name, s->text, s->nparams, NULL))) return NULL;
    sh->hash = h;
    sh->text = strdup(s->text);
    if (!sh->text) return NULL;
    d->nshapes++;
    return sh->name;
}

/* PostgreSQL's notices (a COMMIT whose wait for the standby was cut, say) in the one log format,
 * their first line only: a DETAIL may quote data. */
static void log_notice(void *arg, const char *message)
{
    (void)arg;
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(message, "\n"), message);
    log_event(LOG_WARN, "db_notice", "message", line, NULL);
}

static bool connect_and_prepare(db *d)
{
    /* While PostgreSQL is down, try at most once a second so a burst of requests fails fast. */
    time_t now = time(NULL);
    if (d->failed_attempts > 0 && now == d->last_attempt) return false;
    d->last_attempt = now;
    /* A PostgreSQL host that does not answer must not hang requests: connect_timeout defaults to
     * 5 s here, and the connection string, expanded after it, may still set its own. A password
     * from a file comes last, over the string's. */
    const char *const keys[] = { "connect_timeout", "dbname", d->password ? "password" : NULL, NULL };
    const char *const values[] = { "5", d->conninfo, d->password, NULL };
    d->conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(d->conn) != CONNECTION_OK) goto fail;
    PQsetNoticeProcessor(d->conn, log_notice, NULL);
    /* Timestamps are read back as UTC ISO text, which values.c turns into OData's form. */
    if (!command_ok(PQexec(d->conn, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; "
                                              "SET client_encoding = 'UTF8'")))
        goto fail;
    /* Which server this is, for a COMMIT of unknown outcome (db_settle). */
    PGresult *who = PQexec(d->conn, "SELECT pg_postmaster_start_time()::text");
    bool known = PQresultStatus(who) == PGRES_TUPLES_OK && PQntuples(who) == 1;
    snprintf(d->server_started, sizeof d->server_started, "%s", known ? PQgetvalue(who, 0, 0) : "");
    PQclear(who);
    if (!known) goto fail;
    d->backend_pid = PQbackendPID(d->conn);
    const sql_statement *const *all;
    int n = sql_templates(&all);
    for (int i = 0; i < n; i++) {
        const sql_statement *s = all[i];
        if (!s) continue;
        if (!command_ok(PQprepare(d->conn, s->name, s->text, s->nparams, NULL))) {
            log_event(LOG_ERROR, "db_prepare_failed", "statement", s->name, "error", PQerrorMessage(d->conn), NULL);
            goto fail;
        }
    }
    d->failed_attempts = 0;
    metrics_count(d->connected_once ? METRIC_DB_RECONNECTS : METRIC_DB_CONNECTS);
    d->connected_once = true;
    return true;
fail:
    metrics_count(METRIC_DB_CONNECT_FAILURES);
    if (d->failed_attempts == 0) metrics_count(METRIC_DB_OUTAGES);
    if (d->failed_attempts++ == 0)
        log_event(LOG_WARN, "db_unavailable", "error", PQerrorMessage(d->conn), NULL);
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

/* Only the primary message and SQLSTATE: a DETAIL can quote the failing row, certificate bytes and all. */
static void log_failure(const sql_statement *s, const PGresult *r, PGconn *conn)
{
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    log_event(LOG_ERROR, "db_statement_failed", "statement", s->name ? s->name : "query", "sqlstate",
              r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL, "error", primary ? primary : PQerrorMessage(conn), NULL);
}

static db_status classify(PGresult *r, PGconn *conn)
{
    if (!r || PQstatus(conn) != CONNECTION_OK) return DB_UNAVAILABLE;
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (state && strncmp(state, "22", 2) == 0) return DB_BAD_VALUE;
    if (state && strcmp(state, "23505") == 0) return DB_CONFLICT;
    /* 57P: operator intervention (shutdown, cancel); 08: connection exception; 53: resources */
    if (state && (strncmp(state, "57P", 3) == 0 || strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0))
        return DB_UNAVAILABLE;
    return DB_FAILED;
}

static bool result_ok(const PGresult *r)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

static int send_statement(PGconn *c, const sql_statement *s)
{
    return s->name ? PQsendQueryPrepared(c, s->name, s->nparams, s->params, NULL, NULL, 0)
                   : PQsendQueryParams(c, s->text, s->nparams, NULL, s->params, NULL, NULL, 0);
}

/* The next query's result in a pipeline, and the NULL that follows it. */
static PGresult *pipeline_next(PGconn *c)
{
    PGresult *r = PQgetResult(c);
    if (r && PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
        PGresult *extra;
        while ((extra = PQgetResult(c))) PQclear(extra);
    }
    return r;
}

/* BEGIN and the transaction's first statement in one round trip. NULL when the connection broke. */
static PGresult *begin_and_run(db *d, const sql_statement *s)
{
    PGconn *c = d->conn;
    if (!PQenterPipelineMode(c)) return NULL;
    PGresult *begin = NULL, *r = NULL, *sync = NULL;
    if (PQsendQueryParams(c, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) && send_statement(c, s) && PQpipelineSync(c)) {
        begin = pipeline_next(c);
        r = pipeline_next(c);
        sync = PQgetResult(c);
    }
    bool in_step = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC && PQexitPipelineMode(c);
    bool begun = begin && PQresultStatus(begin) == PGRES_COMMAND_OK;
    PQclear(begin);
    PQclear(sync);
    if (!in_step) {
        PQclear(r);
        return NULL;
    }
    if (begun) d->tx = TX_OPEN;
    return r;
}

static void release_result(void *r)
{
    PQclear(r);
}

static db_rows *wrap(arena *a, const sql_statement *s, PGresult *r)
{
    arena_own(a, release_result, r);
    db_rows *rows = arena_alloc(a, sizeof *rows);
    rows->result = r;
    /* new values by property, then the values from before the statement */
    int nprops = s->entity ? 2 * s->entity->nprops : 0;
    int *column_of = arena_alloc(a, (size_t)(nprops > 0 ? nprops : 1) * sizeof *column_of);
    for (int i = 0; i < nprops; i++) column_of[i] = -1;
    rows->nprops = s->entity ? s->entity->nprops : 0;
    for (int col = 0; col < s->ncolumns && col < PQnfields(r); col++) column_of[s->column_props[col]] = col;
    rows->column_of = column_of;
    return rows;
}

db_status db_run(db *d, arena *a, const sql_statement *s, db_rows **out)
{
    *out = NULL;
    if (!s) return DB_FAILED;
    for (int attempt = 0; attempt < 2; attempt++) {
        /* Inside an open transaction there is no fresh connection to move to. */
        if (d->tx != TX_OPEN && !connection_usable(d)) {
            disconnect(d);
            if (!connect_and_prepare(d)) return DB_UNAVAILABLE;
        }
        bool starts_tx = d->tx == TX_WANTED;
        PGresult *r;
        if (starts_tx) {
            r = begin_and_run(d, s);
        } else {
            const char *name = s->name ? s->name : shape_name(d, s);
            r = name ? PQexecPrepared(d->conn, name, s->nparams, s->params, NULL, NULL, 0)
                     : PQexecParams(d->conn, s->text, s->nparams, NULL, s->params, NULL, NULL, 0);
        }
        if (result_ok(r)) {
            *out = wrap(a, s, r);
            return DB_OK;
        }
        db_status status = classify(r, d->conn);
        if (status == DB_FAILED) log_failure(s, r, d->conn);
        PQclear(r);
        if (status != DB_UNAVAILABLE) return status;
        bool in_tx = d->tx == TX_OPEN;
        disconnect(d);
        /* A write, or anything inside a transaction, may have taken effect: never sent twice. */
        if (s->writes || in_tx) return DB_UNAVAILABLE;
        if (starts_tx) d->tx = TX_WANTED;
    }
    return DB_UNAVAILABLE;
}

bool db_ping(db *d, int timeout_ms)
{
    if (d->tx != TX_NONE) return false;
    if (!connection_usable(d)) {
        disconnect(d);
        if (!connect_and_prepare(d)) return false;
    }
    if (!PQsendQuery(d->conn, "SELECT 1")) {
        disconnect(d);
        return false;
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (PQisBusy(d->conn)) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        struct pollfd p = { .fd = PQsocket(d->conn), .events = POLLIN };
        /* no answer in time: the connection is of no use to the next request either */
        if (spent >= timeout_ms || poll(&p, 1, (int)(timeout_ms - spent)) <= 0 || !PQconsumeInput(d->conn)) {
            disconnect(d);
            return false;
        }
    }
    bool ok = false;
    PGresult *r;
    while ((r = PQgetResult(d->conn))) {
        ok = ok || PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
    }
    return ok;
}

void db_begin(db *d)
{
    d->tx = TX_WANTED;
}

static bool server_went_away(PGresult *r, PGconn *c)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    return PQstatus(c) != CONNECTION_OK || !state || strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0;
}

static void remember_doubt(db *d)
{
    d->doubt_pid = d->backend_pid;
    snprintf(d->doubt_server, sizeof d->doubt_server, "%s", d->server_started);
}

db_status db_settle(db *d, arena *a, const sql_statement *probe, db_rows **out)
{
    time_t deadline = time(NULL) + DB_SETTLE_SECONDS;
    d->tx = TX_NONE;
    while (time(NULL) < deadline) {
        if (!d->conn) {
            d->last_attempt = 0;   /* no spacing out here: the client is waiting for this answer */
            if (!connect_and_prepare(d)) {
                sleep_ms(200);
                continue;
            }
        }
        /* The same server: the session that sent the COMMIT may still be finishing it. */
        if (strcmp(d->server_started, d->doubt_server) == 0 && d->doubt_pid) {
            char pid[16];
            snprintf(pid, sizeof pid, "%d", d->doubt_pid);
            const char *values[] = { pid };
            PGresult *r = PQexecParams(d->conn,
                                       "SELECT 1 FROM pg_stat_activity WHERE pid = $1::int AND pid <> pg_backend_pid()",
                                       1, NULL, values, NULL, NULL, 0);
            bool ended = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 0;
            bool asked = PQresultStatus(r) == PGRES_TUPLES_OK;
            PQclear(r);
            if (!asked) { disconnect(d); continue; }
            if (!ended) { sleep_ms(100); continue; }
        }
        db_status st = db_run(d, a, probe, out);
        if (st != DB_UNAVAILABLE) {
            d->doubt_pid = 0;
            return st;
        }
    }
    d->doubt_pid = 0;
    return DB_UNAVAILABLE;
}

static bool committed(PGresult *r)
{
    return r && PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0;
}

/* The last statement and COMMIT in one round trip (a pipeline): if the statement fails, the
 * transaction is aborted and COMMIT answers ROLLBACK, so neither takes effect. */
static db_status run_and_commit(db *d, const sql_statement *last)
{
    PGconn *c = d->conn;
    if (!PQenterPipelineMode(c)) return DB_UNAVAILABLE;
    PGresult *r = NULL, *commit = NULL, *sync = NULL;
    if (send_statement(c, last) && PQsendQueryParams(c, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) && PQpipelineSync(c)) {
        r = pipeline_next(c);
        commit = pipeline_next(c);
        sync = PQgetResult(c);
    }
    bool in_step = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC && PQexitPipelineMode(c);
    db_status status = DB_OK;
    if (!in_step || !committed(commit)) {
        /* The statement's own error says why nothing committed; a COMMIT the server refused while the
         * connection stood rolled back; a COMMIT without an answer, or cut off by the server going
         * away (class 08, 57), leaves the outcome unknown. */
        if (in_step && r && !result_ok(r)) status = classify(r, c);
        else if (commit && !committed(commit) && !server_went_away(commit, c)) status = classify(commit, c);
        else status = DB_UNKNOWN;
        if (status == DB_UNKNOWN) remember_doubt(d);
        if (in_step && r && !result_ok(r) && status == DB_FAILED) log_failure(last, r, c);
        /* after an error the pipeline skipped COMMIT, leaving the transaction open and aborted */
        if (!in_step || status == DB_UNAVAILABLE || status == DB_UNKNOWN || !command_ok(PQexec(c, "ROLLBACK")))
            disconnect(d);
    }
    PQclear(r);
    PQclear(commit);
    PQclear(sync);
    return status;
}

db_status db_commit_after(db *d, const sql_statement *last)
{
    tx_state was = d->tx;
    d->tx = TX_NONE;
    if (was != TX_OPEN) {   /* nothing ran yet: the statement alone, in its own transaction */
        if (!last) return DB_OK;
        arena *a = arena_new(1024);
        db_rows *r;
        db_status st = db_run(d, a, last, &r);
        arena_free(a);
        return st;
    }
    if (last) return run_and_commit(d, last);
    PGresult *r = PQexec(d->conn, "COMMIT");
    /* COMMIT of a transaction that failed answers ROLLBACK; a broken one leaves the outcome unknown. */
    bool ok = committed(r);
    db_status status = ok ? DB_OK : classify(r, d->conn);
    PQclear(r);
    if (status == DB_UNAVAILABLE) {
        status = DB_UNKNOWN;   /* the COMMIT went out; no answer came back */
        remember_doubt(d);
        disconnect(d);
    }
    return ok ? DB_OK : status;
}

db_status db_commit(db *d)
{
    return db_commit_after(d, NULL);
}

void db_rollback(db *d)
{
    tx_state was = d->tx;
    d->tx = TX_NONE;
    if (was != TX_OPEN) return;
    if (!command_ok(PQexec(d->conn, "ROLLBACK"))) disconnect(d);
}

int db_rows_count(const db_rows *r)
{
    return PQntuples(r->result);
}

const char *db_rows_value(const db_rows *r, int row, int prop)
{
    int col = r->column_of[prop];
    if (col < 0 || PQgetisnull(r->result, row, col)) return NULL;
    return PQgetvalue(r->result, row, col);
}

const char **db_rows_values(const db_rows *r, arena *a, int row, bool before)
{
    const char **values = arena_alloc(a, (size_t)(r->nprops > 0 ? r->nprops : 1) * sizeof *values);
    int first = before ? r->nprops : 0;
    for (int i = 0; i < r->nprops; i++) values[i] = db_rows_value(r, row, first + i);
    /* every row has an id: none before means there was no row */
    return before && r->nprops > 0 && !values[0] ? NULL : values;
}

const char *db_rows_cell(const db_rows *r, int row, int col)
{
    if (row < 0 || row >= PQntuples(r->result) || col < 0 || col >= PQnfields(r->result) ||
        PQgetisnull(r->result, row, col))
        return NULL;
    return PQgetvalue(r->result, row, col);
}

const char *db_rows_scalar(const db_rows *r)
{
    return db_rows_cell(r, 0, 0);
}
