import { exports } from "cloudflare:workers";
import type { Database, Plan } from "@telemetry-tracker/db";
import { createIngestTenant, WORKER } from "./ingest.ts";

/** A tenant plus what a Sentry SDK is configured with: the DSN and its parts. */
export async function createSentryTenant(db: Database, options: { plan?: Plan; allowedApp?: string } = {}) {
  const tenant = await createIngestTenant(db, options);
  const publicKey = tenant.keyRow.publicId;
  const numericId = tenant.project.numericId;
  return {
    ...tenant,
    publicKey,
    numericId,
    dsn: `http://${publicKey}@tt.test/${numericId}`,
    envelopePath: `/api/${numericId}/envelope/`,
    storePath: `/api/${numericId}/store/`,
  };
}

/** 32 hex digits, as Sentry SDKs write event ids (a v4 UUID without dashes). */
export function sentryEventId(): string {
  return crypto.randomUUID().replace(/-/g, "");
}

export function dashed(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

type Item = { header: Record<string, unknown>; payload: unknown };

/** An envelope as the SDKs serialize it: header line, then item header and payload lines, no trailing newline. */
export function envelope(header: Record<string, unknown>, items: Item[]): string {
  const lines = [JSON.stringify(header)];
  for (const item of items) {
    lines.push(JSON.stringify(item.header));
    lines.push(typeof item.payload === "string" ? item.payload : JSON.stringify(item.payload));
  }
  return lines.join("\n");
}

export interface SentryPostOptions {
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

export function postSentry(path: string, body: BodyInit | null, options: SentryPostOptions = {}): Promise<Response> {
  const url = new URL(`${WORKER}${path}`);
  for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
  return exports.default.fetch(url.toString(), { method: "POST", headers: options.headers, body });
}

/** The query string the JS SDKs add to every envelope request. */
export function sdkQuery(publicKey: string): Record<string, string> {
  return { sentry_version: "7", sentry_key: publicKey, sentry_client: "sentry.javascript.node/11.12.0" };
}

/** An error event shaped like @sentry/node 11's (fixture 01 of the protocol notes). */
export function errorEvent(eventId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: eventId,
    timestamp: Date.now() / 1000,
    platform: "node",
    level: "error",
    environment: "production",
    release: "shop@1.4.0",
    sdk: { name: "sentry.javascript.node", version: "11.12.0" },
    contexts: {
      trace: { trace_id: "a".repeat(32), span_id: "b".repeat(16) },
      runtime: { name: "node", version: "v24" },
    },
    exception: {
      values: [
        {
          type: "TypeError",
          value: "Cannot read properties of undefined (reading 'id')",
          stacktrace: {
            frames: [
              {
                filename: "node:internal/process/task_queues",
                function: "process.processTicksAndRejections",
                lineno: 95,
                colno: 5,
                in_app: false,
              },
              { filename: "/app/src/server.js", function: "handle", lineno: 20, colno: 3, in_app: true },
              { filename: "/app/src/cart.js", function: "loadCart", lineno: 42, colno: 17, in_app: true },
            ],
          },
          mechanism: { type: "generic", handled: true },
        },
      ],
    },
    breadcrumbs: [{ timestamp: Date.now() / 1000 - 1, category: "console", message: "loading cart", level: "info" }],
    user: { id: "user-42", email: "someone@example.test", ip_address: "10.0.0.1" },
    tags: { region: "eu", "long-tag": "x".repeat(300) },
    extra: { cartSize: 3 },
    request: { url: "https://shop.example.test/cart", method: "GET" },
    ...overrides,
  };
}
