import { type Item, startReceiver } from "./receiver.ts";
import { startWorkerTarget } from "./worker-target.ts";

/**
 * Where an integration test sends telemetry and how it reads back what was stored. Tests only use
 * this interface, so the backend behind it can change without touching them.
 */
export interface IngestTarget {
  ingestUrl: string;
  apiKey: string;
  /**
   * What the backend stored: one item per `event_id` (the backend's idempotency) and one per
   * session (its latest state, as the sessions table keeps it). Storage may lag ingestion (the
   * Worker flushes on an alarm), so `until` polls until it holds or `timeoutMs` passes.
   */
  stored(until?: (items: Item[]) => boolean, timeoutMs?: number): Promise<Item[]>;
  stop(): Promise<void>;
}

/** The local receiver as a target, folding items the way the Worker's storage does. */
export async function startReceiverTarget(): Promise<IngestTarget> {
  const r = await startReceiver();
  return {
    ingestUrl: r.url,
    apiKey: r.apiKey,
    stored: async (until, timeoutMs = 10_000) => {
      if (until) await r.waitFor(() => until(fold()), timeoutMs).catch(() => {});
      return fold();
    },
    stop: r.stop,
  };

  function fold(): Item[] {
    const byId = new Map<unknown, Item>();
    const sessions = new Map<unknown, Item>();
    for (const item of r.accepted) {
      if (item.type !== "session") byId.set(item.event_id, item);
      else {
        const { action: _action, event_id: _id, ...state } = item;
        sessions.set(item.session_id, { ...sessions.get(item.session_id), ...state });
      }
    }
    return [...byId.values(), ...sessions.values()];
  }
}

// Integration tests call `startTarget()`: the real Worker and Postgres (startLocalStack() from
// db/local/stack.ts) by default; `TT_SDK_TARGET=receiver` swaps in the in-process receiver for fast
// iteration on the SDK alone.
export const startTarget: () => Promise<IngestTarget> =
  process.env.TT_SDK_TARGET === "receiver" ? startReceiverTarget : startWorkerTarget;
