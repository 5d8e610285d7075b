/* A worker: accepts FastCGI requests on the shared socket, turns each into a request value, runs
 * the handler and writes the response. The only file that speaks FastCGI. */
#ifndef CERTGRAPH_WORKER_H
#define CERTGRAPH_WORKER_H
#include <signal.h>

#include "auth.h"
#include "config.h"

/* Serves until SIGTERM/SIGINT (after finishing the request in hand) or max_requests; returns the
 * process exit status. */
int worker_run(const config *cfg, const auth_config *auth, int listen_fd);

#endif
