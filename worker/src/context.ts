import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Database, User } from "@telemetry-tracker/db";
import type { Bindings } from "./env.ts";
import type { Logger } from "./lib/logger.ts";

/** Services built once per request by the composition root (middleware in app.ts). */
export interface Services {
  logger: Logger;
  /** The request's database; the pool is created on first use and ended after the response. */
  db: () => Database;
}

/** The signed-in user of a request, as `requireAuth` (auth/session.ts) found it. */
export interface AuthContext {
  user: Pick<User, "id" | "email" | "displayName" | "passwordHash" | "createdAt">;
  sessionId: string;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    services: Services;
    /** The signed-in user, once `requireAuth` has checked the session cookie in this request. */
    auth?: AuthContext;
    /** Bytes of the request body, read (and bounded) by the /api body limit before anything else. */
    bodyBytes?: number;
  };
}

export type App = OpenAPIHono<AppEnv>;
