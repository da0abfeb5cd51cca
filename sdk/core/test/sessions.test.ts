import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SessionStore, WireItem } from "../src/index.ts";
import { makeClient } from "./helpers.ts";

// How sessions end: release and environment from the options, `errored` after a handled error,
// `crashed` after an unhandled fatal one, and `abnormal` for a session a previous run left open in
// its store (the page or process vanished without ending it).

beforeEach(() => vi.useFakeTimers({ now: new Date("2026-12-01T10:00:00Z") }));
afterEach(() => vi.useRealTimers());

/** A store in memory that outlives the client, as localStorage or a file outlives a page or process. */
function memoryStore() {
  let kept: WireItem | undefined;
  const store: SessionStore = {
    load: () => (kept ? JSON.parse(JSON.stringify(kept)) : undefined),
    save: (item) => {
      kept = item ? JSON.parse(JSON.stringify(item)) : undefined;
    },
  };
  return { store, kept: () => kept };
}

const sessions = (items: WireItem[]) => items.filter((i) => i.type === "session");

describe("session status", () => {
  it("sessions and errors carry release and environment; a handled error ends the session errored", async () => {
    const { client, sent } = makeClient({ release: "shop@2.0.0", environment: "staging" });
    client.startSession();
    client.captureException(new Error("handled"));
    client.endSession();
    await client.flush();
    expect(sent().every((i) => i.release === "shop@2.0.0" && i.environment === "staging")).toBe(true);
    expect(sessions(sent()).map((s) => [s.action, s.status])).toEqual([
      ["start", "ok"],
      ["update", "errored"],
      ["end", "errored"],
    ]);
  });

  it("an unhandled fatal error crashes the session; a later handled one does not soften it", async () => {
    const { client, sent } = makeClient();
    client.startSession();
    client.captureException(new Error("boom"), { handled: false, level: "fatal" });
    client.captureException(new Error("after"));
    client.endSession();
    await client.flush();
    expect(sessions(sent()).map((s) => s.status)).toEqual(["ok", "crashed", "crashed"]);
  });

  it("an unhandled error below fatal only makes the session errored", async () => {
    const { client, sent } = makeClient();
    client.startSession();
    client.captureException(new Error("non-fatal"), { handled: false, level: "error" });
    await client.flush();
    expect(sessions(sent()).at(-1)).toMatchObject({ action: "update", status: "errored" });
  });

  it("keeps the open session in the store and clears it when the session ends", () => {
    const memory = memoryStore();
    const { client } = makeClient({ sessionStore: memory.store, release: "1.0" });
    const id = client.startSession();
    expect(memory.kept()).toMatchObject({ type: "session", session_id: id, status: "ok", release: "1.0" });
    client.captureException(new Error("x"));
    expect(memory.kept()).toMatchObject({ session_id: id, status: "errored" });
    client.endSession();
    expect(memory.kept()).toBeUndefined();
  });

  it("the next run closes a session left open as abnormal, with that run's release, at its last activity", async () => {
    const memory = memoryStore();
    const first = makeClient({ sessionStore: memory.store, release: "1.0" });
    const id = first.client.startSession();
    vi.setSystemTime(new Date("2026-12-01T10:05:00Z"));
    first.client.captureException(new Error("handled, then the tab was killed"));
    // …no end: the page vanished. The next run has been upgraded.
    vi.setSystemTime(new Date("2026-12-01T11:00:00Z"));
    const next = makeClient({ sessionStore: memory.store, release: "2.0" });
    const ownId = next.client.startSession();
    await next.client.flush();
    const [closed, start] = sessions(next.sent());
    expect(closed).toMatchObject({
      session_id: id,
      action: "end",
      status: "abnormal",
      release: "1.0",
      ended_at: "2026-12-01T10:05:00.000Z",
    });
    expect(closed.event_id).toEqual(expect.any(String));
    expect(start).toMatchObject({ session_id: ownId, action: "start", release: "2.0" });
    expect(memory.kept()).toMatchObject({ session_id: ownId });
  });

  it("closes a crashed session left in the store as crashed", async () => {
    const memory = memoryStore();
    const first = makeClient({ sessionStore: memory.store });
    first.client.startSession();
    first.client.captureException(new Error("fatal"), { handled: false, level: "fatal" });
    const next = makeClient({ sessionStore: memory.store });
    await next.client.flush();
    expect(sessions(next.sent())).toMatchObject([{ action: "end", status: "crashed" }]);
  });

  it("each send refreshes the stored time, so an abnormal end is dated near the vanishing", async () => {
    const memory = memoryStore();
    const first = makeClient({ sessionStore: memory.store });
    first.client.startSession();
    vi.setSystemTime(new Date("2026-12-01T10:30:00Z"));
    first.client.trackEvent("still here");
    await first.client.flush();
    vi.setSystemTime(new Date("2026-12-01T10:31:00Z"));
    first.client.trackEvent("never sent: the tab died first");
    const next = makeClient({ sessionStore: memory.store });
    await next.client.flush();
    expect(sessions(next.sent())).toMatchObject([
      { action: "end", status: "abnormal", ended_at: "2026-12-01T10:30:00.000Z" },
    ]);
  });

  it("a send in the background keeps the suspension", async () => {
    const memory = memoryStore();
    const first = makeClient({ sessionStore: memory.store });
    first.client.startSession();
    vi.setSystemTime(new Date("2026-12-01T10:10:00Z"));
    first.client.scope.suspendSession(true);
    vi.setSystemTime(new Date("2026-12-01T10:20:00Z"));
    first.client.trackEvent("background fetch done");
    await first.client.flush();
    const next = makeClient({ sessionStore: memory.store });
    await next.client.flush();
    expect(sessions(next.sent())).toMatchObject([
      { action: "end", status: "ok", ended_at: "2026-12-01T10:10:00.000Z" },
    ]);
  });

  it("a session suspended in the background and never resumed ends normally at the suspension", async () => {
    const memory = memoryStore();
    const first = makeClient({ sessionStore: memory.store });
    first.client.startSession();
    vi.setSystemTime(new Date("2026-12-01T10:10:00Z"));
    first.client.scope.suspendSession(true);
    vi.setSystemTime(new Date("2026-12-01T12:00:00Z"));
    const next = makeClient({ sessionStore: memory.store });
    await next.client.flush();
    expect(sessions(next.sent())).toMatchObject([
      { action: "end", status: "ok", ended_at: "2026-12-01T10:10:00.000Z" },
    ]);
  });

  it("a resumed session that then vanishes is abnormal again", async () => {
    const memory = memoryStore();
    const first = makeClient({ sessionStore: memory.store });
    first.client.startSession();
    first.client.scope.suspendSession(true);
    first.client.scope.suspendSession(false);
    const next = makeClient({ sessionStore: memory.store });
    await next.client.flush();
    expect(sessions(next.sent())).toMatchObject([{ action: "end", status: "abnormal" }]);
  });

  it("shutdown ends the session normally, so the next run finds nothing to close", async () => {
    const memory = memoryStore();
    const first = makeClient({ sessionStore: memory.store });
    first.client.startSession();
    await first.client.shutdown();
    expect(sessions(first.sent()).map((s) => [s.action, s.status])).toEqual([
      ["start", "ok"],
      ["end", "ok"],
    ]);
    const next = makeClient({ sessionStore: memory.store });
    await next.client.flush();
    expect(next.sent()).toEqual([]);
  });

  it("a store that throws never reaches the host app", async () => {
    const store: SessionStore = {
      load: () => {
        throw new Error("SecurityError");
      },
      save: () => {
        throw new Error("QuotaExceededError");
      },
    };
    const { client, sent } = makeClient({ sessionStore: store });
    expect(client.startSession()).toEqual(expect.any(String));
    client.scope.suspendSession(true);
    client.endSession();
    await client.flush();
    expect(sessions(sent()).map((s) => s.action)).toEqual(["start", "end"]);
  });
});
