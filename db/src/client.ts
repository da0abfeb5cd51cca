import { neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import * as schema from "./schema/index.ts";

export type Database = NeonDatabase<typeof schema>;

export interface DatabaseOptions {
  /** Postgres URL: Neon's in production, any Postgres locally. */
  url: string;
  /**
   * `host:port` of the local WebSocket→TCP proxy (db/local/ws-proxy.ts). Set only when the database
   * is a plain Postgres that speaks TCP; Neon accepts WebSockets itself.
   */
  wsProxy?: string;
  /** Called with connection errors that arrive outside a query (sockets closed at request end). */
  onError?: (error: Error) => void;
}

export interface DatabaseHandle {
  db: Database;
  pool: Pool;
  /** Ends the pool; call through `ctx.waitUntil` so sockets close after the response is sent. */
  close: () => Promise<void>;
}

function configureDriver(wsProxy: string | undefined): void {
  // neonConfig is per isolate; every handle in an isolate is built from the same env, so setting
  // it on each call is idempotent.
  if (wsProxy) {
    neonConfig.wsProxy = (host, port) => `${wsProxy}/v2?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
}

/**
 * Drizzle over a Neon `Pool` (Postgres over WebSocket). A stateless Worker must create and end one
 * per invocation (a pool reused across requests hangs); a Durable Object may keep one open.
 */
export function createDatabase(options: DatabaseOptions): DatabaseHandle {
  configureDriver(options.wsProxy);
  const pool = new Pool({ connectionString: options.url, max: 4, connectionTimeoutMillis: 5_000 });
  // Without a listener, workerd's end-of-request socket close surfaces as an unhandled error.
  pool.on("error", (error: Error) => options.onError?.(error));
  const db = drizzle({ client: pool, schema });
  let closed: Promise<void> | undefined;
  return {
    db,
    pool,
    close: () => {
      closed ??= pool.end().catch(() => {});
      return closed;
    },
  };
}
