#include "entities/certificate_enums.h"

enum { REVOKE_STATUS = 1, USER_PRINCIPAL_NAME = 4 };   /* indexes of properties below */

static const property device_certificate_state_properties[] = {
    { "id", "id", EDM_STRING, PROP_READONLY | PROP_KEY | PROP_FILTERABLE, NULL, -1, NULL },
    { "certificateRevokeStatus", "certificate_revoke_status", EDM_ENUM, PROP_FILTERABLE,
      &certificate_revocation_status_enum, -1, NULL },
    { "certificateRevokeStatusLastChangeDateTime", "certificate_revoke_status_last_change_date_time",
      EDM_DATETIMEOFFSET, PROP_FILTERABLE, NULL, REVOKE_STATUS, NULL },
    { "managedDeviceDisplayName", "managed_device_display_name", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1, NULL },
    { "userPrincipalName", "user_principal_name", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1, NULL },
    { "certificateExpirationDateTime", "certificate_expiration_date_time", EDM_DATETIMEOFFSET, PROP_FILTERABLE, NULL, -1, NULL },
    { "certificateIssuanceDateTime", "certificate_issuance_date_time", EDM_DATETIMEOFFSET, PROP_FILTERABLE, NULL, -1, NULL },
    { "certificateIssuerName", "certificate_issuer_name", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1, NULL },
    { "certificateThumbprint", "certificate_thumbprint", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1, NULL },
    { "certificateSerialNumber", "certificate_serial_number", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1, NULL },
    { "certificateSubjectName", "certificate_subject_name", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1, NULL },
    { "certificateExtendedKeyUsages", "certificate_extended_key_usages", EDM_STRING, PROP_NULLABLE | PROP_FILTERABLE, NULL, -1, NULL },
    { "certificateKeyUsages", "certificate_key_usages", EDM_INT32, PROP_FILTERABLE, NULL, -1, NULL },
};

const entity managed_all_device_certificate_state_entity = {
    .type_name = "microsoft.graph.managedAllDeviceCertificateState",
    .parent_segment = "deviceManagement",
    .segment = "deviceConfigurationsAllManagedDeviceCertificateStates",
    .table = "managed_all_device_certificate_state",
    .singleton = false,
    .versions = VERSION_BETA,
    .read_scopes = { "DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All", NULL },
    .write_scopes = { "DeviceManagementConfiguration.ReadWrite.All", NULL },
    .props = device_certificate_state_properties,
    .nprops = (int)(sizeof device_certificate_state_properties / sizeof device_certificate_state_properties[0]),
    .audit_category = "DeviceConfiguration",
    .audit_name_prop = USER_PRINCIPAL_NAME,
};
