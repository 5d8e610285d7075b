/* Per-request memory: everything a request allocates comes from one arena, released in one call. */
#ifndef CERTGRAPH_ARENA_H
#define CERTGRAPH_ARENA_H
#include <stddef.h>

typedef struct arena arena;

arena *arena_new(size_t first_block);
void arena_free(arena *a);
/* Releases everything but keeps the first block, so a worker's steady state makes no malloc calls. */
void arena_reset(arena *a);
void *arena_alloc(arena *a, size_t n);           /* aborts on out-of-memory */
/* Hands a foreign allocation (a PGresult, a yajl generator) to the arena: release(p) runs at the next
 * reset or free, newest first, so a request's memory of every kind goes in the same one call. */
void arena_own(arena *a, void (*release)(void *), void *p);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable byte string in an arena; always NUL-terminated for convenience, length is authoritative. */
typedef struct strbuf {
    arena *a;
    char *data;
    size_t len, cap;
} strbuf;

void sb_init(strbuf *b, arena *a, size_t cap);
void sb_add(strbuf *b, const char *s, size_t n);
void sb_adds(strbuf *b, const char *s);
void sb_addc(strbuf *b, char c);
void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
