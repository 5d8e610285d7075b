#include "throttle_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "signals.h"
#include "sleep.h"

/* Rows older than the window by this much are deleted, by whichever node gets there first. */
#define KEEP_PAST_WINDOW_SECONDS 10
#define CLEANUP_EVERY_MS 5000
#define SINCE_MARGIN_MS 100
/* A node is alive while its last sync is this recent. */
#define ALIVE_SECONDS "3"

static volatile sig_atomic_t stop_requested, handing_over;

static void on_stop(int sig)
{
    stop_requested = 1;
    handing_over = sig == THROTTLE_SYNC_HANDOVER;
}

/* This node's heartbeat and counts in; out: the number of other nodes alive, then per key what the
 * other nodes admitted (a node that has stopped still counts for what it admitted) and what the
 * shares of those alive still let them admit. The sums count every second whose start is within the
 * window, so a second leaving it is counted whole until it has left. */
static const char publish_and_read[] =
    "WITH beat AS ("
    "  INSERT INTO throttle_node (node, seen) VALUES ($1, now())"
    "  ON CONFLICT (node) DO UPDATE SET seen = EXCLUDED.seen"
    "), counts AS ("
    "  INSERT INTO throttle_count (node, scope, key, unix_second, requests, writes)"
    "  SELECT $1, c.scope, c.key, c.s, c.r, c.w"
    "  FROM json_to_recordset($2::json) AS c(scope text, key text, s bigint, r integer, w integer)"
    "  ON CONFLICT (node, scope, key, unix_second)"
    "  DO UPDATE SET requests = EXCLUDED.requests, writes = EXCLUDED.writes"
    "), alive AS ("
    "  SELECT * FROM throttle_node WHERE node <> $1 AND seen > now() - interval '" ALIVE_SECONDS " seconds'"
    "), admitted AS ("
    "  SELECT scope, key, sum(requests) AS r, sum(writes) AS w, min(unix_second) AS oldest FROM throttle_count"
    "  WHERE node <> $1 AND unix_second >= $3 GROUP BY scope, key"
    "), promised AS ("
    "  SELECT s.scope, s.key, sum(s.r) AS r, sum(s.w) AS w"
    "  FROM alive CROSS JOIN LATERAL jsonb_to_recordset(alive.shares) AS s(scope text, key text, r integer, w integer)"
    "  GROUP BY s.scope, s.key"
    ") "
    "SELECT 'nodes', '', (SELECT count(*) FROM alive)::integer, 0, 0, 0, 0::bigint "
    "UNION ALL "
    "SELECT coalesce(a.scope, p.scope), coalesce(a.key, p.key), coalesce(a.r, 0)::integer, coalesce(a.w, 0)::integer,"
    "  coalesce(p.r, 0)::integer, coalesce(p.w, 0)::integer, coalesce(a.oldest, 0)"
    "  FROM admitted a FULL JOIN promised p ON a.scope = p.scope AND a.key = p.key";

/* This node's next shares, before it uses them. */
static const char promise[] = "UPDATE throttle_node SET shares = $2::jsonb WHERE node = $1";

static const char cleanup[] =
    "WITH old AS (DELETE FROM throttle_count WHERE unix_second < $1) "
    "DELETE FROM throttle_node WHERE seen < now() - interval '1 hour'";

/* A node that stops says so: the others stop sharing the room with it at once (what it admitted
 * still counts). Not on a reload's handover: the next sync of the same node goes on with its row. */
static const char leave[] = "DELETE FROM throttle_node WHERE node = $1";

static long long wall_ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) return false;
    return true;
}

/* Rows as json_to_recordset reads them; with_second: counts per second, else shares. */
static const char *rows_json(arena *a, const throttle_count *rows, int n, bool with_second)
{
    strbuf b;
    sb_init(&b, a, 256 + (size_t)n * 96);
    json_writer *w = json_writer_new(&b);
    json_begin_array(w);
    for (int i = 0; i < n; i++) {
        if (!printable(rows[i].key)) continue;   /* only keys JSON and text carry as they are */
        char num[24];
        json_begin_object(w);
        json_key(w, "scope");
        json_string(w, rows[i].app ? "application" : "tenant");
        json_key(w, "key");
        json_string(w, rows[i].key);
        if (with_second) {
            json_key(w, "s");
            snprintf(num, sizeof num, "%lld", rows[i].second);
            json_number(w, num);
        }
        json_key(w, "r");
        snprintf(num, sizeof num, "%d", rows[i].requests);
        json_number(w, num);
        json_key(w, "w");
        snprintf(num, sizeof num, "%d", rows[i].writes);
        json_number(w, num);
        json_end_object(w);
    }
    json_end_array(w);
    return b.data;
}

static db_status run(db *d, arena *a, const char *text, int nparams, const char *const *params, db_rows **out)
{
    sql_statement s = { .text = text, .nparams = nparams, .params = params, .writes = true };
    return db_run(d, a, &s, out);
}

/* The other nodes' sums into the throttle; false when the answer is not what was asked. */
static bool share(throttle *t, arena *a, const db_rows *rows, long long now_ms, long long wall_ms)
{
    int n = db_rows_count(rows), nodes = 1;
    throttle_remote *remote = arena_alloc(a, (size_t)(n > 0 ? n : 1) * sizeof *remote);
    int m = 0;
    for (int i = 0; i < n; i++) {
        const char *v[7];
        for (int c = 0; c < 7; c++)
            if (!(v[c] = db_rows_cell(rows, i, c))) return false;
        if (strcmp(v[0], "nodes") == 0) {   /* one row, wherever UNION ALL puts it */
            nodes = 1 + atoi(v[2]);
            continue;
        }
        remote[m++] = (throttle_remote){ .app = strcmp(v[0], "application") == 0, .key = v[1], .requests = atoi(v[2]),
                                         .writes = atoi(v[3]), .reserved_requests = atoi(v[4]),
                                         .reserved_writes = atoi(v[5]), .oldest_second = atoll(v[6]) };
    }
    throttle_share(t, remote, m, nodes, now_ms, wall_ms);
    metrics_throttle_nodes(nodes);
    return true;
}

int throttle_sync_run(const service *svc)
{
    signals_install(on_stop, NULL);
    struct sigaction sa = { .sa_handler = on_stop };
    sigaction(THROTTLE_SYNC_HANDOVER, &sa, NULL);
    signals_mask(SIG_UNBLOCK, NULL);
    throttle *t = svc->throttle;
    int window = throttle_window_seconds(t);
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0) snprintf(host, sizeof host, "unknown");
    char node[320];
    snprintf(node, sizeof node, "%s:%d", host, (int)getppid());
    log_event(LOG_INFO, "throttle_sync_started", "node", node, NULL);

    db *d = db_new(svc->cfg.db, svc->db_password);
    arena *a = arena_new(64 * 1024);
    throttle_count *rows = NULL;
    int rows_cap = 0;
    /* when the last sync read the clocks (the database has every count from before); -1: never */
    long long published_ms = -1, published_wall = -1;
    long long last_cleanup = 0;
    bool failing = false;
    while (!stop_requested && d) {
        long long started = throttle_now_ms();
        long long now_ms = started, wall_ms = wall_ms_now(), now_second = wall_ms / 1000;
        /* After a failure (or a failover, which empties unlogged tables) the whole window again;
         * else the keys admitted since the last sync, each with its whole seconds since then. The
         * margin: a request that read the clock just before that sync may have joined after it. */
        bool all = published_ms < 0;
        long long since = all ? now_second - window : (published_wall - SINCE_MARGIN_MS) / 1000;
        int n = throttle_local_counts(t, since, all ? 0 : published_ms - SINCE_MARGIN_MS, now_ms, wall_ms, &rows,
                                      &rows_cap);
        bool ok = n >= 0;
        if (ok) {
            char from[24];
            snprintf(from, sizeof from, "%lld", now_second - window);
            const char *params[] = { node, rows_json(a, rows, n, true), from };
            db_rows *out;
            ok = run(d, a, publish_and_read, 3, params, &out) == DB_OK && share(t, a, out, now_ms, wall_ms);
        }
        if (ok) {
            n = throttle_pending(t, &rows, &rows_cap);
            const char *params[] = { node, n >= 0 ? rows_json(a, rows, n, false) : "[]" };
            db_rows *out;
            ok = n >= 0 && run(d, a, promise, 2, params, &out) == DB_OK;
            if (ok) throttle_activate(t, throttle_now_ms());
        }
        if (ok && started - last_cleanup >= CLEANUP_EVERY_MS) {
            char before[24];
            snprintf(before, sizeof before, "%lld", now_second - window - KEEP_PAST_WINDOW_SECONDS);
            const char *params[] = { before };
            db_rows *out;
            if (run(d, a, cleanup, 1, params, &out) == DB_OK) last_cleanup = started;
        }
        metrics_count(ok ? METRIC_THROTTLE_SYNCS : METRIC_THROTTLE_SYNC_FAILURES);
        if (!ok) metrics_throttle_nodes(1);
        if (ok != !failing) {
            failing = !ok;
            log_event(ok ? LOG_INFO : LOG_WARN, ok ? "throttle_sync_restored" : "throttle_sync_failed", "node", node,
                      "action", ok ? "sharing budgets" : "counting on this node alone after 3 s", NULL);
        }
        published_ms = ok ? now_ms : -1;
        published_wall = ok ? wall_ms : -1;
        arena_reset(a);
        long long spent = throttle_now_ms() - started;
        if (spent < svc->cfg.throttle_sync_ms) sleep_ms((int)(svc->cfg.throttle_sync_ms - spent));
    }
    if (d && !failing && !handing_over) {
        const char *params[] = { node };
        db_rows *out;
        run(d, a, leave, 1, params, &out);
    }
    free(rows);
    arena_free(a);
    db_free(d);
    return 0;
}
