// By hand, as a new user would: the official Microsoft Graph JavaScript SDK's PageIterator walks a
// filtered list of device states on a running certgraph and must see every match exactly once.
// Usage (see README): CERTGRAPH_URL=https://127.0.0.1:8443 TOKEN=... NODE_EXTRA_CA_CERTS=var/tls/ca.crt \
//   node tests/sdk/page-iterator.mjs "<filter>" [expected count]
import { Client, PageIterator } from "@microsoft/microsoft-graph-client";

const [filter, expected] = process.argv.slice(2);
// The SDK sends the token only to Graph's own hosts unless told of others (customHosts).
const client = Client.init({
  baseUrl: process.env.CERTGRAPH_URL,
  customHosts: new Set([new URL(process.env.CERTGRAPH_URL).hostname]),
  defaultVersion: "beta",
  authProvider: (done) => done(null, process.env.TOKEN),
});
const path = "/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates";
const started = Date.now();
const first = await client.api(path).filter(filter).select("id,userPrincipalName").top(999).count(true).get();
const seen = new Set();
let duplicates = 0, pages = 1;
const iterator = new PageIterator(client, first, (state) => {
  if (seen.has(state.id)) duplicates++;
  seen.add(state.id);
  return true;
}, { headers: {} });
const origNext = iterator.fetchAndUpdateNextPageData?.bind(iterator);
if (origNext) iterator.fetchAndUpdateNextPageData = async () => { pages++; return origNext(); };
await iterator.iterate();
const count = first["@odata.count"];
console.log(JSON.stringify({ filter, seen: seen.size, duplicates, pages, odataCount: count,
                             seconds: (Date.now() - started) / 1000 }));
if (duplicates || seen.size !== count || (expected && seen.size !== Number(expected))) process.exit(1);
