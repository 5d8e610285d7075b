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
        if (property_read(&e->props[i])) props[n++] = i;
    return n;
}

static void select_list(strbuf *b, const entity *e)
{
    bool first = true;
    for (int i = 0; i < e->nprops; i++) {
        const property *p = &e->props[i];
        if (!property_read(p)) continue;
        if (!first) sb_adds(b, ", ");
        first = false;
        sb_printf(b, edm_info(p->type)->select_fmt, p->column);
    }
}

/* Read back as it was before a write: what answers show, and the certificate content was kept in. */
static bool read_before(const entity *e, int i)
{
    return property_read(&e->props[i]) || (e->content_kept_in && i == e->content_kept_in);
}

/* The stored properties as they were before the statement, named o<prop> (an UPDATE's FROM list or
 * the upsert's CTE), and their references in a RETURNING list: the audit trail diffs old and new. */
static void old_select_list(strbuf *b, const entity *e)
{
    bool first = true;
    for (int i = 0; i < e->nprops; i++) {
        const property *p = &e->props[i];
        if (!read_before(e, i)) continue;
        if (!first) sb_adds(b, ", ");
        first = false;
        sb_printf(b, edm_info(p->type)->select_fmt, p->column);
        sb_printf(b, " AS o%d", i);
    }
}

static void old_returning(strbuf *b, const entity *e, const char *fmt)
{
    for (int i = 0; i < e->nprops; i++) {
        if (!read_before(e, i)) continue;
        sb_adds(b, ", ");
        sb_printf(b, fmt, i);
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
    case SQL_INSERT:
        /* the singleton's row before the upsert: the statement's snapshot, so its own write is unseen */
        if (e->singleton) {
            sb_adds(b, "WITH old AS (SELECT ");
            old_select_list(b, e);
            sb_printf(b, " FROM %s WHERE tenant_id = $1::uuid) ", e->table);
        }
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
        if (e->append_only) {
            sb_adds(b, "id");   /* the service wrote the row; reading it back would cost for nothing */
        } else {
            select_list(b, e);
            if (e->singleton) old_returning(b, e, "(SELECT o%d FROM old)");
        }
        *nparams = flag_param(n) - 1;
        return true;
    case SQL_UPDATE:
        if (e->singleton || e->append_only) return false;
        sb_printf(b, "UPDATE %s SET ", e->table);
        for (int k = 0; k < n; k++) {
            const char *col = e->props[idx[k]].column;
            if (k) sb_adds(b, ", ");
            sb_printf(b, "%s = ", col);
            assignment(b, e, idx, n, k, col, false);
        }
        /* the row as it was, locked, so old and new values come back from one statement */
        sb_adds(b, " FROM (SELECT ");
        old_select_list(b, e);
        sb_printf(b, " FROM %s WHERE tenant_id = $1::uuid AND id = $2::uuid FOR UPDATE) AS old", e->table);
        sb_printf(b, " WHERE %s.tenant_id = $1::uuid AND %s.id = $2::uuid RETURNING ", e->table, e->table);
        select_list(b, e);
        old_returning(b, e, "old.o%d");
        *nparams = flag_param(n) - 1;
        return true;
    case SQL_DELETE:
        if (e->singleton || e->append_only) return false;
        sb_printf(b, "DELETE FROM %s WHERE tenant_id = $1::uuid AND id = $2::uuid RETURNING ", e->table);
        old_select_list(b, e);
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

/* What each result column of e's op carries: a property's new value (its index), or its value
 * before the statement (nprops + index). Returns the number of columns. */
static int result_columns(const entity *e, sql_op op, int *columns)
{
    int n = 0;
    if (op == SQL_INSERT && e->append_only) {
        columns[n++] = 0;
        return n;
    }
    if (op != SQL_DELETE) n = stored_properties(e, columns);
    if (op == SQL_GET || (op == SQL_INSERT && !e->singleton)) return n;
    for (int i = 0; i < e->nprops; i++)
        if (read_before(e, i)) columns[n++] = e->nprops + i;
    return n;
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
        for (int op = 0; op < SQL_OP_COUNT; op++) {
            strbuf b;
            sb_init(&b, a, 1024);
            sql_statement s = { .entity = e, .writes = op >= SQL_INSERT };
            if (!build_text(&b, e, (sql_op)op, &s.nparams)) continue;
            s.name = heap_copy(arena_printf(a, "e%d_%d", ei, op), 16);
            s.text = heap_copy(b.data, b.len + 1);
            int columns[2 * ENTITY_MAX_PROPERTIES];
            s.ncolumns = result_columns(e, (sql_op)op, columns);
            s.column_props = (const int *)heap_copy(columns, (size_t)(s.ncolumns ? s.ncolumns : 1) * sizeof *columns);
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

/* ---- queries --------------------------------------------------------------------------------- */

/* A statement's text and its growing parameter list. */
typedef struct builder {
    arena *a;
    strbuf b;
    const char **params;
    int nparams, cap;
} builder;

static int add_param(builder *q, const char *value)
{
    if (q->nparams == q->cap) {
        int cap = q->cap ? q->cap * 2 : 16;
        const char **grown = arena_alloc(q->a, (size_t)cap * sizeof *grown);
        if (q->nparams) memcpy(grown, q->params, (size_t)q->nparams * sizeof *grown);
        q->params = grown;
        q->cap = cap;
    }
    q->params[q->nparams++] = value;
    return q->nparams;
}

static void param(builder *q, const char *value, const char *cast)
{
    sb_printf(&q->b, "$%d::%s", add_param(q, value), cast);
}

/* A property expression. Strings compare by code point: the columns are COLLATE "C" and the case
 * mappings come from ICU's root locale, so no result depends on the database's locale. */
static void value_sql(builder *q, const entity *e, const filter_node *n, bool as_text)
{
    if (n->kind == F_CASE) {
        sb_adds(&q->b, n->op == CASE_LOWER ? "(lower(" : "(upper(");
        value_sql(q, e, n->a, false);
        sb_adds(&q->b, " COLLATE \"und-x-icu\") COLLATE \"C\")");
        return;
    }
    const property *p = &e->props[n->prop];
    sb_adds(&q->b, p->column);
    if (as_text && (p->flags & PROP_KEY)) sb_adds(&q->b, "::text");
}

static const char *literal_cast(const filter_node *target, const property *p)
{
    return target->kind == F_CASE ? "text" : edm_sql_cast(p);
}

/* LIKE with the literal's %, _ and \ taken as plain characters. */
static const char *like_pattern(arena *a, const filter_node *n, int kind)
{
    strbuf b;
    sb_init(&b, a, n->len * 2 + 3);
    if (kind != MATCH_STARTS) sb_addc(&b, '%');
    for (size_t i = 0; i < n->len; i++) {
        if (n->text[i] == '%' || n->text[i] == '_' || n->text[i] == '\\') sb_addc(&b, '\\');
        sb_addc(&b, n->text[i]);
    }
    if (kind != MATCH_ENDS) sb_addc(&b, '%');
    return b.data;
}

static const char *const cmp_sql[] = { " = ", " <> ", " > ", " >= ", " < ", " <= " };

/* Every compiled condition is true or false, never SQL's unknown, so NOT means OData's not:
 * a nullable operand is tested for null alongside (API.md §4: p ne 'x' matches nulls). */
static void compile(builder *q, const entity *e, const filter_node *n)
{
    strbuf *b = &q->b;
    switch (n->kind) {
    case F_OR:
    case F_AND:
        sb_addc(b, '(');
        compile(q, e, n->a);
        sb_adds(b, n->kind == F_OR ? " OR " : " AND ");
        compile(q, e, n->b);
        sb_addc(b, ')');
        return;
    case F_NOT:
        sb_adds(b, "NOT ");
        compile(q, e, n->a);
        return;
    case F_CONST:
        sb_adds(b, n->op ? "TRUE" : "FALSE");
        return;
    case F_ANY: {
        /* the collection holds one item, whose filterable member the entity keeps as a column */
        sb_printf(b, "(%s = ", e->props[n->prop].complex->members[n->a->a->prop].column);
        param(q, n->a->b->text, "text");
        sb_addc(b, ')');
        return;
    }
    default:
        break;
    }
    const property *p = &e->props[filter_property_node(n->a)->prop];
    bool nullable = (p->flags & PROP_NULLABLE) != 0;
    if (n->kind == F_CMP && n->b->lit == LIT_NULL) {
        if (n->op == CMP_EQ || n->op == CMP_NE) {
            sb_addc(b, '(');
            value_sql(q, e, n->a, false);
            sb_adds(b, n->op == CMP_EQ ? " IS NULL)" : " IS NOT NULL)");
        } else {
            sb_adds(b, "FALSE");   /* every ordering comparison with null is false */
        }
        return;
    }
    sb_addc(b, '(');
    if (n->kind == F_CMP) {
        value_sql(q, e, n->a, false);
        sb_adds(b, cmp_sql[n->op]);
        param(q, n->b->text, literal_cast(n->a, p));
    } else if (n->kind == F_IN) {
        value_sql(q, e, n->a, false);
        sb_adds(b, " IN (");
        for (int i = 0; i < n->nlist; i++) {
            if (i) sb_adds(b, ", ");
            param(q, n->list[i]->text, literal_cast(n->a, p));
        }
        sb_addc(b, ')');
    } else {   /* F_MATCH */
        value_sql(q, e, n->a, true);
        sb_adds(b, " LIKE ");
        param(q, like_pattern(q->a, n->b, n->op), "text");
    }
    if (nullable) {
        bool ne = n->kind == F_CMP && n->op == CMP_NE;
        sb_adds(b, ne ? " OR " : " AND ");
        value_sql(q, e, filter_property_node(n->a), false);
        sb_adds(b, ne ? " IS NULL" : " IS NOT NULL");
    }
    sb_addc(b, ')');
}

static void where_tenant_and_filter(builder *q, const entity *e, const char *tenant, const filter_node *filter)
{
    sb_printf(&q->b, " FROM %s WHERE tenant_id = ", e->table);
    param(q, tenant, "uuid");
    if (filter) {
        sb_adds(&q->b, " AND ");
        compile(q, e, filter);
    }
}

/* Rows strictly after the keyset values in the order (keys, then id ascending). */
static void keyset(builder *q, const entity *e, const odata_query *o, const char *const *after)
{
    strbuf *b = &q->b;
    const property *id = &e->props[0];
    bool row_compare = true;
    for (int i = 0; i < o->norder; i++)
        if (o->order[i].desc || !after[i]) row_compare = false;
    if (row_compare) {
        /* one index range on (tenant_id, keys..., id): a deep page costs what page 1 costs */
        sb_adds(b, " AND (");
        for (int i = 0; i < o->norder; i++) sb_printf(b, "%s, ", e->props[o->order[i].prop].column);
        sb_printf(b, "%s) > (", id->column);
        for (int i = 0; i < o->norder; i++) {
            param(q, after[i], edm_sql_cast(&e->props[o->order[i].prop]));
            sb_adds(b, ", ");
        }
        param(q, after[o->norder], "uuid");
        sb_addc(b, ')');
        return;
    }
    /* k1 after, or k1 equal and (k2 after, or ...), ending with id after */
    sb_adds(b, " AND ");
    for (int i = 0; i < o->norder; i++) {
        const property *p = &e->props[o->order[i].prop];
        const char *c = p->column;
        const char *cast = edm_sql_cast(p);
        bool desc = o->order[i].desc;
        sb_addc(b, '(');
        if (!after[i]) {
            sb_printf(b, desc ? "FALSE" : "%s IS NOT NULL", c);
            sb_printf(b, " OR (%s IS NULL AND ", c);
        } else {
            sb_printf(b, "%s %s ", c, desc ? "<" : ">");
            param(q, after[i], cast);
            if (desc) sb_printf(b, " OR %s IS NULL", c);
            sb_printf(b, " OR (%s = ", c);
            param(q, after[i], cast);
            sb_adds(b, " AND ");
        }
    }
    sb_printf(b, "%s > ", id->column);
    param(q, after[o->norder], "uuid");
    for (int i = 0; i < o->norder; i++) sb_adds(b, "))");
}

const sql_statement *sql_query_list(arena *a, const entity *e, const char *tenant, const odata_query *o,
                                    const char *const *after, int limit)
{
    builder q = { .a = a };
    sb_init(&q.b, a, 1024);
    /* the columns: id, the selection (all by default), and whatever the order needs for the token */
    bool *wanted = arena_alloc(a, (size_t)e->nprops * sizeof *wanted);
    for (int i = 0; i < e->nprops; i++) {
        const property *p = &e->props[i];
        wanted[i] = o->server_columns ? p->column != NULL
                                      : property_read(p) && (!o->selected || o->selected[i] || i == 0);
    }
    for (int i = 0; i < o->norder; i++) wanted[o->order[i].prop] = true;
    int *columns = arena_alloc(a, (size_t)e->nprops * sizeof *columns);
    int ncolumns = 0;
    sb_adds(&q.b, "SELECT ");
    for (int i = 0; i < e->nprops; i++) {
        if (!wanted[i]) continue;
        if (ncolumns) sb_adds(&q.b, ", ");
        sb_printf(&q.b, edm_info(e->props[i].type)->select_fmt, e->props[i].column);
        columns[ncolumns++] = i;
    }
    where_tenant_and_filter(&q, e, tenant, o->filter);
    if (after) keyset(&q, e, o, after);
    sb_adds(&q.b, " ORDER BY ");
    for (int i = 0; i < o->norder; i++)
        sb_printf(&q.b, "%s %s, ", e->props[o->order[i].prop].column, o->order[i].desc ? "DESC NULLS LAST" : "ASC NULLS FIRST");
    sb_printf(&q.b, "%s LIMIT ", e->props[0].column);
    param(&q, arena_printf(a, "%d", limit), "integer");
    if (!after && o->skip > 0) {
        sb_adds(&q.b, " OFFSET ");
        param(&q, arena_printf(a, "%ld", o->skip), "bigint");
    }
    sql_statement *s = arena_alloc(a, sizeof *s);
    *s = (sql_statement){ .text = q.b.data, .nparams = q.nparams, .params = q.params, .entity = e,
                          .ncolumns = ncolumns, .column_props = columns };
    return s;
}

const sql_statement *sql_query_count(arena *a, const entity *e, const char *tenant, const filter_node *filter)
{
    builder q = { .a = a };
    sb_init(&q.b, a, 256);
    sb_adds(&q.b, "SELECT count(*)");
    where_tenant_and_filter(&q, e, tenant, filter);
    sql_statement *s = arena_alloc(a, sizeof *s);
    *s = (sql_statement){ .text = q.b.data, .nparams = q.nparams, .params = q.params, .entity = NULL };
    return s;
}
