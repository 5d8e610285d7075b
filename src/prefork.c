#include "prefork.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "signals.h"
#include "sleep.h"
#include "throttle_sync.h"
#include "worker.h"

#define MAX_WORKERS 1024
/* A reload waits this long at most for a new worker to say it is ready before retiring the next old one. */
#define READY_WAIT_SECONDS 60

typedef struct slot {
    pid_t pid;          /* 0: empty */
    unsigned gen;       /* the configuration generation it was forked with */
    time_t started;
    bool retiring;      /* told to stop by a reload; its slot is filled again with the new generation */
    time_t told;        /* when it was last told */
    int ready_fd;       /* read end of the pipe the worker writes once it can take requests; -1 when done */
    bool ready;
} slot;

static slot slots[MAX_WORKERS];
static int nslots;      /* slots in use: the configured worker count (a reload may change it) */
static volatile sig_atomic_t stopping, reload_requested;
/* The throttle sync process (throttle_sync.c), when throttling is shared; 0 when none runs. */
static volatile pid_t syncer;
static time_t syncer_started;

static void signal_workers(int sig)
{
    for (int i = 0; i < MAX_WORKERS; i++)
        if (slots[i].pid > 0) kill(slots[i].pid, sig);
    if (syncer > 0) kill(syncer, sig);
}

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
    signal_workers(SIGTERM);   /* kill() is async-signal-safe; workers drain on their own */
}

static void on_reload(int sig)
{
    (void)sig;
    reload_requested = 1;
}

/* Forks a child of the pool: 0 in the child, which is left without the master's ready pipes and
 * SIGCHLD handler and logs as component. Signals wait while the child still carries the master's
 * handlers: the child installs its own and unblocks them (a pending one is then delivered to it). */
static pid_t fork_child(const char *component)
{
    sigset_t old;
    signals_mask(SIG_BLOCK, &old);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGCHLD, SIG_DFL);
        log_set_component(component);
        for (int j = 0; j < MAX_WORKERS; j++)
            if (slots[j].ready_fd >= 0) close(slots[j].ready_fd);
        return 0;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) log_event(LOG_ERROR, "fork_failed", "error", strerror(errno), NULL);
    return pid;
}

/* Forks a worker into slot i. The worker writes a byte into the slot's pipe once it has tried its
 * first PostgreSQL connection and is about to accept: a reload retires the next old worker only then,
 * so a new worker that is slow to start (a slow name lookup, PostgreSQL slow to answer) never leaves
 * the pool short. */
static void spawn(int i, const service *svc, int listen_fd, unsigned gen)
{
    int ready[2] = { -1, -1 };
    if (pipe2(ready, O_CLOEXEC) != 0) ready[0] = ready[1] = -1;   /* then it counts as ready at once */
    pid_t pid = fork_child("worker");
    if (pid == 0) {
        if (ready[0] >= 0) close(ready[0]);
        _exit(worker_run(svc, listen_fd, ready[1]));
    }
    if (ready[1] >= 0) close(ready[1]);
    if (pid < 0) {
        if (ready[0] >= 0) close(ready[0]);
        ready[0] = -1;
    } else if (ready[0] >= 0) {
        fcntl(ready[0], F_SETFL, O_NONBLOCK);
    }
    slots[i] = (slot){ .pid = pid, .gen = gen, .started = time(NULL), .ready_fd = ready[0], .ready = ready[0] < 0 };
}

/* Starts the throttle sync for the configuration in force, unless it runs or throttling is not
 * shared; one that died within a second waits for the next pass. */
static void spawn_syncer(const service *svc, int listen_fd)
{
    if (syncer > 0 || !svc->throttle || !svc->cfg.throttle_sharing || time(NULL) - syncer_started < 1) return;
    pid_t pid = fork_child("throttle");
    if (pid == 0) {
        prctl(PR_SET_NAME, THROTTLE_SYNC_COMM);   /* told apart from the workers in ps and /proc */
        close(listen_fd);
        _exit(throttle_sync_run(svc));
    }
    syncer = pid > 0 ? pid : 0;
    syncer_started = time(NULL);
}

static void forget_ready(slot *sl)
{
    if (sl->ready_fd >= 0) close(sl->ready_fd);
    sl->ready_fd = -1;
}

/* Notes which new workers have said they are ready (or have gone: end of file). */
static void poll_ready(void)
{
    for (int i = 0; i < MAX_WORKERS; i++) {
        if (slots[i].ready_fd < 0) continue;
        char c;
        ssize_t n = read(slots[i].ready_fd, &c, 1);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        slots[i].ready = n == 1;
        forget_ready(&slots[i]);
        if (slots[i].ready) {
            char worker[16], g[16];
            snprintf(worker, sizeof worker, "%d", (int)slots[i].pid);
            snprintf(g, sizeof g, "%u", slots[i].gen);
            log_event(LOG_DEBUG, "worker_ready", "worker", worker, "generation", g, NULL);
        }
    }
}

static int slot_of(pid_t pid)
{
    for (int i = 0; i < MAX_WORKERS; i++)
        if (slots[i].pid == pid) return i;
    return -1;
}

static int alive(void)
{
    int n = 0;
    for (int i = 0; i < MAX_WORKERS; i++) n += slots[i].pid > 0;
    return n;
}

static int worker_count(const service *svc)
{
    return svc->cfg.workers > MAX_WORKERS ? MAX_WORKERS : svc->cfg.workers;
}

/* SIGHUP: everything is read again; on success the workers are replaced one at a time (each finishes
 * the request it holds, and the others keep taking requests meanwhile), on failure nothing changes. */
static void reload(service *svc, unsigned *gen)
{
    char err[2048];
    service next;
    if (!service_reload(svc, &next, err, sizeof err)) {
        log_event(LOG_ERROR, "reload_refused", "error", err, "action", "serving with the configuration before", NULL);
        return;
    }
    service old = *svc;
    *svc = next;
    service_use(svc);
    service_release(&old);
    ++*gen;
    nslots = worker_count(svc);
    /* the sync holds the old throttle's pages and settings: the next pass starts one with the new */
    if (syncer > 0) kill(syncer, THROTTLE_SYNC_HANDOVER);
    syncer = 0;
    syncer_started = 0;
    char g[16], n[16];
    snprintf(g, sizeof g, "%u", *gen);
    snprintf(n, sizeof n, "%d", nslots);
    log_event(LOG_INFO, "reloaded", "generation", g, "workers", n, "throttling", svc->cfg.throttling ? "on" : "off",
              "chaos", svc->cfg.chaos_on ? "on" : "off", NULL);
}

/* During a reload: if no worker is on its way out, tells the next old one to go. Slots past the
 * (new) worker count go too, and are not filled again. */
static void retire_one(unsigned gen)
{
    time_t now = time(NULL);
    for (int i = 0; i < MAX_WORKERS; i++)
        if (slots[i].pid > 0 && slots[i].gen == gen && !slots[i].ready && now - slots[i].started < READY_WAIT_SECONDS)
            return;   /* a replacement is still starting: the old workers keep serving meanwhile */
    for (int i = 0; i < MAX_WORKERS; i++)
        if (slots[i].pid > 0 && slots[i].retiring) {
            /* told again each second: a signal landing just before it blocks in accept() is missed */
            if (now - slots[i].told >= 1) kill(slots[i].pid, SIGTERM), slots[i].told = now;
            return;
        }
    for (int i = 0; i < MAX_WORKERS; i++)
        if (slots[i].pid > 0 && (slots[i].gen != gen || i >= nslots)) {
            slots[i].retiring = true;
            slots[i].told = now;
            kill(slots[i].pid, SIGTERM);
            char worker[16];
            snprintf(worker, sizeof worker, "%d", (int)slots[i].pid);
            log_event(LOG_DEBUG, "worker_retiring", "worker", worker, NULL);
            return;
        }
}

int prefork_run(service *svc, int listen_fd)
{
    nslots = worker_count(svc);
    for (int i = 0; i < MAX_WORKERS; i++) slots[i].ready_fd = -1;
    signals_install(on_stop, on_reload);
    unsigned gen = 0;
    bool logged = false;
    while (!stopping) {
        if (reload_requested) {
            reload_requested = 0;
            reload(svc, &gen);
        }
        /* Fill every empty slot: at start, after a worker exited, or after a failed fork. */
        for (int i = 0; i < nslots && !stopping; i++) {
            if (slots[i].pid > 0) continue;
            /* A worker that dies at once would die again: pace the respawns. */
            if (slots[i].started && time(NULL) - slots[i].started < 1 && !slots[i].retiring) sleep_ms(500);
            spawn(i, svc, listen_fd, gen);
            if (slots[i].pid > 0) metrics_count(METRIC_WORKERS_STARTED);
        }
        spawn_syncer(svc, listen_fd);
        metrics_workers_alive(alive());
        poll_ready();
        retire_one(gen);
        if (!logged) {
            char n[16];
            snprintf(n, sizeof n, "%d", nslots);
            log_event(LOG_INFO, "pool_started", "workers", n, "listen", svc->cfg.listen, "throttling",
                      svc->cfg.throttling ? "on" : "off", "chaos", svc->cfg.chaos_on ? "on" : "off", NULL);
            logged = true;
        }
        /* polled, not blocking: a SIGHUP or a retiring worker's reminder must not wait for an exit */
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            sleep_ms(100);
            continue;
        }
        if (pid == syncer) {
            syncer = 0;
            if (!stopping && WIFSIGNALED(status)) {
                char why[16];
                snprintf(why, sizeof why, "%d", WTERMSIG(status));
                log_event(LOG_WARN, "throttle_sync_died", "signal", why, "action", "respawn", NULL);
            }
            continue;
        }
        int i = slot_of(pid);
        if (i < 0) continue;
        bool retired = slots[i].retiring;
        slots[i].pid = 0;
        forget_ready(&slots[i]);
        metrics_workers_alive(alive());
        if (stopping) break;
        char worker[16], why[16];
        snprintf(worker, sizeof worker, "%d", (int)pid);
        snprintf(why, sizeof why, "%d", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        /* a clean exit is a worker that served its max-requests, or one a reload retired */
        bool died = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
        if (retired && !died) {
            log_event(LOG_DEBUG, "worker_replaced", "worker", worker, NULL);
            continue;
        }
        metrics_count(died ? METRIC_WORKERS_RESPAWNED : METRIC_WORKERS_RECYCLED);
        if (WIFSIGNALED(status))
            log_event(LOG_WARN, "worker_died", "worker", worker, "signal", why, "action", "respawn", NULL);
        else if (died)
            log_event(LOG_WARN, "worker_died", "worker", worker, "exit_status", why, "action", "respawn", NULL);
        else
            log_event(LOG_DEBUG, "worker_recycled", "worker", worker, NULL);
    }

    /* Drain: workers finish the request in hand and exit. The stop signal is repeated each second,
     * since one that lands just before a worker blocks in accept() is otherwise not noticed. */
    time_t deadline = time(NULL) + svc->cfg.drain_seconds;
    time_t last_signal = time(NULL);
    signal_workers(SIGTERM);
    while (alive() > 0 || syncer > 0) {
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == syncer) syncer = 0;
            int i = slot_of(pid);
            if (i >= 0) slots[i].pid = 0, forget_ready(&slots[i]);
            metrics_workers_alive(alive());
        }
        if (pid < 0 && errno == ECHILD) break;
        time_t now = time(NULL);
        if (now >= deadline) {
            char n[16];
            snprintf(n, sizeof n, "%d", alive());
            log_event(LOG_WARN, "drain_timeout", "killing", n, NULL);
            signal_workers(SIGKILL);
            deadline = now + 3600;
        } else if (now != last_signal) {
            signal_workers(SIGTERM);
            last_signal = now;
        }
        sleep_ms(50);
    }
    log_event(LOG_INFO, "pool_stopped", NULL);
    return 0;
}
