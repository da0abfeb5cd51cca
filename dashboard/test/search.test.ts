import { beforeAll, describe, expect, inject, test } from "vitest";
import { eventually, hydrated, ingest, openTestPage, screenshot, signIn } from "./helpers.ts";

/**
 * Global search in Chromium against the production build, a real Worker and Postgres: `/` focuses the
 * shell's search box (but types into any other field), a query shows results grouped by kind with
 * counts, each hit links to its page, a bad token shows the API's reason, and no page errors.
 */
const env = inject("env");
const projectId = env.demo.projectId;
// Unique to this run, and in every kind's searchable field: message, event name, session id, user, release.
const run = `q${Date.now().toString(36)}`;
const user = `user-${run}`;
const release = `rel-${run}`;
const message = `Search widget ${run} exploded`;

const ui = openTestPage("search", env);

beforeAll(async () => {
  const now = new Date().toISOString();
  const sent = await Promise.all([
    ingest(env, "session", env.demo.apiKey, {
      session_id: `sess-${run}`,
      app: "web",
      action: "start",
      started_at: now,
      release,
      environment: "production",
      user_id: user,
    }),
    ingest(env, "error", env.demo.apiKey, {
      app: "web",
      type: "TypeError",
      message,
      release,
      environment: "production",
      user_id: user,
      session_id: `sess-${run}`,
    }),
    ingest(env, "event", env.demo.apiKey, { app: "web", name: `search_evt_${run}`, user_id: user, release }),
  ]);
  for (const res of sent) expect(res.status).toBe(202);
  await signIn(ui.page, env.demo);
});

const box = "[data-testid=global-search]";
// A string, evaluated in the page: the test's tsconfig has no DOM types.
const focusedIsBox = () =>
  ui.page.evaluate<boolean>(`document.activeElement?.getAttribute("data-testid") === "global-search"`);
const counts = () =>
  ui.page.$$eval("[data-testid^=search-][data-count]", (sections) =>
    Object.fromEntries(sections.map((s) => [s.getAttribute("data-testid"), Number(s.getAttribute("data-count"))])),
  );

describe("global search", () => {
  test("`/` focuses the search box, except while typing in another field", async () => {
    const { page } = ui;
    await page.goto(`/projects/${projectId}/issues`);
    await hydrated(page);
    expect(await focusedIsBox()).toBe(false);
    await page.keyboard.press("/");
    expect(await focusedIsBox()).toBe(true);
    // In the issues page's own search field, "/" is a character.
    await page.click("input[aria-label='Search issues']");
    await page.keyboard.type("a/b");
    expect(await page.inputValue("input[aria-label='Search issues']")).toBe("a/b");
    expect(await focusedIsBox()).toBe(false);
  });

  test("a query shows results grouped by kind with counts", async () => {
    const { page } = ui;
    await page.goto(`/projects/${projectId}`);
    await hydrated(page);
    await page.keyboard.press("/");
    await page.keyboard.type(run);
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/search\?q=/);
    // Telemetry reaches Postgres after the meter's flush: search again until every kind has its hit.
    await eventually(async () => {
      await page.reload();
      await hydrated(page);
      await page.waitForSelector("[data-testid=search-summary]");
      const c = await counts();
      return Object.values(c).length === 5 && Object.values(c).every((n) => n === 1);
    }, 30_000);
    expect(await counts()).toEqual({
      "search-issues": 1,
      "search-events": 1,
      "search-sessions": 1,
      "search-users": 1,
      "search-releases": 1,
    });
    expect(await page.inputValue(box)).toBe(run);
    expect(await page.textContent("[data-testid=search-issues]")).toContain(message);
    await screenshot(page, "search-results");
  });

  test("each hit links to its page", async () => {
    const { page } = ui;
    const resultsUrl = page.url();
    const follow = async (kind: string, expectUrl: RegExp, expectText: string) => {
      await page.goto(resultsUrl);
      await hydrated(page);
      await page.click(`[data-testid=search-${kind}] [data-testid=search-hit] a`);
      await page.waitForURL(expectUrl);
      await hydrated(page);
      await page.waitForSelector(`text=${expectText}`);
    };
    await follow("issues", /\/issues\/[0-9a-f-]{36}/, message);
    await follow("events", /\/events\?.*name=search_evt_/, `search_evt_${run}`);
    await follow("sessions", /\/sessions\/\d+/, `sess-${run}`);
    await follow("users", /\/sessions\?.*user=user-/, `Sessions of ${user}`);
    expect(await page.$$eval("[data-testid=session-row]", (rows) => rows.length)).toBe(1);
    await follow("releases", /\/releases\/rel-/, release);
  });

  test("a combined query narrows; a bad token shows the reason", async () => {
    const { page } = ui;
    await page.goto(`/projects/${projectId}/search?q=${encodeURIComponent(`user:${user} is:unresolved`)}`);
    await hydrated(page);
    await page.waitForSelector("[data-testid=search-summary]");
    expect((await counts())["search-issues"]).toBe(1);
    expect(await page.textContent("[data-testid=search-events]")).toContain("Not searched");

    await page.fill(box, `is:open ${run}`);
    await page.press(box, "Enter");
    await page.waitForSelector("[data-testid=search-problems]");
    expect(await page.textContent("[data-testid=search-problems]")).toContain("is: must be one of");
    await screenshot(page, "search-bad-token");
  });

  test("no page errors", () => {
    expect(ui.pageErrors).toEqual([]);
  });
});
