import "server-only";
import { redirect } from "@solidjs/router";
import createClient from "openapi-fetch";
import { getRequestEvent } from "solid-js/web";
import type { paths } from "../api/schema";

/**
 * The one way the dashboard's server reaches the Worker: an openapi-fetch client typed by the
 * Worker's own OpenAPI document (`../api/schema.d.ts`, generated), so a path, parameter or
 * response field that changes on the Worker breaks this package's typecheck. In production the
 * Pages project has a service binding `API` (no public hop, no CORS); locally `API_URL` points at
 * `wrangler dev`. The browser's session cookie and Origin are forwarded so the Worker does the
 * auth and CSRF checks itself; the dashboard never decides who may do what.
 */

/** One field the Worker refused (`details` of a 400 `validation_failed`): `userIds.0`, and why. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** An answer from the Worker that was not 2xx, carrying the envelope's code, message and field issues. */
export class WorkerError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId?: string;
  readonly issues: FieldIssue[];

  constructor(status: number, code: string, message: string, requestId?: string, issues: FieldIssue[] = []) {
    super(message);
    this.name = "WorkerError";
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.issues = issues;
  }
}

/** The envelope's `details` when they name fields (other codes put other things there). */
function fieldIssues(details: unknown): FieldIssue[] {
  if (!Array.isArray(details)) return [];
  return details.filter(
    (detail): detail is FieldIssue => typeof detail?.path === "string" && typeof detail?.message === "string",
  );
}

interface PagesEnv {
  API?: { fetch: (request: Request) => Promise<Response> };
  API_URL?: string;
  INGEST_URL?: string;
}

function cloudflareEnv(): PagesEnv {
  const event = getRequestEvent();
  // nitro's cloudflare presets put the Pages env on the request it hands to the app.
  const req = event?.nativeEvent?.req as { runtime?: { cloudflare?: { env?: PagesEnv } } } | undefined;
  return req?.runtime?.cloudflare?.env ?? {};
}

function processEnv(): Record<string, string | undefined> {
  return typeof process !== "undefined" ? process.env : {};
}

function workerBase(): { url: string; binding?: PagesEnv["API"] } {
  const env = cloudflareEnv();
  const url = env.API_URL || processEnv().API_URL;
  if (url) return { url: url.replace(/\/$/, "") };
  if (env.API) return { url: "https://api.internal", binding: env.API };
  throw new WorkerError(503, "misconfigured", "The dashboard has no route to the API (set API_URL or the API binding)");
}

/** Where SDKs send telemetry: INGEST_URL when set (production), else the Worker URL used here. */
export function ingestBaseUrl(): string {
  const env = cloudflareEnv();
  const fromProcess = processEnv();
  return (
    env.INGEST_URL ||
    fromProcess.INGEST_URL ||
    env.API_URL ||
    fromProcess.API_URL ||
    "https://ingest.example.com"
  ).replace(/\/$/, "");
}

/**
 * Sends one request as the signed-in person: their cookie, Origin, User-Agent and IP go along, and
 * the Worker's Set-Cookie (login, logout, the sliding renewal on any call) comes back to them.
 */
async function forwardingFetch(request: Request, binding: PagesEnv["API"]): Promise<Response> {
  const event = getRequestEvent();
  const incoming = event?.request;
  const headers = new Headers(request.headers);
  headers.set("accept", "application/json");
  const cookie = incoming?.headers.get("cookie");
  if (cookie) headers.set("cookie", cookie);
  // The Worker's CSRF check needs the page's Origin; a same-origin GET carries none, so use ours.
  const origin = incoming?.headers.get("origin") ?? (incoming ? new URL(incoming.url).origin : undefined);
  if (origin) headers.set("origin", origin);
  const userAgent = incoming?.headers.get("user-agent");
  if (userAgent) headers.set("user-agent", userAgent);
  // The Worker throttles logins per IP; behind the service binding it would only see ours.
  const clientIp = incoming?.headers.get("cf-connecting-ip");
  if (clientIp) headers.set("cf-connecting-ip", clientIp);
  // The Worker accepts cookie-authenticated mutations only as JSON (CSRF), even bodiless DELETEs.
  if (request.method !== "GET" && request.method !== "HEAD") headers.set("content-type", "application/json");

  const body = request.body ? await request.text() : undefined;
  const outgoing = new Request(request.url, { method: request.method, headers, body, redirect: "manual" });
  let response: Response;
  try {
    response = binding ? await binding.fetch(outgoing) : await fetch(outgoing);
  } catch (error) {
    throw new WorkerError(503, "backend_unavailable", `The API could not be reached: ${(error as Error).message}`);
  }
  if (event) {
    for (const value of response.headers.getSetCookie()) event.response.headers.append("set-cookie", value);
  }
  return response;
}

/** The typed client for this request: `worker().GET("/api/orgs/{orgId}/projects", …)`. */
export function worker() {
  const base = workerBase();
  return createClient<paths>({ baseUrl: base.url, fetch: (request) => forwardingFetch(request, base.binding) });
}

/** What an openapi-fetch call resolves to, narrowed to what the helpers below need. */
type Answer<T> = { data?: T; error?: unknown; response: Response };

function toWorkerError(response: Response, error: unknown): WorkerError {
  const envelope = (
    error as { error?: { code?: string; message?: string; requestId?: string; details?: unknown } } | undefined
  )?.error;
  if (envelope?.message) {
    const issues = fieldIssues(envelope.details);
    return new WorkerError(response.status, envelope.code ?? "error", envelope.message, envelope.requestId, issues);
  }
  // Not the envelope (a proxy's HTML page, say): a generic message with the start of the body.
  const text = typeof error === "string" ? error : "";
  return new WorkerError(
    response.status,
    "error",
    `The API answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`,
  );
}

/** Resolves to the 2xx data, or throws a WorkerError carrying the envelope. */
export async function settle<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw toWorkerError(response, error);
  return data as T;
}

/**
 * For reads: a missing or expired session sends the person to sign in instead of an error page.
 * Everything else is rethrown as a plain Error so its message crosses to the browser intact.
 */
export async function read<T>(call: Promise<Answer<T>>): Promise<T> {
  try {
    return await settle(call);
  } catch (error) {
    if (error instanceof WorkerError && error.status === 401) throw redirect("/login");
    throw asPlainError(error);
  }
}

/** Mutations report failures as values, so forms can show the API's message and the fields it names. */
export type Outcome<T> =
  | { ok: true; data: T }
  | { ok: false; status: number; code: string; message: string; issues: FieldIssue[] };

export async function mutate<T>(call: Promise<Answer<T>>): Promise<Outcome<T>> {
  try {
    return { ok: true, data: await settle(call) };
  } catch (error) {
    if (error instanceof WorkerError) {
      return { ok: false, status: error.status, code: error.code, message: error.message, issues: error.issues };
    }
    return { ok: false, status: 500, code: "internal_error", message: (error as Error).message, issues: [] };
  }
}

function asPlainError(error: unknown): Error {
  if (error instanceof WorkerError) {
    const plain = new Error(error.message);
    plain.name = error.code;
    return plain;
  }
  return error instanceof Error ? error : new Error(String(error));
}
