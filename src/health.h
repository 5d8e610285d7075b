/* What an operator's tools ask: the probes GET /healthz (a pool worker answers) and GET /readyz
 * (PostgreSQL answers too), with no token, no throttling, no access log (nginx); and GET /metrics,
 * to a loopback address, or to anyone holding the metrics token when one is configured. */
#ifndef CERTGRAPH_HEALTH_H
#define CERTGRAPH_HEALTH_H
#include "db.h"
#include "http.h"

/* PostgreSQL must answer the readiness query within this long. */
#define HEALTH_READY_TIMEOUT_MS 1000

void handle_health(const request *rq, response *rs, db *d);

#define HEALTH_TOKEN_DIGEST_LEN 32
/* Reads the metrics token (its first line) from path, keeping only its digest; false with a message. */
bool health_metrics_token_load(const char *path, char *err, size_t errlen);
/* The same in two steps (a reload reads everything before it uses any): the digest into out, then
 * the digest served against (NULL: no token, loopback only). */
bool health_metrics_token_read(const char *path, unsigned char out[HEALTH_TOKEN_DIGEST_LEN], char *err, size_t errlen);
void health_metrics_token_use(const unsigned char *token_digest);
/* authorization: the request's Authorization header, NULL when none. */
void handle_metrics(const request *rq, response *rs, const char *authorization);
#endif
