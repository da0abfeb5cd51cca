import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { CHROMIUM_FLAGS, ensureChromium } from "../../tools/chromium.ts";
import type { TestEnv } from "./global-setup.ts";

export const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/dashboard/", import.meta.url));

export async function launchBrowser(): Promise<Browser> {
  // launch() starts from a fresh, empty profile every time.
  return await chromium.launch({
    executablePath: ensureChromium(),
    headless: true,
    args: CHROMIUM_FLAGS,
  });
}

export async function newContext(browser: Browser, env: TestEnv): Promise<BrowserContext> {
  return await browser.newContext({ baseURL: env.dashboardUrl, viewport: { width: 1280, height: 900 } });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** Waits until the app has hydrated (app.tsx marks <html>): before that, clicks do nothing. */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForSelector("html[data-hydrated]", { state: "attached" });
}

/** Sends telemetry the way an SDK does: the public ingest endpoint with a project key. */
export async function ingest(
  env: TestEnv,
  kind: "event" | "error" | "session" | "batch",
  apiKey: string,
  body: unknown,
) {
  return await fetch(`${env.workerUrl}/ingest/${kind}`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Polls a page action until the check passes: telemetry reaches Postgres after the meter's flush. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000, stepMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/**
 * The accept link of the invite just sent from the members page. Outside production the Worker
 * answers it with the invite (no mail goes out there) and the page shows it as a development-only
 * link; a newcomer in development follows exactly that.
 */
export async function devInviteLink(page: Page, env: TestEnv): Promise<string> {
  const link = await page.getAttribute("[data-testid=dev-invite-link] a", "href");
  if (!link?.startsWith(`${env.dashboardUrl}/invite/`)) throw new Error(`no development invite link, got ${link}`);
  return link;
}

/** Loads `path` in a fresh page and sums the gzip size of every script it fetched. */
export async function measureJs(
  context: BrowserContext,
  path: string,
): Promise<{ files: number; rawBytes: number; gzipBytes: number }> {
  const page = await context.newPage();
  const bodies: Promise<Buffer>[] = [];
  page.on("response", (response) => {
    if (response.request().resourceType() === "script") bodies.push(response.body().catch(() => Buffer.alloc(0)));
  });
  await page.goto(path);
  await page.waitForLoadState("networkidle");
  const all = await Promise.all(bodies);
  await page.close();
  return {
    files: all.length,
    rawBytes: all.reduce((sum, body) => sum + body.length, 0),
    gzipBytes: all.reduce((sum, body) => sum + gzipSync(body).length, 0),
  };
}

export function writeArtifact(name: string, data: unknown): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(`${ARTIFACTS}${name}`, `${JSON.stringify(data, null, 2)}\n`);
}
