import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { For, Show } from "solid-js";
import { TimeChart } from "~/components/Chart";
import { Kpi } from "~/components/Kpi";
import { Boundary, EmptyState } from "~/components/states";
import { getOverview } from "~/lib/api";
import { useViewFilters } from "~/lib/filters";
import { formatCount, formatDuration, formatRelative } from "~/lib/format";

export default function Overview() {
  const params = useParams<Record<string, string>>();
  const { filters, withFilters } = useViewFilters();
  const overview = createAsync(() => getOverview(params.projectId, filters()));
  const times = () => overview()?.series.map((point) => new Date(point.t).getTime() / 1000) ?? [];
  const series = (key: "events" | "errors" | "sessions" | "users") =>
    overview()?.series.map((point) => point[key]) ?? [];
  const base = () => `/projects/${params.projectId}`;
  const empty = () => {
    const totals = overview()?.totals;
    return totals && totals.events + totals.errors + totals.sessions === 0;
  };
  return (
    <div class="stack-gap">
      <Title>Overview · Telemetry Tracker</Title>
      <h1>Overview</h1>
      <Boundary>
        <Show when={overview()}>
          {(data) => (
            <>
              <Show when={empty()}>
                <div class="card">
                  <EmptyState title="Nothing in this time range">
                    <p>
                      Widen the time range, or <A href={`${base()}/setup`}>set up an SDK</A> to start sending events.
                    </p>
                  </EmptyState>
                </div>
              </Show>
              <div class="grid kpis">
                <Kpi
                  label="Events"
                  value={data().totals.events}
                  previous={data().previous.events}
                  times={times()}
                  values={series("events")}
                  color="--series-1"
                />
                <Kpi
                  label="Errors"
                  value={data().totals.errors}
                  previous={data().previous.errors}
                  times={times()}
                  values={series("errors")}
                  color="--series-2"
                  upIsBad
                />
                <Kpi
                  label="Sessions"
                  value={data().totals.sessions}
                  previous={data().previous.sessions}
                  times={times()}
                  values={series("sessions")}
                  color="--series-3"
                />
                <Kpi
                  label="Active users"
                  value={data().totals.users}
                  previous={data().previous.users}
                  times={times()}
                  values={series("users")}
                  color="--series-4"
                />
              </div>
              <section class="card">
                <h2>Activity</h2>
                <TimeChart
                  label="Events, errors and sessions over time"
                  times={times()}
                  series={[
                    { label: "Events", values: series("events"), color: "--series-1" },
                    { label: "Errors", values: series("errors"), color: "--series-2" },
                    { label: "Sessions", values: series("sessions"), color: "--series-3" },
                  ]}
                />
              </section>
              <div class="grid two">
                <section class="card">
                  <div class="spread">
                    <h2>Top issues</h2>
                    <A href={withFilters(`${base()}/issues`)}>All issues</A>
                  </div>
                  <Show when={data().topIssues.length > 0} fallback={<p class="muted">No errors in this range.</p>}>
                    <table>
                      <thead>
                        <tr>
                          <th>Issue</th>
                          <th class="num">Count</th>
                        </tr>
                      </thead>
                      <tbody>
                        <For each={data().topIssues}>
                          {(issue) => (
                            <tr>
                              <td>
                                <A href={withFilters(`${base()}/issues/${issue.id}`)}>{issue.title}</A>
                                <div class="muted small">last seen {formatRelative(issue.lastSeen)}</div>
                              </td>
                              <td class="num">{formatCount(issue.occurrences)}</td>
                            </tr>
                          )}
                        </For>
                      </tbody>
                    </table>
                  </Show>
                </section>
                <section class="card">
                  <div class="spread">
                    <h2>Top events</h2>
                    <A href={withFilters(`${base()}/events`)}>All events</A>
                  </div>
                  <Show when={data().topEvents.length > 0} fallback={<p class="muted">No events in this range.</p>}>
                    <table>
                      <thead>
                        <tr>
                          <th>Event</th>
                          <th class="num">Count</th>
                        </tr>
                      </thead>
                      <tbody>
                        <For each={data().topEvents}>
                          {(event) => (
                            <tr>
                              <td>
                                <A href={withFilters(`${base()}/events`, { name: event.name })}>{event.name}</A>
                              </td>
                              <td class="num">{formatCount(event.count)}</td>
                            </tr>
                          )}
                        </For>
                      </tbody>
                    </table>
                  </Show>
                </section>
              </div>
              <section class="card">
                <div class="spread">
                  <h2>Recent sessions</h2>
                  <A href={withFilters(`${base()}/sessions`)}>All sessions</A>
                </div>
                <Show
                  when={data().recentSessions.length > 0}
                  fallback={<p class="muted">No sessions in this range.</p>}
                >
                  <div class="table-wrap">
                    <table>
                      <thead>
                        <tr>
                          <th>Session</th>
                          <th>User</th>
                          <th>Status</th>
                          <th class="num">Duration</th>
                          <th>Started</th>
                        </tr>
                      </thead>
                      <tbody>
                        <For each={data().recentSessions}>
                          {(session) => (
                            <tr>
                              <td>
                                <A href={withFilters(`${base()}/sessions/${session.id}`)} class="mono">
                                  {session.sessionId.slice(0, 12)}
                                </A>
                              </td>
                              <td>{session.userId ?? "anonymous"}</td>
                              <td>{session.status ?? "–"}</td>
                              <td class="num">{formatDuration(session.durationMs)}</td>
                              <td>{formatRelative(session.startedAt)}</td>
                            </tr>
                          )}
                        </For>
                      </tbody>
                    </table>
                  </div>
                </Show>
              </section>
            </>
          )}
        </Show>
      </Boundary>
    </div>
  );
}
