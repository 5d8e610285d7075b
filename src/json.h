/* JSON in and out with yajl: a writer into a strbuf, and the strict reader for entity bodies. */
#ifndef CERTGRAPH_JSON_H
#define CERTGRAPH_JSON_H
#include <stdbool.h>
#include <stddef.h>
#include "arena.h"
#include "entity.h"
#include <yajl/yajl_tree.h>

typedef struct json_writer json_writer;

/* The writer belongs to out's arena and is released with it. */
json_writer *json_writer_new(strbuf *out);
void json_begin_object(json_writer *w);
void json_end_object(json_writer *w);
void json_begin_array(json_writer *w);
void json_end_array(json_writer *w);
void json_key(json_writer *w, const char *key);
void json_string(json_writer *w, const char *s);
void json_string_n(json_writer *w, const char *s, size_t n);
void json_number(json_writer *w, const char *digits);   /* already-validated number text */
void json_null(json_writer *w);
void json_bool(json_writer *w, bool b);
/* JSON text this service wrote itself (an inner $batch answer), inserted as one value. */
void json_raw(json_writer *w, const char *json, size_t n);

/* Parses a request body for entity e into values[e->nprops]. Every rule of API.md §3 is checked here:
 * an object, valid UTF-8, no duplicates, no unknown properties, the right JSON type and range for each
 * property, @odata.type naming e. Returns true, or false with *message set (arena text). */
bool json_read_entity(arena *a, const entity *e, const char *body, size_t len,
                      prop_value *values, const char **message);

/* Writes an entity's @odata.type and its Graph properties (those selected; NULL: all) from their
 * stored text (values[e->nprops], NULL for null): the members of an answer's entity object. */
void json_write_entity(json_writer *w, const entity *e, const char *const *values, const bool *selected);

/* Content-Type names application/json (parameters such as charset allowed). */
bool json_media_type(const char *content_type);
/* The member of a parsed object (NULL when absent or obj is no object). */
yajl_val json_tree_member(yajl_val obj, const char *key);
/* The deepest nesting of objects and arrays in JSON text (strings skipped), counted up to just past
 * limit: what bounds a tree parse before it is made. */
int json_nesting(const char *s, size_t n, int limit);
/* A parsed value (yajl_tree) written back as JSON text in the arena, duplicates and all, for the
 * strict reader to judge. Its depth must have been bounded before parsing: this recurses. */
const char *json_tree_text(arena *a, yajl_val v, size_t *len);
#endif
