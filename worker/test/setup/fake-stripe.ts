import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

/**
 * A stand-in for api.stripe.com on loopback, speaking the same protocol as far as billing uses it:
 * form-encoded POST /v1/customers, /v1/checkout/sessions, /v1/billing_portal/sessions and
 * GET /v1/subscriptions/:id, Bearer auth, Idempotency-Key replay, Stripe's error envelope. Every API
 * request is recorded. The Worker under test reaches it through STRIPE_API_BASE.
 *
 * Control surface for the tests (which run inside workerd and cannot share memory with it):
 * `GET /__control/requests` (recorded requests), `POST /__control/subscriptions` (JSON body: a
 * subscription object that GET /v1/subscriptions/:id then answers), `POST /__control/fail`
 * (`{ count, status }`: the next API requests fail with a Stripe error). `POST /__control/mail`
 * accepts any mail with 202, a stand-in for the production mailer's HTTP API (MAIL_API_URL).
 */
export interface FakeStripe {
  port: number;
  url: string;
  close: () => Promise<void>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | null;
  idempotencyKey: string | null;
  stripeVersion: string | null;
  /** The form body as flat `key → value` pairs, e.g. `line_items[0][price]`. */
  form: Record<string, string>;
  at: number;
}

type Json = Record<string, unknown>;

/** `a[b][0][c]=v` → `{ a: { b: [{ c: "v" }] } }`, as Stripe reads its form bodies. */
export function nestForm(flat: Record<string, string>): Json {
  const root: Json = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.replace(/\]/g, "").split("[");
    let node: Record<string, unknown> = root;
    parts.forEach((part, index) => {
      if (index === parts.length - 1) {
        node[part] = value;
        return;
      }
      const nextIsIndex = /^\d+$/.test(parts[index + 1]);
      node[part] ??= nextIsIndex ? [] : {};
      node = node[part] as Record<string, unknown>;
    });
  }
  return root;
}

const randomId = (prefix: string) => `${prefix}_${Math.random().toString(36).slice(2, 12)}${Date.now().toString(36)}`;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeStripe(options: { port?: number; host?: string } = {}): Promise<FakeStripe> {
  const host = options.host ?? "127.0.0.1";
  const requests: RecordedRequest[] = [];
  const subscriptions = new Map<string, Json>();
  const idempotent = new Map<string, { status: number; body: Json }>();
  const failures = { count: 0, status: 400 };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json", "request-id": randomId("req") });
    res.end(JSON.stringify(body));
  };
  const stripeError = (type: string, message: string, code?: string) => ({ error: { type, message, code } });

  function route(method: string, path: string, form: Record<string, string>): { status: number; body: Json } {
    const params = nestForm(form);
    const created = Math.floor(Date.now() / 1000);
    if (method === "POST" && path === "/v1/customers") {
      return {
        status: 200,
        body: { id: randomId("cus"), object: "customer", created, livemode: false, metadata: {}, ...params },
      };
    }
    if (method === "POST" && path === "/v1/checkout/sessions") {
      const id = randomId("cs_test");
      return {
        status: 200,
        body: {
          id,
          object: "checkout.session",
          created,
          livemode: false,
          status: "open",
          url: `https://checkout.stripe.test/c/pay/${id}`,
          metadata: {},
          ...params,
        },
      };
    }
    if (method === "POST" && path === "/v1/billing_portal/sessions") {
      const id = randomId("bps");
      return {
        status: 200,
        body: {
          id,
          object: "billing_portal.session",
          created,
          livemode: false,
          url: `https://billing.stripe.test/p/session/${id}`,
          ...params,
        },
      };
    }
    const subscription = /^\/v1\/subscriptions\/([^/]+)$/.exec(path);
    if (method === "GET" && subscription) {
      const found = subscriptions.get(decodeURIComponent(subscription[1]));
      if (found) return { status: 200, body: found };
      return {
        status: 404,
        body: stripeError("invalid_request_error", `No such subscription: '${subscription[1]}'`, "resource_missing"),
      };
    }
    return { status: 404, body: stripeError("invalid_request_error", `Unrecognized request URL (${method}: ${path})`) };
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-stripe");
    const raw = await readBody(req);

    if (url.pathname.startsWith("/__control/")) {
      if (req.method === "GET" && url.pathname === "/__control/requests") return send(res, 200, { requests });
      if (req.method === "POST" && url.pathname === "/__control/subscriptions") {
        const body = JSON.parse(raw) as Json;
        subscriptions.set(String(body.id), body);
        return send(res, 200, { ok: true });
      }
      if (req.method === "POST" && url.pathname === "/__control/fail") {
        Object.assign(failures, JSON.parse(raw));
        return send(res, 200, failures);
      }
      if (req.method === "POST" && url.pathname === "/__control/mail") return send(res, 202, { queued: true });
      return send(res, 404, { error: "not found" });
    }

    const form = Object.fromEntries(new URLSearchParams(req.method === "GET" ? url.search : raw));
    const header = (name: string) => {
      const value = req.headers[name];
      return typeof value === "string" ? value : null;
    };
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      authorization: header("authorization"),
      idempotencyKey: header("idempotency-key"),
      stripeVersion: header("stripe-version"),
      form,
      at: Date.now(),
    };
    requests.push(recorded);

    if (!recorded.authorization?.startsWith("Bearer sk_")) {
      return send(res, 401, stripeError("invalid_request_error", "You did not provide a valid API key."));
    }
    if (failures.count > 0) {
      failures.count--;
      return send(res, failures.status, stripeError("api_error", "Injected failure (fake Stripe control)"));
    }
    const replayKey = recorded.idempotencyKey && `${recorded.method} ${recorded.path} ${recorded.idempotencyKey}`;
    const replay = replayKey ? idempotent.get(replayKey) : undefined;
    if (replay) return send(res, replay.status, replay.body);
    const answer = route(recorded.method, recorded.path, form);
    if (replayKey && recorded.method === "POST") idempotent.set(replayKey, answer);
    send(res, answer.status, answer.body);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
