import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { For, type JSX, Match, Show, Switch } from "solid-js";
import { DataTable } from "~/components/DataTable";
import { Boundary, EmptyState } from "~/components/states";
import { searchProject } from "~/lib/api";
import { firstParam, releasePath, useViewFilters } from "~/lib/filters";
import { formatCount, formatDateTime, formatRelative } from "~/lib/format";
import type { SearchResults } from "~/lib/types";

type Kind = "issues" | "events" | "sessions" | "users" | "releases";

const KIND_LABELS: Record<Kind, string> = {
  issues: "Issues",
  events: "Events",
  sessions: "Sessions",
  users: "Users",
  releases: "Releases",
};

/** One kind's card: its count in the heading, its hits, or why it was not searched. */
function KindSection(props: { kind: Kind; result: SearchResults[Kind]; children: JSX.Element }) {
  const count = () =>
    props.result.countCapped ? `${formatCount(props.result.count)}+` : formatCount(props.result.count);
  return (
    <section class="card" data-testid={`search-${props.kind}`} data-count={String(props.result.count)}>
      <h2>
        {KIND_LABELS[props.kind]} <span class="badge">{props.result.searched ? count() : "–"}</span>
      </h2>
      <Switch>
        <Match when={!props.result.searched}>
          <p class="muted small">Not searched: a token of the query does not apply to {props.kind}.</p>
        </Match>
        <Match when={props.result.count === 0}>
          <p class="muted small">No {props.kind} match.</p>
        </Match>
        <Match when={true}>{props.children}</Match>
      </Switch>
    </section>
  );
}

export default function Search() {
  const params = useParams<Record<string, string>>();
  const { params: search } = useViewFilters();
  const q = () => firstParam(search.q)?.trim() ?? "";
  const answer = createAsync(async () => (q() ? searchProject(params.projectId, q()) : undefined));
  const found = () => {
    const a = answer();
    return a?.ok ? a.results : undefined;
  };
  const problems = () => {
    const a = answer();
    return a && !a.ok ? a.problems : undefined;
  };
  const base = () => `/projects/${params.projectId}`;
  const link = (path: string, query: Record<string, string> = {}) => {
    const text = new URLSearchParams(query).toString();
    return `${base()}${path}${text ? `?${text}` : ""}`;
  };
  return (
    <div class="stack-gap">
      <Title>Search · Telemetry Tracker</Title>
      <h1>Search</h1>
      <Show
        when={q()}
        fallback={
          <EmptyState title="Search this project">
            <p>
              Type in the search box (press <kbd>/</kbd>): free text finds issues by message, type or fingerprint, event
              names, session ids, user ids and releases. Narrow with <code>user:</code>, <code>release:</code>,{" "}
              <code>environment:</code>, <code>is:unresolved|resolved|ignored</code> and{" "}
              <code>range:1h|24h|7d|30d</code> (default 30 days); <code>"quoted phrases"</code> match as typed.
            </p>
          </EmptyState>
        }
      >
        <Boundary>
          <Show when={problems()}>
            {(list) => (
              <section class="card" role="alert" data-testid="search-problems">
                <h2>The search could not run</h2>
                <ul>
                  <For each={list()}>{(problem) => <li class="error-text">{problem}</li>}</For>
                </ul>
              </section>
            )}
          </Show>
          <Show when={found()}>
            {(results) => (
              <>
                <p class="muted small" data-testid="search-summary">
                  Results for <code>{q()}</code> over the last {results().query.range}.
                </p>
                <KindSection kind="issues" result={results().issues}>
                  <DataTable
                    rows={results().issues.items}
                    rowProps={() => ({ "data-testid": "search-hit" })}
                    columns={[
                      {
                        header: "Issue",
                        cell: (issue) => (
                          <A href={link(`/issues/${issue.id}`)}>
                            {issue.type}: {issue.message}
                          </A>
                        ),
                      },
                      {
                        header: "Status",
                        cell: (issue) => <span class={`badge ${issue.status}`}>{issue.status}</span>,
                      },
                      { header: "Events", class: "num", cell: (issue) => formatCount(issue.occurrences) },
                      { header: "Last seen", cell: (issue) => formatRelative(issue.lastSeen) },
                    ]}
                  />
                </KindSection>
                <KindSection kind="events" result={results().events}>
                  <DataTable
                    rows={results().events.items}
                    rowProps={() => ({ "data-testid": "search-hit" })}
                    columns={[
                      {
                        header: "Event name",
                        cell: (event) => (
                          <A href={link("/events", { name: event.name, range: results().query.range })} class="mono">
                            {event.name}
                          </A>
                        ),
                      },
                      { header: "Events", class: "num", cell: (event) => formatCount(event.count) },
                      { header: "Last hour seen", cell: (event) => formatDateTime(event.lastSeen) },
                    ]}
                  />
                </KindSection>
                <KindSection kind="sessions" result={results().sessions}>
                  <DataTable
                    rows={results().sessions.items}
                    rowProps={() => ({ "data-testid": "search-hit" })}
                    columns={[
                      {
                        header: "Session",
                        cell: (session) => (
                          <A href={link(`/sessions/${session.id}`)} class="mono">
                            {session.sessionId}
                          </A>
                        ),
                      },
                      { header: "User", cell: (session) => session.userId ?? session.anonymousId ?? "anonymous" },
                      { header: "Release", cell: (session) => session.release ?? "–" },
                      { header: "Started", cell: (session) => formatRelative(session.startedAt) },
                    ]}
                  />
                </KindSection>
                <KindSection kind="users" result={results().users}>
                  <DataTable
                    rows={results().users.items}
                    rowProps={() => ({ "data-testid": "search-hit" })}
                    columns={[
                      {
                        header: "User",
                        cell: (user) => (
                          <A
                            href={link("/sessions", { user: user.userKey, range: results().query.range })}
                            class="mono"
                          >
                            {user.userKey}
                          </A>
                        ),
                      },
                      { header: "Last active (UTC day)", cell: (user) => user.lastSeen.slice(0, 10) },
                    ]}
                  />
                </KindSection>
                <KindSection kind="releases" result={results().releases}>
                  <DataTable
                    rows={results().releases.items}
                    rowProps={() => ({ "data-testid": "search-hit" })}
                    columns={[
                      {
                        header: "Release",
                        cell: (release) => (
                          <A
                            href={`${releasePath(params.projectId, release.release)}?range=${results().query.range}`}
                            class="mono"
                          >
                            {release.release}
                          </A>
                        ),
                      },
                      { header: "Sessions", class: "num", cell: (release) => formatCount(release.sessions) },
                      { header: "Last hour seen", cell: (release) => formatDateTime(release.lastSeen) },
                    ]}
                  />
                </KindSection>
              </>
            )}
          </Show>
        </Boundary>
      </Show>
    </div>
  );
}
