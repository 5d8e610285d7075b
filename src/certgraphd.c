/* certgraphd: the FastCGI worker pool behind nginx. */
#include <fcgiapp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "prefork.h"
#include "service.h"

int main(int argc, char **argv)
{
    log_set_component("master");
    char err[4096];
    config probe;
    config_status st = config_load(&probe, argc, argv, err, sizeof err);
    bool check_only = probe.check_only;
    config_free(&probe);
    if (st == CONFIG_HELP) {
        fputs(err, stdout);
        return 0;
    }
    if (check_only) {
        /* --check-config: everything a start reads, read and checked; nothing started */
        service svc;
        if (!service_load(&svc, argc, argv, true, err, sizeof err)) {
            fprintf(stderr, "certgraphd: configuration refused: %s\n", err);
            return 2;
        }
        config_print(&svc.cfg, stdout);
        service_release(&svc);
        return 0;
    }
    service svc;
    if (!service_load(&svc, argc, argv, false, err, sizeof err)) {
        log_event(LOG_ERROR, "start_failed", "error", err, NULL);
        return 2;
    }
    service_use(&svc);
    /* counters shared by every worker of this node, for the life of the master (reloads too) */
    metrics *m = metrics_new();
    if (!m) {
        log_event(LOG_ERROR, "start_failed", "error", "cannot map the metrics' shared memory", NULL);
        return 1;
    }
    metrics_attach(m);
    if (FCGX_Init() != 0) {
        log_event(LOG_ERROR, "start_failed", "error", "FCGX_Init failed", NULL);
        return 1;
    }
    const char *listen = svc.cfg.listen;
    bool is_unix = strchr(listen, '/') != NULL || strchr(listen, ':') == NULL;
    int fd = FCGX_OpenSocket(listen, 1024);
    if (fd < 0) {
        log_event(LOG_ERROR, "start_failed", "error", "cannot listen", "listen", listen, NULL);
        return 1;
    }
    int rc = prefork_run(&svc, fd);
    close(fd);
    if (is_unix) unlink(svc.cfg.listen);
    service_release(&svc);
    metrics_free(m);
    return rc;
}
