import { existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { freePort, type LocalStack, startLocalStack } from "../../db/local/stack.ts";
import { ensureChromium } from "../../tools/chromium.ts";
import { type PagesDev, startPagesDev } from "./pages.ts";

const DASHBOARD_DIR = fileURLToPath(new URL("../", import.meta.url));

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

/**
 * A scratch Postgres + Worker (startLocalStack) and the built dashboard under `wrangler pages dev`,
 * the way Cloudflare Pages runs it (workerd), with API_URL pointing at the Worker.
 */
export default async function setup(project: TestProject) {
  ensureChromium(); // installs it first when missing and allowed, else fails with what to install
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
    // WORKER_LOG=1 puts the Worker's own log (requests, 5xx with their errors) in the test output.
    inheritOutput: process.env.WORKER_LOG === "1",
  });

  let pages: PagesDev;
  try {
    pages = await startPagesDev({ port: pagesPort, workerUrl: stack.workerUrl, name: "main" });
  } catch (error) {
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
    await pages.stop();
    await stack.stop();
    rmSync(`${DASHBOARD_DIR}.wrangler/test-state-${process.pid}`, { recursive: true, force: true });
  };
}
