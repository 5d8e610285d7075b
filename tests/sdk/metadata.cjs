// By hand: an OData client library (Apache Olingo's odatajs) loads certgraph's $metadata, and every
// collection and singleton it names resolves to an entity type with a key and typed properties.
// Usage (see README): CERTGRAPH_URL=https://127.0.0.1:8443 NODE_EXTRA_CA_CERTS=var/tls/ca.crt \
//   node tests/sdk/metadata.cjs v1.0|beta
const metadata = require("odatajs/lib/odata/metadata.js");

(async () => {
  const version = process.argv[2] || "beta";
  const res = await fetch(`${process.env.CERTGRAPH_URL}/${version}/$metadata`);
  if (res.status !== 200) throw new Error(`$metadata answered ${res.status}`);
  const model = metadata.metadataParser(null, await res.text());
  const schema = model.dataServices.schema.find((s) => s.namespace === "microsoft.graph");
  const types = new Map((schema.entityType || []).map((t) => [`microsoft.graph.${t.name}`, t]));
  const enums = new Set((schema.enumType || []).map((t) => `microsoft.graph.${t.name}`));
  const complex = new Map((schema.complexType || []).map((t) => [`microsoft.graph.${t.name}`, t]));
  // Edm.*, an enum or a complex type (whose members must resolve too), maybe in Collection(...)
  const known = (type) => {
    const t = type.replace(/^Collection\((.*)\)$/, "$1");
    if (t.startsWith("Edm.") || enums.has(t)) return true;
    const c = complex.get(t);
    return !!c && c.property.every((m) => known(m.type));
  };
  const found = [];
  for (const singleton of schema.entityContainer.singleton) {
    const parent = types.get(singleton.type);
    if (!parent) throw new Error(`singleton ${singleton.name}: no type ${singleton.type}`);
    for (const nav of parent.navigationProperty || []) {
      const typeName = nav.type.replace(/^Collection\((.*)\)$/, "$1");
      const type = types.get(typeName);
      if (!type || !type.key || !type.property.length) throw new Error(`${nav.name}: ${typeName} is not a keyed entity type`);
      for (const p of type.property)
        if (!known(p.type)) throw new Error(`${typeName}.${p.name}: unknown type ${p.type}`);
      found.push(`/${singleton.name}/${nav.name} (${nav.type}, ${type.property.length} properties)`);
    }
  }
  console.log(`${version}: odatajs loaded the model:\n  ${found.join("\n  ")}`);
})().catch((e) => { console.error(e.message); process.exit(1); });
