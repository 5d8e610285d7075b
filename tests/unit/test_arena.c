/* The per-request arena: one reset releases every allocation, its own and those handed to it. */
#include <criterion/criterion.h>
#include <string.h>

#include "arena.h"

static int order[8];
static int nreleased;

static void record(void *p)
{
    order[nreleased++] = *(int *)p;
}

Test(arena, reset_releases_owned_resources_newest_first_and_only_once)
{
    arena *a = arena_new(64);
    static int one = 1, two = 2, three = 3;
    nreleased = 0;
    arena_own(a, record, &one);
    arena_own(a, record, &two);
    arena_own(a, record, NULL);   /* nothing to release: ignored */
    cr_assert_eq(nreleased, 0);
    arena_reset(a);
    cr_assert_eq(nreleased, 2);
    cr_assert_eq(order[0], 2);
    cr_assert_eq(order[1], 1);
    arena_reset(a);
    cr_assert_eq(nreleased, 2, "a second reset must not release again");
    arena_own(a, record, &three);
    arena_free(a);
    cr_assert_eq(nreleased, 3);
    cr_assert_eq(order[2], 3);
}

Test(arena, large_and_many_allocations_survive_until_reset)
{
    arena *a = arena_new(128);
    char *big = arena_alloc(a, 100000);
    memset(big, 'x', 100000);
    strbuf b;
    sb_init(&b, a, 4);
    for (int i = 0; i < 1000; i++) sb_printf(&b, "%d,", i);
    cr_assert_eq(big[99999], 'x');
    cr_assert(strncmp(b.data, "0,1,2,", 6) == 0);
    cr_assert_eq(b.len, strlen(b.data));
    arena_reset(a);
    char *again = arena_strdup(a, "after reset");
    cr_assert_str_eq(again, "after reset");
    arena_free(a);
}
