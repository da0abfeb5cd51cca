import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Database } from "@telemetry-tracker/db";
import type { AuthContext } from "./auth/session.ts";
import type { Bindings } from "./env.ts";
import type { Logger } from "./lib/logger.ts";

/** Services built once per request by the composition root (middleware in app.ts). */
export interface Services {
  logger: Logger;
  /** The request's database; the pool is created on first use and ended after the response. */
  db: () => Database;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    services: Services;
    /** The signed-in user, once `requireAuth` has checked the session cookie in this request. */
    auth?: AuthContext;
  };
}

export type App = OpenAPIHono<AppEnv>;
