// The official Microsoft Graph JavaScript SDK's RetryHandler against chaos mode: every create and
// every read of a run must succeed through the injected 429/503/504s, and the run must have met
// some (else chaos mode was not on). Run by tests/integration/test_sdk.c with the pool in chaos mode.
// Usage: CERTGRAPH_URL=https://127.0.0.1:8443 TOKEN=... NODE_EXTRA_CA_CERTS=var/tls/ca.crt \
//   node tests/sdk/chaos-retry.mjs [requests]
import { Client, RetryHandlerOptions } from "@microsoft/microsoft-graph-client";

const n = Number(process.argv[2] ?? 40);
const client = Client.init({
  baseUrl: process.env.CERTGRAPH_URL,
  customHosts: new Set([new URL(process.env.CERTGRAPH_URL).hostname]),
  defaultVersion: "beta",
  authProvider: (done) => done(null, process.env.TOKEN),
});
let retries = 0;
const statuses = {};
// Graph's advice: honour Retry-After; up to 10 attempts (the SDK's maximum) so that a 30 % fault
// rate fails a request with odds of 0.3^11.
const retry = new RetryHandlerOptions(1, 10, (delay, attempt, request, options, response) => {
  retries++;
  statuses[response.status] = (statuses[response.status] ?? 0) + 1;
  return true;
});
const path = "/deviceAppManagement/enterpriseCodeSigningCertificates";
const ids = [];
let failed = 0;
for (let i = 0; i < n; i++) {
  try {
    const created = await client.api(path).middlewareOptions([retry]).post({ subject: `CN=chaos ${i}` });
    const read = await client.api(`${path}/${created.id}`).middlewareOptions([retry]).get();
    if (read.subject !== `CN=chaos ${i}`) throw new Error(`read back ${read.subject}`);
    ids.push(created.id);
  } catch (e) {
    failed++;
    console.error(`request ${i}: ${e.statusCode ?? ""} ${e.message}`);
  }
}
console.log(JSON.stringify({ requests: 2 * n, failed, retries, statuses, ids: ids.length }));
process.exit(failed === 0 && retries > 0 ? 0 : 1);
