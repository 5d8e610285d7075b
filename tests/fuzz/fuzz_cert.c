/* libFuzzer target: any bytes as uploaded certificate content (DER, PEM, PKCS#12), with and without
 * PKCS#12 allowed and with a password. The parser must never crash or leak; what it accepts has every
 * field a certificate always has. */
#include <stdint.h>
#include <stdlib.h>

#include "arena.h"
#include "cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(4096);
    for (int pkcs12 = 0; pkcs12 < 2; pkcs12++) {
        cert_info c;
        cert_result r = cert_parse(a, data, size, pkcs12, pkcs12 ? "s3cret" : NULL, &c);
        if (r == CERT_OK && (!c.subject || !c.issuer || !c.not_after || !c.der_base64 || !c.sha256)) abort();
        if (r == CERT_BAD_PASSWORD && !pkcs12) abort();
    }
    arena_free(a);
    return 0;
}
