import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Receiver, startReceiver } from "@telemetry-tracker/test-support";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const CHILD = new URL("./fixtures/child.ts", import.meta.url).pathname;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

function runChild(
  mode: string,
  env: Record<string, string>,
  onStdout?: (line: string, kill: (s: NodeJS.Signals) => void) => void,
  nodeFlags: string[] = [],
) {
  return new Promise<Run>((resolve) => {
    const start = Date.now();
    const child = spawn(process.execPath, [...nodeFlags, CHILD, mode], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.stdout.on("data", (d) => onStdout?.(String(d), (s) => child.kill(s)));
    child.on("exit", (code, signal) => resolve({ code, signal, stderr, ms: Date.now() - start }));
  });
}

let r: Receiver;
beforeEach(async () => {
  r = await startReceiver();
});
afterEach(() => r.stop());
const env = () => ({ TT_INGEST_URL: r.url, TT_API_KEY: r.apiKey });

describe("node process capture", () => {
  it("captures an uncaught exception, flushes it before exit, and exits 1 printing the error", async () => {
    const run = await runChild("throw", env());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("child crashed on purpose");
    const err = r.accepted.find((i) => i.type === "error");
    expect(err).toMatchObject({
      message: "child crashed on purpose",
      error_type: "Error",
      handled: false,
      level: "fatal",
      app: "node-child",
      platform: "node",
      release: "child@1",
      sdk: { name: "@telemetry-tracker/node", version: "0.1.0" },
    });
    expect(err?.frames).toEqual(
      expect.arrayContaining([expect.objectContaining({ file: expect.stringMatching(/child\.ts$/) })]),
    );
    expect(r.accepted.some((i) => i.name === "child_started")).toBe(true);
  });

  it("captures an unhandled rejection, flushes, exits 1", async () => {
    const run = await runChild("reject", env());
    expect(run.code).toBe(1);
    expect(r.accepted.find((i) => i.type === "error")).toMatchObject({
      message: "child rejected on purpose",
      error_type: "TypeError",
      handled: false,
    });
  });

  it("respects --unhandled-rejections=warn: captured and delivered, but the process lives on", async () => {
    const run = await runChild("reject", env(), undefined, ["--unhandled-rejections=warn"]);
    expect(run.code).toBe(0);
    expect(r.accepted.find((i) => i.type === "error")).toMatchObject({ message: "child rejected on purpose" });
  });

  it("flushes on SIGTERM, then dies of the signal as it would have", async () => {
    const run = await runChild("signal", env(), (line, kill) => {
      if (line.includes("ready")) kill("SIGTERM");
    });
    expect(run.signal).toBe("SIGTERM");
    expect(r.accepted.map((i) => i.name)).toEqual(["child_started"]);
  });

  it("flushes when the event loop empties (beforeExit) and exits 0", async () => {
    const run = await runChild("natural", env());
    expect(run.code).toBe(0);
    expect(r.accepted.map((i) => i.name)).toEqual(["child_started"]);
  });

  it("bounds the flush before exit when the ingest server hangs", async () => {
    const hang = createServer(() => {}); // accepts, never answers
    await new Promise<void>((res) => hang.listen(0, "127.0.0.1", res));
    try {
      const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
      const run = await runChild("throw", { TT_INGEST_URL: url, TT_API_KEY: "k", TT_SHUTDOWN_TIMEOUT: "300" });
      expect(run.code).toBe(1);
      expect(run.ms).toBeLessThan(5000);
    } finally {
      hang.closeAllConnections();
      hang.close();
    }
  });
});

/** A session file in a fresh temporary folder, removed after the test. */
function sessionFile(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tt-node-session-"));
  return { path: join(dir, "session.json"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a child with a session that is SIGKILLed once it is up: no exit path of the SDK runs. */
async function killedChild(env: Record<string, string>): Promise<string> {
  let sid = "";
  const run = await runChild("signal", env, (line, kill) => {
    sid ||= /session (\S+)/.exec(line)?.[1] ?? "";
    if (line.includes("ready")) kill("SIGKILL");
  });
  expect(run.signal).toBe("SIGKILL");
  return sid;
}

describe("node sessions", () => {
  const sessions = () => r.accepted.filter((i) => i.type === "session");

  it("a fatal error ends the session crashed, with release and environment", async () => {
    const file = sessionFile();
    try {
      const run = await runChild("throw", { ...env(), TT_SESSION_FILE: file.path });
      expect(run.code).toBe(1);
      expect(sessions().at(-1)).toMatchObject({
        action: "end",
        status: "crashed",
        release: "child@1",
        environment: "production",
      });
      expect(r.accepted.find((i) => i.type === "error")).toMatchObject({
        release: "child@1",
        environment: "production",
      });
      expect(existsSync(file.path)).toBe(false); // ended: nothing for the next process to close
    } finally {
      file.remove();
    }
  });

  it("a handled error ends the session errored when the event loop empties", async () => {
    const file = sessionFile();
    try {
      expect((await runChild("handled", { ...env(), TT_SESSION_FILE: file.path })).code).toBe(0);
      expect(sessions().map((s) => [s.action, s.status])).toEqual([
        ["start", "ok"],
        ["update", "errored"],
        ["end", "errored"],
      ]);
    } finally {
      file.remove();
    }
  });

  it("SIGTERM ends the session normally", async () => {
    const file = sessionFile();
    try {
      const run = await runChild("signal", { ...env(), TT_SESSION_FILE: file.path }, (line, kill) => {
        if (line.includes("ready")) kill("SIGTERM");
      });
      expect(run.signal).toBe("SIGTERM");
      expect(sessions().at(-1)).toMatchObject({ action: "end", status: "ok" });
    } finally {
      file.remove();
    }
  });

  it("a killed process's session is closed abnormal, with its own release, by the next process", async () => {
    const file = sessionFile();
    try {
      const killed = await killedChild({ ...env(), TT_SESSION_FILE: file.path });
      expect(killed).not.toBe("");
      expect(sessions()).toEqual([]); // it died before sending anything
      const next = await runChild("natural", { ...env(), TT_SESSION_FILE: file.path, TT_RELEASE: "child@2" });
      expect(next.code).toBe(0);
      expect(sessions().find((s) => s.session_id === killed)).toMatchObject({
        action: "end",
        status: "abnormal",
        release: "child@1",
        ended_at: expect.any(String),
      });
      const own = sessions().filter((s) => s.session_id !== killed);
      expect(own.map((s) => [s.action, s.status, s.release])).toEqual([
        ["start", "ok", "child@2"],
        ["end", "ok", "child@2"],
      ]);
    } finally {
      file.remove();
    }
  });
});

describe("node SDK against the ingest target", () => {
  it("a crash in a child process is stored with the contract's fields", async () => {
    const { startTarget } = await import("@telemetry-tracker/test-support");
    const target = await startTarget();
    try {
      const run = await runChild("throw", { TT_INGEST_URL: target.ingestUrl, TT_API_KEY: target.apiKey });
      expect(run.code).toBe(1);
      const stored = await target.stored((items) => items.some((i) => i.type === "error"));
      expect(stored.find((i) => i.type === "error")).toMatchObject({
        message: "child crashed on purpose",
        app: "node-child",
        handled: false,
        level: "fatal",
      });
      expect(stored.some((i) => i.type === "event" && i.name === "child_started")).toBe(true);
    } finally {
      await target.stop();
    }
  });

  it("sessions are stored crashed after a fatal error and abnormal after a kill", async () => {
    const { startTarget } = await import("@telemetry-tracker/test-support");
    const target = await startTarget();
    const file = sessionFile();
    try {
      const targetEnv = { TT_INGEST_URL: target.ingestUrl, TT_API_KEY: target.apiKey, TT_SESSION_FILE: file.path };
      let crashedId = "";
      const run = await runChild("throw", targetEnv, (line) => {
        crashedId ||= /session (\S+)/.exec(line)?.[1] ?? "";
      });
      expect(run.code).toBe(1);
      const killed = await killedChild(targetEnv);
      expect((await runChild("natural", targetEnv)).code).toBe(0);
      const stored = await target.stored((items) =>
        items.some((i) => i.type === "session" && i.session_id === killed && i.status === "abnormal"),
      );
      const session = (id: string) => stored.find((i) => i.type === "session" && i.session_id === id);
      expect(session(crashedId)).toMatchObject({ status: "crashed", release: "child@1", environment: "production" });
      expect(session(killed)).toMatchObject({ status: "abnormal", release: "child@1", ended_at: expect.any(String) });
    } finally {
      file.remove();
      await target.stop();
    }
  });
});
