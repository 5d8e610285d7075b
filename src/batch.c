/* POST /{version}/$batch: Graph's JSON batching. Each inner request becomes a request value and goes
 * through handle_api, the same operation table, arena and authorization (the outer token's tenant
 * and scopes) as any other; this file only reads the envelope, orders the steps by dependsOn and
 * writes the answers back into one envelope. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_tree.h>

#include "call.h"
#include "dispatch.h"
#include "errors.h"
#include "json.h"

#define BATCH_MAX_REQUESTS 20
/* The envelope is parsed as a tree (and an inner body written back out from it): its nesting is
 * bounded before parsing, so neither can recurse deep. */
#define BATCH_MAX_DEPTH 64

typedef struct step {
    const char *id;
    const char *method;
    const char *url;
    const char *content_type;
    const char *prefer;
    const char *body;           /* NULL: none */
    size_t body_len;
    int deps[BATCH_MAX_REQUESTS];
    int ndeps;
    bool done;
    response rs;
} step;

/* The header's value, case-insensitive by name, from an inner request's headers object. */
static const char *header(arena *a, yajl_val headers, const char *name)
{
    for (size_t i = 0; YAJL_IS_OBJECT(headers) && i < headers->u.object.len; i++)
        if (strcasecmp(headers->u.object.keys[i], name) == 0 && YAJL_IS_STRING(headers->u.object.values[i]))
            return arena_strdup(a, headers->u.object.values[i]->u.string);
    return NULL;
}

/* The first path segment of an inner url (after any leading '/'), in the arena. */
static const char *first_segment(arena *a, const char *url)
{
    while (*url == '/') url++;
    return arena_strndup(a, url, strcspn(url, "/?"));
}

static bool is_version(const char *segment)
{
    return strcasecmp(segment, "v1.0") == 0 || strcasecmp(segment, "beta") == 0;
}

/* Reads the envelope into steps; false with *message for a batch that fails as a whole. */
static bool read_steps(call *c, yajl_val root, step *steps, int *nsteps, const char **message)
{
    arena *a = c->rq->a;
    yajl_val requests = json_tree_member(root, "requests");
    if (!YAJL_IS_ARRAY(requests)) { *message = "The batch request body must hold a 'requests' array."; return false; }
    size_t n = requests->u.array.len;
    if (n == 0) { *message = "The batch request holds no requests."; return false; }
    if (n > BATCH_MAX_REQUESTS) {
        *message = arena_printf(a, "A batch request holds at most %d requests; this one holds %zu.", BATCH_MAX_REQUESTS, n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        yajl_val r = requests->u.array.values[i];
        step *s = &steps[i];
        memset(s, 0, sizeof *s);
        yajl_val id = json_tree_member(r, "id"), method = json_tree_member(r, "method"), url = json_tree_member(r, "url");
        if (!YAJL_IS_STRING(id) || !*id->u.string || !YAJL_IS_STRING(method) || !YAJL_IS_STRING(url)) {
            *message = arena_printf(a, "Request %zu of the batch needs a string id, method and url.", i + 1);
            return false;
        }
        /* copied: the tree is freed before the steps run */
        s->id = arena_strdup(a, id->u.string);
        char *m = arena_strdup(a, method->u.string);
        for (char *p = m; *p; p++) *p = (char)toupper((unsigned char)*p);   /* "get" is GET, as Graph takes it */
        s->method = m;
        s->url = arena_strdup(a, url->u.string);
        for (size_t k = 0; k < i; k++)
            if (strcmp(steps[k].id, s->id) == 0) {
                *message = arena_printf(a, "The id '%.50s' appears more than once in the batch.", s->id);
                return false;
            }
        if (strcasecmp(first_segment(a, s->url), "$batch") == 0) { *message = "A batch request cannot contain a $batch request."; return false; }
        yajl_val headers = json_tree_member(r, "headers");
        s->content_type = header(a, headers, "Content-Type");
        s->prefer = header(a, headers, "Prefer");
        yajl_val body = json_tree_member(r, "body");
        if (body) s->body = json_tree_text(a, body, &s->body_len);
    }
    /* dependsOn names earlier or later ids of this batch; resolved once all ids are known */
    for (size_t i = 0; i < n; i++) {
        yajl_val deps = json_tree_member(requests->u.array.values[i], "dependsOn");
        if (!deps) continue;
        if (!YAJL_IS_ARRAY(deps) || deps->u.array.len > BATCH_MAX_REQUESTS) {
            *message = arena_printf(a, "The dependsOn of request '%.50s' must be an array of ids.", steps[i].id);
            return false;
        }
        for (size_t k = 0; k < deps->u.array.len; k++) {
            yajl_val d = deps->u.array.values[k];
            int found = -1;
            for (size_t j = 0; YAJL_IS_STRING(d) && j < n; j++)
                if (strcmp(steps[j].id, d->u.string) == 0) found = (int)j;
            if (found < 0) {
                *message = arena_printf(a, "Request '%.50s' depends on an id that is not in the batch.", steps[i].id);
                return false;
            }
            steps[i].deps[steps[i].ndeps++] = found;
        }
    }
    *nsteps = (int)n;
    return true;
}

/* Depth-first: false when a step can reach itself through dependsOn. */
static bool acyclic_from(const step *steps, int i, int *mark)
{
    if (mark[i] == 1) return false;
    if (mark[i] == 2) return true;
    mark[i] = 1;
    for (int k = 0; k < steps[i].ndeps; k++)
        if (!acyclic_from(steps, steps[i].deps[k], mark)) return false;
    mark[i] = 2;
    return true;
}

static void run_step(call *c, step *steps, step *s)
{
    arena *a = c->rq->a;
    response_init(&s->rs, a);
    request inner = *c->rq;
    inner.method = s->method;
    inner.content_type = s->content_type;
    inner.prefer = s->prefer;
    inner.body = s->body ? s->body : "";
    inner.body_len = s->body ? s->body_len : 0;
    for (int k = 0; k < s->ndeps; k++)
        if (steps[s->deps[k]].rs.status >= 400) {
            respond_error(&inner, &s->rs, 424, arena_printf(a, "The request depends on request '%.50s', which failed.",
                                                             steps[s->deps[k]].id));
            return;
        }
    /* the url is relative to the version root; an absolute one or one naming a version fails alone */
    const char *segment = first_segment(a, s->url);
    if (strchr(segment, ':') || is_version(segment)) {
        respond_error(&inner, &s->rs, 400, arena_printf(a, "Resource not found for the segment '%.100s'.", segment));
        return;
    }
    inner.uri = arena_printf(a, "/%s%s%s", c->rt.version, s->url[0] == '/' ? "" : "/", s->url);
    /* every step on the primary, so that one sees what the steps before it wrote */
    handle_api(&inner, &s->rs, c->db, NULL);
}

static void write_step(json_writer *w, const step *s)
{
    json_begin_object(w);
    json_key(w, "id");
    json_string(w, s->id);
    json_key(w, "status");
    char status[8];
    snprintf(status, sizeof status, "%d", s->rs.status);
    json_number(w, status);
    json_key(w, "headers");
    json_begin_object(w);
    for (int i = 0; i < s->rs.nheaders; i++) {
        json_key(w, s->rs.header_names[i]);
        json_string(w, s->rs.header_values[i]);
    }
    if (s->rs.content_type) {
        json_key(w, "Content-Type");
        json_string(w, s->rs.content_type);
    }
    json_end_object(w);
    if (s->rs.content_type && s->rs.status != 204) {
        json_key(w, "body");
        if (strncmp(s->rs.content_type, "application/json", 16) == 0) json_raw(w, s->rs.body.data, s->rs.body.len);
        else json_string_n(w, s->rs.body.data, s->rs.body.len);
    }
    json_end_object(w);
}

void op_batch(call *c)
{
    arena *a = c->rq->a;
    if (!json_media_type(c->rq->content_type)) {
        respond_error(c->rq, c->rs, 415, "The batch request must be sent with Content-Type application/json.");
        return;
    }
    if (json_nesting(c->rq->body, c->rq->body_len, BATCH_MAX_DEPTH) > BATCH_MAX_DEPTH ||
        strlen(c->rq->body) != c->rq->body_len) {
        respond_error(c->rq, c->rs, 400, "The batch request body is nested too deeply or holds a NUL character.");
        return;
    }
    char error[128];
    yajl_val root = yajl_tree_parse(c->rq->body, error, sizeof error);
    if (!root || !YAJL_IS_OBJECT(root)) {
        yajl_tree_free(root);
        respond_error(c->rq, c->rs, 400, "The batch request body is not a valid JSON object.");
        return;
    }
    step *steps = arena_alloc(a, BATCH_MAX_REQUESTS * sizeof *steps);
    int n = 0;
    const char *message = NULL;
    bool ok = read_steps(c, root, steps, &n, &message);
    yajl_tree_free(root);
    if (!ok) {
        respond_error(c->rq, c->rs, 400, message);
        return;
    }
    int mark[BATCH_MAX_REQUESTS] = { 0 };
    for (int i = 0; i < n; i++)
        if (!acyclic_from(steps, i, mark)) {
            respond_error(c->rq, c->rs, 400, "The dependsOn of the batch's requests form a cycle.");
            return;
        }
    /* in the order given, each step once all it depends on has run */
    for (int ran = 0; ran < n;) {
        for (int i = 0; i < n; i++) {
            step *s = &steps[i];
            if (s->done) continue;
            bool ready = true;
            for (int k = 0; k < s->ndeps; k++) ready = ready && steps[s->deps[k]].done;
            if (!ready) continue;
            run_step(c, steps, s);
            s->done = true;
            ran++;
        }
    }
    c->rs->status = 200;
    c->rs->content_type = MEDIA_TYPE_JSON;
    json_writer *w = json_writer_new(&c->rs->body);
    json_begin_object(w);
    json_key(w, "responses");
    json_begin_array(w);
    for (int i = 0; i < n; i++) write_step(w, &steps[i]);
    json_end_array(w);
    json_end_object(w);
}
