/* Admission: what an API request meets before any work is done, so a refused request has changed
 * nothing. Chaos mode first (an injected fault spends no budget), then the throttling budgets. Both
 * are off until guard_configure names them (certgraphctl and unit tests never do). */
#ifndef CERTGRAPH_GUARD_H
#define CERTGRAPH_GUARD_H
#include <stdbool.h>
#include "chaos.h"
#include "http.h"
#include "throttle.h"

/* Either may be NULL (off); limits is what the 429 messages quote. Kept by pointer. */
void guard_configure(throttle *t, const throttle_limits *limits, const chaos *c);

/* True to serve the request; false with rs holding the 429/503/504 answer. */
bool guard_admit(const request *rq, response *rs);
#endif
