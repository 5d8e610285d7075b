/* The master: preforks workers on one listening socket, replaces any that exit, on SIGHUP reloads
 * the service and replaces the workers one by one, and on SIGTERM or SIGINT lets them finish what
 * they hold before it exits. */
#ifndef CERTGRAPH_PREFORK_H
#define CERTGRAPH_PREFORK_H
#include "service.h"

int prefork_run(service *svc, int listen_fd);
#endif
