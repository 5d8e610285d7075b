/* certgraphd: the FastCGI worker pool behind nginx. */
#include <fcgiapp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "guard.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "prefork.h"
#include "skiptoken.h"

int main(int argc, char **argv)
{
    log_set_component("master");
    config cfg;
    char err[2048];
    if (config_load(&cfg, argc, argv, err, sizeof err) != 0) {
        if (strstr(err, "usage:") == err) {
            fprintf(stderr, "%s\n", err);
            return 0;
        }
        log_event(LOG_ERROR, "start_failed", "error", err, NULL);
        return 2;
    }
    /* Keys are loaded once, before forking: a bad key file stops the start, not each request. */
    auth_config *auth = auth_config_load(&cfg.auth, err, sizeof err);
    if (!auth) {
        log_event(LOG_ERROR, "start_failed", "what", "token keys", "error", err, NULL);
        return 2;
    }
    /* The paging secret too: every worker signs and checks nextLinks with the same one. */
    if (!skiptoken_load_secret(cfg.skiptoken_key, err, sizeof err)) {
        log_event(LOG_ERROR, "start_failed", "what", "skiptoken key", "error", err, NULL);
        return 2;
    }
    /* Shared state is mapped here, before the fork, so every worker counts into the same pages. */
    metrics *m = metrics_new();
    if (!m) {
        log_event(LOG_ERROR, "start_failed", "what", "metrics", "error", "cannot map shared memory", NULL);
        return 1;
    }
    metrics_attach(m);
    throttle *t = NULL;
    if (cfg.throttling && !(t = throttle_new(&cfg.limits, err, sizeof err))) {
        log_event(LOG_ERROR, "start_failed", "what", "throttling", "error", err, NULL);
        return 1;
    }
    guard_configure(t, &cfg.limits, cfg.chaos_on ? &cfg.chaos : NULL);
    if (cfg.metrics_token_file && !health_metrics_token_load(cfg.metrics_token_file, err, sizeof err)) {
        log_event(LOG_ERROR, "start_failed", "what", "metrics token", "error", err, NULL);
        return 2;
    }
    if (FCGX_Init() != 0) {
        log_event(LOG_ERROR, "start_failed", "what", "FastCGI", "error", "FCGX_Init failed", NULL);
        return 1;
    }
    bool is_unix = strchr(cfg.listen, '/') != NULL || strchr(cfg.listen, ':') == NULL;
    int fd = FCGX_OpenSocket(cfg.listen, 1024);
    if (fd < 0) {
        log_event(LOG_ERROR, "start_failed", "what", "listen", "listen", cfg.listen, NULL);
        return 1;
    }
    int rc = prefork_run(&cfg, auth, fd);
    close(fd);
    if (is_unix) unlink(cfg.listen);
    auth_config_free(auth);
    throttle_free(t);
    metrics_free(m);
    return rc;
}
