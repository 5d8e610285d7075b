// By hand, as an Intune administrator would: the official Microsoft Graph JavaScript SDK lists who
// changed one entity through /deviceManagement/auditEvents (v1.0), newest first.
// Usage (see README): CERTGRAPH_URL=https://127.0.0.1:8443 TOKEN=... NODE_EXTRA_CA_CERTS=var/tls/ca.crt \
//   node tests/sdk/audit-events.mjs ENTITY_ID [expected count]
import { Client } from "@microsoft/microsoft-graph-client";

const [id, expected] = process.argv.slice(2);
const client = Client.init({
  baseUrl: process.env.CERTGRAPH_URL,
  customHosts: new Set([new URL(process.env.CERTGRAPH_URL).hostname]),
  defaultVersion: "v1.0",
  authProvider: (done) => done(null, process.env.TOKEN),
});
const page = await client.api("/deviceManagement/auditEvents")
  .filter(`resources/any(r: r/resourceId eq '${id}')`)
  .select("activityDateTime,activityOperationType,actor,resources")
  .get();
for (const e of page.value) {
  const who = e.actor.userPrincipalName ?? e.actor.applicationDisplayName ?? e.actor.applicationId;
  const changes = e.resources[0].modifiedProperties.map((p) => `${p.displayName}: ${p.oldValue} -> ${p.newValue}`);
  console.log(`${e.activityDateTime} ${e.activityOperationType} by ${who} (${e.actor.type}) ${changes.join("; ")}`);
}
if (expected && page.value.length !== Number(expected)) process.exit(1);
