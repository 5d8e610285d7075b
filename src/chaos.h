/* Chaos mode: answers a share of API requests with 429, 503 or 504 before any work is done, so
 * teams can test their clients' retry logic against real data. Off unless CERTGRAPH_CHAOS is set. */
#ifndef CERTGRAPH_CHAOS_H
#define CERTGRAPH_CHAOS_H
#include <stdbool.h>
#include <stddef.h>

#define CHAOS_MAX_STATUSES 3
#define CHAOS_MAX_TENANTS 16

typedef struct chaos {
    double rate;                        /* 0..1: the share of requests answered with a fault */
    int statuses[CHAOS_MAX_STATUSES];   /* chosen among evenly */
    int nstatuses;
    int retry_after;                    /* seconds, sent with every fault */
    char tenants[CHAOS_MAX_TENANTS][37];
    int ntenants;                       /* 0: every tenant */
} chaos;

/* Reads "rate=0.3 status=429,503 tenants=<guid>,<guid> retry-after=1" (pairs in any order; status
 * defaults to 429, tenants to all, retry-after to 1). False with a message in err. */
bool chaos_parse(chaos *c, const char *spec, char *err, size_t errlen);

/* The status to answer this request of tenant with, or 0 to serve it. draw is uniform in [0,1). */
int chaos_pick(const chaos *c, const char *tenant, double draw);
#endif
