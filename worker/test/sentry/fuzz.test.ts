import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { suiteDatabase } from "../helpers/db.ts";
import { flushMeter, meter } from "../helpers/ingest.ts";
import { createSentryTenant, postSentry, sdkQuery } from "../helpers/sentry.ts";

const db = suiteDatabase();

let tenant: Awaited<ReturnType<typeof createSentryTenant>>;
beforeAll(async () => {
  // BUSINESS: a high rate limit, so the fuzzer explores envelopes rather than the token bucket.
  tenant = await createSentryTenant(db, { plan: "BUSINESS" });
});

// Strings with what JSON may carry and Postgres may not store (NUL, lone surrogates).
const hostileString = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 50 }),
  fc.constantFrom("\u0000", "a\ud800b", "\udc00", "{{ default }}", "", " ", "x".repeat(10_000)),
);
const anyJson = fc.jsonValue({ maxDepth: 8 });
const loose = fc.oneof(hostileString, anyJson, fc.double(), fc.integer());

const frame = fc.record(
  { filename: loose, abs_path: loose, function: loose, lineno: loose, colno: loose, in_app: loose, module: loose },
  { requiredKeys: [] },
);
const exception = fc.record(
  {
    type: loose,
    value: loose,
    stacktrace: fc.oneof(fc.record({ frames: fc.array(frame, { maxLength: 150 }) }), anyJson),
    mechanism: fc.oneof(fc.record({ type: loose, handled: loose, synthetic: loose }, { requiredKeys: [] }), anyJson),
  },
  { requiredKeys: [] },
);
const plausibleEvent = fc.record(
  {
    event_id: fc.oneof(
      fc.uuid().map((id) => id.replace(/-/g, "")),
      fc.stringMatching(/^[0-9a-f]{32}$/),
      loose,
    ),
    type: fc.oneof(fc.constantFrom("transaction", "error"), loose),
    timestamp: fc.oneof(
      fc.double(),
      fc.integer(),
      hostileString,
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    start_timestamp: loose,
    level: loose,
    message: fc.oneof(loose, fc.record({ formatted: loose, message: loose }, { requiredKeys: [] })),
    exception: fc.oneof(fc.record({ values: fc.array(exception, { maxLength: 5 }) }), fc.array(exception), anyJson),
    fingerprint: fc.oneof(fc.array(hostileString, { maxLength: 15 }), anyJson),
    tags: fc.oneof(fc.dictionary(hostileString, loose, { maxKeys: 60 }), fc.array(fc.tuple(loose, loose)), anyJson),
    breadcrumbs: fc.oneof(
      fc.array(
        fc.record(
          { timestamp: loose, category: loose, message: loose, data: anyJson, type: loose },
          { requiredKeys: [] },
        ),
        {
          maxLength: 120,
        },
      ),
      anyJson,
    ),
    contexts: anyJson,
    extra: fc.dictionary(hostileString, anyJson, { maxKeys: 150 }),
    user: fc.oneof(fc.record({ id: loose, username: loose, email: loose }, { requiredKeys: [] }), anyJson),
    request: fc.oneof(fc.record({ url: loose, method: loose }, { requiredKeys: [] }), anyJson),
    release: loose,
    environment: loose,
    sdk: loose,
    spans: anyJson,
  },
  { requiredKeys: [] },
);
const plausibleSession = fc.record(
  {
    sid: loose,
    did: loose,
    init: loose,
    started: loose,
    timestamp: loose,
    status: fc.oneof(fc.constantFrom("ok", "exited", "crashed", "abnormal", "errored", "unhandled"), loose),
    errors: loose,
    duration: loose,
    attrs: fc.oneof(fc.record({ release: loose, environment: loose }, { requiredKeys: [] }), anyJson),
    aggregates: fc.oneof(
      fc.array(
        fc.record(
          { started: loose, exited: fc.oneof(fc.nat({ max: 3000 }), loose), crashed: loose, did: loose },
          { requiredKeys: [] },
        ),
        { maxLength: 5 },
      ),
      anyJson,
    ),
  },
  { requiredKeys: [] },
);
const spanContainer = fc.record(
  {
    version: loose,
    items: fc.oneof(
      fc.array(
        fc.record(
          {
            trace_id: loose,
            span_id: loose,
            is_segment: fc.oneof(fc.boolean(), loose),
            name: loose,
            start_timestamp: loose,
            end_timestamp: loose,
            attributes: anyJson,
          },
          { requiredKeys: [] },
        ),
        { maxLength: 20 },
      ),
      anyJson,
    ),
  },
  { requiredKeys: [] },
);
const clientReport = fc.record({
  discarded_events: fc.oneof(
    fc.array(fc.record({ reason: loose, category: loose, quantity: fc.oneof(fc.integer(), loose) }), {
      maxLength: 120,
    }),
    anyJson,
  ),
});

const itemType = fc.oneof(
  fc.constantFrom(
    "event",
    "transaction",
    "span",
    "session",
    "sessions",
    "client_report",
    "attachment",
    "log",
    "replay_event",
  ),
  hostileString,
);
const payload = fc.oneof(plausibleEvent, plausibleSession, spanContainer, clientReport, anyJson);
const item = fc.tuple(itemType, payload, fc.boolean()).map(([type, body, sized]) => {
  const text = JSON.stringify(body) ?? "null";
  const length = new TextEncoder().encode(text).length;
  return `${JSON.stringify(sized ? { type, length } : { type })}\n${text}`;
});
const envelopes = fc.oneof(
  fc
    .tuple(
      fc.oneof(fc.record({ event_id: loose, dsn: loose, sdk: loose, trace: anyJson }, { requiredKeys: [] }), anyJson),
      fc.array(item, { maxLength: 6 }),
    )
    .map(([header, items]) => [JSON.stringify(header) ?? "", ...items].join("\n")),
  fc.string({ maxLength: 500 }),
  fc.uint8Array({ maxLength: 500 }).map((bytes) => new TextDecoder().decode(bytes)),
);

describe("fuzzing the Sentry intake", () => {
  it("never answers a 5xx, and whatever it accepted reaches Postgres", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(envelopes, fc.constantFrom("envelope", "store"), async (body, kind) => {
        const path = kind === "envelope" ? tenant.envelopePath : tenant.storePath;
        const res = await postSentry(path, body, { query: sdkQuery(tenant.publicKey) });
        const text = await res.text();
        expect(res.status, `${body.slice(0, 300)} → ${text.slice(0, 300)}`).toBeLessThan(500);
        expect(() => JSON.parse(text)).not.toThrow();
        if (res.status === 200) accepted++;
      }),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(0);
    // A row Postgres refuses would wedge the flush: everything accepted must flush cleanly.
    await flushMeter(tenant.project.id, 50);
    const stats = await meter(tenant.project.id).stats();
    expect(stats.lastFlushError).toBeNull();
    expect(stats.bufferedRows).toBe(0);
    // Nothing set aside as a dead letter either: text Postgres cannot store was made storable.
    expect(stats.deadLetterCount).toBe(0);
  });
});
