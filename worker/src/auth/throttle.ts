import { authThrottle, type Database } from "@telemetry-tracker/db";
import { inArray, sql } from "drizzle-orm";

/** Failed logins allowed per window: few per account (guessing), more per IP (shared NATs). */
export const LOGIN_LIMITS = {
  account: { failures: 5, windowSeconds: 15 * 60 },
  ip: { failures: 30, windowSeconds: 15 * 60 },
} as const;

/** Reset mails per address per hour, so nobody can flood an inbox through forgot-password. */
export const RESET_MAIL_LIMIT = { failures: 3, windowSeconds: 60 * 60 } as const;

export interface ThrottleKeys {
  account: string;
  ip: string | null;
}

function keysOf(keys: ThrottleKeys): Array<{ key: string; limit: { failures: number; windowSeconds: number } }> {
  const list: Array<{ key: string; limit: { failures: number; windowSeconds: number } }> = [
    { key: `account:${keys.account}`, limit: LOGIN_LIMITS.account },
  ];
  if (keys.ip) list.push({ key: `ip:${keys.ip}`, limit: LOGIN_LIMITS.ip });
  return list;
}

/** Seconds until the account and the IP may try again; 0 while neither has used up its failures. */
export async function loginRetryAfter(db: Database, keys: ThrottleKeys): Promise<number> {
  const list = keysOf(keys);
  const rows = await db
    .select()
    .from(authThrottle)
    .where(
      inArray(
        authThrottle.key,
        list.map((k) => k.key),
      ),
    );
  const now = Date.now();
  let retryAfter = 0;
  for (const { key, limit } of list) {
    const row = rows.find((r) => r.key === key);
    if (!row) continue;
    const windowEnds = row.windowStartedAt.getTime() + limit.windowSeconds * 1000;
    if (row.failures >= limit.failures && windowEnds > now) {
      retryAfter = Math.max(retryAfter, Math.ceil((windowEnds - now) / 1000));
    }
  }
  return retryAfter;
}

export async function recordLoginFailure(db: Database, keys: ThrottleKeys): Promise<void> {
  for (const { key, limit } of keysOf(keys)) {
    const expired = sql`${authThrottle.windowStartedAt} < now() - make_interval(secs => ${limit.windowSeconds})`;
    await db
      .insert(authThrottle)
      .values({ key, failures: 1 })
      .onConflictDoUpdate({
        target: authThrottle.key,
        set: {
          failures: sql`case when ${expired} then 1 else ${authThrottle.failures} + 1 end`,
          windowStartedAt: sql`case when ${expired} then now() else ${authThrottle.windowStartedAt} end`,
        },
      });
  }
}

/** A successful login clears the account's counter (not the IP's: one good password there proves little). */
export async function clearAccountFailures(db: Database, account: string): Promise<void> {
  await db.delete(authThrottle).where(inArray(authThrottle.key, [`account:${account}`]));
}

/**
 * Counts one use of `key`; answers the seconds to wait once `limit` uses fall in the current window
 * (0 while allowed). Used for actions that cost something on every call (reset mails), not only on
 * failure.
 */
export async function consumeAllowance(
  db: Database,
  key: string,
  limit: { failures: number; windowSeconds: number },
): Promise<number> {
  const expired = sql`${authThrottle.windowStartedAt} < now() - make_interval(secs => ${limit.windowSeconds})`;
  const [row] = await db
    .insert(authThrottle)
    .values({ key, failures: 1 })
    .onConflictDoUpdate({
      target: authThrottle.key,
      set: {
        failures: sql`case when ${expired} then 1 else ${authThrottle.failures} + 1 end`,
        windowStartedAt: sql`case when ${expired} then now() else ${authThrottle.windowStartedAt} end`,
      },
    })
    .returning();
  if (row.failures <= limit.failures) return 0;
  return Math.max(1, Math.ceil((row.windowStartedAt.getTime() + limit.windowSeconds * 1000 - Date.now()) / 1000));
}
