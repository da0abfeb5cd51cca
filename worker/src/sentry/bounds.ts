import { INGEST_LIMITS as L } from "../ingest/limits.ts";

/**
 * Sentry payloads are larger and looser than our schemas allow (long tag values, deep contexts,
 * hundreds of frames). A Sentry SDK never retries and treats a 4xx as a loss, so instead of refusing
 * we cut each value down to our limits here, before validation.
 */

/** A string of at most `max` UTF-16 units (never ending in half a surrogate pair), or null. */
export function clip(value: unknown, max: number = L.shortString): string | null {
  if (typeof value === "number" || typeof value === "boolean") value = String(value);
  if (typeof value !== "string") return null;
  if (value.length <= max) return value;
  const cut = value.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** A clipped string that is not blank, or null. */
export function clipNonBlank(value: unknown, max: number = L.shortString): string | null {
  const text = clip(value, max)?.trim();
  return text ? text : null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A non-negative integer (line, column), or null. */
export function wholeNumber(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** Sentry timestamps are epoch seconds (float) or RFC 3339; ours are epoch ms or ISO 8601. */
export function sentryTime(value: unknown): number | string | undefined {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return Math.round(value * 1000);
  if (typeof value === "string" && value.length <= 64 && !Number.isNaN(Date.parse(value))) return value;
  return undefined;
}

/** Sentry timestamp → epoch seconds, or null. */
export function sentrySeconds(value: unknown): number | null {
  const time = sentryTime(value);
  if (time === undefined) return null;
  return typeof time === "number" ? time / 1000 : Date.parse(time) / 1000;
}

interface Budget {
  nodes: number;
  stringLength: number;
}

function prune(value: unknown, depth: number, budget: Budget): unknown {
  if (--budget.nodes < 0) return undefined;
  if (typeof value === "string") return clip(value, budget.stringLength);
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "boolean" || value === null) return value;
  if (typeof value !== "object") return undefined;
  // Same depth rule as the schemas' bounded objects: containers deeper than the limit are cut.
  if (depth > L.jsonDepth) return "[…]";
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const entry of value.slice(0, L.jsonKeysPerObject)) {
      const pruned = prune(entry, depth + 1, budget);
      if (pruned === undefined) break;
      out.push(pruned);
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value).slice(0, L.jsonKeysPerObject)) {
    const pruned = prune(entry, depth + 1, budget);
    if (pruned === undefined) {
      if (budget.nodes < 0) break;
      continue;
    }
    Object.defineProperty(out, clip(key) ?? "", {
      value: pruned,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Cuts arbitrary JSON down to what our bounded objects accept (depth, keys per object, values,
 * bytes): first as it is, then with shorter strings and fewer values until it fits.
 */
export function fitJson(value: Record<string, unknown>): Record<string, unknown> {
  for (const budget of [
    { nodes: L.jsonNodes - 1, stringLength: 2048 },
    { nodes: 500, stringLength: 256 },
    { nodes: 100, stringLength: 64 },
  ]) {
    const pruned = prune(value, 1, budget) as Record<string, unknown>;
    if (JSON.stringify(pruned).length <= L.jsonBytes) return pruned;
  }
  return { truncated: true };
}
