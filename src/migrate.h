/* Numbered schema migrations from sql/, compiled in, applied once each and recorded. */
#ifndef CERTGRAPH_MIGRATE_H
#define CERTGRAPH_MIGRATE_H
#include <libpq-fe.h>

struct migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct migration certgraph_migrations[];   /* ends with a zero entry */

/* Applies the missing migrations in order, each in its own transaction, under an advisory lock so
 * concurrent runs are safe. Returns the number applied, or -1 with the reason printed to stderr. */
int migrate_apply(PGconn *conn, int verbose);
/* Lets the service role (made by the migrations) log in, with password when not NULL. */
int migrate_service_login(PGconn *conn, const char *password);
#endif
