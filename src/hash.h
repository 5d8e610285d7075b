/* FNV-1a over a C string: a fast, non-cryptographic hash for in-memory tables (the prepared
 * statement cache, the throttle's keys). Never for anything an attacker may choose to collide on
 * where a collision costs more than a longer probe. */
#ifndef CERTGRAPH_HASH_H
#define CERTGRAPH_HASH_H

static inline unsigned long long hash_fnv1a(const char *s)
{
    unsigned long long h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}
#endif
