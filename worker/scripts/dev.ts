import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DATA_DIR } from "../../db/local/data-dir.ts";
import { DEMO_FILE, writeDemoFile } from "../../db/local/seed.ts";
import { startLocalStack, stopProcessGroup } from "../../db/local/stack.ts";

/**
 * `npm run dev`: the embedded default stack (or DATABASE_URL's database), the Worker on :8787 and
 * the dashboard on :3000. Ctrl-C stops everything it started.
 */
let stopping = false;
const WORKER_PORT = Number(process.env.WORKER_PORT ?? 8787);
const DASHBOARD_PORT = Number(process.env.DASHBOARD_PORT ?? 3000);

console.log(
  process.env.DATABASE_URL ? "Using DATABASE_URL" : `Starting the embedded Postgres (data in ${DATA_DIR}/postgres)`,
);
const stack = await startLocalStack({
  mode: "persistent",
  databaseUrl: process.env.DATABASE_URL,
  workerPort: WORKER_PORT,
  dashboardPort: DASHBOARD_PORT,
  inheritOutput: true,
});

// The SolidStart dashboard (vite dev, hot reload); its server functions reach the Worker via API_URL.
const dashboardUrl = `http://localhost:${DASHBOARD_PORT}`;
const dashboard = spawn(
  process.execPath,
  [
    fileURLToPath(new URL("../../node_modules/vite/bin/vite.js", import.meta.url)),
    "dev",
    "--port",
    String(DASHBOARD_PORT),
    "--strictPort",
  ],
  {
    cwd: fileURLToPath(new URL("../../dashboard/", import.meta.url)),
    detached: true,
    stdio: "inherit",
    env: { ...process.env, API_URL: stack.workerUrl, INGEST_URL: stack.workerUrl },
  },
);
dashboard.once("exit", (code) => {
  if (!stopping) console.error(`The dashboard dev server exited (code ${code}).`);
});

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

async function shutdown() {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping…");
  await stopProcessGroup(dashboard);
  await stack.stop();
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
