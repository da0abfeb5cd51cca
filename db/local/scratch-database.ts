import pg from "pg";
import { startEmbeddedPostgres } from "./embedded-postgres.ts";

export interface ScratchDatabase {
  url: string;
  /** Drops the database (server) or stops the embedded Postgres. */
  dispose: () => Promise<void>;
}

/**
 * A throwaway, empty database for one test or benchmark run: a fresh database on the server at
 * `adminUrl` (CI uses the machine's PostgreSQL), or an embedded Postgres on `port` in a temporary directory.
 */
export async function createScratchDatabase(options: {
  adminUrl?: string;
  name?: string;
  embeddedPort?: number;
}): Promise<ScratchDatabase> {
  if (!options.adminUrl) {
    if (!options.embeddedPort) throw new Error("an embedded scratch database needs a port");
    const embedded = await startEmbeddedPostgres({ port: options.embeddedPort });
    return { url: embedded.url, dispose: embedded.stop };
  }
  const name = options.name ?? `tt_scratch_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unsafe database name ${name}`);
  const admin = new pg.Client({ connectionString: options.adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(options.adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dispose: async () => {
      const client = new pg.Client({ connectionString: options.adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
