import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { type BrowserContext, chromium } from "playwright-core";
import { CHROMIUM_FLAGS, ensureChromium } from "../../../tools/chromium.ts";

/** The SDK as the page gets it: one IIFE exposing the browser entry as `window.TT`. */
export async function bundleSdk(): Promise<string> {
  const out = await build({
    entryPoints: [new URL("../src/index.ts", import.meta.url).pathname],
    bundle: true,
    format: "iife",
    globalName: "TT",
    platform: "browser",
    target: "es2020",
    write: false,
  });
  return out.outputFiles[0].text;
}

/** Serves a blank page, the SDK bundle and a `/ping` endpoint (for fetch breadcrumbs) on 127.0.0.1. */
export async function startSite(sdk: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url === "/sdk.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      return res.end(sdk);
    }
    if (req.url === "/ping") {
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end("pong");
    }
    res.writeHead(200, { "content-type": "text/html" });
    res.end('<!doctype html><title>tt test</title><script src="/sdk.js"></script><body>test page</body>');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * The machine's Chromium (installed first when missing, see tools/chromium.ts) with an empty profile.
 * Missing Chromium is an error, never a skip.
 */
export async function launch(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), "tt-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
