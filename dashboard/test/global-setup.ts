import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { freePort, type LocalStack, startLocalStack, stopProcessGroup } from "../../db/local/stack.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const DASHBOARD_DIR = fileURLToPath(new URL("../", import.meta.url));
const WRANGLER = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

export interface TestEnv {
  dashboardUrl: string;
  workerUrl: string;
  databaseUrl: string;
  demo: LocalStack["demo"];
}

declare module "vitest" {
  export interface ProvidedContext {
    env: TestEnv;
  }
}

async function waitForUrl(url: string, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler pages dev exited (${child.exitCode}):\n${output()}`);
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler pages dev did not answer on ${url} in ${timeoutMs} ms:\n${output()}`);
}

/**
 * A scratch Postgres + Worker (startLocalStack) and the built dashboard under `wrangler pages dev`,
 * the way Cloudflare Pages runs it (workerd), with API_URL pointing at the Worker.
 */
export default async function setup(project: TestProject) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `\n\n  *** No Chromium at ${CHROMIUM}: the dashboard's browser tests cannot run. ***\n  Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).\n`,
    );
  }
  if (!existsSync(`${DASHBOARD_DIR}dist/_worker.js/index.js`)) {
    throw new Error("No production build in dashboard/dist: run `npm run build -w dashboard` first (npm test does).");
  }
  // Screenshots of this run only (a stale FAILED-*.png would mislead).
  rmSync(fileURLToPath(new URL("../../test-artifacts/dashboard/", import.meta.url)), { recursive: true, force: true });
  const pagesPort = await freePort();
  const dashboardUrl = `http://127.0.0.1:${pagesPort}`;
  const stack = await startLocalStack({
    mode: "scratch",
    databaseUrl: process.env.DATABASE_URL,
    persistTo: `${DASHBOARD_DIR}.wrangler/test-state-${process.pid}`,
    vars: { FLUSH_DELAY_MS: "200", DASHBOARD_ORIGINS: dashboardUrl, ALLOW_REGISTRATION: "true" },
  });

  let output = "";
  const pages = spawn(
    process.execPath,
    [
      WRANGLER,
      "pages",
      "dev",
      "dist",
      "--ip",
      "127.0.0.1",
      "--port",
      String(pagesPort),
      "--inspector-port",
      String(await freePort()),
      "--persist-to",
      `${DASHBOARD_DIR}.wrangler/pages-state-${process.pid}`,
      "--binding",
      `API_URL=${stack.workerUrl}`,
      "--binding",
      `INGEST_URL=${stack.workerUrl}`,
      "--log-level",
      "warn",
    ],
    {
      cwd: DASHBOARD_DIR,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" },
    },
  );
  pages.stdout?.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));
  pages.stderr?.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));
  try {
    await waitForUrl(`${dashboardUrl}/login`, pages, () => output, 90_000);
  } catch (error) {
    await stopProcessGroup(pages);
    await stack.stop();
    throw error;
  }

  project.provide("env", {
    dashboardUrl,
    workerUrl: stack.workerUrl,
    databaseUrl: stack.databaseUrl,
    demo: stack.demo,
  });

  return async () => {
    await stopProcessGroup(pages);
    await stack.stop();
    for (const dir of [`test-state-${process.pid}`, `pages-state-${process.pid}`]) {
      rmSync(`${DASHBOARD_DIR}.wrangler/${dir}`, { recursive: true, force: true });
    }
  };
}
