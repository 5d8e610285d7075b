#include "filter.h"

#include <ctype.h>
#include <string.h>

#include "edm.h"
#include "values.h"

typedef enum {
    T_END, T_LPAREN, T_RPAREN, T_COMMA, T_SLASH, T_COLON, T_IDENT, T_STRING, T_NUMBER, T_DATETIME, T_GUID, T_ENUM, T_BAD
} token_kind;

typedef struct token {
    token_kind kind;
    size_t start, len;      /* the token's bytes in the expression */
    const char *text;       /* T_STRING, T_ENUM: the unescaped value (arena); else NULL */
    size_t text_len;
    const char *type_name;  /* T_ENUM */
} token;

typedef struct parser {
    arena *a;
    const entity *e;
    const char *s;
    size_t n;
    size_t at;              /* next byte to tokenize */
    token tok;              /* the current token */
    int depth, terms;
    const char *message;
    /* inside prop/any(x: ...): the variable x and the type of the collection's items */
    const char *var;
    size_t var_len;
    const complex_type *var_type;
} parser;

/* ---- errors ---------------------------------------------------------------------------------- */

/* 1-based character (not byte) position of byte offset off. */
static int char_position(const char *s, size_t off)
{
    int pos = 1;
    for (size_t i = 0; i < off; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) pos++;
    return pos;
}

static void *fail_at(parser *p, size_t off, size_t len, const char *what)
{
    if (p->message) return NULL;
    if (len > 40) len = 40;
    if (off >= p->n) {
        p->message = arena_printf(p->a, "Invalid $filter: %s at the end of the expression (position %d).", what,
                                  char_position(p->s, p->n));
    } else {
        /* cut at a character boundary so the message stays valid UTF-8 */
        while (len > 0 && off + len < p->n && ((unsigned char)p->s[off + len] & 0xC0) == 0x80) len--;
        p->message = arena_printf(p->a, "Invalid $filter: %s at position %d ('%.*s').", what,
                                  char_position(p->s, off), (int)len, p->s + off);
    }
    return NULL;
}

static void *fail_tok(parser *p, const char *what)
{
    return fail_at(p, p->tok.start, p->tok.len, what);
}

static void *fail_node(parser *p, const filter_node *node, const char *what)
{
    if (p->message) return NULL;
    p->message = arena_printf(p->a, "Invalid $filter: %s at position %d.", what, node->pos);
    return NULL;
}

/* ---- tokens ---------------------------------------------------------------------------------- */

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.';
}

/* A quoted string at s[i] ('...' with '' for a quote): its end (past the closing quote), the value in
 * the arena; 0 when it is not closed. */
static size_t quoted(parser *p, size_t i, const char **text, size_t *text_len)
{
    /* find the closing quote first, so the copy is the literal's size, not the rest of the input's */
    size_t close = i + 1;
    for (; close < p->n; close++) {
        if (p->s[close] != '\'') continue;
        if (close + 1 < p->n && p->s[close + 1] == '\'') { close++; continue; }   /* '' is one quote */
        break;
    }
    if (close >= p->n) return 0;
    char *out = arena_alloc(p->a, close - i), *o = out;
    for (size_t k = i + 1; k < close; k++) {
        *o++ = p->s[k];
        if (p->s[k] == '\'') k++;   /* '' is one quote */
    }
    *o = '\0';
    *text = out;
    *text_len = (size_t)(o - out);
    return close + 1;
}

static void next(parser *p)
{
    while (p->at < p->n && (p->s[p->at] == ' ' || p->s[p->at] == '\t')) p->at++;
    token *t = &p->tok;
    memset(t, 0, sizeof *t);
    t->start = p->at;
    if (p->at >= p->n) { t->kind = T_END; return; }
    size_t i = p->at;
    char c = p->s[i];
    size_t end = i + 1;
    if (c == '(') t->kind = T_LPAREN;
    else if (c == ')') t->kind = T_RPAREN;
    else if (c == ',') t->kind = T_COMMA;
    else if (c == '/') t->kind = T_SLASH;
    else if (c == ':') t->kind = T_COLON;
    else if (c == '\'') {
        end = quoted(p, i, &t->text, &t->text_len);
        if (!end) { t->kind = T_BAD; end = p->n; }
        else t->kind = T_STRING;
    } else if (p->n - i >= 36 && value_uuid_valid(p->s + i, 36) && (p->n - i == 36 || !ident_char(p->s[i + 36]))) {
        t->kind = T_GUID;
        end = i + 36;
    } else if (isdigit((unsigned char)c) || c == '-') {
        /* a number or an unquoted DateTimeOffset: read the whole run, then classify it */
        while (end < p->n && (isalnum((unsigned char)p->s[end]) || strchr(":.+-", p->s[end]))) end++;
        size_t sign = c == '-', digits = 0;
        while (i + sign + digits < end && isdigit((unsigned char)p->s[i + sign + digits])) digits++;
        if (digits > 0 && sign + digits == end - i) t->kind = T_NUMBER;
        else if (value_datetime_valid(p->s + i, end - i)) t->kind = T_DATETIME;
        else t->kind = T_BAD;
    } else if (isalpha((unsigned char)c) || c == '_') {
        while (end < p->n && ident_char(p->s[end])) end++;
        if (end < p->n && p->s[end] == '\'') {   /* microsoft.graph.certificateStatus'revoked' */
            t->type_name = arena_strndup(p->a, p->s + i, end - i);
            size_t close = quoted(p, end, &t->text, &t->text_len);
            if (!close) { t->kind = T_BAD; end = p->n; }
            else { t->kind = T_ENUM; end = close; }
        } else {
            t->kind = T_IDENT;
        }
    } else {
        t->kind = T_BAD;
        /* one whole character, for the message */
        while (end < p->n && ((unsigned char)p->s[end] & 0xC0) == 0x80) end++;
    }
    t->len = end - i;
    p->at = end;
}

static bool is_word(const parser *p, const char *w)
{
    return p->tok.kind == T_IDENT && p->tok.len == strlen(w) && memcmp(p->s + p->tok.start, w, p->tok.len) == 0;
}

/* ---- tree ------------------------------------------------------------------------------------ */

static filter_node *node(parser *p, filter_kind kind, size_t off)
{
    filter_node *n = arena_alloc(p->a, sizeof *n);
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->pos = char_position(p->s, off);
    return n;
}

static bool enter(parser *p)
{
    if (++p->depth > FILTER_MAX_DEPTH) {
        fail_tok(p, "the expression is nested more than 100 levels deep");
        return false;
    }
    return true;
}

static bool count_term(parser *p, size_t off)
{
    if (++p->terms > FILTER_MAX_TERMS) {
        fail_at(p, off, 1, "the expression has more than 500 terms");
        return false;
    }
    return true;
}

static filter_node *parse_or(parser *p);
static filter_node *parse_member(parser *p);
static filter_node *parse_any(parser *p, filter_node *prop);

static const struct { const char *name; filter_kind kind; int op; int nargs; } functions[] = {
    { "startswith", F_MATCH, MATCH_STARTS, 2 },
    { "endswith", F_MATCH, MATCH_ENDS, 2 },
    { "contains", F_MATCH, MATCH_CONTAINS, 2 },
    { "tolower", F_CASE, CASE_LOWER, 1 },
    { "toupper", F_CASE, CASE_UPPER, 1 },
};

static filter_node *parse_call(parser *p)
{
    size_t off = p->tok.start;
    int f = -1;
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (is_word(p, functions[i].name)) f = (int)i;
    if (f < 0) return fail_tok(p, "unknown function");
    if (!enter(p) || !count_term(p, off)) return NULL;
    next(p);   /* the name */
    next(p);   /* '(' */
    filter_node *n = node(p, functions[f].kind, off);
    n->op = functions[f].op;
    for (int k = 0; k < functions[f].nargs; k++) {
        if (k > 0) {
            if (p->tok.kind != T_COMMA) return fail_tok(p, "expected ','");
            next(p);
        }
        filter_node *arg = parse_or(p);
        if (!arg) return NULL;
        if (k == 0) n->a = arg;
        else n->b = arg;
    }
    if (p->tok.kind != T_RPAREN) return fail_tok(p, functions[f].nargs == 1 ? "expected ')' (the function takes one argument)"
                                                                             : "expected ')' (the function takes two arguments)");
    next(p);
    p->depth--;
    return n;
}

/* x/member inside a lambda; the member must exist on the collection's item type. */
static filter_node *parse_member(parser *p)
{
    size_t off = p->tok.start;
    next(p);   /* x */
    if (p->tok.kind != T_SLASH) return fail_tok(p, "expected '/' and a member after the lambda variable");
    next(p);
    if (p->tok.kind != T_IDENT) return fail_tok(p, "expected a member name");
    const char *name = p->s + p->tok.start;
    size_t len = p->tok.len;
    const complex_type *t = p->var_type;
    for (int m = 0; m < t->nmembers; m++) {
        if (strlen(t->members[m].name) != len || memcmp(t->members[m].name, name, len) != 0) continue;
        filter_node *n = node(p, F_MEMBER, off);
        n->prop = m;
        n->text = t->members[m].name;
        next(p);
        return n;
    }
    return fail_tok(p, arena_printf(p->a, "member '%.*s' does not exist on type '%s'", (int)(len > 100 ? 100 : len),
                                    name, t->name));
}

/* prop/any(x: condition) over a complex collection; the token is the '/'. */
static filter_node *parse_any(parser *p, filter_node *prop)
{
    const property *pp = &p->e->props[prop->prop];
    if (pp->type != EDM_COMPLEX || !(pp->flags & PROP_COLLECTION))
        return fail_tok(p, arena_printf(p->a, "property '%s' is not a collection; '/' cannot follow it", pp->name));
    next(p);
    if (!is_word(p, "any")) return fail_tok(p, "only any() may follow a collection here");
    size_t off = p->tok.start;
    if (p->var) return fail_tok(p, "any() cannot be nested");
    if (!enter(p) || !count_term(p, off)) return NULL;
    next(p);
    if (p->tok.kind != T_LPAREN) return fail_tok(p, "expected '(' after any");
    next(p);
    if (p->tok.kind != T_IDENT) return fail_tok(p, "expected a lambda variable, as in any(r: r/resourceId eq '...')");
    p->var = p->s + p->tok.start;
    p->var_len = p->tok.len;
    p->var_type = pp->complex;
    next(p);
    if (p->tok.kind != T_COLON) return fail_tok(p, "expected ':' after the lambda variable");
    next(p);
    filter_node *n = node(p, F_ANY, off);
    n->prop = prop->prop;
    n->a = parse_or(p);
    if (!n->a) return NULL;
    if (p->tok.kind != T_RPAREN) return fail_tok(p, "expected ')' to close any()");
    p->var = NULL;
    next(p);
    p->depth--;
    return n;
}

static filter_node *literal(parser *p, edm_literal kind, const char *text, size_t len)
{
    filter_node *n = node(p, F_LITERAL, p->tok.start);
    n->lit = kind;
    n->text = text;
    n->len = len;
    return n;
}

static filter_node *parse_primary(parser *p)
{
    token *t = &p->tok;
    filter_node *n = NULL;
    switch (t->kind) {
    case T_LPAREN: {
        if (!enter(p)) return NULL;
        next(p);
        n = parse_or(p);
        if (!n) return NULL;
        if (p->tok.kind != T_RPAREN) return fail_tok(p, "expected ')'");
        next(p);
        p->depth--;
        return n;
    }
    case T_STRING: n = literal(p, LIT_STRING, t->text, t->text_len); break;
    case T_NUMBER: n = literal(p, LIT_NUMBER, p->s + t->start, t->len); break;
    case T_DATETIME: n = literal(p, LIT_DATETIME, p->s + t->start, t->len); break;
    case T_GUID: n = literal(p, LIT_GUID, p->s + t->start, t->len); break;
    case T_ENUM:
        n = literal(p, LIT_ENUM, t->text, t->text_len);
        n->type_name = t->type_name;
        break;
    case T_IDENT: {
        size_t save = p->at;
        size_t off = t->start;
        const char *name = p->s + t->start;
        size_t len = t->len;
        if (is_word(p, "null")) { n = literal(p, LIT_NULL, NULL, 0); break; }
        if (is_word(p, "true") || is_word(p, "false")) {
            n = node(p, F_CONST, off);
            n->op = is_word(p, "true");
            break;
        }
        /* a name followed by '(' is a function call */
        while (save < p->n && (p->s[save] == ' ' || p->s[save] == '\t')) save++;
        if (save < p->n && p->s[save] == '(') return parse_call(p);
        if (p->var && len == p->var_len && memcmp(name, p->var, len) == 0) return parse_member(p);
        int prop = entity_property_index(p->e, name, len);
        if (prop < 0)
            return fail_at(p, off, len, arena_printf(p->a, "property '%.*s' does not exist on type '%s'",
                                                     (int)(len > 100 ? 100 : len), name, p->e->type_name));
        n = node(p, F_PROP, off);
        n->prop = prop;
        next(p);
        return p->tok.kind == T_SLASH ? parse_any(p, n) : n;
    }
    case T_END: return fail_tok(p, "an operand is missing");
    case T_BAD:
        return fail_tok(p, p->s[t->start] == '\'' ? "a string literal is not closed" : "this is not a valid token or literal");
    default: return fail_tok(p, "expected an operand");
    }
    next(p);
    return n;
}

static filter_node *parse_unary(parser *p)
{
    if (is_word(p, "not")) {
        size_t off = p->tok.start;
        if (!enter(p)) return NULL;
        next(p);
        filter_node *operand = parse_unary(p);
        if (!operand) return NULL;
        p->depth--;
        filter_node *n = node(p, F_NOT, off);
        n->a = operand;
        return n;
    }
    return parse_primary(p);
}

static int comparison(const parser *p, bool relational)
{
    static const char *const rel[] = { "gt", "ge", "lt", "le" };
    if (relational) {
        for (int i = 0; i < 4; i++)
            if (is_word(p, rel[i])) return CMP_GT + i;
        return -1;
    }
    if (is_word(p, "eq")) return CMP_EQ;
    if (is_word(p, "ne")) return CMP_NE;
    return -1;
}

static filter_node *parse_in_list(parser *p, filter_node *left, size_t off)
{
    next(p);   /* in */
    if (p->tok.kind != T_LPAREN) return fail_tok(p, "expected '(' after 'in'");
    if (!enter(p) || !count_term(p, off)) return NULL;
    next(p);
    filter_node *n = node(p, F_IN, off);
    n->a = left;
    int cap = 8;
    n->list = arena_alloc(p->a, (size_t)cap * sizeof *n->list);
    for (;;) {
        filter_node *item = parse_primary(p);
        if (!item) return NULL;
        if (item->kind != F_LITERAL) return fail_node(p, item, "the items of 'in' must be literals");
        if (n->nlist == FILTER_MAX_TERMS) return fail_node(p, item, "the 'in' list has more than 500 items");
        if (n->nlist == cap) {
            filter_node **grown = arena_alloc(p->a, (size_t)cap * 2 * sizeof *grown);
            memcpy(grown, n->list, (size_t)cap * sizeof *grown);
            n->list = grown;
            cap *= 2;
        }
        n->list[n->nlist++] = item;
        if (p->tok.kind == T_COMMA) { next(p); continue; }
        if (p->tok.kind == T_RPAREN) break;
        return fail_tok(p, "expected ',' or ')' in the 'in' list");
    }
    next(p);
    p->depth--;
    return n;
}

static filter_node *binary(parser *p, filter_kind kind, int op, size_t off, filter_node *a, filter_node *b)
{
    if (!a || !b) return NULL;
    filter_node *n = node(p, kind, off);
    n->op = op;
    n->a = a;
    n->b = b;
    return n;
}

/* One precedence level of comparisons (gt ge lt le and in, or eq ne), left-associative, over the
 * next tighter level. */
static filter_node *parse_comparisons(parser *p, bool relational, filter_node *(*operand)(parser *))
{
    filter_node *left = operand(p);
    while (left) {
        size_t off = p->tok.start;
        if (relational && is_word(p, "in")) {
            left = parse_in_list(p, left, off);
            continue;
        }
        int op = comparison(p, relational);
        if (op < 0) return left;
        if (!count_term(p, off)) return NULL;
        next(p);
        left = binary(p, F_CMP, op, off, left, operand(p));
    }
    return NULL;
}

static filter_node *parse_relational(parser *p) { return parse_comparisons(p, true, parse_unary); }
static filter_node *parse_equality(parser *p) { return parse_comparisons(p, false, parse_relational); }

static filter_node *parse_binary(parser *p, const char *word, filter_kind kind, filter_node *(*operand)(parser *))
{
    filter_node *left = operand(p);
    while (left && is_word(p, word)) {
        size_t off = p->tok.start;
        next(p);
        left = binary(p, kind, 0, off, left, operand(p));
    }
    return left;
}

static filter_node *parse_and(parser *p) { return parse_binary(p, "and", F_AND, parse_equality); }
static filter_node *parse_or(parser *p) { return parse_binary(p, "or", F_OR, parse_and); }

/* ---- checks against the entity table --------------------------------------------------------- */

static bool is_boolean(const filter_node *n)
{
    return n->kind <= F_CONST;
}

static bool is_property_expr(const filter_node *n)
{
    return n->kind == F_PROP || n->kind == F_CASE;
}

const filter_node *filter_property_node(const filter_node *n)
{
    while (n->kind == F_CASE) n = n->a;
    return n;
}

static const property *property_of(const parser *p, const filter_node *n)
{
    return &p->e->props[filter_property_node(n)->prop];
}

/* The literal fits the property expression it is compared with (the EDM table says how). */
static bool check_literal(parser *p, const filter_node *target, filter_node *lit)
{
    const property *prop = property_of(p, target);
    if (lit->lit == LIT_NULL) return true;
    const char *expects = target->kind == F_CASE ? (lit->lit == LIT_STRING ? NULL : "a string")
                                                 : edm_info(prop->type)->literal(prop, lit->lit, lit->type_name, lit->text, lit->len);
    if (!expects) {
        lit->text = arena_strndup(p->a, lit->text, lit->len);
        return true;
    }
    fail_node(p, lit, arena_printf(p->a, "the literal does not fit property '%s', which expects %s", prop->name,
                                   arena_printf(p->a, expects, edm_type_name(prop))));
    return false;
}

static bool check(parser *p, filter_node *n);

static bool check_property_expr(parser *p, filter_node *n)
{
    if (n->kind == F_CASE) {
        if (!is_property_expr(n->a)) return fail_node(p, n, "tolower and toupper take a property"), false;
        if (!check_property_expr(p, n->a)) return false;
        const property *prop = property_of(p, n->a);
        if (prop->type != EDM_STRING || (prop->flags & PROP_KEY))
            return fail_node(p, n, arena_printf(p->a, "tolower and toupper take a string property; '%s' is %s",
                                                prop->name, prop->type == EDM_ENUM ? prop->enumeration->name : "not a string")),
                   false;
        return true;
    }
    const property *prop = &p->e->props[n->prop];
    if (!(prop->flags & PROP_FILTERABLE))
        return fail_node(p, n, arena_printf(p->a, "property '%s' cannot be used in $filter", prop->name)), false;
    return true;
}

static const int mirrored[] = { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

static bool check(parser *p, filter_node *n)
{
    switch (n->kind) {
    case F_OR:
    case F_AND:
        if (!is_boolean(n->a) || !is_boolean(n->b))
            return fail_node(p, is_boolean(n->a) ? n->b : n->a, "'and' and 'or' take boolean operands"), false;
        return check(p, n->a) && check(p, n->b);
    case F_NOT:
        if (!is_boolean(n->a))
            return fail_node(p, n, "'not' takes a boolean operand; write not (p eq 'x')"), false;
        return check(p, n->a);
    case F_CMP:
        if (n->a->kind == F_NOT)   /* not binds tighter: "not p eq 'x'" is (not p) eq 'x' */
            return fail_node(p, n->a, "'not' takes a boolean operand; write not (p eq 'x')"), false;
        if (is_boolean(n->a) || is_boolean(n->b))
            return fail_node(p, n, "a comparison takes a property and a literal, not a boolean"), false;
        if (n->a->kind == F_LITERAL && is_property_expr(n->b)) {   /* 'x' eq p reads as p eq 'x' */
            filter_node *t = n->a;
            n->a = n->b;
            n->b = t;
            n->op = mirrored[n->op];
        }
        if (!is_property_expr(n->a) || n->b->kind != F_LITERAL)
            return fail_node(p, n, "a comparison takes a property on one side and a literal on the other"), false;
        return check_property_expr(p, n->a) && check_literal(p, n->a, n->b);
    case F_IN:
        if (!is_property_expr(n->a)) return fail_node(p, n, "'in' takes a property on its left"), false;
        if (!check_property_expr(p, n->a)) return false;
        for (int i = 0; i < n->nlist; i++) {
            if (n->list[i]->lit == LIT_NULL) return fail_node(p, n->list[i], "'in' takes no null; use p eq null"), false;
            if (!check_literal(p, n->a, n->list[i])) return false;
        }
        return true;
    case F_MATCH:
        if (!is_property_expr(n->a) || !check_property_expr(p, n->a)) {
            if (!p->message) fail_node(p, n, "the function's first argument must be a string property");
            return false;
        }
        {
            const property *prop = property_of(p, n->a);
            if (prop->type != EDM_STRING)
                return fail_node(p, n, arena_printf(p->a, "the function takes a string property; '%s' is %s", prop->name,
                                                    edm_type_name(prop))),
                       false;
        }
        if (n->b->kind != F_LITERAL || n->b->lit != LIT_STRING)
            return fail_node(p, n, "the function's second argument must be a string literal"), false;
        return true;
    case F_ANY: {
        const property *prop = &p->e->props[n->prop];
        if (!(prop->flags & PROP_FILTERABLE))
            return fail_node(p, n, arena_printf(p->a, "property '%s' cannot be used in $filter", prop->name)), false;
        filter_node *c = n->a;
        if (c->kind == F_CMP && c->a->kind == F_LITERAL && c->b->kind == F_MEMBER) {   /* 'x' eq r/m */
            filter_node *t = c->a;
            c->a = c->b;
            c->b = t;
        }
        if (c->kind != F_CMP || c->op != CMP_EQ || c->a->kind != F_MEMBER || c->b->kind != F_LITERAL ||
            !prop->complex->members[c->a->prop].column)
            return fail_node(p, c, arena_printf(p->a, "inside any(), compare the member resourceId of %s with eq, "
                                                      "as in r/resourceId eq '...'", prop->complex->name)), false;
        if (c->b->lit != LIT_STRING && c->b->lit != LIT_GUID)
            return fail_node(p, c->b, "the literal inside any() must be a string"), false;
        c->b->text = arena_strndup(p->a, c->b->text, c->b->len);
        return true;
    }
    case F_CONST:
        return true;
    default:
        return fail_node(p, n, "the expression must be a condition (a comparison or a function such as startswith)"), false;
    }
}

filter_node *filter_parse(arena *a, const entity *e, const char *expr, size_t len, const char **message)
{
    parser p = { .a = a, .e = e, .s = expr, .n = len };
    *message = NULL;
    if (!value_utf8_valid(expr, len) || memchr(expr, '\0', len)) {
        *message = "Invalid $filter: the expression is not valid UTF-8.";
        return NULL;
    }
    next(&p);
    filter_node *root = p.tok.kind == T_END ? fail_tok(&p, "the expression is empty") : parse_or(&p);
    if (root && p.tok.kind != T_END) root = fail_tok(&p, "unexpected token (an operator such as 'eq' or 'and' was expected)");
    if (root && !check(&p, root)) root = NULL;
    if (!root) *message = p.message ? p.message : "Invalid $filter.";
    return root;
}
