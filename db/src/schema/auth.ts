import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Failed-login counters for the throttle, keyed `account:<email>` or `ip:<address>`. A fixed window:
 * the counter restarts when `windowStartedAt` is older than the window.
 */
export const authThrottle = pgTable("auth_throttle", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull().default(0),
  windowStartedAt: timestamp("window_started_at", { withTimezone: true }).notNull().defaultNow(),
});
