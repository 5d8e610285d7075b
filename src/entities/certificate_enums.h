#ifndef CERTGRAPH_CERTIFICATE_ENUMS_H
#define CERTGRAPH_CERTIFICATE_ENUMS_H
#include "entity.h"
extern const edm_enum certificate_status_enum;
extern const edm_enum certificate_revocation_status_enum;
#endif
