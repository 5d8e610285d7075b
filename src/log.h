/* certgraphd's one log format: one line per event, key=value, written with a single write(2) so
 * that lines of concurrent workers never interleave in the shared log:
 *   ts=2026-12-02T01:02:03.456Z level=warn component=worker pid=4242 event=db_unavailable
 *   request_id=9f0c... error="connection refused"
 * Values with spaces, quotes, '=' or control characters are quoted and escaped. Every line written
 * while a request is served carries its request_id. Never pass a token, password, key or
 * certificate bytes as a value. */
#ifndef CERTGRAPH_LOG_H
#define CERTGRAPH_LOG_H

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* "master" or "worker" (default "certgraphd"); kept by pointer. */
void log_set_component(const char *component);
/* The request being served (NULL when none); kept by pointer until cleared. */
void log_set_request(const char *request_id);

/* One event: key, value pairs (strings) ending with NULL; a NULL value writes nothing for its key. */
void log_event(log_level level, const char *event, ...) __attribute__((sentinel));
#endif
