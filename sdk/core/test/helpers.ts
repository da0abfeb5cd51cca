import { Client, type ClientOptions, type TransportResponse, type WireItem } from "../src/index.ts";

export interface Call {
  at: number;
  url: string;
  items: WireItem[];
  keepalive?: boolean;
}

/**
 * A transport that records every batch (with the fake clock's time) and answers from a script;
 * `answer` may also be a function of the batch, or throw to simulate a network error.
 */
export function fakeTransport(
  answer: (items: WireItem[], n: number) => TransportResponse | Error = () => ({ status: 202 }),
) {
  const calls: Call[] = [];
  const transport = async (req: { url: string; body: string; keepalive?: boolean }) => {
    const items = JSON.parse(req.body).events as WireItem[];
    calls.push({ at: Date.now(), url: req.url, items, keepalive: req.keepalive });
    const a = answer(items, calls.length);
    if (a instanceof Error) throw a;
    return a;
  };
  return { calls, transport, sent: () => calls.flatMap((c) => c.items) };
}

export function makeClient(options: Partial<ClientOptions> = {}, t = fakeTransport()) {
  const client = new Client({
    ingestUrl: "https://ingest.test/",
    apiKey: "tt_live_abc_def",
    app: "shop",
    release: "1.2.3",
    environment: "test",
    platform: "node",
    transport: t.transport,
    ...options,
  });
  return { client, ...t };
}

export const names = (items: WireItem[]) => items.map((i) => i.name ?? i.message ?? i.action);
