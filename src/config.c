#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum { TEXT, NUMBER, SWITCH, CHOICE } kind;

/* One row per setting. A number's field is an int unless `wide`; "auto" for workers is 4 x CPUs. */
typedef struct setting {
    const char *name;      /* in a configuration file: name = value */
    const char *env;
    const char *flag;      /* NULL: not on the command line (secrets: ps shows arguments) */
    const char *fallback;  /* NULL: unset */
    kind kind;
    size_t offset;
    long min, max;
    bool wide;
    bool (*check)(config *c, const char *value, char *err, size_t errlen);   /* more than its kind says */
    enum { PLAIN, SECRET, CONNINFO } shown;
    const char *help;
} setting;

static bool check_public_url(config *c, const char *v, char *err, size_t errlen);
static bool check_profile(config *c, const char *v, char *err, size_t errlen);
static bool check_chaos(config *c, const char *v, char *err, size_t errlen);

#define AT(field) offsetof(config, field)
static const setting settings[] = {
    { "listen", "CERTGRAPH_LISTEN", "--listen", "var/run/certgraph.sock", TEXT, AT(listen), 0, 0, false, NULL, PLAIN,
      "FastCGI socket: a unix path, or host:port" },
    { "workers", "CERTGRAPH_WORKERS", "--workers", "auto", NUMBER, AT(workers), 1, 1024, false, NULL, PLAIN,
      "preforked workers (auto: 4 x CPUs, README \"Pool size\")" },
    { "max_requests", "CERTGRAPH_MAX_REQUESTS", "--max-requests", "100000", NUMBER, AT(max_requests), 0, LONG_MAX,
      true, NULL, PLAIN, "a worker is replaced after this many requests (0: never)" },
    { "drain_seconds", "CERTGRAPH_DRAIN_SECONDS", "--drain-seconds", "30", NUMBER, AT(drain_seconds), 0, 3600, false,
      NULL, PLAIN, "on SIGTERM, how long in-flight requests may take before workers are killed" },
    { "db", "CERTGRAPH_DB", "--db", "dbname=certgraph", TEXT, AT(db), 0, 0, false, NULL, CONNINFO,
      "libpq connection string" },
    { "db_read", "CERTGRAPH_DB_READ", "--db-read", NULL, TEXT, AT(db_read), 0, 0, false, NULL, CONNINFO,
      "libpq connection string for GETs (e.g. target_session_attrs=prefer-standby; unset: db)" },
    { "db_password_file", "CERTGRAPH_DB_PASSWORD_FILE", "--db-password-file", NULL, TEXT, AT(db_password_file), 0,
      0, false, NULL, PLAIN, "a file whose first line is the database password (over one in db)" },
    { "public_url", "CERTGRAPH_PUBLIC_URL", "--public-url", NULL, TEXT, AT(public_url), 0, 0, false, check_public_url,
      PLAIN, "origin of absolute URLs, e.g. https://graph.example.com:8443 (unset: the Host header)" },
    { "skiptoken_key", "CERTGRAPH_SKIPTOKEN_KEY", "--skiptoken-key", "var/keys/skiptoken.key", TEXT, AT(skiptoken_key),
      0, 0, false, NULL, PLAIN, "file of the $skiptoken signing secret (made when missing)" },
    { "jwt_keys", "CERTGRAPH_JWT_KEYS", "--jwt-keys", "", TEXT, AT(auth.keys_path), 0, 0, false, NULL, PLAIN,
      "PEM public keys or certificates, or a JWKS file" },
    { "jwt_secret", "CERTGRAPH_JWT_SECRET", NULL, "", TEXT, AT(auth.hs256_secret), 0, 0, false, NULL, SECRET,
      "enables HS256 with this shared secret" },
    /* Entra ID's v1 issuer, with the tenant of each token substituted. */
    { "jwt_issuer", "CERTGRAPH_JWT_ISSUER", "--jwt-issuer", "https://sts.windows.net/{tenantid}/", TEXT,
      AT(auth.issuer), 0, 0, false, NULL, PLAIN, "required iss ({tenantid}: the token's tid)" },
    { "jwt_audience", "CERTGRAPH_JWT_AUDIENCE", "--jwt-audience",
      "https://graph.microsoft.com 00000003-0000-0000-c000-000000000000", TEXT, AT(auth.audiences), 0, 0, false, NULL,
      PLAIN, "accepted aud values, space-separated" },
    { "jwt_skew", "CERTGRAPH_JWT_SKEW", "--jwt-skew", "60", NUMBER, AT(auth.skew_seconds), 0, 3600, false, NULL, PLAIN,
      "seconds of clock skew allowed on exp and nbf" },
    { "profile", "CERTGRAPH_PROFILE", "--profile", "production", CHOICE, 0, 0, 0, false, check_profile, PLAIN,
      "production or development (production refuses chaos mode for every tenant)" },
    { "throttling", "CERTGRAPH_THROTTLING", "--throttling", "on", SWITCH, AT(throttling), 0, 0, false, NULL, PLAIN,
      "Graph's throttling: on or off" },
    { "throttle_sharing", "CERTGRAPH_THROTTLE_SHARING", "--throttle-sharing", "on", SWITCH, AT(throttle_sharing), 0, 0,
      false, NULL, PLAIN, "hold the budgets together with the other nodes on the same database: on or off" },
    { "throttle_sync_ms", "CERTGRAPH_THROTTLE_SYNC_MS", "--throttle-sync-ms", "250", NUMBER, AT(throttle_sync_ms), 50,
      5000, false, NULL, PLAIN, "how often a node shares its counts with the others, in milliseconds" },
    /* Graph's Intune limits */
    { "throttle_window", "CERTGRAPH_THROTTLE_WINDOW", "--throttle-window", "20", NUMBER, AT(limits.window_seconds), 1,
      3600, false, NULL, PLAIN, "the sliding window, in seconds" },
    { "tenant_requests", "CERTGRAPH_TENANT_REQUESTS", "--tenant-requests", "2000", NUMBER, AT(limits.tenant_requests),
      1, 100000, false, NULL, PLAIN, "requests per tenant in any window" },
    { "tenant_writes", "CERTGRAPH_TENANT_WRITES", "--tenant-writes", "200", NUMBER, AT(limits.tenant_writes), 1,
      100000, false, NULL, PLAIN, "of which writes (when not given: at most tenant_requests)" },
    { "app_requests", "CERTGRAPH_APP_REQUESTS", "--app-requests", "1000", NUMBER, AT(limits.app_requests), 1, 100000,
      false, NULL, PLAIN, "requests per application within a tenant in any window" },
    { "app_writes", "CERTGRAPH_APP_WRITES", "--app-writes", "100", NUMBER, AT(limits.app_writes), 1, 100000, false,
      NULL, PLAIN, "of which writes (when not given: at most app_requests)" },
    { "chaos", "CERTGRAPH_CHAOS", "--chaos", NULL, TEXT, 0, 0, 0, false, check_chaos, PLAIN,
      "chaos mode: \"rate=R status=429,503,504 tenants=all|GUID,... retry-after=S\"" },
    { "metrics_token_file", "CERTGRAPH_METRICS_TOKEN_FILE", "--metrics-token", NULL, TEXT, AT(metrics_token_file), 0,
      0, false, NULL, PLAIN, "a file whose first line lets scrapers on other hosts read /metrics" },
};
#define NSETTINGS (sizeof settings / sizeof settings[0])
_Static_assert(NSETTINGS <= CONFIG_MAX_SETTINGS, "raise CONFIG_MAX_SETTINGS");

/* An empty value is the default where there is one, else unset (CERTGRAPH_PUBLIC_URL= takes the Host). */
static const char *given(const setting *s, const char *v)
{
    return *v ? v : s->fallback && *s->fallback ? s->fallback : NULL;
}

static int index_of(const char *name)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].name, name) == 0) return (int)i;
    return -1;
}

static bool check_public_url(config *c, const char *v, char *err, size_t errlen)
{
    size_t n = strlen(v);
    if ((strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) || strcspn(v, " \"\\?#") != n ||
        v[n - 1] == '/') {
        snprintf(err, errlen, "public_url: an origin such as https://graph.example.com:8443, "
                              "without a path or a trailing slash: %s", v);
        return false;
    }
    c->public_url = v;
    return true;
}

static bool check_profile(config *c, const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "production") != 0 && strcmp(v, "development") != 0) {
        snprintf(err, errlen, "profile: production or development, not %s", v);
        return false;
    }
    c->production = strcmp(v, "production") == 0;
    return true;
}

static bool check_chaos(config *c, const char *v, char *err, size_t errlen)
{
    c->chaos_on = chaos_parse(&c->chaos, v, err, errlen);
    return c->chaos_on;
}

static bool parse_number(const setting *s, const char *v, long *out)
{
    if (strcmp(s->name, "workers") == 0 && strcmp(v, "auto") == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        *out = 4 * (cpus > 0 ? cpus : 1);   /* measured: a few more workers than cores keep the tails short */
        return true;
    }
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < s->min || n > s->max) return false;
    *out = n;
    return true;
}

/* Puts one raw value into its field. */
static bool apply(config *c, const setting *s, const char *v, char *err, size_t errlen)
{
    char *field = (char *)c + s->offset;
    switch (s->kind) {
    case TEXT:
        if (!s->check) *(const char **)field = v;
        break;
    case NUMBER: {
        long n;
        if (!parse_number(s, v, &n)) {
            snprintf(err, errlen, "%s (%s): a whole number from %ld to %ld, not %s", s->name, s->env, s->min, s->max, v);
            return false;
        }
        if (s->wide) *(long *)field = n;
        else *(int *)field = (int)n;
        break;
    }
    case SWITCH:
        if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
            snprintf(err, errlen, "%s (%s): on or off, not %s", s->name, s->env, v);
            return false;
        }
        *(bool *)field = strcmp(v, "on") == 0;
        break;
    case CHOICE:
        break;
    }
    return !s->check || s->check(c, v, err, errlen);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

/* name = value lines; # starts a comment line; a value may be double-quoted. */
static bool read_file(config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read the configuration file %s", path);
        return false;
    }
    size_t cap = 0;
    ssize_t got = getdelim(&c->file_text, &cap, '\0', f);
    fclose(f);
    if (got < 0) {
        snprintf(err, errlen, "cannot read the configuration file %s", path);
        return false;
    }
    int lineno = 0;
    for (char *line = c->file_text, *next; line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        char *t = trim(line);
        if (!*t || *t == '#') continue;
        char *eq = strchr(t, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected name = value", path, lineno);
            return false;
        }
        *eq = '\0';
        char *name = trim(t), *value = trim(eq + 1);
        size_t n = strlen(value);
        if (n >= 2 && value[0] == '"' && value[n - 1] == '"') value[n - 1] = '\0', value++;
        int i = index_of(name);
        if (i < 0) {
            snprintf(err, errlen, "%s:%d: no setting named %s (certgraphd --help lists them)", path, lineno, name);
            return false;
        }
        c->raw[i] = given(&settings[i], value);
        c->source[i] = "file";
    }
    return true;
}

static void usage(char *err, size_t errlen)
{
    size_t n = (size_t)snprintf(err, errlen, "usage: certgraphd [--config FILE] [--check-config] [--SETTING VALUE]...\n"
                                             "Each setting, by file name, variable and flag (default):\n");
    for (size_t i = 0; i < NSETTINGS && n < errlen; i++) {
        const setting *s = &settings[i];
        n += (size_t)snprintf(err + n, errlen - n, "  %-18s %-29s %-18s %s%s%s%s\n", s->name, s->env,
                              s->flag ? s->flag : "(no flag)", s->help, s->fallback && *s->fallback ? " [" : "",
                              s->fallback && *s->fallback ? s->fallback : "", s->fallback && *s->fallback ? "]" : "");
    }
}

config_status config_load(config *c, int argc, char **argv, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < NSETTINGS; i++) {
        c->raw[i] = settings[i].fallback;
        c->source[i] = "default";
    }
    /* the file first (flags name it too), then the environment over it, then flags over both */
    c->file = getenv("CERTGRAPH_CONFIG") && *getenv("CERTGRAPH_CONFIG") ? getenv("CERTGRAPH_CONFIG") : NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(err, errlen);
            return CONFIG_HELP;
        }
        if (strcmp(argv[i], "--check-config") == 0) c->check_only = true;   /* known before anything can fail */
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "--config needs a file");
                return CONFIG_ERROR;
            }
            c->file = argv[++i];
        }
    }
    if (c->file && !read_file(c, c->file, err, errlen)) return CONFIG_ERROR;
    for (size_t i = 0; i < NSETTINGS; i++) {
        const char *v = getenv(settings[i].env);
        if (v) c->raw[i] = given(&settings[i], v), c->source[i] = "environment";
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--check-config") == 0) continue;
        if (strcmp(a, "--config") == 0) { i++; continue; }
        size_t k;
        for (k = 0; k < NSETTINGS; k++)
            if (settings[k].flag && strcmp(a, settings[k].flag) == 0) break;
        if (k == NSETTINGS) {
            snprintf(err, errlen, "unknown option %s (certgraphd --help)", a);
            return CONFIG_ERROR;
        }
        if (i + 1 >= argc) {
            snprintf(err, errlen, "%s needs a value", a);
            return CONFIG_ERROR;
        }
        c->raw[k] = given(&settings[k], argv[i + 1]);
        c->source[k] = "flag";
        i++;
    }
    for (size_t i = 0; i < NSETTINGS; i++)
        if (c->raw[i] && !apply(c, &settings[i], c->raw[i], err, errlen)) return CONFIG_ERROR;

    /* what no single row can check */
    throttle_limits *l = &c->limits;
    if (!c->raw[index_of("tenant_writes")] || strcmp(c->source[index_of("tenant_writes")], "default") == 0)
        if (l->tenant_writes > l->tenant_requests) l->tenant_writes = l->tenant_requests;
    if (!c->raw[index_of("app_writes")] || strcmp(c->source[index_of("app_writes")], "default") == 0)
        if (l->app_writes > l->app_requests) l->app_writes = l->app_requests;
    if (l->tenant_writes > l->tenant_requests || l->app_writes > l->app_requests) {
        snprintf(err, errlen, "throttling: a budget of writes cannot exceed its budget of requests");
        return CONFIG_ERROR;
    }
    /* faults for every tenant of a production service would be an outage, not a test */
    if (c->chaos_on && c->production && c->chaos.ntenants == 0) {
        snprintf(err, errlen, "chaos (CERTGRAPH_CHAOS): a production profile needs tenants=GUID,... "
                              "(tenants=all only with profile development)");
        return CONFIG_ERROR;
    }
    return CONFIG_OK;
}

void config_free(config *c)
{
    free(c->file_text);
    c->file_text = NULL;
}

/* A connection string with any password replaced, in key=value or URI form. */
static void print_conninfo(FILE *out, const char *v)
{
    const char *p = strstr(v, "password");
    const char *scheme = strstr(v, "://");
    const char *at = scheme ? strchr(scheme, '@') : NULL;
    if (at) {   /* postgresql://user:secret@host/db */
        const char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
        if (colon) {
            fprintf(out, "%.*s:********%s", (int)(colon - v), v, at);
            return;
        }
    }
    if (!p) {
        fputs(v, out);
        return;
    }
    const char *eq = strchr(p, '=');
    const char *end = eq ? eq + 1 + strcspn(eq + 1, " &") : p + strlen(p);
    fprintf(out, "%.*s********%s", (int)(eq ? eq + 1 - v : p - v), v, end);
}

void config_print(const config *c, FILE *out)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        fprintf(out, "%s = ", s->name);
        const char *v = c->raw[i];
        if (!v) fputs("(unset)", out);
        else if (s->shown == SECRET) fputs(*v ? "********" : "", out);
        else if (s->shown == CONNINFO) print_conninfo(out, v);
        else fprintf(out, "\"%s\"", v);
        fprintf(out, "    # %s\n", c->source[i]);
    }
    fprintf(out, "# effective: %d workers, throttling %s, chaos %s\n", c->workers, c->throttling ? "on" : "off",
            c->chaos_on ? "on" : "off");
}
