/* Graph URLs to an entity, a key and query options (API.md §1). */
#ifndef CERTGRAPH_ROUTER_H
#define CERTGRAPH_ROUTER_H
#include "arena.h"
#include "entity.h"

typedef struct query_option {
    const char *name;    /* percent-decoded */
    const char *value;   /* percent-decoded */
} query_option;

/* What a path names; with the method it picks the operation (dispatch.c). */
typedef enum path_kind {
    PATH_COLLECTION,
    PATH_ENTITY,
    PATH_SINGLETON,
    PATH_COUNT,           /* a collection's /$count */
    PATH_BATCH,           /* /{version}/$batch */
    PATH_METADATA,        /* /{version}/$metadata */
} path_kind;

typedef struct route {
    const char *version;          /* "v1.0" or "beta", as Graph spells it */
    path_kind kind;
    const entity *entity;         /* NULL for $batch and $metadata */
    const char *key;              /* the entity id from the path, NULL for a collection or singleton */
    query_option *options;
    int noptions;
    int error_status;             /* 0, or the status to answer with error_message */
    const char *error_message;
} route;

/* Never fails to fill *out; a URL that names nothing served sets error_status. */
void route_parse(arena *a, const char *uri, route *out);
#endif
