#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct block {
    struct block *next;
    size_t size, used;
    max_align_t data[];
};

struct cleanup {
    struct cleanup *next;
    void (*release)(void *);
    void *p;
};

struct arena {
    struct block *head;    /* newest block first; the last one is the kept first block */
    size_t first_block;
    struct cleanup *cleanups;   /* newest first; the nodes live in the arena itself */
};

static struct block *block_new(size_t size)
{
    struct block *b = malloc(sizeof *b + size);
    if (!b) { fputs("certgraph: out of memory\n", stderr); abort(); }
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

arena *arena_new(size_t first_block)
{
    arena *a = malloc(sizeof *a);
    if (!a) { fputs("certgraph: out of memory\n", stderr); abort(); }
    a->first_block = first_block ? first_block : 16384;
    a->cleanups = NULL;
    a->head = block_new(a->first_block);
    return a;
}

void arena_reset(arena *a)
{
    for (struct cleanup *c = a->cleanups; c; c = c->next) c->release(c->p);
    a->cleanups = NULL;
    while (a->head->next) {
        struct block *b = a->head;
        a->head = b->next;
        free(b);
    }
    a->head->used = 0;
}

void arena_free(arena *a)
{
    if (!a) return;
    arena_reset(a);
    free(a->head);
    free(a);
}

void *arena_alloc(arena *a, size_t n)
{
    const size_t align = sizeof(max_align_t);
    n = (n + align - 1) / align * align;
    if (n == 0) n = align;
    struct block *b = a->head;
    if (b->size - b->used < n) {
        size_t size = n > a->first_block ? n : a->first_block;
        b = block_new(size);
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

void arena_own(arena *a, void (*release)(void *), void *p)
{
    if (!p) return;
    struct cleanup *c = arena_alloc(a, sizeof *c);
    c->release = release;
    c->p = p;
    c->next = a->cleanups;
    a->cleanups = c;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

static char *arena_vprintf(arena *a, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void sb_init(strbuf *b, arena *a, size_t cap)
{
    b->a = a;
    b->cap = cap ? cap : 256;
    b->data = arena_alloc(a, b->cap);
    b->len = 0;
    b->data[0] = '\0';
}

static void sb_reserve(strbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap * 2;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = arena_alloc(b->a, cap);
    memcpy(p, b->data, b->len + 1);
    b->data = p;
    b->cap = cap;
}

void sb_add(strbuf *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sb_adds(strbuf *b, const char *s) { sb_add(b, s, strlen(s)); }
void sb_addc(strbuf *b, char c) { sb_add(b, &c, 1); }

void sb_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(b->a, fmt, ap);
    va_end(ap);
    sb_adds(b, p);
}
