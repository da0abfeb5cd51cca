import { type Database, jobHeartbeats } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";

/** The scheduled jobs that leave a heartbeat row. */
export const JOBS = { alertEvaluator: "alerts.evaluate", alertDelivery: "alerts.deliver" } as const;

/** A job whose last good run is older than this is `stale` (it runs every minute). */
export const STALE_AFTER_MS = 5 * 60 * 1000;

export type JobHealth = "ok" | "stale" | "never";

/** Runs `work` as `job`, recording its start, its last success, or its error. */
export async function withHeartbeat<T>(db: Database, job: string, now: Date, work: () => Promise<T>): Promise<T> {
  await db
    .insert(jobHeartbeats)
    .values({ job, lastStartedAt: now })
    .onConflictDoUpdate({ target: jobHeartbeats.job, set: { lastStartedAt: now } });
  try {
    const result = await work();
    await db.update(jobHeartbeats).set({ lastOkAt: now, lastError: null }).where(eq(jobHeartbeats.job, job));
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await db
      .update(jobHeartbeats)
      .set({ lastError: message.slice(0, 500) })
      .where(eq(jobHeartbeats.job, job))
      .catch(() => {});
    throw error;
  }
}

export async function jobHealth(
  db: Database,
  job: string,
  now = new Date(),
): Promise<{ state: JobHealth; lastOkAt: string | null; lastError: string | null }> {
  const [row] = await db.select().from(jobHeartbeats).where(eq(jobHeartbeats.job, job));
  if (!row?.lastOkAt) return { state: "never", lastOkAt: null, lastError: row?.lastError ?? null };
  const state = now.getTime() - row.lastOkAt.getTime() <= STALE_AFTER_MS ? "ok" : "stale";
  return { state, lastOkAt: row.lastOkAt.toISOString(), lastError: row.lastError };
}
