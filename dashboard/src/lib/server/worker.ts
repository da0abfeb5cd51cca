import "server-only";
import { redirect } from "@solidjs/router";
import { getRequestEvent } from "solid-js/web";

/**
 * The one way the dashboard's server reaches the Worker. In production the Pages project has a
 * service binding `API` (no public hop, no CORS); locally `API_URL` points at `wrangler dev`.
 * The browser's session cookie and Origin are forwarded so the Worker does the auth and CSRF
 * checks itself; the dashboard never decides who may do what.
 */

/** An answer from the Worker that was not 2xx, carrying the envelope's code and message. */
export class WorkerError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId?: string;

  constructor(status: number, code: string, message: string, requestId?: string) {
    super(message);
    this.name = "WorkerError";
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

interface PagesEnv {
  API?: { fetch: (request: Request) => Promise<Response> };
  API_URL?: string;
}

function cloudflareEnv(): PagesEnv {
  const event = getRequestEvent();
  // nitro's cloudflare presets put the Pages env on the request it hands to the app.
  const req = event?.nativeEvent?.req as { runtime?: { cloudflare?: { env?: PagesEnv } } } | undefined;
  return req?.runtime?.cloudflare?.env ?? {};
}

function workerBase(): { url: string; binding?: PagesEnv["API"] } {
  const env = cloudflareEnv();
  const url = env.API_URL || (typeof process !== "undefined" ? process.env.API_URL : undefined);
  if (url) return { url: url.replace(/\/$/, "") };
  if (env.API) return { url: "https://api.internal", binding: env.API };
  throw new WorkerError(503, "misconfigured", "The dashboard has no route to the API (set API_URL or the API binding)");
}

/** Where SDKs send telemetry: INGEST_URL when set (production), else the Worker URL used here. */
export function ingestBaseUrl(): string {
  const env = cloudflareEnv() as PagesEnv & { INGEST_URL?: string };
  const fromProcess = typeof process !== "undefined" ? process.env : {};
  return (
    env.INGEST_URL ||
    fromProcess.INGEST_URL ||
    env.API_URL ||
    fromProcess.API_URL ||
    "https://ingest.example.com"
  ).replace(/\/$/, "");
}

export interface CallOptions {
  body?: unknown;
  /**
   * Copy the Worker's Set-Cookie headers onto the dashboard's response: login and logout, and the
   * sliding renewal the Worker may do on any authenticated call. On by default.
   */
  relayCookies?: boolean;
}

export async function callWorker(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const event = getRequestEvent();
  const incoming = event?.request;
  const headers = new Headers({ accept: "application/json" });
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
  let body: string | undefined;
  // The Worker accepts cookie-authenticated mutations only as JSON (CSRF), even bodiless DELETEs.
  if (method !== "GET" && method !== "HEAD") headers.set("content-type", "application/json");
  if (options.body !== undefined) body = JSON.stringify(options.body);

  const base = workerBase();
  const request = new Request(`${base.url}${path}`, { method, headers, body, redirect: "manual" });
  let response: Response;
  try {
    response = base.binding ? await base.binding.fetch(request) : await fetch(request);
  } catch (error) {
    throw new WorkerError(503, "backend_unavailable", `The API could not be reached: ${(error as Error).message}`);
  }

  if (options.relayCookies !== false && event) {
    for (const value of response.headers.getSetCookie()) event.response.headers.append("set-cookie", value);
  }
  return response;
}

async function readError(response: Response): Promise<WorkerError> {
  const text = await response.text().catch(() => "");
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string; requestId?: string } };
    if (parsed.error?.message) {
      return new WorkerError(
        response.status,
        parsed.error.code ?? "error",
        parsed.error.message,
        parsed.error.requestId,
      );
    }
  } catch {
    // Not the envelope (a proxy's HTML page, say): fall through to a generic message.
  }
  return new WorkerError(
    response.status,
    "error",
    `The API answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`,
  );
}

/** Calls the Worker and returns its JSON, or throws a WorkerError carrying the envelope. */
export async function workerJson<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const response = await callWorker(method, path, options);
  if (!response.ok) throw await readError(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * For reads: a missing or expired session sends the person to sign in instead of an error page.
 * Everything else is rethrown as a plain Error so its message crosses to the browser intact.
 */
export async function readWorker<T>(path: string): Promise<T> {
  try {
    return await workerJson<T>("GET", path);
  } catch (error) {
    if (error instanceof WorkerError && error.status === 401) throw redirect("/login");
    throw asPlainError(error);
  }
}

/** Mutations report failures as values, so forms can show the API's message next to the field. */
export type Outcome<T> = { ok: true; data: T } | { ok: false; status: number; code: string; message: string };

export async function mutateWorker<T>(method: string, path: string, options: CallOptions = {}): Promise<Outcome<T>> {
  try {
    return { ok: true, data: await workerJson<T>(method, path, options) };
  } catch (error) {
    if (error instanceof WorkerError)
      return { ok: false, status: error.status, code: error.code, message: error.message };
    return { ok: false, status: 500, code: "internal_error", message: (error as Error).message };
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
