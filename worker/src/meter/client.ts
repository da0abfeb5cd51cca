import type { Plan } from "@telemetry-tracker/db";
import type { Bindings } from "../env.ts";
import { createLogger, describeError, type Logger } from "../lib/logger.ts";
import { type BufferedRow, sessionKey } from "./buffered-row.ts";
import type { IntakeOutcome, MonthlyUsage } from "./flush.ts";
import type { AdmitRequest, AdmitResult, DeadLetterReport, MeterStats, ProjectMeter } from "./project-meter.ts";

/** What the Worker sends the meter for a batch of rows. */
export function prepareAdmission(
  rows: BufferedRow[],
  key: { projectId: string; publicId: string; plan: Plan },
  outcomes: IntakeOutcome[] = [],
): AdmitRequest {
  return {
    projectId: key.projectId,
    publicId: key.publicId,
    plan: key.plan,
    rowsJson: JSON.stringify(rows),
    rowCount: rows.length,
    eventIds: rows.map((row) => row.event_id),
    apps: [...new Set(rows.map((row) => row.app))],
    chargeableRows: rows.filter((row) => row.kind !== "session").length,
    sessionKeys: rows.flatMap((row) => (row.kind === "session" ? [sessionKey(row.app, row.session_id)] : [])),
    outcomes,
  };
}

/** The meter could not be reached (overloaded, being reset, network): nothing was stored. */
export type MeterUnavailable = {
  ok: false;
  code: "backend_unavailable";
  message: string;
  retryAfterSeconds: number;
  quota?: undefined;
};

export type AdmitOutcome = AdmitResult | MeterUnavailable;

export class MeterUnavailableError extends Error {
  constructor(operation: string, cause: unknown) {
    super(`The project meter is unavailable (${operation})`, { cause });
    this.name = "MeterUnavailableError";
  }
}

/**
 * The one way to the ProjectMeters: picks the project's object, prepares what it is sent, and
 * decides what a failure to reach it means, once per operation:
 *
 * | operation     | when the meter cannot be reached                                              |
 * |---------------|-------------------------------------------------------------------------------|
 * | admit         | `backend_unavailable` result: nothing stored, the client retries (503)        |
 * | revoke        | `false`, logged: Postgres, KV and the isolate cache already refuse the key    |
 * | setPlan       | throws MeterUnavailableError: the caller (a Stripe webhook) fails and is      |
 * |               | redelivered; the meter also re-reads the plan from Postgres within a minute   |
 * | usage         | `null`: the caller falls back to the count flushed to Postgres                |
 * | stats         | `null`: health reports the meter unreachable                                  |
 * | deadLetters   | `null`: the usage page shows the count as unknown                             |
 */
export class MeterClient {
  private readonly env: Bindings;
  private readonly logger: Logger;

  constructor(env: Bindings, logger?: Logger) {
    this.env = env;
    this.logger = logger ?? createLogger(env.LOG_LEVEL, { component: "MeterClient" });
  }

  /** The project's ProjectMeter: one object per project id, wherever the request lands. */
  stub(projectId: string): DurableObjectStub<ProjectMeter> {
    const namespace = this.env.PROJECT_METER;
    return namespace.get(namespace.idFromName(projectId)) as DurableObjectStub<ProjectMeter>;
  }

  /** Admits rows (and, from the Sentry intake, outcome counts) under the project's limits. */
  async admit(
    key: { projectId: string; publicId: string; plan: Plan },
    rows: BufferedRow[],
    outcomes: IntakeOutcome[] = [],
  ): Promise<AdmitOutcome> {
    const request = prepareAdmission(rows, key, outcomes);
    try {
      return await this.stub(key.projectId).admit(request);
    } catch (error) {
      this.logger.warn("meter unavailable for admit", { projectId: key.projectId, ...describeError(error) });
      return {
        ok: false,
        code: "backend_unavailable",
        message: "Ingest is temporarily unavailable; retry shortly",
        retryAfterSeconds: 5,
      };
    }
  }

  async revoke(projectId: string, publicId: string): Promise<boolean> {
    try {
      await this.stub(projectId).revokeKey(publicId);
      return true;
    } catch (error) {
      this.logger.warn("meter unavailable for revoke; key refused by Postgres and caches only", {
        projectId,
        publicId,
        ...describeError(error),
      });
      return false;
    }
  }

  async setPlan(projectId: string, plan: Plan): Promise<void> {
    try {
      await this.stub(projectId).setPlan(plan);
    } catch (error) {
      throw new MeterUnavailableError("setPlan", error);
    }
  }

  /** Units counted per month by the meter (ahead of Postgres by at most one flush). */
  async usage(projectId: string): Promise<MonthlyUsage[] | null> {
    return (await this.read(projectId, "usage", (meter) => meter.stats()))?.usage ?? null;
  }

  async stats(projectId: string): Promise<MeterStats | null> {
    return this.read(projectId, "stats", (meter) => meter.stats());
  }

  async deadLetters(projectId: string, limit = 20): Promise<DeadLetterReport | null> {
    return this.read(projectId, "deadLetters", (meter) => meter.deadLetters(limit));
  }

  private async read<T>(
    projectId: string,
    operation: string,
    call: (meter: DurableObjectStub<ProjectMeter>) => Promise<T>,
  ): Promise<T | null> {
    try {
      return await call(this.stub(projectId));
    } catch (error) {
      this.logger.warn(`meter unavailable for ${operation}`, { projectId, ...describeError(error) });
      return null;
    }
  }
}

/** A client for this env; cheap (it holds the binding and a logger), so build one where needed. */
export function meterClient(env: Bindings, logger?: Logger): MeterClient {
  return new MeterClient(env, logger);
}
