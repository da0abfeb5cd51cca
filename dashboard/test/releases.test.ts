import { describe, expect, inject, test } from "vitest";
import { eventually, homeProjectId, hydrated, ingest, onboard, openTestPage, register, screenshot } from "./helpers.ts";

/**
 * Release health in Chromium against the production build, a real Worker and Postgres: sessions and
 * errors of two releases sent through /ingest/batch show on the Releases page with crash-free
 * figures computed by hand here, the columns sort, the list pages, the detail page charts the
 * release and links its new and regressed issues, an issue shows its first and last release, the
 * issue list filters by release, and the overview's card shows the latest release. A fresh account
 * and project keep the figures this file's own.
 */
const env = inject("env");
const run = Date.now().toString(36);
const owner = { email: `releases-${run}@example.com`, password: "release health 1", name: "Rita Release" };
const OLD = "shop@1.0.0";
const NEW = "shop@2.0.0+build.7"; // "+" and "@" must survive the release page's URL
const PAGING_RELEASES = 26; // one more than a page

const ui = openTestPage("releases", env);
let projectId = "";
let apiKey = "";

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

async function batch(events: unknown[]) {
  const res = await ingest(env, "batch", apiKey, { events });
  expect(res.status, await res.clone().text()).toBe(202);
}

/** The Worker's /api with this browser's session cookie, as the dashboard's server calls it. */
async function api(path: string, init: { method?: string; body?: unknown } = {}) {
  const cookie = (await ui.context.cookies(env.dashboardUrl)).map((c) => `${c.name}=${c.value}`).join("; ");
  return await fetch(`${env.workerUrl}${path}`, {
    method: init.method ?? "GET",
    headers: {
      cookie,
      origin: env.dashboardUrl,
      ...(init.body ? { "content-type": "application/json" } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
}

const session = (id: string, release: string, user: string, startedMinutesAgo: number, environment = "production") => ({
  type: "session",
  action: "start",
  session_id: `${id}-${run}`,
  app: "shop",
  environment,
  release,
  user_id: user,
  started_at: minutesAgo(startedMinutesAgo),
  timestamp: minutesAgo(startedMinutesAgo),
});
const end = (start: ReturnType<typeof session>, status: "ok" | "crashed") => ({
  ...start,
  action: "end",
  status,
  ended_at: minutesAgo(1),
  timestamp: minutesAgo(1),
});
const error = (type: string, message: string, release: string, atMinutesAgo: number, sessionId?: string) => ({
  type: "error",
  app: "shop",
  environment: "production",
  release,
  error_type: type,
  message,
  handled: true,
  session_id: sessionId ? `${sessionId}-${run}` : undefined,
  timestamp: minutesAgo(atMinutesAgo),
  frames: [{ file: "src/cart.js", function: message.replaceAll(" ", "_"), line: 3, in_app: true }],
});

interface Health {
  release: string;
  sessions: number;
  errored: number;
  crashed: number;
  errors: number;
}

async function releasesNow(query: string): Promise<Record<string, Health>> {
  const res = await api(`/api/projects/${projectId}/releases?${query}`);
  const { releases } = (await res.json()) as { releases: Health[] };
  return Object.fromEntries(releases.map((r) => [r.release, r]));
}

async function rowReleases(): Promise<string[]> {
  return await ui.page.$$eval("[data-testid=release-row]", (rows) =>
    rows.map((row) => row.getAttribute("data-release") ?? ""),
  );
}

async function cell(release: string, testId: string): Promise<string> {
  return (
    (await ui.page.textContent(`[data-testid=release-row][data-release="${release}"] [data-testid=${testId}]`)) ?? ""
  ).trim();
}

async function healthOf(release: string, testId: string): Promise<{ value: string; health: string | null }> {
  const selector = `[data-testid=release-row][data-release="${release}"] [data-testid=${testId}]`;
  return {
    value: ((await ui.page.textContent(`${selector} .health-value`)) ?? "").trim(),
    health: await ui.page.getAttribute(selector, "data-health"),
  };
}

// Release OLD, 3 hours ago: 4 sessions of 4 users, one crashed; one error (a new issue).
// Release NEW, minutes ago: 3 sessions of 3 users, none crashed, one errored by a handled error;
// 3 errors: the OLD issue again after it was resolved (a regression in NEW) and a new issue twice.
// Environment "paging": 26 releases of one session each, 10 hours ago.
const old = ["a1", "a2", "a3", "a4"].map((id) => session(id, OLD, `user-${id}`, 180));
const fresh = ["b1", "b2", "b3"].map((id) => session(id, NEW, `user-${id}`, 5));

describe("releases", () => {
  test("sessions and errors of two releases reach the release rollups", async () => {
    const { page } = ui;
    await register(page, owner);
    apiKey = await onboard(page, { org: `Releases ${run}`, project: "Shop" });

    await batch([
      ...old,
      error("PaymentError", "Checkout failed", OLD, 170),
      ...Array.from({ length: PAGING_RELEASES }, (_, i) =>
        session(`p${i}`, `paging@${String(i).padStart(2, "0")}`, `pager-${i}`, 600, "paging"),
      ),
    ]);
    await batch([end(old[0], "ok"), end(old[1], "crashed"), end(old[2], "ok"), end(old[3], "ok")]);

    projectId = await homeProjectId(page);

    // The OLD release's issue is resolved before it comes back in NEW.
    let checkoutId = "";
    await eventually(async () => {
      const res = await api(`/api/projects/${projectId}/issues?status=all`);
      const { issues } = (await res.json()) as { issues: Array<{ id: string; message: string }> };
      checkoutId = issues.find((issue) => issue.message === "Checkout failed")?.id ?? "";
      return checkoutId !== "";
    });
    const resolved = await api(`/api/projects/${projectId}/issues/${checkoutId}`, {
      method: "PATCH",
      body: { status: "resolved" },
    });
    expect(resolved.status).toBe(200);

    await batch(fresh);
    await batch([
      error("PaymentError", "Checkout failed", NEW, 4, "b2"),
      error("TypeError", "Cart empty", NEW, 3),
      error("TypeError", "Cart empty", NEW, 2),
      end(fresh[0], "ok"),
      end(fresh[2], "ok"),
    ]);
    await eventually(async () => {
      const r = await releasesNow("range=24h&environment=production");
      return r[OLD]?.crashed === 1 && r[NEW]?.errors === 3 && r[NEW]?.errored === 1 && r[NEW]?.sessions === 3;
    });
  });

  test("the table shows adoption, crash-free sessions and users, errors and new issues", async () => {
    const { page } = ui;
    await page.goto(`/projects/${projectId}/releases?env=production`);
    await hydrated(page);
    await page.waitForSelector("[data-testid=release-row]");
    expect(await rowReleases()).toEqual([OLD, NEW]); // adoption: 4 sessions before 3

    // By hand: OLD 4 sessions, 1 crashed → 3/4 crash-free; users user-a1…a4, user-a2 crashed → 3/4.
    const oldFree = `${((3 / 4) * 100).toFixed(2)}%`;
    expect(await healthOf(OLD, "crash-free-sessions")).toEqual({ value: oldFree, health: "poor" });
    expect(await healthOf(OLD, "crash-free-users")).toEqual({ value: oldFree, health: "poor" });
    expect(await cell(OLD, "sessions")).toBe("4");
    expect(await cell(OLD, "errors")).toBe("1");
    expect(await cell(OLD, "new-issues")).toBe("1");
    expect(await cell(OLD, "adoption")).toBe(`${((4 / 7) * 100).toFixed(1)}%`);
    // NEW: 3 sessions, none crashed (the errored one still counts as crash-free) → 100 %.
    expect(await healthOf(NEW, "crash-free-sessions")).toEqual({ value: "100%", health: "good" });
    expect(await healthOf(NEW, "crash-free-users")).toEqual({ value: "100%", health: "good" });
    expect(await cell(NEW, "sessions")).toBe("3");
    expect(await cell(NEW, "errors")).toBe("3");
    expect(await cell(NEW, "new-issues")).toBe("1"); // "Cart empty"; "Checkout failed" is OLD's
    expect(await cell(NEW, "adoption")).toBe(`${((3 / 7) * 100).toFixed(1)}%`);
    // The health is written out, not only coloured.
    expect(await page.textContent(`[data-release="${OLD}"] [data-testid=crash-free-sessions]`)).toContain("poor");
    await screenshot(page, "releases");
  });

  test("the columns sort", async () => {
    const { page } = ui;
    const sortBy = async (key: string) => {
      await page.click(`[data-testid=sort-${key}]`);
      await page.waitForURL(new RegExp(`sort=${key}`));
      await page.waitForSelector(`[data-testid=sort-${key}][aria-current=true]`);
      return await rowReleases();
    };
    expect(await sortBy("crash_free")).toEqual([OLD, NEW]); // least crash-free first
    expect(await sortBy("errors")).toEqual([NEW, OLD]);
    expect(await sortBy("first_seen")).toEqual([NEW, OLD]); // newest first
    expect(await sortBy("adoption")).toEqual([OLD, NEW]);
    expect(page.url()).toContain("env=production"); // sorting keeps the view's filters
  });

  test("the list pages with a cursor", async () => {
    const { page } = ui;
    await page.goto(`/projects/${projectId}/releases?env=paging&sort=first_seen`);
    await hydrated(page);
    await page.waitForSelector("[data-testid=release-row]");
    const first = await rowReleases();
    expect(first).toHaveLength(25);
    await page.click("a:has-text('Next page')");
    await page.waitForURL(/cursor=/);
    await page.waitForSelector("[data-testid=release-row]");
    const second = await rowReleases();
    expect(second).toHaveLength(PAGING_RELEASES - 25);
    expect(new Set([...first, ...second]).size).toBe(PAGING_RELEASES);
    expect(page.url()).toContain("sort=first_seen");
  });

  test("a release's page: health, chart, new and regressed issues linking to their pages", async () => {
    const { page } = ui;
    await page.goto(`/projects/${projectId}/releases?env=production`);
    await hydrated(page);
    await page.click(`[data-release="${OLD}"] a:has-text("${OLD}")`);
    await page.waitForURL(/\/releases\/shop/);
    await page.waitForSelector("[data-testid=detail-crash-free-sessions]");
    expect(await page.textContent("[data-testid=release-name]")).toBe(OLD);
    expect(await page.textContent("[data-testid=detail-crash-free-sessions] .health-value")).toBe("75.00%");
    expect(await page.textContent("[data-testid=detail-sessions]")).toBe("4");
    expect(await page.$$eval("[data-testid=new-issue-row]", (rows) => rows.map((r) => r.textContent))).toEqual([
      expect.stringContaining("PaymentError: Checkout failed"),
    ]);
    expect(await page.$$("[data-testid=regressed-issue-row]")).toHaveLength(0);

    await page.goto(`/projects/${projectId}/releases?env=production`);
    await hydrated(page);
    await page.click(`[data-release="${NEW}"] a:has-text("${NEW}")`);
    await page.waitForSelector("[data-testid=detail-crash-free-sessions]");
    expect(await page.textContent("[data-testid=release-name]")).toBe(NEW);
    expect(await page.textContent("[data-testid=detail-errors]")).toBe("3");
    await page.waitForSelector(".chart .uplot");
    expect(await page.$$(".chart .uplot")).toHaveLength(2); // sessions, and crash-free %
    expect(await page.textContent("[data-testid=new-issue-row]")).toContain("TypeError: Cart empty");
    expect(await page.textContent("[data-testid=regressed-issue-row]")).toContain("PaymentError: Checkout failed");
    await screenshot(page, "release-detail");

    await page.click("[data-testid=regressed-issue-row] a");
    await page.waitForURL(/\/issues\/[0-9a-f-]+/);
    await page.waitForSelector("[data-testid=issue-releases]");
    expect(await page.textContent("[data-testid=first-release]")).toBe(OLD);
    expect(await page.textContent("[data-testid=last-release]")).toBe(NEW);
    await page.click("[data-testid=first-release]");
    await page.waitForURL(/\/releases\/shop%401\.0\.0/);
    await page.waitForSelector("[data-testid=detail-crash-free-sessions]");
    expect(await page.textContent("[data-testid=release-name]")).toBe(OLD);
  });

  test("the issue list filters by release", async () => {
    const { page } = ui;
    await page.goto(`/projects/${projectId}/issues?status=all`);
    await hydrated(page);
    await page.waitForSelector("[data-testid=issue-row]");
    expect(await page.$$("[data-testid=issue-row]")).toHaveLength(2);
    await page.selectOption("select[name=release]", OLD);
    await page.waitForURL(/release=shop%401\.0\.0/);
    await eventually(async () => (await page.$$("[data-testid=issue-row]")).length === 1, 10_000, 200);
    expect(await page.textContent("[data-testid=issue-row]")).toContain("Checkout failed");
    expect(page.url()).toContain("status=all");
  });

  test("the overview shows the latest release's crash-free sessions and links to it", async () => {
    const { page } = ui;
    await page.goto(`/projects/${projectId}`);
    await hydrated(page);
    await page.waitForSelector("[data-testid=latest-release-link]");
    expect(await page.textContent("[data-testid=latest-release-link]")).toBe(NEW);
    expect(await page.textContent("[data-testid=latest-release-crash-free] .health-value")).toBe("100%");
    await page.click("[data-testid=latest-release-link]");
    await page.waitForURL(/\/releases\/shop%402\.0\.0%2Bbuild\.7/);
    await page.waitForSelector("[data-testid=detail-crash-free-sessions]");
    expect(await page.textContent("[data-testid=release-name]")).toBe(NEW);
    expect(ui.pageErrors).toEqual([]);
  });
});
