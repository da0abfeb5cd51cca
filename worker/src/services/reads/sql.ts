import type { Database } from "@telemetry-tracker/db";
import { and, type Column, eq, lt, or, type SQL, sql } from "drizzle-orm";

/** Rows of a raw statement, whatever the driver (Neon in the Worker, node-postgres in the bench). */
export async function rows<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/** A timestamp as ISO 8601 text in UTC, so results do not depend on the driver's type parsers. */
export const isoText = (column: SQL | string) =>
  sql`to_char(${typeof column === "string" ? sql.raw(column) : column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Epoch milliseconds of a bucket start, as a JS number. */
export const epochMs = (expression: SQL) => sql`(extract(epoch from ${expression}) * 1000)::float8`;

export const BIN_ORIGIN = sql`timestamptz '2000-01-01 00:00:00+00'`;

/** `%`, `_` and `\` are literal in a user's search text. */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Microsecond ISO text: exact keyset cursors for timestamp columns (compare with `::timestamptz`). */
export const isoMicroText = (column: SQL | string) =>
  sql`to_char(${typeof column === "string" ? sql.raw(column) : column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The dashboard's app/environment filters, as the overview and event-name reads take them. */
export interface Scope {
  app?: string;
  environment?: string;
}

export const isScoped = (scope: Scope) => Boolean(scope.app || scope.environment);

/**
 * `and app = … and environment = …` for the filters given, on a table alias (or none). Works on the
 * raw tables and on the *_by_scope rollups alike: filters are never '', the rollups' "no environment".
 */
export function scopeConditions(scope: Scope, alias?: string): SQL {
  const column = (name: string) => sql.raw(alias ? `${alias}.${name}` : name);
  const parts: SQL[] = [];
  if (scope.app) parts.push(sql` and ${column("app")} = ${scope.app}`);
  if (scope.environment) parts.push(sql` and ${column("environment")} = ${scope.environment}`);
  return sql.join(parts, sql``);
}

/** A rollup, or its per-app/environment twin (migrations 0009–0010) when the read is filtered. */
export const rollup = (table: string, scope: Scope) => sql.raw(isScoped(scope) ? `${table}_by_scope` : table);

/** Rows after `after` in a newest-first (time, id) keyset: older, or as old with a smaller id. */
export function olderThan(time: Column, id: Column, after: { at: string; id: string } | null): SQL | undefined {
  if (!after) return undefined;
  const at = new Date(after.at);
  return or(lt(time, at), and(eq(time, at), lt(id, after.id)));
}
