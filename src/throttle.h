/* Graph's throttling: per tenant and per application (within a tenant) budgets of requests and of
 * writes in any sliding window, counted across every worker of a node. The state lives in shared
 * memory that the master maps before it forks, so all workers see one count. Nodes on one database
 * hold one budget together: throttle_sync.c publishes this node's counts and brings the others'
 * (throttle_local_counts, throttle_share). */
#ifndef CERTGRAPH_THROTTLE_H
#define CERTGRAPH_THROTTLE_H
#include <stdbool.h>
#include <stddef.h>

typedef struct throttle_limits {
    int window_seconds;     /* the sliding window: any this many seconds */
    int tenant_requests;    /* per tenant, all requests in a window */
    int tenant_writes;      /* of which writes */
    int app_requests;       /* per application of a tenant */
    int app_writes;
} throttle_limits;

typedef enum { THROTTLE_ADMIT, THROTTLE_TENANT, THROTTLE_APP } throttle_verdict;

typedef struct throttle throttle;

#define THROTTLE_KEY_MAX 112    /* a tenant, or tenant/application */

/* Maps the shared state; NULL with a message in err when it cannot. */
throttle *throttle_new(const throttle_limits *limits, char *err, size_t errlen);
void throttle_free(throttle *t);

/* Counts one request of tenant/app, or refuses it: then *retry_after is the whole seconds until the
 * budget that refused has room again (at least 1). Nothing is counted for a refused request.
 * now_ms is a monotonic clock (throttle_now_ms), passed in so tests can walk time. */
throttle_verdict throttle_admit(throttle *t, const char *tenant, const char *app, bool write, long long now_ms,
                                int *retry_after);
long long throttle_now_ms(void);

/* What this node admitted of one key in one Unix second. */
typedef struct throttle_count {
    bool app;                   /* an application's budget; else a tenant's */
    char key[THROTTLE_KEY_MAX];
    long long second;
    int requests, writes;
} throttle_count;

/* Fills *rows (grown with realloc, *cap its room) with a row per key and second, from since_second
 * to now, in which this node admitted anything, for the keys admitted since changed_ms (monotonic;
 * 0: all). now_ms (throttle_now_ms) and wall_ms (Unix milliseconds) are read together: they map one
 * clock onto the other. The number of rows, -1 when out of memory. */
int throttle_local_counts(throttle *t, long long since_second, long long changed_ms, long long now_ms, long long wall_ms,
                          throttle_count **rows, int *cap);

/* What the other nodes admitted of one key in the window, and what their shares in force still let
 * them admit. */
typedef struct throttle_remote {
    bool app;
    const char *key;
    int requests, writes;
    int reserved_requests, reserved_writes;
    long long oldest_second;    /* the oldest second counted */
} throttle_remote;

/* A sync, in three steps. throttle_share: the other nodes' counts and shares are now remote[n]
 * (keys not in it: none), nodes (this one included) hold the budgets, and each key with anything in
 * its window gets its next share: an even part of what nobody has admitted or been promised. Those
 * go to the database (throttle_pending: one row per key, second 0, its requests and writes), and
 * only then are in force (throttle_activate): so no node admits on a share the others cannot see.
 * Until then the shares before hold. Without activation for 3 s a node counts on its own again. */
void throttle_share(throttle *t, const throttle_remote *remote, int n, int nodes, long long now_ms, long long wall_ms);
int throttle_pending(throttle *t, throttle_count **rows, int *cap);
void throttle_activate(throttle *t, long long now_ms);
/* The nodes counted at the last sync, 1 when it is stale. */
int throttle_nodes(throttle *t, long long now_ms);
int throttle_window_seconds(const throttle *t);
#endif
