#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "entity.h"

/* Labels are fixed sets, so a request is a few array indexes and never a lookup that allocates.
 * Resources are the entity table's types, then these. */
#define ENTITY_SLOTS 16
static const char *const other_resources[] = { "$batch", "$metadata", "health", "tokenCheck", "metrics", "other" };
#define NOTHER (sizeof other_resources / sizeof other_resources[0])
#define NRESOURCES (ENTITY_SLOTS + NOTHER)
static const char *const methods[] = { "GET", "POST", "PATCH", "DELETE", "HEAD", "other" };
#define NMETHODS (sizeof methods / sizeof methods[0])
static const int statuses[] = { 200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 414, 415, 429, 500, 503, 504, 0 };
#define NSTATUSES (sizeof statuses / sizeof statuses[0])
/* seconds; the last bucket is +Inf */
static const double bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NBOUNDS (sizeof bounds / sizeof bounds[0])
static const int fault_statuses[] = { 429, 503, 504 };
#define NFAULTS (sizeof fault_statuses / sizeof fault_statuses[0])

static const struct { const char *name, *help, *type; } counter_info[METRIC_COUNTERS] = {
    [METRIC_WORKERS_STARTED] = { "certgraph_workers_started_total", "Pool workers forked.", "counter" },
    [METRIC_WORKERS_RESPAWNED] = { "certgraph_worker_respawns_total", "Workers that died and were replaced.", "counter" },
    [METRIC_WORKERS_RECYCLED] = { "certgraph_workers_recycled_total", "Workers replaced after their max-requests.", "counter" },
    [METRIC_DB_CONNECTS] = { "certgraph_db_connects_total", "Workers' first connections to PostgreSQL.", "counter" },
    [METRIC_DB_RECONNECTS] = { "certgraph_db_reconnects_total", "Connections made again after one was lost.", "counter" },
    [METRIC_DB_CONNECT_FAILURES] = { "certgraph_db_connect_failures_total", "Connection attempts that failed.", "counter" },
    [METRIC_DB_OUTAGES] = { "certgraph_db_outages_total", "Times a worker found PostgreSQL gone.", "counter" },
    [METRIC_DB_UNAVAILABLE] = { "certgraph_db_unavailable_total", "Requests answered 503 without PostgreSQL.", "counter" },
    [METRIC_COMMITS_FOUND] = { "certgraph_commits_in_doubt_total{outcome=\"committed\"}",
                               "COMMITs never answered, by what reading the write back found.", "counter" },
    [METRIC_COMMITS_LOST] = { "certgraph_commits_in_doubt_total{outcome=\"not_committed\"}", NULL, "counter" },
    [METRIC_COMMITS_UNKNOWN] = { "certgraph_commits_in_doubt_total{outcome=\"unknown\"}", NULL, "counter" },
    [METRIC_THROTTLED_TENANT] = { "certgraph_throttled_total{budget=\"tenant\"}",
                                  "Requests answered 429 by a throttling budget.", "counter" },
    [METRIC_THROTTLED_APP] = { "certgraph_throttled_total{budget=\"application\"}", NULL, NULL },
    [METRIC_THROTTLE_SYNCS] = { "certgraph_throttle_syncs_total{outcome=\"ok\"}",
                                "Round trips sharing throttling counts with the other nodes.", "counter" },
    [METRIC_THROTTLE_SYNC_FAILURES] = { "certgraph_throttle_syncs_total{outcome=\"failed\"}", NULL, NULL },
};

struct metrics {
    atomic_ullong counters[METRIC_COUNTERS];
    atomic_ullong faults[NFAULTS];
    atomic_int workers_alive;
    atomic_int throttle_nodes;
    atomic_ullong requests[NRESOURCES][NMETHODS][NSTATUSES];
    atomic_ullong latency[NRESOURCES][NBOUNDS + 1];   /* per bucket, made cumulative when rendered */
    atomic_ullong latency_us[NRESOURCES];             /* sum, in microseconds */
};

static metrics *current;

metrics *metrics_new(void)
{
    void *p = mmap(NULL, sizeof(metrics), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;   /* zero pages: every counter starts at 0 */
}

void metrics_attach(metrics *m) { current = m; }

void metrics_free(metrics *m)
{
    if (current == m) current = NULL;
    if (m) munmap(m, sizeof *m);
}

void metrics_count(metric_counter c)
{
    if (current) atomic_fetch_add_explicit(&current->counters[c], 1, memory_order_relaxed);
}

void metrics_fault(int status)
{
    for (size_t i = 0; current && i < NFAULTS; i++)
        if (fault_statuses[i] == status) atomic_fetch_add_explicit(&current->faults[i], 1, memory_order_relaxed);
}

void metrics_workers_alive(int n)
{
    if (current) atomic_store(&current->workers_alive, n);
}

void metrics_throttle_nodes(int n)
{
    if (current) atomic_store(&current->throttle_nodes, n);
}

static size_t index_of(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; name && i + 1 < n; i++)
        if (strcmp(names[i], name) == 0) return i;
    return n - 1;   /* "other" */
}

static size_t resource_index(const char *name)
{
    for (size_t i = 0; name && i < ENTITY_SLOTS && certgraph_entities[i]; i++)
        if (strcmp(certgraph_entities[i]->type_name, name) == 0) return i;
    return ENTITY_SLOTS + index_of(other_resources, NOTHER, name);
}

/* NULL for an entity slot no entity fills */
static const char *resource_name(size_t r)
{
    if (r >= ENTITY_SLOTS) return other_resources[r - ENTITY_SLOTS];
    for (size_t i = 0; i <= r; i++)
        if (!certgraph_entities[i]) return NULL;
    const char *dot = strrchr(certgraph_entities[r]->type_name, '.');
    return dot ? dot + 1 : certgraph_entities[r]->type_name;   /* the Graph type without its namespace */
}

void metrics_request(const char *resource, const char *method, int status, double seconds)
{
    if (!current) return;
    size_t r = resource_index(resource), m = index_of(methods, NMETHODS, method), s = 0;
    while (s + 1 < NSTATUSES && statuses[s] != status) s++;
    size_t b = 0;
    while (b < NBOUNDS && seconds > bounds[b]) b++;
    atomic_fetch_add_explicit(&current->requests[r][m][s], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&current->latency[r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&current->latency_us[r], (unsigned long long)(seconds * 1e6), memory_order_relaxed);
}

static unsigned long long get(atomic_ullong *v) { return atomic_load_explicit(v, memory_order_relaxed); }

const char *metrics_render(arena *a)
{
    strbuf b;
    sb_init(&b, a, 8192);
    if (!current) return "";
    metrics *m = current;
    for (int c = 0; c < METRIC_COUNTERS; c++) {
        /* a family's first series carries its HELP and TYPE, named without the labels */
        int family = (int)strcspn(counter_info[c].name, "{");
        if (counter_info[c].help)
            sb_printf(&b, "# HELP %.*s %s\n# TYPE %.*s %s\n", family, counter_info[c].name, counter_info[c].help,
                      family, counter_info[c].name, counter_info[c].type);
        sb_printf(&b, "%s %llu\n", counter_info[c].name, get(&m->counters[c]));
    }
    sb_adds(&b, "# HELP certgraph_faults_injected_total Answers chaos mode made instead of serving.\n"
                "# TYPE certgraph_faults_injected_total counter\n");
    for (size_t i = 0; i < NFAULTS; i++)
        sb_printf(&b, "certgraph_faults_injected_total{status=\"%d\"} %llu\n", fault_statuses[i], get(&m->faults[i]));
    sb_printf(&b, "# HELP certgraph_workers_alive Pool workers running now.\n# TYPE certgraph_workers_alive gauge\n"
                  "certgraph_workers_alive %d\n", atomic_load(&m->workers_alive));
    sb_printf(&b, "# HELP certgraph_throttle_nodes Nodes holding the throttling budgets together, this one included "
                  "(0: not sharing).\n# TYPE certgraph_throttle_nodes gauge\ncertgraph_throttle_nodes %d\n",
              atomic_load(&m->throttle_nodes));

    sb_adds(&b, "# HELP certgraph_requests_total Requests answered, by resource, method and status.\n"
                "# TYPE certgraph_requests_total counter\n");
    for (size_t r = 0; r < NRESOURCES; r++)
        for (size_t k = 0; k < NMETHODS && resource_name(r); k++)
            for (size_t s = 0; s < NSTATUSES; s++) {
                unsigned long long n = get(&m->requests[r][k][s]);
                if (!n) continue;   /* absent series read as 0 in PromQL; keep the page short */
                char code[8];
                snprintf(code, sizeof code, "%d", statuses[s]);
                sb_printf(&b, "certgraph_requests_total{resource=\"%s\",method=\"%s\",status=\"%s\"} %llu\n",
                          resource_name(r), methods[k], statuses[s] ? code : "other", n);
            }
    sb_adds(&b, "# HELP certgraph_request_duration_seconds Time from accepting a request to its last byte.\n"
                "# TYPE certgraph_request_duration_seconds histogram\n");
    for (size_t r = 0; r < NRESOURCES; r++) {
        /* one read of each bucket, so the cumulative series agree with their count */
        unsigned long long seen[NBOUNDS + 1], cum = 0;
        for (size_t i = 0; i <= NBOUNDS; i++) seen[i] = get(&m->latency[r][i]);
        const char *name = resource_name(r);
        for (size_t i = 0; i <= NBOUNDS; i++) cum += seen[i];
        if (!cum || !name) continue;
        unsigned long long total = cum;
        cum = 0;
        for (size_t i = 0; i < NBOUNDS; i++) {
            cum += seen[i];
            sb_printf(&b, "certgraph_request_duration_seconds_bucket{resource=\"%s\",le=\"%g\"} %llu\n", name,
                      bounds[i], cum);
        }
        sb_printf(&b, "certgraph_request_duration_seconds_bucket{resource=\"%s\",le=\"+Inf\"} %llu\n", name, total);
        sb_printf(&b, "certgraph_request_duration_seconds_sum{resource=\"%s\"} %.6f\n", name,
                  (double)get(&m->latency_us[r]) / 1e6);
        sb_printf(&b, "certgraph_request_duration_seconds_count{resource=\"%s\"} %llu\n", name, total);
    }
    return b.data;
}
