import { type Item, startReceiver } from "./receiver.ts";

/**
 * Where an integration test sends telemetry and how it reads back what was stored. Tests only use
 * this interface, so the backend behind it can change without touching them.
 */
export interface IngestTarget {
  ingestUrl: string;
  apiKey: string;
  /** Items the backend stored, one per `event_id` (the backend's idempotency). */
  stored(): Promise<Item[]>;
  stop(): Promise<void>;
}

/** The local receiver as a target: it dedupes by `event_id` the way the Worker's storage does. */
export async function startReceiverTarget(): Promise<IngestTarget> {
  const r = await startReceiver();
  return {
    ingestUrl: r.url,
    apiKey: r.apiKey,
    stored: async () => [...new Map(r.accepted.map((i) => [i.event_id, i])).values()],
    stop: r.stop,
  };
}

// THE SWAP POINT: integration tests call `startTarget()`. To run them against the real Worker and
// Postgres, replace `startReceiverTarget` below with `startWorkerTarget` from ./worker-target.ts.
export const startTarget: () => Promise<IngestTarget> = startReceiverTarget;
