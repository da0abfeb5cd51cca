export { init, setClient } from "./hub.ts";
export { normalize } from "./normalize.ts";
export * from "./public.ts";
export { Queue, type QueueEntry } from "./queue.ts";
export { Scope, type SessionState, type SessionStatus } from "./scope.ts";
export { BACKOFF_BASE, BACKOFF_MAX, DEFAULT_HOLD, SendPolicy, type Verdict } from "./send-policy.ts";
export { type Frame, parseStack } from "./stack.ts";
export { fetchTransport, parseRetryAfter } from "./transport.ts";
export type {
  Category,
  ClientOptions,
  Level,
  QueueStorage,
  SessionStore,
  Stats,
  Transport,
  TransportRequest,
  TransportResponse,
} from "./types.ts";
export { uuid } from "./uuid.ts";
export const VERSION = "0.1.0";
