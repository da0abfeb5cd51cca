import {
  type ApiKeyScope,
  apiKeys,
  type Database,
  organizations,
  parseApiKey,
  projects,
  sha256Hex,
  timingSafeEqual,
} from "@telemetry-tracker/db";
import { and, eq, isNull } from "drizzle-orm";
import type { Bindings } from "../env.ts";
import { ApiError } from "../errors.ts";
import { meterClient } from "../meter/client.ts";
import { effectivePlan } from "../plans.ts";
import type { KeyRecord } from "./key-record.ts";

type CachedLookup = KeyRecord | { unknown: true };

// Freshness windows. The isolate cache is short because it cannot be invalidated remotely; KV is
// deleted on revoke, and the project's ProjectMeter rejects a revoked key at once regardless.
export const KEY_CACHE = {
  isolateMs: 10_000,
  kvSeconds: 300,
  /** KV's minimum TTL; bounds Postgres lookups for a flood of the same unknown key to one a minute. */
  unknownKvSeconds: 60,
} as const;

const kvName = (publicId: string) => `keyByPublicId:${publicId}`;

// Isolate-lifetime: survives across requests served by this isolate, which is the point of it.
export const isolateKeyCache = new Map<string, { value: CachedLookup; expiresAt: number }>();

/** Counts Postgres lookups made by this isolate, so tests can prove the caches hold. */
export const keyLookupStats = { postgres: 0 };

async function loadFromPostgres(db: Database, publicId: string): Promise<CachedLookup> {
  keyLookupStats.postgres++;
  const [row] = await db
    .select({ key: apiKeys, project: projects, org: organizations })
    .from(apiKeys)
    .innerJoin(projects, eq(projects.id, apiKeys.projectId))
    .innerJoin(organizations, eq(organizations.id, projects.orgId))
    .where(eq(apiKeys.publicId, publicId));
  if (!row) return { unknown: true };
  return {
    keyId: row.key.id,
    publicId,
    projectId: row.project.id,
    projectNumericId: row.project.numericId,
    orgId: row.org.id,
    secretHash: row.key.secretHash,
    allowedApp: row.key.allowedApp,
    scopes: row.key.scopes,
    expiresAt: row.key.expiresAt ? row.key.expiresAt.getTime() : null,
    disabled: Boolean(row.key.revokedAt || row.project.deletedAt || row.org.deletedAt),
    plan: effectivePlan(row.org),
    piiDenyKeys: row.project.piiDenyKeys,
  };
}

async function lookup(env: Bindings, db: () => Database, publicId: string): Promise<CachedLookup> {
  const now = Date.now();
  const cached = isolateKeyCache.get(publicId);
  if (cached && cached.expiresAt > now) return cached.value;

  let value = await env.KEYS.get<CachedLookup>(kvName(publicId), "json");
  // A record cached before projects had numeric ids is read again from Postgres, once.
  if (value && !("unknown" in value) && value.projectNumericId === undefined) value = null;
  if (!value) {
    value = await loadFromPostgres(db(), publicId);
    const ttl = "unknown" in value ? KEY_CACHE.unknownKvSeconds : KEY_CACHE.kvSeconds;
    await env.KEYS.put(kvName(publicId), JSON.stringify(value), { expirationTtl: ttl });
  }
  isolateKeyCache.set(publicId, { value, expiresAt: now + KEY_CACHE.isolateMs });
  return value;
}

/** The key from `Authorization: Bearer`, `X-API-Key`, or `?api_key=` (sendBeacon cannot set headers). */
export function extractApiKey(request: Request): string | null {
  const authorization = request.headers.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return match ? match[1].trim() : authorization.trim();
  }
  return request.headers.get("x-api-key")?.trim() || new URL(request.url).searchParams.get("api_key");
}

async function findKey(env: Bindings, db: () => Database, publicId: string): Promise<KeyRecord | null> {
  let record: CachedLookup;
  try {
    record = await lookup(env, db, publicId);
  } catch (error) {
    throw new ApiError("backend_unavailable", "Could not verify the API key right now; retry shortly", {
      headers: { "Retry-After": "5" },
      details: { reason: (error as Error).message },
    });
  }
  return "unknown" in record ? null : record;
}

function refuseUnusable(record: KeyRecord, scope: ApiKeyScope): KeyRecord {
  if (record.disabled) throw new ApiError("revoked_api_key", "The API key has been revoked");
  if (record.expiresAt !== null && record.expiresAt <= Date.now()) {
    throw new ApiError("expired_api_key", "The API key has expired");
  }
  if (!(record.scopes ?? ["ingest"]).includes(scope)) {
    throw new ApiError("insufficient_scope", `This API key lacks the ${scope} scope`);
  }
  return record;
}

/**
 * Authenticates an ingest request: parse → isolate cache → KV → Postgres, constant-time secret
 * check, then the key's scope (a source map upload key cannot ingest, an ingest key cannot upload).
 * Throws the 401/403 the client should see.
 */
export async function authenticateApiKey(
  env: Bindings,
  db: () => Database,
  request: Request,
  scope: ApiKeyScope = "ingest",
): Promise<KeyRecord> {
  const presented = extractApiKey(request);
  if (!presented)
    throw new ApiError("missing_api_key", "Send the project API key as `Authorization: Bearer tt_live_…`");
  return authenticateKeyString(env, db, presented, scope);
}

/** The same checks for a key already taken from wherever its protocol carries it. */
export async function authenticateKeyString(
  env: Bindings,
  db: () => Database,
  presented: string,
  scope: ApiKeyScope = "ingest",
): Promise<KeyRecord> {
  const parsed = parseApiKey(presented);
  if (!parsed) throw new ApiError("invalid_api_key", "The API key is malformed");
  const record = await findKey(env, db, parsed.publicId);
  if (!record) throw new ApiError("invalid_api_key", "The API key is not valid");
  if (!timingSafeEqual(await sha256Hex(parsed.secret), record.secretHash)) {
    throw new ApiError("invalid_api_key", "The API key is not valid");
  }
  return refuseUnusable(record, scope);
}

/**
 * Authenticates by the key's public id alone: a Sentry DSN carries only a public key, so a key's
 * public id is enough to ingest there (as a browser key in page source is). Revocation, expiry and
 * scope bite exactly as for full keys.
 */
export async function authenticatePublicId(
  env: Bindings,
  db: () => Database,
  publicId: string,
  scope: ApiKeyScope = "ingest",
): Promise<KeyRecord> {
  const record = await findKey(env, db, publicId);
  if (!record) throw new ApiError("invalid_api_key", "The DSN's public key is not a key of this service");
  return refuseUnusable(record, scope);
}

/**
 * The revoke service the management API calls: marks the key revoked in Postgres, drops it from KV
 * and this isolate's cache, and tells the project's ProjectMeter, which rejects it from then on — so
 * the next ingest with this key fails everywhere, whatever an isolate still has cached. The caches go
 * before the meter is called and whatever the meter answers: with the meter unreachable, Postgres
 * and KV still refuse the key (isolates elsewhere within their 10 s window). Returns false when no
 * such active key exists in that project.
 */
export async function revokeApiKey(
  env: Bindings,
  db: Database,
  target: { keyId: string; projectId: string },
): Promise<boolean> {
  const [revoked] = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, target.keyId), eq(apiKeys.projectId, target.projectId), isNull(apiKeys.revokedAt)))
    .returning({ publicId: apiKeys.publicId });
  if (!revoked) return false;
  isolateKeyCache.delete(revoked.publicId);
  try {
    await env.KEYS.delete(kvName(revoked.publicId));
  } finally {
    // Told even when the KV delete failed: the meter is the one that stops isolates elsewhere.
    await meterClient(env).revoke(target.projectId, revoked.publicId);
  }
  return true;
}

/** Forgets cached key records of a project after its plan, deny list or state changed. */
export async function invalidateKeyCache(env: Bindings, publicIds: string[]): Promise<void> {
  await Promise.all(publicIds.map((publicId) => env.KEYS.delete(kvName(publicId))));
  for (const publicId of publicIds) isolateKeyCache.delete(publicId);
}
