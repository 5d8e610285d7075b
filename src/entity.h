/* One table per Graph entity drives JSON reading and writing, validation, SQL and routing.
 * A new entity is a table in src/entities/ plus a migration, not new handler code. */
#ifndef CERTGRAPH_ENTITY_H
#define CERTGRAPH_ENTITY_H
#include <stdbool.h>
#include <stddef.h>
#include "arena.h"

typedef enum edm_type {
    EDM_STRING,
    EDM_BINARY,            /* base64 in JSON, bytea in PostgreSQL */
    EDM_DATETIMEOFFSET,    /* ISO 8601 with Z or offset; timestamptz */
    EDM_INT32,
    EDM_ENUM,              /* member names; a PostgreSQL enum type */
    EDM_BOOLEAN,
    EDM_GUID,              /* uuid in PostgreSQL */
    EDM_COMPLEX,           /* a complex type (or, with PROP_COLLECTION, a collection of one): jsonb */
} edm_type;

enum {
    PROP_NULLABLE  = 1 << 0,
    PROP_READONLY  = 1 << 1,   /* ignored in bodies the way Graph ignores id */
    PROP_WRITEONLY = 1 << 2,   /* accepted, never stored or returned (reads null) */
    PROP_KEY       = 1 << 3,
    PROP_FILTERABLE = 1 << 4,
    /* Kept server-side: written by the entity's derive step, never part of the Graph type (not in
     * bodies, answers, queries or $metadata). */
    PROP_SERVER    = 1 << 5,
    PROP_COLLECTION = 1 << 6,  /* EDM_COMPLEX: a JSON array of the type */
};

/* A complex type's members, for $metadata and for $filter's any() lambda (which compares a
 * member of the collection's items). Values are stored and served as JSON. */
typedef struct complex_member {
    const char *name;
    const char *type;            /* "Edm.String", "Collection(Edm.String)", "microsoft.graph.auditProperty" */
    /* The entity's (server-side, text) column that mirrors this member of the collection's one item:
     * any(r: r/member eq 'x') compiles to column = 'x', an index lookup. NULL: not filterable. */
    const char *column;
} complex_member;

typedef struct complex_type {
    const char *name;            /* microsoft.graph.auditActor */
    const char *collection_name; /* Collection(microsoft.graph.auditActor) */
    const complex_member *members;
    int nmembers;
} complex_type;

typedef struct edm_enum {
    const char *name;            /* microsoft.graph.certificateStatus */
    const char *sql_type;        /* certificate_status */
    const char *const *members;  /* NULL-terminated; the first is the default */
} edm_enum;

typedef struct property {
    const char *name;            /* Graph name, e.g. certificateRevokeStatus */
    const char *column;          /* SQL column, NULL for write-only properties */
    edm_type type;
    unsigned flags;
    const edm_enum *enumeration; /* EDM_ENUM only */
    /* Index of a property whose change stamps this one with now() unless the body sets it; -1 none. */
    int stamped_by;
    const complex_type *complex; /* EDM_COMPLEX only */
} property;

/* Part of the Graph type (not a server-side column). */
static inline bool property_served(const property *p) { return !(p->flags & PROP_SERVER); }
/* Read back from the database into answers. */
static inline bool property_read(const property *p) { return p->column && property_served(p); }

enum { VERSION_V1 = 1 << 0, VERSION_BETA = 1 << 1 };

typedef struct prop_value prop_value;

typedef struct entity {
    const char *type_name;       /* microsoft.graph.enterpriseCodeSigningCertificate */
    const char *parent_segment;  /* deviceAppManagement */
    const char *segment;         /* enterpriseCodeSigningCertificates */
    const char *table;           /* SQL table */
    bool singleton;              /* one per tenant, no key segment */
    unsigned versions;
    const char *read_scopes[5];  /* any one grants GET */
    const char *write_scopes[2]; /* any one grants POST/PATCH/DELETE */
    const property *props;
    int nprops;
    /* Run on every body before it is written (POST, PATCH): may set, override or clear values
     * (certificates fill in their derived properties). False with *message: 400. */
    bool (*derive)(arena *a, prop_value *values, const char **message);
    /* A server-side property that holds what `content` was before derive cleared it (a parsed
     * certificate's DER): an export writes it back into content, so the export is lossless. 0: none. */
    int content_kept_in;
    /* Rows are only ever added, by the service itself (the audit trail): served for reading, and
     * no statement that updates or deletes them is built. */
    bool append_only;
    /* The order of a list without $orderby: this property (0: by id alone), then id. */
    int default_order;
    bool default_order_desc;
    /* What the audit trail says of a write: the component (DeviceAppManagement), and the property
     * that names an entity (0: its id). */
    const char *audit_category;
    int audit_name_prop;
} entity;

extern const entity enterprise_code_signing_certificate_entity;
extern const entity symantec_code_signing_certificate_entity;
extern const entity managed_all_device_certificate_state_entity;
extern const entity audit_event_entity;

/* One property as it came in a body: the canonical text to store, or null. */
struct prop_value {
    bool present;
    bool is_null;
    const char *text;     /* NUL-terminated copy in the arena; NULL when is_null */
    size_t len;
};

/* Every complex type a served property uses, NULL-terminated (for $metadata). */
extern const complex_type *const certgraph_complex_types[];

/* Every served entity, NULL-terminated. */
extern const entity *const certgraph_entities[];

/* -1 when the entity's Graph type has no such property (exact, case-sensitive match as Graph's
 * JSON is; server-side columns are not found). */
int entity_property_index(const entity *e, const char *name, size_t len);
/* Number of properties read back from the database (property_read), id included. */
int entity_column_count(const entity *e);
/* The value a property takes until a body sets it, as PostgreSQL's text (NULL: null): Graph's
 * defaults of API.md §2. Key properties have none. */
const char *property_default(const property *p);
/* The entity whose Graph segment (collection or singleton name) this is, in any version; NULL. */
const entity *entity_by_segment(const char *segment);
/* The singleton's id for a tenant: stable, derived from both, lowercase 8-4-4-4-12. */
void entity_singleton_id(const entity *e, const char *tenant, char out[37]);

/* The most properties an entity may have (fixed-size index arrays are sized by it). */
#define ENTITY_MAX_PROPERTIES 64
#endif
