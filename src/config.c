#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: certgraphd [--listen PATH|HOST:PORT] [--workers N] [--max-requests N] [--drain-seconds N]\n"
    "                  [--db CONNINFO] [--public-url URL] [--jwt-keys FILE] [--jwt-issuer ISS]\n"
    "                  [--jwt-audience \"A B\"] [--jwt-skew SECONDS] [--skiptoken-key FILE]\n"
    "                  [--profile production|development] [--throttling on|off] [--throttle-window SECONDS]\n"
    "                  [--tenant-requests N] [--tenant-writes N] [--app-requests N] [--app-writes N]\n"
    "                  [--chaos \"rate=R status=429,503,504 tenants=all|GUID,... retry-after=S\"]\n"
    "                  [--metrics-token FILE]\n"
    "environment: CERTGRAPH_LISTEN, CERTGRAPH_WORKERS, CERTGRAPH_MAX_REQUESTS, CERTGRAPH_DRAIN_SECONDS,\n"
    "             CERTGRAPH_DB, CERTGRAPH_PUBLIC_URL, CERTGRAPH_JWT_KEYS, CERTGRAPH_JWT_SECRET,\n"
    "             CERTGRAPH_JWT_ISSUER, CERTGRAPH_JWT_AUDIENCE, CERTGRAPH_JWT_SKEW, CERTGRAPH_SKIPTOKEN_KEY,\n"
    "             CERTGRAPH_PROFILE, CERTGRAPH_THROTTLING, CERTGRAPH_THROTTLE_WINDOW,\n"
    "             CERTGRAPH_TENANT_REQUESTS, CERTGRAPH_TENANT_WRITES, CERTGRAPH_APP_REQUESTS,\n"
    "             CERTGRAPH_APP_WRITES, CERTGRAPH_CHAOS, CERTGRAPH_METRICS_TOKEN_FILE\n";

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
    const char *profile = env_or("CERTGRAPH_PROFILE", "production");
    const char *throttling = env_or("CERTGRAPH_THROTTLING", "on");
    const char *chaos_spec = env_or("CERTGRAPH_CHAOS", NULL);
    c->metrics_token_file = env_or("CERTGRAPH_METRICS_TOKEN_FILE", NULL);

    struct { const char *flag, *env; long min, fallback; long value; bool given; } nums[] = {
        { "--workers", "CERTGRAPH_WORKERS", 1, 2 * (cpus > 0 ? cpus : 1), 0, false },
        { "--max-requests", "CERTGRAPH_MAX_REQUESTS", 0, 100000, 0, false },
        { "--drain-seconds", "CERTGRAPH_DRAIN_SECONDS", 0, 30, 0, false },
        { "--jwt-skew", "CERTGRAPH_JWT_SKEW", 0, 60, 0, false },
        /* Graph's Intune limits */
        { "--throttle-window", "CERTGRAPH_THROTTLE_WINDOW", 1, 20, 0, false },
        { "--tenant-requests", "CERTGRAPH_TENANT_REQUESTS", 1, 2000, 0, false },
        { "--tenant-writes", "CERTGRAPH_TENANT_WRITES", 1, 200, 0, false },
        { "--app-requests", "CERTGRAPH_APP_REQUESTS", 1, 1000, 0, false },
        { "--app-writes", "CERTGRAPH_APP_WRITES", 1, 100, 0, false },
    };
    const size_t nnums = sizeof nums / sizeof nums[0];
    for (size_t i = 0; i < nnums; i++) {
        const char *v = getenv(nums[i].env);
        nums[i].value = nums[i].fallback;
        if (v && *v && parse_long(v, nums[i].min, &nums[i].value) != 0) {
            snprintf(err, errlen, "%s: not a number >= %ld: %s", nums[i].env, nums[i].min, v);
            return -1;
        }
        nums[i].given = v && *v;
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
            nums[k].given = true;
        } else if (strcmp(a, "--listen") == 0) c->listen = v;
        else if (strcmp(a, "--db") == 0) c->db = v;
        else if (strcmp(a, "--public-url") == 0) c->public_url = v;
        else if (strcmp(a, "--skiptoken-key") == 0) c->skiptoken_key = v;
        else if (strcmp(a, "--jwt-keys") == 0) c->auth.keys_path = v;
        else if (strcmp(a, "--jwt-issuer") == 0) c->auth.issuer = v;
        else if (strcmp(a, "--jwt-audience") == 0) c->auth.audiences = v;
        else if (strcmp(a, "--profile") == 0) profile = v;
        else if (strcmp(a, "--throttling") == 0) throttling = v;
        else if (strcmp(a, "--chaos") == 0) chaos_spec = v;
        else if (strcmp(a, "--metrics-token") == 0) c->metrics_token_file = v;
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
    if (strcmp(profile, "production") != 0 && strcmp(profile, "development") != 0) {
        snprintf(err, errlen, "CERTGRAPH_PROFILE: production or development, not %s", profile);
        return -1;
    }
    c->production = strcmp(profile, "production") == 0;
    if (strcmp(throttling, "on") != 0 && strcmp(throttling, "off") != 0) {
        snprintf(err, errlen, "CERTGRAPH_THROTTLING: on or off, not %s", throttling);
        return -1;
    }
    c->throttling = strcmp(throttling, "on") == 0;
    c->chaos_on = chaos_spec != NULL;
    if (c->chaos_on) {
        if (!chaos_parse(&c->chaos, chaos_spec, err, errlen)) return -1;
        /* faults for every tenant of a production service would be an outage, not a test */
        if (c->production && c->chaos.ntenants == 0) {
            snprintf(err, errlen, "CERTGRAPH_CHAOS: a production profile needs tenants=GUID,... "
                                  "(tenants=all only with CERTGRAPH_PROFILE=development)");
            return -1;
        }
    }
    c->workers = (int)nums[0].value;
    c->max_requests = nums[1].value;
    c->drain_seconds = (int)nums[2].value;
    c->auth.skew_seconds = (int)nums[3].value;
    /* a smaller budget of requests takes the default budget of writes down with it */
    for (int w = 6; w <= 8; w += 2)
        if (!nums[w].given && nums[w].value > nums[w - 1].value) nums[w].value = nums[w - 1].value;
    c->limits = (throttle_limits){ (int)nums[4].value, (int)nums[5].value, (int)nums[6].value, (int)nums[7].value,
                                   (int)nums[8].value };
    if (c->limits.tenant_writes > c->limits.tenant_requests || c->limits.app_writes > c->limits.app_requests) {
        snprintf(err, errlen, "throttling: a budget of writes cannot exceed its budget of requests");
        return -1;
    }
    /* each budget is a log of that many times per key in shared memory */
    if (nums[4].value > 3600 || nums[5].value > 100000 || nums[7].value > 100000) {
        snprintf(err, errlen, "throttling: at most 100000 requests per budget and a window of at most 3600 s");
        return -1;
    }
    return 0;
}
