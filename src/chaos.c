#include "chaos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "values.h"

/* The next comma-separated item of v[0..*n): its length, v and *n moved past it and its comma. */
static size_t next_item(const char **v, size_t *n, const char **item)
{
    size_t len = strcspn(*v, ",");
    if (len > *n) len = *n;
    *item = *v;
    *v += len, *n -= len;
    if (*n > 0) ++*v, --*n;
    return len;
}

static bool parse_statuses(chaos *c, const char *v, size_t n)
{
    c->nstatuses = 0;
    while (n > 0) {
        const char *item;
        size_t len = next_item(&v, &n, &item);
        int s = len == 3 ? atoi(item) : 0;
        if ((s != 429 && s != 503 && s != 504) || c->nstatuses == CHAOS_MAX_STATUSES) return false;
        c->statuses[c->nstatuses++] = s;
    }
    return c->nstatuses > 0;
}

static bool parse_tenants(chaos *c, const char *v, size_t n)
{
    c->ntenants = 0;
    if ((n == 3 && strncmp(v, "all", 3) == 0) || (n == 1 && *v == '*')) return true;
    while (n > 0) {
        const char *item;
        size_t len = next_item(&v, &n, &item);
        if (c->ntenants == CHAOS_MAX_TENANTS || !value_uuid_lower(item, len, c->tenants[c->ntenants])) return false;
        c->ntenants++;
    }
    return c->ntenants > 0;
}

bool chaos_parse(chaos *c, const char *spec, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->statuses[0] = 429;
    c->nstatuses = 1;
    c->retry_after = 1;
    bool have_rate = false;
    for (const char *p = spec; *p;) {
        while (*p == ' ') p++;
        if (!*p) break;
        size_t len = strcspn(p, " ");
        const char *eq = memchr(p, '=', len);
        if (!eq) goto bad;
        size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
        const char *v = eq + 1;
        char num[32];
        snprintf(num, sizeof num, "%.*s", (int)(vlen < sizeof num ? vlen : sizeof num - 1), v);
        char *end;
        if (klen == 4 && strncmp(p, "rate", 4) == 0) {
            c->rate = strtod(num, &end);
            if (!vlen || *end || !(c->rate >= 0 && c->rate <= 1)) goto bad;
            have_rate = true;
        } else if (klen == 6 && strncmp(p, "status", 6) == 0) {
            if (!parse_statuses(c, v, vlen)) goto bad;
        } else if (klen == 7 && strncmp(p, "tenants", 7) == 0) {
            if (!parse_tenants(c, v, vlen)) goto bad;
        } else if (klen == 11 && strncmp(p, "retry-after", 11) == 0) {
            long s = strtol(num, &end, 10);
            if (!vlen || *end || s < 1 || s > 3600) goto bad;
            c->retry_after = (int)s;
        } else {
            goto bad;
        }
        p += len;
    }
    if (!have_rate) {
        snprintf(err, errlen, "CERTGRAPH_CHAOS needs rate=0..1, e.g. \"rate=0.3 status=429,503 tenants=all\"");
        return false;
    }
    return true;
bad:
    snprintf(err, errlen, "CERTGRAPH_CHAOS: not understood: %.200s (rate=0..1 status=429,503,504 "
                          "tenants=all|GUID,... retry-after=SECONDS)", spec);
    return false;
}

int chaos_pick(const chaos *c, const char *tenant, double draw)
{
    if (c->rate <= 0 || draw >= c->rate) return 0;
    if (c->ntenants) {
        char lower[37];
        if (!value_uuid_lower(tenant, strlen(tenant), lower)) return 0;
        int i = 0;
        while (i < c->ntenants && strcmp(c->tenants[i], lower) != 0) i++;
        if (i == c->ntenants) return 0;
    }
    /* the same draw, rescaled, picks the status: one random number per request */
    int k = (int)(draw / c->rate * c->nstatuses);
    return c->statuses[k < c->nstatuses ? k : c->nstatuses - 1];
}
