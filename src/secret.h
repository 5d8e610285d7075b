/* Secrets kept in files (a database password, the metrics token): what compose and other
 * orchestrators mount at /run/secrets, so no secret has to sit in an environment variable. */
#ifndef CERTGRAPH_SECRET_H
#define CERTGRAPH_SECRET_H
#include <stdbool.h>
#include <stddef.h>

/* The first line of path, without its line ending, into out (outlen bytes with the NUL). False
 * with a message naming what and path when the file cannot be read, or the line is shorter than
 * min_len or does not fit. */
bool secret_read_line(const char *path, const char *what, size_t min_len, char *out, size_t outlen, char *err,
                      size_t errlen);
#endif
