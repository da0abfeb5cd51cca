import { createAsync, useParams } from "@solidjs/router";
import { Show } from "solid-js";
import { DataTable } from "~/components/DataTable";
import { getOutcomes, getProjectContext, getUsage } from "~/lib/api";
import { formatCount, formatDateTime } from "~/lib/format";

type Usage = NonNullable<Awaited<ReturnType<typeof getUsage>>>;
type Outcome = NonNullable<Awaited<ReturnType<typeof getOutcomes>>>["outcomes"][number];
type DeadLetter = NonNullable<Usage["deadLetters"]>["recent"][number];

export default function UsagePage() {
  const params = useParams<Record<string, string>>();
  const context = createAsync(() => getProjectContext(params.projectId));
  const usage = createAsync(() => getUsage(params.projectId));
  const outcomes = createAsync(() => getOutcomes(params.projectId));
  const share = (used: number, limit: number) => (limit > 0 ? Math.min(100, (used / limit) * 100) : 0);
  return (
    <div class="stack-gap">
      <Show when={context()}>
        {(ctx) => (
          <section class="card">
            <h2>This month</h2>
            <p>
              <strong data-testid="usage-used">{formatCount(ctx().usage.used)}</strong> of{" "}
              {formatCount(ctx().usage.limit)} units on the {ctx().org.plan} plan (
              {share(ctx().usage.used, ctx().usage.limit).toFixed(1)}%).
            </p>
            <div
              class="bar"
              role="progressbar"
              aria-label="Units used this month"
              aria-valuemin={0}
              aria-valuemax={ctx().usage.limit}
              aria-valuenow={ctx().usage.used}
            >
              <div style={{ width: `${share(ctx().usage.used, ctx().usage.limit)}%` }} />
            </div>
            <p class="muted small">
              One unit per event, per error and per new session. Ingest answers 429 once the quota is used up.
            </p>
          </section>
        )}
      </Show>
      <Show when={(outcomes()?.outcomes.length ?? 0) > 0}>
        <section class="card" data-testid="sentry-outcomes">
          <h2>Sentry SDKs: dropped and ignored</h2>
          <p class="muted small">
            What Sentry SDKs reported dropping on their side (client reports: rate limits, network errors, sampling…)
            and what we accepted but do not store (attachments, replays, child spans…). None of it costs units.
          </p>
          <DataTable<Outcome>
            rows={outcomes()?.outcomes}
            columns={[
              { header: "Month", cell: (outcome) => outcome.month },
              {
                header: "Where",
                cell: (outcome) => (outcome.source === "client" ? "dropped by the SDK" : "ignored here"),
              },
              { header: "Category", cell: (outcome) => outcome.category },
              { header: "Reason", cell: (outcome) => outcome.reason },
              { header: "Items", cell: (outcome) => formatCount(outcome.quantity), class: "num" },
            ]}
          />
        </section>
      </Show>
      <section class="card">
        <h2>History</h2>
        <Show when={(usage()?.months.length ?? 0) > 0} fallback={<p class="muted">No usage recorded yet.</p>}>
          <DataTable<Usage["months"][number]>
            rows={usage()?.months}
            columns={[
              { header: "Month", cell: (month) => month.month },
              { header: "Units", cell: (month) => formatCount(month.units), class: "num" },
              {
                header: "Of quota",
                headerStyle: { width: "40%" },
                cell: (month) => (
                  <div class="bar">
                    <div style={{ width: `${share(month.units, usage()?.limit ?? 0)}%` }} />
                  </div>
                ),
              },
            ]}
          />
        </Show>
      </section>
      {/* Shown only when something was refused: a healthy project has nothing to say here. */}
      <Show when={(usage()?.deadLetters?.count ?? 0) > 0 && usage()?.deadLetters}>
        {(dead) => (
          <section class="card" data-testid="dead-letters">
            <h2>Rows Postgres refused</h2>
            <p>
              <strong data-testid="dead-letter-count">{formatCount(dead().count)}</strong> accepted{" "}
              {dead().count === 1 ? "row was" : "rows were"} refused by the database as data and kept aside, so the rest
              of ingest carries on. They stay counted in the month's units.
            </p>
            <Show when={dead().recent.length > 0}>
              <DataTable<DeadLetter>
                rows={dead().recent}
                columns={[
                  { header: "When", cell: (entry) => formatDateTime(entry.at) },
                  { header: "Kind", cell: (entry) => entry.kind ?? "?" },
                  { header: "Event id", cell: (entry) => entry.eventId ?? "?", cellClass: "mono small" },
                  { header: "Error", cell: (entry) => entry.error, cellClass: "small" },
                ]}
              />
            </Show>
          </section>
        )}
      </Show>
    </div>
  );
}
