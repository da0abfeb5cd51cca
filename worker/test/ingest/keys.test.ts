import { env } from "cloudflare:workers";
import { apiKeys } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { isolateKeyCache, keyLookupStats, revokeApiKey } from "../../src/auth/api-keys.ts";
import { suiteDatabase } from "../helpers/db.ts";
import { createIngestTenant, expectError, postIngest } from "../helpers/ingest.ts";

const db = suiteDatabase();

const event = { name: "x", app: "web" };
const randomUnknownKey = () => `tt_live_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}_${"ab".repeat(24)}`;

beforeEach(() => {
  keyLookupStats.postgres = 0;
});

describe("key lookup caching", () => {
  it("a valid key is read from Postgres once, then from the isolate cache or KV", async () => {
    const { key } = await createIngestTenant(db);
    for (let i = 0; i < 5; i++) expect((await postIngest("/ingest/event", event, { key })).status).toBe(202);
    expect(keyLookupStats.postgres).toBe(1);
    // A new isolate has an empty map: KV still answers without Postgres.
    isolateKeyCache.clear();
    expect((await postIngest("/ingest/event", event, { key })).status).toBe(202);
    expect(keyLookupStats.postgres).toBe(1);
  });

  it("a flood of one unknown key costs one Postgres lookup, even across isolates", async () => {
    const unknown = randomUnknownKey();
    for (let i = 0; i < 30; i++) {
      if (i % 10 === 0) isolateKeyCache.clear();
      await expectError(await postIngest("/ingest/event", event, { key: unknown }), 401, "invalid_api_key");
    }
    expect(keyLookupStats.postgres).toBe(1);
  });

  it("a flood of distinct random keys costs one lookup per key, and malformed ones cost none", async () => {
    const keys = Array.from({ length: 10 }, randomUnknownKey);
    for (const key of [...keys, ...keys]) {
      await expectError(await postIngest("/ingest/event", event, { key }), 401, "invalid_api_key");
    }
    expect(keyLookupStats.postgres).toBe(keys.length);
    for (let i = 0; i < 10; i++) {
      await expectError(await postIngest("/ingest/event", event, { key: `tt_live_${i}` }), 401, "invalid_api_key");
    }
    expect(keyLookupStats.postgres).toBe(keys.length);
  });

  it("the KV entry never holds the secret", async () => {
    const { key, keyRow } = await createIngestTenant(db);
    await postIngest("/ingest/event", event, { key });
    const cached = await env.KEYS.get(`keyByPublicId:${keyRow.publicId}`);
    expect(cached).toContain(keyRow.secretHash);
    expect(cached).not.toContain(key.split("_")[3]);
  });
});

describe("revokeApiKey", () => {
  it("after it returns, the next ingest with the key is refused, caches notwithstanding", async () => {
    const { key, keyRow, project } = await createIngestTenant(db);
    expect((await postIngest("/ingest/event", event, { key })).status).toBe(202);
    expect(await revokeApiKey(env, db, { keyId: keyRow.id, projectId: project.id })).toBe(true);
    await expectError(await postIngest("/ingest/event", event, { key }), 401, "revoked_api_key");
    const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, keyRow.id));
    expect(row.revokedAt).not.toBeNull();
    expect(await env.KEYS.get(`keyByPublicId:${keyRow.publicId}`)).not.toContain('"disabled":false');
  });

  it("refuses to revoke another project's key (wrong tenant) and is idempotent", async () => {
    const a = await createIngestTenant(db);
    const b = await createIngestTenant(db);
    expect(await revokeApiKey(env, db, { keyId: a.keyRow.id, projectId: b.project.id })).toBe(false);
    expect((await postIngest("/ingest/event", event, { key: a.key })).status).toBe(202);
    expect(await revokeApiKey(env, db, { keyId: a.keyRow.id, projectId: a.project.id })).toBe(true);
    expect(await revokeApiKey(env, db, { keyId: a.keyRow.id, projectId: a.project.id })).toBe(false);
  });

  it("another isolate that cached the key before the revoke is stopped by the project's meter", async () => {
    const { key, keyRow, project } = await createIngestTenant(db);
    expect((await postIngest("/ingest/event", event, { key })).status).toBe(202);
    const staleEntry = isolateKeyCache.get(keyRow.publicId);
    expect(staleEntry).toBeDefined();
    await revokeApiKey(env, db, { keyId: keyRow.id, projectId: project.id });
    // Simulate an isolate elsewhere that still holds the pre-revoke record.
    isolateKeyCache.set(keyRow.publicId, staleEntry as NonNullable<typeof staleEntry>);
    await expectError(await postIngest("/ingest/event", event, { key }), 401, "revoked_api_key");
  });

  it("when the meter cannot be told, the key is still refused at the next request", async () => {
    const { key, keyRow, project } = await createIngestTenant(db);
    // Warm this isolate's cache and KV, as a busy key would have them.
    expect((await postIngest("/ingest/event", event, { key })).status).toBe(202);
    expect(isolateKeyCache.has(keyRow.publicId)).toBe(true);
    expect(await env.KEYS.get(`keyByPublicId:${keyRow.publicId}`)).toContain('"disabled":false');

    // The ProjectMeter namespace as seen by the revoke: every call to the object fails.
    const unreachable = new Error("Durable Object reset because its code was updated");
    const failingMeters = {
      idFromName: (name: string) => env.PROJECT_METER.idFromName(name),
      get: () => ({
        revokeKey: () => Promise.reject(unreachable),
      }),
    } as unknown as typeof env.PROJECT_METER;
    const revokeEnv = { ...env, PROJECT_METER: failingMeters };
    expect(await revokeApiKey(revokeEnv, db, { keyId: keyRow.id, projectId: project.id })).toBe(true);

    // The real meter never heard of the revoke; the caches must not hand out the old record.
    expect(isolateKeyCache.has(keyRow.publicId)).toBe(false);
    await expectError(await postIngest("/ingest/event", event, { key }), 401, "revoked_api_key");
    await expectError(await postIngest("/ingest/batch", { events: [event] }, { key }), 401, "revoked_api_key");
  });
});
