#include "throttle.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "hash.h"

/* Keys seen in one window that a node keeps apart; past that, new keys are admitted uncounted
 * (counted in metrics as throttle_untracked) rather than refused. */
#define TENANT_SLOTS 1024
#define APP_SLOTS 4096
#define MAX_PROBES 32
/* Past this long without a sync, a node counts on its own (the database is gone): the other nodes'
 * counts and the shares are ignored. */
#define SHARE_STALE_MS 3000
/* A key that had no share at the last sync (nothing in its window anywhere) gets at once, before any
 * other node knows of it, room / (nodes² x FIRST_PARTS): a fresh tenant is served at once, and N
 * nodes that all meet it at the same instant overshoot by at most a tenth of the room over N. */
#define FIRST_PARTS 10

/* A sliding log: the times of the last `cap` admitted requests, oldest at `next` once full. A
 * request has room when fewer than cap were admitted in the window, i.e. the oldest of the last
 * cap is older than the window. Exact at every instant, so no burst at a window edge. */
typedef struct ring {
    unsigned next, count;
    int remote;             /* what the other nodes admitted in the window, as of the last sync */
    int reserved;           /* what their shares still let them admit before they next publish */
    int share;              /* what this node may still admit until its next sync (several nodes) */
    int pending;            /* its next share: computed at a sync, in force once published */
} ring;

typedef struct bucket {
    char key[THROTTLE_KEY_MAX];
    long long newest_ms;    /* the newest admission here; 0: none */
    long long asked_ms;     /* the newest request here, admitted or not */
    long long remote_free_ms; /* when the other nodes' oldest counted second leaves the window */
    unsigned epoch;         /* the shares in force are from this sync; another: none yet */
    unsigned computed;      /* the sync that computed the pending shares */
    bool asked;             /* ... and found requests here since the sync before: an even share */
    ring all, writes;
    long long times[];      /* all's cap entries, then writes' */
} bucket;

typedef struct table {
    size_t slot_size;
    int nslots, cap_all, cap_writes;
    int base;               /* of its slots in the throttle's map of claimed ones */
    size_t offset;          /* of the first slot from the region's start */
} table;

struct throttle {
    pthread_mutex_t lock;   /* process-shared and robust: a worker killed holding it does not wedge the rest */
    long long window_ms;
    table tenants, apps;
    size_t size;
    /* Set by the node's sync process: when shares were last put in force (0: never), by how many
     * nodes (this one included) the budgets are held, and numbers for the syncs. */
    long long synced_ms;
    long long shared_ms;    /* when the pending shares were computed */
    int nodes, pending_nodes;
    unsigned epoch, computed;
    /* Which slots were ever claimed (tenants', then applications'): a probe for a key stops at one
     * never claimed, and the sync walks the claimed ones without touching (so mapping) the rest. */
    unsigned char claimed[TENANT_SLOTS + APP_SLOTS];
};

static table table_shape(int nslots, int base, int cap_all, int cap_writes, size_t *offset)
{
    table tb = { .nslots = nslots, .base = base, .cap_all = cap_all, .cap_writes = cap_writes, .offset = *offset };
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
    shape.tenants = table_shape(TENANT_SLOTS, 0, l->tenant_requests, l->tenant_writes, &offset);
    shape.apps = table_shape(APP_SLOTS, TENANT_SLOTS, l->app_requests, l->app_writes, &offset);
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

/* Other nodes' counts apply while syncs keep succeeding. */
static bool shared(const throttle *t, long long now_ms)
{
    return t->synced_ms && now_ms - t->synced_ms <= SHARE_STALE_MS;
}

/* ... and shares hold while there are other nodes to share with. */
static bool sharing_out(const throttle *t, long long now_ms)
{
    return shared(t, now_ms) && t->nodes > 1;
}

/* The other nodes have admitted or been promised some of the key's budget. */
static bool others_hold(const bucket *b)
{
    return b->all.remote > 0 || b->writes.remote > 0 || b->all.reserved > 0 || b->writes.reserved > 0;
}

static bool in_window(const throttle *t, const bucket *b, long long now_ms)
{
    return b->newest_ms > now_ms - t->window_ms;
}

/* The key's bucket, claiming a free or idle one (nothing in the window) when it has none; NULL when
 * its probe run is all live keys. */
static bucket *find(throttle *t, const table *tb, const char *key, long long now_ms)
{
    unsigned long long h = hash_fnv1a(key);
    bucket *spare = NULL;
    int spare_at = 0;
    for (int probe = 0; probe < MAX_PROBES; probe++) {
        int i = (int)((h + (unsigned)probe) % (unsigned)tb->nslots);
        bool claimed = t->claimed[tb->base + i];
        bucket *b = slot_at(t, tb, i);
        if (claimed && strcmp(b->key, key) == 0) return b;
        /* idle: nothing in its window, here or (while syncs last) elsewhere */
        bool idle = !claimed || (!in_window(t, b, now_ms) && !(shared(t, now_ms) && others_hold(b)));
        if (!spare && idle) spare = b, spare_at = i;
        if (!claimed) break;   /* never claimed: the key is not further along */
    }
    if (!spare) return NULL;
    memset(spare, 0, tb->slot_size);
    t->claimed[tb->base + spare_at] = 1;
    snprintf(spare->key, sizeof spare->key, "%s", key);
    return spare;
}

/* The next claimed bucket of either table from *at on (tenants', then applications'), and its table
 * in *tb; NULL past the last. */
static bucket *next_claimed(throttle *t, int *at, const table **tb)
{
    for (; *at < TENANT_SLOTS + APP_SLOTS; ++*at) {
        if (!t->claimed[*at]) continue;
        *tb = *at < t->apps.base ? &t->tenants : &t->apps;
        return slot_at(t, *tb, (*at)++ - (*tb)->base);
    }
    return NULL;
}

static ring *ring_of(bucket *b, bool writes)
{
    return writes ? &b->writes : &b->all;
}

static int cap_of(const table *tb, bool writes)
{
    return writes ? tb->cap_writes : tb->cap_all;
}

static long long *ring_times(bucket *b, const table *tb, bool writes)
{
    return b->times + (writes ? tb->cap_all : 0);
}

/* The time of the i-th oldest entry still held (0 <= i < count). */
static long long ring_at(bucket *b, const table *tb, bool writes, unsigned i)
{
    const ring *r = ring_of(b, writes);
    unsigned cap = (unsigned)cap_of(tb, writes);
    unsigned first = r->count < cap ? 0 : r->next;
    return ring_times(b, tb, writes)[(first + i) % cap];
}

/* How many of the ring's entries are newer than since_ms: the entries are in time order. */
static int ring_since(bucket *b, const table *tb, bool writes, long long since_ms)
{
    unsigned lo = 0, hi = ring_of(b, writes)->count;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (ring_at(b, tb, writes, mid) > since_ms) hi = mid;
        else lo = mid + 1;
    }
    return (int)(ring_of(b, writes)->count - lo);
}

/* What is left of the budget for this node to share: neither admitted anywhere in the window nor
 * promised to another node. */
static int room_left(throttle *t, bucket *b, const table *tb, bool writes, long long now_ms)
{
    ring *r = ring_of(b, writes);
    return cap_of(tb, writes) - r->remote - r->reserved - ring_since(b, tb, writes, now_ms - t->window_ms);
}

/* ceil(room / parts), 0 when there is no room. */
static int part_of(int room, int parts)
{
    return room > 0 ? (room + parts - 1) / parts : 0;
}

/* A key with no share in force: a first part of its even share, now. */
static void first_shares(throttle *t, bucket *b, const table *tb, long long now_ms)
{
    for (int w = 0; w < 2; w++)
        ring_of(b, w)->share = part_of(room_left(t, b, tb, w, now_ms), t->nodes * t->nodes * FIRST_PARTS);
    b->epoch = t->epoch;
}

/* Milliseconds until the ring has room; 0 when it has now. With other nodes' counts, this node's own
 * log may hold only what they left of the budget. */
static long long ring_wait(throttle *t, bucket *b, const table *tb, bool writes, long long now_ms)
{
    const ring *r = ring_of(b, writes);
    int cap = cap_of(tb, writes);
    bool sharing = shared(t, now_ms);
    int room = cap - (sharing ? r->remote : 0);
    if (room <= 0) {
        long long wait = b->remote_free_ms - now_ms;
        return wait > 0 ? wait : 1;
    }
    long long wait = 0;
    if (r->count >= (unsigned)room)   /* the room-th newest entry must have left the window */
        wait = ring_at(b, tb, writes, r->count - (unsigned)room) + t->window_ms - now_ms;
    if (wait <= 0 && sharing_out(t, now_ms) && r->share <= 0) wait = 1;   /* a sync soon shares out more */
    return wait > 0 ? wait : 0;
}

static void ring_push(throttle *t, bucket *b, const table *tb, bool writes, long long now_ms)
{
    ring *r = ring_of(b, writes);
    unsigned cap = (unsigned)cap_of(tb, writes);
    ring_times(b, tb, writes)[r->next] = now_ms;
    r->next = (r->next + 1) % cap;
    if (r->count < cap) r->count++;
    if (sharing_out(t, now_ms)) r->share--;
    b->newest_ms = now_ms;
}

static long long bucket_wait(throttle *t, bucket *b, const table *tb, bool write, long long now_ms)
{
    if (!b) return 0;
    b->asked_ms = now_ms;
    if (sharing_out(t, now_ms) && b->epoch != t->epoch) first_shares(t, b, tb, now_ms);
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

/* tenant/app; an app id too long for a key is kept as its hash (tenants are verified GUIDs) */
static void app_key_of(char *key, const char *tenant, const char *app)
{
    size_t tn = strlen(tenant), an = strlen(app);
    if (tn > 64) tn = 64;
    if (tn + an + 2 <= THROTTLE_KEY_MAX)
        snprintf(key, THROTTLE_KEY_MAX, "%.*s/%.*s", (int)tn, tenant, (int)an, app);
    else
        snprintf(key, THROTTLE_KEY_MAX, "%.*s/#%016llx", (int)tn, tenant, hash_fnv1a(app));
}

throttle_verdict throttle_admit(throttle *t, const char *tenant, const char *app, bool write, long long now_ms,
                                int *retry_after)
{
    char app_key[THROTTLE_KEY_MAX];
    app_key_of(app_key, tenant, app);
    /* 0 is "none" in a bucket: keep every stored time above it */
    now_ms += 1;

    lock(t);
    bucket *tb = find(t, &t->tenants, tenant, now_ms);
    bucket *ab = find(t, &t->apps, app_key, now_ms);
    long long tenant_wait = bucket_wait(t, tb, &t->tenants, write, now_ms);
    long long app_wait = bucket_wait(t, ab, &t->apps, write, now_ms);
    throttle_verdict v = tenant_wait ? THROTTLE_TENANT : app_wait ? THROTTLE_APP : THROTTLE_ADMIT;
    if (v == THROTTLE_ADMIT) {
        if (tb) {
            ring_push(t, tb, &t->tenants, false, now_ms);
            if (write) ring_push(t, tb, &t->tenants, true, now_ms);
        }
        if (ab) {
            ring_push(t, ab, &t->apps, false, now_ms);
            if (write) ring_push(t, ab, &t->apps, true, now_ms);
        }
    }
    pthread_mutex_unlock(&t->lock);

    long long wait = tenant_wait > app_wait ? tenant_wait : app_wait;
    *retry_after = v == THROTTLE_ADMIT ? 0 : (int)((wait + 999) / 1000);
    if (v != THROTTLE_ADMIT && *retry_after < 1) *retry_after = 1;
    return v;
}

/* Sharing with other nodes. Times in the rings are this node's monotonic clock; seconds in the
 * database are Unix seconds, so every conversion goes through the pair (now_ms, wall_ms) taken
 * together. */

static long long unix_second_of(long long mono_ms, long long now_ms, long long wall_ms)
{
    return (mono_ms - now_ms + wall_ms) / 1000;
}

static bool add_row(throttle_count **rows, int *n, int *cap, const throttle_count *row)
{
    if (*n == *cap) {
        int more = *cap ? 2 * *cap : 256;
        throttle_count *grown = realloc(*rows, (size_t)more * sizeof *grown);
        if (!grown) return false;
        *rows = grown;
        *cap = more;
    }
    (*rows)[(*n)++] = *row;
    return true;
}

/* Adds each entry of the ring from since_ms on to counts[its second - first]. */
static void count_seconds(bucket *b, const table *tb, bool writes, long long since_ms, long long first,
                          long long now_ms, long long wall_ms, int *counts, int span)
{
    unsigned count = ring_of(b, writes)->count;
    for (unsigned i = count; i-- > 0;) {   /* newest first */
        long long at = ring_at(b, tb, writes, i);
        if (at < since_ms) break;
        long long s = unix_second_of(at, now_ms, wall_ms) - first;
        if (s >= 0 && s < span) counts[s]++;
    }
}

int throttle_local_counts(throttle *t, long long since_second, long long changed_ms, long long now_ms, long long wall_ms,
                          throttle_count **rows, int *cap)
{
    now_ms += 1;   /* as throttle_admit stores them */
    long long last = wall_ms / 1000;
    int span = since_second <= last ? (int)(last - since_second + 1) : 0;
    if (span <= 0) return 0;
    int *counts = calloc(2 * (size_t)span, sizeof *counts);
    if (!counts) return -1;
    long long since_ms = since_second * 1000 - wall_ms + now_ms;
    int n = 0;
    bool ok = true;
    lock(t);
    const table *tb;
    bucket *b;
    for (int at = 0; ok && (b = next_claimed(t, &at, &tb));) {
        if (b->newest_ms < since_ms || b->newest_ms < changed_ms + 1) continue;
        memset(counts, 0, 2 * (size_t)span * sizeof *counts);
        count_seconds(b, tb, false, since_ms, since_second, now_ms, wall_ms, counts, span);
        count_seconds(b, tb, true, since_ms, since_second, now_ms, wall_ms, counts + span, span);
        for (int s = 0; s < span && ok; s++) {
            if (!counts[s]) continue;
            throttle_count row = { .app = tb == &t->apps, .second = since_second + s, .requests = counts[s],
                                   .writes = counts[span + s] };
            snprintf(row.key, sizeof row.key, "%s", b->key);
            ok = add_row(rows, &n, cap, &row);
        }
    }
    pthread_mutex_unlock(&t->lock);
    free(counts);
    return ok ? n : -1;
}

void throttle_share(throttle *t, const throttle_remote *remote, int n, int nodes, long long now_ms, long long wall_ms)
{
    now_ms += 1;
    lock(t);
    t->pending_nodes = nodes > 1 ? nodes : 1;
    t->computed++;
    const table *tb;
    bucket *b;
    for (int at = 0; (b = next_claimed(t, &at, &tb));) {
        b->all.remote = b->writes.remote = b->all.reserved = b->writes.reserved = 0;
        b->remote_free_ms = 0;
    }
    for (int i = 0; i < n; i++) {
        tb = remote[i].app ? &t->apps : &t->tenants;
        b = find(t, tb, remote[i].key, now_ms);
        if (!b) continue;   /* as a key past the slots: admitted uncounted */
        b->all.remote = remote[i].requests;
        b->writes.remote = remote[i].writes;
        b->all.reserved = remote[i].reserved_requests;
        b->writes.reserved = remote[i].reserved_writes;
        /* the sync counts a second while its start is within the window */
        b->remote_free_ms = (remote[i].oldest_second + t->window_ms / 1000 + 1) * 1000 - wall_ms + now_ms;
    }
    /* The keys with anything in their window here or elsewhere get their next share: an even part
     * of the room where this node was asked for the key since the last sync, so that shares computed
     * at once on every node add up to no more than it; where it was not, a first part only, which
     * leaves the room to the nodes that have the requests. */
    for (int at = 0; t->pending_nodes > 1 && (b = next_claimed(t, &at, &tb));) {
        if (!in_window(t, b, now_ms) && !others_hold(b)) continue;
        b->asked = b->asked_ms > t->shared_ms;
        int parts = b->asked ? t->pending_nodes : t->pending_nodes * t->pending_nodes * FIRST_PARTS;
        for (int w = 0; w < 2; w++) ring_of(b, w)->pending = part_of(room_left(t, b, tb, w, now_ms), parts);
        b->computed = t->computed;
    }
    t->shared_ms = now_ms;
    pthread_mutex_unlock(&t->lock);
}

int throttle_pending(throttle *t, throttle_count **rows, int *cap)
{
    int n = 0;
    bool ok = true;
    lock(t);
    const table *tb;
    bucket *b;
    for (int at = 0; ok && t->pending_nodes > 1 && (b = next_claimed(t, &at, &tb));) {
        /* a first part is what any node may admit unannounced; only even shares are promised */
        if (b->computed != t->computed || !b->asked || (!b->all.pending && !b->writes.pending)) continue;
        throttle_count row = { .app = tb == &t->apps, .requests = b->all.pending, .writes = b->writes.pending };
        snprintf(row.key, sizeof row.key, "%s", b->key);
        ok = add_row(rows, &n, cap, &row);
    }
    pthread_mutex_unlock(&t->lock);
    return ok ? n : -1;
}

void throttle_activate(throttle *t, long long now_ms)
{
    lock(t);
    t->epoch++;
    const table *tb;
    bucket *b;
    for (int at = 0; (b = next_claimed(t, &at, &tb));) {
        if (b->computed != t->computed) continue;
        b->all.share = b->all.pending;
        b->writes.share = b->writes.pending;
        b->epoch = t->epoch;
    }
    t->nodes = t->pending_nodes;
    t->synced_ms = now_ms + 1;
    pthread_mutex_unlock(&t->lock);
}

int throttle_window_seconds(const throttle *t)
{
    return (int)(t->window_ms / 1000);
}

int throttle_nodes(throttle *t, long long now_ms)
{
    lock(t);
    int n = shared(t, now_ms + 1) ? t->nodes : 1;
    pthread_mutex_unlock(&t->lock);
    return n;
}
