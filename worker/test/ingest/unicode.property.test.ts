import { errorOccurrences, events, sessions } from "@telemetry-tracker/db";
import { and, eq, inArray } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeString } from "../../src/ingest/normalize.ts";
import { suiteDatabase } from "../helpers/db.ts";
import { createIngestTenant, flushMeter, meter, postIngest } from "../helpers/ingest.ts";

const db = suiteDatabase();

// Every UTF-16 code unit, alone: NUL, control characters, lone high and low surrogates, U+FFFF.
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));

/** Text over the whole of Unicode, as code points and as raw code units, with the known culprits. */
const anyText = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: "binary", maxLength }),
    fc.string({ unit: codeUnit, maxLength }),
    fc.constantFrom("\u0000", "a\u0000b", "\ud800x", "x\udfff", "\uffff", "\ud83d\ude00\u0000", "\ufffe\uffff"),
  );

const propertyKey = fc.oneof(anyText(40), fc.string({ unit: codeUnit, minLength: 150, maxLength: 200 }));
const properties = fc.dictionary(
  propertyKey,
  fc.oneof(anyText(100), fc.integer(), fc.dictionary(propertyKey, anyText(50), { maxKeys: 3 })),
  { maxKeys: 5 },
);
const named = anyText(200).filter((text) => text.trim().length > 0);

const item = fc.oneof(
  fc.record({
    type: fc.constant("event" as const),
    event_id: fc.uuid({ version: 4 }),
    name: named,
    user_id: anyText(200),
    properties,
  }),
  fc.record({
    type: fc.constant("error" as const),
    event_id: fc.uuid({ version: 4 }),
    message: anyText(500),
    error_type: named,
    tags: fc.dictionary(anyText(40), anyText(100), { maxKeys: 3 }),
    context: properties,
  }),
  fc.record({
    type: fc.constant("session" as const),
    event_id: fc.uuid({ version: 4 }),
    session_id: named,
    action: fc.constantFrom("start", "update", "end"),
    release: anyText(200),
  }),
);

describe("any text answered 202 reaches Postgres (issue 10 §0, property)", () => {
  it("every accepted item is stored after the drain, none is dead-lettered, and a later row is not held up", async () => {
    // BUSINESS: a high rate limit, so the runs explore text rather than the token bucket.
    const { key, project } = await createIngestTenant(db, { plan: "BUSINESS" });
    const accepted = { events: new Map<string, string>(), errors: new Set<string>(), sessions: new Set<string>() };
    let answered202 = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 5 }), async (items) => {
        const body = { events: items.map((entry) => ({ ...entry, app: "web" })) };
        const res = await postIngest("/ingest/batch", body, { key });
        // Too long once encoded, say, is a 400; never a 5xx.
        expect([202, 400]).toContain(res.status);
        if (res.status !== 202) return;
        answered202++;
        for (const entry of items) {
          if (entry.type === "event") accepted.events.set(entry.event_id, normalizeString(entry.name.trim()));
          else if (entry.type === "error") accepted.errors.add(entry.event_id);
          else accepted.sessions.add(normalizeString(entry.session_id.trim()));
        }
      }),
      { numRuns: 60 },
    );
    expect(answered202).toBeGreaterThan(30);

    const later = crypto.randomUUID();
    expect((await postIngest("/ingest/event", { name: "later", app: "web", event_id: later }, { key })).status).toBe(
      202,
    );
    await flushMeter(project.id, 50);
    const stats = await meter(project.id).stats();
    expect(stats.bufferedRows).toBe(0);
    expect(stats.deadLetterCount).toBe(0);

    const eventIds = [...accepted.events.keys(), later];
    const storedEvents = await db
      .select({ eventId: events.eventId, name: events.name })
      .from(events)
      .where(and(eq(events.projectId, project.id), inArray(events.eventId, eventIds)));
    expect(new Map(storedEvents.map((row) => [row.eventId, row.name]))).toEqual(
      new Map([...accepted.events, [later, "later"]]),
    );
    if (accepted.errors.size > 0) {
      const storedErrors = await db
        .select({ eventId: errorOccurrences.eventId })
        .from(errorOccurrences)
        .where(eq(errorOccurrences.projectId, project.id));
      expect(new Set(storedErrors.map((row) => row.eventId))).toEqual(accepted.errors);
    }
    const storedSessions = await db
      .select({ sessionId: sessions.sessionId })
      .from(sessions)
      .where(eq(sessions.projectId, project.id));
    expect(new Set(storedSessions.map((row) => row.sessionId))).toEqual(accepted.sessions);
  });
});
