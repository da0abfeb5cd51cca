import { env } from "cloudflare:workers";
import { createDatabase, type Database, type DatabaseHandle } from "@telemetry-tracker/db";
import { databaseOptions } from "../../src/env.ts";

/** A database handle for a test body; end it with `close()` (afterEach / finally). */
export function openTestDatabase(): DatabaseHandle {
  return createDatabase(databaseOptions(env));
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
