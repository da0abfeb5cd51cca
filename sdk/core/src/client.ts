import { normalize } from "./normalize.ts";
import { Queue, type QueueEntry } from "./queue.ts";
import { Scope, type SessionStatus } from "./scope.ts";
import { SendPolicy } from "./send-policy.ts";
import { parseStack } from "./stack.ts";
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

type Timer = ReturnType<typeof setTimeout>;

/** A timer that never keeps a Node process alive just to send telemetry. */
function unrefTimer(fn: () => void, ms: number): Timer {
  const timer = setTimeout(fn, ms);
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** Reads a property of anything that was thrown, even of a hostile proxy. */
function readField(value: unknown, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * One telemetry client. The pieces are apart, as in sentry-javascript's transports: the `scope`
 * says who and where (user, tags, context, breadcrumbs, session), the `queue` holds what waits (and
 * mirrors it to the platform's storage), the `policy` reads the server's answers (holds, backoff).
 * The client decides what is kept (sampling, `beforeSend`), when to send (batch size, interval) and
 * sends through the platform's transport. Every public method swallows its own failures: telemetry
 * must never break the host app.
 *
 * @example
 * const client = new Client({ ingestUrl, apiKey, app: "web", transport: fetchTransport });
 * client.trackEvent("signup", { plan: "pro" });
 * await client.flush();
 */
export class Client {
  readonly stats: Stats = { sent: 0, dropped: {} };
  readonly scope: Scope;
  private readonly options: ClientOptions;
  private queue: Queue = new Queue();
  private readonly policy = new SendPolicy();
  private timer?: Timer;
  /** Sends run one after another, so a batch is never in flight twice. */
  private sending: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: ClientOptions) {
    this.options = options;
    this.scope = new Scope(options);
    try {
      this.queue = new Queue(options.storage);
      // A session the previous run never ended is closed first, before this run's own items.
      const abandoned = this.scope.recoverSession();
      if (abandoned) this.enqueue(abandoned);
      this.schedule();
    } catch (error) {
      this.log(error);
    }
  }

  /**
   * Queues a product event.
   * @example client.trackEvent("checkout", { items: 3 });
   */
  trackEvent(name: string, properties?: Record<string, unknown>): string | undefined {
    return this.safely(() =>
      this.enqueue(this.scope.item("event", { name: String(name), properties: normalize(properties) })),
    );
  }

  /**
   * Queues an error with the current breadcrumbs, tags and context. Anything may be thrown in JS, so
   * anything is accepted. Returns the item's `event_id`.
   * @example
   * try { risky() } catch (e) { client.captureException(e, { tags: { area: "cart" }, orderId }) }
   */
  captureException(error: unknown, context?: CaptureContext): string | undefined {
    return this.safely(() => {
      const {
        tags,
        level = "error",
        handled = true,
        fingerprint,
        ...rest
      } = (context && typeof context === "object" ? context : {}) as CaptureContext;
      const scope = this.scope;
      const isObject = error !== null && typeof error === "object";
      const type = String(
        (isObject && (readField(error, "name") || readField(readField(error, "constructor"), "name"))) || "Error",
      );
      const rawMessage = isObject ? readField(error, "message") : error;
      const stack = isObject ? readField(error, "stack") : undefined;
      const message =
        (typeof rawMessage === "string"
          ? rawMessage
          : rawMessage == null
            ? ""
            : JSON.stringify(normalize(rawMessage))) || type;
      const id = this.enqueue(
        scope.item("error", {
          message,
          // In a batch `type` is the item tag ("error"), so the exception's type needs its own field.
          error_type: type,
          stack: typeof stack === "string" ? stack : undefined,
          frames: parseStack(stack),
          level,
          handled,
          fingerprint: Array.isArray(fingerprint) ? fingerprint.map(String) : undefined,
          tags: normalize({ ...scope.tags, ...tags }),
          context: normalize({ ...scope.contexts, ...rest }),
          breadcrumbs: scope.breadcrumbs.slice(),
        }),
      );
      const update = scope.markSession(handled === false && level === "fatal" ? "crashed" : "errored");
      if (update) this.enqueue(update);
      return id;
    });
  }

  /**
   * Queues a message as an error item without a stack.
   * @example client.captureMessage("payment provider slow", "warning");
   */
  captureMessage(message: string, level: Level = "info"): string | undefined {
    return this.safely(() => this.captureException({ name: "Message", message: String(message) }, { level }));
  }

  /**
   * Names the user for every later item and sends an `$identify` event with the traits.
   * @example client.identify("user_42", { plan: "pro" });
   */
  identify(userId: string, traits?: Record<string, unknown>): void {
    this.safely(() => {
      this.scope.userId = userId == null ? undefined : String(userId);
      this.trackEvent("$identify", traits);
    });
  }

  /**
   * Records a screen view (`$screen`) and a navigation breadcrumb.
   * @example client.screen("Settings");
   */
  screen(name: string, properties?: Record<string, unknown>): void {
    this.safely(() => {
      this.addBreadcrumb({ category: "navigation", message: String(name) });
      this.trackEvent("$screen", { ...properties, name: String(name) });
    });
  }

  /** @example client.setTags({ region: "eu" }); */
  setTags(tags: Record<string, string>): void {
    this.safely(() => Object.assign(this.scope.tags, normalize(tags)));
  }

  /** @example client.setContext("cart", { items: 3 }); — `null` removes it. */
  setContext(name: string, context: Record<string, unknown> | null): void {
    this.safely(() => {
      if (context == null) delete this.scope.contexts[name];
      else this.scope.contexts[name] = normalize(context);
    });
  }

  /** @example client.addBreadcrumb({ category: "ui", message: "clicked pay" }); */
  addBreadcrumb(crumb: Breadcrumb): void {
    this.safely(() => this.scope.addBreadcrumb(crumb));
  }

  /**
   * Starts a session (ending the current one first) and returns its id.
   * @example client.startSession();
   */
  startSession(): string | undefined {
    return this.safely(() => {
      this.endSession();
      const start = this.scope.startSession();
      this.enqueue(start);
      return start.session_id as string;
    });
  }

  /** @example client.endSession(); */
  endSession(status?: SessionStatus): void {
    this.safely(() => {
      const end = this.scope.endSession(status);
      if (end) this.enqueue(end);
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
      if (!keepalive) this.sending = this.sending.then(() => this.drain(false));
      const run = keepalive ? this.drain(true) : this.sending;
      const done = run.then(
        () => this.queue.length === 0,
        () => false,
      );
      if (timeout == null) return done;
      let timer: Timer | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = unrefTimer(() => resolve(false), timeout)));
      return Promise.race([done, timedOut]).finally(() => clearTimeout(timer));
    } catch {
      return Promise.resolve(false);
    }
  }

  /**
   * Ends the session in progress (an orderly stop is a normal end), flushes (bounded by `timeout`,
   * default 2 s) and stops: later calls are ignored.
   * @example await client.shutdown();
   */
  async shutdown(timeout = 2000): Promise<boolean> {
    this.endSession();
    const flushed = await this.flush(timeout);
    this.closed = true;
    clearTimeout(this.timer);
    return flushed;
  }

  /** Items waiting to be sent (for tests and the offline indicator of an app). */
  get pending(): number {
    return this.queue.length;
  }

  private safely<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      this.log(error);
      return undefined;
    }
  }

  private log(...args: unknown[]): void {
    if (this.options.debug) console.warn("[telemetry]", ...args);
  }

  private drop(reason: string, count = 1): undefined {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + count;
    this.log("dropped", count, reason);
    return undefined;
  }

  private sampleRate(category: Category): number {
    const rate = this.options.sampleRate;
    if (category === "session" || rate == null) return 1;
    return typeof rate === "number" ? rate : ((category === "error" ? rate.errors : rate.events) ?? 1);
  }

  /** Sampling and `beforeSend` decide whether an item is kept; a kept one waits in the queue. */
  private enqueue(item: WireItem): string | undefined {
    const options = this.options;
    if (this.closed) return undefined;
    if (Math.random() >= this.sampleRate(item.type)) return this.drop("sample_rate");
    let kept: WireItem | null | undefined | false = item;
    if (options.beforeSend && item.type !== "session") {
      try {
        kept = options.beforeSend(item);
      } catch (error) {
        // Unfiltered data may be exactly what beforeSend was written to keep out: drop, don't send.
        this.log(error);
        return this.drop("before_send_error");
      }
      if (!kept) return this.drop("before_send");
    }
    const overflow = this.queue.push(kept, Math.max(1, options.maxQueueSize ?? 500));
    if (overflow) this.drop("queue_overflow", overflow);
    if (this.queue.length >= this.batchSize() && Date.now() >= this.policy.retryAt) void this.flush();
    else this.schedule();
    return kept.event_id;
  }

  private batchSize(): number {
    return Math.min(Math.max(1, this.options.batchSize ?? 10), 100);
  }

  /** Arms the timer for the next send: after the backoff, a category's hold, or the flush interval. */
  private schedule(): void {
    if (this.timer || this.closed || !this.queue.length) return;
    const now = Date.now();
    const retryAt = this.policy.retryAt;
    const releaseAt = this.policy.releaseAt(this.queue.categories());
    const wait =
      retryAt > now ? retryAt - now : releaseAt > now ? releaseAt - now : (this.options.flushInterval ?? 5000);
    this.timer = unrefTimer(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  /** Sends batches until the queue is empty or the policy says to stop for now. */
  private async drain(keepalive: boolean): Promise<void> {
    try {
      for (;;) {
        const now = Date.now();
        const batch = this.queue.take(this.batchSize(), (category) => this.policy.isHeld(category, now));
        if (!batch.length || !(await this.send(batch, keepalive))) break;
      }
    } catch (error) {
      this.log(error);
    }
    this.safely(() => {
      this.queue.persist();
      this.scope.persist();
    });
    this.schedule();
  }

  /** Sends one batch and applies the verdict; `false` means stop draining for now. */
  private async send(batch: QueueEntry[], keepalive: boolean): Promise<boolean> {
    const options = this.options;
    let body: string;
    try {
      body = JSON.stringify({ events: batch.map((entry) => entry.item) });
    } catch {
      // beforeSend may have put something unserialisable back in.
      body = JSON.stringify({ events: batch.map((entry) => normalize(entry.item, 12)) });
    }
    let response: TransportResponse;
    try {
      response = await options.transport({
        url: `${options.ingestUrl.replace(/\/+$/, "")}/ingest/batch`,
        body,
        apiKey: options.apiKey,
        keepalive,
      });
    } catch (error) {
      this.log(error);
      response = { status: 0 };
    }
    const verdict = this.policy.judge(
      response,
      batch.map((entry) => entry.item.type),
    );
    if (verdict === "sent") {
      this.stats.sent += batch.length;
      return true;
    }
    if (verdict === "split") {
      if (batch.length === 1) {
        this.drop("too_large");
        return true;
      }
      const half = batch.length >> 1;
      const rest = batch.slice(half);
      if (await this.send(batch.slice(0, half), keepalive)) return this.send(rest, keepalive);
      this.queue.putBack(rest);
      return false;
    }
    if (verdict === "hold") {
      this.queue.putBack(batch);
      return true;
    }
    if (verdict === "retry") {
      const maxRetries = options.maxRetries ?? 10;
      // A platform that knows it is offline does not use up the items' retries.
      const kept = batch.filter((entry) => response.offline || ++entry.tries <= maxRetries);
      if (kept.length < batch.length) this.drop("retries_exhausted", batch.length - kept.length);
      this.queue.putBack(kept);
      return false;
    }
    this.drop(`http_${response.status}`, batch.length);
    return true;
  }
}
