/* libFuzzer target: any bytes as a $filter for every entity. The parser must never crash, leak or
 * recurse without bound; an expression it accepts compiles to SQL whose text carries no literal
 * (no quote, no semicolon), with one parameter for each placeholder. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "entity.h"
#include "filter.h"
#include "sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(4096);
    for (int i = 0; certgraph_entities[i]; i++) {
        const entity *e = certgraph_entities[i];
        const char *message = NULL;
        filter_node *f = filter_parse(a, e, (const char *)data, size, &message);
        if (!f) {
            if (!message || strncmp(message, "Invalid $filter", 15) != 0) abort();
            continue;
        }
        const sql_statement *s = sql_query_count(a, e, "00000000-0000-4000-8000-000000000000", f);
        if (strchr(s->text, '\'') || strchr(s->text, ';')) abort();
        char last[16];
        snprintf(last, sizeof last, "$%d::", s->nparams);
        if (!strstr(s->text, last)) abort();
        snprintf(last, sizeof last, "$%d::", s->nparams + 1);
        if (strstr(s->text, last)) abort();
        for (int k = 0; k < s->nparams; k++)
            if (!s->params[k]) abort();
    }
    arena_free(a);
    return 0;
}
