import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { Show } from "solid-js";
import { TimeChart } from "~/components/Chart";
import { CrashFree } from "~/components/CrashFree";
import { DataTable } from "~/components/DataTable";
import { Boundary } from "~/components/states";
import { getRelease } from "~/lib/api";
import { releaseParam, useViewFilters } from "~/lib/filters";
import { formatCount, formatDateTime, formatRelative } from "~/lib/format";
import type { IssueSummary } from "~/lib/types";

function IssueList(props: {
  issues: IssueSummary[];
  href: (issue: IssueSummary) => string;
  testId: string;
  empty: string;
}) {
  return (
    <Show when={props.issues.length > 0} fallback={<p class="muted">{props.empty}</p>}>
      <DataTable<IssueSummary>
        bare
        rows={props.issues}
        rowProps={(issue) => ({ "data-testid": props.testId, "data-issue-id": issue.id })}
        columns={[
          {
            header: "Issue",
            cell: (issue) => (
              <>
                <A href={props.href(issue)}>{issue.title}</A>
                <div class="muted small">last seen {formatRelative(issue.lastSeen)}</div>
              </>
            ),
          },
          { header: "Events", class: "num", cell: (issue) => formatCount(issue.occurrences) },
        ]}
      />
    </Show>
  );
}

export default function Release() {
  const params = useParams<Record<string, string>>();
  const { filters, withFilters } = useViewFilters();
  const name = () => releaseParam(params.release);
  const detail = createAsync(() => getRelease(params.projectId, name(), filters()));
  const times = () => detail()?.series.map((point) => new Date(point.t).getTime() / 1000) ?? [];
  const issueHref = (issue: IssueSummary) => withFilters(`/projects/${params.projectId}/issues/${issue.id}`);
  return (
    <div class="stack-gap">
      <Title>Release {name()} · Telemetry Tracker</Title>
      <A href={withFilters(`/projects/${params.projectId}/releases`)} class="small">
        ← Releases
      </A>
      <h1>
        Release <code data-testid="release-name">{name()}</code>
      </h1>
      <Boundary>
        <Show when={detail()}>
          {(data) => (
            <>
              <p class="muted small">
                first seen {formatDateTime(data().health.firstSeen)} · last seen{" "}
                {formatDateTime(data().health.lastSeen)} ·{" "}
                <A href={withFilters(`/projects/${params.projectId}/issues`, { release: name(), status: "all" })}>
                  all issues seen in this release
                </A>
              </p>
              <div class="grid kpis">
                <section class="card kpi" aria-label="Crash-free sessions">
                  <div class="muted small">Crash-free sessions</div>
                  <div class="value">
                    <CrashFree value={data().health.crashFreeSessions} testId="detail-crash-free-sessions" />
                  </div>
                  <div class="small muted">
                    {formatCount(data().health.crashed)} crashed · {formatCount(data().health.errored)} errored ·{" "}
                    {formatCount(data().health.abnormal)} abnormal
                  </div>
                </section>
                <section class="card kpi" aria-label="Crash-free users">
                  <div class="muted small">Crash-free users</div>
                  <div class="value">
                    <CrashFree value={data().health.crashFreeUsers} testId="detail-crash-free-users" />
                  </div>
                  <div class="small muted">
                    {formatCount(data().health.crashedUsers)} of {formatCount(data().health.users)} users crashed
                  </div>
                </section>
                <section class="card kpi" aria-label="Sessions">
                  <div class="muted small">Sessions</div>
                  <div class="value" data-testid="detail-sessions">
                    {formatCount(data().health.sessions)}
                  </div>
                  <div class="small muted">{data().health.adoption.toFixed(1)}% adoption</div>
                </section>
                <section class="card kpi" aria-label="Errors">
                  <div class="muted small">Errors</div>
                  <div class="value" data-testid="detail-errors">
                    {formatCount(data().health.errors)}
                  </div>
                  <div class="small muted">new issues: {formatCount(data().health.newIssues)}</div>
                </section>
              </div>
              <section class="card">
                <h2>Sessions</h2>
                <TimeChart
                  label={`Sessions of ${name()} per ${data().window.bucket}, by how they ended`}
                  height={200}
                  times={times()}
                  series={[
                    { label: "Sessions", values: data().series.map((point) => point.sessions), color: "--series-1" },
                    { label: "Crashed", values: data().series.map((point) => point.crashed), color: "--series-2" },
                    { label: "Errored", values: data().series.map((point) => point.errored), color: "--series-4" },
                  ]}
                />
                <h2>Crash-free sessions %</h2>
                <TimeChart
                  label={`Crash-free sessions of ${name()} per ${data().window.bucket}, in percent`}
                  height={160}
                  yRange={[0, 100]}
                  times={times()}
                  series={[
                    {
                      label: "Crash-free %",
                      values: data().series.map((point) => point.crashFreeSessions),
                      color: "--series-3",
                      points: true, // a bucket without sessions is a gap: a lone value needs its dot
                    },
                  ]}
                />
              </section>
              <div class="grid two">
                <section class="card">
                  <h2>New in this release</h2>
                  <IssueList
                    issues={data().newIssues}
                    href={issueHref}
                    testId="new-issue-row"
                    empty="No issue was first seen in this release."
                  />
                </section>
                <section class="card">
                  <h2>Regressed in this release</h2>
                  <IssueList
                    issues={data().regressedIssues}
                    href={issueHref}
                    testId="regressed-issue-row"
                    empty="No resolved issue came back in this release."
                  />
                </section>
              </div>
            </>
          )}
        </Show>
      </Boundary>
    </div>
  );
}
