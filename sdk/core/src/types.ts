/** What an item is, as the ingest contract names it; also the unit of `Retry-After` holds. */
export type Category = "event" | "error" | "session";

/** One item of `POST /ingest/batch`, already in the wire format of the ingest contract. */
export interface WireItem {
  type: Category;
  event_id: string;
  [field: string]: unknown;
}

export type Level = "debug" | "info" | "warning" | "error" | "fatal";

export interface Breadcrumb {
  timestamp?: string;
  category?: string;
  message?: string;
  level?: Level;
  data?: Record<string, unknown>;
}

/** Extra detail for `captureException`; unknown keys land in the error's `context`. */
export interface CaptureContext {
  tags?: Record<string, string>;
  level?: Level;
  handled?: boolean;
  fingerprint?: string[];
  [key: string]: unknown;
}

export interface TransportRequest {
  url: string;
  body: string;
  apiKey: string;
  /** Set when the page or process is going away: the request must outlive it. */
  keepalive?: boolean;
}

export interface TransportResponse {
  /** HTTP status; 0 when the request never got an answer (network error). */
  status: number;
  /** The raw `Retry-After` header, if any. */
  retryAfter?: string | null;
  /** `error.code` of the answer's envelope, e.g. `quota_exceeded` or `rate_limited`. */
  code?: string;
  /** The platform knows it is offline: failures then do not use up an item's retries. */
  offline?: boolean;
}

/** Sends one batch. May throw or reject: the client treats that as a network error. */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/** Keeps undelivered items across restarts (the browser's offline queue). Must not throw... but may. */
export interface QueueStorage {
  load(): WireItem[];
  save(items: WireItem[]): void;
}

/**
 * Keeps the session in progress across restarts of the page or process (one session item as last
 * written), so one that never ended is closed as `abnormal` on the next start. Must not throw... but may.
 */
export interface SessionStore {
  load(): WireItem | undefined;
  save(session: WireItem | undefined): void;
}

export interface Options {
  /** Base URL of the ingest Worker, e.g. `https://ingest.example.com`. */
  ingestUrl: string;
  /** Project API key, `tt_live_…`. */
  apiKey: string;
  /** App label every item is filed under. */
  app: string;
  environment?: string;
  release?: string;
  platform?: string;
  /** Share of items kept, 0–1. A number applies to events and errors alike (each decided separately). Default 1. */
  sampleRate?: number | { events?: number; errors?: number };
  /** Edit an event or error before it is queued; return `null` to drop it. */
  beforeSend?: (item: WireItem) => WireItem | null | undefined | false;
  /** Items kept waiting at most; beyond, the oldest is dropped (reason `queue_overflow`). Default 500. */
  maxQueueSize?: number;
  /** Items per request, at most 100; reaching it flushes at once. Default 10. */
  batchSize?: number;
  /** Milliseconds a queued item waits for more company. Default 5000. */
  flushInterval?: number;
  /** Failed attempts after which an item is dropped (reason `retries_exhausted`). Default 10. */
  maxRetries?: number;
  /** Breadcrumbs kept and attached to errors. Default 30, at most 100. */
  maxBreadcrumbs?: number;
  /**
   * Where the session in progress is kept so a session the app never ended (killed, crashed hard,
   * closed while visible) is sent as `abnormal` at the next start. The browser keeps it in
   * `sessionStorage` by itself; elsewhere pass one (`fileSessionStore` in Node, a synchronous store
   * such as MMKV in React Native). Default: the platform's, or none.
   */
  sessionStore?: SessionStore;
  /** Replaces the platform's way of sending a batch. */
  transport?: Transport;
  /** Log the SDK's own trouble with `console.warn`. Default false. */
  debug?: boolean;
}

/** What a platform package adds to the user's options. */
export interface ClientOptions extends Options {
  transport: Transport;
  sdk?: { name: string; version: string };
  storage?: QueueStorage;
  anonymousId?: string;
  /** Current page or request URL, read for every item. */
  url?: () => string | undefined;
  /** Device fields for session items (`browser`, `os`). */
  device?: Record<string, string | undefined>;
}

/** Counters a host may read to see what the SDK did; `dropped` is keyed by reason. */
export interface Stats {
  sent: number;
  dropped: Record<string, number>;
}
