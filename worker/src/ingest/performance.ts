// The performance contract of `$web_vital` and `$request` events (README, "Performance"). The SDKs
// already send this shape; ingest applies it again so that an old SDK, a hand-written client or a
// path with ids in it cannot split a page or route into thousands of rollup rows.

export const VITAL_NAMES = ["LCP", "INP", "CLS", "FCP", "TTFB"] as const;
export type VitalName = (typeof VITAL_NAMES)[number];
export const RATINGS = ["good", "needs-improvement", "poor"] as const;
export type Rating = (typeof RATINGS)[number];

/** Google's thresholds (web.dev/articles/vitals): good up to the first, poor above the second. */
export const VITAL_THRESHOLDS: Record<VitalName, [good: number, poor: number]> = {
  LCP: [2500, 4000],
  INP: [200, 500],
  CLS: [0.1, 0.25],
  FCP: [1800, 3000],
  TTFB: [800, 1800],
};

export const rateVital = (name: VitalName, value: number): Rating => {
  const [good, poor] = VITAL_THRESHOLDS[name];
  return value <= good ? "good" : value <= poor ? "needs-improvement" : "poor";
};

const ID_SEGMENT = /^(\d+|[\da-f]{8,}|[\da-f]{8}(-[\da-f]{4}){3}-[\da-f]{12})$/i;
const MAX_ROUTE = 200;

/** Query and fragment dropped, id segments (digits, UUIDs, 8+ hex characters) as `:id`: the SDKs' rule. */
export function normalizeRoute(path: string): string {
  const route = path
    .replace(/[?#].*/s, "")
    .split("/")
    .map((segment) => (ID_SEGMENT.test(segment) ? ":id" : segment))
    .join("/");
  return (route || "/").slice(0, MAX_ROUTE);
}

const pathOf = (url: string | undefined) => {
  if (!url) return undefined;
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
};

const isValue = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
const text = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);

/**
 * The properties of a `$web_vital` or `$request` event in the contract's shape; other events'
 * properties unchanged. A vital's rating is derived from its value (the client's is not trusted),
 * its `route` from the client's route or path, else the event's URL.
 */
export function normalizePerformance(
  name: string,
  properties: Record<string, unknown>,
  url: string | undefined,
): Record<string, unknown> {
  if (name !== "$web_vital" && name !== "$request") return properties;
  const out: Record<string, unknown> = { ...properties };
  const route = text(properties.route) ?? text(properties.path) ?? pathOf(url);
  if (route !== undefined) out.route = normalizeRoute(route);
  if (typeof properties.path === "string") out.path = normalizeRoute(properties.path);
  if (name === "$request") {
    if (typeof properties.method === "string") out.method = properties.method.toUpperCase().slice(0, 16);
  } else if (VITAL_NAMES.includes(properties.name as VitalName) && isValue(properties.value)) {
    out.rating = rateVital(properties.name as VitalName, properties.value);
  }
  return out;
}
