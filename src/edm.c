#include "edm.h"

#include <string.h>

#include "values.h"

static bool string_valid(const property *p, const char *s, size_t n) { (void)p; (void)s; (void)n; return true; }
static bool binary_valid(const property *p, const char *s, size_t n) { (void)p; return value_base64_valid(s, n); }
static bool datetime_valid(const property *p, const char *s, size_t n) { (void)p; return value_datetime_valid(s, n); }
static bool int32_valid(const property *p, const char *s, size_t n) { (void)p; return value_int32_valid(s, n); }
static bool guid_valid(const property *p, const char *s, size_t n) { (void)p; return value_uuid_valid(s, n); }
/* Complex values are written by the service (the audit trail), never taken from a body. */
static bool complex_valid(const property *p, const char *s, size_t n) { (void)p; (void)s; (void)n; return false; }
static bool enum_valid(const property *p, const char *s, size_t n) { return value_enum_member(p->enumeration, s, n) >= 0; }

static bool boolean_valid(const property *p, const char *s, size_t n)
{
    (void)p;
    return (n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0);
}

static void render_string(json_writer *w, const char *text) { json_string(w, text); }
/* PostgreSQL's text for a boolean is t or f */
static void render_boolean(json_writer *w, const char *text) { json_bool(w, text[0] == 't'); }
static void render_number(json_writer *w, const char *text) { json_number(w, text); }

/* Stored as jsonb, which PostgreSQL gives back as JSON text. */
static void render_json(json_writer *w, const char *text) { json_raw(w, text, strlen(text)); }

static const char *plain_boolean(arena *a, const char *text) { (void)a; return text[0] == 't' ? "true" : "false"; }

static const char *plain_datetime(arena *a, const char *text)
{
    char iso[64];
    value_timestamp_to_odata(text, iso, sizeof iso);
    return arena_strdup(a, iso);
}

static void render_datetime(json_writer *w, const char *text)
{
    char iso[64];
    value_timestamp_to_odata(text, iso, sizeof iso);
    json_string(w, iso);
}

/* $filter literals. The key is a UUID however it is written ('…' or a bare GUID). */
static const char *string_literal(const property *p, edm_literal form, const char *type_name, const char *s, size_t n)
{
    (void)type_name;
    if (p->flags & PROP_KEY) return (form == LIT_STRING || form == LIT_GUID) && value_uuid_valid(s, n) ? NULL : "an id (a GUID)";
    return form == LIT_STRING || form == LIT_GUID ? NULL : "a string";
}

static const char *binary_literal(const property *p, edm_literal form, const char *type_name, const char *s, size_t n)
{
    (void)p; (void)form; (void)type_name; (void)s; (void)n;
    return "nothing: %s cannot be compared";
}

static const char *datetime_literal(const property *p, edm_literal form, const char *type_name, const char *s, size_t n)
{
    (void)p; (void)type_name;
    return (form == LIT_DATETIME || form == LIT_STRING) && value_datetime_valid(s, n) ? NULL
                                                                                  : "an %s such as 2026-11-24T16:30:00Z";
}

static const char *int32_literal(const property *p, edm_literal form, const char *type_name, const char *s, size_t n)
{
    (void)p; (void)type_name;
    return form == LIT_NUMBER && value_int32_valid(s, n) ? NULL : "an %s number";
}

static const char *enum_literal(const property *p, edm_literal form, const char *type_name, const char *s, size_t n)
{
    const edm_enum *en = p->enumeration;
    bool named = form == LIT_STRING || (form == LIT_ENUM && strcmp(type_name, en->name) == 0);
    return named && value_enum_member(en, s, n) >= 0 ? NULL : "a member of %s";
}

static const char *guid_literal(const property *p, edm_literal form, const char *type_name, const char *s, size_t n)
{
    (void)p; (void)type_name;
    return (form == LIT_GUID || form == LIT_STRING) && value_uuid_valid(s, n) ? NULL : "an %s such as 01234567-89ab-cdef-0123-456789abcdef";
}

static const char *complex_literal(const property *p, edm_literal form, const char *type_name, const char *s, size_t n)
{
    (void)p; (void)form; (void)type_name; (void)s; (void)n;
    return "nothing: %s is compared through any(), e.g. resources/any(r: r/resourceId eq '...')";
}

static const char *boolean_literal(const property *p, edm_literal form, const char *type_name, const char *s, size_t n)
{
    (void)p; (void)form; (void)type_name; (void)s; (void)n;
    return "nothing: %s properties are not filtered yet";
}

/* Indexed by edm_type. */
static const edm_type_info types[] = {
    { EDM_STRING, "Edm.String", "text", "%s", "%s", JSON_STRING, NULL, string_valid, "is not a valid %s.", render_string,
      string_literal, NULL },
    /* PostgreSQL wraps base64 at 76 characters; JSON wants one line. */
    { EDM_BINARY, "Edm.Binary", "text", "translate(encode(%s, 'base64'), E'\\n', '')", "decode(%s, 'base64')",
      JSON_STRING, NULL, binary_valid, "is not valid base64 (%s).", render_string,
      binary_literal, NULL },
    { EDM_DATETIMEOFFSET, "Edm.DateTimeOffset", "timestamptz", "%s", "%s", JSON_STRING,
      "0001-01-01 00:00:00+00" /* Graph's "never set" */, datetime_valid,
      "is not a valid %s; use ISO 8601 with Z or an offset, e.g. 2026-11-24T16:30:00Z.", render_datetime,
      datetime_literal, plain_datetime },
    { EDM_INT32, "Edm.Int32", "integer", "%s", "%s", JSON_NUMBER, "0", int32_valid, "is not a valid %s.", render_number,
      int32_literal, NULL },
    /* An enum names and casts to its own enumeration; its default is the first member. */
    { EDM_ENUM, NULL, NULL, "%s", "%s", JSON_STRING, NULL, enum_valid, "is not a member of %s.", render_string,
      enum_literal, NULL },
    { EDM_BOOLEAN, "Edm.Boolean", "boolean", "%s", "%s", JSON_BOOLEAN, "false", boolean_valid, "is not a valid %s.",
      render_boolean, boolean_literal, plain_boolean },
    { EDM_GUID, "Edm.Guid", "uuid", "%s", "%s", JSON_STRING, NULL, guid_valid, "is not a valid %s.", render_string,
      guid_literal, NULL },
    /* A complex property names its own type; the JSON is the service's, so it is served as stored. */
    { EDM_COMPLEX, NULL, "jsonb", "%s", "%s", JSON_STRUCTURED, NULL, complex_valid, "cannot be set (%s).", render_json,
      complex_literal, NULL },
};

const edm_type_info *edm_info(edm_type t)
{
    return &types[t];
}

const char *edm_type_name(const property *p)
{
    if (p->type == EDM_COMPLEX) return p->flags & PROP_COLLECTION ? p->complex->collection_name : p->complex->name;
    return p->type == EDM_ENUM ? p->enumeration->name : types[p->type].odata_name;
}

const char *edm_sql_cast(const property *p)
{
    if (p->flags & PROP_KEY) return "uuid";   /* every key is a server-made UUID */
    return p->type == EDM_ENUM ? p->enumeration->sql_type : types[p->type].sql_cast;
}

const char *edm_plain(arena *a, const property *p, const char *text)
{
    const edm_type_info *t = &types[p->type];
    return text && t->plain ? t->plain(a, text) : text;
}
