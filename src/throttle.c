#include "throttle.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "hash.h"

/* Keys seen in one window that a node keeps apart; past that, new keys are admitted uncounted
 * (counted in metrics as throttle_untracked) rather than refused. */
#define TENANT_SLOTS 1024
#define APP_SLOTS 4096
#define MAX_PROBES 32
#define KEY_MAX 112

/* A sliding log: the times of the last `cap` admitted requests, oldest at `next` once full. A
 * request has room when fewer than cap were admitted in the window, i.e. the oldest of the last
 * cap is older than the window. Exact at every instant, so no burst at a window edge. */
typedef struct ring {
    unsigned next, count;
} ring;

typedef struct bucket {
    char key[KEY_MAX];
    long long newest_ms;    /* 0: never used */
    ring all, writes;
    long long times[];      /* all's cap entries, then writes' */
} bucket;

typedef struct table {
    size_t slot_size;
    int nslots, cap_all, cap_writes;
    size_t offset;          /* of the first slot from the region's start */
} table;

struct throttle {
    pthread_mutex_t lock;   /* process-shared and robust: a worker killed holding it does not wedge the rest */
    long long window_ms;
    table tenants, apps;
    size_t size;
};

static table table_shape(int nslots, int cap_all, int cap_writes, size_t *offset)
{
    table tb = { .nslots = nslots, .cap_all = cap_all, .cap_writes = cap_writes, .offset = *offset };
    tb.slot_size = (sizeof(bucket) + (size_t)(cap_all + cap_writes) * sizeof(long long) + 63) & ~(size_t)63;
    *offset += tb.slot_size * (size_t)nslots;
    return tb;
}

throttle *throttle_new(const throttle_limits *l, char *err, size_t errlen)
{
    if (l->window_seconds < 1 || l->tenant_requests < 1 || l->app_requests < 1 || l->tenant_writes < 1 ||
        l->app_writes < 1 || l->tenant_writes > l->tenant_requests || l->app_writes > l->app_requests) {
        snprintf(err, errlen, "throttling: budgets and window must be at least 1, writes at most requests");
        return NULL;
    }
    size_t offset = (sizeof(throttle) + 63) & ~(size_t)63;
    throttle shape = { .window_ms = l->window_seconds * 1000LL };
    shape.tenants = table_shape(TENANT_SLOTS, l->tenant_requests, l->tenant_writes, &offset);
    shape.apps = table_shape(APP_SLOTS, l->app_requests, l->app_writes, &offset);
    shape.size = offset;
    /* Anonymous shared pages are zero and only touched pages cost memory. */
    void *p = mmap(NULL, shape.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "throttling: cannot map %zu bytes: %s", shape.size, strerror(errno));
        return NULL;
    }
    throttle *t = p;
    *t = shape;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&t->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    return t;
}

void throttle_free(throttle *t)
{
    if (t) munmap(t, t->size);
}

long long throttle_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static bucket *slot_at(throttle *t, const table *tb, int i)
{
    return (bucket *)((char *)t + tb->offset + tb->slot_size * (size_t)i);
}

/* The key's bucket, claiming a free or idle one (nothing in the window) when it has none; NULL when
 * its probe run is all live keys. */
static bucket *find(throttle *t, const table *tb, const char *key, long long now_ms)
{
    unsigned long long h = hash_fnv1a(key);
    bucket *spare = NULL;
    for (int probe = 0; probe < MAX_PROBES; probe++) {
        bucket *b = slot_at(t, tb, (int)((h + (unsigned)probe) % (unsigned)tb->nslots));
        if (b->newest_ms && strcmp(b->key, key) == 0) return b;
        bool idle = !b->newest_ms || b->newest_ms <= now_ms - t->window_ms;
        if (idle && !spare) spare = b;
        if (!b->newest_ms) break;   /* never used: the key is not further along */
    }
    if (!spare) return NULL;
    memset(spare, 0, tb->slot_size);
    snprintf(spare->key, sizeof spare->key, "%s", key);
    return spare;
}

static long long *ring_times(bucket *b, const table *tb, bool writes)
{
    return b->times + (writes ? tb->cap_all : 0);
}

/* Milliseconds until the ring has room; 0 when it has now. */
static long long ring_wait(throttle *t, bucket *b, const table *tb, bool writes, long long now_ms)
{
    const ring *r = writes ? &b->writes : &b->all;
    int cap = writes ? tb->cap_writes : tb->cap_all;
    if (r->count < (unsigned)cap) return 0;
    long long oldest = ring_times(b, tb, writes)[r->next];
    long long wait = oldest + t->window_ms - now_ms;
    return wait > 0 ? wait : 0;
}

static void ring_push(bucket *b, const table *tb, bool writes, long long now_ms)
{
    ring *r = writes ? &b->writes : &b->all;
    unsigned cap = (unsigned)(writes ? tb->cap_writes : tb->cap_all);
    ring_times(b, tb, writes)[r->next] = now_ms;
    r->next = (r->next + 1) % cap;
    if (r->count < cap) r->count++;
    b->newest_ms = now_ms;
}

static long long bucket_wait(throttle *t, bucket *b, const table *tb, bool write, long long now_ms)
{
    if (!b) return 0;
    long long w = ring_wait(t, b, tb, false, now_ms);
    if (write) {
        long long ww = ring_wait(t, b, tb, true, now_ms);
        if (ww > w) w = ww;
    }
    return w;
}

static void lock(throttle *t)
{
    if (pthread_mutex_lock(&t->lock) == EOWNERDEAD) pthread_mutex_consistent(&t->lock);
}

throttle_verdict throttle_admit(throttle *t, const char *tenant, const char *app, bool write, long long now_ms,
                                int *retry_after)
{
    /* tenant/app; an app id too long for a key is kept as its hash (tenants are verified GUIDs) */
    char app_key[KEY_MAX];
    size_t tn = strlen(tenant), an = strlen(app);
    if (tn > 64) tn = 64;
    if (tn + an + 2 <= sizeof app_key)
        snprintf(app_key, sizeof app_key, "%.*s/%.*s", (int)tn, tenant, (int)an, app);
    else
        snprintf(app_key, sizeof app_key, "%.*s/#%016llx", (int)tn, tenant, hash_fnv1a(app));
    /* 0 is "never used" in a bucket: keep every stored time above it */
    now_ms += 1;

    lock(t);
    bucket *tb = find(t, &t->tenants, tenant, now_ms);
    bucket *ab = find(t, &t->apps, app_key, now_ms);
    long long tenant_wait = bucket_wait(t, tb, &t->tenants, write, now_ms);
    long long app_wait = bucket_wait(t, ab, &t->apps, write, now_ms);
    throttle_verdict v = tenant_wait ? THROTTLE_TENANT : app_wait ? THROTTLE_APP : THROTTLE_ADMIT;
    if (v == THROTTLE_ADMIT) {
        if (tb) {
            ring_push(tb, &t->tenants, false, now_ms);
            if (write) ring_push(tb, &t->tenants, true, now_ms);
        }
        if (ab) {
            ring_push(ab, &t->apps, false, now_ms);
            if (write) ring_push(ab, &t->apps, true, now_ms);
        }
    }
    pthread_mutex_unlock(&t->lock);

    long long wait = tenant_wait > app_wait ? tenant_wait : app_wait;
    *retry_after = v == THROTTLE_ADMIT ? 0 : (int)((wait + 999) / 1000);
    if (v != THROTTLE_ADMIT && *retry_after < 1) *retry_after = 1;
    return v;
}
