import { Client } from "./client.ts";
import { fetchTransport } from "./transport.ts";
import type { Breadcrumb, CaptureContext, ClientOptions, Level, Options } from "./types.ts";

// The process-wide client behind the module-level functions; platform `init`s install theirs here.
let current: Client | undefined;

/** Installs (or with `undefined`, removes) the client the module-level functions talk to. */
export function setClient(client: Client | undefined): void {
  current = client;
}

/** The client installed by `init`, if any. */
export function getClient(): Client | undefined {
  return current;
}

/**
 * Creates the global client with the universal `fetch` transport (Node, Workers, React Native,
 * anything with `fetch`). Platform packages export their own `init`; use theirs when there is one.
 * Calling it again replaces the previous client after flushing it.
 *
 * @example
 * import { init, trackEvent } from "@telemetry-tracker/core";
 * init({ ingestUrl: "https://ingest.example.com", apiKey: "tt_live_…", app: "api" });
 * trackEvent("job_done", { ms: 120 });
 */
export function init(options: Options & Partial<ClientOptions>): Client {
  void current?.shutdown();
  current = new Client({ ...options, transport: options.transport ?? fetchTransport });
  return current;
}

/** @example trackEvent("signup", { plan: "pro" }); */
export const trackEvent = (name: string, properties?: Record<string, unknown>): string | undefined =>
  current?.trackEvent(name, properties);

/** @example captureException(error, { tags: { area: "cart" } }); */
export const captureException = (error: unknown, context?: CaptureContext): string | undefined =>
  current?.captureException(error, context);

/** Alias of `captureException`, the original SDK's name. */
export const trackError = captureException;

/** @example captureMessage("cache cold", "warning"); */
export const captureMessage = (message: string, level?: Level): string | undefined =>
  current?.captureMessage(message, level);

/** @example identify("user_42", { plan: "pro" }); */
export const identify = (userId: string, traits?: Record<string, unknown>): void => current?.identify(userId, traits);

/** @example screen("Settings"); */
export const screen = (name: string, properties?: Record<string, unknown>): void => current?.screen(name, properties);

/** @example setTags({ region: "eu" }); */
export const setTags = (tags: Record<string, string>): void => current?.setTags(tags);

/** @example setContext("cart", { items: 3 }); */
export const setContext = (name: string, context: Record<string, unknown> | null): void =>
  current?.setContext(name, context);

/** @example addBreadcrumb({ category: "ui", message: "clicked pay" }); */
export const addBreadcrumb = (crumb: Breadcrumb): void => current?.addBreadcrumb(crumb);

/** @example startSession(); */
export const startSession = (): string | undefined => current?.startSession();

/** @example endSession(); */
export const endSession = (status?: "ok" | "errored" | "crashed" | "abnormal"): void => current?.endSession(status);

/** @example await flush(2000); */
export const flush = (timeout?: number): Promise<boolean> => current?.flush(timeout) ?? Promise.resolve(true);

/** @example await shutdown(); */
export const shutdown = (timeout?: number): Promise<boolean> => current?.shutdown(timeout) ?? Promise.resolve(true);
