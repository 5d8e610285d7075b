/* certgraphd: the FastCGI worker pool behind nginx. */
#include <fcgiapp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "prefork.h"
#include "skiptoken.h"

int main(int argc, char **argv)
{
    config cfg;
    char err[2048];
    if (config_load(&cfg, argc, argv, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return strstr(err, "usage:") == err ? 0 : 2;
    }
    /* Keys are loaded once, before forking: a bad key file stops the start, not each request. */
    auth_config *auth = auth_config_load(&cfg.auth, err, sizeof err);
    if (!auth) {
        fprintf(stderr, "certgraphd: token keys: %s\n", err);
        return 2;
    }
    /* The paging secret too: every worker signs and checks nextLinks with the same one. */
    if (!skiptoken_load_secret(cfg.skiptoken_key, err, sizeof err)) {
        fprintf(stderr, "certgraphd: skiptoken key: %s\n", err);
        return 2;
    }
    if (FCGX_Init() != 0) {
        fprintf(stderr, "certgraphd: FCGX_Init failed\n");
        return 1;
    }
    bool is_unix = strchr(cfg.listen, '/') != NULL || strchr(cfg.listen, ':') == NULL;
    int fd = FCGX_OpenSocket(cfg.listen, 1024);
    if (fd < 0) {
        fprintf(stderr, "certgraphd: cannot listen on %s\n", cfg.listen);
        return 1;
    }
    int rc = prefork_run(&cfg, auth, fd);
    close(fd);
    if (is_unix) unlink(cfg.listen);
    auth_config_free(auth);
    return rc;
}
