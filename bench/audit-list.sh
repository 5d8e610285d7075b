#!/usr/bin/env bash
# What serving the audit trail costs: a page of 100 auditEvents (actor and resources written out from
# stored jsonb) beside a page of 100 device states (typed columns only), newest first, through the
# whole stack. Loads 100,000 events shaped like a PATCH's. Run by hand; prints figures.
# Usage: bench/audit-list.sh [seconds] [concurrency...]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10}; shift || true; conc=${*:-16}
source bench/lib.sh

psql -qX "$CERTGRAPH_DB" -c "
  INSERT INTO managed_all_device_certificate_state (tenant_id, user_principal_name, certificate_key_usages)
  SELECT '$tenant', 'u' || g || '@contoso.com', 160 FROM generate_series(1, 10000) g;
  INSERT INTO audit_event (tenant_id, display_name, activity, activity_type, activity_operation_type, activity_result,
    activity_date_time, component_name, category, correlation_id, actor, resources, resource_id, request_id)
  SELECT '$tenant', 'Patch ManagedAllDeviceCertificateState', 'Patch ManagedAllDeviceCertificateState',
    'Patch ManagedAllDeviceCertificateState', 'Patch', 'Success', now() - g * interval '1 s', 'DeviceConfiguration',
    'DeviceConfiguration', gen_random_uuid(),
    jsonb_build_object('type', 'ItPro', 'auditActorType', 'ItPro', 'userPermissions',
      jsonb_build_array('DeviceManagementApps.ReadWrite.All', 'DeviceManagementConfiguration.ReadWrite.All'),
      'applicationId', '14d82eec-204b-4c2f-b7e8-296a70dab67e', 'applicationDisplayName', null,
      'userPrincipalName', 'admin@contoso.com', 'servicePrincipalName', null, 'ipAddress', '10.0.0.' || (g % 250),
      'userId', '0a11ce00-0000-4000-8000-00000000a11c'),
    jsonb_build_array(jsonb_build_object('displayName', 'u' || g || '@contoso.com', 'type', 'ManagedAllDeviceCertificateState',
      'auditResourceType', 'ManagedAllDeviceCertificateState', 'resourceId', md5(g::text)::uuid,
      'modifiedProperties', jsonb_build_array(
        jsonb_build_object('displayName', 'certificateRevokeStatus', 'oldValue', 'issued', 'newValue', 'pending'),
        jsonb_build_object('displayName', 'certificateRevokeStatusLastChangeDateTime',
                           'oldValue', '2026-11-30T10:00:00Z', 'newValue', '2026-12-01T10:00:00Z')))),
    md5(g::text)::uuid::text, gen_random_uuid()
  FROM generate_series(1, 100000) g;" >/dev/null
psql -qX "$CERTGRAPH_DB" -c "VACUUM ANALYZE audit_event" >/dev/null
settle
header
for c in $conc; do
  run states-list100 "$c" "$url"
  run audit-list100 "$c" "$CERTGRAPH_URL/v1.0/deviceManagement/auditEvents"
done
curl -s --cacert "$CERTGRAPH_CA" -H "Authorization: Bearer $token" "$CERTGRAPH_URL/v1.0/deviceManagement/auditEvents" | wc -c |
  awk '{printf "bytes in a page of 100 events: %d\n", $1}'
curl -s --cacert "$CERTGRAPH_CA" -H "Authorization: Bearer $token" "$url" | wc -c |
  awk '{printf "bytes in a page of 100 device states: %d\n", $1}'
