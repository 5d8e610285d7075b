/* Answers in Graph's JSON: one entity, a collection page, and the written-entity variants. */
#include <string.h>
#include <strings.h>

#include "call.h"
#include "json.h"

/* With $select the context names the selection as given: ...#deviceManagement/states(a,b). */
const char *render_context_url(const call *c, bool single_of_collection)
{
    const char *selection = c->q.select_text ? arena_printf(c->rq->a, "(%s)", c->q.select_text) : "";
    return arena_printf(c->rq->a, "%s/%s/$metadata#%s/%s%s%s", c->rq->base_url, c->rt.version,
                        c->e->parent_segment, c->e->segment, selection, single_of_collection ? "/$entity" : "");
}

/* RFC 3986: everything but the unreserved characters is percent-encoded. */
static void add_encoded(strbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
            sb_addc(b, (char)*p);
        } else {
            sb_addc(b, '%');
            sb_addc(b, hex[*p >> 4]);
            sb_addc(b, hex[*p & 15]);
        }
    }
}

const char *render_next_link(const call *c, const char *skiptoken)
{
    strbuf b;
    sb_init(&b, c->rq->a, 256);
    sb_printf(&b, "%s/%s/%s/%s?", c->rq->base_url, c->rt.version, c->e->parent_segment, c->e->segment);
    const struct { const char *name, *value; } options[] = {
        { "$filter", c->q.filter_text },
        { "$select", c->q.select_text },
        { "$orderby", c->q.orderby_text },
        { "$top", c->q.top_given ? arena_printf(c->rq->a, "%d", c->q.top) : NULL },
        { "$count", c->q.count_given ? (c->q.count ? "true" : "false") : NULL },
    };
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        if (!options[i].value) continue;
        sb_printf(&b, "%s=", options[i].name);
        add_encoded(&b, options[i].value);
        sb_addc(&b, '&');
    }
    sb_printf(&b, "$skiptoken=%s", skiptoken);   /* URL-safe by construction */
    return b.data;
}

const char *render_entity_url(const call *c, const char *id)
{
    return arena_printf(c->rq->a, "%s/%s/%s/%s/%s", c->rq->base_url, c->rt.version, c->e->parent_segment,
                        c->e->segment, id);
}

static json_writer *begin_body(call *c, int status)
{
    response *rs = c->rs;
    rs->status = status;
    rs->content_type = MEDIA_TYPE_JSON;
    return json_writer_new(&rs->body);
}

void render_entity(call *c, int status, const char *const *values)
{
    json_writer *w = begin_body(c, status);
    json_begin_object(w);
    json_key(w, "@odata.context");
    json_string(w, render_context_url(c, !c->e->singleton));
    json_write_entity(w, c->e, values, c->q.selected);
    json_end_object(w);
}

/* Prefer: return=minimal on a write: 204 and no body (a POST keeps its Location). */
static bool wants_minimal(const request *rq)
{
    if (!rq->prefer) return false;
    for (const char *p = rq->prefer; (p = strcasestr(p, "return")); p += 6) {
        const char *q = p + 6;
        while (*q == ' ') q++;
        if (*q != '=') continue;
        q++;
        while (*q == ' ') q++;
        if (strncasecmp(q, "minimal", 7) == 0) return true;
    }
    return false;
}

void render_written(call *c, int status, const char *const *values)
{
    if (wants_minimal(c->rq)) {
        c->rs->status = 204;
        response_add_header(c->rs, "Preference-Applied", "return=minimal");
        return;
    }
    render_entity(c, status, values);
}

void render_collection(call *c, const char *const *const *rows, int nrows, const char *count, const char *next_link)
{
    json_writer *w = begin_body(c, 200);
    json_begin_object(w);
    json_key(w, "@odata.context");
    json_string(w, render_context_url(c, false));
    if (count) {
        json_key(w, "@odata.count");
        json_number(w, count);
    }
    if (next_link) {
        json_key(w, "@odata.nextLink");
        json_string(w, next_link);
    }
    json_key(w, "value");
    json_begin_array(w);
    for (int i = 0; i < nrows; i++) {
        json_begin_object(w);
        json_write_entity(w, c->e, rows[i], c->q.selected);
        json_end_object(w);
    }
    json_end_array(w);
    json_end_object(w);
}
