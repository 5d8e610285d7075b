/* Integration-test client: HTTPS requests against the running stack (nginx -> certgraphd ->
 * PostgreSQL), response capture, JSON parsing (yajl_tree), development tokens, and the checks
 * that API.md asks of every answer.
 *
 * Everything a helper allocates is owned by the test: it is released by cg_teardown(), which
 * every suite installs as its .fini (it also runs after a failed assertion), so the tests stay
 * clean under AddressSanitizer/LeakSanitizer. cg_free() releases a response early.
 *
 * Environment (set by tests/integration/run.sh): CERTGRAPH_TEST_URL, CERTGRAPH_TEST_CA,
 * CERTGRAPH_TEST_CTL, CERTGRAPH_JWT_SIGNING_KEY, CERTGRAPH_TEST_PIDFILE, CERTGRAPH_TEST_PG_STOP,
 * CERTGRAPH_TEST_PG_START, CERTGRAPH_TEST_DB. */
#ifndef CERTGRAPH_IT_CLIENT_H
#define CERTGRAPH_IT_CLIENT_H
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <yajl/yajl_tree.h>

/* ---- paths ------------------------------------------------------------------------------------ */

#define ECSC     "/deviceAppManagement/enterpriseCodeSigningCertificates"
#define SYMANTEC "/deviceAppManagement/symantecCodeSigningCertificate"
#define STATES   "/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates"

#define SCOPE_APPS_RW   "DeviceManagementApps.ReadWrite.All"
#define SCOPE_APPS_R    "DeviceManagementApps.Read.All"
#define SCOPE_CONFIG_RW "DeviceManagementConfiguration.ReadWrite.All"
#define SCOPE_CONFIG_R  "DeviceManagementConfiguration.Read.All"

#define JSON_MEDIA_TYPE \
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
#define NEVER_SET "0001-01-01T00:00:00Z"

/* ---- requests --------------------------------------------------------------------------------- */

typedef struct cg_response {
    char *method;
    char *url;
    long status;              /* 0 when the transfer itself failed (see curl_error) */
    long http_version;        /* CURL_HTTP_VERSION_1_1, CURL_HTTP_VERSION_2_0, ... */
    int curl_code;            /* CURLE_OK or the transport error */
    char curl_error[256];
    double seconds;           /* total time of the transfer */
    char *body;               /* always NUL-terminated (body_len bytes before it) */
    size_t body_len;
    size_t nheaders;          /* headers of the final response (not of a 100 Continue) */
    char **header_names;
    char **header_values;
    yajl_val json;            /* the parsed body, NULL when empty or not JSON */
} cg_response;

typedef struct cg_req {
    const char *method;         /* GET when NULL */
    const char *path;           /* "/beta/..." (appended to CERTGRAPH_TEST_URL) or an absolute URL */
    const char *token;          /* sent as "Authorization: Bearer <token>"; NULL: no header */
    const char *authorization;  /* a raw Authorization value instead (wins over token) */
    const char *body;           /* NULL: no body */
    size_t body_len;            /* 0: strlen(body) */
    const char *content_type;   /* with a body, NULL means application/json; "" sends none */
    const char *headers[8];     /* extra "Name: value" lines (NULL entries are skipped) */
    bool http2;                 /* CURL_HTTP_VERSION_2TLS instead of HTTP/1.1 */
    long timeout;               /* seconds; 0 means 30 */
    const char *resolve;        /* a CURLOPT_RESOLVE entry, e.g. "localhost:8443:127.0.0.1" */
} cg_req;

cg_response *cg_do(const cg_req *rq);
#define cg_call(...) cg_do(&(cg_req){ __VA_ARGS__ })
cg_response *cg_get(const char *path, const char *token);
cg_response *cg_delete(const char *path, const char *token);
cg_response *cg_post(const char *path, const char *token, const char *json_body);
cg_response *cg_patch(const char *path, const char *token, const char *json_body);
void cg_free(cg_response *r);

/* The first header of that name (case-insensitive), NULL when absent. */
const char *cg_header(const cg_response *r, const char *name);

/* ---- JSON ------------------------------------------------------------------------------------- */

/* The member at the path of keys (NULL-terminated), or NULL. Keys may contain dots. */
yajl_val cg_at(yajl_val v, ...);
/* Member of an object (NULL when absent or v is not an object). */
yajl_val cg_member(yajl_val obj, const char *key);
bool cg_has(yajl_val obj, const char *key);
/* The string value of a member, NULL when absent or not a string. */
const char *cg_str(yajl_val obj, const char *key);
/* The member is present and JSON null. */
bool cg_is_null(yajl_val obj, const char *key);
/* The member's integer value; false when absent or not an integer. */
bool cg_int(yajl_val obj, const char *key, long long *out);
#define CG_AT(v, ...) cg_at((v), __VA_ARGS__, (const char *)NULL)
/* Parses text (NULL on error; owned by the test). */
yajl_val cg_parse(const char *text);

/* ---- tokens, ids, helpers --------------------------------------------------------------------- */

/* Runs "$CERTGRAPH_TEST_CTL token <args>" (args formatted like printf; it is a shell word list)
 * and returns its single line; cached per argument string for the life of the test. */
const char *cg_token(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A token for tenant with the default scopes (both ReadWrite scopes). */
const char *cg_tenant_token(const char *tenant);
/* A fresh random tenant id (lowercase UUID), owned by the test. */
const char *cg_new_tenant(void);
void cg_uuid(char out[37]);
bool cg_is_uuid(const char *s);
/* printf into memory owned by the test. */
char *cg_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *cg_env(const char *name);
/* CERTGRAPH_TEST_URL without a trailing slash. */
const char *cg_base(void);
/* "HOST:PORT" of CERTGRAPH_TEST_URL, and the port alone. */
const char *cg_hostport(void);
const char *cg_port(void);
void cg_sleep_ms(long ms);
/* Microseconds since the epoch (wall clock). */
long long cg_now_us(void);

/* ---- DateTimeOffset --------------------------------------------------------------------------- */

/* ISO 8601 with Z or an offset to microseconds since the epoch (a 7th+ digit rounded half to
 * even, as PostgreSQL does). false when s is not such a value. */
bool cg_parse_instant(const char *s, long long *us);
/* NULL when got is written in UTC ("...Z") and names the same instant as want (to the microsecond);
 * else why not. */
const char *cg_check_instant(const char *got, const char *want);

/* ---- checks (NULL = fine, else a sentence owned by the test) ---------------------------------- */

typedef struct cg_type {
    const char *name;            /* microsoft.graph.enterpriseCodeSigningCertificate */
    const char *context;         /* deviceAppManagement/enterpriseCodeSigningCertificates */
    bool singleton;
    const char *const *props;    /* every property, NULL-terminated */
} cg_type;
extern const cg_type CG_ECSC, CG_SYMANTEC, CG_STATE;

/* request-id (a UUID) and OData-Version: 4.0 */
const char *cg_check_common_headers(const cg_response *r);
/* The Graph error shape: status, code, JSON content type, the error object with a non-empty message
 * (containing message_part when given), innerError date/request-id (= the request-id header)/
 * client-request-id, plus the common headers. */
const char *cg_check_error(const cg_response *r, long status, const char *code, const char *message_part);
/* One entity as an answer: status, exact JSON media type, @odata.context for version, the entity. */
const char *cg_check_entity_response(const cg_response *r, long status, const cg_type *t, const char *version);
/* A collection answer: status 200, media type, context, "value" array of entities of t. */
const char *cg_check_collection_response(const cg_response *r, const cg_type *t, const char *version);
/* An entity object: @odata.type, every property present, nothing unknown, id a lowercase UUID. */
const char *cg_check_entity_object(yajl_val obj, const cg_type *t);
/* Compares an answer with a documented example response (JSON text): every documented member must
 * be equal, except id (any UUID), instants (same instant, in UTC), and password (always null). */
const char *cg_compare_doc(yajl_val got, const char *doc_json);

/* Every member of want (but those named in skip, comma-separated) has the same value in got. */
const char *cg_compare_objects(yajl_val got, yajl_val want, const char *skip);

#define cg_assert_ok(expr)                                                                   \
    do {                                                                                     \
        const char *cg_why_ = (expr);                                                        \
        cr_assert(cg_why_ == NULL, "%s", cg_why_ ? cg_why_ : "");                            \
    } while (0)

#define cg_assert_status(r, want)                                                            \
    do {                                                                                     \
        const cg_response *cg_r_ = (r);                                                      \
        cr_assert_eq(cg_r_->status, (long)(want), "%s %.200s: status %ld, want %ld%s%s; body: %.800s", \
                     cg_r_->method, cg_r_->url, cg_r_->status, (long)(want),                 \
                     cg_r_->curl_code ? "; curl: " : "", cg_r_->curl_error,                  \
                     cg_r_->body ? cg_r_->body : "");                                        \
    } while (0)

#define cg_assert_error(r, status, code, message_part) \
    cg_assert_ok(cg_check_error((r), (status), (code), (message_part)))

/* POSTs body to /VERSION<collection> and returns the new id (asserting 201). */
const char *cg_create(const char *version, const char *collection, const char *token, const char *body);

/* ---- database, processes ---------------------------------------------------------------------- */

/* A libpq connection to CERTGRAPH_TEST_DB, opened once per test. */
PGconn *cg_db(void);
/* The first column of the first row as text (NULL for SQL null or no row), owned by the test;
 * asserts the query succeeded. */
char *cg_db_value(const char *sql, int nparams, const char *const *params);

/* The certgraphd master pid from CERTGRAPH_TEST_PIDFILE. */
pid_t cg_master_pid(void);
/* The pool workers of master pid (its children but the throttle sync), up to max; their number. */
int cg_workers(pid_t pid, pid_t *out, int max);

/* GET /metrics (asserting 200 and the Prometheus media type), and one series' value in it (its whole
 * name with labels, e.g. certgraph_workers_alive); 0 when absent, as Prometheus reads it. */
cg_response *cg_metrics(void);
double cg_metric(const cg_response *page, const char *series);

/* Starts the pool again with extra environment (shell words, e.g. "CERTGRAPH_MAX_REQUESTS=10")
 * and returns its master's pid; cg_restore_pool() brings back the harness's own pool (a no-op
 * when nothing was restarted), and belongs in the suite's .fini too. */
pid_t cg_restart_pool(const char *env);
void cg_restore_pool(void);

/* ---- suite hooks ------------------------------------------------------------------------------ */

void cg_setup(void);
void cg_teardown(void);

#endif
