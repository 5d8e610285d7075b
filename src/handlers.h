/* The Graph operations of API.md §1, driven by the entity tables: request value in, response out. */
#ifndef CERTGRAPH_HANDLERS_H
#define CERTGRAPH_HANDLERS_H
#include "auth.h"
#include "db.h"
#include "http.h"

/* Routes and serves one API request; always fills rs (errors included). */
void handle_api(const request *rq, response *rs, db *d);

/* The nginx auth_request hop: 200 with the verified tenant and scopes in headers (cacheable until
 * the token's exp), or 401 with WWW-Authenticate. */
void handle_token_check(const request *rq, response *rs, const auth_config *cfg, const char *authorization);

#endif
