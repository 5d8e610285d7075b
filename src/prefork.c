#include "prefork.h"

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "worker.h"

#define MAX_WORKERS 1024

static pid_t workers[MAX_WORKERS];
static int nworkers;
static volatile sig_atomic_t stopping;

static void signal_workers(int sig)
{
    for (int i = 0; i < nworkers; i++)
        if (workers[i] > 0) kill(workers[i], sig);
}

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
    signal_workers(SIGTERM);   /* kill() is async-signal-safe; workers drain on their own */
}

static pid_t spawn(const config *cfg, const auth_config *auth, int listen_fd)
{
    /* Stop signals wait while the child still carries the master's handler: the worker installs
     * its own and unblocks them (a pending one is then delivered to it). */
    sigset_t old;
    stop_signals(SIG_BLOCK, &old);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGCHLD, SIG_DFL);
        log_set_component("worker");
        _exit(worker_run(cfg, auth, listen_fd));
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) log_event(LOG_ERROR, "fork_failed", "error", strerror(errno), NULL);
    return pid;
}

static int slot_of(pid_t pid)
{
    for (int i = 0; i < nworkers; i++)
        if (workers[i] == pid) return i;
    return -1;
}

static int alive(void)
{
    int n = 0;
    for (int i = 0; i < nworkers; i++) n += workers[i] > 0;
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

int prefork_run(const config *cfg, const auth_config *auth, int listen_fd)
{
    nworkers = cfg->workers > MAX_WORKERS ? MAX_WORKERS : cfg->workers;
    struct sigaction sa = { .sa_handler = on_stop };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);

    time_t started[MAX_WORKERS] = { 0 };
    bool logged = false;
    while (!stopping) {
        /* Fill every empty slot: at start, after a worker exited, or after a failed fork. */
        for (int i = 0; i < nworkers && !stopping; i++) {
            if (workers[i] > 0) continue;
            /* A worker that dies at once would die again: pace the respawns. */
            if (started[i] && time(NULL) - started[i] < 1) sleep_ms(500);
            workers[i] = spawn(cfg, auth, listen_fd);
            started[i] = time(NULL);
            if (workers[i] > 0) metrics_count(METRIC_WORKERS_STARTED);
        }
        metrics_workers_alive(alive());
        if (!logged) {
            char n[16];
            snprintf(n, sizeof n, "%d", nworkers);
            log_event(LOG_INFO, "pool_started", "workers", n, "listen", cfg->listen, "throttling",
                      cfg->throttling ? "on" : "off", "chaos", cfg->chaos_on ? "on" : "off", NULL);
            logged = true;
        }
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno != EINTR) sleep_ms(100);
            continue;
        }
        int slot = slot_of(pid);
        if (slot < 0) continue;
        workers[slot] = 0;
        metrics_workers_alive(alive());
        if (stopping) break;
        /* a clean exit is a worker that served its max-requests */
        bool died = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
        metrics_count(died ? METRIC_WORKERS_RESPAWNED : METRIC_WORKERS_RECYCLED);
        char worker[16], why[16];
        snprintf(worker, sizeof worker, "%d", (int)pid);
        snprintf(why, sizeof why, "%d", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        if (WIFSIGNALED(status))
            log_event(LOG_WARN, "worker_died", "worker", worker, "signal", why, "action", "respawn", NULL);
        else if (WEXITSTATUS(status) != 0)
            log_event(LOG_WARN, "worker_died", "worker", worker, "exit_status", why, "action", "respawn", NULL);
        else
            log_event(LOG_DEBUG, "worker_recycled", "worker", worker, NULL);
    }

    /* Drain: workers finish the request in hand and exit. The stop signal is repeated each second,
     * since one that lands just before a worker blocks in accept() is otherwise not noticed. */
    time_t deadline = time(NULL) + cfg->drain_seconds;
    time_t last_signal = time(NULL);
    signal_workers(SIGTERM);
    while (alive() > 0) {
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            int slot = slot_of(pid);
            if (slot >= 0) workers[slot] = 0;
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
