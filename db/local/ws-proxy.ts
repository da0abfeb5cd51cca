import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { connect, type Socket } from "node:net";
import type { WebSocket, WebSocketServer as WebSocketServerType } from "ws";

// Loaded through require so bundler-style resolvers (vitest's global setup) cannot pick ws's
// browser stub instead of the Node implementation.
const { WebSocketServer } = createRequire(import.meta.url)("ws") as { WebSocketServer: typeof WebSocketServerType };

/**
 * The WebSocket→TCP bridge that lets the Neon driver (which speaks Postgres over WebSocket, as Neon
 * does) reach a plain local Postgres. Loopback only, in both directions.
 *
 * For tests it also has a small control surface on the same port: `POST /__control/down` makes the
 * database unreachable (open connections are cut, new ones refused) until `POST /__control/up`, and
 * `GET /__control/stats` counts the connections opened, i.e. how often the Worker reached Postgres.
 */
export interface WsProxy {
  port: number;
  url: string;
  close: () => Promise<void>;
}

/** Postgres frontend Terminate message: 'X' then an int32 length of 4. */
function endsWithTerminate(data: Buffer): boolean {
  return data.length >= 5 && data.subarray(-5).equals(Buffer.from([0x58, 0, 0, 0, 4]));
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export async function startWsProxy(options: { port?: number; host?: string } = {}): Promise<WsProxy> {
  const host = options.host ?? "127.0.0.1";
  const state = { down: false, connectionsOpened: 0 };
  const open = new Set<{ ws: WebSocket; tcp: Socket }>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/__control/stats") return reply(200, { ...state, open: open.size });
    if (req.method === "POST" && req.url === "/__control/down") {
      state.down = true;
      for (const link of open) {
        link.tcp.destroy();
        link.ws.terminate();
      }
      return reply(200, state);
    }
    if (req.method === "POST" && req.url === "/__control/up") {
      state.down = false;
      return reply(200, state);
    }
    if (req.method === "POST" && req.url === "/__control/reset-stats") {
      state.connectionsOpened = 0;
      return reply(200, state);
    }
    reply(404, { error: "not found" });
  });

  const wss = new WebSocketServer({ server });
  wss.on("connection", (ws, req) => {
    const address = new URL(req.url ?? "/", "http://proxy").searchParams.get("address") ?? "";
    const separator = address.lastIndexOf(":");
    const targetHost = address.slice(0, separator);
    const targetPort = Number(address.slice(separator + 1));
    if (state.down || !LOOPBACK.has(targetHost) || !Number.isInteger(targetPort)) {
      ws.close(1008, state.down ? "database down (test control)" : "only loopback targets are allowed");
      return;
    }
    state.connectionsOpened++;
    const tcp = connect({ host: targetHost.replace(/^\[|\]$/g, ""), port: targetPort });
    const link = { ws, tcp };
    open.add(link);
    const pending: Buffer[] = [];
    tcp.on("connect", () => {
      for (const chunk of pending) tcp.write(chunk);
      pending.length = 0;
    });
    tcp.on("data", (data) => ws.readyState === ws.OPEN && ws.send(data));
    tcp.on("close", () => ws.close());
    tcp.on("error", () => ws.terminate());
    ws.on("message", (data: Buffer) => {
      if (tcp.connecting) pending.push(data);
      else tcp.write(data);
      // After the client's Terminate message nothing more comes: close both ends now rather than
      // wait for the server, so a pool.end() never leaves a connection behind.
      if (endsWithTerminate(data)) {
        tcp.end();
        ws.close();
      }
    });
    ws.on("close", () => {
      open.delete(link);
      tcp.destroy();
    });
    ws.on("error", () => tcp.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `${host}:${port}`,
    close: async () => {
      for (const link of open) {
        link.tcp.destroy();
        link.ws.terminate();
      }
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
