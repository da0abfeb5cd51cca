import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { errorOccurrences } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { INGEST_LIMITS } from "../../src/ingest/limits.ts";
import { suiteDatabase } from "../helpers/db.ts";
import { expectError, flushMeter } from "../helpers/ingest.ts";
import { createSentryTenant, envelope, errorEvent, postSentry, sdkQuery, sentryEventId } from "../helpers/sentry.ts";

const db = suiteDatabase();

const eventEnvelope = (eventId = sentryEventId()) =>
  envelope({ event_id: eventId }, [{ header: { type: "event" }, payload: errorEvent(eventId) }]);

describe("bodies as the SDKs send them", () => {
  it("no Content-Type, text/plain, x-sentry-envelope, and a chunked body without Content-Length", async () => {
    const t = await createSentryTenant(db);
    for (const contentType of [undefined, "text/plain;charset=UTF-8", "application/x-sentry-envelope"]) {
      const res = await postSentry(t.envelopePath, eventEnvelope(), {
        query: sdkQuery(t.publicKey),
        headers: contentType ? { "content-type": contentType } : {},
      });
      expect(res.status, String(contentType)).toBe(200);
    }
    const bytes = new TextEncoder().encode(eventEnvelope());
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 100) controller.enqueue(bytes.subarray(i, i + 100));
        controller.close();
      },
    });
    const res = await postSentry(t.envelopePath, chunked, { query: sdkQuery(t.publicKey) });
    expect(res.status).toBe(200);
    await flushMeter(t.project.id);
    expect(await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, t.project.id))).toHaveLength(
      4,
    );
  });

  it("gzip, deflate (zlib and raw) and br bodies are decoded", async () => {
    const t = await createSentryTenant(db);
    const encoders: Array<[string, (data: Uint8Array) => Uint8Array]> = [
      ["gzip", gzipSync],
      ["deflate", deflateSync],
      ["deflate", deflateRawSync],
      ["br", brotliCompressSync],
    ];
    for (const [encoding, encode] of encoders) {
      const body = encode(new TextEncoder().encode(eventEnvelope()));
      const res = await postSentry(t.envelopePath, body, {
        query: sdkQuery(t.publicKey),
        headers: { "content-encoding": encoding },
      });
      expect(res.status, `${encoding}: ${await res.clone().text()}`).toBe(200);
    }
    await flushMeter(t.project.id);
    expect(await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, t.project.id))).toHaveLength(
      4,
    );
  });

  it("415 for an encoding workerd cannot undo; 400 for a body that is not what it claims", async () => {
    const t = await createSentryTenant(db);
    const query = sdkQuery(t.publicKey);
    await expectError(
      await postSentry(t.envelopePath, eventEnvelope(), { query, headers: { "content-encoding": "zstd" } }),
      415,
      "unsupported_media_type",
    );
    for (const encoding of ["gzip", "deflate", "br"]) {
      const res = await postSentry(t.envelopePath, "plain text", { query, headers: { "content-encoding": encoding } });
      expect(res.status, encoding).toBe(400);
    }
  });

  it("413 past the ingest limits: on the wire, and once decompressed (gzip and br bombs)", async () => {
    const t = await createSentryTenant(db);
    const query = sdkQuery(t.publicKey);
    const big = `${eventEnvelope()}\n{"type":"attachment","length":${INGEST_LIMITS.wireBytes}}\n${"x".repeat(INGEST_LIMITS.wireBytes)}`;
    await expectError(await postSentry(t.envelopePath, big, { query }), 413, "payload_too_large");
    const inflated = new TextEncoder().encode(
      `{}\n{"type":"attachment","length":${INGEST_LIMITS.decodedBytes + 10}}\n${"a".repeat(INGEST_LIMITS.decodedBytes + 10)}`,
    );
    for (const [encoding, body] of [
      ["gzip", gzipSync(inflated)],
      ["br", brotliCompressSync(inflated)],
    ] as const) {
      expect(body.byteLength).toBeLessThan(INGEST_LIMITS.wireBytes);
      const res = await postSentry(t.envelopePath, body, { query, headers: { "content-encoding": encoding } });
      await expectError(res, 413, "payload_too_large");
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
    }
  });
});

describe("envelope parsing", () => {
  it("items with a length may hold newlines and binary data; unknown item types are skipped", async () => {
    const t = await createSentryTenant(db);
    const eventId = sentryEventId();
    const binary = new Uint8Array([0x00, 0x0a, 0xff, 0x0a, 0x7b, 0x0a]);
    const head = new TextEncoder().encode(
      `${JSON.stringify({ event_id: eventId })}\n${JSON.stringify({ type: "attachment", length: binary.length, filename: "a.bin" })}\n`,
    );
    const tail = new TextEncoder().encode(
      `\n\n{"type":"made_up_item"}\n{"whatever":true}\n{"type":"event"}\n${JSON.stringify(errorEvent(eventId))}\n`,
    );
    const body = new Uint8Array([...head, ...binary, ...tail]);
    const res = await postSentry(t.envelopePath, body, { query: sdkQuery(t.publicKey) });
    expect(res.status, await res.clone().text()).toBe(200);
    await flushMeter(t.project.id);
    expect(await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, t.project.id))).toHaveLength(
      1,
    );
  });

  it("an empty payload of an item with length 0, and a header-only envelope, are fine", async () => {
    const t = await createSentryTenant(db);
    for (const body of ['{}\n{"type":"attachment","length":0}\n', "{}", "{}\n"]) {
      const res = await postSentry(t.envelopePath, body, { query: sdkQuery(t.publicKey) });
      expect(res.status, body).toBe(200);
    }
  });

  it.each([
    ["", "empty"],
    ["not json\n{}", "envelope header"],
    ["[1]\n", "must be a JSON object"],
    ['{}\n{"length":2}\nab', 'no "type"'],
    ['{}\n{"type":"event"}\n{broken', "payload of item 1 (event)"],
    ['{}\n{"type":"event"}\n[]', "must be a JSON object"],
    ['{}\n{"type":"attachment","length":50}\nshort', "declares 50 bytes"],
    ['{}\n{"type":"attachment","length":-1}\n', 'invalid "length"'],
    ['{}\n{"type":"attachment","length":"3"}\nabc', 'invalid "length"'],
  ])("400 invalid_envelope for %j (%s)", async (body, expected) => {
    const t = await createSentryTenant(db);
    const res = await postSentry(t.envelopePath, body, { query: sdkQuery(t.publicKey) });
    const error = await expectError(res, 400, "invalid_envelope");
    expect(error.error.message).toContain(expected);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});
