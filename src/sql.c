#include "sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edm.h"

/* ---- text ------------------------------------------------------------------------------------ */

/* The stored properties (id first), in the order the result columns carry them; returns the count. */
static int stored_properties(const entity *e, int *props)
{
    int n = 0;
    for (int i = 0; i < e->nprops; i++)
        if (e->props[i].column) props[n++] = i;
    return n;
}

static void select_list(strbuf *b, const entity *e)
{
    bool first = true;
    for (int i = 0; i < e->nprops; i++) {
        const property *p = &e->props[i];
        if (!p->column) continue;
        if (!first) sb_adds(b, ", ");
        first = false;
        sb_printf(b, edm_info(p->type)->select_fmt, p->column);
    }
}

static void value_expr(strbuf *b, const property *p, int param)
{
    char cast[96];
    snprintf(cast, sizeof cast, "$%d::%s", param, edm_sql_cast(p));
    sb_printf(b, edm_info(p->type)->value_fmt, cast);
}

/* The value a column takes when a POST does not mention it; the text comes from the entity table,
 * never from a request. */
static void default_expr(strbuf *b, const property *p)
{
    const char *text = property_default(p);
    if (!text) {
        sb_adds(b, "NULL");
        return;
    }
    sb_printf(b, "'%s'::%s", text, edm_sql_cast(p));
}

/* The writable (column-backed, not read-only) properties, in the order their (flag, value)
 * parameter pairs follow tenant and id. */
static int writable_properties(const entity *e, int *idx)
{
    int n = 0;
    for (int i = 0; i < e->nprops; i++)
        if (e->props[i].column && !(e->props[i].flags & PROP_READONLY)) idx[n++] = i;
    return n;
}

/* The k-th writable property's flag is $(3 + 2k) and its value the next: "was it in the body". */
static int flag_param(int k)
{
    return 3 + 2 * k;
}

static int writable_position(const int *idx, int n, int i)
{
    for (int k = 0; k < n; k++)
        if (idx[k] == i) return k;
    return -1;
}

/* "CASE WHEN flag THEN value [WHEN stamping property changed THEN now()] ELSE otherwise END" */
static void assignment(strbuf *b, const entity *e, const int *idx, int n, int k, const char *otherwise_col,
                       bool is_insert)
{
    const property *p = &e->props[idx[k]];
    int flag = flag_param(k);
    sb_printf(b, "CASE WHEN $%d::boolean THEN ", flag);
    value_expr(b, p, flag + 1);
    int s = p->stamped_by >= 0 ? writable_position(idx, n, p->stamped_by) : -1;
    if (s >= 0) {
        const property *sp = &e->props[idx[s]];
        int sflag = flag_param(s);
        if (is_insert) {
            sb_printf(b, " WHEN $%d::boolean THEN now()", sflag);
        } else {
            sb_printf(b, " WHEN $%d::boolean AND ", sflag);
            value_expr(b, sp, sflag + 1);
            sb_printf(b, " IS DISTINCT FROM %s THEN now()", sp->column);
        }
    }
    sb_adds(b, " ELSE ");
    if (otherwise_col) sb_adds(b, otherwise_col);
    else default_expr(b, p);
    sb_adds(b, " END");
}

/* The text of e's op, or false when op does not apply to e. */
static bool build_text(strbuf *b, const entity *e, sql_op op, int *nparams)
{
    arena *a = b->a;
    int idx[ENTITY_MAX_PROPERTIES];
    int n = writable_properties(e, idx);
    switch (op) {
    case SQL_GET:
        sb_adds(b, "SELECT ");
        select_list(b, e);
        sb_printf(b, " FROM %s WHERE tenant_id = $1::uuid AND id = $2::uuid", e->table);
        *nparams = 2;
        return true;
    case SQL_LIST_FIRST:
    case SQL_LIST_AFTER:
        if (e->singleton) return false;
        sb_adds(b, "SELECT ");
        select_list(b, e);
        sb_printf(b, " FROM %s WHERE tenant_id = $1::uuid", e->table);
        if (op == SQL_LIST_AFTER) sb_adds(b, " AND id > $2::uuid ORDER BY id LIMIT $3::integer");
        else sb_adds(b, " ORDER BY id LIMIT $2::integer");
        *nparams = op == SQL_LIST_AFTER ? 3 : 2;
        return true;
    case SQL_INSERT:
        sb_printf(b, "INSERT INTO %s (tenant_id, id", e->table);
        for (int k = 0; k < n; k++) sb_printf(b, ", %s", e->props[idx[k]].column);
        /* The singleton's id is derived from the tenant; a collection's is made here. */
        sb_adds(b, ") VALUES ($1::uuid, COALESCE($2::uuid, gen_random_uuid())");
        for (int k = 0; k < n; k++) {
            sb_adds(b, ", ");
            assignment(b, e, idx, n, k, NULL, true);
        }
        sb_adds(b, ")");
        if (e->singleton) {
            sb_adds(b, " ON CONFLICT (tenant_id) DO UPDATE SET ");
            for (int k = 0; k < n; k++) {
                const char *col = e->props[idx[k]].column;
                if (k) sb_adds(b, ", ");
                sb_printf(b, "%s = ", col);
                assignment(b, e, idx, n, k, arena_printf(a, "%s.%s", e->table, col), false);
            }
        }
        sb_adds(b, " RETURNING ");
        select_list(b, e);
        *nparams = flag_param(n) - 1;
        return true;
    case SQL_UPDATE:
        if (e->singleton) return false;
        sb_printf(b, "UPDATE %s SET ", e->table);
        for (int k = 0; k < n; k++) {
            const char *col = e->props[idx[k]].column;
            if (k) sb_adds(b, ", ");
            sb_printf(b, "%s = ", col);
            assignment(b, e, idx, n, k, col, false);
        }
        sb_adds(b, " WHERE tenant_id = $1::uuid AND id = $2::uuid RETURNING ");
        select_list(b, e);
        *nparams = flag_param(n) - 1;
        return true;
    case SQL_DELETE:
        if (e->singleton) return false;
        sb_printf(b, "DELETE FROM %s WHERE tenant_id = $1::uuid AND id = $2::uuid", e->table);
        *nparams = 2;
        return true;
    default:
        return false;
    }
}

/* ---- templates ------------------------------------------------------------------------------- */

#define MAX_ENTITIES 16

static const sql_statement *templates[MAX_ENTITIES * SQL_OP_COUNT];
static int ntemplates;

static char *heap_copy(const void *p, size_t n)
{
    char *c = malloc(n);
    if (!c) abort();
    memcpy(c, p, n);
    return c;
}

/* Made once per process and kept for its life (the statements are prepared on every connection). */
static void build_templates(void)
{
    arena *a = arena_new(8192);
    int nentities = 0;
    while (certgraph_entities[nentities]) nentities++;
    if (nentities > MAX_ENTITIES) abort();
    for (int ei = 0; ei < nentities; ei++) {
        const entity *e = certgraph_entities[ei];
        if (e->nprops > ENTITY_MAX_PROPERTIES) abort();
        int props[ENTITY_MAX_PROPERTIES];
        int ncolumns = stored_properties(e, props);
        for (int op = 0; op < SQL_OP_COUNT; op++) {
            strbuf b;
            sb_init(&b, a, 1024);
            sql_statement s = { .entity = e, .writes = op >= SQL_INSERT };
            if (!build_text(&b, e, (sql_op)op, &s.nparams)) continue;
            s.name = heap_copy(arena_printf(a, "e%d_%d", ei, op), 16);
            s.text = heap_copy(b.data, b.len + 1);
            if (op != SQL_DELETE) {
                s.ncolumns = ncolumns;
                s.column_props = (const int *)heap_copy(props, (size_t)ncolumns * sizeof *props);
            }
            templates[ei * SQL_OP_COUNT + op] = (const sql_statement *)heap_copy(&s, sizeof s);
        }
    }
    ntemplates = nentities * SQL_OP_COUNT;
    arena_free(a);
}

int sql_templates(const sql_statement *const **out)
{
    if (!ntemplates) build_templates();
    *out = templates;
    return ntemplates;
}

static const sql_statement *template_of(const entity *e, sql_op op)
{
    const sql_statement *const *all;
    int n = sql_templates(&all);
    for (int i = 0; i < n; i++)
        if (all[i] && all[i]->entity == e && i % SQL_OP_COUNT == (int)op) return all[i];
    return NULL;
}

/* The template with these parameters, in the arena. */
static const sql_statement *bind(arena *a, const entity *e, sql_op op, const char **params)
{
    const sql_statement *t = template_of(e, op);
    if (!t) return NULL;
    sql_statement *s = arena_alloc(a, sizeof *s);
    *s = *t;
    s->params = params;
    return s;
}

static const char **key_params(arena *a, int n, const char *tenant, const char *id)
{
    const char **params = arena_alloc(a, (size_t)n * sizeof *params);
    params[0] = tenant;
    params[1] = id;
    return params;
}

const sql_statement *sql_get(arena *a, const entity *e, const char *tenant, const char *id)
{
    return bind(a, e, SQL_GET, key_params(a, 2, tenant, id));
}

const sql_statement *sql_delete(arena *a, const entity *e, const char *tenant, const char *id)
{
    return bind(a, e, SQL_DELETE, key_params(a, 2, tenant, id));
}

const sql_statement *sql_list(arena *a, const entity *e, const char *tenant, const char *after, int limit)
{
    const char **params = key_params(a, 3, tenant, after);
    const char *count = arena_printf(a, "%d", limit);
    if (after) params[2] = count;
    else params[1] = count;
    return bind(a, e, after ? SQL_LIST_AFTER : SQL_LIST_FIRST, params);
}

/* tenant, id, then (flag, value) for each writable property */
static const sql_statement *bind_write(arena *a, const entity *e, sql_op op, const char *tenant, const char *id,
                                       const prop_value *values)
{
    int idx[ENTITY_MAX_PROPERTIES];
    int n = writable_properties(e, idx);
    const char **params = key_params(a, flag_param(n) - 1, tenant, id);
    for (int k = 0; k < n; k++) {
        const prop_value *v = &values[idx[k]];
        params[flag_param(k) - 1] = v->present ? "true" : "false";
        params[flag_param(k)] = v->present ? v->text : NULL;
    }
    return bind(a, e, op, params);
}

const sql_statement *sql_insert(arena *a, const entity *e, const char *tenant, const char *id, const prop_value *values)
{
    return bind_write(a, e, SQL_INSERT, tenant, id, values);
}

const sql_statement *sql_update(arena *a, const entity *e, const char *tenant, const char *id, const prop_value *values)
{
    return bind_write(a, e, SQL_UPDATE, tenant, id, values);
}
