import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { migrateDatabase } from "../local/migrate.ts";
import { createScratchDatabase, type ScratchDatabase } from "../local/scratch-database.ts";

/**
 * A migrated scratch database for this test file (on DATABASE_URL's server, else an embedded
 * Postgres) and a connected client, both ready in the tests and gone after the last one.
 */
export function useMigratedDatabase() {
  // Filled in by beforeAll; read only inside tests.
  const state = {} as { scratch: ScratchDatabase; client: pg.Client };
  beforeAll(async () => {
    state.scratch = await createScratchDatabase({
      adminUrl: process.env.DATABASE_URL,
      embeddedPort: 30_000 + Math.floor(Math.random() * 10_000),
    });
    await migrateDatabase(state.scratch.url);
    state.client = new pg.Client({ connectionString: state.scratch.url });
    await state.client.connect();
  });
  afterAll(async () => {
    await state.client?.end();
    await state.scratch?.dispose();
  });
  return state;
}
