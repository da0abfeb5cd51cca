/** The view filters every page shares, as they appear in the dashboard's URL. */
export interface ViewFilters {
  range?: string;
  from?: string;
  to?: string;
  app?: string;
  env?: string;
}

type RangeName = "1h" | "24h" | "7d" | "30d";
const RANGE_NAMES: readonly string[] = ["1h", "24h", "7d", "30d"] satisfies RangeName[];

/** Rows per page of an issue's affected users and sessions. */
export const AFFECTED_PAGE = 10;
/** Occurrences per "Load more" on an issue (the detail itself brings the latest 20). */
export const OCCURRENCES_PAGE = 20;

/** Drops empty values, so an empty filter in the URL means "no filter" on the Worker too. */
export function compact<T extends Record<string, unknown>>(params: T): T {
  return Object.fromEntries(
    Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== ""),
  ) as T;
}

/** The time window as the Worker takes it: an explicit from/to wins over a named range. */
export function windowParams(filters: ViewFilters): { range?: RangeName; from?: string; to?: string } {
  if (filters.from && filters.to) return { from: filters.from, to: filters.to };
  return { range: filters.range && RANGE_NAMES.includes(filters.range) ? (filters.range as RangeName) : "24h" };
}

/** The app/environment scope (the URL says `env`, the Worker `environment`). */
export function scopeParams(filters: ViewFilters): { app?: string; environment?: string } {
  return compact({ app: filters.app, environment: filters.env });
}

export function filterParams(filters: ViewFilters) {
  return { ...windowParams(filters), ...scopeParams(filters) };
}
