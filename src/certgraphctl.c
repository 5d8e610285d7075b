/* certgraphctl: administration commands — schema migrations and development tokens. */
#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "auth.h"
#include "json.h"
#include "migrate.h"
#include "odata.h"
#include "router.h"
#include "skiptoken.h"

#define DEV_TENANT "8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01"
#define DEV_SCOPES "DeviceManagementApps.ReadWrite.All DeviceManagementConfiguration.ReadWrite.All"

static const char usage[] =
    "usage: certgraphctl migrate [--db CONNINFO]\n"
    "       certgraphctl token [--tenant ID] [--scp \"S1 S2\"] [--roles \"R1 R2\"] [--ttl SECONDS]\n"
    "                          [--aud AUDIENCE] [--iss ISSUER] [--key PEM] [--app ID]\n"
    "       certgraphctl skiptoken --url PATH?QUERY [--tenant ID] [--key FILE] VALUE...\n"
    "migrate reads CERTGRAPH_DB when --db is not given, runs as the owner, and lets certgraph_service\n"
    "log in (password: CERTGRAPH_SERVICE_PASSWORD, when set); token signs with CERTGRAPH_JWT_SIGNING_KEY\n"
    "(default var/keys/dev.key, made by `make run`). skiptoken prints the $skiptoken a list at URL\n"
    "would put in its nextLink after a row with these sort-key values and id (\\N for null), signed\n"
    "with the server's secret (default var/keys/skiptoken.key): a benchmark's way to page N.\n";

static int cmd_migrate(int argc, char **argv)
{
    const char *conninfo = getenv("CERTGRAPH_DB");
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) conninfo = argv[++i];
        else { fputs(usage, stderr); return 2; }
    }
    PGconn *conn = PQconnectdb(conninfo ? conninfo : "dbname=certgraph");
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "certgraphctl migrate: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return 1;
    }
    int n = migrate_apply(conn, 1);
    if (n >= 0 && !migrate_service_login(conn, getenv("CERTGRAPH_SERVICE_PASSWORD"))) n = -1;
    PQfinish(conn);
    if (n < 0) return 1;
    printf("schema up to date (%d migration%s applied)\n", n, n == 1 ? "" : "s");
    return 0;
}

/* Writes each space-separated word of list as an array element. */
static void json_words(json_writer *w, const char *list)
{
    json_begin_array(w);
    for (const char *p = list; *p;) {
        while (*p == ' ') p++;
        size_t n = strcspn(p, " ");
        if (n) json_string_n(w, p, n);
        p += n;
    }
    json_end_array(w);
}

static int cmd_token(int argc, char **argv)
{
    const char *tenant = DEV_TENANT, *scp = NULL, *roles = NULL, *aud = "https://graph.microsoft.com";
    const char *iss = NULL, *app = "certgraph-dev";
    const char *key = getenv("CERTGRAPH_JWT_SIGNING_KEY");
    long ttl = 3600;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) { fputs(usage, stderr); return 2; }
        const char *v = argv[++i];
        if (strcmp(a, "--tenant") == 0) tenant = v;
        else if (strcmp(a, "--scp") == 0) scp = v;
        else if (strcmp(a, "--roles") == 0) roles = v;
        else if (strcmp(a, "--ttl") == 0) ttl = strtol(v, NULL, 10);
        else if (strcmp(a, "--aud") == 0) aud = v;
        else if (strcmp(a, "--iss") == 0) iss = v;
        else if (strcmp(a, "--key") == 0) key = v;
        else if (strcmp(a, "--app") == 0) app = v;
        else { fputs(usage, stderr); return 2; }
    }
    if (!scp && !roles) scp = DEV_SCOPES;
    /* Entra ID writes tenant ids in lowercase, and the issuer check compares them that way. */
    char tid[64];
    snprintf(tid, sizeof tid, "%s", tenant);
    for (char *p = tid; *p; p++) *p = (char)tolower((unsigned char)*p);
    tenant = tid;
    if (!key || !*key) key = "var/keys/dev.key";

    arena *a = arena_new(4096);
    strbuf claims;
    sb_init(&claims, a, 512);
    json_writer *w = json_writer_new(&claims);
    long long now = (long long)time(NULL);
    json_begin_object(w);
    json_key(w, "aud"); json_string(w, aud);
    json_key(w, "iss"); json_string(w, iss ? iss : arena_printf(a, "https://sts.windows.net/%s/", tenant));
    json_key(w, "iat"); json_number(w, arena_printf(a, "%lld", now));
    json_key(w, "nbf"); json_number(w, arena_printf(a, "%lld", now));
    json_key(w, "exp"); json_number(w, arena_printf(a, "%lld", now + ttl));
    json_key(w, "tid"); json_string(w, tenant);
    json_key(w, "appid"); json_string(w, app);
    if (scp && *scp) { json_key(w, "scp"); json_string(w, scp); }
    if (roles && *roles) { json_key(w, "roles"); json_words(w, roles); }
    json_end_object(w);

    char err[512];
    char *token = auth_sign(key, "certgraph-dev", claims.data, err, sizeof err);
    arena_free(a);
    if (!token) {
        fprintf(stderr, "certgraphctl token: %s\n", err);
        return 1;
    }
    printf("%s\n", token);
    free(token);
    return 0;
}

static int cmd_skiptoken(int argc, char **argv)
{
    const char *url = NULL, *tenant = DEV_TENANT, *key = "var/keys/skiptoken.key";
    int i = 0;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--url") == 0) url = argv[i + 1];
        else if (strcmp(argv[i], "--tenant") == 0) tenant = argv[i + 1];
        else if (strcmp(argv[i], "--key") == 0) key = argv[i + 1];
        else { fputs(usage, stderr); return 2; }
    }
    char err[512];
    if (!url || !skiptoken_load_secret(key, err, sizeof err)) {
        fprintf(stderr, "certgraphctl skiptoken: %s\n", url ? err : "--url is required");
        return 2;
    }
    arena *a = arena_new(4096);
    route rt;
    route_parse(a, url, &rt);
    odata_query q;
    const char *message = "not a collection";
    int status = 2;
    if (!rt.error_status && rt.kind == PATH_COLLECTION && odata_parse(a, rt.entity, &rt, ~0u, &q, &message)) {
        int n = argc - i;
        if (n != q.norder + 1) {
            fprintf(stderr, "certgraphctl skiptoken: the order needs %d values (its keys, then the id)\n", q.norder + 1);
        } else {
            const char **values = arena_alloc(a, (size_t)n * sizeof *values);
            for (int k = 0; k < n; k++) values[k] = strcmp(argv[i + k], "\\N") == 0 ? NULL : argv[i + k];
            unsigned char digest[SKIPTOKEN_DIGEST_LEN];
            odata_digest(a, &q, rt.entity, tenant, digest);
            printf("%s\n", skiptoken_make(a, digest, values, n));
            status = 0;
        }
    } else {
        fprintf(stderr, "certgraphctl skiptoken: %s\n", rt.error_status ? rt.error_message : message);
    }
    arena_free(a);
    return status;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "skiptoken") == 0) return cmd_skiptoken(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "migrate") == 0) return cmd_migrate(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "token") == 0) return cmd_token(argc - 2, argv + 2);
    fputs(usage, argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
    return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
