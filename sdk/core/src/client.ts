import { normalize } from "./normalize.ts";
import { parseStack } from "./stack.ts";
import { parseRetryAfter } from "./transport.ts";
import type {
  Breadcrumb,
  CaptureContext,
  Category,
  ClientOptions,
  Level,
  Stats,
  TransportResponse,
  WireItem,
} from "./types.ts";
import { uuid } from "./uuid.ts";

/** Backoff after transient failures: 1 s doubling to 60 s, each wait jittered to 50–100%. */
export const BACKOFF_BASE = 1000;
export const BACKOFF_MAX = 60_000;
/** How long a 429 without `Retry-After` holds its categories. */
export const DEFAULT_HOLD = 60_000;

interface Entry {
  item: WireItem;
  tries: number;
}

interface Session {
  session_id: string;
  started_at: string;
  ended_at?: string;
  status: "ok" | "errored" | "crashed" | "abnormal";
}

type Timer = ReturnType<typeof setTimeout>;

const now = () => Date.now();
const iso = () => new Date().toISOString();

/** A timer that never keeps a Node process alive just to send telemetry. */
function later(fn: () => void, ms: number): Timer {
  const t = setTimeout(fn, ms);
  (t as { unref?: () => void }).unref?.();
  return t;
}

function get(o: unknown, k: string): unknown {
  try {
    return (o as Record<string, unknown>)[k];
  } catch {
    return undefined;
  }
}

/**
 * One telemetry client: it owns the queue, batching, retries, sampling and the scope (user, tags,
 * context, breadcrumbs, session). Platform packages build it with their transport and storage.
 * Every public method swallows its own failures: telemetry must never break the host app.
 *
 * @example
 * const client = new Client({ ingestUrl, apiKey, app: "web", transport: fetchTransport });
 * client.trackEvent("signup", { plan: "pro" });
 * await client.flush();
 */
export class Client {
  readonly stats: Stats = { sent: 0, dropped: {} };
  userId?: string;
  anonymousId: string;
  session?: Session;
  private o: ClientOptions;
  private queue: Entry[] = [];
  private crumbs: Breadcrumb[] = [];
  private tags: Record<string, string> = {};
  private ctx: Record<string, unknown> = {};
  private holds: Partial<Record<Category, number>> = {};
  private failures = 0;
  private retryAt = 0;
  private timer?: Timer;
  private chain: Promise<unknown> = Promise.resolve();
  private stored = false;
  private closed = false;

  constructor(options: ClientOptions) {
    this.o = options;
    this.anonymousId = options.anonymousId || uuid();
    try {
      for (const item of options.storage?.load() ?? []) this.queue.push({ item, tries: 0 });
      this.stored = this.queue.length > 0;
      this.schedule();
    } catch (e) {
      this.log(e);
    }
  }

  /**
   * Queues a product event.
   * @example client.trackEvent("checkout", { items: 3 });
   */
  trackEvent(name: string, properties?: Record<string, unknown>): string | undefined {
    return this.safe(() => this.add(this.base("event", { name: String(name), properties: normalize(properties) })));
  }

  /**
   * Queues an error with the current breadcrumbs, tags and context. Anything may be thrown in JS, so
   * anything is accepted. Returns the item's `event_id`.
   * @example
   * try { risky() } catch (e) { client.captureException(e, { tags: { area: "cart" }, orderId }) }
   */
  captureException(error: unknown, context?: CaptureContext): string | undefined {
    return this.safe(() => {
      const {
        tags,
        level = "error",
        handled = true,
        fingerprint,
        ...rest
      } = (context && typeof context === "object" ? context : {}) as CaptureContext;
      const isObj = error !== null && typeof error === "object";
      const type = String((isObj && (get(error, "name") || get(get(error, "constructor"), "name"))) || "Error");
      const msg = isObj ? get(error, "message") : error;
      const stack = isObj ? get(error, "stack") : undefined;
      const message = (typeof msg === "string" ? msg : msg == null ? "" : JSON.stringify(normalize(msg))) || type;
      const id = this.add(
        this.base("error", {
          message,
          // In a batch `type` is the item tag ("error"), so the exception's type needs its own field.
          error_type: type,
          stack: typeof stack === "string" ? stack : undefined,
          frames: parseStack(stack),
          level,
          handled,
          fingerprint: Array.isArray(fingerprint) ? fingerprint.map(String) : undefined,
          tags: normalize({ ...this.tags, ...tags }),
          context: normalize({ ...this.ctx, ...rest }),
          breadcrumbs: this.crumbs.slice(),
        }),
      );
      this.markSession(handled === false && level === "fatal" ? "crashed" : "errored");
      return id;
    });
  }

  /**
   * Queues a message as an error item without a stack.
   * @example client.captureMessage("payment provider slow", "warning");
   */
  captureMessage(message: string, level: Level = "info"): string | undefined {
    return this.safe(() => this.captureException({ name: "Message", message: String(message) }, { level }));
  }

  /**
   * Names the user for every later item and sends an `$identify` event with the traits.
   * @example client.identify("user_42", { plan: "pro" });
   */
  identify(userId: string, traits?: Record<string, unknown>): void {
    this.safe(() => {
      this.userId = userId == null ? undefined : String(userId);
      this.trackEvent("$identify", traits);
    });
  }

  /**
   * Records a screen view (`$screen`) and a navigation breadcrumb.
   * @example client.screen("Settings");
   */
  screen(name: string, properties?: Record<string, unknown>): void {
    this.safe(() => {
      this.addBreadcrumb({ category: "navigation", message: String(name) });
      this.trackEvent("$screen", { ...properties, name: String(name) });
    });
  }

  /** @example client.setTags({ region: "eu" }); */
  setTags(tags: Record<string, string>): void {
    this.safe(() => Object.assign(this.tags, normalize(tags)));
  }

  /** @example client.setContext("cart", { items: 3 }); — `null` removes it. */
  setContext(name: string, context: Record<string, unknown> | null): void {
    this.safe(() => {
      if (context == null) delete this.ctx[name];
      else this.ctx[name] = normalize(context);
    });
  }

  /** @example client.addBreadcrumb({ category: "ui", message: "clicked pay" }); */
  addBreadcrumb(crumb: Breadcrumb): void {
    this.safe(() => {
      this.crumbs.push(normalize({ timestamp: iso(), ...crumb }) as Breadcrumb);
      const max = Math.min(this.o.maxBreadcrumbs ?? 30, 100);
      if (this.crumbs.length > max) this.crumbs.splice(0, this.crumbs.length - max);
    });
  }

  /**
   * Starts a session (ending the current one first) and returns its id.
   * @example client.startSession();
   */
  startSession(): string | undefined {
    return this.safe(() => {
      this.endSession();
      const id = uuid();
      this.session = { session_id: id, started_at: iso(), status: "ok" };
      this.add(this.sessionItem("start"));
      return id;
    });
  }

  /** @example client.endSession(); */
  endSession(status?: Session["status"]): void {
    this.safe(() => {
      const s = this.session;
      if (!s) return;
      if (status) s.status = status;
      s.ended_at = iso();
      this.add(this.sessionItem("end"));
      this.session = undefined;
    });
  }

  /**
   * Sends everything that may be sent now, ignoring the retry backoff (but not a server's
   * `Retry-After`). Resolves `true` when nothing is left waiting, `false` otherwise or on timeout.
   * `keepalive` is for a page or process that is going away: it does not wait behind a send in flight.
   * @example await client.flush(2000);
   */
  flush(timeout?: number, keepalive?: boolean): Promise<boolean> {
    try {
      clearTimeout(this.timer);
      this.timer = undefined;
      if (!keepalive) this.chain = this.chain.then(() => this.drain(false));
      const run = keepalive ? this.drain(true) : this.chain;
      const done = run.then(
        () => this.queue.length === 0,
        () => false,
      );
      if (timeout == null) return done;
      let t: Timer | undefined;
      return Promise.race([done, new Promise<boolean>((r) => (t = later(() => r(false), timeout)))]).finally(() =>
        clearTimeout(t),
      );
    } catch {
      return Promise.resolve(false);
    }
  }

  /**
   * Flushes (bounded by `timeout`, default 2 s) and stops: later calls are ignored.
   * @example await client.shutdown();
   */
  async shutdown(timeout = 2000): Promise<boolean> {
    const ok = await this.flush(timeout);
    this.closed = true;
    clearTimeout(this.timer);
    return ok;
  }

  /** Items waiting to be sent (for tests and the offline indicator of an app). */
  get pending(): number {
    return this.queue.length;
  }

  private safe<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      this.log(e);
      return undefined;
    }
  }

  private log(...args: unknown[]): void {
    if (this.o.debug) console.warn("[telemetry]", ...args);
  }

  private drop(reason: string, n = 1): undefined {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + n;
    this.log("dropped", n, reason);
    return undefined;
  }

  private base(type: Category, fields: Record<string, unknown>): WireItem {
    const o = this.o;
    return {
      type,
      event_id: uuid(),
      timestamp: iso(),
      app: o.app,
      platform: o.platform,
      environment: o.environment,
      release: o.release,
      user_id: this.userId,
      anonymous_id: this.anonymousId,
      session_id: this.session?.session_id,
      url: o.url?.(),
      sdk: o.sdk,
      ...fields,
    };
  }

  private sessionItem(action: "start" | "update" | "end"): WireItem {
    const o = this.o;
    return {
      type: "session",
      event_id: uuid(),
      ...this.session,
      app: o.app,
      action,
      release: o.release,
      environment: o.environment,
      user_id: this.userId,
      anonymous_id: this.anonymousId,
      ...o.device,
    } as WireItem;
  }

  private markSession(status: "errored" | "crashed"): void {
    const s = this.session;
    if (!s || s.status === status || s.status === "crashed") return;
    s.status = status;
    this.add(this.sessionItem("update"));
  }

  private rate(type: Category): number {
    const r = this.o.sampleRate;
    if (type === "session" || r == null) return 1;
    return typeof r === "number" ? r : ((type === "error" ? r.errors : r.events) ?? 1);
  }

  private add(item: WireItem): string | undefined {
    if (this.closed) return undefined;
    if (Math.random() >= this.rate(item.type)) return this.drop("sample_rate");
    let out: WireItem | null | undefined | false = item;
    if (this.o.beforeSend && item.type !== "session") {
      try {
        out = this.o.beforeSend(item);
      } catch (e) {
        // Unfiltered data may be exactly what beforeSend was written to keep out: drop, don't send.
        this.log(e);
        return this.drop("before_send_error");
      }
      if (!out) return this.drop("before_send");
    }
    const q = this.queue;
    q.push({ item: out, tries: 0 });
    const max = Math.max(1, this.o.maxQueueSize ?? 500);
    if (q.length > max) this.drop("queue_overflow", q.splice(0, q.length - max).length);
    if (q.length >= this.size() && now() >= this.retryAt) void this.flush();
    else this.schedule();
    return out.event_id;
  }

  private size(): number {
    return Math.min(Math.max(1, this.o.batchSize ?? 10), 100);
  }

  private schedule(): void {
    if (this.timer || this.closed || !this.queue.length) return;
    const t = now();
    let hold = Number.POSITIVE_INFINITY;
    for (const e of this.queue) hold = Math.min(hold, this.holds[e.item.type] ?? 0);
    const wait = this.retryAt > t ? this.retryAt - t : hold > t ? hold - t : (this.o.flushInterval ?? 5000);
    this.timer = later(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  private async drain(keepalive: boolean): Promise<void> {
    try {
      for (;;) {
        const t = now();
        const size = this.size();
        const batch: Entry[] = [];
        this.queue = this.queue.filter((e) => {
          const take = batch.length < size && !((this.holds[e.item.type] ?? 0) > t);
          if (take) batch.push(e);
          return !take;
        });
        if (!batch.length || !(await this.send(batch, keepalive))) break;
      }
    } catch (e) {
      this.log(e);
    }
    this.persist();
    this.schedule();
  }

  /** Writes what is still waiting, so the platform's storage always mirrors undelivered items. */
  private persist(): void {
    const s = this.o.storage;
    if (!s || (!this.stored && !this.queue.length)) return;
    try {
      s.save(this.queue.map((e) => e.item));
      this.stored = this.queue.length > 0;
    } catch (e) {
      this.log(e);
    }
  }

  private requeue(batch: Entry[]): void {
    this.queue.unshift(...batch);
  }

  /** Sends one batch and applies the answer; `false` means stop draining for now. */
  private async send(batch: Entry[], keepalive: boolean): Promise<boolean> {
    let body: string;
    try {
      body = JSON.stringify({ events: batch.map((e) => e.item) });
    } catch {
      // beforeSend may have put something unserialisable back in.
      body = JSON.stringify({ events: batch.map((e) => normalize(e.item, 12)) });
    }
    let res: TransportResponse;
    try {
      res = await this.o.transport({
        url: `${this.o.ingestUrl.replace(/\/+$/, "")}/ingest/batch`,
        body,
        apiKey: this.o.apiKey,
        keepalive,
      });
    } catch (e) {
      this.log(e);
      res = { status: 0 };
    }
    const s = res.status;
    if (s >= 200 && s < 300) {
      this.failures = 0;
      this.retryAt = 0;
      this.stats.sent += batch.length;
      return true;
    }
    if (s === 413) {
      if (batch.length === 1) {
        this.drop("too_large");
        return true;
      }
      const half = batch.length >> 1;
      const rest = batch.slice(half);
      if (await this.send(batch.slice(0, half), keepalive)) return this.send(rest, keepalive);
      this.requeue(rest);
      return false;
    }
    const wait = parseRetryAfter(res.retryAfter);
    if (s === 429) {
      const until = now() + (wait ?? DEFAULT_HOLD);
      // Ending or updating a session is free and allowed over quota: don't hold sessions behind events.
      const spareSessions = res.code === "quota_exceeded" && batch.some((e) => e.item.type !== "session");
      for (const e of batch) if (!(spareSessions && e.item.type === "session")) this.holds[e.item.type] = until;
      this.requeue(batch);
      return true;
    }
    if (s === 0 || s === 408 || s >= 500) {
      const backoff = Math.min(BACKOFF_MAX, BACKOFF_BASE * 2 ** this.failures++);
      this.retryAt = now() + Math.max(wait ?? 0, backoff * (0.5 + Math.random() / 2));
      const max = this.o.maxRetries ?? 10;
      const keep = batch.filter((e) => res.offline || ++e.tries <= max);
      if (keep.length < batch.length) this.drop("retries_exhausted", batch.length - keep.length);
      this.requeue(keep);
      return false;
    }
    // Any other 4xx: the same batch would get the same answer again.
    this.drop(`http_${s}`, batch.length);
    return true;
  }
}
