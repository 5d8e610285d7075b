/* Graph error bodies: {"error":{"code","message","innerError":{date, request-id, client-request-id}}}. */
#ifndef CERTGRAPH_ERRORS_H
#define CERTGRAPH_ERRORS_H
#include "http.h"

/* The Graph code for an HTTP status (400 BadRequest, 404 ResourceNotFound, ...). */
const char *graph_error_code(int status);

/* Replaces rs with an error response; message is plain text and is JSON-escaped here. */
void respond_error(const request *rq, response *rs, int status, const char *message);
#endif
