/* certgraphd's configuration, read in one place: defaults, then environment, then flags. */
#ifndef CERTGRAPH_CONFIG_H
#define CERTGRAPH_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include "auth.h"
#include "chaos.h"
#include "throttle.h"

typedef struct config {
    const char *listen;        /* unix socket path, or host:port */
    int workers;               /* preforked workers */
    long max_requests;         /* a worker is recycled after this many requests; 0 never */
    int drain_seconds;         /* on SIGTERM, in-flight requests get this long before SIGKILL */
    const char *db;            /* libpq connection string */
    const char *skiptoken_key; /* file of the $skiptoken signing secret; made on first run */
    const char *public_url;    /* origin for absolute URLs ("https://graph.example:8443"); NULL: from Host */
    auth_settings auth;
    bool production;           /* CERTGRAPH_PROFILE: production (default) refuses chaos for all tenants */
    bool throttling;           /* Graph's budgets; CERTGRAPH_THROTTLING=off for benchmarks and load tests */
    throttle_limits limits;
    bool chaos_on;             /* CERTGRAPH_CHAOS set */
    chaos chaos;
    const char *metrics_token_file; /* a bearer token that lets non-loopback scrapers read /metrics */
} config;

/* 0 on success; -1 with a message in err (also for --help, with err holding the usage). */
int config_load(config *c, int argc, char **argv, char *err, size_t errlen);
#endif
