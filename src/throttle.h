/* Graph's throttling: per tenant and per application (within a tenant) budgets of requests and of
 * writes in any sliding window, counted across every worker of a node. The state lives in shared
 * memory that the master maps before it forks, so all workers see one count. */
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

/* Maps the shared state; NULL with a message in err when it cannot. */
throttle *throttle_new(const throttle_limits *limits, char *err, size_t errlen);
void throttle_free(throttle *t);

/* Counts one request of tenant/app, or refuses it: then *retry_after is the whole seconds until the
 * budget that refused has room again (at least 1). Nothing is counted for a refused request.
 * now_ms is a monotonic clock (throttle_now_ms), passed in so tests can walk time. */
throttle_verdict throttle_admit(throttle *t, const char *tenant, const char *app, bool write, long long now_ms,
                                int *retry_after);
long long throttle_now_ms(void);
#endif
