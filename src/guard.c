#include "guard.h"

#include <openssl/rand.h>
#include <string.h>

#include "errors.h"
#include "metrics.h"

static throttle *budget;
static const throttle_limits *limits;
static const chaos *faults;

void guard_configure(throttle *t, const throttle_limits *l, const chaos *c)
{
    budget = t;
    limits = l;
    faults = c;
}

static double draw(void)
{
    unsigned long long r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1) return 1.0;   /* no randomness: no fault */
    return (double)(r >> 11) / 9007199254740992.0;                     /* 53 bits into [0,1) */
}

static bool injected(const request *rq, response *rs)
{
    int status = chaos_pick(faults, rq->tenant, draw());
    if (!status) return false;
    metrics_fault(status);
    response_add_header(rs, "Retry-After", arena_printf(rq->a, "%d", faults->retry_after));
    respond_error(rq, rs, status, status == 429 ? "Too many requests (injected by chaos mode)."
                                  : status == 503 ? "The service is temporarily unavailable (injected by chaos mode)."
                                                  : "The request timed out (injected by chaos mode).");
    return true;
}

bool guard_admit(const request *rq, response *rs)
{
    if (faults && injected(rq, rs)) return false;
    if (!budget) return true;
    bool write = strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0;
    int retry_after;
    throttle_verdict v = throttle_admit(budget, rq->tenant, rq->app ? rq->app : "", write, throttle_now_ms(), &retry_after);
    if (v == THROTTLE_ADMIT) return true;
    metrics_count(v == THROTTLE_TENANT ? METRIC_THROTTLED_TENANT : METRIC_THROTTLED_APP);
    bool tenant = v == THROTTLE_TENANT;
    response_add_header(rs, "Retry-After", arena_printf(rq->a, "%d", retry_after));
    respond_error(rq, rs, 429,
                  arena_printf(rq->a, "Too many requests from this %s: its budget is %d requests, of which %d writes, "
                                      "in any %d seconds. Retry after %d seconds.",
                               tenant ? "tenant" : "application",
                               tenant ? limits->tenant_requests : limits->app_requests,
                               tenant ? limits->tenant_writes : limits->app_writes, limits->window_seconds, retry_after));
    return false;
}
