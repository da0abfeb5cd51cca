import { createAsync, useParams } from "@solidjs/router";
import { For, Show } from "solid-js";
import { getOutcomes, getProjectContext, getUsage } from "~/lib/api";
import { formatCount, formatDateTime } from "~/lib/format";

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
          <table>
            <thead>
              <tr>
                <th>Month</th>
                <th>Where</th>
                <th>Category</th>
                <th>Reason</th>
                <th class="num">Items</th>
              </tr>
            </thead>
            <tbody>
              <For each={outcomes()?.outcomes}>
                {(outcome) => (
                  <tr>
                    <td>{outcome.month}</td>
                    <td>{outcome.source === "client" ? "dropped by the SDK" : "ignored here"}</td>
                    <td>{outcome.category}</td>
                    <td>{outcome.reason}</td>
                    <td class="num">{formatCount(outcome.quantity)}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </section>
      </Show>
      <section class="card">
        <h2>History</h2>
        <Show when={(usage()?.months.length ?? 0) > 0} fallback={<p class="muted">No usage recorded yet.</p>}>
          <table>
            <thead>
              <tr>
                <th>Month</th>
                <th class="num">Units</th>
                <th>Of quota</th>
              </tr>
            </thead>
            <tbody>
              <For each={usage()?.months}>
                {(month) => (
                  <tr>
                    <td>{month.month}</td>
                    <td class="num">{formatCount(month.units)}</td>
                    <td style={{ width: "40%" }}>
                      <div class="bar">
                        <div style={{ width: `${share(month.units, usage()?.limit ?? 0)}%` }} />
                      </div>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
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
              <table>
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Kind</th>
                    <th>Event id</th>
                    <th>Error</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={dead().recent}>
                    {(entry) => (
                      <tr>
                        <td>{formatDateTime(entry.at)}</td>
                        <td>{entry.kind ?? "?"}</td>
                        <td class="mono small">{entry.eventId ?? "?"}</td>
                        <td class="small">{entry.error}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </Show>
          </section>
        )}
      </Show>
    </div>
  );
}
