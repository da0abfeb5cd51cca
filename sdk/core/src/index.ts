export { BACKOFF_BASE, BACKOFF_MAX, Client, DEFAULT_HOLD } from "./client.ts";
export {
  addBreadcrumb,
  captureException,
  captureMessage,
  endSession,
  flush,
  getClient,
  identify,
  init,
  screen,
  setClient,
  setContext,
  setTags,
  shutdown,
  startSession,
  trackError,
  trackEvent,
} from "./hub.ts";
export { normalize } from "./normalize.ts";
export { type Frame, parseStack } from "./stack.ts";
export { fetchTransport, parseRetryAfter } from "./transport.ts";
export type {
  Breadcrumb,
  CaptureContext,
  Category,
  ClientOptions,
  Level,
  Options,
  QueueStorage,
  Stats,
  Transport,
  TransportRequest,
  TransportResponse,
  WireItem,
} from "./types.ts";
export { uuid } from "./uuid.ts";
export const VERSION = "0.1.0";
