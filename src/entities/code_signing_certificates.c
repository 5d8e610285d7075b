/* enterpriseCodeSigningCertificate and the per-tenant symantecCodeSigningCertificate share their
 * properties; the Symantec singleton adds a write-only PFX password. An uploaded certificate fills
 * in the derived properties (API.md §6) through each entity's derive step. */
#include <stdio.h>
#include <string.h>

#include "cert.h"
#include "values.h"
#include "entities/certificate_enums.h"

/* Positions in CODE_SIGNING_PROPERTIES, which the derive step fills. */
enum {
    P_CONTENT = 1, P_STATUS, P_SUBJECT_NAME, P_SUBJECT, P_ISSUER_NAME, P_ISSUER, P_EXPIRATION, P_UPLOAD,
    P_DER, P_SHA1, P_SHA256, P_SERIAL, P_NOT_BEFORE, P_KEY_ALGORITHM, P_KEY_SIZE, P_CODE_SIGNING,
    P_PASSWORD   /* the Symantec singleton only */
};

#define SERVER (PROP_NULLABLE | PROP_SERVER)
#define CODE_SIGNING_PROPERTIES \
    { "id", "id", EDM_STRING, PROP_READONLY | PROP_KEY | PROP_FILTERABLE, NULL, -1, NULL }, \
    { "content", "content", EDM_BINARY, PROP_NULLABLE, NULL, -1, NULL }, \
    { "status", "status", EDM_ENUM, PROP_FILTERABLE, &certificate_status_enum, -1, NULL }, \
    { "subjectName", "subject_name", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1, NULL }, \
    { "subject", "subject", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1, NULL }, \
    { "issuerName", "issuer_name", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1, NULL }, \
    { "issuer", "issuer", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1, NULL }, \
    { "expirationDateTime", "expiration_date_time", EDM_DATETIMEOFFSET, PROP_FILTERABLE, NULL, -1, NULL }, \
    { "uploadDateTime", "upload_date_time", EDM_DATETIMEOFFSET, PROP_FILTERABLE, NULL, -1, NULL }, \
    /* kept server-side from a parsed upload, for reports and export */ \
    { "certificateDer", "certificate_der", EDM_BINARY, SERVER, NULL, -1, NULL }, \
    { "thumbprintSha1", "thumbprint_sha1", EDM_STRING, SERVER, NULL, -1, NULL }, \
    { "thumbprintSha256", "thumbprint_sha256", EDM_STRING, SERVER, NULL, -1, NULL }, \
    { "serialNumber", "serial_number", EDM_STRING, SERVER, NULL, -1, NULL }, \
    { "notBefore", "not_before", EDM_DATETIMEOFFSET, SERVER, NULL, -1, NULL }, \
    { "keyAlgorithm", "key_algorithm", EDM_STRING, SERVER, NULL, -1, NULL }, \
    { "keySize", "key_size", EDM_INT32, SERVER, NULL, -1, NULL }, \
    { "codeSigning", "code_signing", EDM_BOOLEAN, SERVER, NULL, -1, NULL }

static void set(prop_value *v, const char *text)
{
    v->present = true;
    v->is_null = text == NULL;
    v->text = text;
    v->len = text ? strlen(text) : 0;
}

/* A body that sets content: a certificate in it fills in the derived properties, which override the
 * body's, and content then reads null (the certificate is kept as DER); anything else is kept as
 * sent and the server-side columns are cleared. */
static bool derive_certificate(arena *a, prop_value *v, bool pkcs12, const char **message)
{
    if (!v[P_CONTENT].present) return true;
    for (int i = P_DER; i <= P_CODE_SIGNING; i++) set(&v[i], NULL);
    if (v[P_CONTENT].is_null) return true;
    size_t n = 0;
    const unsigned char *bytes = value_base64_decode(a, v[P_CONTENT].text, v[P_CONTENT].len, &n);
    if (!bytes) return true;   /* checked as Edm.Binary already */
    const prop_value *password = pkcs12 ? &v[P_PASSWORD] : NULL;
    cert_info c;
    switch (cert_parse(a, bytes, n, pkcs12, password && password->present && !password->is_null ? password->text : NULL, &c)) {
    case CERT_NONE:
        return true;
    case CERT_BAD_PASSWORD:
        *message = "The value for property 'password' does not open the PKCS#12 (.pfx) certificate in 'content'.";
        return false;
    case CERT_OK:
        break;
    }
    set(&v[P_SUBJECT], c.subject);
    set(&v[P_SUBJECT_NAME], c.subject_cn);
    set(&v[P_ISSUER], c.issuer);
    set(&v[P_ISSUER_NAME], c.issuer_cn);
    set(&v[P_EXPIRATION], c.not_after);
    set(&v[P_UPLOAD], value_now_odata(a));
    set(&v[P_STATUS], "provisioned");
    set(&v[P_CONTENT], NULL);
    set(&v[P_DER], c.der_base64);
    set(&v[P_SHA1], c.sha1);
    set(&v[P_SHA256], c.sha256);
    set(&v[P_SERIAL], c.serial);
    set(&v[P_NOT_BEFORE], c.not_before);
    set(&v[P_KEY_ALGORITHM], c.key_algorithm);
    set(&v[P_KEY_SIZE], c.key_algorithm ? arena_printf(a, "%d", c.key_bits) : NULL);
    set(&v[P_CODE_SIGNING], c.code_signing ? "true" : "false");
    return true;
}

static bool derive_x509(arena *a, prop_value *values, const char **message)
{
    return derive_certificate(a, values, false, message);
}

static bool derive_x509_or_pkcs12(arena *a, prop_value *values, const char **message)
{
    return derive_certificate(a, values, true, message);
}

static const property enterprise_properties[] = { CODE_SIGNING_PROPERTIES };

const entity enterprise_code_signing_certificate_entity = {
    .type_name = "microsoft.graph.enterpriseCodeSigningCertificate",
    .parent_segment = "deviceAppManagement",
    .segment = "enterpriseCodeSigningCertificates",
    .table = "enterprise_code_signing_certificate",
    .singleton = false,
    .versions = VERSION_V1 | VERSION_BETA,
    .read_scopes = { "DeviceManagementApps.Read.All", "DeviceManagementApps.ReadWrite.All", NULL },
    .write_scopes = { "DeviceManagementApps.ReadWrite.All", NULL },
    .props = enterprise_properties,
    .nprops = (int)(sizeof enterprise_properties / sizeof enterprise_properties[0]),
    .derive = derive_x509,
    .content_kept_in = P_DER,
    .audit_category = "DeviceAppManagement",
    .audit_name_prop = P_SUBJECT_NAME,
};

static const property symantec_properties[] = {
    CODE_SIGNING_PROPERTIES,
    { "password", NULL, EDM_STRING, PROP_NULLABLE | PROP_WRITEONLY, NULL, -1, NULL },
};

const entity symantec_code_signing_certificate_entity = {
    .type_name = "microsoft.graph.symantecCodeSigningCertificate",
    .parent_segment = "deviceAppManagement",
    .segment = "symantecCodeSigningCertificate",
    .table = "symantec_code_signing_certificate",
    .singleton = true,
    .versions = VERSION_BETA,
    .read_scopes = { "DeviceManagementApps.Read.All", "DeviceManagementApps.ReadWrite.All", NULL },
    .write_scopes = { "DeviceManagementApps.ReadWrite.All", NULL },
    .props = symantec_properties,
    .nprops = (int)(sizeof symantec_properties / sizeof symantec_properties[0]),
    .derive = derive_x509_or_pkcs12,
    .content_kept_in = P_DER,
    .audit_category = "DeviceAppManagement",
    .audit_name_prop = P_SUBJECT_NAME,
};
