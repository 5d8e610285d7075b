/* One budget across nodes: each node's throttle is fed the other nodes' counts (as the throttle
 * sync does through PostgreSQL) and shares the room left. Nodes here are throttles in one process,
 * synced by hand on a virtual clock, so every figure is exact. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "throttle.h"

#define T1 "11111111-1111-1111-1111-111111111111"
#define WALL_OFFSET 1700000000000LL   /* Unix ms at monotonic 0 */
#define SYNC_MS 250
#define MAX_NODES 4

static throttle *node(int tenant_requests, int tenant_writes)
{
    throttle_limits l = { 20, tenant_requests, tenant_writes, 100000, 100000 };
    char err[256];
    throttle *t = throttle_new(&l, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    return t;
}

/* The database as the throttle syncs leave it: each node's counts and shares as of its last sync. */
typedef struct published {
    throttle_count *counts, *shares;
    int ncounts, nshares, counts_cap, shares_cap;
} published;

static throttle_remote *remote_of(throttle_remote *out, int *m, int max, bool app, const char *key)
{
    for (int j = 0; j < *m; j++)
        if (out[j].app == app && strcmp(out[j].key, key) == 0) return &out[j];
    cr_assert_lt(*m, max);
    out[*m] = (throttle_remote){ .app = app, .key = strdup(key), .oldest_second = 0 };
    return &out[(*m)++];
}

/* One node's sync, as throttle_sync.c runs it: its counts in, the others' sums out, its next shares
 * in, then in force. */
static void sync_one(throttle **nodes, published *db, int n, int self, long long now_ms)
{
    long long wall = now_ms + WALL_OFFSET, from = wall / 1000 - 20;
    db[self].ncounts = throttle_local_counts(nodes[self], from, 0, now_ms, wall, &db[self].counts, &db[self].counts_cap);
    cr_assert_geq(db[self].ncounts, 0);
    throttle_remote remote[64];
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (i == self) continue;
        for (int r = 0; r < db[i].ncounts; r++) {
            const throttle_count *c = &db[i].counts[r];
            if (c->second < from) continue;
            throttle_remote *x = remote_of(remote, &m, 64, c->app, c->key);
            x->requests += c->requests;
            x->writes += c->writes;
            if (!x->oldest_second || c->second < x->oldest_second) x->oldest_second = c->second;
        }
        for (int r = 0; r < db[i].nshares; r++) {
            throttle_remote *x = remote_of(remote, &m, 64, db[i].shares[r].app, db[i].shares[r].key);
            x->reserved_requests += db[i].shares[r].requests;
            x->reserved_writes += db[i].shares[r].writes;
        }
    }
    throttle_share(nodes[self], remote, m, n, now_ms, wall);
    for (int j = 0; j < m; j++) free((char *)remote[j].key);
    db[self].nshares = throttle_pending(nodes[self], &db[self].shares, &db[self].shares_cap);
    cr_assert_geq(db[self].nshares, 0);
    throttle_activate(nodes[self], now_ms);
}

/* Each of the first `busy` nodes is offered `rate` requests a second of a tenant new to them all for
 * `ms`; node i syncs every SYNC_MS, i * SYNC_MS / n after node 0. The number admitted over all nodes. */
static int hammer(throttle **nodes, int n, int busy, int rate, long long start, long long ms)
{
    published db[MAX_NODES];
    memset(db, 0, sizeof db);
    int ok = 0, retry;
    for (int i = 0; i < n; i++) sync_one(nodes, db, n, i, start - 1);   /* the nodes ran before the tenant came */
    for (long long now = start; now < start + ms; now++) {
        for (int i = 0; i < n; i++)
            if ((now - start + i * SYNC_MS / n) % SYNC_MS == 0) sync_one(nodes, db, n, i, now);
        for (int i = 0; i < busy; i++)
            for (int k = 0; k < rate / 1000; k++)
                ok += throttle_admit(nodes[i], T1, "a", false, now, &retry) == THROTTLE_ADMIT;
    }
    for (int i = 0; i < n; i++) free(db[i].counts), free(db[i].shares);
    return ok;
}

/* A sync of one node by hand: the others' counts and shares are remote[n]. */
static void sync_by_hand(throttle *t, const throttle_remote *remote, int n, int nodes, long long now, long long wall)
{
    throttle_share(t, remote, n, nodes, now, wall);
    throttle_count *rows = NULL;
    int cap = 0;
    cr_assert_geq(throttle_pending(t, &rows, &cap), 0);
    free(rows);
    throttle_activate(t, now);
}

Test(throttle_sharing, n_nodes_hammered_together_hold_one_budget)
{
    for (int n = 2; n <= MAX_NODES; n++) {
        throttle *nodes[MAX_NODES];
        for (int i = 0; i < n; i++) nodes[i] = node(2000, 200);
        /* 4,000 requests a second at every node for 5 s: 20,000 per node offered, in a window of 20 s */
        int ok = hammer(nodes, n, n, 4000, 1000000, 5000);
        cr_log_info("%d nodes hammered: %d of 2000", n, ok);
        cr_assert_leq(ok, 2000 + n, "%d nodes let %d of a budget of 2000 through", n, ok);
        cr_assert_geq(ok, 1900, "%d nodes together let only %d of 2000 through", n, ok);
        for (int i = 0; i < n; i++) throttle_free(nodes[i]);
    }
}

Test(throttle_sharing, a_tenant_on_one_node_of_several_gets_its_whole_budget_within_seconds)
{
    throttle *nodes[3] = { node(2000, 200), node(2000, 200), node(2000, 200) };
    int ok = hammer(nodes, 3, 1, 4000, 1000000, 4000);
    cr_assert_geq(ok, 1990, "a tenant pinned to one node got %d of 2000", ok);
    cr_assert_leq(ok, 2000);
    for (int i = 0; i < 3; i++) throttle_free(nodes[i]);
}

Test(throttle_sharing, what_other_nodes_admitted_counts_against_this_one_with_its_retry_after)
{
    throttle *t = node(100, 10);
    long long now = 500000, wall = now + WALL_OFFSET;
    /* the other node admitted 95 in the second 5 s ago */
    throttle_remote r = { .key = T1, .requests = 95, .writes = 0, .oldest_second = wall / 1000 - 5 };
    sync_by_hand(t, &r, 1, 1, now, wall);
    int retry = 0, ok = 0;
    for (int i = 0; i < 10; i++) ok += throttle_admit(t, T1, "a", false, now, &retry) == THROTTLE_ADMIT;
    cr_assert_eq(ok, 5, "95 of 100 were spent elsewhere: %d", ok);
    r.requests = 100;   /* now the other node spent it all */
    sync_by_hand(t, &r, 1, 1, now, wall);
    cr_assert_eq(throttle_admit(t, T1, "a", false, now, &retry), THROTTLE_TENANT);
    /* its second is counted while its start is within the window: 20 - 5 + 1 s, less the part of
     * this second gone by */
    cr_assert(retry >= 15 && retry <= 16, "retry after %d", retry);
    throttle_free(t);
}

Test(throttle_sharing, without_a_sync_for_three_seconds_a_node_counts_on_its_own)
{
    throttle *t = node(100, 10);
    long long now = 500000, wall = now + WALL_OFFSET;
    throttle_remote r = { .key = T1, .requests = 100, .oldest_second = wall / 1000 };
    sync_by_hand(t, &r, 1, 2, now, wall);
    int retry;
    cr_assert_eq(throttle_admit(t, T1, "a", false, now + 2900, &retry), THROTTLE_TENANT);
    cr_assert_eq(throttle_admit(t, T1, "a", false, now + 3100, &retry), THROTTLE_ADMIT,
                 "the database is gone: the node's own count alone");
    cr_assert_eq(throttle_nodes(t, now + 3100), 1);
    throttle_free(t);
}

Test(throttle_sharing, local_counts_are_per_key_and_second_with_the_writes_among_them)
{
    throttle *t = node(100, 10);
    long long wall0 = 1700000100000LL, now0 = wall0 - WALL_OFFSET;   /* second 1700000100 starts at now0 */
    int retry;
    for (int i = 0; i < 3; i++) throttle_admit(t, T1, "a", false, now0 + 200, &retry);
    throttle_admit(t, T1, "c", false, now0 + 300, &retry);   /* c: only before 1 s */
    throttle_admit(t, T1, "a", true, now0 + 1500, &retry);
    throttle_admit(t, T1, "b", false, now0 + 1500, &retry);
    throttle_count *rows = NULL;
    int cap = 0;
    int n = throttle_local_counts(t, 1700000100LL, 0, now0 + 1600, wall0 + 1600, &rows, &cap);
    /* the tenant in two seconds, application a in two, b and c in one each */
    cr_assert_eq(n, 6);
    int seen = 0;
    for (int i = 0; i < n; i++) {
        const throttle_count *c = &rows[i];
        if (!c->app && c->second == 1700000100LL) {
            cr_assert(c->requests == 4 && c->writes == 0, "%d %d", c->requests, c->writes);
            seen |= 1;
        }
        if (!c->app && c->second == 1700000101LL) {
            cr_assert(c->requests == 2 && c->writes == 1, "%d %d", c->requests, c->writes);
            seen |= 2;
        }
        if (c->app && strcmp(c->key, T1 "/b") == 0) {
            cr_assert(c->second == 1700000101LL && c->requests == 1);
            seen |= 4;
        }
    }
    cr_assert_eq(seen, 7);
    free(rows);
    rows = NULL;
    cap = 0;
    cr_assert_eq(throttle_local_counts(t, 1700000101LL, 0, now0 + 1600, wall0 + 1600, &rows, &cap), 3,
                 "from the second second on: the tenant, a and b once each (c had nothing then)");
    cr_assert_eq(throttle_local_counts(t, 1700000100LL, now0 + 1000, now0 + 1600, wall0 + 1600, &rows, &cap), 5,
                 "the keys admitted since 1 s, each with all its seconds: all but c");
    cr_assert_eq(throttle_local_counts(t, 1700000100LL, now0 + 1550, now0 + 1600, wall0 + 1600, &rows, &cap), 0,
                 "nothing admitted since 1.55 s");
    free(rows);
    throttle_free(t);
}
