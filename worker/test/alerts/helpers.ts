import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { alertDeliveries, alertDestinations, alertEvents, type Database } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { type DrainOptions, drainDeliveries } from "../../src/alerts/deliver.ts";
import { generateDestinationSecret } from "../../src/alerts/signing.ts";
import { createLogger } from "../../src/lib/logger.ts";
import type { BufferedRow } from "../../src/meter/buffered-row.ts";
import { meter } from "../helpers/ingest.ts";
import type { ReceivedRequest } from "../setup/webhook-receiver.ts";

/** The loopback receiver the global setup started (test/setup/webhook-receiver.ts). */
export const RECEIVER = (env as unknown as { TEST_RECEIVER_BASE: string }).TEST_RECEIVER_BASE;

export const uniqueName = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

export async function received(name: string): Promise<ReceivedRequest[]> {
  const res = await fetch(`${RECEIVER}/__control/requests?name=${encodeURIComponent(name)}`);
  return ((await res.json()) as { requests: ReceivedRequest[] }).requests;
}

/** The next answers of the receiver for `name`, in order (then 200). */
export async function script(name: string, responses: Array<number | "timeout" | "redirect">): Promise<void> {
  await fetch(`${RECEIVER}/__control/script`, { method: "POST", body: JSON.stringify({ name, responses }) });
}

/** A generic webhook destination on the receiver; returns it with its secret. */
export async function addWebhook(
  db: Database,
  projectId: string,
  options: { name?: string; format?: "generic" | "slack" | "discord" | "teams" } = {},
) {
  const name = options.name ?? uniqueName("hook");
  const secret = generateDestinationSecret();
  const [destination] = await db
    .insert(alertDestinations)
    .values({
      projectId,
      name,
      kind: "webhook",
      format: options.format ?? "generic",
      url: `${RECEIVER}/hook/${name}`,
      secret,
    })
    .returning();
  return { destination, secret, name };
}

export const logger = createLogger("error");

/** One drain run of a project's queue at an injected instant. */
export function drain(db: Database, projectId: string, now: Date, options: Partial<DrainOptions> = {}) {
  return drainDeliveries(db, { env, logger, now, projectId, random: () => 0.5, timeoutMs: 2_000, ...options });
}

export async function alertsOf(db: Database, projectId: string) {
  return db.select().from(alertEvents).where(eq(alertEvents.projectId, projectId));
}

export async function deliveriesOf(db: Database, projectId: string) {
  return db.select().from(alertDeliveries).where(eq(alertDeliveries.projectId, projectId));
}

/** The rows waiting in a project's meter, as the flush would read them. */
export async function bufferedRows(projectId: string): Promise<BufferedRow[]> {
  return runInDurableObject(meter(projectId), (_instance, state) =>
    state.storage.sql
      .exec<{ row: string }>("select row from buffer order by seq")
      .toArray()
      .map((entry) => JSON.parse(entry.row) as BufferedRow),
  );
}

export const minutesLater = (at: Date, minutes: number) => new Date(at.getTime() + minutes * 60_000);
