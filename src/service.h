/* What the master holds for its workers and replaces on SIGHUP: the configuration, the token keys,
 * the paging secret, the metrics token, the database password and the throttle's shared pages. Loaded all or nothing, so a
 * reload that fails anywhere leaves the running service as it was. */
#ifndef CERTGRAPH_SERVICE_H
#define CERTGRAPH_SERVICE_H
#include <stdbool.h>
#include "auth.h"
#include "config.h"
#include "health.h"
#include "skiptoken.h"
#include "throttle.h"

typedef struct service {
    config cfg;
    auth_config *auth;
    throttle *throttle;                 /* NULL: throttling off */
    unsigned char skiptoken_secret[SKIPTOKEN_SECRET_MAX];
    size_t skiptoken_secret_len;
    unsigned char metrics_token[HEALTH_TOKEN_DIGEST_LEN];
    bool has_metrics_token;
    char db_password[256];              /* from db_password_file; "" when none */
    int argc;                           /* what the configuration is read from again */
    char **argv;
} service;

/* Reads everything into s; false with a message in err and nothing left allocated. checking
 * (--check-config): a paging secret that does not exist yet is not made. */
bool service_load(service *s, int argc, char **argv, bool checking, char *err, size_t errlen);
/* Makes s what this process and the workers it forks from now on serve with. */
void service_use(service *s);
void service_release(service *s);

/* SIGHUP: loads the configuration again into next; refuses what a running pool cannot change
 * (the listening socket). False with a message, next then left empty. With unchanged budgets the
 * throttle's pages move from current to next. */
bool service_reload(service *current, service *next, char *err, size_t errlen);
#endif
