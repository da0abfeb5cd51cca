import { exports } from "cloudflare:workers";
import * as Sentry from "@sentry/browser";
import { errorOccurrences } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { suiteDatabase } from "../helpers/db.ts";
import { currentMonth, flushMeter, setMeterUsage } from "../helpers/ingest.ts";
import { createSentryTenant } from "../helpers/sentry.ts";

const db = suiteDatabase();
afterEach(async () => {
  Sentry.endSession();
  await Sentry.close(2000);
});

interface Sent {
  url: string;
  itemTypes: string[];
  status: number;
  rateLimits: string | null;
}

/**
 * The real Sentry client (@sentry/browser 11, whose transport keeps the rate-limit state) with its
 * requests delivered to this Worker in-process: only the socket is replaced, every byte and header
 * the SDK sends and reads is the Worker's. Node and Chromium runs against `wrangler dev` are in
 * worker/e2e; this one can set the meter's usage, so it is where quota exhaustion is tested.
 */
function initSentry(options: Sentry.BrowserOptions): Sent[] {
  const sent: Sent[] = [];
  Sentry.init({
    defaultIntegrations: false,
    release: "sdk-test@1.0.0",
    environment: "test",
    ...options,
    transport: (transportOptions) =>
      Sentry.createTransport(transportOptions, async (request) => {
        const body = typeof request.body === "string" ? request.body : new TextDecoder().decode(request.body);
        const itemTypes = body
          .split("\n")
          .slice(1)
          .flatMap((line) => {
            try {
              const header = JSON.parse(line) as { type?: unknown };
              return typeof header.type === "string" && Object.keys(header).length <= 4 ? [header.type] : [];
            } catch {
              return [];
            }
          });
        const res = await exports.default.fetch(transportOptions.url, { method: "POST", body: request.body });
        const rateLimits = res.headers.get("x-sentry-rate-limits");
        sent.push({ url: transportOptions.url, itemTypes, status: res.status, rateLimits });
        return {
          statusCode: res.status,
          headers: { "x-sentry-rate-limits": rateLimits, "retry-after": res.headers.get("retry-after") },
        };
      }),
  });
  return sent;
}

describe("the Sentry SDK's own client against the Worker", () => {
  it("stores a captured exception", async () => {
    const t = await createSentryTenant(db);
    const sent = initSentry({ dsn: t.dsn });
    const eventId = Sentry.captureException(new RangeError("sdk client boom"));
    await Sentry.flush(5000);
    expect(sent.map((s) => s.status)).toEqual([200]);
    expect(sent[0].url).toContain(`/api/${t.numericId}/envelope/?sentry_version=7&sentry_key=${t.publicKey}`);
    await flushMeter(t.project.id);
    const [row] = await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, t.project.id));
    expect(row).toMatchObject({ type: "RangeError", message: "sdk client boom", release: "sdk-test@1.0.0" });
    expect(row.eventId.replace(/-/g, "")).toBe(eventId);
  });

  it("over quota the SDK stops sending errors for the window, while sessions keep flowing", async () => {
    const t = await createSentryTenant(db);
    await setMeterUsage(t.project.id, currentMonth(), 250_000);
    const sent = initSentry({ dsn: t.dsn });

    Sentry.captureException(new Error("over quota 1"));
    await Sentry.flush(5000);
    expect(sent).toHaveLength(1);
    expect(sent[0].status).toBe(429);
    expect(sent[0].rateLimits).toMatch(/:project:quota_exceeded$/);

    // The SDK read X-Sentry-Rate-Limits: these errors never leave it.
    for (let i = 0; i < 3; i++) Sentry.captureException(new Error(`over quota ${i + 2}`));
    await Sentry.flush(5000);
    expect(sent.filter((s) => s.itemTypes.includes("event"))).toHaveLength(1);

    // Sessions are not a limited category, and a session the meter already knows is free.
    Sentry.startSession();
    Sentry.captureSession();
    await Sentry.flush(5000);
    const sessionRequests = sent.filter((s) => s.itemTypes.includes("session"));
    expect(sessionRequests.length).toBeGreaterThan(0);
  });

  it("a tunnel: the SDK posts without a key and names the DSN in the envelope header", async () => {
    const t = await createSentryTenant(db);
    const tunnel = `http://tt.test/api/${t.numericId}/envelope/`;
    const sent = initSentry({ dsn: t.dsn, tunnel });
    Sentry.captureException(new Error("through the tunnel"));
    await Sentry.flush(5000);
    expect(sent.filter((s) => s.itemTypes.includes("event")).map((s) => [s.url, s.status])).toEqual([[tunnel, 200]]);
    expect(sent.every((s) => s.url === tunnel && s.status === 200)).toBe(true);
    await flushMeter(t.project.id);
    const [row] = await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, t.project.id));
    expect(row.message).toBe("through the tunnel");
  });
});
