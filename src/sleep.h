/* A pause of some milliseconds, for polling loops (the master's, and the settling of a COMMIT). */
#ifndef CERTGRAPH_SLEEP_H
#define CERTGRAPH_SLEEP_H
#include <time.h>

static inline void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}
#endif
