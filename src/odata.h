/* The system query options of API.md §4, read from a route into one checked value: the $filter
 * tree, the $select set, the $orderby keys, $top, $skip, $count and the raw $skiptoken. */
#ifndef CERTGRAPH_ODATA_H
#define CERTGRAPH_ODATA_H
#include <stdbool.h>
#include "arena.h"
#include "entity.h"
#include "filter.h"
#include "router.h"

/* Which options an operation takes (the operation table lists them). */
enum {
    QO_FILTER = 1 << 0,
    QO_SELECT = 1 << 1,
    QO_ORDERBY = 1 << 2,
    QO_TOP = 1 << 3,
    QO_SKIP = 1 << 4,
    QO_COUNT = 1 << 5,
    QO_SKIPTOKEN = 1 << 6,
};

#define ODATA_DEFAULT_TOP 100
#define ODATA_MAX_TOP 999
#define ODATA_MAX_ORDER 8

typedef struct odata_order {
    int prop;
    bool desc;
} odata_order;

typedef struct odata_query {
    filter_node *filter;            /* NULL: every entity */
    const char *filter_text;        /* as given (decoded), NULL when absent */
    const bool *selected;           /* [nprops]; NULL: every property */
    const char *select_text;        /* the selection as given, for @odata.context and nextLink */
    odata_order order[ODATA_MAX_ORDER];
    int norder;                     /* keys before the id that always ends the order */
    const char *orderby_text;
    int top;                        /* the page size */
    bool top_given;
    long skip;
    bool count;                     /* $count=true */
    bool count_given;
    const char *skiptoken;          /* NULL when absent */
    bool server_columns;            /* read every column, server-side ones too (export; never from a URL) */
} odata_query;

/* Reads rt's options for entity e. On /beta the names are also recognized without their '$'.
 * False with *message set when an option is unknown, not allowed here, given twice or invalid. */
bool odata_parse(arena *a, const entity *e, const route *rt, unsigned allowed, odata_query *q, const char **message);

/* What a $skiptoken is bound to: the tenant, the collection, and the query as parsed (filter text,
 * order keys, selection, page size), so options may come back in any order or encoding. */
void odata_digest(arena *a, const odata_query *q, const entity *e, const char *tenant, unsigned char digest[32]);
#endif
