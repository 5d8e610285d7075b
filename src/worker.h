/* A worker: accepts FastCGI requests on the shared socket, turns each into a request value, runs
 * the handler and writes the response. The only file that speaks FastCGI. */
#ifndef CERTGRAPH_WORKER_H
#define CERTGRAPH_WORKER_H
#include <signal.h>

#include "service.h"

/* Serves until SIGTERM/SIGINT (after finishing the request in hand) or max_requests; returns the
 * process exit status. Writes a byte to ready_fd (when >= 0) and closes it once it is about to take
 * requests. */
int worker_run(const service *svc, int listen_fd, int ready_fd);

#endif
