import type { App } from "../context.ts";

/** Serves the OpenAPI document generated from the same zod schemas the routes validate with. */
export function registerOpenApi(app: App): void {
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Telemetry Tracker API",
      version: "1.0.0",
      description: "Ingest (API key) and dashboard (session cookie) API of Telemetry Tracker.",
    },
  });
}
