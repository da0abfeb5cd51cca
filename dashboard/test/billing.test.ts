import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { freePort, type LocalStack, startLocalStack } from "../../db/local/stack.ts";
import { type FakeStripe, type RecordedRequest, startFakeStripe } from "../../worker/test/setup/fake-stripe.ts";
import type { TestEnv } from "./global-setup.ts";
import {
  eventually,
  homeProjectId,
  hydrated,
  ingest,
  inviteMember,
  newContext,
  onboard,
  openTestPage,
  register,
  screenshot,
  watchPage,
} from "./helpers.ts";
import { type PagesDev, startPagesDev } from "./pages.ts";

/**
 * The billing page against a Worker that has Stripe configured, with the fake Stripe API
 * (worker/test/setup/fake-stripe.ts) running in this process. The global setup's stack has no
 * Stripe, so this file starts its own Worker and `wrangler pages dev` beside it, and checks the
 * "not configured" state on the global stack at the end. Stripe's hosted pages are stood in for by Playwright routes, and
 * the webhooks Stripe would send are signed here with the real scheme and posted to the Worker.
 */
const STRIPE = {
  STRIPE_SECRET_KEY: "sk_test_dashboard",
  STRIPE_WEBHOOK_SECRET: "whsec_dashboard_test",
  STRIPE_PRICE_PRO: "price_dashboard_pro",
  STRIPE_PRICE_BUSINESS: "price_dashboard_business",
};
const FREE_QUOTA = 250_000;
const PRO_QUOTA = 5_000_000;

const run = `b${Date.now().toString(36)}`;
const owner = { email: `owner-${run}@example.com`, password: "correct horse battery", name: "Bea Billing" };
const viewer = { email: `viewer-${run}@example.com`, password: "viewer password 1", name: "Vera Viewer" };

let stripe: FakeStripe;
let stack: LocalStack;
let pages: PagesDev;
let env: TestEnv;
let projectId = "";
let billingPath = "";

beforeAll(async () => {
  stripe = await startFakeStripe();
  const pagesPort = await freePort();
  const dashboardUrl = `http://127.0.0.1:${pagesPort}`;
  stack = await startLocalStack({
    mode: "scratch",
    databaseUrl: process.env.DATABASE_URL,
    vars: {
      FLUSH_DELAY_MS: "200",
      DASHBOARD_ORIGINS: dashboardUrl,
      ALLOW_REGISTRATION: "true",
      ...STRIPE,
      STRIPE_API_BASE: stripe.url,
    },
  });
  pages = await startPagesDev({ port: pagesPort, workerUrl: stack.workerUrl, name: "billing" });
  env = { dashboardUrl, workerUrl: stack.workerUrl, databaseUrl: stack.databaseUrl, demo: stack.demo };
});

afterAll(async () => {
  await pages?.stop();
  await stack?.stop();
  await stripe?.close();
});

// Hooks run in the order given and unwind in reverse: the page opens on the stack above and closes first.
const ui = openTestPage("billing", () => env, {
  // Stripe's hosted checkout and portal: a small page instead of the real site.
  prepare: async (context) => {
    await context.route(/^https:\/\/(checkout|billing)\.stripe\.test\//, (route) =>
      route.fulfill({ status: 200, contentType: "text/html", body: "<h1>Stripe (test stand-in)</h1>" }),
    );
  },
});

async function stripeRequests(path: string): Promise<RecordedRequest[]> {
  const response = await fetch(`${stripe.url}/__control/requests`);
  const { requests } = (await response.json()) as { requests: RecordedRequest[] };
  return requests.filter((request) => request.path === path);
}

/** Stripe's scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`. */
async function deliverWebhook(type: string, object: unknown, created: number): Promise<void> {
  const event = {
    id: `evt_${run}_${created}_${type.replace(/\W/g, "")}`,
    object: "event",
    api_version: "2026-10-28.endive",
    created,
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
  const payload = JSON.stringify(event);
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac("sha256", STRIPE.STRIPE_WEBHOOK_SECRET).update(`${t}.${payload}`).digest("hex");
  const response = await fetch(`${env.workerUrl}/webhooks/stripe`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": `t=${t},v1=${v1}` },
    body: payload,
  });
  const body = await response.text();
  expect(response.status, body).toBe(200);
  expect(JSON.parse(body)).toMatchObject({ received: true, outcome: "applied" });
}

function subscriptionObject(options: { id: string; customer: string; orgId: string; status: string }) {
  const created = Math.floor(Date.now() / 1000) - 60;
  return {
    id: options.id,
    object: "subscription",
    customer: options.customer,
    status: options.status,
    created,
    start_date: created,
    livemode: false,
    metadata: { org_id: options.orgId, plan: "PRO" },
    items: {
      object: "list",
      data: [
        {
          id: `si_${run}`,
          object: "subscription_item",
          price: { id: STRIPE.STRIPE_PRICE_PRO, object: "price" },
          quantity: 1,
          current_period_start: created,
          current_period_end: created + 30 * 86_400,
        },
      ],
    },
  };
}

async function planShown(): Promise<string> {
  return ((await ui.page.textContent("[data-testid=billing-plan]")) ?? "").trim();
}

async function quotasShown(): Promise<string[]> {
  return await ui.page
    .locator("[data-testid=billing-project-usage]")
    .evaluateAll((items) => items.map((item) => item.getAttribute("data-quota") ?? ""));
}

describe("billing page with Stripe configured", () => {
  let orgId = "";
  let customer = "";
  const subscriptionId = `sub_${run}`;
  const t0 = Math.floor(Date.now() / 1000);

  test("an OWNER on FREE sees the plan, usage against the FREE quota and both upgrade buttons", async () => {
    const { page } = ui;
    await register(page, owner);
    const apiKey = await onboard(page, { org: `Billed ${run}`, project: "Shop" });
    for (let i = 0; i < 3; i++)
      expect((await ingest(env, "event", apiKey, { name: "paid", app: "web" })).status).toBe(202);

    projectId = await homeProjectId(page);
    billingPath = `/projects/${projectId}/settings/billing`;
    await page.goto(billingPath);
    await hydrated(page);
    await page.waitForSelector("[data-testid=billing-plan]");
    expect(await planShown()).toBe("FREE");
    expect(await page.locator("[data-testid=billing-not-configured]").count()).toBe(0);
    expect(await page.textContent("[data-testid=billing-status]")).toContain("none");
    expect(await quotasShown()).toEqual([String(FREE_QUOTA)]);
    await eventually(async () => {
      await page.reload();
      await hydrated(page);
      await page.waitForSelector("[data-testid=billing-project-usage]");
      return (await page.textContent("[data-testid=billing-project-usage]"))?.includes("3 of 250K units") ?? false;
    });
    expect(await page.locator("button:has-text('Upgrade to PRO')").count()).toBe(1);
    expect(await page.locator("button:has-text('Upgrade to BUSINESS')").count()).toBe(1);
    // No customer yet: there is no portal to open.
    expect(await page.locator("button:has-text('Manage subscription')").count()).toBe(0);
    expect(await page.locator("button:has-text('Change plan')").count()).toBe(0);
    await screenshot(page, "billing-free");
  });

  test("Upgrade to PRO sends the browser to Stripe's checkout with this page as the way back", async () => {
    const { page } = ui;
    await page.click("button:has-text('Upgrade to PRO')");
    await page.waitForURL(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
    expect(await page.textContent("h1")).toContain("Stripe");

    const [session] = await stripeRequests("/v1/checkout/sessions");
    expect(session.form).toMatchObject({
      mode: "subscription",
      "line_items[0][price]": STRIPE.STRIPE_PRICE_PRO,
      "metadata[plan]": "PRO",
      success_url: `${env.dashboardUrl}${billingPath}?checkout=success`,
      cancel_url: `${env.dashboardUrl}${billingPath}?checkout=canceled`,
    });
    orgId = session.form.client_reference_id;
    customer = session.form.customer;
    expect(orgId).toMatch(/^[0-9a-f-]{36}$/);
    expect(customer).toMatch(/^cus_/);
  });

  test("back from Stripe the page waits for the webhook, then shows PRO, the portal and the PRO quota", async () => {
    const { page } = ui;
    // Stripe has the subscription; the Worker learns of it only from the webhook.
    await fetch(`${stripe.url}/__control/subscriptions`, {
      method: "POST",
      body: JSON.stringify(subscriptionObject({ id: subscriptionId, customer, orgId, status: "active" })),
    });
    await page.goto(`${billingPath}?checkout=success`);
    await hydrated(page);
    await page.waitForSelector("[data-testid=checkout-waiting]");
    expect(await page.textContent("[data-testid=checkout-waiting]")).toContain("waiting for Stripe to confirm");
    expect(await planShown()).toBe("FREE");

    await deliverWebhook(
      "checkout.session.completed",
      {
        id: `cs_test_${run}`,
        object: "checkout.session",
        mode: "subscription",
        status: "complete",
        customer,
        subscription: subscriptionId,
        client_reference_id: orgId,
        metadata: { org_id: orgId, plan: "PRO" },
      },
      t0,
    );
    // No reload: the page polls until the plan changes.
    await page.waitForSelector("[data-testid=checkout-confirmed]", { timeout: 20_000 });
    expect(await planShown()).toBe("PRO");
    expect(await page.locator("[data-testid=checkout-waiting]").count()).toBe(0);
    expect(await page.textContent("[data-testid=billing-status]")).toContain("active");
    expect(await page.locator("[data-testid=billing-period-end]").count()).toBe(1);
    expect(await page.locator("button:has-text('Manage subscription')").count()).toBe(1);
    expect(await page.locator("button:has-text('Change plan')").count()).toBe(1);
    expect(await page.locator("button:has-text('Upgrade to')").count()).toBe(0);
    expect(await quotasShown()).toEqual([String(PRO_QUOTA)]);
    expect(await page.textContent("[data-testid=billing-project-usage]")).toContain("of 5M units");
    await screenshot(page, "billing-pro");
  });

  test("Manage subscription opens Stripe's portal with this page as the way back", async () => {
    const { page } = ui;
    await page.click("button:has-text('Manage subscription')");
    await page.waitForURL(/^https:\/\/billing\.stripe\.test\/p\/session\//);
    const [portal] = await stripeRequests("/v1/billing_portal/sessions");
    expect(portal.form).toMatchObject({ customer, return_url: `${env.dashboardUrl}${billingPath}` });
  });

  test("a VIEWER sees the plan read-only: no upgrade, change or portal buttons", async () => {
    const { page } = ui;
    const acceptUrl = await inviteMember(page, env, { projectId, email: viewer.email, role: "VIEWER" });

    const second = await newContext(ui.browser, env);
    try {
      const invitee = await second.newPage();
      await invitee.goto(acceptUrl);
      await hydrated(invitee);
      await invitee.waitForSelector("[data-testid=invite-org]");
      await invitee.fill("input[name=displayName]", viewer.name);
      await invitee.fill("input[name=password]", viewer.password);
      await invitee.click("button:has-text('Create account and join')");
      await invitee.waitForURL(/\/projects\/[0-9a-f-]+/);
      await invitee.goto(billingPath);
      await hydrated(invitee);
      await invitee.waitForSelector("[data-testid=billing-read-only]");
      expect(((await invitee.textContent("[data-testid=billing-plan]")) ?? "").trim()).toBe("PRO");
      for (const label of ["Upgrade to", "Change plan", "Manage subscription"]) {
        expect(await invitee.locator(`button:has-text('${label}')`).count(), label).toBe(0);
      }
      expect(await invitee.locator("[data-testid=billing-project-usage]").count()).toBe(1);
      await screenshot(invitee, "billing-viewer");
    } finally {
      await second.close();
    }
  });

  test("past_due shows the warning and keeps PRO; canceled falls back to FREE with the purchase shown", async () => {
    const { page } = ui;
    const sub = (status: string) => subscriptionObject({ id: subscriptionId, customer, orgId, status });
    await deliverWebhook("customer.subscription.updated", sub("past_due"), t0 + 1);
    await page.goto(billingPath);
    await hydrated(page);
    await page.waitForSelector("[data-testid=billing-warning]");
    expect(await page.textContent("[data-testid=billing-warning]")).toContain("payment failed");
    expect(await planShown()).toBe("PRO");
    await screenshot(page, "billing-past-due");

    await deliverWebhook("customer.subscription.deleted", sub("canceled"), t0 + 2);
    await page.reload();
    await hydrated(page);
    await page.waitForSelector("[data-testid=billing-purchased-plan]");
    expect(await planShown()).toBe("FREE");
    expect(await page.textContent("[data-testid=billing-purchased-plan]")).toContain("PRO");
    expect(await page.locator("[data-testid=billing-warning]").count()).toBe(0);
    expect(await quotasShown()).toEqual([String(FREE_QUOTA)]);
    // The subscription is over: a new checkout is possible again, and the portal still has the invoices.
    expect(await page.locator("button:has-text('Upgrade to PRO')").count()).toBe(1);
    expect(await page.locator("button:has-text('Change plan')").count()).toBe(0);
    expect(await page.locator("button:has-text('Manage subscription')").count()).toBe(1);
    await screenshot(page, "billing-lapsed");
  });
});

describe("billing page without Stripe (the global setup's stack)", () => {
  const unconfigured = inject("env");
  const self = { email: `self-${run}@example.com`, password: "self hosted password", name: "Sam Selfhost" };

  test("shows the plan in effect, usage against the quota and the limits, and says billing is not configured", async () => {
    const own = await newContext(ui.browser, unconfigured);
    try {
      const selfPage = await own.newPage();
      const errors = watchPage(selfPage);
      await register(selfPage, self);
      const apiKey = await onboard(selfPage, { org: `Self-hosted ${run}`, project: "Intranet" });
      for (let i = 0; i < 4; i++)
        expect((await ingest(unconfigured, "event", apiKey, { name: "local", app: "web" })).status).toBe(202);

      const selfProject = await homeProjectId(selfPage);
      await selfPage.goto(`/projects/${selfProject}/settings/billing`);
      await hydrated(selfPage);
      await selfPage.waitForSelector("[data-testid=billing-not-configured]");
      expect(await selfPage.textContent("[data-testid=billing-not-configured]")).toContain(
        "Billing is not configured on this server",
      );
      expect(((await selfPage.textContent("[data-testid=billing-plan]")) ?? "").trim()).toBe("FREE");
      // The meter counts live, so the usage is there before any flush.
      await eventually(async () => {
        await selfPage.reload();
        await hydrated(selfPage);
        await selfPage.waitForSelector("[data-testid=billing-project-usage]");
        return (
          (await selfPage.textContent("[data-testid=billing-project-usage]"))?.includes("4 of 250K units") ?? false
        );
      });
      expect(
        await selfPage
          .locator("[data-testid=billing-project-usage]")
          .evaluateAll((items) => items.map((item) => item.getAttribute("data-quota"))),
      ).toEqual([String(FREE_QUOTA)]);
      expect(await selfPage.textContent("[data-testid=billing-limits]")).toContain("250K");
      // Nothing to buy or manage, even for an OWNER, and no subscription row that would always say "none".
      for (const label of ["Upgrade to", "Change plan", "Manage subscription"]) {
        expect(await selfPage.locator(`button:has-text('${label}')`).count(), label).toBe(0);
      }
      expect(await selfPage.locator("[data-testid=billing-status]").count()).toBe(0);
      await screenshot(selfPage, "billing-unconfigured");
      expect(errors).toEqual([]);
    } finally {
      await own.close();
    }
  });
});
