/* The throttle's own cost: nanoseconds per throttle_admit, by one process and by several racing for
 * the same tenant's lock (as a node's workers do). Built and run by bench/throttle-cost.sh. */
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "throttle.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int procs = argc > 1 ? atoi(argv[1]) : 1, calls = 1000000;
    /* a budget no run reaches: the clock is walked so that all processes together make 50 calls a
     * millisecond, 50,000 a window, and every call is admitted and pushes a time */
    throttle_limits l = { 1, 100000, 100000, 100000, 100000 };
    char err[256];
    throttle *t = throttle_new(&l, err, sizeof err);
    if (!t) { fprintf(stderr, "%s\n", err); return 1; }
    /* one clock for all processes, shared like the throttle's own pages */
    atomic_llong *ticks = mmap(NULL, sizeof *ticks, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    double t0 = now_ns();
    for (int p = 0; p < procs; p++) {
        if (fork() == 0) {
            int retry, refused = 0;
            for (int i = 0; i < calls; i++) {
                long long clock = 1000 + atomic_fetch_add(ticks, 1) / 50;
                (void)throttle_now_ms();   /* the clock read a worker makes */
                refused += throttle_admit(t, "8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01", "11111111-2222-3333-4444-555555555555",
                                          i % 10 == 0, clock, &retry) != THROTTLE_ADMIT;
            }
            _exit(refused > 0);
        }
    }
    int refused = 0;
    for (int p = 0; p < procs; p++) {
        int status;
        wait(&status);
        refused += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    double ns = now_ns() - t0;
    printf("throttle_admit: %d process(es) x %d calls: %.0f ns of wall time per call of one process, "
           "%.0f ns per call in all%s\n", procs, calls, ns / calls, ns / calls / procs,
           refused ? " (some were refused: not the admitted path)" : "");
    throttle_free(t);
    return 0;
}
