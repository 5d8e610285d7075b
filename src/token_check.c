#include "token_check.h"

#include <time.h>

#include "dispatch.h"

/* nginx caches a 200 for this long at most, and never past the token's exp. */
#define TOKEN_CACHE_MAX_SECONDS 300

void handle_token_check(const request *rq, response *rs, const auth_config *cfg, const char *authorization)
{
    /* $metadata needs no token (as Graph's): let it through, tenant-less, and cache nothing, so a
     * token seen here is still checked in full when it comes for the API. */
    if (dispatch_is_public(rq->a, rq->uri ? rq->uri : "")) {
        rs->status = 200;
        response_add_header(rs, "X-Accel-Expires", "0");
        return;
    }
    auth_identity id;
    time_t now = time(NULL);
    auth_result res = auth_verify(cfg, authorization, now, &id);
    if (res != AUTH_OK) {
        rs->status = 401;
        const char *msg = auth_result_message(res);
        response_add_header(rs, "WWW-Authenticate",
                            res == AUTH_MISSING ? "Bearer realm=\"certgraph\""
                                                : arena_printf(rq->a, "Bearer realm=\"certgraph\", error=\"invalid_token\", error_description=\"%s\"", msg));
        response_add_header(rs, "X-Certgraph-Error", msg);
        response_add_header(rs, "X-Accel-Expires", "0");
        return;
    }
    long long ttl = id.exp - (long long)now;
    if (ttl > TOKEN_CACHE_MAX_SECONDS) ttl = TOKEN_CACHE_MAX_SECONDS;
    if (ttl < 0) ttl = 0;
    rs->status = 200;
    response_add_header(rs, "X-Certgraph-Tenant", arena_strdup(rq->a, id.tenant));
    response_add_header(rs, "X-Certgraph-Scopes", arena_strdup(rq->a, id.scopes));
    response_add_header(rs, "X-Certgraph-App", arena_strdup(rq->a, id.app));
    response_add_header(rs, "X-Certgraph-Oid", arena_strdup(rq->a, id.user_id));
    response_add_header(rs, "X-Certgraph-Upn", arena_strdup(rq->a, id.upn));
    response_add_header(rs, "X-Certgraph-Delegated", id.delegated ? "1" : "0");
    response_add_header(rs, "X-Accel-Expires", arena_printf(rq->a, "%lld", ttl));
}
