/* certgraphd's configuration, read in one place from one table (config.c): each setting's name, its
 * environment variable, its flag, default, check and help. Defaults, then an optional file
 * (--config / CERTGRAPH_CONFIG), then the environment, then flags: each later source wins. */
#ifndef CERTGRAPH_CONFIG_H
#define CERTGRAPH_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "auth.h"
#include "chaos.h"
#include "throttle.h"

#define CONFIG_MAX_SETTINGS 40

typedef struct config {
    const char *listen;        /* unix socket path, or host:port */
    int workers;               /* preforked workers */
    long max_requests;         /* a worker is recycled after this many requests; 0 never */
    int drain_seconds;         /* on SIGTERM, in-flight requests get this long before SIGKILL */
    const char *db;            /* libpq connection string */
    const char *db_read;       /* where GETs go (standbys); NULL: db */
    const char *db_password_file; /* its password from a file (compose secrets), over one in db */
    const char *skiptoken_key; /* file of the $skiptoken signing secret; made on first run */
    const char *public_url;    /* origin for absolute URLs ("https://graph.example:8443"); NULL: from Host */
    auth_settings auth;
    bool production;           /* CERTGRAPH_PROFILE: production (default) refuses chaos for all tenants */
    bool throttling;           /* Graph's budgets; CERTGRAPH_THROTTLING=off for benchmarks and load tests */
    throttle_limits limits;
    bool throttle_sharing;     /* one budget across the nodes on one database (throttle_sync.c) */
    int throttle_sync_ms;
    bool chaos_on;             /* CERTGRAPH_CHAOS set */
    chaos chaos;
    const char *metrics_token_file; /* a bearer token that lets non-loopback scrapers read /metrics */
    const char *file;          /* the configuration file read, NULL when none */
    bool check_only;           /* --check-config: read and check, start nothing */

    /* where each setting's value came from, for --check-config (by table index) */
    const char *raw[CONFIG_MAX_SETTINGS];
    const char *source[CONFIG_MAX_SETTINGS];
    char *file_text;           /* owns the file's values */
} config;

typedef enum { CONFIG_OK, CONFIG_HELP, CONFIG_ERROR } config_status;

/* CONFIG_ERROR with a message in err; CONFIG_HELP with the usage in err (--help). Release with
 * config_free whatever the status. */
config_status config_load(config *c, int argc, char **argv, char *err, size_t errlen);
void config_free(config *c);

/* The effective configuration, one "name = value  # source" line per setting, secrets masked. */
void config_print(const config *c, FILE *out);
#endif
