// graphql-http's server audits against a live server: `node audit.mjs http://127.0.0.1:8000/graphql`.
// Prints one JSON line per audit ({id, name, status, reason}) and exits non-zero when any
// MUST or SHOULD audit does not pass.
import { serverAudits } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node audit.mjs URL");
  process.exit(2);
}
let failed = 0;
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  const level = audit.name.split(" ")[0];
  const passed = result.status === "ok";
  if (!passed && (level === "MUST" || level === "SHOULD")) failed += 1;
  console.log(JSON.stringify({ id: audit.id, name: audit.name, status: result.status, reason: result.reason || null }));
}
process.exit(failed ? 1 : 0);
