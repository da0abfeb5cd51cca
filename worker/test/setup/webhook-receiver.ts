import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

/**
 * A stand-in for customers' webhook receivers and for the production mail API (MAIL_API_URL): the
 * alert tests cannot reach Slack or a real inbox, so this loopback server speaks plain HTTP the way
 * those do and records what it got. Each test uses its own name (`/hook/<name>`, `/mail/<name>`).
 *
 * Control: `GET /__control/requests?name=<name>` (recorded requests, oldest first);
 * `POST /__control/script` `{ name, responses: [500, "timeout", 200, …] }` — the next requests to
 * that name get these answers in order (then 200). "timeout" holds the request open (until the
 * client gives up); "redirect" answers 302 to `/hook/<name>-redirected`.
 */
export interface ReceivedRequest {
  name: string;
  kind: "hook" | "mail";
  method: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

type Scripted = number | "timeout" | "redirect";

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export async function startWebhookReceiver(options: { port: number }): Promise<{ close: () => Promise<void> }> {
  const received: ReceivedRequest[] = [];
  const scripts = new Map<string, Scripted[]>();
  const held = new Set<ServerResponse>();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://receiver");
    const body = await readBody(req);
    if (url.pathname === "/__control/requests") {
      const name = url.searchParams.get("name");
      return send(res, 200, { requests: received.filter((r) => r.name === name) });
    }
    if (url.pathname === "/__control/script" && req.method === "POST") {
      const { name, responses } = JSON.parse(body) as { name: string; responses: Scripted[] };
      scripts.set(name, [...responses]);
      return send(res, 200, { ok: true });
    }
    const match = /^\/(hook|mail)\/([^/]+)$/.exec(url.pathname);
    if (!match) return send(res, 404, { error: "not found" });
    const [, kind, name] = match;
    const headers = Object.fromEntries(
      Object.entries(req.headers).flatMap(([key, value]) => (typeof value === "string" ? [[key, value]] : [])),
    );
    received.push({ name, kind: kind as "hook" | "mail", method: req.method ?? "GET", headers, body, at: Date.now() });
    const next = scripts.get(name)?.shift() ?? (kind === "mail" ? 202 : 200);
    if (next === "timeout") {
      held.add(res);
      res.on("close", () => held.delete(res));
      return;
    }
    if (next === "redirect") return send(res, 302, {}, { location: `/hook/${name}-redirected` });
    return send(res, next, { received: true });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
