/* One table of EDM types: for each, its OData name, the PostgreSQL type its text is cast to, how a
 * column is read back as text, how a text parameter becomes a value, how the stored text is written
 * to JSON, and how a value sent by a client is checked. Nothing else in the code switches on a type. */
#ifndef CERTGRAPH_EDM_H
#define CERTGRAPH_EDM_H
#include <stdbool.h>
#include <stddef.h>
#include "entity.h"
#include "json.h"

/* The lexical form of a $filter literal: 'text', 12, 2026-01-01T00:00:00Z, a GUID, or a qualified
 * enum (microsoft.graph.certificateStatus'provisioned'). */
typedef enum edm_literal { LIT_NULL, LIT_STRING, LIT_NUMBER, LIT_DATETIME, LIT_GUID, LIT_ENUM } edm_literal;

typedef enum edm_json { JSON_STRING, JSON_NUMBER, JSON_BOOLEAN, JSON_STRUCTURED } edm_json;

typedef struct edm_type_info {
    edm_type type;
    const char *odata_name;      /* "Edm.String"; an enum property names its enumeration instead */
    const char *sql_cast;        /* "text"; an enum property casts to its enumeration's SQL type */
    const char *select_fmt;      /* the column (%s) read back as the text JSON wants */
    const char *value_fmt;       /* a cast text parameter (%s) made into the stored value */
    edm_json json;               /* the JSON kind a value is sent and returned as */
    const char *never_set;       /* what a non-nullable property reads before it is set (SQL text) */
    /* The text of a value as a client sent it is valid for p. */
    bool (*valid)(const property *p, const char *s, size_t n);
    /* The end of the message when it is not; %s is the type's name. */
    const char *invalid_fmt;
    /* Writes the stored text (as select_fmt reads it back) as JSON. */
    void (*render)(json_writer *w, const char *text);
    /* A non-null $filter literal of this form (text unescaped, type_name qualifying an enum) is a
     * value of p: NULL, or what p expects, for the message (%s: the type's name). */
    const char *(*literal)(const property *p, edm_literal form, const char *type_name, const char *text, size_t n);
    /* The stored text as the plain string a client would read (the JSON value without its quotes),
     * in the arena; NULL: the stored text is that string already. The audit trail records these. */
    const char *(*plain)(arena *a, const char *text);
} edm_type_info;

const edm_type_info *edm_info(edm_type t);
/* The OData type name of p ("Edm.DateTimeOffset", "microsoft.graph.certificateStatus",
 * "Collection(microsoft.graph.auditResource)"). */
const char *edm_type_name(const property *p);
/* The PostgreSQL type p's text parameters are cast to ("timestamptz", "certificate_status"). */
const char *edm_sql_cast(const property *p);
/* The stored text of p as a plain string (edm_type_info.plain). */
const char *edm_plain(arena *a, const property *p, const char *text);
#endif
