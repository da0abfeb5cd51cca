import type { ApiKeyScope, Plan } from "@telemetry-tracker/db";

/**
 * What ingest needs to know about a key; cached in the isolate and in KV, never holds the secret.
 * Its own module because row building (ingest/) reads it and must not import the key service.
 */
export interface KeyRecord {
  keyId: string;
  publicId: string;
  projectId: string;
  /** The project's numeric id, the one a Sentry DSN names. */
  projectNumericId: number;
  orgId: string;
  secretHash: string;
  allowedApp: string | null;
  /** What the key may do; records cached before scopes existed lack it and mean `["ingest"]`. */
  scopes?: ApiKeyScope[];
  /** Epoch ms, or null for keys that never expire. */
  expiresAt: number | null;
  /** Revoked key, or archived project/organization: rejected without a lookup. */
  disabled: boolean;
  plan: Plan;
  piiDenyKeys: string[];
}
