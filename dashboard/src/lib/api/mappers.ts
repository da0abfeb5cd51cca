import type {
  Frame,
  IssueStatus,
  IssueSummary,
  Occurrence,
  SessionSummary,
  Totals,
  WireIssue,
  WireOccurrence,
  WireSession,
  WireTotals,
} from "../types";

/** The Worker's shapes → the pages' view shapes, in one place. */

export function toIssue(wire: WireIssue): IssueSummary {
  return {
    ...wire,
    title: wire.message ? `${wire.type}: ${wire.message}` : wire.type,
    status: wire.status as IssueStatus,
    occurrences: "occurrences" in wire ? wire.occurrences : wire.count,
  };
}

export function toSession(wire: WireSession): SessionSummary {
  const device = [wire.device, wire.os, wire.browser].filter(Boolean).join(" · ") || null;
  return { ...wire, userId: wire.userId ?? wire.anonymousId, errors: wire.errorCount, device };
}

export function toTotals(wire: WireTotals): Totals {
  return { events: wire.events, errors: wire.errors, sessions: wire.sessions, users: wire.activeUsers };
}

/** Frames and breadcrumbs are stored as the SDK sent them; the Worker types them loosely. */
export function toOccurrence(wire: WireOccurrence): Occurrence {
  const frames = (wire.frames ?? []) as Array<
    Frame & { in_app?: boolean; pre_context?: string[]; context_line?: string; post_context?: string[] }
  >;
  return {
    ...wire,
    userId: wire.userId ?? wire.anonymousId,
    frames: frames.map((frame) => ({
      ...frame,
      inApp: frame.in_app,
      preContext: frame.pre_context,
      contextLine: frame.context_line,
      postContext: frame.post_context,
    })),
    breadcrumbs: wire.breadcrumbs as Occurrence["breadcrumbs"],
  };
}
