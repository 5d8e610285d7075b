/* The probes a load balancer or an orchestrator asks: GET /healthz (a pool worker answers) and
 * GET /readyz (PostgreSQL answers too). No token, no throttling, no access log (nginx). */
#ifndef CERTGRAPH_HEALTH_H
#define CERTGRAPH_HEALTH_H
#include "db.h"
#include "http.h"

/* PostgreSQL must answer the readiness query within this long. */
#define HEALTH_READY_TIMEOUT_MS 1000

void handle_health(const request *rq, response *rs, db *d);
#endif
