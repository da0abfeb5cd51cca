import { normalize } from "./normalize.ts";
import type { Breadcrumb, Category, ClientOptions, WireItem } from "./types.ts";
import { uuid } from "./uuid.ts";

export type SessionStatus = "ok" | "errored" | "crashed" | "abnormal";

/** The session in progress, in the fields `POST /ingest/session` takes. */
export interface SessionState {
  session_id: string;
  started_at: string;
  ended_at?: string;
  status: SessionStatus;
}

const isoNow = () => new Date().toISOString();

/**
 * Who and where an item comes from: user, anonymous id, tags, named contexts, the last
 * breadcrumbs and the session in progress. It only builds items in the ingest contract's wire
 * format; whether they are kept and how they travel is the client's business.
 */
export class Scope {
  userId?: string;
  readonly anonymousId: string;
  session?: SessionState;
  readonly tags: Record<string, string> = {};
  readonly contexts: Record<string, unknown> = {};
  readonly breadcrumbs: Breadcrumb[] = [];
  private readonly options: ClientOptions;
  /**
   * When the app went to the background, while it is there (see `suspendSession`). `declare`d, so
   * no field code is emitted (the browser bundle's size budget): it starts undefined.
   */
  declare private suspendedAt?: string;

  constructor(options: ClientOptions) {
    this.options = options;
    this.anonymousId = options.anonymousId || uuid();
  }

  /** Keeps the newest `maxBreadcrumbs` (default 30, at most 100). */
  addBreadcrumb(crumb: Breadcrumb): void {
    const kept = this.breadcrumbs;
    kept.push(normalize({ timestamp: isoNow(), ...crumb }) as Breadcrumb);
    const max = Math.min(this.options.maxBreadcrumbs ?? 30, 100);
    if (kept.length > max) kept.splice(0, kept.length - max);
  }

  /** An event or error item with the fields every item carries. */
  item(type: Category, fields: Record<string, unknown>): WireItem {
    const options = this.options;
    return {
      type,
      event_id: uuid(),
      timestamp: isoNow(),
      app: options.app,
      platform: options.platform,
      environment: options.environment,
      release: options.release,
      user_id: this.userId,
      anonymous_id: this.anonymousId,
      session_id: this.session?.session_id,
      url: options.url?.(),
      sdk: options.sdk,
      ...fields,
    };
  }

  /** Opens a new session and answers its `start` item. */
  startSession(): WireItem {
    this.session = { session_id: uuid(), started_at: isoNow(), status: "ok" };
    this.suspendedAt = undefined;
    this.persist();
    return this.sessionItem("start");
  }

  /** Closes the session in progress and answers its `end` item (none without a session). */
  endSession(status?: SessionStatus): WireItem | undefined {
    const session = this.session;
    if (!session) return undefined;
    if (status) session.status = status;
    session.ended_at = isoNow();
    const item = this.sessionItem("end");
    this.session = undefined;
    this.save();
    return item;
  }

  /**
   * An error worsens the session's status (never back from `crashed`); answers the `update` item
   * when the status changed.
   */
  markSession(status: "errored" | "crashed"): WireItem | undefined {
    const session = this.session;
    if (!session || session.status === status || session.status === "crashed") return undefined;
    session.status = status;
    this.persist();
    return this.sessionItem("update");
  }

  /**
   * For platform packages: the app went to the background (page hidden, app state `background`);
   * `false` when it is in use again. Should it never come back (a discarded tab, an app the OS
   * ended), the next start closes the session normally as of now instead of as `abnormal`. Sends
   * nothing, never throws.
   * @example AppState.addEventListener("change", (s) => client.scope.suspendSession(s === "background"));
   */
  suspendSession(suspended: boolean): void {
    this.suspendedAt = suspended ? isoNow() : undefined;
    this.persist();
  }

  /**
   * The session a previous run left in the store, closed: `abnormal` when the app vanished while in
   * use (never from `crashed`), or its own status at the time it went to the background. It keeps
   * that run's release and environment. Answers nothing when the previous run ended its session.
   */
  recoverSession(): WireItem | undefined {
    let last: WireItem | undefined;
    try {
      last = this.options.sessionStore?.load();
    } catch {}
    if (!last?.session_id) return undefined;
    this.save();
    // A suspended session carries its end already; otherwise it ended at its last write (`timestamp`).
    const suspended = last.ended_at;
    return {
      ...last,
      event_id: uuid(),
      action: "end",
      status: suspended || last.status === "crashed" ? last.status : "abnormal",
      ended_at: suspended || last.timestamp,
    };
  }

  /**
   * Writes the session in progress, with the time of this write, for `recoverSession` of a later run.
   * The client also calls it after each send, so an abnormal end is dated within a flush interval of
   * the last activity.
   */
  persist(): void {
    if (this.session) this.save({ ...this.sessionItem("update"), ended_at: this.suspendedAt, timestamp: isoNow() });
  }

  private save(item?: WireItem): void {
    try {
      this.options.sessionStore?.save(item);
    } catch {
      // A full or forbidden store only costs the abnormal verdict of a later run.
    }
  }

  private sessionItem(action: "start" | "update" | "end"): WireItem {
    const options = this.options;
    return {
      type: "session",
      event_id: uuid(),
      ...this.session,
      app: options.app,
      action,
      release: options.release,
      environment: options.environment,
      user_id: this.userId,
      anonymous_id: this.anonymousId,
      ...options.device,
    } as WireItem;
  }
}
