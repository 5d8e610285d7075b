#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: certgraphd [--listen PATH|HOST:PORT] [--workers N] [--max-requests N] [--drain-seconds N]\n"
    "                  [--db CONNINFO] [--public-url URL] [--jwt-keys FILE] [--jwt-issuer ISS]\n"
    "                  [--jwt-audience \"A B\"] [--jwt-skew SECONDS] [--skiptoken-key FILE]\n"
    "environment: CERTGRAPH_LISTEN, CERTGRAPH_WORKERS, CERTGRAPH_MAX_REQUESTS, CERTGRAPH_DRAIN_SECONDS,\n"
    "             CERTGRAPH_DB, CERTGRAPH_PUBLIC_URL, CERTGRAPH_JWT_KEYS, CERTGRAPH_JWT_SECRET,\n"
    "             CERTGRAPH_JWT_ISSUER, CERTGRAPH_JWT_AUDIENCE, CERTGRAPH_JWT_SKEW, CERTGRAPH_SKIPTOKEN_KEY\n";

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static int parse_long(const char *s, long min, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min) return -1;
    *out = v;
    return 0;
}

int config_load(config *c, int argc, char **argv, char *err, size_t errlen)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    c->listen = env_or("CERTGRAPH_LISTEN", "var/run/certgraph.sock");
    c->db = env_or("CERTGRAPH_DB", "dbname=certgraph");
    c->public_url = env_or("CERTGRAPH_PUBLIC_URL", NULL);
    c->skiptoken_key = env_or("CERTGRAPH_SKIPTOKEN_KEY", "var/keys/skiptoken.key");
    c->auth.keys_path = env_or("CERTGRAPH_JWT_KEYS", "");
    c->auth.hs256_secret = env_or("CERTGRAPH_JWT_SECRET", "");
    /* Entra ID's v1 issuer, with the tenant of each token substituted. */
    c->auth.issuer = env_or("CERTGRAPH_JWT_ISSUER", "https://sts.windows.net/{tenantid}/");
    c->auth.audiences = env_or("CERTGRAPH_JWT_AUDIENCE", "https://graph.microsoft.com 00000003-0000-0000-c000-000000000000");

    struct { const char *flag, *env; long min, fallback; long value; } nums[] = {
        { "--workers", "CERTGRAPH_WORKERS", 1, 2 * (cpus > 0 ? cpus : 1), 0 },
        { "--max-requests", "CERTGRAPH_MAX_REQUESTS", 0, 100000, 0 },
        { "--drain-seconds", "CERTGRAPH_DRAIN_SECONDS", 0, 30, 0 },
        { "--jwt-skew", "CERTGRAPH_JWT_SKEW", 0, 60, 0 },
    };
    const size_t nnums = sizeof nums / sizeof nums[0];
    for (size_t i = 0; i < nnums; i++) {
        const char *v = getenv(nums[i].env);
        nums[i].value = nums[i].fallback;
        if (v && *v && parse_long(v, nums[i].min, &nums[i].value) != 0) {
            snprintf(err, errlen, "%s: not a number >= %ld: %s", nums[i].env, nums[i].min, v);
            return -1;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            snprintf(err, errlen, "%s", usage);
            return -1;
        }
        if (i + 1 >= argc) { snprintf(err, errlen, "%s needs a value\n%s", a, usage); return -1; }
        const char *v = argv[++i];
        size_t k;
        for (k = 0; k < nnums; k++)
            if (strcmp(a, nums[k].flag) == 0) break;
        if (k < nnums) {
            if (parse_long(v, nums[k].min, &nums[k].value) != 0) {
                snprintf(err, errlen, "%s: not a number >= %ld: %s", a, nums[k].min, v);
                return -1;
            }
        } else if (strcmp(a, "--listen") == 0) c->listen = v;
        else if (strcmp(a, "--db") == 0) c->db = v;
        else if (strcmp(a, "--public-url") == 0) c->public_url = v;
        else if (strcmp(a, "--skiptoken-key") == 0) c->skiptoken_key = v;
        else if (strcmp(a, "--jwt-keys") == 0) c->auth.keys_path = v;
        else if (strcmp(a, "--jwt-issuer") == 0) c->auth.issuer = v;
        else if (strcmp(a, "--jwt-audience") == 0) c->auth.audiences = v;
        else { snprintf(err, errlen, "unknown option %s\n%s", a, usage); return -1; }
    }
    if (c->public_url) {
        size_t n = strlen(c->public_url);
        if ((strncmp(c->public_url, "https://", 8) != 0 && strncmp(c->public_url, "http://", 7) != 0) ||
            strcspn(c->public_url, " \"\\?#") != n || c->public_url[n - 1] == '/') {
            snprintf(err, errlen, "--public-url: an origin such as https://graph.example.com:8443, "
                                  "without a path or a trailing slash: %s", c->public_url);
            return -1;
        }
    }
    c->workers = (int)nums[0].value;
    c->max_requests = nums[1].value;
    c->drain_seconds = (int)nums[2].value;
    c->auth.skew_seconds = (int)nums[3].value;
    return 0;
}
