import type { Frame } from "../ingest/fingerprint.ts";

// The rows the meter buffers and the flush writes: the contract between ingest (which builds them),
// the ProjectMeter (which stores them) and the flush (which inserts them). Types only, plus the
// session key both sides count by, so none of the three has to import another.

/** Who/where columns shared by events and error occurrences, as buffered and flushed. */
export interface ClientColumns {
  event_id: string;
  app: string;
  timestamp: string;
  timestamp_clamped: boolean;
  platform: string | null;
  environment: string | null;
  release: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  session_id: string | null;
  url: string | null;
  sdk_name: string | null;
  sdk_version: string | null;
}

export interface EventRow extends ClientColumns {
  kind: "event";
  name: string;
  properties: Record<string, unknown>;
}

export interface ErrorRow extends ClientColumns {
  kind: "error";
  fingerprint: string;
  type: string;
  message: string;
  culprit: string | null;
  level: string;
  handled: boolean | null;
  stack: string | null;
  frames: Frame[];
  breadcrumbs: unknown[];
  tags: Record<string, string>;
  context: Record<string, unknown>;
}

export interface SessionRow {
  kind: "session";
  event_id: string;
  session_id: string;
  app: string;
  action: "start" | "update" | "end";
  started_at: string;
  ended_at: string | null;
  /** When this start/update/end happened: the session's last activity. */
  seen_at: string;
  status: string | null;
  release: string | null;
  environment: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  browser: string | null;
  os: string | null;
  device: string | null;
  country: string | null;
}

export type BufferedRow = EventRow | ErrorRow | SessionRow;

/** One session as the meter counts it and the flush collapses it: `app` and `session_id` together. */
export function sessionKey(app: string, sessionId: string): string {
  return `${app}\u0000${sessionId}`;
}
