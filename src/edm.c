#include "edm.h"

#include "values.h"

static bool string_valid(const property *p, const char *s, size_t n) { (void)p; (void)s; (void)n; return true; }
static bool binary_valid(const property *p, const char *s, size_t n) { (void)p; return value_base64_valid(s, n); }
static bool datetime_valid(const property *p, const char *s, size_t n) { (void)p; return value_datetime_valid(s, n); }
static bool int32_valid(const property *p, const char *s, size_t n) { (void)p; return value_int32_valid(s, n); }
static bool enum_valid(const property *p, const char *s, size_t n) { return value_enum_member(p->enumeration, s, n) >= 0; }

static void render_string(json_writer *w, const char *text) { json_string(w, text); }
static void render_number(json_writer *w, const char *text) { json_number(w, text); }

static void render_datetime(json_writer *w, const char *text)
{
    char iso[64];
    value_timestamp_to_odata(text, iso, sizeof iso);
    json_string(w, iso);
}

/* Indexed by edm_type. */
static const edm_type_info types[] = {
    { EDM_STRING, "Edm.String", "text", "%s", "%s", false, NULL, string_valid, "is not a valid %s.", render_string },
    /* PostgreSQL wraps base64 at 76 characters; JSON wants one line. */
    { EDM_BINARY, "Edm.Binary", "text", "translate(encode(%s, 'base64'), E'\\n', '')", "decode(%s, 'base64')",
      false, NULL, binary_valid, "is not valid base64 (%s).", render_string },
    { EDM_DATETIMEOFFSET, "Edm.DateTimeOffset", "timestamptz", "%s", "%s", false,
      "0001-01-01 00:00:00+00" /* Graph's "never set" */, datetime_valid,
      "is not a valid %s; use ISO 8601 with Z or an offset, e.g. 2026-11-24T16:30:00Z.", render_datetime },
    { EDM_INT32, "Edm.Int32", "integer", "%s", "%s", true, "0", int32_valid, "is not a valid %s.", render_number },
    /* An enum names and casts to its own enumeration; its default is the first member. */
    { EDM_ENUM, NULL, NULL, "%s", "%s", false, NULL, enum_valid, "is not a member of %s.", render_string },
};

const edm_type_info *edm_info(edm_type t)
{
    return &types[t];
}

const char *edm_type_name(const property *p)
{
    return p->type == EDM_ENUM ? p->enumeration->name : types[p->type].odata_name;
}

const char *edm_sql_cast(const property *p)
{
    if (p->flags & PROP_KEY) return "uuid";   /* every key is a server-made UUID */
    return p->type == EDM_ENUM ? p->enumeration->sql_type : types[p->type].sql_cast;
}
