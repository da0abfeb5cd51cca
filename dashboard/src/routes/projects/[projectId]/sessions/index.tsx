import { Title } from "@solidjs/meta";
import { A, createAsync, useParams } from "@solidjs/router";
import { Show } from "solid-js";
import { DataTable } from "~/components/DataTable";
import { CursorPager } from "~/components/Pager";
import { Boundary, EmptyState } from "~/components/states";
import { getSessions } from "~/lib/api";
import { firstParam, useViewFilters } from "~/lib/filters";
import { formatDuration, formatRelative } from "~/lib/format";
import type { SessionSummary } from "~/lib/types";

export default function Sessions() {
  const params = useParams<Record<string, string>>();
  const { filters, params: search, setParams, withFilters } = useViewFilters();
  const cursor = () => firstParam(search.cursor);
  // A user's sessions (the search links users here): user id, or the anonymous id of sessions without one.
  const user = () => firstParam(search.user);
  const sessions = createAsync(() => getSessions(params.projectId, { ...filters(), userId: user(), cursor: cursor() }));
  const base = () => `/projects/${params.projectId}/sessions`;
  return (
    <div class="stack-gap">
      <Title>Sessions · Telemetry Tracker</Title>
      <h1>Sessions</h1>
      <Show when={user()}>
        {(id) => (
          <p data-testid="sessions-user-filter">
            Sessions of <code>{id()}</code> ·{" "}
            <A href={withFilters(base(), { user: undefined, cursor: undefined })}>all sessions</A>
          </p>
        )}
      </Show>
      <section class="card">
        <Boundary>
          <Show
            when={(sessions()?.items.length ?? 0) > 0}
            fallback={
              <EmptyState title="No sessions in this range">
                <p>
                  The browser and mobile SDKs start sessions by themselves; servers call <code>startSession()</code>.
                </p>
              </EmptyState>
            }
          >
            <DataTable<SessionSummary>
              rows={sessions()?.items}
              rowProps={() => ({ "data-testid": "session-row" })}
              columns={[
                {
                  header: "Session",
                  cell: (session) => (
                    <>
                      <A href={withFilters(`${base()}/${session.id}`)} class="mono">
                        {session.sessionId.slice(0, 12)}
                      </A>
                      <div class="muted small">{session.app ?? ""}</div>
                    </>
                  ),
                },
                { header: "User", cell: (session) => session.userId ?? "anonymous" },
                {
                  header: "Status",
                  cell: (session) => (
                    <span
                      class={`badge ${session.status === "crashed" || session.status === "errored" ? "unresolved" : ""}`}
                    >
                      {session.status ?? "–"}
                    </span>
                  ),
                },
                { header: "Errors", class: "num", cell: (session) => session.errors ?? 0 },
                { header: "Duration", class: "num", cell: (session) => formatDuration(session.durationMs) },
                { header: "Device", class: "hide-phone", cell: (session) => session.device ?? "–" },
                { header: "Started", cell: (session) => formatRelative(session.startedAt) },
              ]}
            />
            <CursorPager
              current={cursor()}
              next={sessions()?.nextCursor}
              onPage={(next) => setParams({ cursor: next })}
            />
          </Show>
        </Boundary>
      </section>
    </div>
  );
}
