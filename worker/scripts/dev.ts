import { createServer } from "node:http";
import { DEMO_FILE, writeDemoFile } from "../../db/local/seed.ts";
import { startLocalStack } from "../../db/local/stack.ts";

/**
 * `npm run dev`: the embedded default stack (or DATABASE_URL's database), the Worker on :8787 and
 * the dashboard on :3000. Ctrl-C stops everything it started.
 */
const WORKER_PORT = Number(process.env.WORKER_PORT ?? 8787);
const DASHBOARD_PORT = Number(process.env.DASHBOARD_PORT ?? 3000);

console.log(process.env.DATABASE_URL ? "Using DATABASE_URL" : "Starting the embedded Postgres (data in .data/pglite)");
const stack = await startLocalStack({
  mode: "persistent",
  databaseUrl: process.env.DATABASE_URL,
  workerPort: WORKER_PORT,
  inheritOutput: true,
});

// Placeholder until the SolidStart dashboard lands: says where things are instead of a blank port.
const dashboardUrl = `http://localhost:${DASHBOARD_PORT}`;
const dashboard = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><title>Telemetry Tracker</title><h1>Telemetry Tracker</h1>
<p>The dashboard is not built yet. The Worker runs at <a href="${stack.workerUrl}/health?deep=1">${stack.workerUrl}</a>
(<a href="${stack.workerUrl}/openapi.json">OpenAPI</a>).</p>`);
});
await new Promise<void>((resolve) => dashboard.listen(DASHBOARD_PORT, "127.0.0.1", resolve));

const demo = { ...stack.demo, workerUrl: stack.workerUrl, dashboardUrl };
writeDemoFile(demo);
console.log(`
  Telemetry Tracker is running
  Worker      ${stack.workerUrl}   (health: ${stack.workerUrl}/health?deep=1)
  Dashboard   ${dashboardUrl}
  Sign in     ${demo.email} / ${demo.password}
  Org         ${demo.organizationId}
  Project     ${demo.projectId}
  API key     ${demo.apiKey}
  (also in ${DEMO_FILE})

  curl -X POST ${stack.workerUrl}/ingest/event -H 'Authorization: Bearer ${demo.apiKey}' \\
       -H 'Content-Type: application/json' -d '{"name":"hello","app":"web"}'

  Ctrl-C stops everything.
`);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping…");
  dashboard.close();
  await stack.stop();
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
