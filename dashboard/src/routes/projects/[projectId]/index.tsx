import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { Show } from "solid-js";
import { TimeChart } from "~/components/Chart";
import { CrashFree } from "~/components/CrashFree";
import { DataTable } from "~/components/DataTable";
import { Kpi } from "~/components/Kpi";
import { Boundary, EmptyState } from "~/components/states";
import { getLatestRelease, getOverview } from "~/lib/api";
import { releasePath, useViewFilters } from "~/lib/filters";
import { formatCount, formatDuration, formatRelative } from "~/lib/format";
import type { IssueSummary, Overview as OverviewData, SessionSummary } from "~/lib/types";

/** The newest release's crash-free sessions, linking to its page; its own boundary keeps the KPIs up. */
function LatestRelease(props: { projectId: string }) {
  const { filters, withFilters } = useViewFilters();
  const latest = createAsync(() => getLatestRelease(props.projectId, filters()));
  return (
    <section class="card kpi" aria-label="Latest release">
      <div class="muted small">Latest release · crash-free sessions</div>
      <Boundary>
        <Show
          when={latest()}
          fallback={
            <p class="muted small">
              No release in this range: set <code>release</code> in the SDK.
            </p>
          }
        >
          {(release) => (
            <>
              <div class="value">
                <CrashFree value={release().crashFreeSessions} testId="latest-release-crash-free" />
              </div>
              <A
                href={withFilters(releasePath(props.projectId, release().release))}
                class="mono small"
                data-testid="latest-release-link"
              >
                {release().release}
              </A>
              <span class="muted small"> · {formatCount(release().sessions)} sessions</span>
            </>
          )}
        </Show>
      </Boundary>
    </section>
  );
}

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
                <LatestRelease projectId={params.projectId} />
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
                    <DataTable<IssueSummary>
                      bare
                      rows={data().topIssues}
                      columns={[
                        {
                          header: "Issue",
                          cell: (issue) => (
                            <>
                              <A href={withFilters(`${base()}/issues/${issue.id}`)}>{issue.title}</A>
                              <div class="muted small">last seen {formatRelative(issue.lastSeen)}</div>
                            </>
                          ),
                        },
                        { header: "Count", class: "num", cell: (issue) => formatCount(issue.occurrences) },
                      ]}
                    />
                  </Show>
                </section>
                <section class="card">
                  <div class="spread">
                    <h2>Top events</h2>
                    <A href={withFilters(`${base()}/events`)}>All events</A>
                  </div>
                  <Show when={data().topEvents.length > 0} fallback={<p class="muted">No events in this range.</p>}>
                    <DataTable<OverviewData["topEvents"][number]>
                      bare
                      rows={data().topEvents}
                      columns={[
                        {
                          header: "Event",
                          cell: (event) => (
                            <A href={withFilters(`${base()}/events`, { name: event.name })}>{event.name}</A>
                          ),
                        },
                        { header: "Count", class: "num", cell: (event) => formatCount(event.count) },
                      ]}
                    />
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
                  <DataTable<SessionSummary>
                    rows={data().recentSessions}
                    columns={[
                      {
                        header: "Session",
                        cell: (session) => (
                          <A href={withFilters(`${base()}/sessions/${session.id}`)} class="mono">
                            {session.sessionId.slice(0, 12)}
                          </A>
                        ),
                      },
                      { header: "User", cell: (session) => session.userId ?? "anonymous" },
                      { header: "Status", cell: (session) => session.status ?? "–" },
                      { header: "Duration", class: "num", cell: (session) => formatDuration(session.durationMs) },
                      { header: "Started", cell: (session) => formatRelative(session.startedAt) },
                    ]}
                  />
                </Show>
              </section>
            </>
          )}
        </Show>
      </Boundary>
    </div>
  );
}
