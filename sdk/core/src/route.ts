/**
 * A path as a low-cardinality route, the contract of `$request` and `$web_vital` events: the query
 * string and fragment are dropped, and every segment that is an id — all digits, a UUID, or 8 or
 * more hex characters — becomes `:id`, so `/orders/42?tab=2` and `/orders/43` are one route. The
 * Worker applies the same rule again at ingest.
 *
 * @example
 * normalizeRoute("/users/42/orders/5f0c2a9e?x=1"); // "/users/:id/orders/:id"
 */
export function normalizeRoute(path: string): string {
  return (
    path
      .replace(/[?#].*/s, "")
      .split("/")
      .map((s) => (/^(\d+|[\da-f]{8,}|[\da-f]{8}(-[\da-f]{4}){3}-[\da-f]{12})$/i.test(s) ? ":id" : s))
      .join("/") || "/"
  );
}
