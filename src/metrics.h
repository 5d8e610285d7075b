/* Counters for /metrics, in shared memory that the master maps before it forks: every worker adds
 * to the same numbers with atomic increments, so any worker can answer for the whole node. Calls
 * before metrics_attach (certgraphctl, unit tests) do nothing. */
#ifndef CERTGRAPH_METRICS_H
#define CERTGRAPH_METRICS_H
#include <stdbool.h>
#include "arena.h"

typedef enum {
    METRIC_WORKERS_STARTED,     /* forks, the first of each slot included */
    METRIC_WORKERS_RESPAWNED,   /* a worker that died (signal or error exit) was replaced */
    METRIC_WORKERS_RECYCLED,    /* a worker left after max-requests and was replaced */
    METRIC_DB_CONNECTS,         /* each worker's first connection to PostgreSQL */
    METRIC_DB_RECONNECTS,       /* connections made again after one was lost or closed */
    METRIC_DB_CONNECT_FAILURES, /* attempts that found PostgreSQL unreachable */
    METRIC_DB_OUTAGES,          /* a worker lost a working connection, or started without one */
    METRIC_DB_UNAVAILABLE,      /* requests answered 503 because PostgreSQL was not there */
    METRIC_COMMITS_FOUND,       /* COMMITs never answered, then found committed (answered as written) */
    METRIC_COMMITS_LOST,        /* ... found not committed (503: nothing was written) */
    METRIC_COMMITS_UNKNOWN,     /* ... still unknown: no server answered in time (503) */
    METRIC_THROTTLED_TENANT,    /* 429s of a tenant's budget */
    METRIC_THROTTLED_APP,       /* 429s of an application's budget */
    METRIC_THROTTLE_SYNCS,      /* the throttle sync's round trips with the other nodes' counts */
    METRIC_THROTTLE_SYNC_FAILURES, /* ... that found no database */
    METRIC_COUNTERS
} metric_counter;

typedef struct metrics metrics;

metrics *metrics_new(void);   /* NULL when the shared mapping fails */
void metrics_attach(metrics *m);
void metrics_free(metrics *m);

void metrics_count(metric_counter c);
void metrics_fault(int status);                    /* one chaos-injected answer */
void metrics_workers_alive(int n);                 /* set by the master */
void metrics_throttle_nodes(int n);                /* nodes sharing the budgets, set by the throttle sync */
/* One answered request: resource is an entity's type name, "$batch", "$metadata", "health",
 * "tokenCheck" or anything else (counted as "other"). */
void metrics_request(const char *resource, const char *method, int status, double seconds);

/* The Prometheus text exposition of everything above, in the arena. */
const char *metrics_render(arena *a);
#endif
