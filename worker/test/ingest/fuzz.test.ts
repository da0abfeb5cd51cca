import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { suiteDatabase } from "../helpers/db.ts";
import { createIngestTenant, postIngest } from "../helpers/ingest.ts";

const db = suiteDatabase();

let key: string;
beforeAll(async () => {
  // BUSINESS: a high rate limit, so the fuzzer explores bodies rather than the token bucket.
  ({ key } = await createIngestTenant(db, { plan: "BUSINESS" }));
});

const paths = fc.constantFrom("/ingest/event", "/ingest/error", "/ingest/session", "/ingest/batch");

/** Mostly plausible items with hostile values mixed in, so the fuzzer gets past the first check. */
const plausibleItem = fc.record(
  {
    type: fc.oneof(fc.constantFrom("event", "error", "session"), fc.jsonValue()),
    name: fc.oneof(fc.string(), fc.jsonValue()),
    app: fc.oneof(fc.constantFrom("web", " ", ""), fc.string({ maxLength: 200 }), fc.jsonValue()),
    message: fc.oneof(fc.string(), fc.jsonValue()),
    session_id: fc.oneof(fc.string(), fc.integer()),
    event_id: fc.oneof(fc.uuid(), fc.string()),
    timestamp: fc.oneof(
      fc.integer(),
      fc.double(),
      fc.string(),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    properties: fc.jsonValue({ maxDepth: 8 }),
    frames: fc.jsonValue(),
    stack: fc.string({ maxLength: 2000 }),
    fingerprint: fc.jsonValue(),
    breadcrumbs: fc.jsonValue(),
    action: fc.oneof(fc.constantFrom("start", "update", "end"), fc.string()),
  },
  { requiredKeys: [] },
);

const bodies = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  plausibleItem.map((item) => JSON.stringify(item)),
  fc.array(plausibleItem, { maxLength: 120 }).map((events) => JSON.stringify({ events })),
  fc.string({ maxLength: 500 }),
  fc.uint8Array({ maxLength: 500 }).map((bytes) => new TextDecoder().decode(bytes)),
);

describe("fuzzing ingest", () => {
  it("never answers a 5xx, whatever the body", async () => {
    await fc.assert(
      fc.asyncProperty(paths, bodies, async (path, body) => {
        const res = await postIngest(path, null, { key, raw: body });
        const text = await res.text();
        expect(res.status, `${path} ${body.slice(0, 200)} → ${text.slice(0, 300)}`).toBeLessThan(500);
        expect(() => JSON.parse(text)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it("never answers a 5xx, whatever the headers", async () => {
    const headerValue = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.constantFrom(
        "gzip",
        "deflate",
        "br",
        "text/plain",
        "application/json; charset=utf-8",
        "Bearer",
        `Bearer ${"a".repeat(500)}`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        paths,
        fc.record(
          {
            "content-type": headerValue,
            "content-encoding": headerValue,
            authorization: headerValue,
            "x-api-key": headerValue,
            "content-length": fc.oneof(fc.nat().map(String), fc.string()),
          },
          { requiredKeys: [] },
        ),
        async (path, headers) => {
          const safeHeaders = Object.fromEntries(
            Object.entries(headers).filter(
              ([, value]) => /^[\t\x20-\x7e]*$/.test(value as string) && isTrimmed(value as string),
            ),
          ) as Record<string, string>;
          delete safeHeaders["content-length"];
          // Without a fuzzed credential the valid key goes along, so the other headers get exercised past auth.
          const fuzzedCredential = "authorization" in safeHeaders || "x-api-key" in safeHeaders;
          const res = await postIngest(
            path,
            { name: "fuzz", app: "web" },
            { key: fuzzedCredential ? null : key, headers: safeHeaders },
          );
          expect(res.status, JSON.stringify(safeHeaders)).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** Header values the fetch API accepts (no leading/trailing whitespace issues). */
function isTrimmed(value: string): boolean {
  return value === value.trim();
}
