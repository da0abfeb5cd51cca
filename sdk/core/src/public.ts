/**
 * The API every platform package re-exports as its own (`export * from "@telemetry-tracker/core/public"`):
 * the client, the module-level functions and the types a host app names. Platform-specific
 * pieces (transports, `init` with the platform's defaults) stay in each platform.
 */
export { Client } from "./client.ts";
export {
  addBreadcrumb,
  captureException,
  captureMessage,
  endSession,
  flush,
  getClient,
  identify,
  screen,
  setContext,
  setTags,
  shutdown,
  startSession,
  trackError,
  trackEvent,
} from "./hub.ts";
export { normalizeRoute } from "./route.ts";
export type { Breadcrumb, CaptureContext, Options, SessionStore, WireItem } from "./types.ts";
