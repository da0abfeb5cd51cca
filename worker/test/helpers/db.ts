import { env } from "cloudflare:workers";
import { createDatabase, type Database, type DatabaseHandle } from "@telemetry-tracker/db";
import { afterAll } from "vitest";
import { databaseOptions } from "../../src/env.ts";

/** A pool on the suite's scratch database, with the options the Worker itself would use. */
function openTestDatabase(): DatabaseHandle {
  return createDatabase(databaseOptions(env));
}

/** One pool for a whole test file, declared at its top level and ended after its last test. */
export function suiteDatabase(): Database {
  const handle = openTestDatabase();
  afterAll(() => handle.close());
  return handle.db;
}

/** Runs `work` with a fresh pool that is always ended, as a Worker request would. */
export async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const handle = openTestDatabase();
  try {
    return await work(handle.db);
  } finally {
    await handle.close();
  }
}

/** Unwraps drizzle's "Failed query" wrapper to the Postgres error (code, constraint). */
export function postgresError(error: unknown): { code?: string; constraint?: string } {
  let current = error as { cause?: unknown; code?: string; constraint?: string } | undefined;
  while (current && !current.code && current.cause) current = current.cause as typeof current;
  return { code: current?.code, constraint: current?.constraint };
}

/**
 * Cuts (`down`) or restores (`up`) every connection through the WebSocket proxy the Worker reaches
 * Postgres by: a database outage on demand.
 */
export async function setPostgres(state: "down" | "up"): Promise<void> {
  await fetch(`http://${env.DB_WS_PROXY}/__control/${state}`, { method: "POST" });
}
