/* libFuzzer target: any bytes as a request body for every entity. The reader must never crash, leak,
 * or accept something that is not a JSON object; what it accepts must carry NUL-free text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "entity.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(4096);
    for (int i = 0; certgraph_entities[i]; i++) {
        const entity *e = certgraph_entities[i];
        prop_value *values = arena_alloc(a, (size_t)e->nprops * sizeof *values);
        const char *message = NULL;
        if (json_read_entity(a, e, (const char *)data, size, values, &message)) {
            if (size == 0 || memchr(data, '{', size) == NULL) abort();
            for (int p = 0; p < e->nprops; p++)
                if (values[p].present && !values[p].is_null && strlen(values[p].text) != values[p].len) abort();
        } else if (!message) {
            abort();
        }
    }
    arena_free(a);
    return 0;
}
