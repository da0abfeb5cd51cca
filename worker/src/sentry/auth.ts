import type { Database } from "@telemetry-tracker/db";
import { authenticateKeyString, authenticatePublicId } from "../auth/api-keys.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import type { Bindings } from "../env.ts";
import { ApiError } from "../errors.ts";

/** A DSN: `{scheme}://{publicKey}[:{secret}]@{host}[:{port}]/[{path prefix}/]{numeric project id}`. */
export interface Dsn {
  publicKey: string;
  projectId: string;
}

export function parseDsn(dsn: unknown): Dsn | null {
  if (typeof dsn !== "string" || dsn.length > 2048) return null;
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    return null;
  }
  const projectId = url.pathname.split("/").filter(Boolean).at(-1) ?? "";
  if (!url.username || !/^\d{1,10}$/.test(projectId)) return null;
  return { publicKey: decodeURIComponent(url.username), projectId };
}

/**
 * `X-Sentry-Auth: Sentry sentry_version=7, sentry_client=…, sentry_key=…[, sentry_secret=…]`
 * (older and non-JS SDKs; some send it as `Authorization`).
 */
export function parseSentryAuthHeader(value: string | null | undefined): string | null {
  if (!value) return null;
  const text = value.trim();
  if (!/^sentry\s/i.test(text)) return null;
  for (const part of text.slice(6).split(",")) {
    const separator = part.indexOf("=");
    if (separator === -1) continue;
    if (part.slice(0, separator).trim() === "sentry_key") return part.slice(separator + 1).trim() || null;
  }
  return null;
}

/**
 * The public key a request presents, by precedence: the auth header, the `sentry_key` query
 * parameter (the JS SDKs), or null, in which case the envelope header's `dsn` (tunnels) is asked.
 */
export function presentedSentryKey(request: Request): string | null {
  const fromHeader =
    parseSentryAuthHeader(request.headers.get("x-sentry-auth")) ??
    parseSentryAuthHeader(request.headers.get("authorization"));
  return fromHeader ?? (new URL(request.url).searchParams.get("sentry_key")?.trim() || null);
}

/**
 * The DSN's public key is one of our keys: its public id (what the dashboard shows in the DSN), or
 * the full `tt_live_…` key, whose secret is then checked. The key must belong to the project the
 * URL names. Revocation and expiry bite at the next request, exactly as on /ingest.
 */
export async function authenticateSentryKey(
  env: Bindings,
  db: () => Database,
  publicKey: string | null,
  numericProjectId: string,
): Promise<KeyRecord> {
  if (!publicKey) {
    throw new ApiError(
      "missing_api_key",
      "Send the DSN's public key as ?sentry_key=, in X-Sentry-Auth, or as the envelope header's dsn",
    );
  }
  let key: KeyRecord;
  if (publicKey.startsWith("tt_live_")) key = await authenticateKeyString(env, db, publicKey);
  else if (/^[0-9a-f]{16}$/.test(publicKey)) key = await authenticatePublicId(env, db, publicKey);
  else throw new ApiError("invalid_api_key", "The DSN's public key is malformed");
  if (String(key.projectNumericId) !== numericProjectId) {
    throw new ApiError("project_mismatch", `This key does not belong to project ${numericProjectId}; check the DSN`);
  }
  return key;
}
