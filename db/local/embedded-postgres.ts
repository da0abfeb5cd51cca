import { PGlite } from "@electric-sql/pglite";
import { PGliteWireServer } from "./pglite-wire-server.ts";

export interface EmbeddedPostgres {
  url: string;
  stop: () => Promise<void>;
}

/**
 * PGlite (Postgres compiled to WebAssembly) served over the Postgres wire protocol, so the Worker, the
 * migrator and psql reach it like any server. `dataDir` keeps data between runs; without it the
 * database lives in memory.
 */
export async function startEmbeddedPostgres(options: { dataDir?: string; port: number }): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(options.dataDir);
  const server = new PGliteWireServer(db);
  await server.listen(options.port);
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`,
    stop: async () => {
      await server.close();
      await db.close();
    },
  };
}
