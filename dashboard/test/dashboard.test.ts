import { describe, expect, inject, test } from "vitest";
import {
  eventually,
  hydrated,
  ingest,
  inviteMember,
  measureJs,
  newContext,
  onboard,
  openTestPage,
  register,
  screenshot,
  writeArtifact,
} from "./helpers.ts";

/**
 * The dashboard as a person uses it, in Chromium, against the production build on `wrangler pages
 * dev`, a real Worker and Postgres. The tests run in order and share the account they create.
 */
const env = inject("env");
const run = Date.now().toString(36);
const owner = { email: `owner-${run}@example.com`, password: "correct horse battery", name: "Olive Owner" };
const viewer = { email: `viewer-${run}@example.com`, password: "viewer password 1", name: "Victor Viewer" };

const ui = openTestPage("dashboard", env);
let projectId = "";
let apiKey = "";
let issuePath = "";

async function textOf(selector: string): Promise<string> {
  return ((await ui.page.textContent(selector)) ?? "").trim();
}

describe("dashboard", () => {
  test("register, onboarding, and a curl'd event appears on the overview", async () => {
    const { page, context } = ui;
    await register(page, owner);

    const cookies = await context.cookies();
    const session = cookies.find((cookie) => cookie.httpOnly);
    expect(session, "a session cookie readable by no script").toBeDefined();

    apiKey = await onboard(page, { org: `Acme ${run}`, project: "Web app" });
    expect(apiKey).toMatch(/^tt_live_[0-9a-f]+_[0-9a-f]+$/);
    expect(await textOf("pre[data-snippet]")).toContain(apiKey);
    await page.click("a[role=tab]:has-text('curl')");
    expect(await textOf("pre[data-snippet]")).toContain(`${env.workerUrl}/ingest/event`);
    expect(await textOf("[data-testid=first-event]")).toContain("Waiting for your first event");
    await screenshot(page, "onboarding");

    const response = await ingest(env, "event", apiKey, {
      name: "signup_completed",
      app: "web",
      properties: { plan: "pro" },
    });
    expect(response.status).toBe(202);
    await page.waitForSelector("[data-testid=first-event]:has-text('Your first event arrived')", { timeout: 30_000 });
    await page.click("[data-testid=first-event] a");
    await page.waitForURL(/\/projects\/[0-9a-f-]+$/);
    projectId = new URL(page.url()).pathname.split("/")[2];
    // The overview's totals come from hourly rollups, which may trail the raw rows by a moment.
    await eventually(async () => {
      await page.reload();
      await page.waitForSelector("section[aria-label=Events] .value");
      return (await textOf("section[aria-label=Events] .value")) === "1";
    });
    expect(await page.textContent("main")).toContain("signup_completed");
    await page.waitForSelector(".chart .uplot");
    await screenshot(page, "overview");

    // The JavaScript budget (≤ 150 KB gzip) for the first page a visitor and a member load.
    const sizes = {
      login: await measureJs(context, "/login"),
      overview: await measureJs(context, `/projects/${projectId}`),
    };
    writeArtifact("js-size.json", sizes);
    console.log(`first-page JS (gzip): login ${sizes.login.gzipBytes} B, overview ${sizes.overview.gzipBytes} B`);
    expect(sizes.login.gzipBytes).toBeLessThan(150 * 1024);
    expect(sizes.overview.gzipBytes).toBeLessThan(150 * 1024);
  });

  test("an error sent twice is one issue with two occurrences; resolved, then again, it is a regression", async () => {
    const { page } = ui;
    const error = {
      app: "web",
      environment: "production",
      release: "web@1.0.0",
      type: "TypeError",
      message: "Cannot read properties of undefined (reading 'id')",
      stack:
        "TypeError: Cannot read properties of undefined (reading 'id')\n    at loadUser (https://app.example.com/src/user.js:10:5)\n    at main (https://app.example.com/src/main.js:3:1)",
      breadcrumbs: [{ category: "navigation", message: "/settings" }],
      tags: { feature: "profile" },
      user_id: "user-1",
      session_id: `s-${run}`,
    };
    for (let i = 0; i < 2; i++) expect((await ingest(env, "error", apiKey, error)).status).toBe(202);
    await ingest(env, "session", apiKey, {
      session_id: `s-${run}`,
      app: "web",
      user_id: "user-1",
      browser: "Chrome",
      os: "Linux",
    });

    await page.goto(`/projects/${projectId}/issues`);
    await eventually(async () => {
      await page.reload();
      await page.waitForSelector("main h1");
      return (await page.locator("[data-testid=issue-row]").count()) === 1;
    });
    await screenshot(page, "issues");
    await page.click("[data-testid=issue-row] a");
    await page.waitForSelector("[data-testid=issue-occurrences]");
    expect(await textOf("[data-testid=issue-occurrences]")).toBe("2");
    expect(await textOf("[data-testid=issue-status]")).toBe("unresolved");
    expect(await page.textContent("main")).toContain("loadUser");
    issuePath = new URL(page.url()).pathname;
    // Affected users and sessions: the session arrives (and is flushed) after the errors, so the
    // link to its timeline may take a moment.
    await eventually(async () => {
      await page.reload();
      await page.waitForSelector("[data-testid=affected-sessions] h2");
      return (await page.locator("[data-testid=affected-session] a").count()) === 1;
    });
    expect(await page.locator("[data-testid=affected-user]").count()).toBe(1);
    expect(await textOf("[data-testid=affected-user]")).toContain("user-1");
    expect(await textOf("[data-testid=affected-session]")).toContain(`s-${run}`.slice(0, 12));
    expect(await page.getAttribute("[data-testid=affected-session] a", "href")).toMatch(
      new RegExp(`^/projects/${projectId}/sessions/[^/?]+`),
    );
    await page.waitForSelector(".chart .uplot");
    await screenshot(page, "issue-detail");

    await page.click("button:has-text('Resolve')");
    await page.waitForSelector("[data-testid=issue-status]:has-text('resolved')");

    expect((await ingest(env, "error", apiKey, error)).status).toBe(202);
    await eventually(async () => {
      await page.reload();
      await page.waitForSelector("[data-testid=issue-status]");
      return (
        (await textOf("[data-testid=issue-status]")) === "unresolved" &&
        (await page.locator("[data-testid=issue-regression]").count()) === 1
      );
    });
    expect(await textOf("[data-testid=issue-occurrences]")).toBe("3");
  });

  test("an issue's occurrences, affected users and sessions load more, a page at a time", async () => {
    const { page } = ui;
    const message = `paged ${run}`;
    const errors = Array.from({ length: 22 }, (_, i) => ({
      type: "error",
      app: "web",
      error_type: "PagedError",
      message,
      user_id: `pager-${i}`,
      session_id: `pager-s-${run}-${i}`,
      timestamp: new Date(Date.now() - i * 1_000).toISOString(),
    }));
    expect((await ingest(env, "batch", apiKey, { events: errors })).status).toBe(202);
    await page.goto(`/projects/${projectId}/issues`);
    const row = `[data-testid=issue-row]:has-text("${message}")`;
    await eventually(async () => {
      await page.reload();
      await page.waitForSelector("main h1");
      return (await page.locator(row).count()) === 1;
    });
    await page.click(`${row} a`);
    await page.waitForSelector("[data-testid=occurrence-row]");

    // 10 affected users a page; the third page is the last, so the button goes.
    const users = "[data-testid=affected-users]";
    await page.waitForSelector(`${users} [data-testid=affected-user]`);
    expect(await page.locator(`${users} [data-testid=affected-user]`).count()).toBe(10);
    await page.click(`${users} button:has-text('Load more')`);
    await expect.poll(() => page.locator(`${users} [data-testid=affected-user]`).count(), { timeout: 10_000 }).toBe(20);
    await page.click(`${users} button:has-text('Load more')`);
    await expect.poll(() => page.locator(`${users} [data-testid=affected-user]`).count(), { timeout: 10_000 }).toBe(22);
    expect(await page.locator(`${users} button:has-text('Load more')`).count()).toBe(0);
    const sessions = "[data-testid=affected-sessions]";
    await page.click(`${sessions} button:has-text('Load more')`);
    await expect
      .poll(() => page.locator(`${sessions} [data-testid=affected-session]`).count(), { timeout: 10_000 })
      .toBe(20);

    // The detail brings the latest 20 occurrences; the rest come on "Load more", and any can be shown.
    const occurrences = "[data-testid=occurrences]";
    expect(await page.locator(`${occurrences} [data-testid=occurrence-row]`).count()).toBe(20);
    expect(await page.getAttribute(`${occurrences} [data-testid=occurrence-row]`, "data-selected")).toBe("true");
    await page.click(`${occurrences} button:has-text('Load more')`);
    await expect
      .poll(() => page.locator(`${occurrences} [data-testid=occurrence-row]`).count(), { timeout: 10_000 })
      .toBe(22);
    const oldest = `${occurrences} [data-testid=occurrence-row]:last-child`;
    await page.click(`${oldest} button:has-text('View')`);
    await page.waitForSelector(`${oldest}[data-selected=true]`);
    expect(await page.locator(`${occurrences} [data-selected=true]`).count()).toBe(1);
    // The oldest was sent by the last user of the batch; the view below is now that occurrence.
    expect(await textOf("[data-testid=occurrence] .kv")).toContain("pager-21");
  });

  test("events and sessions pages list what was sent", async () => {
    const { page } = ui;
    await ingest(env, "event", apiKey, {
      name: "button_clicked",
      app: "web",
      session_id: `s-${run}`,
      properties: { button: "save" },
    });
    await ingest(env, "event", apiKey, { name: "app_opened", app: "ios", environment: "staging" });
    await page.goto(`/projects/${projectId}/events`);
    await eventually(async () => {
      await page.reload();
      await page.waitForSelector("main h1");
      return (await page.locator("[data-testid=event-group]").count()) === 3;
    });
    expect(await page.textContent("main")).toContain("button_clicked");
    // One sparkline per name, drawn by uPlot from the per-bucket series.
    await eventually(
      async () => (await page.locator("[data-testid=event-group] .spark .uplot").count()) === 3,
      10_000,
      200,
    );
    await screenshot(page, "events");

    // The app filter reaches every read: the names, the stream, the links and the overview.
    await page.goto(`/projects/${projectId}/events?app=ios`);
    await eventually(async () => {
      await page.reload();
      await page.waitForSelector("main h1");
      return (await page.locator("[data-testid=event-group]").count()) === 1;
    });
    expect(await textOf("[data-testid=event-group]")).toContain("app_opened");
    expect(await page.locator("[data-testid=event-row]").count()).toBe(1);
    expect(await page.getAttribute("nav.nav a:has-text('Overview')", "href")).toContain("app=ios");
    await page.goto(`/projects/${projectId}?app=ios&env=staging`);
    await eventually(async () => {
      await page.reload();
      await page.waitForSelector("section[aria-label=Events] .value");
      return (await textOf("section[aria-label=Events] .value")) === "1";
    });
    expect(await page.textContent("main")).toContain("app_opened");
    expect(await page.textContent("main")).not.toContain("signup_completed");
    await page.goto(`/projects/${projectId}?app=web&env=staging`);
    await page.waitForSelector("section[aria-label=Events] .value");
    expect(await textOf("section[aria-label=Events] .value")).toBe("0");

    await page.goto(`/projects/${projectId}/sessions`);
    await page.waitForSelector("[data-testid=session-row]");
    await screenshot(page, "sessions");
    await page.click("[data-testid=session-row] a");
    await page.waitForSelector("ol.timeline li");
    expect(await page.textContent("main")).toContain("button_clicked");
    await screenshot(page, "session-detail");
  });

  test("a key created and revoked in settings is refused at ingest", async () => {
    const { page } = ui;
    await page.goto(`/projects/${projectId}/settings/keys`);
    await hydrated(page);
    await page.fill("input[name=name]", "Temporary");
    await page.click("button:has-text('Create key')");
    await page.waitForSelector("[data-testid=new-api-key]");
    const temporary = await textOf("[data-testid=new-api-key]");
    expect((await ingest(env, "event", temporary, { name: "with_temp_key", app: "web" })).status).toBe(202);
    await screenshot(page, "settings-keys");

    page.once("dialog", (dialog) => void dialog.accept());
    await page.click("[data-key-name=Temporary] button:has-text('Revoke')");
    await page.waitForSelector("[data-key-name=Temporary] .badge:has-text('revoked')");
    await eventually(
      async () => (await ingest(env, "event", temporary, { name: "after_revoke", app: "web" })).status === 401,
      10_000,
    );
    expect((await ingest(env, "event", apiKey, { name: "other_key_still_works", app: "web" })).status).toBe(202);

    await page.goto(`/projects/${projectId}/settings`);
    await page.waitForSelector("input[name=slug]");
    await screenshot(page, "settings");
    await page.goto(`/projects/${projectId}/settings/billing`);
    // This stack has no Stripe settings: the page says so instead of offering upgrades.
    await page.waitForSelector("[data-testid=billing-not-configured]");
    expect(await textOf("[data-testid=billing-not-configured]")).toContain("Billing is not configured on this server");
    expect(await textOf("[data-testid=billing-plan]")).toBe("FREE");
    expect(await page.locator("button:has-text('Upgrade to')").count()).toBe(0);
    await screenshot(page, "settings-billing-unconfigured");
  });

  test("Sentry: a key's DSN works with the Sentry protocol; setup offers the snippet; usage shows client reports", async () => {
    const { page } = ui;
    await page.goto(`/projects/${projectId}/settings/keys`);
    await page.waitForSelector("[data-key-name='Default key'] [data-testid=key-dsn]");
    const dsn = await textOf("[data-key-name='Default key'] [data-testid=key-dsn]");
    const publicId = apiKey.split("_")[2];
    expect(dsn).toMatch(new RegExp(`^http://${publicId}@127\\.0\\.0\\.1:\\d+/\\d+$`));

    // What a Sentry SDK does with that DSN: an envelope with an error and a client report.
    const parsed = new URL(dsn);
    const eventId = crypto.randomUUID().replace(/-/g, "");
    const body = [
      JSON.stringify({ event_id: eventId, sent_at: new Date().toISOString() }),
      JSON.stringify({ type: "event" }),
      JSON.stringify({ event_id: eventId, exception: { values: [{ type: "Error", value: "from a sentry sdk" }] } }),
      JSON.stringify({ type: "client_report" }),
      JSON.stringify({ discarded_events: [{ reason: "network_error", category: "error", quantity: 2 }] }),
    ].join("\n");
    const sent = await fetch(`${parsed.origin}/api${parsed.pathname}/envelope/?sentry_key=${parsed.username}`, {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8" },
      body,
    });
    expect(sent.status).toBe(200);

    await page.goto(`/projects/${projectId}/setup`);
    await page.waitForSelector("[data-testid=sentry-dsn]");
    expect(await textOf("[data-testid=sentry-dsn]")).toBe(dsn);
    await hydrated(page);
    await page.click("a[role=tab]:has-text('Sentry SDK')");
    expect(await textOf("pre[data-snippet]")).toContain(`dsn: "${dsn}"`);
    await screenshot(page, "setup-sentry");

    await eventually(async () => {
      await page.goto(`/projects/${projectId}/settings/usage`);
      await page.waitForSelector("h2:has-text('History')");
      return (await page.locator("[data-testid=sentry-outcomes]").count()) > 0;
    });
    const outcomes = await textOf("[data-testid=sentry-outcomes]");
    expect(outcomes).toContain("network_error");
    expect(outcomes).toContain("dropped by the SDK");
    await screenshot(page, "usage-sentry-outcomes");
  });

  test("an invited VIEWER accepts in a second browser, sees no resolve button, and a forged resolve is refused", async () => {
    const { page } = ui;
    const acceptUrl = await inviteMember(page, env, { projectId, email: viewer.email, role: "VIEWER" });
    await screenshot(page, "settings-members-invite");

    const second = await newContext(ui.browser, env);
    try {
      const invitee = await second.newPage();
      await invitee.goto(acceptUrl);
      await invitee.waitForSelector("[data-testid=invite-org]");
      expect(await invitee.textContent("[data-testid=invite-org]")).toBe(`Acme ${run}`);
      expect(await invitee.textContent("[data-testid=invite-role]")).toBe("VIEWER");
      await invitee.fill("input[name=displayName]", viewer.name);
      await invitee.fill("input[name=password]", viewer.password);
      await invitee.click("button:has-text('Create account and join')");
      await invitee.waitForURL(/\/projects\/[0-9a-f-]+/);

      await invitee.goto(issuePath);
      await invitee.waitForSelector("[data-testid=issue-status]");
      expect(await invitee.locator("button:has-text('Resolve')").count()).toBe(0);
      expect(await invitee.locator("button:has-text('Reopen')").count()).toBe(0);

      // A forged request with the viewer's own session, straight at the API, is refused there.
      const cookie = (await second.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
      const issueId = issuePath.split("/").pop();
      const forged = await fetch(`${env.workerUrl}/api/projects/${projectId}/issues/${issueId}`, {
        method: "PATCH",
        headers: { cookie, origin: env.dashboardUrl, "content-type": "application/json" },
        body: JSON.stringify({ status: "resolved" }),
      });
      expect(forged.status).toBe(403);
      expect(((await forged.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    } finally {
      await second.close();
    }
    await page.reload();
    await page.waitForSelector("[data-testid=member-row]");
    expect(await page.locator("[data-testid=member-row]").count()).toBe(2);
    await screenshot(page, "settings-members");
  });

  test("an API error shows its message and a way on, never a blank page", async () => {
    const { page } = ui;
    // A project id nobody can see: every read of the shell and the page answers 404.
    await page.goto("/projects/00000000-0000-4000-8000-000000000000");
    await page.waitForSelector("[role=alert]");
    const text = (await page.textContent("body")) ?? "";
    expect(text).toContain("Something went wrong");
    expect(text).not.toContain("Uncaught Client Exception");
    expect(await page.locator("a:has-text('Go to your projects')").count()).toBeGreaterThan(0);
    await screenshot(page, "error-unknown-project");
    await hydrated(page);
    await page.locator("a:has-text('Go to your projects')").first().click();
    await page.waitForURL(new RegExp(`/projects/${projectId}$`));
  });

  test("sign out clears the session, and Back shows nothing private", async () => {
    const { page, context } = ui;
    await page.goto(`/projects/${projectId}/settings/account`);
    await page.waitForSelector("input[name=displayName]");
    await page.click("button:has-text('Sign out')");
    await page.waitForURL("**/login?signedOut=1");
    expect((await context.cookies()).filter((cookie) => cookie.httpOnly)).toHaveLength(0);
    await page.goBack();
    await page.waitForLoadState("networkidle");
    await page.waitForURL(/\/login/);
    expect(await page.textContent("body")).not.toContain(owner.email);
    const direct = await page.goto(`/projects/${projectId}`);
    expect(direct?.ok()).toBe(true);
    await page.waitForURL(/\/login/);
  });
});
