#include "signals.h"

#include <stddef.h>

static void set(int sig, void (*fn)(int))
{
    struct sigaction sa = { .sa_handler = fn };
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

void signals_install(void (*on_stop)(int), void (*on_reload)(int))
{
    set(SIGTERM, on_stop);
    set(SIGINT, on_stop);
    set(SIGHUP, on_reload ? on_reload : SIG_IGN);
    set(SIGPIPE, SIG_IGN);
}

void signals_mask(int how, sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(how, &set, old);
}
