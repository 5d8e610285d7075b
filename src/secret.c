#include "secret.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

bool secret_read_line(const char *path, const char *what, size_t min_len, char *out, size_t outlen, char *err,
                      size_t errlen)
{
    FILE *f = fopen(path, "r");
    bool read = f && fgets(out, (int)outlen, f);
    if (f) fclose(f);
    if (!read) {
        snprintf(err, errlen, "cannot read the %s from %s", what, path);
        return false;
    }
    size_t n = strcspn(out, "\r\n");
    bool whole = out[n] != '\0' || n + 1 < outlen;   /* a line that filled out may go on */
    out[n] = '\0';
    if (!whole || n < min_len) {
        OPENSSL_cleanse(out, outlen);
        if (!whole) snprintf(err, errlen, "the %s in %s is longer than %zu characters", what, path, outlen - 2);
        else snprintf(err, errlen, "the %s in %s is shorter than %zu characters", what, path, min_len);
        return false;
    }
    return true;
}
