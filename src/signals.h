/* The signals of certgraphd's processes, set up in one place for the master and the workers:
 * SIGTERM/SIGINT stop, SIGHUP reloads (the master; workers ignore it), SIGPIPE is ignored. The
 * handlers run without SA_RESTART, so a blocking accept() or waitpid() returns with EINTR. */
#ifndef CERTGRAPH_SIGNALS_H
#define CERTGRAPH_SIGNALS_H
#include <signal.h>

/* on_reload NULL: SIGHUP ignored. */
void signals_install(void (*on_stop)(int), void (*on_reload)(int));

/* sigprocmask(how, ...) on the stop and reload signals; old (may be NULL) gets the mask before. A
 * worker blocks them while it serves a request; the master while it forks one. */
void signals_mask(int how, sigset_t *old);
#endif
