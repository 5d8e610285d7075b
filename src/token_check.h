/* The nginx auth_request hop: verifies the bearer token and hands nginx the tenant and scopes. */
#ifndef CERTGRAPH_TOKEN_CHECK_H
#define CERTGRAPH_TOKEN_CHECK_H
#include "auth.h"
#include "http.h"

/* 200 with the verified tenant and scopes in headers (cacheable until the token's exp), or 401
 * with WWW-Authenticate. */
void handle_token_check(const request *rq, response *rs, const auth_config *cfg, const char *authorization);
#endif
