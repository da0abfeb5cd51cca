import type { Database } from "@telemetry-tracker/db";
import { sql } from "drizzle-orm";

/** One round trip to Postgres: deep health's proof that the database answers. */
export async function pingDatabase(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
