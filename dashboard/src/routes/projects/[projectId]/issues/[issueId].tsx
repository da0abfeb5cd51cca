import { Title } from "@solidjs/meta";
import { A, createAsync, useAction, useParams, useSubmission } from "@solidjs/router";
import { createEffect, createSignal, For, on, Show } from "solid-js";
import { TimeChart } from "~/components/Chart";
import { type Column, DataTable } from "~/components/DataTable";
import { CursorPager } from "~/components/Pager";
import { Boundary } from "~/components/states";
import {
  getIssue,
  getIssueOccurrences,
  getIssueSessions,
  getIssueUsers,
  getProjectContext,
  setIssueStatus,
} from "~/lib/api";
import { RANGES, releasePath, useViewFilters } from "~/lib/filters";
import { formatCount, formatDateTime, formatDuration, formatRelative } from "~/lib/format";
import type { AffectedSession, AffectedUser, Frame, FramePosition, IssueStatus, Occurrence, Page } from "~/lib/types";

/** A release name linking to its release page, or "–" when the issue never named one there. */
function ReleaseLink(props: { projectId: string; release: string | null | undefined; testId: string }) {
  const { withFilters } = useViewFilters();
  return (
    <Show when={props.release} fallback={<span data-testid={props.testId}>–</span>}>
      {(release) => (
        <A href={withFilters(releasePath(props.projectId, release()))} class="mono" data-testid={props.testId}>
          {release()}
        </A>
      )}
    </Show>
  );
}

function frameLine(frame: FramePosition): string {
  const where = `${frame.file ?? ""}${frame.line ? `:${frame.line}` : ""}${frame.column ? `:${frame.column}` : ""}`;
  return `${frame.function || "<anonymous>"}  ${where}`;
}

/** The original source around a symbolicated frame, its own line marked. */
function SourceContext(props: { frame: Frame }) {
  const first = () => (props.frame.line ?? 1) - (props.frame.preContext?.length ?? 0);
  const lines = () => [
    ...(props.frame.preContext ?? []),
    props.frame.contextLine ?? "",
    ...(props.frame.postContext ?? []),
  ];
  const current = () => props.frame.preContext?.length ?? 0;
  return (
    <ol class="source-context" start={first()} data-testid="source-context">
      <For each={lines()}>{(text, index) => <li classList={{ current: index() === current() }}>{text || " "}</li>}</For>
    </ol>
  );
}

function FrameRow(props: { frame: Frame; raw: boolean }) {
  const shown = (): FramePosition => (props.raw ? (props.frame.raw ?? props.frame) : props.frame);
  return (
    <div class="frame" classList={{ "in-app": props.frame.inApp !== false }} data-testid="frame">
      {frameLine(shown())}
      <Show when={!props.raw && props.frame.contextLine !== undefined && props.frame.inApp !== false}>
        <SourceContext frame={props.frame} />
      </Show>
    </div>
  );
}

/**
 * Original frames when a source map resolved them (with context lines), a toggle to the frames as
 * the SDK sent them, and a note when the release has frames but no map matched.
 */
function FrameList(props: { frames: Frame[]; release?: string | null; app?: string | null; projectId: string }) {
  const [raw, setRaw] = createSignal(false);
  const symbolicated = () => props.frames.some((frame) => frame.symbolicated);
  const inApp = () => props.frames.filter((frame) => frame.inApp !== false);
  const other = () => props.frames.filter((frame) => frame.inApp === false);
  return (
    <div class="stack-gap">
      <Show
        when={symbolicated()}
        fallback={
          <Show when={props.release && props.frames.some((frame) => /\.(m|c)?js$/.test(frame.file ?? ""))}>
            <p class="note small" data-testid="no-source-map">
              No source map matched release <strong>{props.release}</strong> of app <strong>{props.app}</strong>, so
              these frames are as the browser reported them.{" "}
              <A href={`/projects/${props.projectId}/settings/sourcemaps`}>Upload source maps</A> to see original files,
              lines and functions.
            </p>
          </Show>
        }
      >
        <fieldset class="segmented" aria-label="Frames">
          <button type="button" classList={{ active: !raw() }} aria-pressed={!raw()} onClick={() => setRaw(false)}>
            Original
          </button>
          <button type="button" classList={{ active: raw() }} aria-pressed={raw()} onClick={() => setRaw(true)}>
            Raw (minified)
          </button>
        </fieldset>
      </Show>
      <div>
        <For each={inApp()}>{(frame) => <FrameRow frame={frame} raw={raw()} />}</For>
        <Show when={other().length > 0}>
          <details>
            <summary class="small muted">{other().length} library frames</summary>
            <For each={other()}>{(frame) => <FrameRow frame={frame} raw={raw()} />}</For>
          </details>
        </Show>
      </div>
    </div>
  );
}

function OccurrenceView(props: { occurrence: Occurrence; projectId: string }) {
  const o = () => props.occurrence;
  return (
    <div class="stack-gap">
      <h3>Stack trace</h3>
      <Show when={(o().frames?.length ?? 0) > 0} fallback={<pre>{o().stack ?? "No stack trace was sent."}</pre>}>
        <FrameList frames={o().frames ?? []} release={o().release} app={o().app} projectId={props.projectId} />
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

/**
 * A bounded list read page by page: the first page given (loaded with the page, revalidated with
 * it), further pages appended on "Load more" from the last page's cursor.
 */
function PagedList<T>(props: {
  title: string;
  testId: string;
  first: Page<T> | undefined;
  more: (cursor: string) => Promise<Page<T>>;
  key: (item: T) => string;
  empty: string;
  columns: Column<T>[];
  rowProps?: (item: T) => Record<`data-${string}`, string>;
}) {
  const [extra, setExtra] = createSignal<Page<T>[]>([]);
  const [loading, setLoading] = createSignal(false);
  const [failure, setFailure] = createSignal<string>();
  const items = () => {
    const seen = new Set<string>();
    const out: T[] = [];
    for (const item of [...(props.first?.items ?? []), ...extra().flatMap((page) => page.items)]) {
      const key = props.key(item);
      if (!seen.has(key)) out.push(item);
      seen.add(key);
    }
    return out;
  };
  const cursor = () => {
    const parts = extra();
    return parts.length > 0 ? parts[parts.length - 1].nextCursor : (props.first?.nextCursor ?? null);
  };
  // A new first page (another issue, or a refresh after a status change) starts the list over.
  createEffect(
    on(
      () => props.first,
      () => setExtra([]),
      { defer: true },
    ),
  );
  const loadMore = async (after: string | undefined) => {
    if (!after || loading()) return;
    setLoading(true);
    setFailure(undefined);
    try {
      const page = await props.more(after);
      setExtra([...extra(), page]);
    } catch (error) {
      setFailure(error instanceof Error ? error.message : String(error));
    } finally {
      setLoading(false);
    }
  };
  return (
    <section class="card" data-testid={props.testId}>
      <h2>{props.title}</h2>
      <Show when={items().length > 0} fallback={<p class="muted">{props.empty}</p>}>
        <DataTable<T> rows={items()} columns={props.columns} rowProps={props.rowProps} />
      </Show>
      <Show when={failure()}>
        <p class="error-text" role="alert">
          {failure()} — try again.
        </p>
      </Show>
      <CursorPager
        current={undefined}
        next={cursor()}
        onPage={(after) => void loadMore(after)}
        nextLabel="Load more"
        busy={loading()}
      />
    </section>
  );
}

function AffectedUsers(props: { projectId: string; issueId: string }) {
  const first = createAsync(() => getIssueUsers(props.projectId, props.issueId));
  return (
    <PagedList<AffectedUser>
      title="Affected users"
      testId="affected-users"
      first={first()}
      more={(cursor) => getIssueUsers(props.projectId, props.issueId, cursor)}
      key={(user) => `${user.anonymous ? "a" : "u"}:${user.userKey}`}
      empty="No user or anonymous id came with these errors."
      rowProps={() => ({ "data-testid": "affected-user" })}
      columns={[
        {
          header: "User",
          cell: (user) => (
            <>
              <span class="mono">{user.userKey}</span>
              <Show when={user.anonymous}>
                <span class="muted small"> (anonymous)</span>
              </Show>
            </>
          ),
        },
        { header: "Occurrences", cell: (user) => formatCount(user.occurrences), class: "num" },
        { header: "First seen", cell: (user) => formatRelative(user.firstSeen), class: "hide-phone" },
        { header: "Last seen", cell: (user) => formatRelative(user.lastSeen) },
      ]}
    />
  );
}

function AffectedSessions(props: { projectId: string; issueId: string; link: (path: string) => string }) {
  const first = createAsync(() => getIssueSessions(props.projectId, props.issueId));
  return (
    <PagedList<AffectedSession>
      title="Affected sessions"
      testId="affected-sessions"
      first={first()}
      more={(cursor) => getIssueSessions(props.projectId, props.issueId, cursor)}
      key={(row) => `${row.app}:${row.sessionId}`}
      empty="None of these errors came with a session id."
      rowProps={() => ({ "data-testid": "affected-session" })}
      columns={[
        {
          header: "Session",
          cell: (row) => (
            <>
              <Show
                when={row.session}
                fallback={
                  <span class="mono" title="No session was stored for this id">
                    {row.sessionId.slice(0, 12)}
                  </span>
                }
              >
                {(session) => (
                  <A href={props.link(`/projects/${props.projectId}/sessions/${session().id}`)} class="mono">
                    {row.sessionId.slice(0, 12)}
                  </A>
                )}
              </Show>
              <div class="muted small">
                {row.app}
                {row.session ? "" : " · not stored"}
              </div>
            </>
          ),
        },
        { header: "Occurrences", cell: (row) => formatCount(row.occurrences), class: "num" },
        {
          header: "User",
          cell: (row) => (row.session ? (row.session.userId ?? "anonymous") : "–"),
          class: "hide-phone",
        },
        {
          header: "Duration",
          cell: (row) => (row.session ? formatDuration(row.session.durationMs) : "–"),
          class: "hide-phone num",
        },
        { header: "Last hit", cell: (row) => formatRelative(row.lastSeen) },
      ]}
    />
  );
}

/** The issue's occurrences, newest first; "View" shows one in full below. */
function Occurrences(props: {
  projectId: string;
  issueId: string;
  first: Page<Occurrence>;
  selected: Occurrence | undefined;
  onSelect: (occurrence: Occurrence) => void;
}) {
  return (
    <PagedList<Occurrence>
      title="Occurrences"
      testId="occurrences"
      first={props.first}
      more={(cursor) => getIssueOccurrences(props.projectId, props.issueId, cursor)}
      key={(occurrence) => occurrence.id}
      empty="No occurrence is stored (retention may have removed them)."
      rowProps={(occurrence) => ({
        "data-testid": "occurrence-row",
        "data-selected": String(occurrence.id === props.selected?.id),
      })}
      columns={[
        {
          header: "When",
          cell: (occurrence) => (
            <span title={formatDateTime(occurrence.timestamp)}>{formatRelative(occurrence.timestamp)}</span>
          ),
        },
        { header: "Release", cell: (occurrence) => occurrence.release ?? "–", class: "hide-phone" },
        { header: "Environment", cell: (occurrence) => occurrence.environment ?? "–", class: "hide-phone" },
        { header: "User", cell: (occurrence) => occurrence.userId ?? "–", class: "hide-phone" },
        {
          header: "",
          cell: (occurrence) => (
            <button
              type="button"
              disabled={occurrence.id === props.selected?.id}
              onClick={() => props.onSelect(occurrence)}
            >
              {occurrence.id === props.selected?.id ? "Shown" : "View"}
            </button>
          ),
        },
      ]}
    />
  );
}

export default function IssueDetail() {
  const params = useParams<Record<string, string>>();
  const { filters, withFilters } = useViewFilters();
  const issue = createAsync(() => getIssue(params.projectId, params.issueId, filters()));
  const rangeLabel = () => {
    const current = filters();
    if (current.from && current.to) return `${formatDateTime(current.from)} – ${formatDateTime(current.to)}`;
    return (RANGES.find((range) => range.value === current.range)?.label ?? "Last 24 hours").toLowerCase();
  };
  const context = createAsync(() => getProjectContext(params.projectId));
  const setStatus = useAction(setIssueStatus);
  const submission = useSubmission(setIssueStatus);
  const [picked, setPicked] = createSignal<Occurrence>();
  // Another issue starts again from its latest occurrence.
  createEffect(
    on(
      () => params.issueId,
      () => setPicked(undefined),
      { defer: true },
    ),
  );
  const shown = () => picked() ?? issue()?.occurrencesList[0];
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
                    </span>
                    <Show when={data().firstRelease || data().lastRelease}>
                      <span class="muted" data-testid="issue-releases">
                        first release{" "}
                        <ReleaseLink
                          projectId={params.projectId}
                          release={data().firstRelease}
                          testId="first-release"
                        />{" "}
                        · last release{" "}
                        <ReleaseLink projectId={params.projectId} release={data().lastRelease} testId="last-release" />
                      </span>
                    </Show>
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
                  <h2>Occurrences, {rangeLabel()}</h2>
                  <TimeChart
                    label={`Occurrences, ${rangeLabel()}`}
                    height={160}
                    times={data().hourly.map((point) => new Date(point.t).getTime() / 1000)}
                    series={[
                      { label: "Occurrences", values: data().hourly.map((point) => point.count), color: "--series-2" },
                    ]}
                  />
                </section>
              </Show>
              <div class="grid two">
                <Boundary>
                  <AffectedUsers projectId={params.projectId} issueId={params.issueId} />
                </Boundary>
                <Boundary>
                  <AffectedSessions projectId={params.projectId} issueId={params.issueId} link={withFilters} />
                </Boundary>
              </div>
              <Occurrences
                projectId={params.projectId}
                issueId={params.issueId}
                first={{ items: data().occurrencesList, nextCursor: data().nextOccurrencesCursor }}
                selected={shown()}
                onSelect={setPicked}
              />
              <section class="card" data-testid="occurrence">
                <h2>Occurrence{shown() ? `, ${formatDateTime(shown()?.timestamp ?? "")}` : ""}</h2>
                <Show
                  when={shown()}
                  fallback={<p class="muted">No occurrence is stored (retention may have removed it).</p>}
                >
                  {(occurrence) => <OccurrenceView occurrence={occurrence()} projectId={params.projectId} />}
                </Show>
              </section>
            </>
          )}
        </Show>
      </Boundary>
    </div>
  );
}
