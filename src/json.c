#include "json.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "edm.h"
#include "values.h"

/* ---- writer ---------------------------------------------------------------------------------- */

struct json_writer {
    yajl_gen g;
};

static void write_to_strbuf(void *ctx, const char *s, size_t n)
{
    sb_add(ctx, s, n);
}

static void release_generator(void *g)
{
    yajl_gen_free(g);
}

json_writer *json_writer_new(strbuf *out)
{
    json_writer *w = arena_alloc(out->a, sizeof *w);
    w->g = yajl_gen_alloc(NULL);
    yajl_gen_config(w->g, yajl_gen_print_callback, write_to_strbuf, out);
    arena_own(out->a, release_generator, w->g);
    return w;
}

void json_begin_object(json_writer *w) { yajl_gen_map_open(w->g); }
void json_end_object(json_writer *w) { yajl_gen_map_close(w->g); }
void json_begin_array(json_writer *w) { yajl_gen_array_open(w->g); }
void json_end_array(json_writer *w) { yajl_gen_array_close(w->g); }
void json_key(json_writer *w, const char *key) { json_string(w, key); }
void json_string(json_writer *w, const char *s) { json_string_n(w, s, strlen(s)); }
void json_string_n(json_writer *w, const char *s, size_t n) { yajl_gen_string(w->g, (const unsigned char *)s, n); }
void json_number(json_writer *w, const char *digits) { yajl_gen_number(w->g, digits, strlen(digits)); }
void json_null(json_writer *w) { yajl_gen_null(w->g); }
void json_bool(json_writer *w, bool b) { yajl_gen_bool(w->g, b); }
/* yajl_gen_number copies its text through unchecked, with the separators a value needs: that is
 * exactly an insertion of already-valid JSON. */
void json_raw(json_writer *w, const char *json, size_t n) { yajl_gen_number(w->g, json, n); }

void json_write_entity(json_writer *w, const entity *e, const char *const *values, const bool *selected)
{
    char type[192];
    snprintf(type, sizeof type, "#%s", e->type_name);
    json_key(w, "@odata.type");
    json_string(w, type);
    for (int i = 0; i < e->nprops; i++) {
        const property *p = &e->props[i];
        if (!property_served(p) || (selected && !selected[i])) continue;
        json_key(w, p->name);
        if (values[i]) edm_info(p->type)->render(w, values[i]);
        else json_null(w);
    }
}

/* ---- media type and trees --------------------------------------------------------------------- */

bool json_media_type(const char *ct)
{
    if (!ct) return false;
    while (*ct == ' ') ct++;
    if (strncasecmp(ct, "application/json", 16) != 0) return false;
    char next = ct[16];
    return next == '\0' || next == ';' || next == ' ';
}

yajl_val json_tree_member(yajl_val obj, const char *key)
{
    for (size_t i = 0; YAJL_IS_OBJECT(obj) && i < obj->u.object.len; i++)
        if (strcmp(obj->u.object.keys[i], key) == 0) return obj->u.object.values[i];
    return NULL;
}


int json_nesting(const char *s, size_t n, int limit)
{
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (in_string) {
            if (ch == '\\') i++;
            else if (ch == '"') in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '{' || ch == '[') {
            if (++depth > deepest) deepest = depth;
            if (deepest > limit) return deepest;
        } else if (ch == '}' || ch == ']') {
            depth--;
        }
    }
    return deepest;
}


static void gen_value(yajl_gen g, yajl_val v)
{
    if (YAJL_IS_STRING(v)) {
        yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
    } else if (YAJL_IS_NUMBER(v)) {
        yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
    } else if (YAJL_IS_OBJECT(v)) {
        yajl_gen_map_open(g);
        for (size_t i = 0; i < v->u.object.len; i++) {
            yajl_gen_string(g, (const unsigned char *)v->u.object.keys[i], strlen(v->u.object.keys[i]));
            gen_value(g, v->u.object.values[i]);
        }
        yajl_gen_map_close(g);
    } else if (YAJL_IS_ARRAY(v)) {
        yajl_gen_array_open(g);
        for (size_t i = 0; i < v->u.array.len; i++) gen_value(g, v->u.array.values[i]);
        yajl_gen_array_close(g);
    } else if (YAJL_IS_TRUE(v)) {
        yajl_gen_bool(g, 1);
    } else if (YAJL_IS_FALSE(v)) {
        yajl_gen_bool(g, 0);
    } else {
        yajl_gen_null(g);
    }
}

const char *json_tree_text(arena *a, yajl_val v, size_t *len)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    gen_value(g, v);
    const unsigned char *buf;
    size_t n;
    yajl_gen_get_buf(g, &buf, &n);
    char *text = arena_strndup(a, (const char *)buf, n);
    yajl_gen_free(g);
    *len = n;
    return text;
}

/* ---- reader ---------------------------------------------------------------------------------- */

/* Entity properties are all scalars; annotations we ignore may hold structures, within reason. */
#define IGNORED_VALUE_MAX_DEPTH 32
/* Instance annotations other than @odata.type that one body may carry. */
#define MAX_ANNOTATIONS 64

typedef enum { AT_NONE, AT_PROPERTY, AT_ODATA_TYPE, AT_IGNORED } key_kind;

typedef struct reader {
    arena *a;
    const entity *e;
    prop_value *values;
    const char *message;    /* set on the first error; the parse is then cancelled */
    int depth;              /* 1 inside the top-level object */
    bool seen_object;
    key_kind kind;
    int prop;               /* AT_PROPERTY: index into e->props */
    int ignored_depth;      /* AT_IGNORED: nesting inside the ignored value */
    /* Duplicates: properties and @odata.type are flagged by index; other annotations, which a
     * client may name freely, are kept in a short list so the check stays linear. */
    bool *seen_property;
    bool seen_odata_type;
    const char *annotations[MAX_ANNOTATIONS];
    size_t annotation_lens[MAX_ANNOTATIONS];
    size_t nannotations;
} reader;

static int fail(reader *r, const char *message)
{
    if (!r->message) r->message = message;
    return 0;
}

static int wrong_type(reader *r)
{
    const property *p = &r->e->props[r->prop];
    return fail(r, arena_printf(r->a, "Cannot convert the literal to the expected type for property '%s' of type '%s'.",
                                p->name, edm_type_name(p)));
}

/* A value has arrived at the top level: returns 1 if the reader is inside an ignored annotation. */
static bool in_ignored(reader *r)
{
    return r->depth > 1 || r->kind == AT_IGNORED;
}

static int store(reader *r, const char *s, size_t n, bool is_null)
{
    prop_value *v = &r->values[r->prop];
    v->present = true;
    v->is_null = is_null;
    v->text = is_null ? NULL : arena_strndup(r->a, s, n);
    v->len = is_null ? 0 : n;
    r->kind = AT_NONE;
    return 1;
}

/* A scalar of the right JSON kind: its text must also be a value of the property's EDM type. */
static int check_and_store(reader *r, const char *s, size_t n)
{
    const property *p = &r->e->props[r->prop];
    const edm_type_info *t = edm_info(p->type);
    if (!t->valid(p, s, n))
        return fail(r, arena_printf(r->a, "The value for property '%s' %s", p->name,
                                    arena_printf(r->a, t->invalid_fmt, edm_type_name(p))));
    return store(r, s, n, false);
}

static int on_null(void *ctx)
{
    reader *r = ctx;
    if (in_ignored(r)) { if (r->depth == 1) r->kind = AT_NONE; return 1; }
    if (r->kind == AT_ODATA_TYPE) return fail(r, "The @odata.type annotation must name the entity's type.");
    if (r->kind != AT_PROPERTY) return fail(r, "The request body must be a JSON object.");
    const property *p = &r->e->props[r->prop];
    if (!(p->flags & PROP_NULLABLE) && !(p->flags & PROP_READONLY))
        return fail(r, arena_printf(r->a, "A null value was found for the property named '%s', which has the expected type '%s'. The expected type does not allow null values.",
                                    p->name, edm_type_name(p)));
    return store(r, NULL, 0, true);
}

static int on_boolean(void *ctx, int b)
{
    reader *r = ctx;
    if (in_ignored(r)) { if (r->depth == 1) r->kind = AT_NONE; return 1; }
    if (r->kind == AT_ODATA_TYPE) return fail(r, "The @odata.type annotation must name the entity's type.");
    if (r->kind != AT_PROPERTY) return fail(r, "The request body must be a JSON object.");
    if (edm_info(r->e->props[r->prop].type)->json != JSON_BOOLEAN) return wrong_type(r);
    return b ? store(r, "true", 4, false) : store(r, "false", 5, false);
}

static int on_number(void *ctx, const char *s, size_t n)
{
    reader *r = ctx;
    if (in_ignored(r)) { if (r->depth == 1) r->kind = AT_NONE; return 1; }
    if (r->kind == AT_ODATA_TYPE) return fail(r, "The @odata.type annotation must name the entity's type.");
    if (r->kind != AT_PROPERTY) return fail(r, "The request body must be a JSON object.");
    if (edm_info(r->e->props[r->prop].type)->json != JSON_NUMBER) return wrong_type(r);
    return check_and_store(r, s, n);
}

static bool odata_type_matches(const entity *e, const char *s, size_t n)
{
    if (n > 0 && s[0] == '#') { s++; n--; }
    return strlen(e->type_name) == n && memcmp(e->type_name, s, n) == 0;
}

static int on_string(void *ctx, const unsigned char *us, size_t n)
{
    reader *r = ctx;
    const char *s = (const char *)us;
    if (in_ignored(r)) { if (r->depth == 1) r->kind = AT_NONE; return 1; }
    if (r->kind == AT_ODATA_TYPE) {
        r->kind = AT_NONE;
        if (!odata_type_matches(r->e, s, n))
            return fail(r, arena_printf(r->a, "A type named '%.*s' could not be resolved by the model; expected '#%s'.",
                                        (int)(n > 200 ? 200 : n), s, r->e->type_name));
        return 1;
    }
    if (r->kind != AT_PROPERTY) return fail(r, "The request body must be a JSON object.");
    const property *p = &r->e->props[r->prop];
    if (memchr(s, '\0', n))
        return fail(r, arena_printf(r->a, "The value for property '%s' contains a NUL character.", p->name));
    /* yajl lets overlong forms, surrogates and code points past U+10FFFF through; PostgreSQL would not */
    if (!value_utf8_valid(s, n))
        return fail(r, arena_printf(r->a, "The value for property '%s' is not valid UTF-8.", p->name));
    if (edm_info(p->type)->json != JSON_STRING) return wrong_type(r);
    return check_and_store(r, s, n);
}

/* False when the annotation was already in the body; *full when there is no room for another. */
static bool remember_annotation(reader *r, const char *k, size_t n, bool *full)
{
    *full = false;
    for (size_t i = 0; i < r->nannotations; i++)
        if (r->annotation_lens[i] == n && memcmp(r->annotations[i], k, n) == 0) return false;
    if (r->nannotations == MAX_ANNOTATIONS) {
        *full = true;
        return false;
    }
    r->annotations[r->nannotations] = k;
    r->annotation_lens[r->nannotations] = n;
    r->nannotations++;
    return true;
}

static int duplicate(reader *r, const char *k, size_t n)
{
    return fail(r, arena_printf(r->a, "The property '%.*s' appears more than once in the request body.",
                                (int)(n > 200 ? 200 : n), k));
}

static int on_map_key(void *ctx, const unsigned char *uk, size_t n)
{
    reader *r = ctx;
    const char *k = (const char *)uk;
    if (r->depth > 1) return 1;
    if (!value_utf8_valid(k, n)) return fail(r, "A property name in the request body is not valid UTF-8.");
    if (n == 11 && memcmp(k, "@odata.type", 11) == 0) {
        if (r->seen_odata_type) return duplicate(r, k, n);
        r->seen_odata_type = true;
        r->kind = AT_ODATA_TYPE;
        return 1;
    }
    if (memchr(k, '@', n)) {   /* other instance annotations are ignored, once each */
        /* yajl's buffer is reused, so the key is copied before it is remembered */
        const char *copy = arena_strndup(r->a, k, n);
        bool full;
        if (!remember_annotation(r, copy, n, &full))
            return full ? fail(r, "The request body carries too many instance annotations.") : duplicate(r, k, n);
        r->kind = AT_IGNORED;
        return 1;
    }
    int i = entity_property_index(r->e, k, n);
    if (i < 0)
        return fail(r, arena_printf(r->a, "Property '%.*s' does not exist on type '%s'.",
                                    (int)(n > 200 ? 200 : n), k, r->e->type_name));
    if (r->seen_property[i]) return duplicate(r, k, n);
    r->seen_property[i] = true;
    r->kind = AT_PROPERTY;
    r->prop = i;
    return 1;
}

static int open_container(reader *r)
{
    if (r->depth == 0) {
        return fail(r, "The request body must be a JSON object.");
    }
    if (r->kind == AT_PROPERTY && r->depth == 1) return wrong_type(r);
    if (r->kind == AT_ODATA_TYPE && r->depth == 1) return fail(r, "The @odata.type annotation must name the entity's type.");
    if (r->depth > IGNORED_VALUE_MAX_DEPTH) return fail(r, "The request body is nested too deeply.");
    r->depth++;
    return 1;
}

static int close_container(reader *r)
{
    r->depth--;
    if (r->depth == 1) r->kind = AT_NONE;
    return 1;
}

static int on_start_map(void *ctx)
{
    reader *r = ctx;
    if (r->depth == 0 && !r->seen_object) {
        r->seen_object = true;
        r->depth = 1;
        return 1;
    }
    return open_container(r);
}

static int on_end_map(void *ctx) { return close_container(ctx); }
static int on_start_array(void *ctx) { return open_container(ctx); }
static int on_end_array(void *ctx) { return close_container(ctx); }

static const yajl_callbacks reader_callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end_map,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end_array,
};

bool json_read_entity(arena *a, const entity *e, const char *body, size_t len,
                      prop_value *values, const char **message)
{
    reader r = { .a = a, .e = e, .values = values, .kind = AT_NONE, .prop = -1 };
    r.seen_property = arena_alloc(a, (size_t)e->nprops * sizeof *r.seen_property);
    memset(r.seen_property, 0, (size_t)e->nprops * sizeof *r.seen_property);
    memset(values, 0, (size_t)e->nprops * sizeof *values);
    yajl_handle h = yajl_alloc(&reader_callbacks, NULL, &r);
    yajl_status st = yajl_parse(h, (const unsigned char *)body, len);
    if (st == yajl_status_ok) st = yajl_complete_parse(h);
    yajl_free(h);
    if (r.message) {
        *message = r.message;
        return false;
    }
    if (st != yajl_status_ok || !r.seen_object) {
        *message = len == 0 ? "The request body is empty; a JSON object is expected."
                            : "The request body is not valid JSON (or not UTF-8).";
        return false;
    }
    return true;
}
