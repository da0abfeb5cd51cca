import { Client, fetchTransport, getClient, type Options } from "@telemetry-tracker/core";
import { useEffect } from "react";

export const SDK = { name: "@telemetry-tracker/react/next", version: "0.1.0" };

/**
 * Sends `$pageview` whenever the App Router path (or search) changes. Pass Next's hooks' values so
 * this package does not depend on Next. Set `pageviews: false` on the provider to avoid counting
 * history changes twice.
 *
 * @example
 * "use client";
 * import { usePathname, useSearchParams } from "next/navigation";
 * export function PageViews() {
 *   usePageView(usePathname(), useSearchParams().toString());
 *   return null;
 * }
 */
export function usePageView(pathname: string | null | undefined, search?: string): void {
  useEffect(() => {
    if (pathname != null) getClient()?.trackEvent("$pageview", { path: pathname, search: search || undefined });
  }, [pathname, search]);
}

/** What Next.js passes to `onRequestError` (Next 15+), narrowed to what is sent. */
export interface NextRequestInfo {
  path: string;
  method: string;
  headers?: Record<string, string | string[] | undefined>;
}
export interface NextErrorContext {
  routerKind: string;
  routePath: string;
  routeType: string;
  renderSource?: string;
  revalidateReason?: string;
}

/**
 * Builds the `onRequestError` export of `instrumentation.ts` (Next.js 15+): server errors from
 * pages, route handlers, server actions and middleware are sent with the route and request, then
 * flushed (bounded) before Next continues. A client per call: the edge runtime may forbid reusing
 * I/O across requests.
 *
 * @example
 * // instrumentation.ts
 * import { createOnRequestError } from "@telemetry-tracker/react/next";
 * export const onRequestError = createOnRequestError({
 *   ingestUrl: process.env.TT_INGEST_URL!, apiKey: process.env.TT_API_KEY!, app: "web-server",
 * });
 */
export function createOnRequestError(options: Options & { flushTimeout?: number }) {
  return async (error: unknown, request: NextRequestInfo, context: NextErrorContext): Promise<void> => {
    try {
      const client = new Client({
        platform: "nextjs",
        ...options,
        transport: options.transport ?? fetchTransport,
        sdk: SDK,
      });
      client.captureException(error, {
        handled: false,
        mechanism: "next.onRequestError",
        tags: { routerKind: context.routerKind, routeType: context.routeType, routePath: context.routePath },
        request: { path: request.path, method: request.method },
        next: { renderSource: context.renderSource, revalidateReason: context.revalidateReason },
        digest: (error as { digest?: string } | null)?.digest,
      });
      await client.shutdown(options.flushTimeout ?? 2000);
    } catch {}
  };
}
