import type { App } from "../context.ts";

/** The document's header; the paths come from the routes' own `createRoute` definitions. */
export const OPENAPI_HEADER = {
  openapi: "3.1.0",
  info: {
    title: "Telemetry Tracker API",
    version: "1.0.0",
    description: "Ingest (API key) and dashboard (session cookie) API of Telemetry Tracker.",
  },
};

/** Serves the OpenAPI document generated from the same zod schemas the routes validate with. */
export function registerOpenApi(app: App): void {
  app.doc31("/openapi.json", OPENAPI_HEADER);
}
