#include "sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

static void select_list(strbuf *b, const entity *e)
{
    bool first = true;
    for (int i = 0; i < e->nprops; i++) {
        const property *p = &e->props[i];
        if (!p->column) continue;
        if (!first) sb_adds(b, ", ");
        first = false;
        if (p->type == EDM_BINARY)   /* PostgreSQL wraps base64 at 76 characters; JSON wants one line */
            sb_printf(b, "translate(encode(%s, 'base64'), E'\\n', '')", p->column);
        else
            sb_adds(b, p->column);
    }
}

/* The PostgreSQL type a property's text is cast to (binary travels as base64 text, then decoded). */
static const char *cast_type(const property *p)
{
    switch (p->type) {
    case EDM_DATETIMEOFFSET: return "timestamptz";
    case EDM_INT32: return "integer";
    case EDM_ENUM: return p->enumeration->sql_type;
    default: return "text";
    }
}

static void value_expr(strbuf *b, const property *p, int param)
{
    if (p->type == EDM_BINARY) sb_printf(b, "decode($%d::text, 'base64')", param);
    else sb_printf(b, "$%d::%s", param, cast_type(p));
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
    sb_printf(b, "'%s'::%s", text, cast_type(p));
}

int sql_writable_properties(const entity *e, int *idx)
{
    int n = 0;
    for (int i = 0; i < e->nprops; i++)
        if (e->props[i].column && !(e->props[i].flags & PROP_READONLY)) idx[n++] = i;
    return n;
}

/* Position of property i among the writable ones, so its flag is $(3 + 2*pos) and value the next. */
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
    int flag = 3 + 2 * k;
    sb_printf(b, "CASE WHEN $%d::boolean THEN ", flag);
    value_expr(b, p, flag + 1);
    int s = p->stamped_by >= 0 ? writable_position(idx, n, p->stamped_by) : -1;
    if (s >= 0) {
        const property *sp = &e->props[idx[s]];
        int sflag = 3 + 2 * s;
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

char *sql_build(const entity *e, sql_op op, int *nparams)
{
    if (e->nprops > ENTITY_MAX_PROPERTIES) return NULL;
    arena *a = arena_new(4096);
    strbuf b;
    sb_init(&b, a, 1024);
    int idx[ENTITY_MAX_PROPERTIES];
    int n = sql_writable_properties(e, idx);
    bool built = true;

    switch (op) {
    case SQL_GET:
        sb_adds(&b, "SELECT ");
        select_list(&b, e);
        sb_printf(&b, " FROM %s WHERE tenant_id = $1::uuid AND id = $2::uuid", e->table);
        *nparams = 2;
        break;
    case SQL_LIST_FIRST:
    case SQL_LIST_AFTER:
        if (e->singleton) { built = false; break; }
        sb_adds(&b, "SELECT ");
        select_list(&b, e);
        sb_printf(&b, " FROM %s WHERE tenant_id = $1::uuid", e->table);
        if (op == SQL_LIST_AFTER) sb_adds(&b, " AND id > $2::uuid ORDER BY id LIMIT $3::integer");
        else sb_adds(&b, " ORDER BY id LIMIT $2::integer");
        *nparams = op == SQL_LIST_AFTER ? 3 : 2;
        break;
    case SQL_INSERT:
        /* The singleton is written by one upsert: created on first PATCH, updated after. */
        sb_printf(&b, "INSERT INTO %s (tenant_id, id", e->table);
        for (int k = 0; k < n; k++) sb_printf(&b, ", %s", e->props[idx[k]].column);
        /* The singleton's id is derived from the tenant; a collection's is made here. */
        sb_adds(&b, ") VALUES ($1::uuid, COALESCE($2::uuid, gen_random_uuid())");
        for (int k = 0; k < n; k++) {
            sb_adds(&b, ", ");
            assignment(&b, e, idx, n, k, NULL, true);
        }
        sb_adds(&b, ")");
        if (e->singleton) {
            sb_adds(&b, " ON CONFLICT (tenant_id) DO UPDATE SET ");
            for (int k = 0; k < n; k++) {
                const char *col = e->props[idx[k]].column;
                if (k) sb_adds(&b, ", ");
                sb_printf(&b, "%s = ", col);
                assignment(&b, e, idx, n, k, arena_printf(a, "%s.%s", e->table, col), false);
            }
        }
        sb_adds(&b, " RETURNING ");
        select_list(&b, e);
        *nparams = 2 + 2 * n;
        break;
    case SQL_UPDATE:
        if (e->singleton) { built = false; break; }
        sb_printf(&b, "UPDATE %s SET ", e->table);
        for (int k = 0; k < n; k++) {
            const char *col = e->props[idx[k]].column;
            if (k) sb_adds(&b, ", ");
            sb_printf(&b, "%s = ", col);
            assignment(&b, e, idx, n, k, col, false);
        }
        sb_adds(&b, " WHERE tenant_id = $1::uuid AND id = $2::uuid RETURNING ");
        select_list(&b, e);
        *nparams = 2 + 2 * n;
        break;
    case SQL_DELETE:
        if (e->singleton) { built = false; break; }
        sb_printf(&b, "DELETE FROM %s WHERE tenant_id = $1::uuid AND id = $2::uuid", e->table);
        *nparams = 2;
        break;
    default:
        built = false;
    }
    char *text = built ? strdup(b.data) : NULL;
    arena_free(a);
    return text;
}
