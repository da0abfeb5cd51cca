import type { DatabaseOptions } from "@telemetry-tracker/db";
import { z } from "zod";

/**
 * Bindings and secrets, validated once per request at the entry. Binding types come from
 * `npm run types` (wrangler types → worker-configuration.d.ts); secrets are not in wrangler.toml,
 * so they are declared here.
 */
export interface Secrets {
  DATABASE_URL: string;
  /** `host:port` of the local WebSocket→TCP proxy; unset in production (Neon speaks WebSocket). */
  DB_WS_PROXY?: string;
  SESSION_SECRET?: string;
  PASSWORD_PEPPER?: string;
  STRIPE_SECRET_KEY?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  STRIPE_PRICE_PRO?: string;
  STRIPE_PRICE_BUSINESS?: string;
  /** Points the Stripe client at another API host (tests use a local fake), e.g. `http://127.0.0.1:12111`. */
  STRIPE_API_BASE?: string;
  MAIL_API_URL?: string;
  MAIL_API_KEY?: string;
  MAIL_FROM?: string;
  /** Benchmark stack only (bench/*): mounts /__bench/* routes. Never set in production. */
  BENCH_ROUTES?: string;
  /** Benchmark stack only: per-stage Server-Timing header on /ingest/*. Never set in production. */
  SERVER_TIMING?: string;
}

declare global {
  namespace Cloudflare {
    // Secrets join the generated binding types, so `env` from cloudflare:workers knows them too.
    interface Env extends Secrets {}
  }
}

export type Bindings = Cloudflare.Env;

/** The database as this env names it: through the local proxy when one is set, else Neon directly. */
export function databaseOptions(env: Bindings): DatabaseOptions {
  return { url: env.DATABASE_URL, wsProxy: env.DB_WS_PROXY || undefined };
}

const presentString = z.string().trim().min(1);
const perMinute = z
  .string()
  .trim()
  .regex(/^\d{1,9}$/, "must be a whole number of requests per minute (0 turns the limit off)")
  .optional();

export const envSchema = z.object({
  DATABASE_URL: presentString.refine((value) => /^postgres(ql)?:\/\//.test(value), "must be a postgres:// URL"),
  DB_WS_PROXY: z.string().optional(),
  APP_ENV: z.enum(["development", "test", "production"]),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  ALLOW_REGISTRATION: z.enum(["true", "false"]).default("false"),
  DASHBOARD_ORIGINS: z.string().default(""),
  FLUSH_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  KEYS: z.custom<KVNamespace>((value) => typeof value === "object" && value !== null, "KV binding missing"),
  ARTIFACTS: z.custom<R2Bucket>((value) => typeof value === "object" && value !== null, "R2 binding missing"),
  PROJECT_METER: z.custom<DurableObjectNamespace>(
    (value) => typeof value === "object" && value !== null,
    "Durable Object binding missing",
  ),
  RATE_LIMITER: z.custom<DurableObjectNamespace>(
    (value) => typeof value === "object" && value !== null,
    "Durable Object binding missing",
  ),
  // Per-IP requests per minute per surface (middleware/ip-rate-limit.ts); 0 turns one off.
  RATE_LIMIT_INGEST_PER_MINUTE: perMinute,
  RATE_LIMIT_AUTH_PER_MINUTE: perMinute,
  RATE_LIMIT_API_PER_MINUTE: perMinute,
});

export type ValidatedEnv = z.infer<typeof envSchema>;

/** Returns the names of missing or malformed bindings, or an empty list when the env is usable. */
export function findEnvProblems(env: unknown): string[] {
  const result = envSchema.safeParse(env);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join(".") || "env"}: ${issue.message}`);
}
