/* The throttle sync: a process of the pool, beside the workers, that holds one budget across all
 * the nodes on one database. Every throttle_sync_ms it writes this node's counts per key and second
 * to PostgreSQL and reads the other nodes' sums into the throttle's shared pages, in one round trip
 * (README: Throttling, several nodes). Without PostgreSQL the node counts on its own. */
#ifndef CERTGRAPH_THROTTLE_SYNC_H
#define CERTGRAPH_THROTTLE_SYNC_H
#include <signal.h>
#include "service.h"

/* Its process name (comm), beside the workers'. */
#define THROTTLE_SYNC_COMM "certgraph-sync"

/* What a reload sends it: it stops without telling the other nodes that this node leaves. */
#define THROTTLE_SYNC_HANDOVER SIGUSR1

/* Runs until SIGTERM (or THROTTLE_SYNC_HANDOVER); the exit status. svc->throttle must be set. */
int throttle_sync_run(const service *svc);
#endif
