import { getClient, type SessionStore, type WireItem } from "@telemetry-tracker/core";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createNavigationTracker, init, releaseName } from "../src/index.ts";
import { AppState } from "./react-native-fake.ts";

type Handler = (error: unknown, isFatal?: boolean) => void;
let installed: Handler | undefined;
const previous = vi.fn<Handler>();
// React Native's global, with its default handler (which would show the red box / crash the app).
(globalThis as { ErrorUtils?: unknown }).ErrorUtils = {
  getGlobalHandler: () => previous,
  setGlobalHandler: (h: Handler) => {
    installed = h;
  },
};

let sent: WireItem[];
let answer: () => Promise<{ status: number }>;
const transport = async (req: { body: string }) => {
  const items = JSON.parse(req.body).events as WireItem[];
  const res = await answer();
  sent.push(...items);
  return res;
};
/** A fresh client; the previous one is shut down first (ending its session) and its items forgotten. */
async function start(extra = {}) {
  await getClient()?.shutdown(100); // bounded: a test may leave a send hanging
  sent.length = 0;
  return init({ ingestUrl: "http://unused", apiKey: "k", app: "rn", transport, flushInterval: 60_000, ...extra });
}

beforeAll(async () => {
  sent = [];
  await start();
});
beforeEach(() => {
  sent = [];
  answer = async () => ({ status: 202 });
  previous.mockReset();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("fatal errors via ErrorUtils", () => {
  it("captures, flushes, and only then calls the previous handler", async () => {
    await start();
    let deliveredBeforePrevious = false;
    previous.mockImplementation(() => {
      deliveredBeforePrevious = sent.some((i) => i.type === "error");
    });
    installed?.(new Error("fatal in render"), true);
    await vi.waitFor(() => expect(previous).toHaveBeenCalledTimes(1));
    expect(previous).toHaveBeenCalledWith(expect.objectContaining({ message: "fatal in render" }), true);
    expect(deliveredBeforePrevious).toBe(true);
    expect(sent.find((i) => i.type === "error")).toMatchObject({
      level: "fatal",
      handled: false,
      platform: "react-native-ios",
      sdk: { name: "@telemetry-tracker/react-native" },
    });
    expect(sent.find((i) => i.type === "session" && i.action === "end")).toMatchObject({
      status: "crashed",
      os: "ios 17.4",
    });
  });

  it("calls the previous handler after fatalFlushTimeout even if the network hangs", async () => {
    vi.useFakeTimers();
    await start({ fatalFlushTimeout: 500 });
    answer = () => new Promise(() => {});
    installed?.(new Error("fatal offline"), true);
    await vi.advanceTimersByTimeAsync(499);
    expect(previous).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(previous).toHaveBeenCalledTimes(1);
  });

  it("passes non-fatal errors straight on, captured at level error", async () => {
    await start();
    installed?.(new Error("soft"), false);
    expect(previous).toHaveBeenCalledTimes(1);
    await getClient()?.flush();
    expect(sent.find((i) => i.type === "error")).toMatchObject({ message: "soft", level: "error" });
  });
});

describe("app-state sessions", () => {
  it("flushes on background; a long absence starts a new session, a short one does not", async () => {
    vi.useFakeTimers();
    await start();
    const first = getClient()?.scope.session?.session_id;
    getClient()?.trackEvent("before-background");
    AppState.emit("background");
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((i) => i.name ?? i.action)).toEqual(["start", "before-background"]);
    await vi.advanceTimersByTimeAsync(5_000);
    AppState.emit("active");
    expect(getClient()?.scope.session?.session_id).toBe(first);
    AppState.emit("background");
    await vi.advanceTimersByTimeAsync(31_000);
    AppState.emit("active");
    const second = getClient()?.scope.session?.session_id;
    expect(second).not.toBe(first);
    await getClient()?.flush();
    const sessions = sent.filter((i) => i.type === "session").map((i) => [i.action, i.session_id]);
    expect(sessions).toEqual([
      ["start", first],
      ["end", first],
      ["start", second],
    ]);
  });
});

describe("session status", () => {
  /** Stands in for a synchronous app store such as MMKV: it outlives the JS runtime. */
  function appStore(): SessionStore {
    let kept: string | undefined;
    return {
      load: () => (kept ? JSON.parse(kept) : undefined),
      save: (item) => {
        kept = item ? JSON.stringify(item) : undefined;
      },
    };
  }
  /** The JS runtime dies without a word (the OS killed the app): the next init must not end it. */
  function killed() {
    const client = getClient();
    if (client) client.endSession = () => {};
  }

  it("sessions and errors carry release and environment; a handled error makes the session errored", async () => {
    await start({ release: "com.acme.app@2.3.0+41", environment: "production" });
    getClient()?.captureException(new Error("caught"));
    getClient()?.endSession();
    await getClient()?.flush();
    expect(sent.every((i) => i.release === "com.acme.app@2.3.0+41" && i.environment === "production")).toBe(true);
    expect(sent.filter((i) => i.type === "session").map((i) => [i.action, i.status])).toEqual([
      ["start", "ok"],
      ["update", "errored"],
      ["end", "errored"],
    ]);
  });

  it("an app killed in the foreground has its session closed as abnormal at the next launch", async () => {
    const store = appStore();
    await start({ sessionStore: store, release: "app@1" });
    const first = getClient()?.scope.session?.session_id;
    killed();
    await start({ sessionStore: store, release: "app@2" });
    await getClient()?.flush();
    expect(sent.find((i) => i.session_id === first)).toMatchObject({
      action: "end",
      status: "abnormal",
      release: "app@1",
    });
    expect(sent.find((i) => i.action === "start")).toMatchObject({ release: "app@2" });
  });

  it("an app the OS ended in the background has its session closed normally, as of leaving", async () => {
    vi.useFakeTimers({ now: new Date("2026-12-01T09:00:00Z") });
    const store = appStore();
    await start({ sessionStore: store });
    const first = getClient()?.scope.session?.session_id;
    AppState.emit("background");
    await vi.advanceTimersByTimeAsync(600_000);
    killed();
    await start({ sessionStore: store });
    await getClient()?.flush();
    expect(sent.find((i) => i.session_id === first)).toMatchObject({
      action: "end",
      status: "ok",
      ended_at: "2026-12-01T09:00:00.000Z",
    });
    AppState.emit("active");
  });
});

describe("React Navigation screens", () => {
  it("sends $screen on ready and on each change of the focused route, never twice in a row", async () => {
    await start({ autoSessions: false });
    const routes = ["Home", "Home", "Product", "Cart"];
    let i = 0;
    const tracker = createNavigationTracker({ getCurrentRoute: () => ({ name: routes[i] }) });
    tracker.onReady();
    for (i = 1; i < routes.length; i++) tracker.onStateChange();
    await getClient()?.flush();
    expect(sent.filter((e) => e.name === "$screen").map((e) => e.properties)).toEqual([
      { name: "Home" },
      { name: "Product", previous: "Home" },
      { name: "Cart", previous: "Product" },
    ]);
  });

  it("survives a ref that is not ready", () => {
    const tracker = createNavigationTracker({
      getCurrentRoute: () => {
        throw new Error("not mounted");
      },
    });
    expect(() => tracker.onStateChange()).not.toThrow();
  });
});

describe("releaseName", () => {
  it("combines bundle id, native version and build", () => {
    expect(releaseName({ bundleId: "com.acme.app", version: "2.3.0", build: 41 })).toBe("com.acme.app@2.3.0+41");
    expect(releaseName({ bundleId: "com.acme.app", version: "2.3.0" })).toBe("com.acme.app@2.3.0");
  });
});
