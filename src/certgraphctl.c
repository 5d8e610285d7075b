/* certgraphctl: administration commands — schema migrations and development tokens. */
#include <ctype.h>
#include <dirent.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "audit.h"
#include "auth.h"
#include "json.h"
#include "db.h"
#include "filter.h"
#include "log.h"
#include "migrate.h"
#include "sql.h"
#include "values.h"
#include "odata.h"
#include "router.h"
#include "secret.h"
#include "skiptoken.h"

#define DEV_TENANT "8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01"
#define DEV_SCOPES "DeviceManagementApps.ReadWrite.All DeviceManagementConfiguration.ReadWrite.All"

static const char usage[] =
    "usage: certgraphctl migrate [--db CONNINFO]\n"
    "       certgraphctl token [--tenant ID] [--scp \"S1 S2\"] [--roles \"R1 R2\"] [--ttl SECONDS]\n"
    "                          [--aud AUDIENCE] [--iss ISSUER] [--key PEM] [--kid KID] [--appid ID] [--oid ID]\n"
    "                          [--upn UPN]\n"
    "       certgraphctl skiptoken --url PATH?QUERY [--tenant ID] [--key FILE] VALUE...\n"
    "       certgraphctl export --tenant ID [--db CONNINFO] [--filter EXPR] RESOURCE\n"
    "       certgraphctl import --tenant ID [--db CONNINFO] RESOURCE FILE|-\n"
    "Commands that reach PostgreSQL read CERTGRAPH_DB when --db is not given, and the password from\n"
    "the first line of CERTGRAPH_DB_PASSWORD_FILE when that is set. migrate runs as the owner, lets\n"
    "certgraph_service log in (password: CERTGRAPH_SERVICE_PASSWORD_FILE's first line, else\n"
    "CERTGRAPH_SERVICE_PASSWORD), and imports CERTGRAPH_SEED_DIR/<tenant>/<resource>.jsonl into each\n"
    "tenant that has no entity yet; token signs with CERTGRAPH_JWT_SIGNING_KEY\n"
    "(default var/keys/dev.key, made by `make run`). skiptoken prints the $skiptoken a list at URL\n"
    "would put in its nextLink after a row with these sort-key values and id (\\N for null), signed\n"
    "with the server's secret (default var/keys/skiptoken.key): a benchmark's way to page N.\n"
    "export writes a tenant's RESOURCE (enterpriseCodeSigningCertificates, symantecCodeSigningCertificate,\n"
    "deviceConfigurationsAllManagedDeviceCertificateStates) as JSON lines, as a GET answers, lossless:\n"
    "a parsed certificate comes back in content. import reads JSON lines or a Graph collection answer\n"
    "({\"value\":[...]}), checks each object as a POST body, keeps the ids it is given, and writes the\n"
    "whole file in one transaction or nothing.\n";

static int seed_tenants(db *d, const char *dir);

/* A password from the file the environment variable var names (compose secrets), into out; out is
 * "" when var is unset. False with a message when the file cannot be read. */
static bool password_from(const char *cmd, const char *var, char *out, size_t outlen)
{
    const char *path = getenv(var);
    char err[512];
    out[0] = '\0';
    if (!path || !*path) return true;
    if (secret_read_line(path, var, 1, out, outlen, err, sizeof err)) return true;
    fprintf(stderr, "certgraphctl %s: %s\n", cmd, err);
    return false;
}

/* The database a command works on, as certgraphd reaches it: CERTGRAPH_DB (or --db), with the
 * password of CERTGRAPH_DB_PASSWORD_FILE over the string's own. NULL when that file is unreadable. */
static db *ctl_db(const char *cmd, const char *conninfo)
{
    char password[256];
    if (!password_from(cmd, "CERTGRAPH_DB_PASSWORD_FILE", password, sizeof password)) return NULL;
    db *d = db_new(conninfo ? conninfo : "dbname=certgraph", password);
    OPENSSL_cleanse(password, sizeof password);
    return d;
}

static int cmd_migrate(int argc, char **argv)
{
    const char *conninfo = getenv("CERTGRAPH_DB");
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) conninfo = argv[++i];
        else { fputs(usage, stderr); return 2; }
    }
    char password[256], service_password[256];
    if (!password_from("migrate", "CERTGRAPH_DB_PASSWORD_FILE", password, sizeof password) ||
        !password_from("migrate", "CERTGRAPH_SERVICE_PASSWORD_FILE", service_password, sizeof service_password))
        return 1;
    const char *const keys[] = { "dbname", password[0] ? "password" : NULL, NULL };
    const char *const values[] = { conninfo ? conninfo : "dbname=certgraph", password, NULL };
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    OPENSSL_cleanse(password, sizeof password);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "certgraphctl migrate: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return 1;
    }
    int n = migrate_apply(conn, 1);
    if (n >= 0 && !migrate_service_login(conn, service_password[0] ? service_password
                                                                   : getenv("CERTGRAPH_SERVICE_PASSWORD")))
        n = -1;
    OPENSSL_cleanse(service_password, sizeof service_password);
    PQfinish(conn);
    if (n < 0) return 1;
    printf("schema up to date (%d migration%s applied)\n", n, n == 1 ? "" : "s");
    const char *seed_dir = getenv("CERTGRAPH_SEED_DIR");
    if (!seed_dir || !*seed_dir) return 0;
    db *d = ctl_db("migrate", conninfo);
    int status = d && db_connect(d) ? seed_tenants(d, seed_dir) : 1;
    db_free(d);
    return status;
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
    const char *iss = NULL, *app = "certgraph-dev", *oid = NULL, *upn = NULL, *kid = "certgraph-dev";
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
        else if (strcmp(a, "--kid") == 0) kid = v;
        else if (strcmp(a, "--app") == 0 || strcmp(a, "--appid") == 0) app = v;
        else if (strcmp(a, "--oid") == 0) oid = v;
        else if (strcmp(a, "--upn") == 0) upn = v;
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
    if (oid && *oid) { json_key(w, "oid"); json_string(w, oid); }
    if (upn && *upn) { json_key(w, "upn"); json_string(w, upn); }
    if (scp && *scp) { json_key(w, "scp"); json_string(w, scp); }
    if (roles && *roles) { json_key(w, "roles"); json_words(w, roles); }
    json_end_object(w);

    char err[512];
    char *token = auth_sign(key, *kid ? kid : NULL, claims.data, err, sizeof err);
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

#define EXPORT_PAGE 1000

/* One page of rows as JSON lines; returns the number of rows, -1 on a database error. */
static int export_page(db *d, arena *page, const entity *e, const char *tenant, const odata_query *q,
                       const char *const *after, char *last_id, size_t last_len)
{
    db_rows *r = NULL;
    if (db_run(d, page, sql_query_list(page, e, tenant, q, after, EXPORT_PAGE), &r) != DB_OK) return -1;
    int n = db_rows_count(r);
    int content = entity_property_index(e, "content", 7);
    for (int row = 0; row < n; row++) {
        const char **values = db_rows_values(r, page, row, false);
        if (e->content_kept_in && content >= 0 && !values[content]) values[content] = values[e->content_kept_in];
        strbuf line;
        sb_init(&line, page, 1024);
        json_writer *w = json_writer_new(&line);
        json_begin_object(w);
        json_write_entity(w, e, values, NULL);
        json_end_object(w);
        sb_addc(&line, '\n');
        fwrite(line.data, 1, line.len, stdout);
        if (row == n - 1) snprintf(last_id, last_len, "%s", values[0]);
    }
    return n;
}

static int cmd_export(int argc, char **argv)
{
    const char *conninfo = getenv("CERTGRAPH_DB"), *tenant = NULL, *filter = NULL, *resource = NULL;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) { resource = argv[i]; continue; }
        if (i + 1 >= argc) { fputs(usage, stderr); return 2; }
        if (strcmp(argv[i], "--db") == 0) conninfo = argv[++i];
        else if (strcmp(argv[i], "--tenant") == 0) tenant = argv[++i];
        else if (strcmp(argv[i], "--filter") == 0) filter = argv[++i];
        else { fputs(usage, stderr); return 2; }
    }
    const entity *e = resource ? entity_by_segment(resource) : NULL;
    if (!e || !tenant || !value_uuid_valid(tenant, strlen(tenant))) {
        fprintf(stderr, "certgraphctl export: %s\n", !e ? "RESOURCE must name a Graph collection or singleton" : "--tenant needs a GUID");
        return 2;
    }
    arena *qa = arena_new(4096), *page = arena_new(64 * 1024);
    odata_query q = { .top = EXPORT_PAGE, .server_columns = true };
    int status = 0;
    const char *message = NULL;
    if (filter && !(q.filter = filter_parse(qa, e, filter, strlen(filter), &message))) {
        fprintf(stderr, "certgraphctl export: %s\n", message);
        status = 2;
    }
    db *d = status ? NULL : ctl_db("export", conninfo);
    if (!status && (!d || !db_connect(d))) status = 1;
    /* keyset pages by id, so an export of any size runs in constant memory */
    char last[40] = "";
    const char *after[1] = { last };
    for (int n = EXPORT_PAGE; !status && n == EXPORT_PAGE;) {
        arena_reset(page);
        n = export_page(d, page, e, tenant, &q, last[0] ? after : NULL, last, sizeof last);
        if (n < 0) status = 1;
    }
    if (status == 1) fprintf(stderr, "certgraphctl export: the database did not answer (see above)\n");
    db_free(d);
    arena_free(page);
    arena_free(qa);
    return fflush(stdout) == 0 ? status : 1;
}

#define IMPORT_MAX_DEPTH 64

/* The whole file (or standard input for "-"), NUL-terminated; NULL on a read error. */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (cap - n - 1 == 0) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) { free(buf); buf = NULL; break; }
            buf = grown;
            cap *= 2;
        }
    }
    bool failed = ferror(f);
    if (f != stdin) fclose(f);
    if (!buf || failed) { free(buf); return NULL; }
    buf[n] = '\0';
    *len = n;
    return buf;
}

typedef struct import_line {
    const char *text;
    size_t len;
    long number;      /* the line (JSON lines) or the item (a collection answer), from 1 */
} import_line;

/* The objects to import: the items of a {"value":[...]} answer, or else one per non-blank line. */
static import_line *split_input(arena *a, const char *buf, size_t len, int *count, bool *collection)
{
    *collection = false;
    yajl_val root = NULL;
    if (json_nesting(buf, len, IMPORT_MAX_DEPTH) <= IMPORT_MAX_DEPTH && strlen(buf) == len)
        root = yajl_tree_parse(buf, NULL, 0);
    yajl_val value = json_tree_member(root, "value");
    import_line *lines;
    int n = 0;
    if (YAJL_IS_ARRAY(value)) {
        *collection = true;
        lines = arena_alloc(a, (value->u.array.len + 1) * sizeof *lines);
        for (size_t i = 0; i < value->u.array.len; i++) {
            lines[n].text = json_tree_text(a, value->u.array.values[i], &lines[n].len);
            lines[n].number = (long)i + 1;
            n++;
        }
    } else {
        size_t max = 1;
        for (size_t i = 0; i < len; i++) max += buf[i] == '\n';
        lines = arena_alloc(a, max * sizeof *lines);
        long number = 0;
        for (const char *p = buf; p < buf + len;) {
            const char *end = memchr(p, '\n', (size_t)(buf + len - p));
            size_t l = end ? (size_t)(end - p) : (size_t)(buf + len - p);
            number++;
            if (strspn(p, " \t\r") < l) lines[n++] = (import_line){ p, l, number };
            p += l + 1;
        }
    }
    yajl_tree_free(root);
    *count = n;
    return lines;
}

/* Who the audit trail says imported: certgraphctl, one correlation id per run. */
static audit_actor import_actor = { .app_display_name = "certgraphctl import" };
static unsigned char import_correlation[16];

/* One object into the open transaction: the POST body rules, derive, then the line's own values
 * back over what derive computed (an export's uploadDateTime and status are kept), and its id. */
static const char *import_one(db *d, arena *a, const entity *e, const char *tenant, const import_line *l)
{
    prop_value *values = arena_alloc(a, (size_t)e->nprops * sizeof *values);
    prop_value *given = arena_alloc(a, (size_t)e->nprops * sizeof *given);
    const char *message = NULL;
    if (!json_read_entity(a, e, l->text, l->len, values, &message)) return message;
    memcpy(given, values, (size_t)e->nprops * sizeof *given);
    if (e->derive && !e->derive(a, values, &message)) return message;
    int content = entity_property_index(e, "content", 7);
    for (int i = 1; i < e->nprops; i++)
        if (given[i].present && i != content && property_served(&e->props[i]) && !(e->props[i].flags & PROP_WRITEONLY))
            values[i] = given[i];
    char id[37];
    const char *key = NULL;
    if (e->singleton) {
        entity_singleton_id(e, tenant, id);
        key = id;
    } else if (values[0].present && !values[0].is_null) {
        if (!value_uuid_valid(values[0].text, values[0].len)) return "The id is not a GUID.";
        key = values[0].text;
    }
    db_rows *r;
    db_status st = db_run(d, a, sql_insert(a, e, tenant, key, values), &r);
    if (st == DB_OK) {
        /* imports are audited like any other write (API.md §8), by certgraphctl itself; the
         * singleton's, like its PATCH, is a Patch */
        const char **row = db_rows_values(r, a, 0, false);
        const char *const *old = db_rows_values(r, a, 0, true);
        char correlation[37];
        value_uuid_format(import_correlation, 4, correlation);
        st = db_run(d, a, audit_record(a, e, tenant, e->singleton ? AUDIT_PATCH : AUDIT_CREATE, row[0], old, row, values,
                                       &import_actor, correlation, correlation, NULL), &r);
    }
    switch (st) {
    case DB_OK: return NULL;
    case DB_CONFLICT: return arena_printf(a, "An entity with id '%s' exists already.", key ? key : "");
    case DB_BAD_VALUE: return "A property value is out of the range the service can store.";
    default: return "The database refused the row (see above).";
    }
}

/* One file into the tenant, in one transaction; 0, or 1 with the reason on stderr. */
static int import_file(db *d, const entity *e, const char *tenant, const char *path)
{
    size_t len = 0;
    char *buf = read_all(path, &len);
    if (!buf) { fprintf(stderr, "certgraphctl import: cannot read %s\n", path); return 1; }
    arena *a = arena_new(64 * 1024), *row = arena_new(16 * 1024);
    int n = 0, status = 0;
    bool collection;
    import_line *lines = split_input(a, buf, len, &n, &collection);
    if (RAND_bytes(import_correlation, sizeof import_correlation) != 1) memset(import_correlation, 0, sizeof import_correlation);
    db_begin(d);
    for (int i = 0; !status && i < n; i++) {
        arena_reset(row);
        const char *why = import_one(d, row, e, tenant, &lines[i]);
        if (why) {
            fprintf(stderr, "certgraphctl import: %s, %s %ld: %s\n", path, collection ? "item" : "line", lines[i].number, why);
            status = 1;
        }
    }
    if (!status && db_commit(d) != DB_OK) {
        fprintf(stderr, "certgraphctl import: %s: the commit failed; nothing may have been written\n", path);
        status = 1;
    }
    if (status) db_rollback(d);
    else printf("imported %d %s into tenant %s\n", n, e->segment, tenant);
    arena_free(row);
    arena_free(a);
    free(buf);
    return status;
}

static int cmd_import(int argc, char **argv)
{
    const char *conninfo = getenv("CERTGRAPH_DB"), *tenant = NULL, *resource = NULL, *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) {
            if (!resource) resource = argv[i];
            else path = argv[i];
            continue;
        }
        if (i + 1 >= argc) { fputs(usage, stderr); return 2; }
        if (strcmp(argv[i], "--db") == 0) conninfo = argv[++i];
        else if (strcmp(argv[i], "--tenant") == 0) tenant = argv[++i];
        else { fputs(usage, stderr); return 2; }
    }
    const entity *e = resource ? entity_by_segment(resource) : NULL;
    if (e && e->append_only) {
        fprintf(stderr, "certgraphctl import: %s is written by the service alone (append-only)\n", e->segment);
        return 2;
    }
    char tid[37];
    if (!e || !path || !tenant || !value_uuid_lower(tenant, strlen(tenant), tid)) {
        fprintf(stderr, "certgraphctl import: %s\n", !e ? "RESOURCE must name a Graph collection or singleton"
                                                     : !path ? "FILE is missing" : "--tenant needs a GUID");
        return 2;
    }
    db *d = ctl_db("import", conninfo);
    int status = 1;
    if (!d) return 1;
    if (db_connect(d)) status = import_file(d, e, tid, path);
    else fprintf(stderr, "certgraphctl import: the database is not reachable\n");
    db_free(d);
    return status;
}

/* The number of entities a tenant has, over every resource; -1 when the database did not answer. */
static long tenant_entities(db *d, arena *a, const char *tenant)
{
    long total = 0;
    for (int i = 0; certgraph_entities[i]; i++) {
        db_rows *r;
        if (db_run(d, a, sql_query_count(a, certgraph_entities[i], tenant, NULL), &r) != DB_OK) return -1;
        const char *n = db_rows_scalar(r);
        total += n ? strtol(n, NULL, 10) : 0;
    }
    return total;
}

/* CERTGRAPH_SEED_DIR: DIR/<tenant id>/<resource>.jsonl or .json (a saved collection answer), each
 * imported into a tenant that has no entity yet, so a lab or a CI run starts with its fixtures and a
 * restart changes nothing. */
static int seed_tenants(db *d, const char *dir)
{
    DIR *top = opendir(dir);
    if (!top) { fprintf(stderr, "certgraphctl migrate: CERTGRAPH_SEED_DIR %s: cannot open it\n", dir); return 1; }
    arena *a = arena_new(4096);
    int status = 0;
    for (struct dirent *t; !status && (t = readdir(top));) {
        if (t->d_name[0] == '.' || (t->d_type != DT_DIR && t->d_type != DT_UNKNOWN)) continue;   /* a README, say */
        char tid[37];
        if (!value_uuid_lower(t->d_name, strlen(t->d_name), tid)) {
            fprintf(stderr, "certgraphctl migrate: seed %s/%s: not a tenant id; skipped\n", dir, t->d_name);
            continue;
        }
        arena_reset(a);
        long have = tenant_entities(d, a, tid);
        if (have != 0) {
            if (have < 0) status = 1;
            else printf("seed: tenant %s has entities already; left as it is\n", tid);
            continue;
        }
        char *tdir = arena_printf(a, "%s/%s", dir, t->d_name);
        DIR *files = opendir(tdir);
        for (struct dirent *f; !status && files && (f = readdir(files));) {
            if (f->d_name[0] == '.') continue;
            char *name = arena_strdup(a, f->d_name), *dot = strrchr(name, '.');
            const entity *e = NULL;
            if (dot && (strcmp(dot, ".jsonl") == 0 || strcmp(dot, ".json") == 0)) {
                *dot = '\0';
                e = entity_by_segment(name);
                if (e && e->append_only) e = NULL;
            }
            if (!e) {
                fprintf(stderr, "certgraphctl migrate: seed %s/%s: name a resource, e.g. "
                                "deviceConfigurationsAllManagedDeviceCertificateStates.jsonl\n", tdir, f->d_name);
                status = 1;
                break;
            }
            status = import_file(d, e, tid, arena_printf(a, "%s/%s", tdir, f->d_name));
        }
        if (files) closedir(files);
    }
    closedir(top);
    arena_free(a);
    return status;
}

int main(int argc, char **argv)
{
    log_set_component("certgraphctl");
    if (argc >= 2 && strcmp(argv[1], "import") == 0) return cmd_import(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "export") == 0) return cmd_export(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "skiptoken") == 0) return cmd_skiptoken(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "migrate") == 0) return cmd_migrate(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "token") == 0) return cmd_token(argc - 2, argv + 2);
    fputs(usage, argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
    return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
