#include "service.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"
#include "secret.h"

bool service_load(service *s, int argc, char **argv, bool checking, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->argc = argc;
    s->argv = argv;
    if (config_load(&s->cfg, argc, argv, err, errlen) != CONFIG_OK) goto fail;
    /* Keys are loaded here, before forking: a bad key file stops the start, not each request. */
    if (!(s->auth = auth_config_load(&s->cfg.auth, err, errlen))) goto fail;
    /* The paging secret too: every worker signs and checks nextLinks with the same one. A check
     * leaves a missing one to the first start, which makes it. */
    if (!(checking && access(s->cfg.skiptoken_key, F_OK) != 0) &&
        !skiptoken_read_secret(s->cfg.skiptoken_key, s->skiptoken_secret, &s->skiptoken_secret_len, err, errlen))
        goto fail;
    if (s->cfg.metrics_token_file) {
        if (!health_metrics_token_read(s->cfg.metrics_token_file, s->metrics_token, err, errlen)) goto fail;
        s->has_metrics_token = true;
    }
    if (s->cfg.db_password_file &&
        !secret_read_line(s->cfg.db_password_file, "database password", 1, s->db_password, sizeof s->db_password, err,
                          errlen))
        goto fail;
    /* Mapped before the fork, so every worker counts into the same pages. */
    if (s->cfg.throttling && !(s->throttle = throttle_new(&s->cfg.limits, err, errlen))) goto fail;
    return true;
fail:
    service_release(s);
    return false;
}

void service_use(service *s)
{
    skiptoken_set_secret(s->skiptoken_secret, s->skiptoken_secret_len);
    health_metrics_token_use(s->has_metrics_token ? s->metrics_token : NULL);
    guard_configure(s->throttle, &s->cfg.limits, s->cfg.chaos_on ? &s->cfg.chaos : NULL);
}

void service_release(service *s)
{
    /* a worker forked earlier keeps its own mapping of the old throttle: this drops the master's */
    throttle_free(s->throttle);
    auth_config_free(s->auth);
    config_free(&s->cfg);
    OPENSSL_cleanse(s->skiptoken_secret, sizeof s->skiptoken_secret);
    OPENSSL_cleanse(s->db_password, sizeof s->db_password);
    memset(s, 0, sizeof *s);
}

static bool same_limits(const throttle_limits *a, const throttle_limits *b)
{
    return a->window_seconds == b->window_seconds && a->tenant_requests == b->tenant_requests &&
           a->tenant_writes == b->tenant_writes && a->app_requests == b->app_requests && a->app_writes == b->app_writes;
}

bool service_reload(service *current, service *next, char *err, size_t errlen)
{
    if (!service_load(next, current->argc, current->argv, false, err, errlen)) return false;
    if (strcmp(next->cfg.listen, current->cfg.listen) != 0) {
        snprintf(err, errlen, "listen cannot change on a reload (%s to %s): restart certgraphd", current->cfg.listen,
                 next->cfg.listen);
        service_release(next);
        return false;
    }
    /* Same budgets: the new workers count on in the same pages, so a reload does not hand every
     * tenant a fresh window. New budgets start from empty pages. */
    if (next->throttle && current->throttle && same_limits(&next->cfg.limits, &current->cfg.limits)) {
        throttle_free(next->throttle);
        next->throttle = current->throttle;
        current->throttle = NULL;
    }
    return true;
}
