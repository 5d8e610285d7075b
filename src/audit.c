#include "audit.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "edm.h"
#include "json.h"
#include "values.h"

static const char *const operation_names[] = { "Create", "Patch", "Delete" };

/* SHA-256 hex of base64 text's bytes; NULL for null. */
static const char *digest(arena *a, const char *base64)
{
    if (!base64) return NULL;
    size_t n = 0;
    const unsigned char *bytes = value_base64_decode(a, base64, strlen(base64), &n);
    if (!bytes) {   /* never stored so: the column only holds what the body reader checked */
        bytes = (const unsigned char *)"";
        n = 0;
    }
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(bytes, n, md);
    return value_hex(a, md, sizeof md);
}

static bool same(const char *x, const char *y)
{
    return x == y || (x && y && strcmp(x, y) == 0);
}

/* A binary property's bytes as they were and are: its value, or the certificate kept for it. */
static void binary_values(const entity *e, int i, const char *const *old, const char *const *new,
                          const prop_value *body, const char **was, const char **is)
{
    int kept = e->content_kept_in;
    *was = old ? (old[i] ? old[i] : kept ? old[kept] : NULL) : NULL;
    if (!new) *is = NULL;
    else if (body && body[i].present) *is = body[i].text ? body[i].text : kept && body[kept].present ? body[kept].text : NULL;
    else *is = *was;
}

int audit_diff(arena *a, const entity *e, const char *const *old, const char *const *new, const prop_value *body,
               audit_change *out)
{
    int n = 0;
    for (int i = 0; i < e->nprops; i++) {
        const property *p = &e->props[i];
        if (!property_served(p) || (p->flags & PROP_KEY)) continue;
        audit_change c = { .name = p->name };
        if (p->flags & PROP_WRITEONLY) {
            if (!body || !body[i].present) continue;   /* a secret: named, never recorded */
        } else if (p->type == EDM_BINARY) {
            const char *was, *is;
            binary_values(e, i, old, new, body, &was, &is);
            c.old_value = digest(a, was);
            c.new_value = digest(a, is);
            if (same(c.old_value, c.new_value)) continue;
        } else {
            c.old_value = old ? edm_plain(a, p, old[i]) : NULL;
            c.new_value = new ? edm_plain(a, p, new[i]) : NULL;
            if (same(c.old_value, c.new_value)) continue;
        }
        out[n++] = c;
    }
    return n;
}

static void string_or_null(json_writer *w, const char *key, const char *value)
{
    json_key(w, key);
    if (value && *value) json_string(w, value);
    else json_null(w);
}

static const char *actor_json(arena *a, const audit_actor *who)
{
    strbuf b;
    sb_init(&b, a, 512);
    json_writer *w = json_writer_new(&b);
    const char *type = who->delegated ? "ItPro" : "Application";
    json_begin_object(w);
    string_or_null(w, "type", type);
    string_or_null(w, "auditActorType", type);
    json_key(w, "userPermissions");
    json_begin_array(w);
    for (const char *s = who->scopes ? who->scopes : ""; *s;) {
        while (*s == ' ') s++;
        size_t len = strcspn(s, " ");
        if (len) json_string_n(w, s, len);
        s += len;
    }
    json_end_array(w);
    string_or_null(w, "applicationId", who->app);
    string_or_null(w, "applicationDisplayName", who->app_display_name);
    string_or_null(w, "userPrincipalName", who->delegated ? who->upn : NULL);
    string_or_null(w, "servicePrincipalName", NULL);
    string_or_null(w, "ipAddress", who->ip);
    string_or_null(w, "userId", who->user_id);
    json_end_object(w);
    return b.data;
}

static const char *resources_json(arena *a, const char *type, const char *id, const char *name,
                                  const audit_change *changes, int nchanges)
{
    strbuf b;
    sb_init(&b, a, 1024);
    json_writer *w = json_writer_new(&b);
    json_begin_array(w);
    json_begin_object(w);
    string_or_null(w, "displayName", name && *name ? name : id);
    string_or_null(w, "type", type);
    string_or_null(w, "auditResourceType", type);
    string_or_null(w, "resourceId", id);
    json_key(w, "modifiedProperties");
    json_begin_array(w);
    for (int i = 0; i < nchanges; i++) {
        json_begin_object(w);
        string_or_null(w, "displayName", changes[i].name);
        json_key(w, "oldValue");
        if (changes[i].old_value) json_string(w, changes[i].old_value); else json_null(w);
        json_key(w, "newValue");
        if (changes[i].new_value) json_string(w, changes[i].new_value); else json_null(w);
        json_end_object(w);
    }
    json_end_array(w);
    json_end_object(w);
    json_end_array(w);
    return b.data;
}

/* EnterpriseCodeSigningCertificate: the type's short name, capitalized, as Intune writes it. */
static const char *resource_type(arena *a, const entity *e)
{
    char *t = arena_strdup(a, strrchr(e->type_name, '.') + 1);
    if (t[0] >= 'a' && t[0] <= 'z') t[0] = (char)(t[0] - 'a' + 'A');
    return t;
}

/* By name over every column of the audit entity, server-side ones too. */
static void set(arena *a, prop_value *v, const char *name, const char *text)
{
    const entity *e = &audit_event_entity;
    for (int i = 0; i < e->nprops; i++)
        if (strcmp(e->props[i].name, name) == 0) {
            v[i] = (prop_value){ .present = true, .text = arena_strdup(a, text), .len = strlen(text) };
            return;
        }
    abort();   /* a name this file and the entity table disagree on */
}

const sql_statement *audit_record(arena *a, const entity *e, const char *tenant, audit_operation op, const char *id,
                                  const char *const *old, const char *const *new, const prop_value *body,
                                  const audit_actor *actor, const char *correlation_id, const char *request_id,
                                  const char *event_id)
{
    audit_change *changes = arena_alloc(a, (size_t)e->nprops * sizeof *changes);
    int nchanges = audit_diff(a, e, old, new, body, changes);
    const char *type = resource_type(a, e);
    const char *const *row = new ? new : old;
    const char *name = row ? row[e->audit_name_prop] : NULL;
    const char *activity = arena_printf(a, "%s %s", operation_names[op], type);

    prop_value *v = arena_alloc(a, (size_t)audit_event_entity.nprops * sizeof *v);
    memset(v, 0, (size_t)audit_event_entity.nprops * sizeof *v);
    set(a, v, "displayName", activity);
    set(a, v, "activity", activity);
    set(a, v, "activityType", activity);
    set(a, v, "activityOperationType", operation_names[op]);
    set(a, v, "activityResult", "Success");
    set(a, v, "activityDateTime", value_now_odata(a));
    set(a, v, "componentName", e->audit_category);
    set(a, v, "category", e->audit_category);
    set(a, v, "correlationId", correlation_id);
    set(a, v, "actor", actor_json(a, actor));
    set(a, v, "resources", resources_json(a, type, id, name, changes, nchanges));
    set(a, v, "resourceId", id);
    set(a, v, "requestId", request_id);
    return sql_insert(a, &audit_event_entity, tenant, event_id, v);
}
