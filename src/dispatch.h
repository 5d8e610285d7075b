/* The API's front door: a request value in, a response value out, through the operation table.
 * FastCGI stays in worker.c, so $batch and the tests call this without a socket. */
#ifndef CERTGRAPH_DISPATCH_H
#define CERTGRAPH_DISPATCH_H
#include <stdbool.h>
#include "db.h"
#include "http.h"

/* Routes and serves one API request; always fills rs (errors included). */
/* d takes the writes (and everything when reads is NULL); reads, when set, the GETs. */
void handle_api(const request *rq, response *rs, db *d, db *reads);
/* The URL names a resource whose every operation is served without a token ($metadata). */
bool dispatch_is_public(arena *a, const char *uri);
#endif
