import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
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
});
