import { readFileSync, rmSync, writeFileSync } from "node:fs";
import {
  Client,
  captureException,
  fetchTransport,
  getClient,
  type Options,
  type SessionStore,
  setClient,
} from "@telemetry-tracker/core";

export * from "@telemetry-tracker/core/public";
export { errorHandler, requestHandler } from "./middleware.ts";

export interface NodeOptions extends Options {
  /** Capture `uncaughtException`, flush (bounded), then exit like Node would. Default true. */
  captureUncaught?: boolean;
  /** Capture `unhandledRejection`, flush (bounded), then exit like Node's default `throw` mode. Default true. */
  captureUnhandledRejections?: boolean;
  /** Signals that trigger a bounded flush before the process ends; `[]` to leave signals alone. Default SIGTERM, SIGINT. */
  flushOnSignals?: NodeJS.Signals[];
  /** Upper bound in ms for the flush before exit. Default 2000. */
  shutdownTimeout?: number;
}

export const SDK = { name: "@telemetry-tracker/node", version: "0.1.0" };

/**
 * Keeps the session in progress in a file, so a process that is killed (SIGKILL, out of memory, a
 * power cut) has its session closed as `abnormal` by the next process that starts with the same file.
 * Give each process its own path (one per worker of a cluster).
 *
 * @example
 * init({ ingestUrl, apiKey, app: "worker", sessionStore: fileSessionStore("/var/lib/app/tt-session.json") });
 * startSession();
 */
export function fileSessionStore(path: string): SessionStore {
  return {
    load: () => {
      try {
        return JSON.parse(readFileSync(path, "utf8"));
      } catch {
        return undefined; // no file yet, or a torn write: nothing to recover
      }
    },
    save: (item) => (item ? writeFileSync(path, JSON.stringify(item)) : rmSync(path, { force: true })),
  };
}

// Options of the latest init: the process hooks are installed once and read these.
let opts: NodeOptions | undefined;
let installed = false;
let dying = false;
let exitFlushed = false;

const bound = () => opts?.shutdownTimeout ?? 2000;

/**
 * Exits the way Node would have without our listener, unless someone else also listens (then
 * exiting is their call). Node prints the error and exits with 1 for both kinds of fatal error.
 */
function fatal(kind: "uncaughtException" | "unhandledRejection") {
  return async (error: unknown) => {
    const enabled = kind === "uncaughtException" ? opts?.captureUncaught : opts?.captureUnhandledRejections;
    if (enabled === false) return;
    captureException(error, { handled: false, level: "fatal", mechanism: kind });
    if (dying) return;
    dying = true;
    getClient()?.endSession("crashed");
    await getClient()?.flush(bound());
    if (process.listenerCount(kind) > 1 || (kind === "unhandledRejection" && !rejectionsThrow())) {
      dying = false;
      return;
    }
    console.error(error);
    process.exit(1);
  };
}

/** Whether Node, left alone, would crash on an unhandled rejection (`--unhandled-rejections`). */
function rejectionsThrow(): boolean {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ");
  const mode = /--unhandled-rejections[= ]([\w-]+)/.exec(flags)?.[1] ?? "throw";
  if (mode === "warn-with-error-code") process.exitCode = 1;
  return mode === "throw" || mode === "strict";
}

function onSignal(signal: NodeJS.Signals): void {
  const handler = async () => {
    await getClient()?.shutdown(bound());
    if (process.listenerCount(signal) === 1) {
      // We were the only listener: let the signal do what it would have done without us.
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    }
  };
  process.on(signal, handler);
}

/**
 * Starts Telemetry Tracker in a Node process: crashes and unhandled rejections are captured and
 * flushed (bounded by `shutdownTimeout`) before the process exits; queued items are flushed on
 * SIGTERM/SIGINT and when the event loop empties. Timers never keep the process alive. A session
 * (`startSession()`) ends `crashed` on a fatal error, normally on a signal or when the event loop
 * empties, and — with a `sessionStore` — `abnormal` at the next start when the process was killed.
 *
 * @example
 * import { init, trackEvent } from "@telemetry-tracker/node";
 * init({ ingestUrl: process.env.TT_INGEST_URL!, apiKey: process.env.TT_API_KEY!, app: "api" });
 * trackEvent("server_started");
 */
export function init(options: NodeOptions): Client | undefined {
  try {
    void getClient()?.shutdown();
    opts = options;
    const client = new Client({
      platform: "node",
      ...options,
      transport: options.transport ?? fetchTransport,
      sdk: SDK,
    });
    setClient(client);
    exitFlushed = false;
    if (!installed) {
      installed = true;
      process.on("uncaughtException", fatal("uncaughtException"));
      process.on("unhandledRejection", fatal("unhandledRejection"));
      for (const s of options.flushOnSignals ?? (["SIGTERM", "SIGINT"] as NodeJS.Signals[])) onSignal(s);
      // Once per init: a failing server must not turn beforeExit into an endless retry loop.
      process.on("beforeExit", () => {
        // The work is done: a session still open ends here, normally (errored if an error was caught).
        getClient()?.endSession();
        if (exitFlushed || !getClient()?.pending) return;
        exitFlushed = true;
        void getClient()?.flush(bound());
      });
    }
    return client;
  } catch {
    return undefined;
  }
}
