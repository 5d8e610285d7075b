/* The master: preforks workers on one listening socket, replaces any that exit, and on SIGTERM or
 * SIGINT lets them finish what they hold before it exits. */
#ifndef CERTGRAPH_PREFORK_H
#define CERTGRAPH_PREFORK_H
#include "auth.h"
#include "config.h"

int prefork_run(const config *cfg, const auth_config *auth, int listen_fd);
#endif
