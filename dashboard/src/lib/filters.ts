import { useLocation, useSearchParams } from "@solidjs/router";
import type { ViewFilters } from "./api";

export const RANGES = [
  { value: "1h", label: "Last hour" },
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
  { value: "custom", label: "Custom…" },
] as const;

const SHARED_KEYS = ["range", "from", "to", "app", "env"] as const;

/** A search parameter's first value, or undefined when it is absent or empty. */
export function firstParam(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value || undefined;
}

/** The time range and app/environment filters live in the URL, so every view is shareable. */
export function useViewFilters() {
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const filters = (): ViewFilters => ({
    range: firstParam(params.range) ?? "24h",
    from: firstParam(params.from),
    to: firstParam(params.to),
    app: firstParam(params.app),
    env: firstParam(params.env),
  });
  /** `path` plus the shared filters of the current URL: for links that keep the view. */
  const withFilters = (path: string, extra: Record<string, string | undefined> = {}) => {
    const search = new URLSearchParams();
    const current = new URLSearchParams(location.search);
    for (const key of SHARED_KEYS) {
      const value = current.get(key);
      if (value) search.set(key, value);
    }
    for (const [key, value] of Object.entries(extra)) {
      if (value) search.set(key, value);
      else search.delete(key);
    }
    const text = search.toString();
    return text ? `${path}?${text}` : path;
  };
  return { filters, params, setParams, withFilters };
}

/** A release's page. Release names may hold any character, so the name is one encoded segment. */
export function releasePath(projectId: string, release: string): string {
  return `/projects/${projectId}/releases/${encodeURIComponent(release)}`;
}

/** The release name of a `releases/[release]` route parameter (the router hands it over encoded). */
export function releaseParam(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a stray "%" in a hand-typed URL: take the text as it is
  }
}
