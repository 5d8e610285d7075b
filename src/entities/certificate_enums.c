#include "entities/certificate_enums.h"

static const char *const certificate_status_members[] = { "notProvisioned", "provisioned", NULL };
const edm_enum certificate_status_enum = {
    "microsoft.graph.certificateStatus", "certificate_status", certificate_status_members,
};

static const char *const certificate_revocation_status_members[] = {
    "none", "pending", "issued", "failed", "revoked", NULL,
};
const edm_enum certificate_revocation_status_enum = {
    "microsoft.graph.certificateRevocationStatus", "certificate_revocation_status",
    certificate_revocation_status_members,
};
