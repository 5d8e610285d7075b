/* enterpriseCodeSigningCertificate and the per-tenant symantecCodeSigningCertificate share their
 * properties; the Symantec singleton adds a write-only PFX password. */
#include "entities/certificate_enums.h"

#define CODE_SIGNING_PROPERTIES \
    { "id", "id", EDM_STRING, PROP_READONLY | PROP_KEY | PROP_FILTERABLE, NULL, -1 }, \
    { "content", "content", EDM_BINARY, PROP_NULLABLE, NULL, -1 }, \
    { "status", "status", EDM_ENUM, PROP_FILTERABLE, &certificate_status_enum, -1 }, \
    { "subjectName", "subject_name", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1 }, \
    { "subject", "subject", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1 }, \
    { "issuerName", "issuer_name", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1 }, \
    { "issuer", "issuer", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1 }, \
    { "expirationDateTime", "expiration_date_time", EDM_DATETIMEOFFSET, PROP_FILTERABLE, NULL, -1 }, \
    { "uploadDateTime", "upload_date_time", EDM_DATETIMEOFFSET, PROP_FILTERABLE, NULL, -1 }

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
};

static const property symantec_properties[] = {
    CODE_SIGNING_PROPERTIES,
    { "password", NULL, EDM_STRING, PROP_NULLABLE | PROP_WRITEONLY, NULL, -1 },
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
};
