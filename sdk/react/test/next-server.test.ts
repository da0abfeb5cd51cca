// @vitest-environment node
import { type Receiver, startReceiver } from "@telemetry-tracker/test-support";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOnRequestError } from "../src/next.ts";

let r: Receiver;
beforeEach(async () => {
  r = await startReceiver();
});
afterEach(() => r.stop());

describe("next: onRequestError", () => {
  it("sends the server error with route, request and digest before resolving", async () => {
    const onRequestError = createOnRequestError({ ingestUrl: r.url, apiKey: r.apiKey, app: "next-server" });
    const error = Object.assign(new Error("server component failed"), { digest: "12345" });
    await onRequestError(
      error,
      { path: "/products/7", method: "GET", headers: {} },
      {
        routerKind: "App Router",
        routePath: "/products/[id]",
        routeType: "render",
        renderSource: "react-server-components",
      },
    );
    // resolved only after delivery: nothing to wait for
    expect(r.accepted).toHaveLength(1);
    expect(r.accepted[0]).toMatchObject({
      type: "error",
      message: "server component failed",
      handled: false,
      platform: "nextjs",
      tags: { routerKind: "App Router", routeType: "render", routePath: "/products/[id]" },
      context: { request: { path: "/products/7", method: "GET" }, digest: "12345" },
    });
  });

  it("never rejects, even with a dead ingest server", async () => {
    const onRequestError = createOnRequestError({
      ingestUrl: "http://127.0.0.1:9",
      apiKey: "k",
      app: "x",
      flushTimeout: 200,
    });
    await expect(
      onRequestError(
        new Error("x"),
        { path: "/", method: "GET" },
        { routerKind: "Pages Router", routePath: "/", routeType: "render" },
      ),
    ).resolves.toBeUndefined();
  });
});
