import type { ZodType } from "zod";
import { type BatchItem, errorSchema, eventSchema, sessionSchema } from "../ingest/schemas.ts";
import type { Logger } from "../lib/logger.ts";
import { isRecord } from "./bounds.ts";
import { type Envelope, type EnvelopeItem, parseItemJson } from "./envelope.ts";
import {
  type MapContext,
  type MappedError,
  type MappedEvent,
  mapSentryEvent,
  mapSpan,
  mapTransaction,
} from "./event.ts";
import { ignoredItem, mapClientReport, mergeOutcomes, type Outcome } from "./outcomes.ts";
import { type MappedSession, mapSession, mapSessionAggregates } from "./session.ts";

/** An envelope as our intake sees it: the items to store, what it only counts, and the id to answer. */
export interface Translation {
  items: BatchItem[];
  outcomes: Outcome[];
  /** The event id the SDK assigned (as it sent it), answered as `{"id": …}`. */
  eventId: string | null;
}

/** Rows one envelope may produce; SDKs send one event (plus a session) per envelope. */
export const MAX_ROWS_PER_ENVELOPE = 1_000;

const SCHEMAS: Record<BatchItem["type"], ZodType> = { event: eventSchema, error: errorSchema, session: sessionSchema };

type Mapped = MappedError | MappedEvent | MappedSession;

/**
 * Translates a parsed envelope into our ingest items at the edge, so the same pipeline (scrub,
 * fingerprint, meter, flush) handles them. Never refuses an envelope for one odd item: what we do
 * not store is counted (outcomes) and the rest goes on. Only JSON that does not parse is an error.
 */
export async function translateEnvelope(
  envelope: Envelope,
  context: MapContext,
  logger?: Logger,
): Promise<Translation> {
  const mapped: Mapped[] = [];
  const outcomes: Outcome[] = [];
  let eventId = typeof envelope.header.event_id === "string" ? envelope.header.event_id : null;

  for (const [index, item] of envelope.items.entries()) {
    const type = item.header.type;
    switch (type) {
      case "event":
      case "transaction": {
        const payload = parseItemJson(item, index);
        if (!eventId && typeof payload.event_id === "string") eventId = payload.event_id;
        mapped.push(await translateEvent(payload, type, context));
        break;
      }
      case "span": {
        const payload = parseItemJson(item, index);
        const spans = Array.isArray(payload.items) ? payload.items.filter(isRecord) : [payload];
        for (const span of spans) {
          const segment = await mapSpan(span, context);
          if (segment) mapped.push(segment);
          else outcomes.push(ignoredItem("span", "child_span"));
        }
        break;
      }
      case "session": {
        const session = mapSession(parseItemJson(item, index), context);
        if (session) mapped.push(session);
        else outcomes.push(ignoredItem("session", "invalid_item"));
        break;
      }
      case "sessions": {
        const { sessions, overCap } = mapSessionAggregates(parseItemJson(item, index), context);
        mapped.push(...sessions);
        if (overCap > 0) outcomes.push(ignoredItem("session", "over_limit", overCap));
        break;
      }
      case "client_report":
        outcomes.push(...mapClientReport(parseItemJson(item, index)));
        break;
      default:
        outcomes.push(ignoredItem(type, "unsupported_item", itemCount(item)));
    }
  }

  const items: BatchItem[] = [];
  for (const candidate of mapped) {
    if (items.length >= MAX_ROWS_PER_ENVELOPE) {
      outcomes.push(ignoredItem(candidate.type === "error" ? "error" : candidate.type, "over_limit"));
      continue;
    }
    const result = SCHEMAS[candidate.type].safeParse(candidate);
    if (result.success) {
      items.push({ ...(result.data as object), type: candidate.type } as BatchItem);
    } else {
      // The mappers cut everything to our limits, so this is a gap in them: count it and say so.
      logger?.warn("sentry item did not fit our schema", {
        type: candidate.type,
        issues: result.error.issues.slice(0, 5).map((issue) => `${issue.path.join(".")}: ${issue.message}`),
      });
      outcomes.push(ignoredItem(candidate.type, "invalid_item"));
    }
  }
  return { items, outcomes: mergeOutcomes(outcomes), eventId };
}

/** An `event` item whose payload says it is a transaction is one (the legacy store endpoint too). */
export function translateEvent(
  payload: Record<string, unknown>,
  itemType: string,
  context: MapContext,
): Promise<MappedError | MappedEvent> {
  return itemType === "transaction" || payload.type === "transaction"
    ? mapTransaction(payload, context)
    : mapSentryEvent(payload, context);
}

function itemCount(item: EnvelopeItem): number {
  const count = item.header.item_count;
  return typeof count === "number" && Number.isSafeInteger(count) && count > 0 ? Math.min(count, 10_000) : 1;
}
