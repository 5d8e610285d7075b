#include "odata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "skiptoken.h"
#include "values.h"

static const struct { const char *name; unsigned bit; } system_options[] = {
    { "$filter", QO_FILTER }, { "$select", QO_SELECT }, { "$orderby", QO_ORDERBY }, { "$top", QO_TOP },
    { "$skip", QO_SKIP }, { "$count", QO_COUNT }, { "$skiptoken", QO_SKIPTOKEN },
};
#define NSYSTEM (sizeof system_options / sizeof system_options[0])

/* The system option an option name names (case-insensitive, as OData 4.01 allows), -1 for a custom
 * parameter, -2 for a '$' name that no operation here takes. */
static int system_option(const char *name, bool beta)
{
    for (size_t i = 0; i < NSYSTEM; i++)
        if (strcasecmp(name, system_options[i].name) == 0 || (beta && strcasecmp(name, system_options[i].name + 1) == 0))
            return (int)i;
    return name[0] == '$' ? -2 : -1;
}

static const char *trim(arena *a, const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) { s++; n--; }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    return arena_strndup(a, s, n);
}

/* Splits a comma list into trimmed items; returns their number. */
static int split_list(arena *a, const char *s, const char ***items)
{
    int n = 1;
    for (const char *p = s; *p; p++) n += *p == ',';
    *items = arena_alloc(a, (size_t)n * sizeof **items);
    int k = 0;
    for (const char *p = s;; ) {
        size_t len = strcspn(p, ",");
        (*items)[k++] = trim(a, p, len);
        if (!p[len]) break;
        p += len + 1;
    }
    return k;
}

static bool fail(const char **message, const char *m)
{
    *message = m;
    return false;
}

static bool parse_select(arena *a, const entity *e, const char *value, odata_query *q, const char **message)
{
    const char **items;
    int n = split_list(a, value, &items);
    bool *selected = arena_alloc(a, (size_t)e->nprops * sizeof *selected);
    memset(selected, 0, (size_t)e->nprops * sizeof *selected);
    strbuf given;
    sb_init(&given, a, strlen(value) + 1);
    for (int i = 0; i < n; i++) {
        if (!*items[i]) return fail(message, "Invalid $select: an item of the list is empty.");
        if (strcmp(items[i], "*") == 0) {
            for (int k = 0; k < e->nprops; k++) selected[k] = property_served(&e->props[k]);
        } else {
            int prop = entity_property_index(e, items[i], strlen(items[i]));
            if (prop < 0)
                return fail(message, arena_printf(a, "Invalid $select: property '%.100s' does not exist on type '%s'.",
                                                  items[i], e->type_name));
            selected[prop] = true;
        }
        if (i) sb_addc(&given, ',');
        sb_adds(&given, items[i]);
    }
    selected[0] = true;   /* id is always returned */
    q->selected = selected;
    q->select_text = given.data;
    return true;
}

static bool parse_orderby(arena *a, const entity *e, const char *value, odata_query *q, const char **message)
{
    const char **items;
    int n = split_list(a, value, &items);
    for (int i = 0; i < n; i++) {
        const char *item = items[i];
        size_t name_len = strcspn(item, " \t");
        const char *dir = trim(a, item + name_len, strlen(item + name_len));
        if (!name_len) return fail(message, "Invalid $orderby: an item of the list is empty.");
        int prop = entity_property_index(e, item, name_len);
        if (prop < 0)
            return fail(message, arena_printf(a, "Invalid $orderby: property '%.*s' does not exist on type '%s'.",
                                              (int)(name_len > 100 ? 100 : name_len), item, e->type_name));
        if (!(e->props[prop].flags & PROP_FILTERABLE) || e->props[prop].type == EDM_COMPLEX)
            return fail(message, arena_printf(a, "Invalid $orderby: property '%s' cannot be used to order.",
                                              e->props[prop].name));
        bool desc = strcmp(dir, "desc") == 0;
        if (!desc && *dir && strcmp(dir, "asc") != 0)
            return fail(message, arena_printf(a, "Invalid $orderby: '%.40s' is not asc or desc.", dir));
        for (int k = 0; k < q->norder; k++)
            if (q->order[k].prop == prop)
                return fail(message, arena_printf(a, "Invalid $orderby: property '%s' appears twice.", e->props[prop].name));
        if (prop == 0) {
            /* id ends every order; ordering by it ends the list (later keys could never matter) */
            if (desc) return fail(message, "Invalid $orderby: id orders ascending only.");
            break;
        }
        if (q->norder == ODATA_MAX_ORDER) return fail(message, "Invalid $orderby: at most 8 properties.");
        q->order[q->norder].prop = prop;
        q->order[q->norder].desc = desc;
        q->norder++;
    }
    q->orderby_text = value;
    return true;
}

/* A decimal integer in [min, max]. */
static bool parse_int(const char *s, long min, long max, long *out)
{
    if (!*s || strlen(s) > 10 || strspn(s, "0123456789") != strlen(s)) return false;
    long v = strtol(s, NULL, 10);
    if (v < min || v > max) return false;
    *out = v;
    return true;
}

bool odata_parse(arena *a, const entity *e, const route *rt, unsigned allowed, odata_query *q, const char **message)
{
    memset(q, 0, sizeof *q);
    q->top = ODATA_DEFAULT_TOP;
    bool beta = strcmp(rt->version, "beta") == 0;
    unsigned seen = 0;
    for (int i = 0; i < rt->noptions; i++) {
        const char *name = rt->options[i].name, *value = rt->options[i].value;
        int k = system_option(name, beta);
        if (k == -1) continue;   /* Graph ignores custom query parameters */
        if (k == -2 || !(system_options[k].bit & allowed)) {
            if (strcasecmp(name, "$search") == 0)
                return fail(message, "Query option '$search' is not supported on this resource.");
            return fail(message, arena_printf(a, "Query option '%.50s' is not supported on this request.", name));
        }
        unsigned bit = system_options[k].bit;
        if (seen & bit)
            return fail(message, arena_printf(a, "Query option '%s' was given more than once.", system_options[k].name));
        seen |= bit;
        if (!value_utf8_valid(value, strlen(value)))
            return fail(message, arena_printf(a, "Query option '%s' is not valid UTF-8.", system_options[k].name));
        switch (bit) {
        case QO_FILTER:
            q->filter_text = value;
            q->filter = filter_parse(a, e, value, strlen(value), message);
            if (!q->filter) return false;
            break;
        case QO_SELECT:
            if (!parse_select(a, e, value, q, message)) return false;
            break;
        case QO_ORDERBY:
            if (!parse_orderby(a, e, value, q, message)) return false;
            break;
        case QO_TOP: {
            long top;
            if (!parse_int(value, 1, ODATA_MAX_TOP, &top))
                return fail(message, "Invalid $top: it must be a whole number from 1 to 999.");
            q->top = (int)top;
            q->top_given = true;
            break;
        }
        case QO_SKIP:
            if (!parse_int(value, 0, 2147483647L, &q->skip))
                return fail(message, "Invalid $skip: it must be a whole number of 0 or more.");
            break;
        case QO_COUNT:
            if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
                return fail(message, "Invalid $count: it must be true or false.");
            q->count = strcmp(value, "true") == 0;
            q->count_given = true;
            break;
        case QO_SKIPTOKEN:
            q->skiptoken = value;
            break;
        }
    }
    /* a list without $orderby takes the entity's default order (the audit trail: newest first) */
    if ((allowed & QO_ORDERBY) && !(seen & QO_ORDERBY) && e && e->default_order) {
        q->order[0] = (odata_order){ e->default_order, e->default_order_desc };
        q->norder = 1;
    }
    return true;
}

void odata_digest(arena *a, const odata_query *q, const entity *e, const char *tenant,
                  unsigned char digest[SKIPTOKEN_DIGEST_LEN])
{
    strbuf order, selection;
    sb_init(&order, a, 64);
    sb_init(&selection, a, 64);
    for (int i = 0; i < q->norder; i++) sb_printf(&order, "%d%c", q->order[i].prop, q->order[i].desc ? 'd' : 'a');
    for (int i = 0; q->selected && i < e->nprops; i++) sb_addc(&selection, q->selected[i] ? '1' : '0');
    const char *parts[] = { tenant, e->type_name, q->filter_text, order.data, selection.data, arena_printf(a, "%d", q->top) };
    skiptoken_digest(parts, (int)(sizeof parts / sizeof parts[0]), digest);
}
