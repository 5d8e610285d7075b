/* $filter: a tokenizer and recursive-descent parser that build a tree with OData's precedence, and
 * a check of that tree against an entity table (the property exists and may be filtered, the
 * literal fits its type). sql.c compiles a checked tree; nothing here writes SQL. */
#ifndef CERTGRAPH_FILTER_H
#define CERTGRAPH_FILTER_H
#include <stdbool.h>
#include <stddef.h>
#include "arena.h"
#include "edm.h"
#include "entity.h"

/* The limits of API.md §4: nesting (each parenthesis, not or function call is a level) and terms
 * (each comparison or function call). */
#define FILTER_MAX_DEPTH 100
#define FILTER_MAX_TERMS 500

typedef enum filter_kind {
    /* boolean */
    F_OR, F_AND, F_NOT,
    F_CMP,        /* a op b, a property expression and b a literal once checked */
    F_IN,         /* a in (list) */
    F_MATCH,      /* startswith / endswith / contains (a, b) */
    F_ANY,        /* prop/any(x: a): a (x/member eq literal) holds for an item of a complex collection */
    F_CONST,      /* true or false */
    /* values */
    F_PROP,
    F_CASE,       /* tolower / toupper (a) */
    F_LITERAL,
    F_MEMBER,     /* x/member inside any(): text names the member */
} filter_kind;

typedef enum { CMP_EQ, CMP_NE, CMP_GT, CMP_GE, CMP_LT, CMP_LE } filter_cmp;
typedef enum { MATCH_STARTS, MATCH_ENDS, MATCH_CONTAINS } filter_match;
typedef enum { CASE_LOWER, CASE_UPPER } filter_case;

typedef struct filter_node {
    filter_kind kind;
    int op;                          /* filter_cmp, filter_match, filter_case; F_CONST: 1 true, 0 false */
    int pos;                         /* 1-based character position in the expression */
    struct filter_node *a, *b;
    struct filter_node **list;       /* F_IN */
    int nlist;
    int prop;                        /* F_PROP, F_ANY: index into the entity's props */
    edm_literal lit;                 /* F_LITERAL */
    const char *text;                /* F_LITERAL: its value (unescaped; an enum's member); F_MEMBER: the name */
    size_t len;
    const char *type_name;           /* LIT_ENUM: the qualifying type */
} filter_node;

/* The property node of a property expression (under any tolower/toupper). */
const filter_node *filter_property_node(const filter_node *n);

/* Parses and checks expr[0..len) for entity e. NULL with *message set (naming the token and its
 * position) when the expression is not valid; every node lives in the arena. */
filter_node *filter_parse(arena *a, const entity *e, const char *expr, size_t len, const char **message);
#endif
