import { Title } from "@solidjs/meta";
import { A, createAsync, useAction, useParams, useSubmission } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { TimeChart } from "~/components/Chart";
import { Boundary } from "~/components/states";
import { getIssue, getProjectContext, setIssueStatus } from "~/lib/api";
import { useViewFilters } from "~/lib/filters";
import { formatCount, formatDateTime, formatRelative } from "~/lib/format";
import type { Frame, IssueStatus, Occurrence } from "~/lib/types";

function FrameList(props: { frames: Frame[] }) {
  const inApp = () => props.frames.filter((frame) => frame.inApp !== false);
  const other = () => props.frames.filter((frame) => frame.inApp === false);
  const line = (frame: Frame) =>
    `${frame.function || "<anonymous>"}  ${frame.file ?? ""}${frame.line ? `:${frame.line}` : ""}${frame.column ? `:${frame.column}` : ""}`;
  return (
    <div>
      <For each={inApp()}>{(frame) => <div class="frame in-app">{line(frame)}</div>}</For>
      <Show when={other().length > 0}>
        <details>
          <summary class="small muted">{other().length} library frames</summary>
          <For each={other()}>{(frame) => <div class="frame">{line(frame)}</div>}</For>
        </details>
      </Show>
    </div>
  );
}

function OccurrenceView(props: { occurrence: Occurrence }) {
  const o = () => props.occurrence;
  return (
    <div class="stack-gap">
      <h3>Stack trace</h3>
      <Show when={(o().frames?.length ?? 0) > 0} fallback={<pre>{o().stack ?? "No stack trace was sent."}</pre>}>
        <FrameList frames={o().frames ?? []} />
      </Show>
      <Show when={(o().breadcrumbs?.length ?? 0) > 0}>
        <h3>Breadcrumbs</h3>
        <ol class="timeline">
          <For each={o().breadcrumbs}>
            {(crumb) => (
              <li class={crumb.level === "error" ? "error" : ""}>
                <span class="muted small">{crumb.timestamp ? formatDateTime(crumb.timestamp) : ""}</span>{" "}
                <span class="badge">{crumb.category ?? "log"}</span> {crumb.message}
              </li>
            )}
          </For>
        </ol>
      </Show>
      <div class="grid two">
        <div>
          <h3>Tags</h3>
          <dl class="kv">
            <dt>app</dt>
            <dd>{o().app ?? "–"}</dd>
            <dt>environment</dt>
            <dd>{o().environment ?? "–"}</dd>
            <dt>release</dt>
            <dd>{o().release ?? "–"}</dd>
            <dt>user</dt>
            <dd>{o().userId ?? "–"}</dd>
            <For each={Object.entries(o().tags ?? {})}>
              {([key, value]) => (
                <>
                  <dt>{key}</dt>
                  <dd>{String(value)}</dd>
                </>
              )}
            </For>
          </dl>
        </div>
        <div>
          <h3>Context</h3>
          <pre>{JSON.stringify(o().context ?? {}, null, 2)}</pre>
        </div>
      </div>
    </div>
  );
}

export default function IssueDetail() {
  const params = useParams<Record<string, string>>();
  const { withFilters } = useViewFilters();
  const issue = createAsync(() => getIssue(params.projectId, params.issueId));
  const context = createAsync(() => getProjectContext(params.projectId));
  const setStatus = useAction(setIssueStatus);
  const submission = useSubmission(setIssueStatus);
  const [selected, setSelected] = createSignal(0);
  const canTriage = () => {
    const ctx = context();
    if (!ctx) return false;
    return ctx.can?.resolveIssues ?? ctx.role !== "VIEWER";
  };
  const change = (status: IssueStatus) => void setStatus(params.projectId, params.issueId, status);
  const failure = () => {
    const result = submission.result as { ok?: boolean; message?: string } | undefined;
    return result?.ok === false ? result.message : undefined;
  };
  return (
    <div class="stack-gap">
      <Title>Issue · Telemetry Tracker</Title>
      <A href={withFilters(`/projects/${params.projectId}/issues`)} class="small">
        ← Issues
      </A>
      <Boundary>
        <Show when={issue()}>
          {(data) => (
            <>
              <div class="spread">
                <div>
                  <h1 data-testid="issue-title">{data().title}</h1>
                  <div class="row small">
                    <span class={`badge ${data().status}`} data-testid="issue-status">
                      {data().status}
                    </span>
                    <Show when={data().regressed}>
                      <span class="badge regression" data-testid="issue-regression">
                        regression
                      </span>
                    </Show>
                    <span class="muted">
                      first seen {formatRelative(data().firstSeen)} · last seen {formatRelative(data().lastSeen)}
                      {data().lastRelease ? ` · ${data().lastRelease}` : ""}
                    </span>
                  </div>
                </div>
                <Show when={canTriage()}>
                  <fieldset class="row plain">
                    <legend class="visually-hidden">Change status</legend>
                    <Show when={data().status !== "resolved"}>
                      <button
                        type="button"
                        class="primary"
                        disabled={submission.pending}
                        onClick={() => change("resolved")}
                      >
                        Resolve
                      </button>
                    </Show>
                    <Show when={data().status !== "ignored"}>
                      <button type="button" disabled={submission.pending} onClick={() => change("ignored")}>
                        Ignore
                      </button>
                    </Show>
                    <Show when={data().status !== "unresolved"}>
                      <button type="button" disabled={submission.pending} onClick={() => change("unresolved")}>
                        Reopen
                      </button>
                    </Show>
                  </fieldset>
                </Show>
              </div>
              <Show when={failure()}>
                <p class="error-text" role="alert">
                  {failure()}
                </p>
              </Show>
              <div class="grid kpis">
                <section class="card kpi">
                  <div class="muted small">Occurrences</div>
                  <div class="value" data-testid="issue-occurrences">
                    {formatCount(data().occurrences)}
                  </div>
                </section>
                <section class="card kpi">
                  <div class="muted small">Users affected</div>
                  <div class="value">{formatCount(data().usersAffected ?? 0)}</div>
                </section>
                <section class="card kpi">
                  <div class="muted small">Sessions affected</div>
                  <div class="value">{formatCount(data().sessionsAffected)}</div>
                </section>
              </div>
              <Show when={data().hourly.length > 0}>
                <section class="card">
                  <h2>Occurrences, last 30 days</h2>
                  <TimeChart
                    label="Occurrences over the last 30 days"
                    height={160}
                    times={data().hourly.map((point) => new Date(point.t).getTime() / 1000)}
                    series={[
                      { label: "Occurrences", values: data().hourly.map((point) => point.count), color: "--series-2" },
                    ]}
                  />
                </section>
              </Show>
              <section class="card">
                <div class="spread">
                  <h2>Occurrence</h2>
                  <Show when={data().occurrencesList.length > 1}>
                    <label class="row">
                      <span class="visually-hidden">Occurrence</span>
                      <select
                        aria-label="Occurrence"
                        value={selected()}
                        onChange={(event) => setSelected(Number(event.currentTarget.value))}
                      >
                        <For each={data().occurrencesList}>
                          {(occurrence, index) => (
                            <option value={index()}>{formatDateTime(occurrence.timestamp)}</option>
                          )}
                        </For>
                      </select>
                    </label>
                  </Show>
                </div>
                <Show
                  when={data().occurrencesList[selected()]}
                  fallback={<p class="muted">No occurrence is stored (retention may have removed it).</p>}
                >
                  {(occurrence) => <OccurrenceView occurrence={occurrence()} />}
                </Show>
              </section>
            </>
          )}
        </Show>
      </Boundary>
    </div>
  );
}
