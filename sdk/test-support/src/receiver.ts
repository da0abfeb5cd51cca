import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One item as posted, untouched. */
export type Item = Record<string, unknown> & { type?: string; event_id?: string };

export interface RecordedRequest {
  method: string;
  path: string;
  contentType: string;
  /** How the key came: `bearer`, `header` (X-API-Key) or `query` (?api_key=). */
  auth: "bearer" | "header" | "query" | "none";
  status: number;
  items: Item[];
}

/** A scripted answer for the next request(s), to drive the client's failure paths. */
export interface ScriptedReply {
  status: number;
  retryAfter?: string;
  code?: string;
}

export interface Receiver {
  url: string;
  apiKey: string;
  requests: RecordedRequest[];
  /** Items of every accepted (202) request, duplicates included, in arrival order. */
  accepted: Item[];
  /** Preflight (OPTIONS) requests seen; the browser SDK is built to cause none. */
  preflights: number;
  /** Queue answers for the next requests, in order; when empty the contract's normal answer is given. */
  reply(...replies: ScriptedReply[]): void;
  /** Answers 413 to any batch with more items than this (the real limit is on bytes; items are easier to test). */
  maxItems: number;
  waitFor(predicate: (accepted: Item[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_BODY = 200 * 1024;

function problems(items: unknown): string | undefined {
  if (!Array.isArray(items) || items.length < 1 || items.length > 100) return "events: 1–100 items";
  for (const [i, raw] of items.entries()) {
    const it = raw as Item;
    if (!it || typeof it !== "object") return `events.${i}: object expected`;
    const type = it.type ?? "event";
    if (!["event", "error", "session"].includes(type)) return `events.${i}.type`;
    if (it.event_id !== undefined && !UUID.test(String(it.event_id))) return `events.${i}.event_id`;
    if (type !== "session" && !(typeof it.app === "string" && it.app.trim())) return `events.${i}.app`;
    if (type === "event" && !(typeof it.name === "string" && it.name.length >= 1 && it.name.length <= 200))
      return `events.${i}.name`;
    if (type === "error" && !(typeof it.message === "string" && it.message)) return `events.${i}.message`;
    if (type === "session" && !(typeof it.session_id === "string" && it.session_id)) return `events.${i}.session_id`;
    if (
      type === "error" &&
      it.breadcrumbs !== undefined &&
      (!Array.isArray(it.breadcrumbs) || it.breadcrumbs.length > 100)
    )
      return `events.${i}.breadcrumbs`;
  }
  return undefined;
}

/**
 * A stand-in for the Worker's `POST /ingest/batch`: same auth forms, content types, limits, answers
 * and error envelope (DESIGN §3, issue 3), on 127.0.0.1 and a random port. It records what it got
 * and can be told to answer 429/413/503 so the SDKs' failure paths run against real HTTP.
 */
export async function startReceiver(options: { apiKey?: string } = {}): Promise<Receiver> {
  const apiKey = options.apiKey ?? "tt_live_0123456789abcdef_0123456789abcdef0123456789abcdef";
  const scripted: ScriptedReply[] = [];
  const waiters = new Set<() => void>();
  let requestSeq = 0;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      "content-type": "application/json",
      "access-control-allow-origin": "*",
      "access-control-expose-headers": "Retry-After, X-Quota-Limit, X-Quota-Remaining, X-Quota-Reset",
      ...headers,
    });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, code: string, message: string, headers?: Record<string, string>) =>
    send(res, status, { error: { code, message, requestId: `req_${++requestSeq}` } }, headers);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "OPTIONS") {
      receiver.preflights++;
      res.writeHead(204, {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-headers": "authorization, content-type, x-api-key, content-encoding",
        "access-control-max-age": "86400",
      });
      return res.end();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    }
    const contentType = String(req.headers["content-type"] ?? "")
      .split(";")[0]
      .trim();
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    const headerKey = req.headers["x-api-key"];
    const queryKey = url.searchParams.get("api_key");
    const key = bearer ?? (typeof headerKey === "string" ? headerKey : undefined) ?? queryKey ?? undefined;
    const auth: RecordedRequest["auth"] = bearer ? "bearer" : headerKey ? "header" : queryKey ? "query" : "none";
    const record: RecordedRequest = {
      method: req.method ?? "",
      path: url.pathname,
      contentType,
      auth,
      status: 0,
      items: [],
    };
    receiver.requests.push(record);
    const answer = (status: number, code: string, message: string) => {
      record.status = status;
      fail(res, status, code, message);
    };

    if (req.method !== "POST" || url.pathname !== "/ingest/batch") return answer(404, "not_found", "no such route");
    if (size > MAX_BODY) return answer(413, "payload_too_large", "body over 200 KB");
    if (contentType !== "application/json" && contentType !== "text/plain")
      return answer(415, "unsupported_media_type", "JSON expected");
    if (!key) return answer(401, "missing_api_key", "no API key");
    if (key !== apiKey) return answer(401, "invalid_api_key", "unknown API key");
    let body: { events?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return answer(400, "invalid_json", "body is not JSON");
    }
    const items = Array.isArray(body?.events) ? (body.events as Item[]) : [];
    record.items = items;
    const next = scripted.shift();
    if (next) {
      record.status = next.status;
      if (next.status >= 200 && next.status < 300) {
        receiver.accepted.push(...items);
        for (const w of waiters) w();
        return send(res, next.status, { accepted: items.length, quota: { used: 0, limit: 0, resetsAt: null } });
      }
      return fail(res, next.status, next.code ?? `status_${next.status}`, "scripted answer", {
        ...(next.retryAfter ? { "retry-after": next.retryAfter } : {}),
      });
    }
    if (items.length > receiver.maxItems) return answer(413, "payload_too_large", "too many items");
    const problem = problems(body?.events);
    if (problem) return answer(400, "invalid_body", problem);
    record.status = 202;
    receiver.accepted.push(...items);
    for (const w of waiters) w();
    send(
      res,
      202,
      { accepted: items.length, quota: { used: receiver.accepted.length, limit: 250_000, resetsAt: null } },
      { "x-quota-limit": "250000", "x-quota-remaining": String(250_000 - receiver.accepted.length) },
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => fail(res, 400, "bad_request", "unreadable request"));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;

  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests: [],
    accepted: [],
    preflights: 0,
    maxItems: 100,
    reply: (...r) => scripted.push(...r),
    waitFor: (predicate, timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate(receiver.accepted)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `receiver: condition not met in ${timeoutMs} ms; got ${JSON.stringify(receiver.accepted.map((i) => i.name ?? i.message ?? i.action))}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return receiver;
}
