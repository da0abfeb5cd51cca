import { Client, getClient, setClient, type WireItem } from "@telemetry-tracker/core";
import { act, createElement, StrictMode, useState } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ErrorBoundary, TelemetryProvider, useTrackEvent } from "../src/index.ts";
import { usePageView } from "../src/next.ts";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let sent: WireItem[];
const transport = async (req: { body: string }) => {
  sent.push(...JSON.parse(req.body).events);
  return { status: 202 };
};
const makeClient = () => new Client({ ingestUrl: "http://unused", apiKey: "k", app: "react-test", transport });

// Test components live at module level; tests drive them through these handles.
const handles = { setBroken: (_b: boolean) => {}, go: (_p: string) => {}, rerender: () => {} };

function Thrower({ when }: { when: boolean }) {
  if (when) throw new Error("render failed");
  return createElement("p", null, "all good");
}

function BoundaryApp() {
  const [broken, setBroken] = useState(true);
  handles.setBroken = setBroken;
  return createElement(
    ErrorBoundary,
    {
      tags: { area: "checkout" },
      fallback: ({ error, reset }) =>
        createElement(
          "button",
          {
            type: "button",
            onClick: () => {
              handles.setBroken(false);
              reset();
            },
          },
          `failed: ${(error as Error).message}`,
        ),
    },
    createElement(Thrower, { when: broken }),
  );
}

function TrackButton() {
  const track = useTrackEvent();
  return createElement("button", { type: "button", onClick: () => track("clicked", { n: 1 }) }, "go");
}

function PageTracker() {
  const [path, setPath] = useState("/a");
  const [, setN] = useState(0);
  handles.go = setPath;
  handles.rerender = () => setN((n) => n + 1);
  usePageView(path);
  return null;
}

let root: Root;
let container: HTMLElement;
beforeEach(() => {
  sent = [];
  container = document.createElement("div");
  document.body.append(container);
  root = createRoot(container);
});
afterEach(() => {
  act(() => root.unmount());
  container.remove();
  setClient(undefined);
  vi.restoreAllMocks();
});

describe("ErrorBoundary", () => {
  it("shows the fallback, captures the error with the component stack, and can reset", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {}); // React logs caught errors
    const client = makeClient();
    await act(async () => root.render(createElement(TelemetryProvider, { client }, createElement(BoundaryApp))));
    expect(container.textContent).toBe("failed: render failed");
    await client.flush();
    const err = sent.find((i) => i.type === "error");
    expect(err).toMatchObject({
      message: "render failed",
      tags: { area: "checkout" },
      context: { mechanism: "react.errorBoundary", componentStack: expect.stringContaining("Thrower") },
    });
    await act(async () => container.querySelector("button")?.click());
    expect(container.textContent).toBe("all good");
  });

  it("a caught render error carries the release and environment and makes the session errored", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const client = new Client({
      ingestUrl: "http://unused",
      apiKey: "k",
      app: "react-test",
      release: "web@3.1.0",
      environment: "staging",
      transport,
    });
    client.startSession();
    await act(async () => root.render(createElement(TelemetryProvider, { client }, createElement(BoundaryApp))));
    client.endSession();
    await client.flush();
    expect(sent.find((i) => i.type === "error")).toMatchObject({ release: "web@3.1.0", environment: "staging" });
    expect(sent.filter((i) => i.type === "session").map((i) => [i.action, i.status, i.release, i.environment])).toEqual(
      [
        ["start", "ok", "web@3.1.0", "staging"],
        ["update", "errored", "web@3.1.0", "staging"],
        ["end", "errored", "web@3.1.0", "staging"],
      ],
    );
  });

  it("renders a static fallback and nothing breaks without any client", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    await act(async () =>
      root.render(
        createElement(
          ErrorBoundary,
          { fallback: createElement("span", null, "oops") },
          createElement(Thrower, { when: true }),
        ),
      ),
    );
    expect(container.textContent).toBe("oops");
  });
});

describe("TelemetryProvider and hooks", () => {
  it("initialises the browser SDK once under StrictMode and useTrackEvent sends through it", async () => {
    const options = {
      ingestUrl: "http://unused",
      apiKey: "k",
      app: "react-test",
      release: "web@3.1.0",
      environment: "production",
      transport,
      offlineQueue: false,
    };
    await act(async () =>
      root.render(
        createElement(StrictMode, null, createElement(TelemetryProvider, { options }, createElement(TrackButton))),
      ),
    );
    await act(async () => container.querySelector("button")?.click());
    await getClient()?.flush();
    expect(sent.filter((i) => i.type === "session" && i.action === "start")).toMatchObject([
      { release: "web@3.1.0", environment: "production" },
    ]);
    expect(sent.filter((i) => i.name === "$pageview")).toHaveLength(1);
    expect(sent.find((i) => i.name === "clicked")).toMatchObject({
      app: "react-test",
      platform: "web",
      properties: { n: 1 },
    });
  });
});

describe("next: usePageView", () => {
  it("sends $pageview on mount and when the path changes, not on unrelated re-renders", async () => {
    const client = makeClient();
    setClient(client);
    await act(async () => root.render(createElement(PageTracker)));
    await act(async () => handles.rerender());
    await act(async () => handles.go("/b"));
    await client.flush();
    expect(sent.filter((i) => i.name === "$pageview").map((i) => (i.properties as { path: string }).path)).toEqual([
      "/a",
      "/b",
    ]);
  });
});
