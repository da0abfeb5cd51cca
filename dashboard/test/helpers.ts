import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
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

/**
 * Logs what goes wrong inside `page` (a client-side exception shows only as a generic error page, so
 * its message belongs in the test log) and returns the page's uncaught exceptions, each with the URL
 * it happened at, for a test to expect none.
 */
export function watchPage(page: Page): string[] {
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => {
    const where = `${page.url()}: ${error.stack ?? error.message}`;
    pageErrors.push(where);
    console.error(`page error at ${where}`);
  });
  page.on("console", (message) => {
    if (message.type() === "error") console.error(`console error at ${page.url()}: ${message.text()}`);
  });
  return pageErrors;
}

export interface TestPage {
  /** For a second context: another person beside the one in `page`. */
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught exceptions in `page` so far (watchPage). */
  readonly pageErrors: string[];
}

/**
 * The one Chromium page a test file's tests share, in order: opened in beforeAll on `env`'s dashboard
 * (a function when an earlier beforeAll of the file starts that stack), closed in afterAll. A failing
 * test leaves `FAILED-<name>-<test>.png` and the page's text in the log, to read what the person
 * would have seen. `prepare` sees the context before the page opens (routes, say).
 */
export function openTestPage(
  name: string,
  env: TestEnv | (() => TestEnv),
  options: { prepare?: (context: BrowserContext) => Promise<void> } = {},
): TestPage {
  let browser: Browser | undefined;
  let opened: { context: BrowserContext; page: Page; pageErrors: string[] } | undefined;
  const ready = () => {
    if (!browser || !opened) throw new Error(`the ${name} test page opens in beforeAll`);
    return { browser, ...opened };
  };

  beforeAll(async () => {
    browser = await launchBrowser();
    const context = await newContext(browser, typeof env === "function" ? env() : env);
    await options.prepare?.(context);
    const page = await context.newPage();
    opened = { context, page, pageErrors: watchPage(page) };
  });

  afterEach(async ({ task }) => {
    if (task.result?.state !== "fail" || !opened) return;
    const { page } = opened;
    await screenshot(page, `FAILED-${name}-${task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`).catch(() => {});
    console.error(
      `page at failure: ${page.url()}\n${((await page.textContent("body").catch(() => "")) ?? "").slice(0, 1500)}`,
    );
  });

  afterAll(async () => {
    await browser?.close();
  });

  return {
    get browser() {
      return ready().browser;
    },
    get context() {
      return ready().context;
    },
    get page() {
      return ready().page;
    },
    get pageErrors() {
      return ready().pageErrors;
    },
  };
}

/** Signs in on /login and waits for the projects the account lands on. */
export async function signIn(page: Page, account: { email: string; password: string }): Promise<void> {
  await page.goto("/login");
  await hydrated(page);
  await page.fill("input[name=email]", account.email);
  await page.fill("input[name=password]", account.password);
  await page.click("button[type=submit]");
  await page.waitForURL(/\/projects\//);
}

/**
 * Registers a new account, which lands on onboarding. Before hydration the form posts natively and
 * onboarding arrives as a full, unhydrated load, where a quick click submits its form as a GET: on a
 * loaded machine that race is lost, so both pages are waited for.
 */
export async function register(page: Page, person: { name: string; email: string; password: string }): Promise<void> {
  await page.goto("/register");
  await hydrated(page);
  await page.fill("input[name=displayName]", person.name);
  await page.fill("input[name=email]", person.email);
  await page.fill("input[name=password]", person.password);
  await page.click("button[type=submit]");
  await page.waitForURL("**/onboarding");
  await hydrated(page);
}

/** Onboarding's form: a new organization and its first project; returns the project's API key it shows. */
export async function onboard(page: Page, names: { org: string; project: string }): Promise<string> {
  await page.fill("input[name=orgName]", names.org);
  await page.fill("input[name=projectName]", names.project);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=new-api-key]");
  return ((await page.textContent("[data-testid=new-api-key]")) ?? "").trim();
}

/** The project `/` sends the signed-in account to, as its id. */
export async function homeProjectId(page: Page): Promise<string> {
  await page.goto("/");
  await page.waitForURL(/\/projects\/[0-9a-f-]+$/);
  await hydrated(page);
  return new URL(page.url()).pathname.split("/")[2];
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
 * Invites `email` from the project's members page and returns the invite's accept link. Outside
 * production the Worker answers with the invite (no mail goes out there) and the page shows it as a
 * development-only link; a newcomer in development follows exactly that.
 */
export async function inviteMember(
  page: Page,
  env: TestEnv,
  invite: { projectId: string; email: string; role: string },
): Promise<string> {
  await page.goto(`/projects/${invite.projectId}/settings/members`);
  await hydrated(page);
  await page.fill("input[name=email]", invite.email);
  await page.selectOption("select[name=role]", invite.role);
  await page.click("button:has-text('Send invite')");
  await page.waitForSelector("text=Invitation sent");
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
