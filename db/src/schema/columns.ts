import { timestamp } from "drizzle-orm/pg-core";

/** Creation/update stamps shared by every mutable table. */
export const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
};

/** Soft delete: archived rows stay for audit and undo, but every read and ingest path ignores them. */
export const softDelete = {
  deletedAt: timestamp("deleted_at", { withTimezone: true }),
};

export const PLANS = ["FREE", "PRO", "BUSINESS"] as const;
export type Plan = (typeof PLANS)[number];

export const ROLES = ["OWNER", "EDITOR", "VIEWER"] as const;
export type Role = (typeof ROLES)[number];

export const ERROR_GROUP_STATUSES = ["unresolved", "resolved", "ignored"] as const;
export type ErrorGroupStatus = (typeof ERROR_GROUP_STATUSES)[number];

export const SESSION_STATUSES = ["ok", "errored", "crashed", "abnormal"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
