/* GET /{version}/$metadata: the OData CSDL 4.0 document of what that version serves, generated from
 * the entity and EDM tables (no hand-written copy of the model exists). Each parent segment
 * (deviceAppManagement, deviceManagement) is a singleton whose contained navigation properties are
 * the collections and singletons below it, as in Graph's own model. */
#include <string.h>

#include "call.h"
#include "edm.h"

static unsigned version_bit(const call *c)
{
    return strcmp(c->rt.version, "v1.0") == 0 ? VERSION_V1 : VERSION_BETA;
}

/* The short name of a qualified one: microsoft.graph.certificateStatus -> certificateStatus. */
static const char *short_name(const char *qualified)
{
    const char *dot = strrchr(qualified, '.');
    return dot ? dot + 1 : qualified;
}

/* Names come from the tables, but the document is XML all the same. */
static void add_xml(strbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': sb_adds(b, "&amp;"); break;
        case '<': sb_adds(b, "&lt;"); break;
        case '>': sb_adds(b, "&gt;"); break;
        case '"': sb_adds(b, "&quot;"); break;
        default: sb_addc(b, *s);
        }
    }
}

static void attr(strbuf *b, const char *name, const char *value)
{
    sb_printf(b, " %s=\"", name);
    add_xml(b, value);
    sb_addc(b, '"');
}

static bool served(const entity *e, unsigned version)
{
    return (e->versions & version) != 0;
}

/* The first served entity under parent, so each parent and enum is written once. */
static bool first_with_parent(int i, unsigned version)
{
    for (int k = 0; k < i; k++)
        if (served(certgraph_entities[k], version) &&
            strcmp(certgraph_entities[k]->parent_segment, certgraph_entities[i]->parent_segment) == 0)
            return false;
    return true;
}

/* Each enumeration a served property uses, once. */
static void enum_types(strbuf *b, unsigned version)
{
    const edm_enum *written[ENTITY_MAX_PROPERTIES];
    int nwritten = 0;
    for (int i = 0; certgraph_entities[i]; i++) {
        const entity *e = certgraph_entities[i];
        if (!served(e, version)) continue;
        for (int j = 0; j < e->nprops; j++) {
            const edm_enum *en = e->props[j].enumeration;
            bool seen = false;
            for (int k = 0; k < nwritten; k++) seen = seen || written[k] == en;
            if (!en || seen || nwritten == ENTITY_MAX_PROPERTIES) continue;
            written[nwritten++] = en;
            sb_adds(b, "<EnumType");
            attr(b, "Name", short_name(en->name));
            sb_adds(b, ">");
            for (int m = 0; en->members[m]; m++) {
                sb_adds(b, "<Member");
                attr(b, "Name", en->members[m]);
                sb_printf(b, " Value=\"%d\"/>", m);
            }
            sb_adds(b, "</EnumType>");
        }
    }
}

/* The complex types (the audit trail's actor and resources; both versions serve it). */
static void complex_types(strbuf *b)
{
    for (int i = 0; certgraph_complex_types[i]; i++) {
        const complex_type *t = certgraph_complex_types[i];
        sb_adds(b, "<ComplexType");
        attr(b, "Name", short_name(t->name));
        sb_adds(b, ">");
        for (int m = 0; m < t->nmembers; m++) {
            sb_adds(b, "<Property");
            attr(b, "Name", t->members[m].name);
            attr(b, "Type", t->members[m].type);
            sb_adds(b, "/>");
        }
        sb_adds(b, "</ComplexType>");
    }
}

static void entity_type(strbuf *b, const entity *e)
{
    sb_adds(b, "<EntityType");
    attr(b, "Name", short_name(e->type_name));
    sb_adds(b, "><Key>");
    for (int j = 0; j < e->nprops; j++) {
        if (!(e->props[j].flags & PROP_KEY)) continue;
        sb_adds(b, "<PropertyRef");
        attr(b, "Name", e->props[j].name);
        sb_adds(b, "/>");
    }
    sb_adds(b, "</Key>");
    for (int j = 0; j < e->nprops; j++) {
        const property *p = &e->props[j];
        if (!property_served(p)) continue;
        sb_adds(b, "<Property");
        attr(b, "Name", p->name);
        attr(b, "Type", edm_type_name(p));
        if (!(p->flags & PROP_NULLABLE)) sb_adds(b, " Nullable=\"false\"");
        sb_adds(b, "/>");
    }
    sb_adds(b, "</EntityType>");
}

/* deviceAppManagement and friends: a key, and the contained sets and singletons of this version. */
static void parent_type(strbuf *b, const char *parent, unsigned version)
{
    sb_adds(b, "<EntityType");
    attr(b, "Name", parent);
    sb_adds(b, "><Key><PropertyRef Name=\"id\"/></Key><Property Name=\"id\" Type=\"Edm.String\" Nullable=\"false\"/>");
    for (int i = 0; certgraph_entities[i]; i++) {
        const entity *e = certgraph_entities[i];
        if (!served(e, version) || strcmp(e->parent_segment, parent) != 0) continue;
        sb_adds(b, "<NavigationProperty");
        attr(b, "Name", e->segment);
        sb_adds(b, " Type=\"");
        if (!e->singleton) sb_adds(b, "Collection(");
        add_xml(b, e->type_name);
        if (!e->singleton) sb_adds(b, ")");
        sb_adds(b, "\"");
        if (e->singleton) sb_adds(b, " Nullable=\"false\"");
        sb_adds(b, " ContainsTarget=\"true\"/>");
    }
    sb_adds(b, "</EntityType>");
}

void op_metadata(call *c)
{
    unsigned version = version_bit(c);
    strbuf *b = &c->rs->body;
    sb_adds(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
               "<edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">"
               "<edmx:DataServices><Schema Namespace=\"microsoft.graph\" Alias=\"graph\" "
               "xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">");
    enum_types(b, version);
    complex_types(b);
    for (int i = 0; certgraph_entities[i]; i++)
        if (served(certgraph_entities[i], version)) entity_type(b, certgraph_entities[i]);
    for (int i = 0; certgraph_entities[i]; i++)
        if (served(certgraph_entities[i], version) && first_with_parent(i, version))
            parent_type(b, certgraph_entities[i]->parent_segment, version);
    sb_adds(b, "<EntityContainer Name=\"GraphService\">");
    for (int i = 0; certgraph_entities[i]; i++) {
        const entity *e = certgraph_entities[i];
        if (!served(e, version) || !first_with_parent(i, version)) continue;
        sb_adds(b, "<Singleton");
        attr(b, "Name", e->parent_segment);
        sb_adds(b, " Type=\"microsoft.graph.");
        add_xml(b, e->parent_segment);
        sb_adds(b, "\"/>");
    }
    sb_adds(b, "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>");
    c->rs->status = 200;
    c->rs->content_type = "application/xml";
}
