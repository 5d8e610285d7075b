#include "router.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into the arena; plus_is_space for query strings. NULL on a bad escape or
 * a decoded NUL, which nothing downstream could carry. */
static char *decode(arena *a, const char *s, size_t n, bool plus_is_space)
{
    char *out = arena_alloc(a, n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) return NULL;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return NULL;
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else if (plus_is_space && s[i] == '+') {
            *o++ = ' ';
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static void fail(route *r, int status, const char *message)
{
    if (!r->error_status) {
        r->error_status = status;
        r->error_message = message;
    }
}

static void segment_not_found(arena *a, route *r, const char *segment)
{
    fail(r, 400, arena_printf(a, "Resource not found for the segment '%.200s'.", segment));
}

/* "name('key')" or "name(key)": splits off an OData key; false if the parentheses are malformed. */
static bool split_key(arena *a, char *segment, const char **key)
{
    char *open = strchr(segment, '(');
    *key = NULL;
    if (!open) return true;
    size_t n = strlen(open);
    if (n < 3 || open[n - 1] != ')') return false;
    *open = '\0';
    const char *k = open + 1;
    size_t klen = n - 2;
    if (klen >= 2 && k[0] == '\'' && k[klen - 1] == '\'') { k++; klen -= 2; }
    *key = arena_strndup(a, k, klen);
    return true;
}

static void parse_query(arena *a, const char *q, route *r)
{
    size_t count = 1;
    for (const char *p = q; *p; p++) count += *p == '&';
    r->options = arena_alloc(a, count * sizeof *r->options);
    while (*q) {
        size_t n = strcspn(q, "&");
        const char *eq = memchr(q, '=', n);
        size_t name_len = eq ? (size_t)(eq - q) : n;
        if (n > 0) {
            char *name = decode(a, q, name_len, true);
            char *value = eq ? decode(a, eq + 1, n - name_len - 1, true) : arena_strdup(a, "");
            if (!name || !value) {
                fail(r, 400, "The query string is not correctly percent-encoded.");
                return;
            }
            r->options[r->noptions].name = name;
            r->options[r->noptions].value = value;
            r->noptions++;
        }
        q += n;
        if (*q == '&') q++;
    }
}

void route_parse(arena *a, const char *uri, route *r)
{
    memset(r, 0, sizeof *r);
    size_t path_len = strcspn(uri, "?#");
    if (uri[path_len] == '?') parse_query(a, uri + path_len + 1, r);

    /* Split the path into decoded segments; empty ones (// or a trailing /) carry nothing. */
    char *segments[8];
    int nsegments = 0;
    const char *p = uri;
    const char *end = uri + path_len;
    while (p < end) {
        while (p < end && *p == '/') p++;
        if (p == end) break;
        const char *s = p;
        while (p < end && *p != '/') p++;
        if (nsegments == 8) { fail(r, 400, "Resource not found for the segment."); return; }
        char *seg = decode(a, s, (size_t)(p - s), false);
        if (!seg) { fail(r, 400, "The request path is not correctly percent-encoded."); return; }
        segments[nsegments++] = seg;
    }
    if (nsegments == 0) { fail(r, 400, "Invalid version: the path must start with /v1.0 or /beta."); return; }

    unsigned version;
    if (strcasecmp(segments[0], "v1.0") == 0) { r->version = "v1.0"; version = VERSION_V1; }
    else if (strcasecmp(segments[0], "beta") == 0) { r->version = "beta"; version = VERSION_BETA; }
    else { fail(r, 400, arena_printf(a, "Invalid version: %.100s", segments[0])); return; }

    if (nsegments < 2) { fail(r, 400, "Resource not found for the segment ''."); return; }
    /* The version root's own resources (Graph spells them in this case only). */
    static const struct { const char *name; path_kind kind; } root_resources[] = {
        { "$batch", PATH_BATCH }, { "$metadata", PATH_METADATA },
    };
    for (size_t i = 0; i < sizeof root_resources / sizeof root_resources[0]; i++) {
        if (strcmp(segments[1], root_resources[i].name) != 0) continue;
        if (nsegments > 2) { segment_not_found(a, r, segments[2]); return; }
        r->kind = root_resources[i].kind;
        return;
    }
    bool parent_known = false;
    for (int i = 0; certgraph_entities[i]; i++)
        if (strcasecmp(certgraph_entities[i]->parent_segment, segments[1]) == 0) parent_known = true;
    if (!parent_known || nsegments < 3) { segment_not_found(a, r, segments[1]); return; }

    const char *key = NULL;
    char *name = segments[2];
    if (!split_key(a, name, &key)) { segment_not_found(a, r, segments[2]); return; }
    for (int i = 0; certgraph_entities[i]; i++) {
        const entity *e = certgraph_entities[i];
        if ((e->versions & version) && strcasecmp(e->parent_segment, segments[1]) == 0 &&
            strcasecmp(e->segment, name) == 0)
            r->entity = e;
    }
    if (!r->entity) { segment_not_found(a, r, name); return; }

    int next = 3;
    bool count = false;
    if (!key && !r->entity->singleton && nsegments > 3) {
        if (strcmp(segments[next], "$count") == 0) count = true;
        else key = segments[next];
        next++;
    }
    if (key && r->entity->singleton) { segment_not_found(a, r, key); return; }
    if (next < nsegments) { segment_not_found(a, r, segments[next]); return; }
    r->key = key;
    r->kind = r->entity->singleton ? PATH_SINGLETON : count ? PATH_COUNT : key ? PATH_ENTITY : PATH_COLLECTION;
}
